package repotest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit"
)

// Book is the suite's entity with access beyond its id: listed by genre
// (id order) and by shelf and genre together (newest first by At), an
// ISBN no two books share, and an owner.
type Book struct {
	ID    string    `json:"id"`
	Title string    `json:"title"`
	Genre string    `json:"genre,omitempty"`
	Shelf string    `json:"shelf,omitempty"`
	ISBN  string    `json:"isbn,omitempty" kit:"unique"`
	Owner string    `json:"owner,omitempty" kit:"owner"`
	Reads int       `json:"reads,omitempty"`
	At    time.Time `json:"at"`
}

// EntityKind implements kit.Entity.
func (Book) EntityKind() string { return "BOOK" }

// EntityID implements kit.Entity.
func (b Book) EntityID() string { return b.ID }

// Indexes implements kit.Indexed.
func (Book) Indexes() []kit.Index {
	return []kit.Index{{By: []string{"genre"}}, {By: []string{"shelf", "genre"}, Sort: "at", Descending: true}}
}

// Loan is a child of Book listed across books by borrower, newest first.
type Loan struct {
	ID       string `json:"id"`
	Borrower string `json:"borrower,omitempty"`
}

// EntityKind implements kit.Entity.
func (Loan) EntityKind() string { return "LOAN" }

// EntityID implements kit.Entity.
func (l Loan) EntityID() string { return l.ID }

// ParentKind implements kit.Child.
func (Loan) ParentKind() string { return "BOOK" }

// Indexes implements kit.Indexed.
func (Loan) Indexes() []kit.Index { return []kit.Index{{By: []string{"borrower"}, Descending: true}} }

const (
	alice = "arn:aws:iam::123456789012:user/alice"
	bob   = "arn:aws:iam::123456789012:user/bob"
)

// as is a context whose verified caller is caller ("" for none).
func as(t *testing.T, caller string) context.Context {
	return kit.WithRequestInfo(ctx(t), kit.RequestInfo{RequestID: "access", Caller: caller})
}

func book(n int, genre, shelf, isbn string) Book {
	return Book{ID: id(n), Title: fmt.Sprintf("book %d", n), Genre: genre, Shelf: shelf, ISBN: isbn, Owner: alice,
		At: at.Add(time.Duration(n) * time.Minute)}
}

// runAccess runs the contract of declared patterns, unique fields and
// owners, each test on a fresh store.
func runAccess(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"PatternsListFullPagesInOrder", testPatternPages},
		{"PatternsAreSparseAndFollowWrites", testPatternsFollowWrites},
		{"PatternTokensAreScopedToTheirValues", testPatternTokens},
		{"ChildPatternsSpanParents", testChildPatterns},
		{"UniqueValuesAreHeldOnce", testUniqueValues},
		{"UniqueValuesRace", testUniqueRaces},
		{"OwnersGuardWrites", testOwners},
		{"UnitsKeepAccess", testUnitAccess},
		{"BadDeclarationsAreRefused", testBadDeclarations},
		{"BackfillKeysAndClaimsOldItems", testBackfill},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// look is what the store holds, once the events of the writes so far are
// seen, so that wantUnchanged sees only what comes after.
func look(t *testing.T, s Store) []string {
	t.Helper()
	s.Events(t)
	return s.Snapshot(t)
}

func books(s Store) kit.Repository[Book] { return kit.RepositoryOf[Book](s.Storage, "") }

// listWhere reads every page of a listing where, in pages of size, failing
// unless every page but the last is full.
func listWhere[T kit.Entity](t *testing.T, repo kit.Repository[T], where map[string]string, size int) []string {
	t.Helper()
	var ids []string
	for token := ""; ; {
		page, err := repo.List(ctx(t), kit.PageRequest{Size: size, Token: token, Where: where})
		if err != nil {
			t.Fatalf("list %v: %v", where, err)
		}
		for _, e := range page.Items {
			ids = append(ids, e.EntityID())
		}
		if page.Next == "" {
			return ids
		}
		if len(page.Items) != size {
			t.Fatalf("list %v: a page of %d before the last, want %d", where, len(page.Items), size)
		}
		token = page.Next
	}
}

func testPatternPages(t *testing.T, s Store) {
	repo := books(s)
	var lamps, rugs []string
	for n := 1; n <= 7; n++ {
		genre := "lamps"
		if n%3 == 0 {
			genre = "rugs"
		}
		mustCreate(t, repo, book(n, genre, "A", ""))
		if genre == "lamps" {
			lamps = append(lamps, id(n))
		} else {
			rugs = append(rugs, id(n))
		}
	}
	for _, size := range []int{1, 2, 5, 100} {
		if got := listWhere(t, repo, map[string]string{"genre": "lamps"}, size); !slices.Equal(got, lamps) {
			t.Errorf("genre=lamps by %d: %v, want %v", size, got, lamps)
		}
	}
	if got := listWhere(t, repo, map[string]string{"genre": "rugs"}, 1); !slices.Equal(got, rugs) {
		t.Errorf("genre=rugs: %v, want %v", got, rugs)
	}
	if got := listWhere(t, repo, map[string]string{"genre": "chairs"}, 3); len(got) != 0 {
		t.Errorf("genre=chairs: %v, want none", got)
	}
	// Newest first by At, within shelf A's lamps.
	want := slices.Clone(lamps)
	slices.Reverse(want)
	if got := listWhere(t, repo, map[string]string{"shelf": "A", "genre": "lamps"}, 2); !slices.Equal(got, want) {
		t.Errorf("shelf=A genre=lamps: %v, want %v (newest first)", got, want)
	}
}

func testPatternsFollowWrites(t *testing.T, s Store) {
	repo, c := books(s), as(t, alice)
	mustCreate(t, repo, book(1, "lamps", "A", ""))
	mustCreate(t, repo, book(2, "", "A", "")) // no genre: in neither pattern
	lamps := map[string]string{"genre": "lamps"}
	if got := listWhere(t, repo, lamps, 10); !slices.Equal(got, []string{id(1)}) {
		t.Fatalf("genre=lamps: %v, want only the book with that genre", got)
	}
	// A change of genre moves the book in both patterns, in the same write.
	if _, err := repo.Update(c, id(1), kit.Patch{Set: map[string]any{"genre": "rugs"}}, kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		where map[string]string
		want  []string
	}{
		{lamps, nil},
		{map[string]string{"genre": "rugs"}, []string{id(1)}},
		{map[string]string{"shelf": "A", "genre": "lamps"}, nil},
		{map[string]string{"shelf": "A", "genre": "rugs"}, []string{id(1)}},
	} {
		if got := listWhere(t, repo, tc.where, 10); !slices.Equal(got, tc.want) {
			t.Errorf("after the change, %v: %v, want %v", tc.where, got, tc.want)
		}
	}
	// A change of part of a composite pattern (the shelf alone) moves it.
	if _, err := repo.Update(c, id(1), kit.Patch{Set: map[string]any{"shelf": "B"}}, kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if got := listWhere(t, repo, map[string]string{"shelf": "B", "genre": "rugs"}, 10); !slices.Equal(got, []string{id(1)}) {
		t.Errorf("after moving shelves: %v, want the book on B", got)
	}
	// Writes that touch no pattern field leave it where it is.
	if _, err := repo.Update(c, id(1), kit.Patch{Set: map[string]any{"title": "retitled"}, Add: map[string]int64{"reads": 1}}, kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	// Clearing the genre takes it out of both patterns.
	if _, err := repo.Update(c, id(1), kit.Patch{Remove: []string{"genre"}}, kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	for _, where := range []map[string]string{{"genre": "rugs"}, {"shelf": "B", "genre": "rugs"}} {
		if got := listWhere(t, repo, where, 10); len(got) != 0 {
			t.Errorf("after clearing the genre, %v: %v, want none", where, got)
		}
	}
	// Setting it again puts it back; deleting it removes it.
	if _, err := repo.Update(c, id(2), kit.Patch{Set: map[string]any{"genre": "rugs"}}, kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if got := listWhere(t, repo, map[string]string{"shelf": "A", "genre": "rugs"}, 10); !slices.Equal(got, []string{id(2)}) {
		t.Errorf("after giving book 2 a genre: %v, want it", got)
	}
	if err := repo.Delete(c, id(2), kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if got := listWhere(t, repo, map[string]string{"genre": "rugs"}, 10); len(got) != 0 {
		t.Errorf("after the delete: %v, want none", got)
	}
}

func testPatternTokens(t *testing.T, s Store) {
	repo := books(s)
	for n := 1; n <= 3; n++ {
		mustCreate(t, repo, book(n, "lamps", "A", ""))
		mustCreate(t, repo, book(10+n, "rugs", "A", ""))
	}
	page, err := repo.List(ctx(t), kit.PageRequest{Size: 1, Where: map[string]string{"genre": "lamps"}})
	if err != nil || page.Next == "" {
		t.Fatalf("first page: %v, next %q", err, page.Next)
	}
	plain, err := repo.List(ctx(t), kit.PageRequest{Size: 1})
	if err != nil || plain.Next == "" {
		t.Fatalf("plain first page: %v, next %q", err, plain.Next)
	}
	for _, tc := range []struct {
		name  string
		req   kit.PageRequest
		valid bool
	}{
		{"the same listing", kit.PageRequest{Size: 1, Token: page.Next, Where: map[string]string{"genre": "lamps"}}, true},
		{"another value", kit.PageRequest{Size: 1, Token: page.Next, Where: map[string]string{"genre": "rugs"}}, false},
		{"another pattern", kit.PageRequest{Size: 1, Token: page.Next, Where: map[string]string{"genre": "lamps", "shelf": "A"}}, false},
		{"the plain listing's token", kit.PageRequest{Size: 1, Token: plain.Next, Where: map[string]string{"genre": "lamps"}}, false},
		{"the pattern's token in the plain listing", kit.PageRequest{Size: 1, Token: page.Next}, false},
		{"an undeclared field", kit.PageRequest{Size: 1, Where: map[string]string{"title": "x"}}, false},
		{"a partial pattern", kit.PageRequest{Size: 1, Where: map[string]string{"shelf": "A"}}, false},
	} {
		_, err := repo.List(ctx(t), tc.req)
		if tc.valid && err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
		if !tc.valid && !errors.Is(err, kit.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", tc.name, err)
		}
	}
	_, err = repo.List(ctx(t), kit.PageRequest{Size: 1, Where: map[string]string{"title": "x"}})
	if msg := err.Error(); !strings.Contains(msg, "genre") || !strings.Contains(msg, "isbn") {
		t.Errorf("an unsupported listing says %q; it should name what is supported", msg)
	}
}

func testChildPatterns(t *testing.T, s Store) {
	repo := books(s)
	mustCreate(t, repo, book(1, "", "", ""))
	mustCreate(t, repo, book(2, "", "", ""))
	loans1, loans2 := kit.RepositoryOf[Loan](s.Storage, id(1)), kit.RepositoryOf[Loan](s.Storage, id(2))
	mustCreate(t, loans1, Loan{ID: id(11), Borrower: bob})
	mustCreate(t, loans2, Loan{ID: id(12), Borrower: bob})
	mustCreate(t, loans1, Loan{ID: id(13), Borrower: alice})
	mustCreate(t, loans2, Loan{ID: id(14), Borrower: bob})
	all := kit.RepositoryOf[Loan](s.Storage, "")
	if got := listWhere(t, all, map[string]string{"borrower": bob}, 2); !slices.Equal(got, []string{id(14), id(12), id(11)}) {
		t.Errorf("bob's loans: %v, want newest first across books", got)
	}
	if _, err := loans1.List(ctx(t), kit.PageRequest{Size: 5, Where: map[string]string{"borrower": bob}}); !errors.Is(err, kit.ErrInvalid) {
		t.Errorf("a pattern within one collection: %v, want ErrInvalid", err)
	}
	// Deleting a book sweeps its loans out of the pattern too.
	if err := repo.Delete(as(t, alice), id(2), kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if got := listWhere(t, all, map[string]string{"borrower": bob}, 5); !slices.Equal(got, []string{id(11)}) {
		t.Errorf("after deleting book 2: %v, want only book 1's loan", got)
	}
}

// holders lists every uniqueness item as value=holder, from a snapshot.
func holders(t *testing.T, s Store) []string {
	t.Helper()
	var out []string
	for _, line := range s.Snapshot(t) {
		if !strings.Contains(line, "UNIQUE#BOOK#isbn#") {
			continue
		}
		rest := line[strings.Index(line, "isbn#")+len("isbn#"):]
		value := rest[:strings.IndexAny(rest, `|" `)]
		holder := line[strings.Index(line, `"_holder":"`)+len(`"_holder":"`):]
		out = append(out, value+"="+holder[:strings.IndexByte(holder, '"')])
	}
	slices.Sort(out)
	return out
}

func lookup(t *testing.T, repo kit.Repository[Book], isbn string) []string {
	t.Helper()
	return listWhere(t, repo, map[string]string{"isbn": isbn}, 5)
}

func wantTaken(t *testing.T, what string, err error) {
	t.Helper()
	var ke *kit.Error
	if !errors.Is(err, kit.ErrConflict) || !errors.As(err, &ke) || len(ke.Fields) != 1 || ke.Fields[0].Field != "isbn" {
		t.Fatalf("%s: got %v, want a conflict naming isbn", what, err)
	}
}

func testUniqueValues(t *testing.T, s Store) {
	repo, c := books(s), as(t, alice)
	mustCreate(t, repo, book(1, "", "", "X-1"))
	before := look(t, s)
	_, err := repo.Create(c, book(2, "", "", "X-1"))
	wantTaken(t, "a second create with X-1", err)
	wantUnchanged(t, s, "a refused create", before)
	mustCreate(t, repo, book(2, "", "", ""))
	before = look(t, s)
	_, err = repo.Update(c, id(2), kit.Patch{Set: map[string]any{"isbn": "X-1"}}, kit.AnyVersion)
	wantTaken(t, "an update to X-1", err)
	wantUnchanged(t, s, "a refused update", before)
	if got := lookup(t, repo, "X-1"); !slices.Equal(got, []string{id(1)}) {
		t.Errorf("isbn=X-1: %v, want book 1", got)
	}
	// Changing releases the old value, in the same write.
	if _, err := repo.Update(c, id(1), kit.Patch{Set: map[string]any{"isbn": "X-2"}}, kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Update(c, id(2), kit.Patch{Set: map[string]any{"isbn": "X-1"}}, kit.AnyVersion); err != nil {
		t.Fatalf("taking a released value: %v", err)
	}
	if got, want := holders(t, s), []string{"X-1=" + id(2), "X-2=" + id(1)}; !slices.Equal(got, want) {
		t.Errorf("holders %v, want %v", got, want)
	}
	// Setting the value an entity already holds changes nothing of it.
	if _, err := repo.Update(c, id(2), kit.Patch{Set: map[string]any{"isbn": "X-1"}}, kit.AnyVersion); err != nil {
		t.Errorf("keeping one's own value: %v", err)
	}
	// Clearing and deleting release it.
	if _, err := repo.Update(c, id(1), kit.Patch{Remove: []string{"isbn"}}, kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(c, id(2), kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if got := holders(t, s); len(got) != 0 {
		t.Errorf("after clearing and deleting, holders %v, want none", got)
	}
	if got := lookup(t, repo, "X-1"); len(got) != 0 {
		t.Errorf("isbn=X-1 after the delete: %v, want none", got)
	}
	if _, err := repo.List(ctx(t), kit.PageRequest{Size: 1, Token: "x", Where: map[string]string{"isbn": "X-1"}}); !errors.Is(err, kit.ErrInvalid) {
		t.Errorf("a token for a lookup: %v, want ErrInvalid", err)
	}
}

func testUniqueRaces(t *testing.T, s Store) {
	repo, c := books(s), as(t, alice)
	const racers = 8
	errs := make([]error, racers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = repo.Create(c, book(100+i, "", "", "RACE"))
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, kit.ErrConflict):
		default:
			t.Errorf("a racing create: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d racing creates won, want 1", won, racers)
	}
	// Two books race to take one value by update.
	mustCreate(t, repo, book(1, "", "", "A"))
	mustCreate(t, repo, book(2, "", "", "B"))
	start = make(chan struct{})
	for _, n := range []int{1, 2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := repo.Update(c, id(n), kit.Patch{Set: map[string]any{"isbn": "C"}}, kit.AnyVersion)
			if err != nil && !errors.Is(err, kit.ErrConflict) {
				t.Errorf("a racing update: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	got := lookup(t, repo, "C")
	if len(got) != 1 {
		t.Fatalf("isbn=C after the race: %v, want one holder", got)
	}
	// Every uniqueness item's holder exists and holds that value.
	for _, h := range holders(t, s) {
		value, holder, _ := strings.Cut(h, "=")
		b, err := repo.Get(ctx(t), holder)
		if err != nil || b.Entity.ISBN != value {
			t.Errorf("uniqueness item %s: its holder is %+v, %v", h, b.Entity, err)
		}
	}
}

func testOwners(t *testing.T, s Store) {
	repo := books(s)
	mustCreate(t, repo, book(1, "", "", "O-1"))
	before := look(t, s)
	for _, tc := range []struct {
		name   string
		caller string
	}{{"another caller", bob}, {"no caller", ""}} {
		_, err := repo.Update(as(t, tc.caller), id(1), kit.Patch{Set: map[string]any{"title": "taken over"}}, kit.AnyVersion)
		wantErr(t, tc.name+" updates", err, kit.ErrForbidden)
		_, err = repo.Update(as(t, tc.caller), id(1), kit.Patch{Set: map[string]any{"isbn": "O-2"}}, kit.AnyVersion)
		wantErr(t, tc.name+" changes a unique value", err, kit.ErrForbidden)
		wantErr(t, tc.name+" deletes", repo.Delete(as(t, tc.caller), id(1), kit.AnyVersion), kit.ErrForbidden)
		wantErr(t, tc.name+" deletes at a stale version", repo.Delete(as(t, tc.caller), id(1), 7), kit.ErrForbidden)
	}
	wantUnchanged(t, s, "refused writes", before)
	// A missing entity is still a 404 for a caller, and 403 for nobody.
	_, err := repo.Update(as(t, bob), id(9), kit.Patch{Set: map[string]any{"title": "x"}}, kit.AnyVersion)
	wantErr(t, "a caller updates a missing entity", err, kit.ErrNotFound)
	// The service's own derived writes are not guarded.
	if _, err := repo.Update(as(t, ""), id(1), kit.Patch{Add: map[string]int64{"reads": 1}, Derived: true}, kit.AnyVersion); err != nil {
		t.Errorf("a derived write: %v", err)
	}
	// The owner writes.
	v, err := repo.Update(as(t, alice), id(1), kit.Patch{Set: map[string]any{"title": "mine"}}, kit.AnyVersion)
	if err != nil || v.Entity.Title != "mine" {
		t.Fatalf("the owner's update: %+v, %v", v, err)
	}
	// A stale version is 412 for the owner, 403 for anyone else.
	_, err = repo.Update(as(t, alice), id(1), kit.Patch{Set: map[string]any{"title": "x"}}, v.Version-1)
	wantErr(t, "the owner at a stale version", err, kit.ErrPreconditionFailed)
	_, err = repo.Update(as(t, bob), id(1), kit.Patch{Set: map[string]any{"title": "x"}}, v.Version-1)
	wantErr(t, "another at a stale version", err, kit.ErrForbidden)
	if err := repo.Delete(as(t, alice), id(1), kit.AnyVersion); err != nil {
		t.Errorf("the owner's delete: %v", err)
	}
}

func testUnitAccess(t *testing.T, s Store) {
	repo := books(s)
	mustCreate(t, repo, book(1, "lamps", "", "U-1"))
	mustCreate(t, repo, book(2, "", "", ""))
	before := look(t, s)
	// A create of a taken value fails the whole unit.
	u := s.Storage.Begin()
	u.Update(Book{}, "", id(2), kit.Patch{Set: map[string]any{"genre": "lamps"}}, kit.AnyVersion)
	u.Create(book(3, "", "", "U-1"), "")
	wantUnitError(t, "a unit taking a held value", u.Commit(as(t, alice)), 1, kit.ErrConflict)
	wantUnchanged(t, s, "the refused unit", before)
	// Another caller's update in a unit is forbidden; a derived one is not.
	u = s.Storage.Begin()
	u.Update(Book{}, "", id(1), kit.Patch{Add: map[string]int64{"reads": 1}, Derived: true}, kit.AnyVersion)
	u.Update(Book{}, "", id(2), kit.Patch{Set: map[string]any{"title": "x"}}, kit.AnyVersion)
	wantUnitError(t, "a unit writing another's book", u.Commit(as(t, bob)), 1, kit.ErrForbidden)
	wantUnchanged(t, s, "the forbidden unit", before)
	// A unit moves values and patterns like a repository, and hands a
	// value from one entity to another whatever the staging order.
	u = s.Storage.Begin()
	u.Create(book(3, "lamps", "", "U-1"), "")
	u.Update(Book{}, "", id(1), kit.Patch{Set: map[string]any{"isbn": "U-2", "genre": "rugs"}}, kit.AnyVersion)
	if err := u.Commit(as(t, alice)); err != nil {
		t.Fatal(err)
	}
	if got, want := holders(t, s), []string{"U-1=" + id(3), "U-2=" + id(1)}; !slices.Equal(got, want) {
		t.Errorf("holders %v, want %v", got, want)
	}
	if got := listWhere(t, repo, map[string]string{"genre": "lamps"}, 5); !slices.Equal(got, []string{id(3)}) {
		t.Errorf("genre=lamps: %v, want book 3", got)
	}
	u = s.Storage.Begin()
	u.Delete(Book{}, "", id(3), kit.AnyVersion)
	if err := u.Commit(as(t, alice)); err != nil {
		t.Fatal(err)
	}
	if got, want := holders(t, s), []string{"U-2=" + id(1)}; !slices.Equal(got, want) {
		t.Errorf("after the unit's delete, holders %v, want %v", got, want)
	}
}

// Badly declared kinds, refused by every call.
type (
	tooManyPatterns struct{ Book }
	unknownField    struct{ Book }
	uniqueChild     struct {
		ID  string `json:"id"`
		Tag string `json:"tag" kit:"unique"`
	}
)

func (tooManyPatterns) Indexes() []kit.Index {
	return []kit.Index{{By: []string{"genre"}}, {By: []string{"shelf"}}, {By: []string{"title"}}, {By: []string{"owner"}}}
}
func (unknownField) Indexes() []kit.Index { return []kit.Index{{By: []string{"colour"}}} }
func (uniqueChild) EntityKind() string    { return "UCHILD" }
func (u uniqueChild) EntityID() string    { return u.ID }
func (uniqueChild) ParentKind() string    { return "BOOK" }

func testBadDeclarations(t *testing.T, s Store) {
	for _, tc := range []struct {
		name string
		repo kit.Repository[kit.Entity]
	}{
		{"more patterns than indexes", s.Storage.Open(tooManyPatterns{}, "")},
		{"a pattern of no field", s.Storage.Open(unknownField{}, "")},
		{"a unique child", s.Storage.Open(uniqueChild{}, id(1))},
	} {
		if _, err := tc.repo.Get(ctx(t), id(1)); err == nil || errors.Is(err, kit.ErrNotFound) {
			t.Errorf("%s: Get answered %v, want the declaration refused", tc.name, err)
		}
	}
}
