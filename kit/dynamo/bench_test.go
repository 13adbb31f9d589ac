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

// BenchmarkGetWith reads a note with its first 20 comments in one Query
// (kit.GetWith) against what a service would do without it (the baseline):
// a Get of the note, then the first page of its comments.
func BenchmarkGetWith(b *testing.B) {
	tokens, _ := repotest.Codecs(b)
	s := dynamo.NewStorage(ddb.NewTable(b), tokens)
	ctx := context.Background()
	const parent = "00000000-0000-7000-8000-000000000001"
	notes := kit.RepositoryOf[repotest.Note](s, "")
	comments := kit.RepositoryOf[repotest.Comment](s, parent)
	if _, err := notes.Create(ctx, repotest.Note{ID: parent, Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	repotest.Parallel(b, 50, func(i int) error {
		_, err := comments.Create(ctx, repotest.Comment{ID: fmt.Sprintf("c-%03d", i), Text: "bench"})
		return err
	})
	benchtest.Interleave(b, "get+list", "getWith",
		func() error {
			if _, err := notes.Get(ctx, parent); err != nil {
				return err
			}
			return fullPage(comments.List(ctx, kit.PageRequest{Size: 20}))
		},
		func() error {
			_, page, err := kit.GetWith[repotest.Note, repotest.Comment](ctx, s, parent, 20)
			return fullPage(page, err)
		})
}

// BenchmarkListPageWithChildren reads a first page of 20 notes where each
// note has 20 comments against one where none has any (the baseline), in
// one table: children stay out of the listing index, so a kind's listing
// costs the same whatever its collections hold.
func BenchmarkListPageWithChildren(b *testing.B) {
	tokens, _ := repotest.Codecs(b)
	s := dynamo.NewStorage(ddb.NewTable(b), tokens)
	ctx := context.Background()
	bare := kit.RepositoryOf[bulkNote](s, "")
	full := kit.RepositoryOf[repotest.Note](s, "")
	repotest.Parallel(b, 25, func(i int) error {
		id := fmt.Sprintf("n-%05d", i)
		if _, err := bare.Create(ctx, bulkNote{repotest.Note{ID: id, Name: "note"}}); err != nil {
			return err
		}
		if _, err := full.Create(ctx, repotest.Note{ID: id, Name: "note"}); err != nil {
			return err
		}
		for c := range 20 {
			if _, err := kit.RepositoryOf[repotest.Comment](s, id).Create(ctx, repotest.Comment{ID: fmt.Sprintf("c-%02d", c)}); err != nil {
				return err
			}
		}
		return nil
	})
	benchtest.Interleave(b, "noChildren", "20ChildrenEach",
		func() error { return fullPage(bare.List(ctx, kit.PageRequest{Size: 20})) },
		func() error { return fullPage(full.List(ctx, kit.PageRequest{Size: 20})) })
}

// BenchmarkShardedPage reads a first page of 20 from kinds of 500 items
// whose listings are spread over 4, 8 and 16 shards, against the same page
// of a kind with one shard (the baseline), in one table. A sharded page
// queries every shard in parallel, and queries again, after, a shard that
// runs out before the page is full; queries/op and items/op count both.
func BenchmarkShardedPage(b *testing.B) {
	tokens, _ := repotest.Codecs(b)
	table := ddb.NewTable(b)
	fill(b, dynamo.NewStorage(table, tokens), shardedKinds, repotest.UUIDs(500, 1))
	ctx := context.Background()
	for _, n := range []int{4, 8, 16} {
		b.Run(fmt.Sprintf("S=%d", n), func(b *testing.B) {
			// Each side counts its own calls: Interleave runs both in one
			// loop.
			baseTable, baseAPI := counted(table)
			measTable, measAPI := counted(table)
			base := dynamo.NewStorage(baseTable, tokens).Open(kindOf(1).prototype, "")
			meas := dynamo.NewStorage(measTable, tokens).Open(kindOf(n).prototype, "")
			name, pages := fmt.Sprintf("S=%d", n), 0
			benchtest.Interleave(b, "S=1", name,
				func() error { return fullPage(base.List(ctx, kit.PageRequest{Size: 20})) },
				func() error { pages++; return fullPage(meas.List(ctx, kit.PageRequest{Size: 20})) })
			if pages == 0 {
				return
			}
			for _, side := range []struct {
				name string
				api  *countingAPI
			}{{"S=1", baseAPI}, {name, measAPI}} {
				queries, items := side.api.reset()
				b.ReportMetric(float64(queries)/float64(pages), side.name+"-queries/op")
				b.ReportMetric(float64(items)/float64(pages), side.name+"-items/op")
			}
		})
	}
}
