package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit/dynamo"
)

// TestListingProjectionCost measures, in DynamoDB's own capacity units as
// DynamoDB Local reports them, what the listing index's projection costs:
// ALL (what the kit uses) against KEYS_ONLY, the narrowest, which makes a
// page a Query of keys and then a BatchGetItem of the items. It writes
// products of two sizes to a table of each kind and reads a page of 20
// from 8 shards. The kit keeps ALL because that is what this shows: the
// same index write for items under 1 KB, and a page at a fraction of the
// reads. A narrower projection only saves writes on items over 1 KB.
func TestListingProjectionCost(t *testing.T) {
	ctx := context.Background()
	client := ddb.Client()
	const page, shards = 20, 8
	type cost struct{ write, read float64 }
	measure := func(projection types.ProjectionType, description string) cost {
		in := dynamo.Layout().CreateTableInput(fmt.Sprintf("projection-%s-%d", strings.ToLower(string(projection)), len(description)))
		in.GlobalSecondaryIndexes[0].Projection = &types.Projection{ProjectionType: projection}
		if _, err := client.CreateTable(ctx, in); err != nil {
			t.Fatal(err)
		}
		name := in.TableName
		var c cost
		var keys []map[string]types.AttributeValue
		for i := range 2 * page {
			id := fmt.Sprintf("00000000-0000-7000-8000-%012d", i)
			key := map[string]types.AttributeValue{
				dynamo.AttrPK: &types.AttributeValueMemberS{Value: "PRODUCT#" + id},
				dynamo.AttrSK: &types.AttributeValueMemberS{Value: "PRODUCT"},
			}
			item := map[string]types.AttributeValue{
				dynamo.AttrGSI1PK:  &types.AttributeValueMemberS{Value: fmt.Sprintf("PRODUCT#%d", i%shards)},
				dynamo.AttrGSI1SK:  &types.AttributeValueMemberS{Value: id},
				"id":               &types.AttributeValueMemberS{Value: id},
				"name":             &types.AttributeValueMemberS{Value: "Lamp"},
				"description":      &types.AttributeValueMemberS{Value: description},
				"createDate":       &types.AttributeValueMemberS{Value: "2026-11-28T15:04:05.123Z"},
				"lastUpdateDate":   &types.AttributeValueMemberS{Value: "2026-11-28T15:04:05.123Z"},
				dynamo.AttrType:    &types.AttributeValueMemberS{Value: "PRODUCT"},
				dynamo.AttrVersion: &types.AttributeValueMemberN{Value: "1"},
			}
			for k, v := range key {
				item[k] = v
			}
			out, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: name, Item: item, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
			if err != nil {
				t.Fatal(err)
			}
			c.write = aws.ToFloat64(out.ConsumedCapacity.GlobalSecondaryIndexes["GSI1"].CapacityUnits)
			if i < page {
				keys = append(keys, key)
			}
		}
		// A page: one Query per shard for its share, as the merge does;
		// then, without the attributes, the items themselves.
		for s := range shards {
			out, err := client.Query(ctx, &dynamodb.QueryInput{
				TableName: name, IndexName: aws.String("GSI1"),
				KeyConditionExpression:    aws.String("GSI1PK = :p"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: fmt.Sprintf("PRODUCT#%d", s)}},
				Limit:                     aws.Int32(page/shards + 1),
				ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
			})
			if err != nil {
				t.Fatal(err)
			}
			c.read += aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)
		}
		if projection == types.ProjectionTypeKeysOnly {
			out, err := client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems:           map[string]types.KeysAndAttributes{aws.ToString(name): {Keys: keys}},
				ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, cc := range out.ConsumedCapacity {
				c.read += aws.ToFloat64(cc.CapacityUnits)
			}
		}
		return c
	}
	for _, tc := range []struct {
		name        string
		description string
		allWins     bool
	}{
		{"small product (about 300 bytes)", "Warm white", true},
		{"product with a 2,000-character description (about 4 KB)", strings.Repeat("é", 2000), false},
	} {
		all := measure(types.ProjectionTypeAll, tc.description)
		keys := measure(types.ProjectionTypeKeysOnly, tc.description)
		t.Logf("%s: index write per item ALL %.1f WCU, KEYS_ONLY %.1f WCU; page of %d from %d shards ALL %.1f RCU, KEYS_ONLY %.1f RCU",
			tc.name, all.write, keys.write, page, shards, all.read, keys.read)
		if keys.read <= all.read {
			t.Errorf("%s: a KEYS_ONLY page read %.1f RCU, not more than ALL's %.1f", tc.name, keys.read, all.read)
		}
		if tc.allWins && keys.write < all.write {
			t.Errorf("%s: KEYS_ONLY writes %.1f WCU, less than ALL's %.1f", tc.name, keys.write, all.write)
		}
		if !tc.allWins && keys.write >= all.write {
			t.Errorf("%s: KEYS_ONLY writes %.1f WCU, not less than ALL's %.1f", tc.name, keys.write, all.write)
		}
	}
}
