package repotest

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
)

// Note8 is a Note of the same kind whose listing is spread over 8 shards:
// the same items, under the layout of a kind written faster than one
// partition of the listing index takes.
type Note8 struct{ Note }

// ListShards implements kit.Sharded.
func (Note8) ListShards() kit.Shards { return kit.Shards{Now: 8} }

// note8After1 is the Note kind while it moves from one shard to 8: writes
// go to 8 shards, and listings still read the bare kind that every item
// written before holds.
type note8After1 struct{ Note }

// ListShards implements kit.Sharded.
func (note8After1) ListShards() kit.Shards { return kit.Shards{Now: 8, Before: []int{1}} }

// noteLayout is a Note under another listing layout: a struct that only
// embeds Note, so it converts to and from one.
type noteLayout interface {
	kit.Entity
	~struct{ Note }
}

// asNotes lets a repository of a Note under another layout stand in for
// a kit.Repository[Note], so that every test written for Note runs on it.
func asNotes[T noteLayout](repo kit.Repository[T]) kit.Repository[Note] {
	return notes[T]{repo}
}

// notes is the adapter asNotes returns: T{n} on the way in, .Note on the
// way out.
type notes[T noteLayout] struct{ repo kit.Repository[T] }

func unwrap[T noteLayout](v kit.Versioned[T], err error) (kit.Versioned[Note], error) {
	return kit.Versioned[Note]{Entity: struct{ Note }(v.Entity).Note, Version: v.Version, Revision: v.Revision}, err
}

// Get implements kit.Repository.
func (r notes[T]) Get(ctx context.Context, id string) (kit.Versioned[Note], error) {
	return unwrap(r.repo.Get(ctx, id))
}

// Create implements kit.Repository.
func (r notes[T]) Create(ctx context.Context, n Note) (kit.Versioned[Note], error) {
	return unwrap(r.repo.Create(ctx, T{n}))
}

// Update implements kit.Repository.
func (r notes[T]) Update(ctx context.Context, id string, patch kit.Patch, expect kit.Version) (kit.Versioned[Note], error) {
	return unwrap(r.repo.Update(ctx, id, patch, expect))
}

// Delete implements kit.Repository.
func (r notes[T]) Delete(ctx context.Context, id string, expect kit.Version) error {
	return r.repo.Delete(ctx, id, expect)
}

// List implements kit.Repository.
func (r notes[T]) List(ctx context.Context, req kit.PageRequest) (kit.Page[Note], error) {
	page, err := r.repo.List(ctx, req)
	out := kit.Page[Note]{Items: make([]Note, len(page.Items)), Next: page.Next}
	for i, n := range page.Items {
		out.Items[i] = struct{ Note }(n).Note
	}
	return out, err
}

// runShards runs the tests of sharded listings and of changing a kind's
// layout, each on a fresh store. Their names carry the layouts involved.
func runShards(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"ConcurrentWritesPageOut/S=8", testConcurrentWritesPageOut},
		{"LayoutChangeLosesNothing/S=1to8", testLayoutChange},
		{"TokensCrossLayouts/S=1and8", testTokensCrossLayouts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// testConcurrentWritesPageOut fills 8 shards from 8 writers at once, so
// the shards fill in no particular order, and checks that the merged
// listing is still the one an unsharded kind gives: complete, in id order,
// every page full but the last. The ids are UUIDv7 with random tails, so
// that, as in production, a shard often holds more than its share of a
// page and the merge must read it again. A page of 7 is smaller than the 8
// shards, so most shards add nothing to a given page.
func testConcurrentWritesPageOut(t *testing.T, s Store) {
	const count = 1000
	repo := asNotes(kit.RepositoryOf[Note8](s.Storage, ""))
	want := UUIDs(count, 8)
	Parallel(t, count, func(i int) error {
		n := note(i)
		n.ID = want[i]
		_, err := repo.Create(ctx(t), n)
		return err
	})
	slices.Sort(want)
	for _, size := range []int{100, 7} {
		t.Run(fmt.Sprintf("size=%d", size), func(t *testing.T) {
			_, pages := wantListing(t, repo, size, "", want)
			if want := (count + size - 1) / size; pages != want {
				t.Errorf("%d notes in pages of %d took %d pages, want %d", count, size, pages, want)
			}
		})
	}
}

// UUIDs returns count UUIDv7 ids in id order, as a busy kind mints them:
// one a millisecond, with random tails, so that they land in shards as in
// production; from seed, so that a failure repeats.
func UUIDs(count int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, seed))
	out := make([]string, count)
	for i := range out {
		var b [16]byte
		binary.BigEndian.PutUint64(b[8:], r.Uint64())
		binary.BigEndian.PutUint64(b[:8], uint64(1_764_342_245_000+i)<<16|r.Uint64()&0xffff)
		b[6] = 0x70 | b[6]&0x0f
		b[8] = 0x80 | b[8]&0x3f
		out[i] = kit.FormatUUID(b)
	}
	return out
}

// testLayoutChange moves the Note kind from one shard to 8 the way a
// deployment would: first a layout that writes to 8 and still reads the
// old one, then Reshard, then the layout of 8 alone. No listing along the
// way may lose an item.
func testLayoutChange(t *testing.T, s Store) {
	one := kit.RepositoryOf[Note](s.Storage, "")
	moving := asNotes(kit.RepositoryOf[note8After1](s.Storage, ""))
	eight := asNotes(kit.RepositoryOf[Note8](s.Storage, ""))
	createNotesFrom(t, one, 1, 30)
	t.Run("S=8+1 reads what S=1 wrote", func(t *testing.T) {
		wantListing(t, moving, 7, "", ids(1, 30))
	})
	createNotesFrom(t, moving, 31, 30)
	t.Run("S=8+1 reads both layouts", func(t *testing.T) {
		wantListing(t, moving, 7, "", ids(1, 60))
	})
	// A layout reads only the partitions it declares: this is why a
	// change of Now keeps the old number in Before until Reshard has run.
	t.Run("S=1 misses what S=8 wrote", func(t *testing.T) {
		wantListing(t, one, 7, "", ids(1, 30))
	})
	t.Run("S=8 without Before misses what S=1 wrote", func(t *testing.T) {
		wantListing(t, eight, 7, "", ids(31, 30))
	})
	moved, err := s.Storage.Reshard(ctx(t), note8After1{})
	if err != nil || moved != 30 {
		t.Fatalf("Reshard moved %d, %v; want the 30 notes written with one shard", moved, err)
	}
	t.Run("S=8 after Reshard", func(t *testing.T) {
		wantListing(t, eight, 7, "", ids(1, 60))
	})
	t.Run("S=1 after Reshard", func(t *testing.T) {
		wantListing(t, one, 7, "", nil)
	})
	for _, prototype := range []kit.Entity{note8After1{}, Note8{}} {
		if moved, err := s.Storage.Reshard(ctx(t), prototype); err != nil || moved != 0 {
			t.Errorf("Reshard again with %T moved %d, %v; want 0", prototype, moved, err)
		}
	}
	// Moving an item between shards is not a change of the entity: its
	// version, and so its ETag, stays.
	got, err := eight.Get(ctx(t), id(1))
	if err != nil || got.Version != 1 || !equalNote(got.Entity, note(1)) {
		t.Errorf("a moved note reads %+v v%d, %v; want note 1 at v1", got.Entity, got.Version, err)
	}
}

// testTokensCrossLayouts checks that a token names a place in the kind's
// listing, not in a layout: one listing may go on under another layout,
// as it does when a deployment changing Now rolls out between two pages.
func testTokensCrossLayouts(t *testing.T, s Store) {
	one := kit.RepositoryOf[Note](s.Storage, "")
	moving := asNotes(kit.RepositoryOf[note8After1](s.Storage, ""))
	// Odd ids in the bare kind, even ids in the 8 shards: every page of
	// the merged listing mixes the two layouts.
	Parallel(t, 60, func(i int) error {
		repo := one
		if i%2 == 1 {
			repo = moving
		}
		_, err := repo.Create(ctx(t), note(i+1))
		return err
	})
	var odd []string
	for n := 1; n <= 60; n += 2 {
		odd = append(odd, id(n))
	}
	for _, tc := range []struct {
		name        string
		first, then kit.Repository[Note]
		page1, rest []string
	}{
		{"S=1 token on S=8+1", one, moving, odd[:10], ids(20, 41)},
		{"S=8+1 token on S=1", moving, one, ids(1, 10), odd[5:]},
		{"S=8+1 token on S=8+1", moving, moving, ids(1, 10), ids(11, 50)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, err := tc.first.List(ctx(t), kit.PageRequest{Size: 10})
			if err != nil || first.Next == "" {
				t.Fatalf("first page: %v, next %q", err, first.Next)
			}
			if got := noteIDs(first.Items); !slices.Equal(got, tc.page1) {
				t.Fatalf("first page = %v, want %v", got, tc.page1)
			}
			wantListing(t, tc.then, 7, first.Next, tc.rest)
		})
	}
}

// ids returns the ids of count notes from note from on, in listing order.
func ids(from, count int) []string {
	out := make([]string, count)
	for i := range out {
		out[i] = id(from + i)
	}
	return out
}

func noteIDs(notes []Note) []string {
	out := make([]string, len(notes))
	for i, n := range notes {
		out[i] = n.ID
	}
	return out
}

// createNotesFrom creates count notes from note from on, in parallel.
func createNotesFrom(t *testing.T, repo kit.Repository[Note], from, count int) {
	t.Helper()
	Parallel(t, count, func(i int) error {
		_, err := repo.Create(ctx(t), note(from+i))
		return err
	})
}

// wantListing pages through repo from token on and fails t unless the
// listing is exactly want, every page full but the last.
func wantListing(t *testing.T, repo kit.Repository[Note], size int, token string, want []string) (got []string, pages int) {
	t.Helper()
	got, pages = listFrom(t, repo, size, token)
	if slices.Equal(got, want) {
		return got, pages
	}
	i := 0
	for i < min(len(got), len(want)) && got[i] == want[i] {
		i++
	}
	t.Fatalf("listed %d notes in pages of %d, want %d; they differ from item %d on:\n got %v\nwant %v",
		len(got), size, len(want), i, got[i:min(len(got), i+5)], want[i:min(len(want), i+5)])
	return got, pages
}
