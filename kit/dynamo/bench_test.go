package dynamo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/benchtest"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// BenchmarkGet times the repository's Get against the bare SDK call it
// wraps (the baseline), on DynamoDB Local: the difference is the adapter's
// own cost.
func BenchmarkGet(b *testing.B) {
	tokens, _ := repotest.Codecs(b)
	table := ddb.NewTable(b)
	repo := dynamo.NewRepository[repotest.Note](table, tokens)
	note := repotest.Note{ID: "00000000-0000-7000-8000-000000000001", Name: "bench", Size: 1}
	if _, err := repo.Create(context.Background(), note); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	key := map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: "NOTE#" + note.ID},
		dynamo.AttrSK: &types.AttributeValueMemberS{Value: "NOTE"},
	}
	benchtest.Interleave(b, "sdk", "repository",
		func() error {
			out, err := table.API.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table.Name), Key: key, ConsistentRead: aws.Bool(true)})
			if err == nil && out.Item == nil {
				err = kit.ErrNotFound
			}
			return err
		},
		func() error { _, err := repo.Get(ctx, note.ID); return err })
}

// BenchmarkListPage reads a first page of 20 from a kind of 2,000 items
// against a kind of 100 items of the same shape (the baseline) in one table:
// a Query on the listing index costs the same for both, where a Scan would
// grow twentyfold.
func BenchmarkListPage(b *testing.B) {
	tokens, _ := repotest.Codecs(b)
	table := ddb.NewTable(b)
	small := dynamo.NewRepository[repotest.Note](table, tokens)
	large := dynamo.NewRepository[bulkNote](table, tokens)
	ctx := context.Background()
	note := func(i int) repotest.Note {
		return repotest.Note{ID: fmt.Sprintf("n-%05d", i), Name: "note", Status: "open", Size: i, Data: []string{"a", "b"}}
	}
	for i := range 100 {
		if _, err := small.Create(ctx, note(i)); err != nil {
			b.Fatal(err)
		}
	}
	repotest.Parallel(b, 2000, func(i int) error {
		_, err := large.Create(ctx, bulkNote{note(i)})
		return err
	})
	benchtest.Interleave(b, "kind100", "kind2000",
		func() error { return fullPage(small.List(ctx, kit.PageRequest{Size: 20})) },
		func() error { return fullPage(large.List(ctx, kit.PageRequest{Size: 20})) })
}

func fullPage[T any](p kit.Page[T], err error) error {
	if err == nil && len(p.Items) != 20 {
		err = fmt.Errorf("page of %d", len(p.Items))
	}
	return err
}

// bulkNote is a Note stored under its own kind, so two kinds of one shape
// share the table.
type bulkNote struct{ repotest.Note }

func (bulkNote) EntityKind() string { return "BULKNOTE" }
