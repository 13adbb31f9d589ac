package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// batchSize is the most writes one BatchWriteItem takes.
const batchSize = 25

// sweep deletes every item left in partition pk, however many: a page of
// keys at a time, each page in batches. Children cannot be added meanwhile,
// because creating one checks, in its transaction, that the parent exists,
// and the parent's item is gone before a sweep starts.
func sweep(ctx context.Context, t Table, pk string) error {
	keys := t.Schema.Keys
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(keys.PartitionKey).Equal(expression.Value(pk))).
		WithProjection(expression.NamesList(expression.Name(keys.PartitionKey), expression.Name(keys.SortKey))).
		Build()
	if err != nil {
		return fmt.Errorf("build sweep query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(t.Name),
		KeyConditionExpression:    expr.KeyCondition(),
		ProjectionExpression:      expr.Projection(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	}
	for {
		out, err := t.API.Query(ctx, in)
		if err != nil {
			return storeError("sweep collection", err)
		}
		for start := 0; start < len(out.Items); start += batchSize {
			var writes []types.WriteRequest
			for _, key := range out.Items[start:min(start+batchSize, len(out.Items))] {
				writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key}})
			}
			if err := batchWrite(ctx, t, writes); err != nil {
				return err
			}
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// batchWrite runs writes, sending again whatever DynamoDB left unprocessed
// (it may, under load) after a growing pause, until ctx ends.
func batchWrite(ctx context.Context, t Table, writes []types.WriteRequest) error {
	for attempt := 0; len(writes) > 0; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return storeError("sweep collection", ctx.Err())
			case <-time.After(min(time.Duration(10<<attempt)*time.Millisecond, time.Second)):
			}
		}
		out, err := t.API.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{t.Name: writes},
		})
		if err != nil {
			return storeError("sweep collection", err)
		}
		writes = out.UnprocessedItems[t.Name]
	}
	return nil
}
