package dynamo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// BenchmarkGet compares the repository's Get (measured) with the bare SDK
// call it wraps (baseline), on DynamoDB Local: the difference is the
// adapter's own cost.
func BenchmarkGet(b *testing.B) {
	tokens, _ := repotest.Codecs(b)
	table := ddb.NewTable(b)
	repo := dynamo.NewRepository[repotest.Note](table, tokens)
	note := repotest.Note{ID: "00000000-0000-7000-8000-000000000001", Name: "bench", Size: 1}
	if _, err := repo.Create(context.Background(), note); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	warmUp(b, func() error { _, err := repo.Get(ctx, note.ID); return err })
	b.Run("run=baseline", func(b *testing.B) {
		key := map[string]types.AttributeValue{
			dynamo.AttrPK: &types.AttributeValueMemberS{Value: "NOTE#" + note.ID},
			dynamo.AttrSK: &types.AttributeValueMemberS{Value: "NOTE"},
		}
		for b.Loop() {
			out, err := table.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table.Name), Key: key, ConsistentRead: aws.Bool(true)})
			if err != nil || out.Item == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("run=measured", func(b *testing.B) {
		for b.Loop() {
			if _, err := repo.Get(ctx, note.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListPage reads a first page of 20 from a kind of 100 items
// (baseline) and from a kind of 2,000 items (measured) in one table: a Query
// on the listing index costs the same for both, where a Scan would grow
// twentyfold.
func BenchmarkListPage(b *testing.B) {
	tokens, _ := repotest.Codecs(b)
	table := ddb.NewTable(b)
	small := dynamo.NewRepository[repotest.Note](table, tokens)
	large := dynamo.NewRepository[repotest.Tag](table, tokens)
	ctx := context.Background()
	for i := range 100 {
		if _, err := small.Create(ctx, repotest.Note{ID: fmt.Sprintf("n-%05d", i), Name: "n"}); err != nil {
			b.Fatal(err)
		}
	}
	batch := make([]types.WriteRequest, 0, 25)
	flush := func() {
		if _, err := table.API.(*dynamodb.Client).BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{table.Name: batch},
		}); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range 2000 {
		id := fmt.Sprintf("t-%05d", i)
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{
			dynamo.AttrPK: &types.AttributeValueMemberS{Value: "TAG#" + id}, dynamo.AttrSK: &types.AttributeValueMemberS{Value: "TAG"},
			dynamo.AttrGSI1PK: &types.AttributeValueMemberS{Value: "TAG"}, dynamo.AttrGSI1SK: &types.AttributeValueMemberS{Value: id},
			dynamo.AttrType: &types.AttributeValueMemberS{Value: "TAG"}, dynamo.AttrVersion: &types.AttributeValueMemberN{Value: "1"},
			"id": &types.AttributeValueMemberS{Value: id}, "label": &types.AttributeValueMemberS{Value: "t"},
		}}})
		if len(batch) == 25 {
			flush()
		}
	}
	warmUp(b, func() error { _, err := large.List(ctx, kit.PageRequest{Size: 20}); return err })
	b.Run("run=baseline", func(b *testing.B) {
		for b.Loop() {
			if page, err := small.List(ctx, kit.PageRequest{Size: 20}); err != nil || len(page.Items) != 20 {
				b.Fatal(err)
			}
		}
	})
	b.Run("run=measured", func(b *testing.B) {
		for b.Loop() {
			if page, err := large.List(ctx, kit.PageRequest{Size: 20}); err != nil || len(page.Items) != 20 {
				b.Fatal(err)
			}
		}
	})
}

// warmUp runs f enough times for DynamoDB Local's JVM to compile its hot
// paths, so the first sub-benchmark is not measured cold.
func warmUp(b *testing.B, f func() error) {
	b.Helper()
	for range 300 {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
}
