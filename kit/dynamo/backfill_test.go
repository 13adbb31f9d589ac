package dynamo_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// meddling is DynamoDB Local with a client racing the backfill: just
// before the first call of op, it makes write, a real write of its own.
type meddling struct {
	dynamo.API
	op    string // "UpdateItem" or "TransactWriteItems"
	write func()
	once  sync.Once
}

func (m *meddling) meddle(op string) {
	if op == m.op {
		m.once.Do(m.write)
	}
}

func (m *meddling) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	m.meddle("UpdateItem")
	return m.API.UpdateItem(ctx, in, opts...)
}

func (m *meddling) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	m.meddle("TransactWriteItems")
	return m.API.TransactWriteItems(ctx, in, opts...)
}

// backfillBench is a table, the storage a backfill runs on (through
// meddling when racing), and repositories on the table itself.
type backfillBench struct {
	t      *testing.T
	table  dynamo.Table
	plain  kit.Repository[repotest.OldBook]
	books  kit.Repository[repotest.Book]
	racing *meddling
}

func newBackfillBench(t *testing.T) *backfillBench {
	tokens, _ := repotest.Codecs(t)
	table := ddb.NewTable(t)
	s := dynamo.NewStorage(table, tokens)
	return &backfillBench{t: t, table: table, plain: kit.RepositoryOf[repotest.OldBook](s, ""), books: kit.RepositoryOf[repotest.Book](s, "")}
}

// race makes the next backfill meet write just before its first call of op.
func (b *backfillBench) race(op string, write func()) {
	b.racing = &meddling{API: b.table.API, op: op, write: write}
}

func (b *backfillBench) backfill() kit.BackfillReport {
	b.t.Helper()
	table := b.table
	if b.racing != nil {
		table.API = b.racing
	}
	tokens, _ := repotest.Codecs(b.t)
	r, err := dynamo.NewStorage(table, tokens).Backfill(context.Background(), repotest.Book{})
	if err != nil {
		b.t.Fatal(err)
	}
	return r
}

func (b *backfillBench) list(where map[string]string) []string {
	b.t.Helper()
	page, err := b.books.List(context.Background(), kit.PageRequest{Size: 10, Where: where})
	if err != nil {
		b.t.Fatalf("list %v: %v", where, err)
	}
	var ids []string
	for _, e := range page.Items {
		ids = append(ids, e.ID)
	}
	return ids
}

func (b *backfillBench) create(repo kit.Repository[repotest.OldBook], book repotest.OldBook) {
	b.t.Helper()
	if _, err := repo.Create(context.Background(), book); err != nil {
		b.t.Fatal(err)
	}
}

func (b *backfillBench) update(id string, patch kit.Patch) {
	b.t.Helper()
	if _, err := b.plain.Update(context.Background(), id, patch, kit.AnyVersion); err != nil {
		b.t.Fatal(err)
	}
}

func (b *backfillBench) get(id string) kit.Versioned[repotest.Book] {
	b.t.Helper()
	v, err := b.books.Get(context.Background(), id)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

const (
	book1 = "00000000-0000-7000-8000-000000000001"
	book2 = "00000000-0000-7000-8000-000000000002"
)

// A write between the backfill's read and its write wins: the backfill
// reads the item again and keys it by what that write left.
func TestBackfillKeepsARacingWrite(t *testing.T) {
	t.Parallel()
	b := newBackfillBench(t)
	b.create(b.plain, repotest.OldBook{ID: book1, Title: "one", Genre: "lamps"})
	b.race("UpdateItem", func() { b.update(book1, kit.Patch{Set: map[string]any{"genre": "rugs"}}) })
	if r := b.backfill(); r.Items != 1 || r.Keyed != 1 {
		t.Errorf("backfill read %d, keyed %d; want 1 and 1", r.Items, r.Keyed)
	}
	if got := b.list(map[string]string{"genre": "rugs"}); !slices.Equal(got, []string{book1}) {
		t.Errorf("genre=rugs: %v, want book 1, as the racing write left it", got)
	}
	if got := b.list(map[string]string{"genre": "lamps"}); len(got) != 0 {
		t.Errorf("genre=lamps: %v, want none: the racing write moved it", got)
	}
	if v := b.get(book1); v.Entity.Genre != "rugs" || v.Version != 2 {
		t.Errorf("book 1: genre %q v%d, want the racing write's rugs at v2", v.Entity.Genre, v.Version)
	}
}

// A value the item gives up between the read and the claim is not
// claimed for it: the claim commits with the check that the item is as
// read, so no claim outlives the value.
func TestBackfillClaimsOnlyWhatTheItemStillHolds(t *testing.T) {
	t.Parallel()
	b := newBackfillBench(t)
	b.create(b.plain, repotest.OldBook{ID: book1, Title: "one", ISBN: "OLD"})
	b.race("TransactWriteItems", func() { b.update(book1, kit.Patch{Set: map[string]any{"isbn": "NEW"}}) })
	if r := b.backfill(); r.Claimed != 1 || len(r.Conflicts) != 0 {
		t.Errorf("backfill claimed %d, conflicts %v; want 1 and none", r.Claimed, r.Conflicts)
	}
	if got := b.list(map[string]string{"isbn": "NEW"}); !slices.Equal(got, []string{book1}) {
		t.Errorf("isbn=NEW: %v, want book 1", got)
	}
	out, err := b.table.API.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(b.table.Name), Key: b.table.Schema.UniqueKey("BOOK", "isbn", "OLD"), ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item != nil {
		t.Errorf("the claim of the given-up value: %v, %v; want none", dynamo.Describe(out.Item), err)
	}
}

// A value another entity claims between the read and the claim stays
// that entity's, and is reported; the item still gets its pattern keys.
func TestBackfillLeavesARacingClaim(t *testing.T) {
	t.Parallel()
	b := newBackfillBench(t)
	b.create(b.plain, repotest.OldBook{ID: book1, Title: "one", Genre: "lamps", ISBN: "X"})
	b.race("TransactWriteItems", func() {
		if _, err := b.books.Create(context.Background(), repotest.Book{ID: book2, Title: "two", ISBN: "X"}); err != nil {
			t.Error(err)
		}
	})
	r := b.backfill()
	want := []kit.UniqueConflict{{ID: book1, Field: "isbn", Value: "X", Holder: book2}}
	if r.Keyed != 1 || r.Claimed != 0 || !slices.Equal(r.Conflicts, want) {
		t.Errorf("backfill keyed %d, claimed %d, conflicts %+v; want 1, 0, %+v", r.Keyed, r.Claimed, r.Conflicts, want)
	}
	if got := b.list(map[string]string{"isbn": "X"}); !slices.Equal(got, []string{book2}) {
		t.Errorf("isbn=X: %v, want book 2, which claimed it first", got)
	}
	if got := b.list(map[string]string{"genre": "lamps"}); !slices.Equal(got, []string{book1}) {
		t.Errorf("genre=lamps: %v, want book 1", got)
	}
}

// An instance still running the older declaration during a rollout
// updates a pattern's field without its keys, which then point at the old
// value; the backfill puts them right and keeps the write's version.
func TestBackfillRepairsKeysAnOlderWriterLeft(t *testing.T) {
	t.Parallel()
	b := newBackfillBench(t)
	if _, err := b.books.Create(context.Background(), repotest.Book{ID: book1, Title: "one", Genre: "lamps", Shelf: "A"}); err != nil {
		t.Fatal(err)
	}
	b.update(book1, kit.Patch{Set: map[string]any{"shelf": "B"}, Remove: []string{"genre"}})
	if got := b.list(map[string]string{"genre": "lamps"}); !slices.Equal(got, []string{book1}) {
		t.Fatalf("genre=lamps after the older writer: %v; the test needs the keys it left", got)
	}
	if r := b.backfill(); r.Keyed != 1 {
		t.Errorf("backfill keyed %d, want 1", r.Keyed)
	}
	for _, where := range []map[string]string{{"genre": "lamps"}, {"shelf": "A", "genre": "lamps"}} {
		if got := b.list(where); len(got) != 0 {
			t.Errorf("%v after the backfill: %v, want none", where, got)
		}
	}
	if v := b.get(book1); v.Version != 2 {
		t.Errorf("book 1 after the backfill: v%d, want v2, the older writer's", v.Version)
	}
	if r := b.backfill(); r.Wrote() != 0 {
		t.Errorf("a second backfill wrote %d, want 0", r.Wrote())
	}
}
