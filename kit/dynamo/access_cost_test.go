package dynamo_test

import (
	"context"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// TestAccessCost measures what declared access costs a write and a read,
// on the contract's Book (listed, patterns by genre and by shelf and genre,
// a unique isbn, an owner), as DynamoDB Local reports it: a write without
// a unique value is the plain write it always was, the pattern index's
// write aside; with one it is a transaction with the value's claim; a
// change of the value reads the item first and releases the old one in
// the same transaction.
func TestAccessCost(t *testing.T) {
	ctx := kit.WithRequestInfo(context.Background(), kit.RequestInfo{Caller: "arn:aws:iam::123456789012:user/alice"})
	m := &metered{API: ddb.Client()}
	table := ddb.NewTable(t)
	table.API = m
	codec, _ := repotest.Codecs(t)
	books := kit.RepositoryOf[repotest.Book](dynamo.NewStorage(table, codec), "")
	ids := repotest.UUIDs(20, 1)
	book := func(i int, genre, isbn string) repotest.Book {
		return repotest.Book{ID: ids[i], Title: "Lamps", Genre: genre, ISBN: isbn, Owner: "arn:aws:iam::123456789012:user/alice"}
	}
	set := func(id string, fields map[string]any) func() error {
		return func() error { _, err := books.Update(ctx, id, kit.Patch{Set: fields}, kit.AnyVersion); return err }
	}
	create := func(b repotest.Book) func() error {
		return func() error { _, err := books.Create(ctx, b); return err }
	}
	costs := []struct {
		op string
		c  cost
	}{
		{"create, no pattern, no unique value", m.measure(t, create(book(0, "", "")))},
		{"create in a pattern", m.measure(t, create(book(1, "lamps", "")))},
		{"create with a unique value", m.measure(t, create(book(2, "", "ISBN-2")))},
		{"update of another field", m.measure(t, set(ids[2], map[string]any{"title": "Rugs"}))},
		// The genre is part of the shelf-and-genre pattern too, whose other
		// parts only the item knows: this update reads it first.
		{"update moving the patterns", m.measure(t, set(ids[1], map[string]any{"genre": "rugs"}))},
		{"update changing the unique value", m.measure(t, set(ids[2], map[string]any{"isbn": "ISBN-3"}))},
		{"delete without a unique value", m.measure(t, func() error { return books.Delete(ctx, ids[0], kit.AnyVersion) })},
		{"delete with a unique value", m.measure(t, func() error { return books.Delete(ctx, ids[2], kit.AnyVersion) })},
	}
	for i := 3; i < 13; i++ {
		if _, err := books.Create(ctx, book(i, "rugs", "")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := books.Create(ctx, book(13, "", "ISBN-13")); err != nil {
		t.Fatal(err)
	}
	list := func(where map[string]string) func() error {
		return func() error { _, err := books.List(ctx, kit.PageRequest{Size: 10, Where: where}); return err }
	}
	costs = append(costs,
		struct {
			op string
			c  cost
		}{"page of 10 by pattern", m.measure(t, list(map[string]string{"genre": "rugs"}))},
		struct {
			op string
			c  cost
		}{"lookup by unique value", m.measure(t, list(map[string]string{"isbn": "ISBN-13"}))},
	)
	byOp := map[string]cost{}
	for _, c := range costs {
		byOp[c.op] = c.c
		t.Logf("%-34s Local %4.1f WCU %4.1f RCU, %d items (%d in transactions), billed %d WCU", c.op, c.c.wcu, c.c.rcu, c.c.plain+c.c.txItems, c.c.txItems, c.c.billed())
	}
	for _, tc := range []struct {
		op             string
		plain, txItems int
	}{
		{"create, no pattern, no unique value", 1, 0},
		{"create in a pattern", 1, 0},
		{"create with a unique value", 0, 2},
		{"update of another field", 1, 0},
		{"update moving the patterns", 1, 0},
		{"update changing the unique value", 0, 3},
		{"delete without a unique value", 0, 2},
		{"delete with a unique value", 0, 3},
	} {
		if c := byOp[tc.op]; c.plain != tc.plain || c.txItems != tc.txItems {
			t.Errorf("%s wrote %d plain items and %d in transactions, want %d and %d", tc.op, c.plain, c.txItems, tc.plain, tc.txItems)
		}
	}
	if c := byOp["create in a pattern"]; c.wcu <= byOp["create, no pattern, no unique value"].wcu {
		t.Errorf("a create in a pattern cost %.1f WCU, no more than one in none: is the pattern index written?", c.wcu)
	}
	if c := byOp["update moving the patterns"]; c.rcu == 0 {
		t.Error("a move of a composite pattern read nothing: how did it learn the shelf?")
	}
	if c := byOp["update changing the unique value"]; c.rcu == 0 {
		t.Error("a change of a unique value read nothing: how did it learn the old value?")
	}
	if c := byOp["page of 10 by pattern"]; c.rcu == 0 || c.rcu > 1 {
		t.Errorf("a page of 10 small items by pattern cost %.1f RCU, want one Query's worth (0.5)", c.rcu)
	}
}
