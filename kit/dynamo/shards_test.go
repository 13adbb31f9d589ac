package dynamo_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// countingAPI is a dynamo.API that counts the Queries made through it and
// the items they return: what a listing costs, in requests and in reads.
type countingAPI struct {
	dynamo.API
	queries, items atomic.Int64
}

// Query counts the call and its items, then returns what the wrapped API
// does.
func (c *countingAPI) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := c.API.Query(ctx, in, opts...)
	c.queries.Add(1)
	if out != nil {
		c.items.Add(int64(len(out.Items)))
	}
	return out, err
}

// reset returns the counts so far and starts again from zero.
func (c *countingAPI) reset() (queries, items int) {
	return int(c.queries.Swap(0)), int(c.items.Swap(0))
}

// counted returns table with its API wrapped in a countingAPI.
func counted(table dynamo.Table) (dynamo.Table, *countingAPI) {
	api := &countingAPI{API: table.API}
	table.API = api
	return table, api
}

// Notes of one shape in kinds of their own, one per shard count, so that
// the layouts compared share a table and differ in nothing else.
type (
	shard1Note  struct{ repotest.Note }
	shard4Note  struct{ repotest.Note }
	shard8Note  struct{ repotest.Note }
	shard16Note struct{ repotest.Note }
)

// EntityKind and ListShards: the kind SHARD1, with one shard.
func (shard1Note) EntityKind() string     { return "SHARD1" }
func (shard1Note) ListShards() kit.Shards { return kit.Shards{Now: 1} }

// EntityKind and ListShards: the kind SHARD4, with 4 shards.
func (shard4Note) EntityKind() string     { return "SHARD4" }
func (shard4Note) ListShards() kit.Shards { return kit.Shards{Now: 4} }

// EntityKind and ListShards: the kind SHARD8, with 8 shards.
func (shard8Note) EntityKind() string     { return "SHARD8" }
func (shard8Note) ListShards() kit.Shards { return kit.Shards{Now: 8} }

// EntityKind and ListShards: the kind SHARD16, with 16 shards.
func (shard16Note) EntityKind() string     { return "SHARD16" }
func (shard16Note) ListShards() kit.Shards { return kit.Shards{Now: 16} }

// shardedKind is one of those kinds: its prototype, and how to make one of
// its entities from a Note.
type shardedKind struct {
	prototype kit.Sharded
	entity    func(repotest.Note) kit.Entity
}

func (k shardedKind) shards() int { return k.prototype.ListShards().Now }

var shardedKinds = []shardedKind{
	{shard1Note{}, func(n repotest.Note) kit.Entity { return shard1Note{n} }},
	{shard4Note{}, func(n repotest.Note) kit.Entity { return shard4Note{n} }},
	{shard8Note{}, func(n repotest.Note) kit.Entity { return shard8Note{n} }},
	{shard16Note{}, func(n repotest.Note) kit.Entity { return shard16Note{n} }},
}

// kindOf returns the kind with n shards.
func kindOf(n int) shardedKind {
	i := slices.IndexFunc(shardedKinds, func(k shardedKind) bool { return k.shards() == n })
	return shardedKinds[i]
}

// fill creates an entity of every kind for every id, in parallel.
func fill(tb testing.TB, s *dynamo.Storage, kinds []shardedKind, ids []string) {
	tb.Helper()
	repotest.Parallel(tb, len(kinds)*len(ids), func(i int) error {
		kind, n := kinds[i/len(ids)], i%len(ids)
		note := repotest.Note{ID: ids[n], Name: "note", Status: "open", Size: n, Data: []string{"a", "b"}}
		_, err := s.Open(kind.prototype, "").Create(context.Background(), kind.entity(note))
		return err
	})
}

// mergeCost is what the merge's rule (merge.go) costs to read a page of
// want items from shards holding the given positions, each sorted: every
// shard is queried at once for an even share of the page and one more;
// afterwards a shard that has run out, and is not known to be done, is
// queried again for what the page lacked before the item that emptied it
// was taken (what it still lacks, and one more). A Query that stops at its
// Limit returns a LastEvaluatedKey even when nothing follows, so a shard
// is known to be done only once a Query returns less than it asked for.
func mergeCost(shards [][]string, want int) (queries, items int) {
	type state struct {
		rest, buf []string
		done      bool
	}
	st := make([]state, len(shards))
	for i, s := range shards {
		st[i].rest = s
	}
	limit := share(want, len(shards))
	for out := 0; out < want; out++ {
		for i := range st {
			if s := &st[i]; len(s.buf) == 0 && !s.done {
				n := min(limit, len(s.rest))
				s.buf, s.rest, s.done = s.rest[:n], s.rest[n:], n < limit
				queries, items = queries+1, items+n
			}
		}
		limit = want - out
		next := -1
		for i, s := range st {
			if len(s.buf) > 0 && (next < 0 || s.buf[0] < st[next].buf[0]) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		st[next].buf = st[next].buf[1:]
	}
	return queries, items
}

// share is the merge's first read of each of n shards for a page of want:
// the page itself for one shard; for more, the even share and two standard
// deviations more (merge.go's firstShare).
func share(want, n int) int {
	if n <= 1 {
		return want
	}
	even := (want + n - 1) / n
	return even + int(math.Ceil(2*math.Sqrt(float64(even))))
}

// TestMergeCostModel pins the model TestShardedPageCost holds the adapter
// to, on spreads small enough to follow by hand.
func TestMergeCostModel(t *testing.T) {
	for _, tc := range []struct {
		name           string
		shards         [][]string
		want           int
		queries, items int
	}{
		// One shard: one Query of the page, want.
		{"one shard", [][]string{{"a", "b", "c", "d", "e"}}, 3, 1, 3},
		{"one short shard", [][]string{{"a", "b"}}, 3, 1, 2},
		// Two shards: 2 + ceil(2*sqrt(2)) = 5 from each; both end sooner.
		{"even", [][]string{{"a", "c", "e", "g"}, {"b", "d", "f", "h"}}, 4, 2, 8},
		// Every item of the page in the first shard: its share covers it.
		{"skewed", [][]string{{"a", "b", "c", "d", "e"}, {"x", "y", "z", "zz"}}, 4, 2, 9},
		// A shard that holds more of the page than its share is read
		// again, for what the page still lacks: with 4 shards the share is
		// 2 + ceil(2*sqrt(2)) = 5, and after a..e the page lacks 3.
		{"skewed past the share", [][]string{{"a", "b", "c", "d", "e", "f", "g", "h"}, {"x"}, {"y"}, {"z"}}, 8, 5, 11},
		{"one full shard", [][]string{{"a", "b", "c"}, {}}, 4, 2, 3},
		{"empty", [][]string{{}, {}, {}}, 4, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if q, n := mergeCost(tc.shards, tc.want); q != tc.queries || n != tc.items {
				t.Errorf("mergeCost = %d queries, %d items; want %d, %d", q, n, tc.queries, tc.items)
			}
		})
	}
}

// TestShardedPageCost measures what one page of a sharded listing reads,
// Queries and items, for several shard counts and page sizes, on the first
// page and on one from the middle of the listing, and holds it to the
// merge's rule (see mergeCost). It does so for two spreads of ids over the
// shards: test ids that differ only in their last digits, which FNV-1a
// deals out almost in turn, and UUIDv7 ids with random tails, which land
// as a real kind's do: some shard then often holds more than its share of
// a page and is read again.
func TestShardedPageCost(t *testing.T) {
	const count = 1000
	for _, spread := range []struct {
		name string
		ids  []string
	}{
		{"even", sequential(count)},
		{"UUIDv7", repotest.UUIDs(count, 1)},
	} {
		t.Run(spread.name, func(t *testing.T) {
			t.Parallel()
			report := pageCosts(t, spread.ids)
			t.Logf("page cost, %d items of a kind, %s spread:\n%s", count, spread.name, report)
		})
	}
}

// pageCosts fills a kind of every shard count with an item for each id,
// reads a first and a middle page of each, and returns a table of what
// each read cost.
func pageCosts(t *testing.T, ids []string) string {
	tokens, _ := repotest.Codecs(t)
	table, api := counted(ddb.NewTable(t))
	s := dynamo.NewStorage(table, tokens)
	fill(t, s, shardedKinds, ids)
	var report strings.Builder
	fmt.Fprintf(&report, "%3s %5s %-6s %7s %10s %9s %9s %9s\n", "S", "size", "page", "queries", "items read", "S*share", "size+1+S", "refetches")
	for _, kind := range shardedKinds {
		for _, size := range []int{20, 100} {
			for _, page := range []struct {
				name  string
				after int // items before the page
			}{{"first", 0}, {"middle", len(ids) / 2}} {
				n := kind.shards()
				t.Run(fmt.Sprintf("S=%d/size=%d/%s", n, size, page.name), func(t *testing.T) {
					ctx := context.Background()
					repo := s.Open(kind.prototype, "")
					token := ""
					if page.after > 0 {
						before, err := repo.List(ctx, kit.PageRequest{Size: page.after})
						if err != nil {
							t.Fatal(err)
						}
						token = before.Next
					}
					api.reset()
					got, err := repo.List(ctx, kit.PageRequest{Size: size, Token: token})
					queries, items := api.reset()
					if err != nil {
						t.Fatal(err)
					}
					if len(got.Items) != size || got.Items[0].EntityID() != ids[page.after] || got.Next == "" {
						t.Fatalf("page of %d, next %q; want %d from %s and a token", len(got.Items), got.Next, size, ids[page.after])
					}
					rest := shardsOf(kind.prototype.EntityKind(), n, ids[page.after:])
					want := size + 1 // a page reads one more, to know if another follows
					share := share(want, n)
					for i, r := range rest {
						if len(r) < share {
							t.Fatalf("shard %d holds %d items from the page on, fewer than its share %d", i, len(r), share)
						}
					}
					fmt.Fprintf(&report, "%3d %5d %-6s %7d %10d %9d %9d %9d\n", n, size, page.name, queries, items, n*share, want+n, queries-n)
					if wantQueries, wantItems := mergeCost(rest, want); queries != wantQueries || items != wantItems {
						t.Errorf("%d queries read %d items; the merge's rule reads %d in %d", queries, items, wantItems, wantQueries)
					}
					// Every shard holds at least its share, so the first
					// round is one Query and one share per shard; only a
					// shard that runs out is read again.
					if queries < n || items < n*share {
						t.Errorf("%d queries read %d items; want at least %d of %d each", queries, items, n, share)
					}
					if queries == n && items != n*share {
						t.Errorf("no shard was read twice, yet %d items were read; want %d shares of %d", items, n, share)
					}
				})
			}
		}
	}
	return report.String()
}

// shardsOf deals positions out to the n shards of kind, keeping their
// order: what each shard's Query returns.
func shardsOf(kind string, n int, positions []string) [][]string {
	out := make([][]string, n)
	for _, p := range positions {
		i := 0
		if _, num, ok := strings.Cut(kit.Partition(kind, p, n), "#"); ok {
			i, _ = strconv.Atoi(num)
		}
		out[i] = append(out[i], p)
	}
	return out
}

// sequential returns count ids that differ only in their last digits, like
// the contract suite's.
func sequential(count int) []string {
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("00000000-0000-7000-8000-%012d", i+1)
	}
	return out
}
