package kit_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

func TestPartition(t *testing.T) {
	const id = "0190b5a4-1c2d-7e3f-9a4b-5c6d7e8f9a0b"
	for _, tc := range []struct {
		name     string
		position string
		n        int
		want     string
	}{
		// One shard keeps the layout unsharded kinds always had, so
		// declaring Shards{Now: 1} moves nothing.
		{"one shard is the kind", id, 1, "NOTE"},
		{"zero shards is one", id, 0, "NOTE"},
		{"negative shards is one", id, -2, "NOTE"},
		{"one shard, empty position", "", 1, "NOTE"},
		// The partition is stored with every item: if the function ever
		// changed, listings would still find everything (they read every
		// shard), but Reshard would move every item of every sharded kind.
		// These pin FNV-1a, whose value for id is 2861660428.
		{"8 shards", id, 8, "NOTE#4"},
		{"16 shards", id, 16, "NOTE#12"},
		{"3 shards", id, 3, "NOTE#1"},
		{"a listed child's position", "parent/child", 8, "NOTE#4"},
		{"a test id", "00000000-0000-7000-8000-000000000001", 8, "NOTE#1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := kit.Partition("NOTE", tc.position, tc.n); got != tc.want {
				t.Errorf("Partition(NOTE, %q, %d) = %q, want %q", tc.position, tc.n, got, tc.want)
			}
		})
	}
}

// TestPartitionRange checks that n shards use exactly KIND#0 to KIND#n-1,
// every one of them, and that a position's shard never changes between
// calls: an item is written to it and later looked for in it.
func TestPartitionRange(t *testing.T) {
	positions := repotest.UUIDs(2000, 7)
	for _, n := range []int{2, 3, 4, 8, 16, 32} {
		t.Run(fmt.Sprintf("S=%d", n), func(t *testing.T) {
			want := map[string]bool{}
			for i := range n {
				want["KIND#"+strconv.Itoa(i)] = true
			}
			seen := map[string]bool{}
			for _, p := range positions {
				got := kit.Partition("KIND", p, n)
				if !want[got] {
					t.Fatalf("Partition(KIND, %q, %d) = %q, not one of KIND#0..%d", p, n, got, n-1)
				}
				if again := kit.Partition("KIND", p, n); again != got {
					t.Fatalf("Partition(KIND, %q, %d) is %q, then %q", p, n, got, again)
				}
				seen[got] = true
			}
			if len(seen) != n {
				t.Errorf("%d positions reached %d of %d shards", len(positions), len(seen), n)
			}
		})
	}
}

// TestPartitionSpread checks that the hash spreads time-ordered ids evenly:
// a skewed shard takes more than its share of the writes, the very limit
// sharding is there to lift.
func TestPartitionSpread(t *testing.T) {
	const count, tolerance = 10_000, 0.15
	for _, tc := range []struct {
		name      string
		n         int
		positions []string
	}{
		{"UUIDv7", 8, repotest.UUIDs(count, 7)},
		{"UUIDv7", 16, repotest.UUIDs(count, 7)},
		{"sequential", 8, sequential(count)},
	} {
		t.Run(fmt.Sprintf("%s/S=%d", tc.name, tc.n), func(t *testing.T) {
			counts := map[string]int{}
			for _, p := range tc.positions {
				counts[kit.Partition("KIND", p, tc.n)]++
			}
			mean := float64(len(tc.positions)) / float64(tc.n)
			for i := range tc.n {
				p := "KIND#" + strconv.Itoa(i)
				if c := float64(counts[p]); c < mean*(1-tolerance) || c > mean*(1+tolerance) {
					t.Errorf("%s holds %d of %d positions; want %.0f ± %.0f%%", p, counts[p], len(tc.positions), mean, tolerance*100)
				}
			}
		})
	}
}

// sequential returns ids that differ only in their last digits, like the
// contract suite's.
func sequential(count int) []string {
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("00000000-0000-7000-8000-%012d", i+1)
	}
	return out
}

func TestShardsPartitions(t *testing.T) {
	shards := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, "NOTE#"+strconv.Itoa(i))
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		shards kit.Shards
		want   []string
	}{
		{"zero value is one shard", kit.Shards{}, []string{"NOTE"}},
		{"one shard", kit.Shards{Now: 1}, []string{"NOTE"}},
		{"negative is one shard", kit.Shards{Now: -1}, []string{"NOTE"}},
		{"8 shards", kit.Shards{Now: 8}, shards(8)},
		// Moving from one shard to eight: the bare kind still holds the
		// items written before, so it is read too.
		{"8 after 1", kit.Shards{Now: 8, Before: []int{1}}, append(shards(8), "NOTE")},
		// KIND#0..3 of four shards are KIND#0..3 of eight: read once.
		{"8 after 4", kit.Shards{Now: 8, Before: []int{4}}, shards(8)},
		{"4 after 8", kit.Shards{Now: 4, Before: []int{8}}, shards(8)},
		{"1 after 8", kit.Shards{Now: 1, Before: []int{8}}, append([]string{"NOTE"}, shards(8)...)},
		{"0 after 1", kit.Shards{Now: 0, Before: []int{1, 0}}, []string{"NOTE"}},
		{"16 after 8 after 1", kit.Shards{Now: 16, Before: []int{8, 1}}, append(shards(16), "NOTE")},
		{"same number twice", kit.Shards{Now: 8, Before: []int{8}}, shards(8)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.shards.Partitions("NOTE")
			if !slices.Equal(got, tc.want) {
				t.Errorf("%+v.Partitions(NOTE) = %v, want %v", tc.shards, got, tc.want)
			}
			seen := map[string]bool{}
			for _, p := range got {
				if seen[p] {
					t.Errorf("%s is read twice", p)
				}
				seen[p] = true
			}
		})
	}
}

// TestShardsPartitionsHoldEveryPartition checks the promise listings rely
// on: whichever declared layout an item was written with, its partition is
// among those read.
func TestShardsPartitionsHoldEveryPartition(t *testing.T) {
	s := kit.Shards{Now: 8, Before: []int{1, 3, 16}}
	read := map[string]bool{}
	for _, p := range s.Partitions("NOTE") {
		read[p] = true
	}
	for _, n := range append([]int{s.Now}, s.Before...) {
		for _, pos := range repotest.UUIDs(500, 7) {
			if p := kit.Partition("NOTE", pos, n); !read[p] {
				t.Fatalf("an item written with %d shards is in %s, which %+v does not read", n, p, s)
			}
		}
	}
	if got := len(read); got != 17 {
		t.Errorf("%+v reads %d partitions, want 17 (16 shards, which cover 3's and 8's, and the kind)", s, got)
	}
}

func TestShardsOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		entity kit.Entity
		want   kit.Shards
	}{
		{"an entity that is not Sharded has one shard", plain{}, kit.Shards{Now: 1}},
		{"a Sharded entity's own layout", sharded{}, kit.Shards{Now: 8, Before: []int{1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := kit.ShardsOf(tc.entity)
			if got.Now != tc.want.Now || !slices.Equal(got.Before, tc.want.Before) {
				t.Errorf("ShardsOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// plain is an entity that is not kit.Sharded.
type plain struct{}

// EntityKind and EntityID implement kit.Entity.
func (plain) EntityKind() string { return "PLAIN" }
func (plain) EntityID() string   { return "" }

// sharded is a kit.Sharded entity moving from one shard to 8.
type sharded struct{ plain }

// ListShards implements kit.Sharded.
func (sharded) ListShards() kit.Shards { return kit.Shards{Now: 8, Before: []int{1}} }
