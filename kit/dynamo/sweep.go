package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
)

// sweepChunk is how many items one transaction of a sweep deletes: each
// takes two of a transaction's 100 items, the delete and its event.
const sweepChunk = kit.MaxUnit / 2

// sweepBytes keeps a chunk's outbox images under DynamoDB's 4 MB a
// transaction, with room for the rest of the request.
const sweepBytes = 3 << 20

// sweep deletes every item left in partition pk, however many, each with
// the event of its deletion (naming ctx's cause: the entity whose removal
// started the sweep). Each chunk of items and their events is one
// transaction, so no item goes without its event and no event is raised
// for an item that stays. Children cannot be added meanwhile, because
// creating one checks, in its transaction, that the parent exists, and the
// parent's item is gone before a sweep starts. Every delete is conditioned
// on the version the sweep read, so two sweeps of one partition never
// raise two events for one item: the loser reads the partition again.
//
// A sweep that resumes one cut short (resumed names the deleted entity's
// sort key) finds the entity's own deletion among the partition's outbox
// items, to name it as the cause.
func sweep(ctx context.Context, t Table, stamps Stamps, pk, resumed string) error {
	keys := t.Schema.Keys
	// Outbox items (_EVENT#…) sort after every entity's item, and stay.
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(keys.PartitionKey).Equal(expression.Value(pk)).
			And(expression.Key(keys.SortKey).LessThan(expression.Value(KindOutbox)))).Build()
	if err != nil {
		return fmt.Errorf("build sweep query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
		Limit:                     aws.Int32(sweepChunk),
	}
	for lost := 0; ; {
		out, err := t.API.Query(ctx, in)
		if err != nil {
			return storeError("sweep collection", err)
		}
		if len(out.Items) == 0 {
			return nil
		}
		if resumed != "" {
			cause, err := deletedCause(ctx, t, pk, resumed)
			if err != nil {
				return err
			}
			ctx, resumed = event.WithCause(ctx, cause), ""
		}
		// Each chunk deletes what it read, so every Query starts at the
		// partition's new beginning.
		_, err = sweepChunkOf(ctx, t, stamps, out.Items)
		switch {
		case errors.Is(err, errSwept) && lost < 8:
			lost++ // another sweep took an item first: read again
		case err != nil:
			return err
		}
	}
}

// deletedCause is the id of the event that deleted the item at pk and sk,
// from its outbox item, or "" once that has expired.
func deletedCause(ctx context.Context, t Table, pk, sk string) (string, error) {
	keys := t.Schema.Keys
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(keys.PartitionKey).Equal(expression.Value(pk)).
			And(expression.Key(keys.SortKey).BeginsWith(KindOutbox + "#"))).
		WithFilter(expression.Name(attrSubject).Equal(expression.Value(sk))).
		WithProjection(expression.NamesList(expression.Name(attrMeta))).Build()
	if err != nil {
		return "", fmt.Errorf("build cause query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName: aws.String(t.Name), KeyConditionExpression: expr.KeyCondition(), FilterExpression: expr.Filter(),
		ProjectionExpression: expr.Projection(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		ConsistentRead: aws.Bool(true),
	}
	cause := ""
	for {
		out, err := t.API.Query(ctx, in)
		if err != nil {
			return "", storeError("sweep collection", err)
		}
		for _, item := range out.Items {
			var meta event.Metadata
			if json.Unmarshal([]byte(stringAttr(item, attrMeta)), &meta) == nil {
				cause = meta.ID
			}
		}
		if out.LastEvaluatedKey == nil {
			return cause, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// errSwept is a chunk that lost an item to another sweep.
var errSwept = fmt.Errorf("sweep: item already deleted: %w", kit.ErrConflict)

// sweepChunkOf deletes the first items, as many as fit one transaction with
// their events, and says how many.
func sweepChunkOf(ctx context.Context, t Table, stamps Stamps, items []map[string]types.AttributeValue) (int, error) {
	var writes []types.TransactWriteItem
	size, n := 0, 0
	for _, item := range items {
		if n == sweepChunk || (n > 0 && size+itemSize(item) > sweepBytes) {
			break
		}
		key := map[string]types.AttributeValue{t.Schema.Keys.PartitionKey: item[t.Schema.Keys.PartitionKey], t.Schema.Keys.SortKey: item[t.Schema.Keys.SortKey]}
		version, err := versionOf(item)
		if err != nil || kindOf(item) == "" {
			// Not an entity: nothing to tell anyone.
			writes = append(writes, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(t.Name), Key: key}})
			n++
			continue
		}
		del, err := versionedDelete(t, key, version)
		if err != nil {
			return 0, err
		}
		box, err := Outbox(t.Schema, stamps.Clock.Now(), stamps.Deleted(ctx, version), item, nil)
		if err != nil {
			return 0, err
		}
		writes = append(writes, types.TransactWriteItem{Delete: del}, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(t.Name), Item: box}})
		size += 2 * itemSize(item)
		n++
	}
	err := retryConflicts(ctx, func() error {
		_, err := t.API.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
		return err
	})
	var canceled *types.TransactionCanceledException
	switch {
	case err == nil:
		return n, nil
	case asCanceled(err, &canceled) && anyConditionFailed(canceled.CancellationReasons):
		return 0, errSwept
	}
	return 0, storeError("sweep collection", err)
}

func asCanceled(err error, target **types.TransactionCanceledException) bool {
	return err != nil && errors.As(err, target)
}

func anyConditionFailed(reasons []types.CancellationReason) bool {
	for _, r := range reasons {
		if aws.ToString(r.Code) == "ConditionalCheckFailed" {
			return true
		}
	}
	return false
}

// itemSize estimates an item's stored size: its names and values.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return len(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberM:
		return itemSize(v.Value) + 3
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += valueSize(e) + 1
		}
		return n
	case *types.AttributeValueMemberSS:
		n := 0
		for _, e := range v.Value {
			n += len(e)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, e := range v.Value {
			n += len(e)
		}
		return n
	}
	return 1
}
