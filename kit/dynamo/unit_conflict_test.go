package dynamo_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// TestUnitRetriesTransactionConflicts: a unit of work's transaction that
// DynamoDB cancels only because another transaction held one of its items
// is tried again, as the repository's own transactions are, so a custom
// operation's handler needs no retry of its own; one that keeps
// conflicting is ErrUnavailable (503), never a condition's failure.
func TestUnitRetriesTransactionConflicts(t *testing.T) {
	ctx := context.Background()
	table := ddb.NewTable(t)
	api := &conflicting{API: table.API, op: "TransactWriteItems", err: canceled("None", "TransactionConflict")}
	table.API = api
	codec, _ := repotest.Codecs(t)
	s := dynamo.NewStorage(table, codec)
	ids := repotest.UUIDs(3, 1)
	notes := kit.RepositoryOf[repotest.Note](s, "")
	if _, err := notes.Create(ctx, repotest.Note{ID: ids[0], Name: "counted"}); err != nil {
		t.Fatal(err)
	}
	unit := func(comment string) kit.Unit {
		u := s.Begin()
		u.Create(repotest.Comment{ID: comment, Text: "hi"}, ids[0])
		u.Update(repotest.Note{}, "", ids[0], kit.Patch{Add: map[string]int64{"size": 1}}, kit.AnyVersion)
		return u
	}

	api.failures.Store(2)
	if err := unit(ids[1]).Commit(ctx); err != nil {
		t.Fatalf("a unit after two conflicts: %v", err)
	}
	if n := api.calls.Load(); n != 3 {
		t.Errorf("%d transactions, want 3: two conflicts tried again, then the commit", n)
	}
	if got, err := notes.Get(ctx, ids[0]); err != nil || got.Entity.Size != 1 {
		t.Errorf("size %d (%v), want 1: the unit committed once", got.Entity.Size, err)
	}

	api.failures.Store(1 << 20)
	err := unit(ids[2]).Commit(ctx)
	var ue *kit.UnitError
	if !errors.Is(err, kit.ErrUnavailable) || errors.As(err, &ue) {
		t.Errorf("a unit that always conflicts: %v, want ErrUnavailable and no operation's failure", err)
	}
}
