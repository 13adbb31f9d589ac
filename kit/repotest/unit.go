package repotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/idempotency"
)

// runUnit runs the unit of work's contract, each test on a fresh store.
func runUnit(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"CreatesAcrossKinds", testUnitCreates},
		{"StagingOrderDoesNotMatter", testUnitStagingOrder},
		{"UpdatesAtExpectedVersions", testUnitUpdates},
		{"AddIsAtomic", testUnitAdd},
		{"Deletes", testUnitDeletes},
		{"Checks", testUnitChecks},
		{"FailingHalfwayWritesNothing", testUnitFailsHalfway},
		{"RefusesTwoOperationsOnOneItem", testUnitRefusesBadStaging},
		{"LimitIsTheTransactionLimit", testUnitLimit},
		{"RaisesCustomEventsOnlyOnCommit", testUnitCustomEvents},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// wantUnitError fails t unless err is a *kit.UnitError for the operation
// at index, matching want.
func wantUnitError(t *testing.T, what string, err error, index int, want error) {
	t.Helper()
	var ue *kit.UnitError
	if !errors.As(err, &ue) || !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want a *kit.UnitError matching %v", what, err, want)
	}
	if ue.Index != index {
		t.Errorf("%s: the error names operation %d (%v), want %d", what, ue.Index, err, index)
	}
}

func commit(t *testing.T, what string, u kit.Unit) {
	t.Helper()
	if err := u.Commit(requestCtx(t)); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func testUnitCreates(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	s.Events(t)
	u := s.Storage.Begin()
	u.Create(comment(10), id(1)) // under a note that exists
	u.Create(note(2), "")
	u.Create(comment(11), id(2)) // under a note the unit creates
	u.Create(Tag{ID: id(3), Label: "t"}, "")
	commit(t, "a unit of creates", u)
	for _, c := range []struct {
		note int
		c    Comment
	}{{1, comment(10)}, {2, comment(11)}} {
		got, err := comments(s, c.note).Get(ctx(t), c.c.ID)
		if err != nil || got.Entity != c.c || got.Version != 1 {
			t.Errorf("comment %s = %+v v%d, %v; want %+v v1", c.c.ID, got.Entity, got.Version, err, c.c)
		}
	}
	if got, err := s.Notes.Get(ctx(t), id(2)); err != nil || !equalNote(got.Entity, note(2)) || got.Version != 1 {
		t.Errorf("note 2 = %+v v%d, %v", got.Entity, got.Version, err)
	}
	if got, err := s.Tags.Get(ctx(t), id(3)); err != nil || got.Entity.Label != "t" || got.Version != 1 {
		t.Errorf("tag 3 = %+v v%d, %v", got.Entity, got.Version, err)
	}
	checkEvents(t, "a unit of creates", s.Events(t), []wantEvent{
		{name: "CommentCreated", id: id(10), parent: id(1), version: 1, payload: comment(10), causedBy: -1},
		{name: "CommentCreated", id: id(11), parent: id(2), version: 1, payload: comment(11), causedBy: -1},
		{name: "NoteCreated", id: id(2), version: 1, payload: note(2), causedBy: -1},
		{name: "TagCreated", id: id(3), version: 1, payload: Tag{ID: id(3), Label: "t"}, causedBy: -1},
	})
}

// testUnitStagingOrder commits the same operations staged in two orders,
// a child's before and after its parent's: a unit commits as one
// transaction, so its outcome cannot depend on the order.
func testUnitStagingOrder(t *testing.T, s Store) {
	for k, order := range []string{"parents first", "children first"} {
		t.Run(order, func(t *testing.T) {
			b := 100 * (k + 1)
			mustCreate(t, s.Notes, note(b+3))
			mustCreate(t, comments(s, b+3), comment(b+2))
			s.Events(t)
			ops := []func(u kit.Unit){
				func(u kit.Unit) { u.Create(note(b), "") },
				func(u kit.Unit) { u.Delete(Note{}, "", id(b+3), 1) },
				func(u kit.Unit) { u.Create(comment(b+1), id(b)) },
				func(u kit.Unit) { u.Delete(Comment{}, id(b+3), id(b+2), 1) },
			}
			if k == 1 {
				slices.Reverse(ops)
			}
			u := s.Storage.Begin()
			for _, op := range ops {
				op(u)
			}
			commit(t, order, u)
			if got, err := comments(s, b).Get(ctx(t), id(b+1)); err != nil || got.Entity != comment(b+1) {
				t.Errorf("the new note's comment = %+v, %v", got.Entity, err)
			}
			_, err := s.Notes.Get(ctx(t), id(b+3))
			wantErr(t, "the deleted note", err, kit.ErrNotFound)
			checkEvents(t, order, s.Events(t), []wantEvent{
				{name: "NoteCreated", id: id(b), version: 1, payload: note(b), causedBy: -1},
				{name: "CommentCreated", id: id(b + 1), parent: id(b), version: 1, payload: comment(b + 1), causedBy: -1},
				{name: "NoteDeleted", id: id(b + 3), version: 2, payload: note(b + 3), causedBy: -1},
				{name: "CommentDeleted", id: id(b + 2), parent: id(b + 3), version: 2, payload: comment(b + 2), causedBy: -1},
			})
		})
	}
}

// testUnitUpdates updates a note and one of its comments in one unit, the
// note at the version each case expects.
func testUnitUpdates(t *testing.T, s Store) {
	for i, tc := range []struct {
		name   string
		expect kit.Version
		id     string
		want   error
	}{
		{"at the stored version", 1, "", nil},
		{"at any version", kit.AnyVersion, "", nil},
		{"at a stale version", 2, "", kit.ErrPreconditionFailed},
		{"of a missing entity", kit.AnyVersion, id(999), kit.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := note(i + 1) // a note of its own
			mustCreate(t, s.Notes, n)
			c := Comment{ID: id(1), Text: "c"}
			mustCreate(t, kit.RepositoryOf[Comment](s.Storage, n.ID), c)
			target := n.ID
			if tc.id != "" {
				target = tc.id
			}
			s.Events(t)
			before := s.Snapshot(t)
			u := s.Storage.Begin()
			u.Update(Comment{}, n.ID, c.ID, kit.Patch{Set: map[string]any{"text": "edited"}}, 1)
			u.Update(Note{}, "", target, kit.Patch{Set: map[string]any{"name": "renamed"}, Remove: []string{"status"}}, tc.expect)
			err := u.Commit(requestCtx(t))
			if tc.want != nil {
				wantUnitError(t, "the unit", err, 1, tc.want)
				wantUnchanged(t, s, "a refused unit", before)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantNote, wantComment := n, c
			wantNote.Name, wantNote.Status = "renamed", ""
			wantComment.Text = "edited"
			if got, err := s.Notes.Get(ctx(t), n.ID); err != nil || !equalNote(got.Entity, wantNote) || got.Version != 2 {
				t.Errorf("note = %+v v%d, %v; want %+v v2", got.Entity, got.Version, err, wantNote)
			}
			if got, err := kit.RepositoryOf[Comment](s.Storage, n.ID).Get(ctx(t), c.ID); err != nil || got.Entity != wantComment || got.Version != 2 {
				t.Errorf("comment = %+v v%d, %v; want %+v v2", got.Entity, got.Version, err, wantComment)
			}
			checkEvents(t, "the unit", s.Events(t), []wantEvent{
				{name: "NoteUpdated", id: n.ID, version: 2, changed: []string{"name", "status"}, payload: wantNote, causedBy: -1},
				{name: "CommentUpdated", id: c.ID, parent: n.ID, version: 2, changed: []string{"text"}, payload: wantComment, causedBy: -1},
			})
		})
	}
}

// testUnitAdd commits units that each add 1 to one note's size, all at
// once: none may lose another's addition.
func testUnitAdd(t *testing.T, s Store) {
	const writers = 8
	mustCreate(t, s.Notes, note(1))
	s.Events(t)
	var wg sync.WaitGroup
	errs := make([]error, writers)
	start := make(chan struct{})
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := s.Storage.Begin()
			u.Update(Note{}, "", id(1), kit.Patch{Add: map[string]int64{"size": 1}}, kit.AnyVersion)
			<-start
			errs[w] = u.Commit(ctx(t))
		}()
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", w, err)
		}
	}
	got, err := s.Notes.Get(ctx(t), id(1))
	if err != nil || got.Entity.Size != 1+writers || got.Version != 1+writers {
		t.Fatalf("after %d additions of 1 to 1: size %d v%d, %v; want %d v%d", writers, got.Entity.Size, got.Version, err, 1+writers, 1+writers)
	}
	evs := s.Events(t)
	if len(evs) != writers {
		t.Fatalf("%d additions raised %d events: %v", writers, len(evs), summaries(evs))
	}
	versions := map[int64]bool{}
	for _, ev := range evs {
		if ev.Metadata.Name != "NoteUpdated" || len(ev.Metadata.Changed) != 1 || ev.Metadata.Changed[0] != "size" {
			t.Errorf("an addition raised %s changing %q", ev.Metadata.Name, ev.Metadata.Changed)
		}
		versions[ev.Metadata.Version] = true
	}
	for v := int64(2); v <= 1+writers; v++ {
		if !versions[v] {
			t.Errorf("no event of version %d among %v", v, summaries(evs))
		}
	}
}

// testUnitDeletes deletes a note, with its comments, and another note's
// comment in one unit.
func testUnitDeletes(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, s.Notes, note(2))
	createComments(t, comments(s, 1), 10, 3)
	mustCreate(t, comments(s, 2), comment(20))
	mustCreate(t, comments(s, 2), comment(21))
	s.Events(t)

	before := s.Snapshot(t)
	stale := s.Storage.Begin()
	stale.Delete(Comment{}, id(2), id(20), 1)
	stale.Delete(Note{}, "", id(1), 2)
	wantUnitError(t, "a delete at a stale version", stale.Commit(requestCtx(t)), 1, kit.ErrPreconditionFailed)
	wantUnchanged(t, s, "a delete at a stale version", before)

	u := s.Storage.Begin()
	u.Delete(Comment{}, id(2), id(20), 1)
	u.Delete(Note{}, "", id(1), 1)
	commit(t, "a unit of deletes", u)
	_, err := s.Notes.Get(ctx(t), id(1))
	wantErr(t, "the deleted note", err, kit.ErrNotFound)
	_, err = comments(s, 2).Get(ctx(t), id(20))
	wantErr(t, "the deleted comment", err, kit.ErrNotFound)
	if _, err := comments(s, 2).Get(ctx(t), id(21)); err != nil {
		t.Errorf("the comment left alone: %v", err)
	}
	checkEvents(t, "a unit of deletes", s.Events(t), []wantEvent{
		{name: "CommentDeleted", id: id(20), parent: id(2), version: 2, payload: comment(20), causedBy: -1},
		{name: "NoteDeleted", id: id(1), version: 2, payload: note(1), causedBy: -1},
		{name: "CommentDeleted", id: id(10), parent: id(1), version: 2, payload: comment(10), causedBy: 1},
		{name: "CommentDeleted", id: id(11), parent: id(1), version: 2, payload: comment(11), causedBy: 1},
		{name: "CommentDeleted", id: id(12), parent: id(1), version: 2, payload: comment(12), causedBy: 1},
	})
	// The note's collection went with it.
	mustCreate(t, s.Notes, note(1))
	if ids, _ := listAll(t, comments(s, 1), 10); len(ids) != 0 {
		t.Errorf("%d comments outlived their note's delete in a unit", len(ids))
	}
}

// testUnitChecks stages a check beside a create: the create commits only
// if the check holds, and the check itself writes and raises nothing.
func testUnitChecks(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, comments(s, 1), comment(2))
	s.Events(t)
	for i, tc := range []struct {
		name  string
		check func(u kit.Unit)
		want  error
	}{
		{"of an entity at its version", func(u kit.Unit) { u.Check(Note{}, "", id(1), 1) }, nil},
		{"of an entity at any version", func(u kit.Unit) { u.Check(Note{}, "", id(1), kit.AnyVersion) }, nil},
		{"of a child", func(u kit.Unit) { u.Check(Comment{}, id(1), id(2), 1) }, nil},
		{"of a missing child", func(u kit.Unit) { u.Check(Comment{}, id(1), id(3), kit.AnyVersion) }, kit.ErrNotFound},
		{"at a stale version", func(u kit.Unit) { u.Check(Note{}, "", id(1), 2) }, kit.ErrPreconditionFailed},
		{"of a missing entity", func(u kit.Unit) { u.Check(Note{}, "", id(9), kit.AnyVersion) }, kit.ErrNotFound},
		{"of a child at a stale version", func(u kit.Unit) { u.Check(Comment{}, id(1), id(2), 2) }, kit.ErrPreconditionFailed},
		{"of a child under a missing parent", func(u kit.Unit) { u.Check(Comment{}, id(9), id(2), kit.AnyVersion) }, kit.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			created := Tag{ID: id(100 + i), Label: tc.name}
			before := s.Snapshot(t)
			u := s.Storage.Begin()
			u.Create(created, "")
			tc.check(u)
			err := u.Commit(requestCtx(t))
			if tc.want != nil {
				wantUnitError(t, "the unit", err, 1, tc.want)
				wantUnchanged(t, s, "a failed check", before)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkEvents(t, "a unit with a check", s.Events(t), []wantEvent{
				{name: "TagCreated", id: created.ID, version: 1, payload: created, causedBy: -1},
			})
		})
	}
	if got, err := s.Notes.Get(ctx(t), id(1)); err != nil || got.Version != 1 {
		t.Errorf("checks changed the note they checked: v%d, %v", got.Version, err)
	}
}

// testUnitFailsHalfway stages four operations of which the third fails,
// each way one can: the unit writes nothing and raises nothing, not even
// what the two before it would have. The same unit without the third then
// commits, so the others were sound.
func testUnitFailsHalfway(t *testing.T, s Store) {
	for n := 1; n <= 3; n++ {
		mustCreate(t, s.Notes, note(n))
	}
	mustCreate(t, comments(s, 2), comment(20))
	mustCreate(t, comments(s, 3), comment(30))
	s.Events(t)
	stage := func(third func(u kit.Unit)) kit.Unit {
		u := s.Storage.Begin()
		u.Create(note(10), "")
		u.Delete(Note{}, "", id(2), 1)
		if third != nil {
			third(u)
		}
		u.Update(Note{}, "", id(1), kit.Patch{Set: map[string]any{"name": "renamed"}}, 1)
		u.Raise(Filed{Note: id(10), Folder: "inbox"})
		return u
	}
	for _, tc := range []struct {
		name  string
		third func(u kit.Unit)
		want  error // nil: an error of the store, not a condition's
	}{
		{"a create of an existing id", func(u kit.Unit) { u.Create(note(3), "") }, kit.ErrConflict},
		{"a create of an existing child", func(u kit.Unit) { u.Create(comment(30), id(3)) }, kit.ErrConflict},
		{"a child of a missing parent", func(u kit.Unit) { u.Create(comment(31), id(99)) }, kit.ErrNotFound},
		{"an update at a stale version", func(u kit.Unit) {
			u.Update(Note{}, "", id(3), kit.Patch{Set: map[string]any{"name": "x"}}, 2)
		}, kit.ErrPreconditionFailed},
		{"an update of a missing entity", func(u kit.Unit) {
			u.Update(Note{}, "", id(99), kit.Patch{Set: map[string]any{"name": "x"}}, kit.AnyVersion)
		}, kit.ErrNotFound},
		{"an update of a child at a stale version", func(u kit.Unit) {
			u.Update(Comment{}, id(3), id(30), kit.Patch{Set: map[string]any{"text": "x"}}, 2)
		}, kit.ErrPreconditionFailed},
		{"an update of a child under a missing parent", func(u kit.Unit) {
			u.Update(Comment{}, id(99), id(30), kit.Patch{Set: map[string]any{"text": "x"}}, kit.AnyVersion)
		}, kit.ErrNotFound},
		{"an addition to a field that is not a number", func(u kit.Unit) {
			u.Update(Note{}, "", id(3), kit.Patch{Add: map[string]int64{"name": 1}}, kit.AnyVersion)
		}, nil},
		{"a delete at a stale version", func(u kit.Unit) { u.Delete(Note{}, "", id(3), 2) }, kit.ErrPreconditionFailed},
		{"a delete of a missing entity", func(u kit.Unit) { u.Delete(Note{}, "", id(99), kit.AnyVersion) }, kit.ErrNotFound},
		{"a delete of a child at a stale version", func(u kit.Unit) { u.Delete(Comment{}, id(3), id(30), 2) }, kit.ErrPreconditionFailed},
		{"a check of a missing entity", func(u kit.Unit) { u.Check(Tag{}, "", id(3), kit.AnyVersion) }, kit.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Snapshot(t)
			err := stage(tc.third).Commit(requestCtx(t))
			if tc.want != nil {
				wantUnitError(t, tc.name, err, 2, tc.want)
			} else if err == nil {
				t.Fatal("the unit committed")
			}
			wantUnchanged(t, s, tc.name, before)
		})
	}
	if t.Failed() {
		return
	}
	commit(t, "the unit without its failing operation", stage(nil))
	renamed := note(1)
	renamed.Name = "renamed"
	checkEvents(t, "the unit without its failing operation", withoutCustom(t, s.Events(t), 1), []wantEvent{
		{name: "NoteCreated", id: id(10), version: 1, payload: note(10), causedBy: -1},
		{name: "NoteDeleted", id: id(2), version: 2, payload: note(2), causedBy: -1},
		{name: "CommentDeleted", id: id(20), parent: id(2), version: 2, payload: comment(20), causedBy: 1},
		{name: "NoteUpdated", id: id(1), version: 2, changed: []string{"name"}, payload: renamed, causedBy: -1},
	})
}

// refused is a unit Commit must refuse before writing, however its
// operations' conditions stand.
type refused struct {
	name  string
	stage func(u kit.Unit)
	want  error // nil: any error
}

func testUnitRefusesBadStaging(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, comments(s, 1), comment(2))
	s.Events(t)
	rename := kit.Patch{Set: map[string]any{"name": "x"}}
	for _, tc := range []refused{
		{"a create and an update of one entity", func(u kit.Unit) {
			u.Create(note(5), "")
			u.Update(Note{}, "", id(5), rename, kit.AnyVersion)
		}, nil},
		{"two updates of one entity", func(u kit.Unit) {
			u.Update(Note{}, "", id(1), rename, 1)
			u.Update(Note{}, "", id(1), kit.Patch{Add: map[string]int64{"size": 1}}, 1)
		}, nil},
		{"an update and a delete of one entity", func(u kit.Unit) {
			u.Update(Note{}, "", id(1), rename, kit.AnyVersion)
			u.Delete(Note{}, "", id(1), kit.AnyVersion)
		}, nil},
		{"a check and an update of one entity", func(u kit.Unit) {
			u.Check(Note{}, "", id(1), 1)
			u.Update(Note{}, "", id(1), rename, 1)
		}, nil},
		{"two operations on one child", func(u kit.Unit) {
			u.Update(Comment{}, id(1), id(2), kit.Patch{Set: map[string]any{"text": "x"}}, 1)
			u.Check(Comment{}, id(1), id(2), 1)
		}, nil},
		{"a child without its parent's id", func(u kit.Unit) { u.Create(comment(3), "") }, kit.ErrInvalid},
		{"a parent's id for an entity that is not a child", func(u kit.Unit) { u.Create(note(3), id(1)) }, kit.ErrInvalid},
		{"an event that is not a struct", func(u kit.Unit) {
			u.Create(note(3), "")
			u.Raise("filed")
		}, nil},
		{"an event of no named type", func(u kit.Unit) {
			u.Create(note(3), "")
			u.Raise(struct{ Note string }{id(3)})
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Snapshot(t)
			u := s.Storage.Begin()
			tc.stage(u)
			err := u.Commit(requestCtx(t))
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("got error %v, want a refusal (%v)", err, tc.want)
			}
			wantUnchanged(t, s, tc.name, before)
		})
	}
	// The same id in two kinds, or under two parents, is two items.
	mustCreate(t, s.Notes, note(2))
	s.Events(t)
	u := s.Storage.Begin()
	u.Update(Note{}, "", id(1), rename, 1)
	u.Create(Tag{ID: id(1)}, "")
	u.Create(comment(7), id(1))
	u.Create(comment(7), id(2))
	commit(t, "the same id in two kinds and under two parents", u)
	if evs := s.Events(t); len(evs) != 4 {
		t.Errorf("4 writes raised %v", summaries(evs))
	}
}

// testUnitLimit fills units to kit.MaxUnit items, counted as
// kit.Staging.Validate documents, and one item past it. A full unit must
// commit: DynamoDB takes 100 items a transaction. One more is refused
// before anything is written.
func testUnitLimit(t *testing.T, s Store) {
	const parent, full = 1, kit.MaxUnit
	mustCreate(t, s.Notes, note(parent))
	Parallel(t, full/2, func(i int) error {
		_, err := s.Tags.Create(ctx(t), Tag{ID: id(1000 + i), Label: "to delete"})
		return err
	})
	s.Events(t)
	newNotes := func(from, count int) func(u kit.Unit) {
		return func(u kit.Unit) {
			for i := range count {
				u.Create(note(from+i), "")
			}
		}
	}
	newComments := func(note, count int) func(u kit.Unit) {
		return func(u kit.Unit) {
			for i := range count {
				u.Create(comment(100+i), id(note))
			}
		}
	}
	deleteTags := func(u kit.Unit) {
		for i := range full / 2 {
			u.Delete(Tag{}, "", id(1000+i), 1)
		}
	}
	raise := func(u kit.Unit) { u.Raise(Filed{Note: id(parent), Folder: "limit"}) }
	both := func(a, b func(u kit.Unit)) func(u kit.Unit) { return func(u kit.Unit) { a(u); b(u) } }
	// A subtest's context is made when it runs: the subtests run one after
	// another, and one made up front could time out before the last.
	claim := func(t *testing.T, n int) context.Context {
		return idempotency.WithClaim(requestCtx(t), &idempotency.Claim{
			Record: idempotency.Record{Key: fmt.Sprintf("limit-%d", n), Fingerprint: "f", ExpiresAt: at.Add(24 * time.Hour)},
			Now:    at,
		})
	}
	for _, tc := range []struct {
		name   string
		stage  func(u kit.Unit)
		claim  int // the request's idempotency claim, if not 0
		events int // on commit; -1: refused
	}{
		{"101 creates", newNotes(100, full+1), 0, -1},
		{"100 creates", newNotes(100, full), 0, full},
		{"100 creates and an event", both(newNotes(300, full), raise), 0, -1},
		{"99 creates and an event", both(newNotes(300, full-1), raise), 0, full},
		// A delete is two items: the delete and its event's outbox item.
		{"50 deletes and a create", both(deleteTags, newNotes(500, 1)), 0, -1},
		{"50 deletes", deleteTags, 0, full / 2},
		// A child's create is two items, with its parent's check, unless
		// the unit writes the parent; one check covers a parent's children.
		{"100 children and their parent's check", newComments(parent, full), 0, -1},
		{"99 children and their parent's check", newComments(parent, full-1), 0, full - 1},
		{"a parent and 100 children", both(newNotes(700, 1), newComments(700, full)), 0, -1},
		{"a parent and 99 children", both(newNotes(700, 1), newComments(700, full-1)), 0, full},
		// A request's idempotency claim commits with the unit.
		{"100 creates and a claim", newNotes(900, full), 1, -1},
		{"99 creates and a claim", newNotes(900, full-1), 2, full - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := requestCtx(t)
			if tc.claim != 0 {
				ctx = claim(t, tc.claim)
			}
			before := s.Snapshot(t)
			u := s.Storage.Begin()
			tc.stage(u)
			err := u.Commit(ctx)
			if tc.events < 0 {
				wantErr(t, tc.name, err, kit.ErrUnitTooLarge)
				wantUnchanged(t, s, tc.name, before)
				if tc.claim != 0 && idempotency.ClaimFrom(ctx) == nil {
					t.Error("a refused unit used up the request's claim")
				}
				return
			}
			if err != nil {
				t.Fatalf("a unit of %d items: %v", full, err)
			}
			if tc.claim != 0 && idempotency.ClaimFrom(ctx) != nil {
				t.Error("the unit committed without the request's claim")
			}
			if evs := s.Events(t); len(evs) != tc.events {
				t.Errorf("raised %d events, want %d", len(evs), tc.events)
			}
		})
	}
}

// withoutCustom returns evs without their custom events, failing t unless
// there are want of them.
func withoutCustom(t *testing.T, evs []event.Event, want int) []event.Event {
	t.Helper()
	var out []event.Event
	n := 0
	for _, ev := range evs {
		if ev.Metadata.Kind == "" {
			n++
			continue
		}
		out = append(out, ev)
	}
	if n != want {
		t.Errorf("%d custom events, want %d", n, want)
	}
	return out
}

// testUnitCustomEvents raises Filed in units that commit and in units that
// do not: only the committed ones' events exist.
func testUnitCustomEvents(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	s.Events(t)
	filed := Filed{Note: id(1), Folder: "inbox"}

	before := s.Snapshot(t)
	u := s.Storage.Begin()
	u.Update(Note{}, "", id(1), kit.Patch{Set: map[string]any{"status": "filed"}}, 2)
	u.Raise(filed)
	wantUnitError(t, "a unit at a stale version", u.Commit(requestCtx(t)), 0, kit.ErrPreconditionFailed)
	wantUnchanged(t, s, "a refused unit with an event", before)

	u = s.Storage.Begin()
	u.Update(Note{}, "", id(1), kit.Patch{Set: map[string]any{"status": "filed"}}, 1)
	u.Raise(filed)
	u.Raise(Filed{Note: id(1), Folder: "archive"})
	commit(t, "a unit with events", u)
	evs := s.Events(t)
	updated := note(1)
	updated.Status = "filed"
	checkEvents(t, "a unit with events", withoutCustom(t, evs, 2), []wantEvent{
		{name: "NoteUpdated", id: id(1), version: 2, changed: []string{"status"}, payload: updated, causedBy: -1},
	})
	var folders []string
	for _, ev := range evs {
		m := ev.Metadata
		if m.Kind != "" {
			continue
		}
		if m.Name != "Filed" || m.EntityID != "" || m.Version != 0 || m.CauseID != causeID ||
			m.Caller != request.Caller || m.RequestID != request.RequestID || m.TraceID != request.TraceID {
			t.Errorf("custom event metadata = %+v", m)
		}
		var got Filed
		if err := json.Unmarshal(ev.Payload, &got); err != nil || got.Note != id(1) {
			t.Errorf("custom event payload %s: %v", ev.Payload, err)
		}
		folders = append(folders, got.Folder)
	}
	slices.Sort(folders)
	if !slices.Equal(folders, []string{"archive", "inbox"}) {
		t.Errorf("raised Filed to %v, want archive and inbox", folders)
	}
	checkIdentities(t, "a unit with events", evs)

	// A unit of events alone writes them; an empty unit, nothing.
	u = s.Storage.Begin()
	u.Raise(filed)
	commit(t, "a unit of one event", u)
	if evs := s.Events(t); len(evs) != 1 || evs[0].Metadata.Name != "Filed" {
		t.Errorf("a unit of one event raised %v", summaries(evs))
	}
	before = s.Snapshot(t)
	commit(t, "an empty unit", s.Storage.Begin())
	wantUnchanged(t, s, "an empty unit", before)
}
