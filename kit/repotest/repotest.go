// Package repotest is the contract every kit.Repository adapter must keep,
// written once and run against each adapter (memory and DynamoDB Local), so
// the adapters cannot drift apart.
package repotest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/event"
)

// Note is the entity the suite stores. Its attribute names include
// DynamoDB reserved words (name, status, size, data) on purpose.
type Note struct {
	ID     string    `json:"id"`
	Name   string    `json:"name"`
	Status string    `json:"status,omitempty"`
	Size   int       `json:"size"`
	Data   []string  `json:"data,omitempty"`
	At     time.Time `json:"at"`
}

// EntityKind implements kit.Entity.
func (Note) EntityKind() string { return "NOTE" }

// EntityID implements kit.Entity.
func (n Note) EntityID() string { return n.ID }

// Tag is a second kind that shares the store with Note, to prove that kinds
// never see each other's items.
type Tag struct {
	ID    string `json:"id"`
	Label string `json:"label"`
}

// EntityKind implements kit.Entity.
func (Tag) EntityKind() string { return "TAG" }

// EntityID implements kit.Entity.
func (t Tag) EntityID() string { return t.ID }

// Storage is what the suite needs of an adapter: the kit.Storage port;
// Reshard, which moves a kind's listed items to the shards of its current
// layout (kit.Shards); and Backfill, which gives a kind's stored items the
// pattern keys and unique claims its declaration asks for now.
type Storage interface {
	kit.Storage
	Reshard(ctx context.Context, prototype kit.Entity) (int, error)
	Backfill(ctx context.Context, prototype kit.Entity) (kit.BackfillReport, error)
}

// Store is a fresh, empty store for one subtest: repositories of each kind
// over the same storage, a second Note repository over the same data
// whose paging tokens are signed with another key, and what the suite
// observes of the store beyond its answers.
type Store struct {
	Storage    Storage
	Notes      kit.Repository[Note]
	Tags       kit.Repository[Tag]
	ForeignKey kit.Repository[Note]
	Observer
	// foreign is the storage ForeignKey is opened on, kept so that the
	// suite can open it again with another layout.
	foreign kit.Storage
}

// Observer is how the suite sees what a store did, as the rest of a
// service would: the events its writes raised, and the items it holds.
type Observer struct {
	// Events returns the events the store raised since the last call, as
	// the event function derives them from the store's stream with
	// Catalog's declarations, in the order the stream delivers them.
	Events func(tb testing.TB) []event.Event
	// Snapshot lists every item the store holds, in a fixed order, so that
	// a test can tell that a refused write changed nothing.
	Snapshot func(tb testing.TB) []string
}

// NewStore opens the suite's repositories on storage, and on foreign: the
// same data with tokens signed by another key. observe sees storage's
// events and items.
func NewStore(storage Storage, foreign kit.Storage, observe Observer) Store {
	return Store{
		Storage:    storage,
		Notes:      kit.RepositoryOf[Note](storage, ""),
		Tags:       kit.RepositoryOf[Tag](storage, ""),
		ForeignKey: kit.RepositoryOf[Note](foreign, ""),
		Observer:   observe,
		foreign:    foreign,
	}
}

// layouts are the ways Run opens Notes and ForeignKey: each test runs once
// per layout, since a sharded listing is another code path (a merge of
// several queries) that must keep the same contract.
var layouts = []struct {
	name string
	open func(Store) Store
}{
	{"S=1", func(s Store) Store { return s }},
	{"S=8", func(s Store) Store {
		s.Notes = asNotes(kit.RepositoryOf[Note8](s.Storage, ""))
		s.ForeignKey = asNotes(kit.RepositoryOf[Note8](s.foreign, ""))
		return s
	}},
}

// Run runs the contract against the adapter newStore makes: every test
// under each layout of the Note kind (S=1 and S=8), then the tests of
// changing layouts (Shards), of the unit of work (Unit), of the events
// writes raise (Events) and of declared access: patterns, unique values
// and owners (Access).
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"CreateThenGet", testCreateThenGet},
		{"CreateExistingConflicts", testCreateExistingConflicts},
		{"GetMissing", testGetMissing},
		{"UpdatePatchesOnlyNamedFields", testUpdatePatches},
		{"UpdateMissingNeverCreates", testUpdateMissing},
		{"UpdateStaleVersion", testUpdateStale},
		{"DeleteMissingAndStale", testDelete},
		{"ListPagesFullAndDistinct", testListPages},
		{"ListLastPageExactlyFull", testListExactlyFull},
		{"ListEmpty", testListEmpty},
		{"ListRejectsForeignTokens", testListRejectsTokens},
		{"KindsAreIsolated", testKindsIsolated},
		{"ConcurrentUpdatesOneWinner", testConcurrentUpdates},
		{"ChildNeedsItsParent", testChildNeedsParent},
		{"ChildrenAreScopedToTheirParent", testChildrenScoped},
		{"ChildWritesCheckParentAndVersion", testChildWrites},
		{"ChildrenListInCreationOrder", testChildrenList},
		{"ChildrenStayOutOfKindListings", testChildrenUnlisted},
		{"ListedChildrenListByKind", testListedChildren},
		{"GetWithReadsParentAndChildren", testGetWith},
		{"DeleteRemovesTheCollection", testDeleteCollection},
		{"ChildCreatesRacingParentDelete", testChildRaceWithDelete},
	}
	for _, layout := range layouts {
		t.Run(layout.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, layout.open(newStore(t)))
				})
			}
		})
	}
	t.Run("Shards", func(t *testing.T) {
		t.Parallel()
		runShards(t, newStore)
	})
	t.Run("Unit", func(t *testing.T) {
		t.Parallel()
		runUnit(t, newStore)
	})
	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		runEvents(t, newStore)
	})
	t.Run("Access", func(t *testing.T) {
		t.Parallel()
		runAccess(t, newStore)
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func id(n int) string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n) }

var at = time.Date(2026, 11, 28, 15, 4, 5, 123e6, time.UTC)

func note(n int) Note {
	return Note{ID: id(n), Name: fmt.Sprintf("note %d", n), Status: "open", Size: n, Data: []string{"a", "b"}, At: at}
}

func mustCreate[T kit.Entity](t *testing.T, repo kit.Repository[T], e T) {
	t.Helper()
	if _, err := repo.Create(ctx(t), e); err != nil {
		t.Fatalf("create %s: %v", e.EntityID(), err)
	}
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want %v", what, err, want)
	}
}

func testCreateThenGet(t *testing.T, s Store) {
	n := note(1)
	v, err := s.Notes.Create(ctx(t), n)
	if err != nil {
		t.Fatal(err)
	}
	if v.Version != 1 {
		t.Errorf("create version = %d, want 1", v.Version)
	}
	got, err := s.Notes.Get(ctx(t), n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || !equalNote(got.Entity, n) {
		t.Errorf("get = %+v v%d, want %+v v1", got.Entity, got.Version, n)
	}
}

func testCreateExistingConflicts(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	other := note(1)
	other.Name = "second"
	_, err := s.Notes.Create(ctx(t), other)
	wantErr(t, "second create", err, kit.ErrConflict)
	got, err := s.Notes.Get(ctx(t), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Entity.Name != "note 1" || got.Version != 1 {
		t.Errorf("after conflict: %+v v%d, want the first note at v1", got.Entity, got.Version)
	}
}

func testGetMissing(t *testing.T, s Store) {
	_, err := s.Notes.Get(ctx(t), id(9))
	wantErr(t, "get missing", err, kit.ErrNotFound)
}

func testUpdatePatches(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	later := at.Add(time.Hour)
	v, err := s.Notes.Update(ctx(t), id(1), kit.Patch{
		Set:    map[string]any{"name": "renamed", "at": later},
		Remove: []string{"status"},
	}, kit.AnyVersion)
	if err != nil {
		t.Fatal(err)
	}
	want := note(1)
	want.Name, want.Status, want.At = "renamed", "", later
	if v.Version != 2 || !equalNote(v.Entity, want) {
		t.Errorf("update returned %+v v%d, want %+v v2", v.Entity, v.Version, want)
	}
	got, err := s.Notes.Get(ctx(t), id(1))
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || !equalNote(got.Entity, want) {
		t.Errorf("stored %+v v%d, want %+v v2", got.Entity, got.Version, want)
	}
	v, err = s.Notes.Update(ctx(t), id(1), kit.Patch{Set: map[string]any{"size": 7}}, 2)
	if err != nil {
		t.Fatalf("update at the current version: %v", err)
	}
	if v.Version != 3 || v.Entity.Size != 7 || v.Entity.Name != "renamed" {
		t.Errorf("second update = %+v v%d", v.Entity, v.Version)
	}
}

func testUpdateMissing(t *testing.T, s Store) {
	_, err := s.Notes.Update(ctx(t), id(5), kit.Patch{Set: map[string]any{"name": "x"}}, kit.AnyVersion)
	wantErr(t, "update missing", err, kit.ErrNotFound)
	_, err = s.Notes.Get(ctx(t), id(5))
	wantErr(t, "get after update of missing", err, kit.ErrNotFound)
}

func testUpdateStale(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	_, err := s.Notes.Update(ctx(t), id(1), kit.Patch{Set: map[string]any{"name": "x"}}, 2)
	wantErr(t, "update at a stale version", err, kit.ErrPreconditionFailed)
	got, err := s.Notes.Get(ctx(t), id(1))
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Entity.Name != "note 1" {
		t.Errorf("stale update changed the note: %+v v%d", got.Entity, got.Version)
	}
}

func testDelete(t *testing.T, s Store) {
	wantErr(t, "delete missing", s.Notes.Delete(ctx(t), id(1), kit.AnyVersion), kit.ErrNotFound)
	mustCreate(t, s.Notes, note(1))
	wantErr(t, "delete stale", s.Notes.Delete(ctx(t), id(1), 5), kit.ErrPreconditionFailed)
	if _, err := s.Notes.Get(ctx(t), id(1)); err != nil {
		t.Fatalf("stale delete removed the note: %v", err)
	}
	if err := s.Notes.Delete(ctx(t), id(1), 1); err != nil {
		t.Fatalf("delete at the current version: %v", err)
	}
	_, err := s.Notes.Get(ctx(t), id(1))
	wantErr(t, "get after delete", err, kit.ErrNotFound)
	wantErr(t, "second delete", s.Notes.Delete(ctx(t), id(1), kit.AnyVersion), kit.ErrNotFound)
}

// listAll pages through every entity, checking each page as it goes.
func listAll[T kit.Entity](t *testing.T, repo kit.Repository[T], size int) (ids []string, pages int) {
	t.Helper()
	return listFrom(t, repo, size, "")
}

// listFrom pages through the entities after token's place, checking each
// page as it goes.
func listFrom[T kit.Entity](t *testing.T, repo kit.Repository[T], size int, token string) (ids []string, pages int) {
	t.Helper()
	for {
		page, err := repo.List(ctx(t), kit.PageRequest{Size: size, Token: token})
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		if page.Next != "" && len(page.Items) != size {
			t.Fatalf("page %d has %d items and a next token; want full pages of %d", pages, len(page.Items), size)
		}
		for _, n := range page.Items {
			ids = append(ids, n.EntityID())
		}
		if page.Next == "" {
			return ids, pages
		}
		if pages > 1000 {
			t.Fatal("listing does not end")
		}
		token = page.Next
	}
}

func createNotes(t *testing.T, repo kit.Repository[Note], count int) {
	t.Helper()
	Parallel(t, count, func(i int) error {
		_, err := repo.Create(ctx(t), note(i+1))
		return err
	})
}

// Parallel runs f(0) to f(n-1) on 8 goroutines, to fill a store quickly,
// and fails tb with the first error once all have run.
func Parallel(tb testing.TB, n int, f func(i int) error) {
	tb.Helper()
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

func testListPages(t *testing.T, s Store) {
	createNotes(t, s.Notes, 25)
	ids, pages := listAll(t, s.Notes, 10)
	if pages != 3 {
		t.Errorf("25 notes in pages of 10 took %d pages, want 3", pages)
	}
	if len(ids) != 25 {
		t.Fatalf("listed %d notes, want 25", len(ids))
	}
	for i, got := range ids {
		if want := id(i + 1); got != want {
			t.Fatalf("item %d is %s, want %s (id order, no duplicates)", i, got, want)
		}
	}
}

func testListExactlyFull(t *testing.T, s Store) {
	createNotes(t, s.Notes, 20)
	ids, pages := listAll(t, s.Notes, 10)
	if pages != 2 || len(ids) != 20 {
		t.Errorf("20 notes in pages of 10: %d pages, %d notes; want 2 pages, 20 notes (no empty last page)", pages, len(ids))
	}
}

func testListEmpty(t *testing.T, s Store) {
	page, err := s.Notes.List(ctx(t), kit.PageRequest{Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 0 || page.Next != "" {
		t.Errorf("empty store listed %d items, next %q", len(page.Items), page.Next)
	}
	_, err = s.Notes.List(ctx(t), kit.PageRequest{Size: 0})
	wantErr(t, "page size 0", err, kit.ErrInvalid)
}

func testListRejectsTokens(t *testing.T, s Store) {
	createNotes(t, s.Notes, 3)
	mustCreate(t, s.Tags, Tag{ID: id(1), Label: "x"})
	mustCreate(t, s.Tags, Tag{ID: id(2), Label: "y"})
	first, err := s.Notes.List(ctx(t), kit.PageRequest{Size: 1})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v, next %q", err, first.Next)
	}
	tagPage, err := s.Tags.List(ctx(t), kit.PageRequest{Size: 1})
	if err != nil || tagPage.Next == "" {
		t.Fatalf("tag page: %v, next %q", err, tagPage.Next)
	}
	tampered := []byte(first.Next)
	tampered[len(tampered)/2] ^= 0x01
	for _, tc := range []struct{ name, token string }{
		{"tampered", string(tampered)},
		{"truncated", first.Next[:len(first.Next)-1]},
		{"another kind's", tagPage.Next},
		{"not base64", "!!!"},
		{"empty payload", "AAAAAAAAAAAAAAAAAAAAAA"},
	} {
		_, err := s.Notes.List(ctx(t), kit.PageRequest{Size: 1, Token: tc.token})
		wantErr(t, tc.name+" token", err, kit.ErrInvalid)
	}
	_, err = s.ForeignKey.List(ctx(t), kit.PageRequest{Size: 1, Token: first.Next})
	wantErr(t, "token checked with another key", err, kit.ErrInvalid)
	if _, err := s.Notes.List(ctx(t), kit.PageRequest{Size: 1, Token: first.Next}); err != nil {
		t.Errorf("the untouched token: %v", err)
	}
}

func testKindsIsolated(t *testing.T, s Store) {
	createNotes(t, s.Notes, 4)
	for i := 1; i <= 6; i++ {
		mustCreate(t, s.Tags, Tag{ID: id(i), Label: "t"})
	}
	ids, _ := listAll(t, s.Notes, 3)
	if len(ids) != 4 {
		t.Errorf("listed %d notes, want 4: other kinds leak into the listing", len(ids))
	}
	if err := s.Tags.Delete(ctx(t), id(1), kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Notes.Get(ctx(t), id(1)); err != nil {
		t.Errorf("deleting a tag removed the note with the same id: %v", err)
	}
}

func testConcurrentUpdates(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	const writers = 8
	var wg sync.WaitGroup
	results := make([]error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[w] = s.Notes.Update(ctx(t), id(1), kit.Patch{Set: map[string]any{"name": fmt.Sprintf("writer %d", w)}}, 1)
		}()
	}
	wg.Wait()
	winner := -1
	for w, err := range results {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won", winner, w)
		case err == nil:
			winner = w
		case !errors.Is(err, kit.ErrPreconditionFailed):
			t.Fatalf("writer %d: %v, want a precondition failure", w, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer won")
	}
	got, err := s.Notes.Get(ctx(t), id(1))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("writer %d", winner); got.Entity.Name != want || got.Version != 2 {
		t.Errorf("stored %q v%d, want the winner's %q at v2", got.Entity.Name, got.Version, want)
	}
}

func equalNote(a, b Note) bool {
	if a.ID != b.ID || a.Name != b.Name || a.Status != b.Status || a.Size != b.Size || !a.At.Equal(b.At) || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] {
			return false
		}
	}
	return true
}

// Codecs returns two token codecs with different keys: the store's own, and
// a foreign one whose tokens the store must reject.
func Codecs(t testing.TB) (own, foreign *cursor.Codec) {
	t.Helper()
	own, err := cursor.New([]byte("repotest-own-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	foreign, err = cursor.New([]byte("repotest-foreign-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	return own, foreign
}
