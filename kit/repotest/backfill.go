package repotest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit"
)

// OldBook is Book as it was declared before its patterns, its unique ISBN
// and its owner: the same kind and fields, with neither Indexes nor kit
// tags. Items it writes carry no pattern keys and claim no value.
type OldBook struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	Genre string    `json:"genre,omitempty"`
	Shelf string    `json:"shelf,omitempty"`
	ISBN  string    `json:"isbn,omitempty"`
	Owner string    `json:"owner,omitempty"`
	Reads int       `json:"reads,omitempty"`
	At    time.Time `json:"at"`
}

// EntityKind implements kit.Entity.
func (OldBook) EntityKind() string { return "BOOK" }

// EntityID implements kit.Entity.
func (b OldBook) EntityID() string { return b.ID }

// oldLoan is Loan before its pattern by borrower.
type oldLoan struct {
	ID       string `json:"id"`
	Borrower string `json:"borrower,omitempty"`
}

func (oldLoan) EntityKind() string { return "LOAN" }
func (l oldLoan) EntityID() string { return l.ID }
func (oldLoan) ParentKind() string { return "BOOK" }

// genreOnly is Book after it stopped declaring its second pattern (shelf
// and genre): the index that held it holds nothing of the kind any more.
type genreOnly struct{ Book }

func (genreOnly) Indexes() []kit.Index { return []kit.Index{{By: []string{"genre"}}} }

// backfill runs the adapter's Backfill of prototype's kind and fails t
// unless it read items items, keyed keyed of them and claimed claimed
// values. It returns the conflicts, sorted by id.
func backfill(t *testing.T, s Store, prototype kit.Entity, items, keyed, claimed int) []kit.UniqueConflict {
	t.Helper()
	r, err := s.Storage.Backfill(ctx(t), prototype)
	if err != nil {
		t.Fatalf("backfill %T: %v", prototype, err)
	}
	if r.Kind != prototype.EntityKind() || r.Items != items || r.Keyed != keyed || r.Claimed != claimed {
		t.Errorf("backfill %T: %s read %d, keyed %d, claimed %d; want %s %d, %d, %d",
			prototype, r.Kind, r.Items, r.Keyed, r.Claimed, prototype.EntityKind(), items, keyed, claimed)
	}
	slices.SortFunc(r.Conflicts, func(a, b kit.UniqueConflict) int { return strings.Compare(a.ID, b.ID) })
	return r.Conflicts
}

// testBackfill declares patterns and a unique field on a kind whose items
// were written without them, as a service does when it upgrades: Backfill
// makes the old items reachable by the patterns and guarded by their
// values, leaves a value to the entity that claimed it first, raises no
// event, keeps versions, and the second run writes nothing.
func testBackfill(t *testing.T, s Store) {
	repo, old := books(s), kit.RepositoryOf[OldBook](s.Storage, "")
	mustCreate(t, repo, book(1, "lamps", "A", "X-1")) // declared: keyed and claimed
	for _, b := range []Book{
		book(2, "lamps", "A", "X-2"),
		book(3, "rugs", "B", "X-1"), // book 1's value
		book(4, "", "", "X-4"),      // in no pattern
		book(5, "lamps", "", "X-4"), // book 4's value; in the genre pattern only
	} {
		mustCreate(t, old, OldBook(b))
	}
	mustCreate(t, kit.RepositoryOf[oldLoan](s.Storage, id(2)), oldLoan{ID: id(11), Borrower: bob})
	mustCreate(t, kit.RepositoryOf[oldLoan](s.Storage, id(4)), oldLoan{ID: id(12), Borrower: bob})
	loans := kit.RepositoryOf[Loan](s.Storage, "")
	lamps := map[string]string{"genre": "lamps"}
	byBob := map[string]string{"borrower": bob}

	// Before: the old items are in no pattern, and their values are free.
	if got := listWhere(t, repo, lamps, 10); !slices.Equal(got, []string{id(1)}) {
		t.Errorf("genre=lamps before the backfill: %v, want only the declared book", got)
	}
	if got := lookup(t, repo, "X-2"); len(got) != 0 {
		t.Errorf("isbn=X-2 before the backfill: %v, want none", got)
	}
	if got := listWhere(t, loans, byBob, 10); len(got) != 0 {
		t.Errorf("bob's loans before the backfill: %v, want none", got)
	}
	look(t, s)

	conflicts := backfill(t, s, Book{}, 5, 3, 2)
	want := []kit.UniqueConflict{
		{ID: id(3), Field: "isbn", Value: "X-1", Holder: id(1)},
		{ID: id(5), Field: "isbn", Value: "X-4", Holder: id(4)},
	}
	if !slices.Equal(conflicts, want) {
		t.Errorf("conflicts %+v, want %+v", conflicts, want)
	}
	backfill(t, s, Loan{}, 2, 2, 0)

	for _, tc := range []struct {
		where map[string]string
		want  []string
	}{
		{lamps, []string{id(1), id(2), id(5)}},
		{map[string]string{"genre": "rugs"}, []string{id(3)}},
		{map[string]string{"shelf": "A", "genre": "lamps"}, []string{id(2), id(1)}},
		{map[string]string{"isbn": "X-1"}, []string{id(1)}},
		{map[string]string{"isbn": "X-2"}, []string{id(2)}},
		{map[string]string{"isbn": "X-4"}, []string{id(4)}},
	} {
		if got := listWhere(t, repo, tc.where, 2); !slices.Equal(got, tc.want) {
			t.Errorf("after the backfill, %v: %v, want %v", tc.where, got, tc.want)
		}
	}
	if got := listWhere(t, loans, byBob, 1); !slices.Equal(got, []string{id(12), id(11)}) {
		t.Errorf("bob's loans after the backfill: %v, want both, newest first", got)
	}
	_, err := repo.Create(as(t, alice), book(6, "", "", "X-2"))
	wantTaken(t, "a create with an old book's value", err)
	// Not a change of any entity: no event, and every version stays.
	if evs := s.Events(t); len(evs) > 0 {
		t.Errorf("the backfill raised %d events: %v", len(evs), summaries(evs))
	}
	for n := 1; n <= 5; n++ {
		if v, err := repo.Get(ctx(t), id(n)); err != nil || v.Version != 1 || v.Revision != 0 {
			t.Errorf("book %d after the backfill: v%d r%d, %v; want v1 r0", n, v.Version, v.Revision, err)
		}
	}

	// Again: nothing to write; the conflicts are still there.
	if again := backfill(t, s, Book{}, 5, 0, 0); !slices.Equal(again, want) {
		t.Errorf("conflicts on the second run %+v, want %+v", again, want)
	}
	backfill(t, s, Loan{}, 2, 0, 0)

	// A pattern no longer declared: its keys go, and come back when it is
	// declared again.
	shelfA := map[string]string{"shelf": "A", "genre": "lamps"}
	backfill(t, s, genreOnly{}, 5, 3, 0) // books 1, 2 and 3 were on a shelf
	if got := listWhere(t, repo, shelfA, 10); len(got) != 0 {
		t.Errorf("shelf=A genre=lamps after dropping the pattern: %v, want none", got)
	}
	backfill(t, s, Book{}, 5, 3, 0)
	if got := listWhere(t, repo, shelfA, 10); !slices.Equal(got, []string{id(2), id(1)}) {
		t.Errorf("shelf=A genre=lamps declared again: %v, want books 2 and 1", got)
	}

	if _, err := s.Storage.Backfill(ctx(t), tooManyPatterns{}); err == nil || errors.Is(err, kit.ErrNotFound) {
		t.Errorf("backfilling a kind storage cannot keep: %v, want the declaration refused", err)
	}
}
