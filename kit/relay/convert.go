package relay

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit/dynamo"
)

// ChangeOf reads a stream record, as Lambda delivers it, as the item
// change it reports.
func ChangeOf(rec events.DynamoDBEventRecord) (dynamo.Change, error) {
	old, err := itemOf(rec.Change.OldImage)
	if err != nil {
		return dynamo.Change{}, fmt.Errorf("old image: %w", err)
	}
	img, err := itemOf(rec.Change.NewImage)
	if err != nil {
		return dynamo.Change{}, fmt.Errorf("new image: %w", err)
	}
	switch rec.EventName {
	case dynamo.ChangeInsert, dynamo.ChangeModify, dynamo.ChangeRemove:
	default:
		return dynamo.Change{}, fmt.Errorf("record %s: unknown event name %q", rec.Change.SequenceNumber, rec.EventName)
	}
	return dynamo.Change{Op: rec.EventName, Old: old, New: img}, nil
}

// RecordOf is the stream record Lambda would deliver for a change: the
// memory adapter's changes and DynamoDB Local's stream take the same path
// as the deployed function's input.
func RecordOf(c dynamo.Change, sequence, source string) events.DynamoDBEventRecord {
	rec := events.DynamoDBEventRecord{
		EventName: c.Op, EventSource: "aws:dynamodb", EventSourceArn: source, EventVersion: "1.1", AWSRegion: "local",
		Change: events.DynamoDBStreamRecord{
			SequenceNumber: sequence,
			StreamViewType: "NEW_AND_OLD_IMAGES",
			OldImage:       lambdaItem(c.Old),
			NewImage:       lambdaItem(c.New),
		},
	}
	keys := c.New
	if keys == nil {
		keys = c.Old
	}
	s := dynamo.Layout().Keys
	rec.Change.Keys = lambdaItem(map[string]types.AttributeValue{s.PartitionKey: keys[s.PartitionKey], s.SortKey: keys[s.SortKey]})
	return rec
}

func itemOf(m map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]types.AttributeValue, len(m))
	for name, v := range m {
		av, err := valueOf(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = av
	}
	return out, nil
}

func valueOf(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		var out []types.AttributeValue
		for _, e := range v.List() {
			av, err := valueOf(e)
			if err != nil {
				return nil, err
			}
			out = append(out, av)
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m, err := itemOf(v.Map())
		if err != nil {
			return nil, err
		}
		if m == nil {
			m = map[string]types.AttributeValue{}
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("attribute of unknown type %v", v.DataType())
}

func lambdaItem(m map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for name, v := range m {
		out[name] = lambdaValue(v)
	}
	return out
}

func lambdaValue(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *types.AttributeValueMemberL:
		out := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			out[i] = lambdaValue(e)
		}
		return events.NewListAttribute(out)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(lambdaItem(v.Value))
	}
	return events.NewNullAttribute()
}
