package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
)

// Reshard moves every listed item of prototype's kind that sits in a
// partition of an earlier layout (kit.Shards.Before) to its shard under
// kit.Shards.Now, and returns how many it moved. Listings that start
// before or after it find every item, since they read every declared
// layout; a listing paging through while it runs may miss an item being
// moved behind its position (the index moves it asynchronously, and a
// shard already read past it will not see it arrive), so run it when no
// client pages through the kind, or accept that. Run it once every instance
// writes with the new layout (an instance still on the old one would keep
// adding items to old shards); then the entity can drop Before, and its
// listings stop reading the old partitions.
func (s *Storage) Reshard(ctx context.Context, prototype kit.Entity) (int, error) {
	r := s.Open(prototype, "").(*repository)
	idx, keys := s.table.Schema.ListIndex, s.table.Schema.Keys
	moved := 0
	for _, part := range r.shards.Partitions(r.kind) {
		expr, err := expression.NewBuilder().
			WithKeyCondition(expression.Key(idx.Keys.PartitionKey).Equal(expression.Value(part))).
			WithProjection(expression.NamesList(expression.Name(keys.PartitionKey), expression.Name(keys.SortKey), expression.Name(idx.Keys.SortKey))).
			Build()
		if err != nil {
			return moved, fmt.Errorf("build reshard query: %w", err)
		}
		in := &dynamodb.QueryInput{
			TableName: aws.String(s.table.Name), IndexName: aws.String(idx.Name),
			KeyConditionExpression: expr.KeyCondition(), ProjectionExpression: expr.Projection(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		}
		for {
			out, err := s.table.API.Query(ctx, in)
			if err != nil {
				return moved, storeError("reshard", err)
			}
			for _, item := range out.Items {
				to := kit.Partition(r.kind, stringAttr(item, idx.Keys.SortKey), r.shards.Now)
				if to == part {
					continue
				}
				ok, err := s.move(ctx, item, part, to)
				if err != nil {
					return moved, err
				}
				if ok {
					moved++
				}
			}
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return moved, nil
}

// move sets one item's listing partition from one to another, unless the
// item has gone or moved meanwhile.
func (s *Storage) move(ctx context.Context, item map[string]types.AttributeValue, from, to string) (bool, error) {
	keys, idx := s.table.Schema.Keys, s.table.Schema.ListIndex
	pk := expression.Name(idx.Keys.PartitionKey)
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(pk, expression.Value(to))).
		WithCondition(pk.Equal(expression.Value(from))).
		Build()
	if err != nil {
		return false, fmt.Errorf("build reshard move: %w", err)
	}
	_, err = s.table.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.table.Name),
		Key:              map[string]types.AttributeValue{keys.PartitionKey: item[keys.PartitionKey], keys.SortKey: item[keys.SortKey]},
		UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
		ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return false, nil
	case err != nil:
		return false, storeError("reshard", err)
	}
	return true, nil
}
