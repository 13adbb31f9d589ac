package repotest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
)

// Comment is a child of Note: it lives in its note's item collection.
type Comment struct {
	ID   string `json:"id"`
	Note string `json:"note"`
	Text string `json:"text"`
}

// EntityKind implements kit.Entity.
func (Comment) EntityKind() string { return "COMMENT" }

// EntityID implements kit.Entity.
func (c Comment) EntityID() string { return c.ID }

// ParentKind implements kit.Child.
func (Comment) ParentKind() string { return "NOTE" }

// Pin is a child of Note that asks to be in the kind-wide listing too.
type Pin struct {
	ID string `json:"id"`
}

// EntityKind implements kit.Entity.
func (Pin) EntityKind() string { return "PIN" }

// EntityID implements kit.Entity.
func (p Pin) EntityID() string { return p.ID }

// ParentKind implements kit.Child.
func (Pin) ParentKind() string { return "NOTE" }

// ListedByKind implements kit.Listed.
func (Pin) ListedByKind() {}

func comments(s Store, note int) kit.Repository[Comment] {
	return kit.RepositoryOf[Comment](s.Storage, id(note))
}

func comment(n int) Comment { return Comment{ID: id(n), Text: fmt.Sprintf("comment %d", n)} }

func createComments(t *testing.T, repo kit.Repository[Comment], from, count int) {
	t.Helper()
	Parallel(t, count, func(i int) error {
		_, err := repo.Create(ctx(t), comment(from+i))
		return err
	})
}

func testChildNeedsParent(t *testing.T, s Store) {
	_, err := comments(s, 1).Create(ctx(t), comment(1))
	wantErr(t, "create under a missing parent", err, kit.ErrNotFound)
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, comments(s, 1), comment(1))
	_, err = comments(s, 1).Create(ctx(t), comment(1))
	wantErr(t, "second create of one child", err, kit.ErrConflict)
	got, err := comments(s, 1).Get(ctx(t), id(1))
	if err != nil || got.Entity != comment(1) || got.Version != 1 {
		t.Errorf("get child = %+v v%d, %v; want %+v v1", got.Entity, got.Version, err, comment(1))
	}
	// A child's id is unique within its parent only: a note with the same
	// id as the comment is another item.
	if _, err := s.Notes.Get(ctx(t), id(1)); err != nil {
		t.Errorf("the parent: %v", err)
	}
}

func testChildrenScoped(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, s.Notes, note(2))
	mustCreate(t, comments(s, 1), comment(7))
	_, err := comments(s, 2).Get(ctx(t), id(7))
	wantErr(t, "a child read under another parent", err, kit.ErrNotFound)
	_, err = comments(s, 3).Get(ctx(t), id(7))
	wantErr(t, "a child read under a missing parent", err, kit.ErrNotFound)
	wantErr(t, "delete under another parent", comments(s, 2).Delete(ctx(t), id(7), kit.AnyVersion), kit.ErrNotFound)
	_, err = comments(s, 2).Update(ctx(t), id(7), kit.Patch{Set: map[string]any{"text": "x"}}, kit.AnyVersion)
	wantErr(t, "update under another parent", err, kit.ErrNotFound)
	if _, err := comments(s, 1).Get(ctx(t), id(7)); err != nil {
		t.Errorf("the child under its own parent: %v", err)
	}
}

func testChildWrites(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	repo := comments(s, 1)
	mustCreate(t, repo, comment(1))
	v, err := repo.Update(ctx(t), id(1), kit.Patch{Set: map[string]any{"text": "edited"}}, 1)
	if err != nil || v.Version != 2 || v.Entity.Text != "edited" {
		t.Fatalf("update = %+v v%d, %v; want the edited comment at v2", v.Entity, v.Version, err)
	}
	_, err = repo.Update(ctx(t), id(1), kit.Patch{Set: map[string]any{"text": "stale"}}, 1)
	wantErr(t, "update at a stale version", err, kit.ErrPreconditionFailed)
	_, err = repo.Update(ctx(t), id(2), kit.Patch{Set: map[string]any{"text": "x"}}, kit.AnyVersion)
	wantErr(t, "update of a missing child", err, kit.ErrNotFound)
	if _, err := repo.Get(ctx(t), id(2)); !errors.Is(err, kit.ErrNotFound) {
		t.Errorf("an update created a child: %v", err)
	}
	wantErr(t, "delete at a stale version", repo.Delete(ctx(t), id(1), 1), kit.ErrPreconditionFailed)
	if err := repo.Delete(ctx(t), id(1), 2); err != nil {
		t.Fatalf("delete at the current version: %v", err)
	}
	wantErr(t, "second delete", repo.Delete(ctx(t), id(1), kit.AnyVersion), kit.ErrNotFound)
	if _, err := s.Notes.Get(ctx(t), id(1)); err != nil {
		t.Errorf("deleting a child removed its parent: %v", err)
	}
}

func testChildrenList(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, s.Notes, note(2))
	createComments(t, comments(s, 1), 1, 23)
	createComments(t, comments(s, 2), 100, 3)
	ids, pages := listAll(t, comments(s, 1), 10)
	if pages != 3 || len(ids) != 23 {
		t.Fatalf("23 comments in pages of 10: %d pages, %d comments", pages, len(ids))
	}
	for i, got := range ids {
		if want := id(i + 1); got != want {
			t.Fatalf("comment %d is %s, want %s (creation order, only this note's)", i, got, want)
		}
	}
	first, err := comments(s, 1).List(ctx(t), kit.PageRequest{Size: 2})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v, next %q", err, first.Next)
	}
	notes, err := s.Notes.List(ctx(t), kit.PageRequest{Size: 1})
	if err != nil || notes.Next == "" {
		t.Fatalf("notes page: %v, next %q", err, notes.Next)
	}
	for _, tc := range []struct {
		name string
		repo kit.Repository[Comment]
		tok  string
	}{
		{"another parent's token", comments(s, 2), first.Next},
		{"the parent kind's token", comments(s, 1), notes.Next},
	} {
		_, err := tc.repo.List(ctx(t), kit.PageRequest{Size: 2, Token: tc.tok})
		wantErr(t, tc.name, err, kit.ErrInvalid)
	}
	_, err = s.Notes.List(ctx(t), kit.PageRequest{Size: 2, Token: first.Next})
	wantErr(t, "a collection's token on the kind listing", err, kit.ErrInvalid)
	_, err = comments(s, 3).List(ctx(t), kit.PageRequest{Size: 2})
	wantErr(t, "list under a missing parent", err, kit.ErrNotFound)
	empty, err := comments(s, 2).List(ctx(t), kit.PageRequest{Size: 3})
	if err != nil || len(empty.Items) != 3 || empty.Next != "" {
		t.Errorf("3 comments in a page of 3: %d, next %q, %v", len(empty.Items), empty.Next, err)
	}
}

func testChildrenUnlisted(t *testing.T, s Store) {
	createNotes(t, s.Notes, 3)
	createComments(t, comments(s, 1), 10, 5)
	ids, _ := listAll(t, s.Notes, 2)
	if len(ids) != 3 {
		t.Errorf("listed %d notes, want 3: comments leak into the kind listing", len(ids))
	}
	_, err := kit.RepositoryOf[Comment](s.Storage, "").List(ctx(t), kit.PageRequest{Size: 2})
	if err == nil {
		t.Error("a kind-wide listing of a child kind that is not kit.Listed worked")
	}
}

func testListedChildren(t *testing.T, s Store) {
	createNotes(t, s.Notes, 3)
	for n := 1; n <= 3; n++ {
		for p := range 3 {
			mustCreate(t, kit.RepositoryOf[Pin](s.Storage, id(n)), Pin{ID: id(10*n + p)})
		}
	}
	ids, pages := listAll(t, kit.RepositoryOf[Pin](s.Storage, ""), 4)
	if len(ids) != 9 || pages != 3 {
		t.Errorf("9 pins in pages of 4: %d pins in %d pages", len(ids), pages)
	}
	notes, _ := listAll(t, s.Notes, 10)
	if len(notes) != 3 {
		t.Errorf("listed %d notes, want 3", len(notes))
	}
}

func testGetWith(t *testing.T, s Store) {
	_, _, err := kit.GetWith[Note, Comment](ctx(t), s.Storage, id(1), 5)
	wantErr(t, "get with children of a missing parent", err, kit.ErrNotFound)
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, s.Notes, note(2))
	mustCreate(t, kit.RepositoryOf[Pin](s.Storage, id(1)), Pin{ID: id(50)})
	createComments(t, comments(s, 1), 1, 7)
	createComments(t, comments(s, 2), 20, 2)
	v, page, err := kit.GetWith[Note, Comment](ctx(t), s.Storage, id(1), 5)
	if err != nil {
		t.Fatal(err)
	}
	if !equalNote(v.Entity, note(1)) || v.Version != 1 {
		t.Errorf("parent = %+v v%d", v.Entity, v.Version)
	}
	if len(page.Items) != 5 || page.Items[0].ID != id(1) || page.Items[4].ID != id(5) || page.Next == "" {
		t.Fatalf("first page = %+v, next %q; want comments 1 to 5 and a token", page.Items, page.Next)
	}
	rest, err := comments(s, 1).List(ctx(t), kit.PageRequest{Size: 5, Token: page.Next})
	if err != nil || len(rest.Items) != 2 || rest.Items[0].ID != id(6) || rest.Next != "" {
		t.Errorf("the page after it = %+v, next %q, %v; want comments 6 and 7", rest.Items, rest.Next, err)
	}
	_, all, err := kit.GetWith[Note, Comment](ctx(t), s.Storage, id(2), 5)
	if err != nil || len(all.Items) != 2 || all.Next != "" {
		t.Errorf("a short collection = %+v, next %q, %v", all.Items, all.Next, err)
	}
}

func testDeleteCollection(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, s.Notes, note(2))
	createComments(t, comments(s, 1), 1, 60)
	mustCreate(t, kit.RepositoryOf[Pin](s.Storage, id(1)), Pin{ID: id(70)})
	createComments(t, comments(s, 2), 100, 2)
	if err := s.Notes.Delete(ctx(t), id(1), kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	_, err := comments(s, 1).Get(ctx(t), id(1))
	wantErr(t, "a child of a deleted parent", err, kit.ErrNotFound)
	// The same id again starts an empty collection: nothing of the old one
	// remains in the store.
	mustCreate(t, s.Notes, note(1))
	if ids, _ := listAll(t, comments(s, 1), 50); len(ids) != 0 {
		t.Errorf("%d comments survived their parent's delete", len(ids))
	}
	if ids, _ := listAll(t, kit.RepositoryOf[Pin](s.Storage, ""), 50); len(ids) != 0 {
		t.Errorf("%d pins survived their parent's delete", len(ids))
	}
	if ids, _ := listAll(t, comments(s, 2), 50); len(ids) != 2 {
		t.Errorf("another note's collection lost comments: %d left, want 2", len(ids))
	}
}

func testChildRaceWithDelete(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	const racers = 8
	var wg sync.WaitGroup
	errs := make([]error, racers)
	start := make(chan struct{})
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = comments(s, 1).Create(ctx(t), comment(i+1))
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		if err := s.Notes.Delete(ctx(t), id(1), kit.AnyVersion); err != nil {
			t.Errorf("delete: %v", err)
		}
	}()
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, kit.ErrNotFound) && !errors.Is(err, kit.ErrUnavailable) {
			t.Errorf("racer %d: %v, want success or not found", i, err)
		}
	}
	mustCreate(t, s.Notes, note(1))
	if ids, _ := listAll(t, comments(s, 1), 50); len(ids) != 0 {
		t.Errorf("%d comments outlived a delete they raced", len(ids))
	}
}
