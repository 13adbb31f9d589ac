package repotest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
)

// Filed is the suite's custom event: a unit of work raises it with its
// writes.
type Filed struct {
	Note   string `json:"note"`
	Folder string `json:"folder"`
}

// Catalog returns the catalog of every event the suite's stores raise: the
// three of each entity (Note, Tag, Comment, Pin, Book and Loan, each shown as its
// JSON) and Filed. An adapter's test derives its store's events with it.
func Catalog(tb testing.TB) *event.Catalog {
	tb.Helper()
	c := event.NewCatalog()
	view := func(e kit.Entity) (json.RawMessage, error) { return json.Marshal(e) }
	for _, e := range []kit.Entity{Note{}, Tag{}, Comment{}, Pin{}, Book{}, Loan{}} {
		decl := event.Entity{Kind: e.EntityKind(), Type: reflect.TypeOf(e), View: view}
		if child, ok := e.(kit.Child); ok {
			decl.ParentKind = child.ParentKind()
		}
		if err := c.AddEntity(decl); err != nil {
			tb.Fatal(err)
		}
	}
	if err := event.Declare[Filed](c); err != nil {
		tb.Fatal(err)
	}
	return c
}

// runEvents runs the tests of the events writes raise, each on a fresh
// store.
func runEvents(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"EveryWriteRaisesOneEvent", testEveryWriteRaisesOneEvent},
		{"MetadataComesFromTheContext", testEventMetadataFromContext},
		{"FailedWritesRaiseNothing", testFailedWritesRaiseNothing},
		{"DerivedWritesRaiseNothing", testDerivedWrites},
		{"DeleteRaisesOneEventPerChild", testCascadeEvents},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, newStore(t))
		})
	}
}

// The request every write of the events tests is made for, as the router
// puts it in the context.
var request = kit.RequestInfo{
	RequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
	Stage:     "prod",
	Caller:    "arn:aws:iam::123456789012:user/alice",
	TraceID:   "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
}

// causeID is the event a consumer handled when it made the writes of the
// events tests.
const causeID = "00000000-0000-7000-9000-000000000042"

// requestCtx is a context of request, naming causeID as the cause.
func requestCtx(t *testing.T) context.Context {
	return event.WithCause(kit.WithRequestInfo(ctx(t), request), causeID)
}

// wantEvent is what a test expects of one event.
type wantEvent struct {
	name, id, parent string
	version          int64
	changed          []string
	payload          any // marshalled to JSON and compared as JSON
	// causedBy is the index, among the events of the same write, of the
	// event that caused this one; -1 for the context's cause.
	causedBy int
}

// checkEvents fails t unless got holds exactly want, in any order (the
// stream orders only each item's changes), each carrying request's
// metadata.
func checkEvents(t *testing.T, what string, got []event.Event, want []wantEvent) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s raised %d events, want %d: %v", what, len(got), len(want), summaries(got))
	}
	key := func(name, parent, id string) string { return name + " " + parent + "/" + id }
	byKey := map[string]event.Event{}
	for _, ev := range got {
		m := ev.Metadata
		k := key(m.Name, m.ParentID, m.EntityID)
		if _, dup := byKey[k]; dup {
			t.Errorf("%s raised %s twice", what, k)
		}
		byKey[k] = ev
	}
	for _, w := range want {
		ev, ok := byKey[key(w.name, w.parent, w.id)]
		if !ok {
			t.Errorf("%s: no %s of %s/%s among %v", what, w.name, w.parent, w.id, summaries(got))
			continue
		}
		m := ev.Metadata
		cause := causeID
		if w.causedBy >= 0 {
			c := want[w.causedBy]
			cause = byKey[key(c.name, c.parent, c.id)].Metadata.ID
		}
		if m.Version != w.version || !slices.Equal(m.Changed, w.changed) || m.CauseID != cause {
			t.Errorf("%s: %s of %s has version %d, changed %q, cause %q; want %d, %q, %q",
				what, w.name, w.id, m.Version, m.Changed, m.CauseID, w.version, w.changed, cause)
		}
		wantKind := reflect.TypeOf(w.payload).Name()
		if m.Kind != kindOf(wantKind) {
			t.Errorf("%s: %s has kind %q, want %q", what, w.name, m.Kind, kindOf(wantKind))
		}
		if m.Caller != request.Caller || m.RequestID != request.RequestID || m.TraceID != request.TraceID {
			t.Errorf("%s: %s carries caller %q, request %q, trace %q; want the request's", what, w.name, m.Caller, m.RequestID, m.TraceID)
		}
		checkPayload(t, what+": "+w.name, ev.Payload, w.payload)
	}
	checkIdentities(t, what, got)
}

// kindOf is the entity kind of the suite's type name.
func kindOf(typeName string) string {
	for _, e := range []kit.Entity{Note{}, Tag{}, Comment{}, Pin{}, Book{}, Loan{}} {
		if reflect.TypeOf(e).Name() == typeName {
			return e.EntityKind()
		}
	}
	return ""
}

// checkPayload fails t unless payload is want as JSON.
func checkPayload(t *testing.T, what string, payload json.RawMessage, want any) {
	t.Helper()
	b, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(payload, &g); err != nil {
		t.Errorf("%s: payload %s is not JSON: %v", what, payload, err)
		return
	}
	_ = json.Unmarshal(b, &w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: payload %s, want %s", what, payload, b)
	}
}

// checkIdentities fails t unless every event has an id of its own and the
// time of its write, in the events' format.
func checkIdentities(t *testing.T, what string, got []event.Event) {
	t.Helper()
	seen := map[string]bool{}
	for _, ev := range got {
		m := ev.Metadata
		if m.ID == "" || seen[m.ID] {
			t.Errorf("%s: %s of %s has id %q, which is empty or another event's", what, m.Name, m.EntityID, m.ID)
		}
		seen[m.ID] = true
		if at, err := time.Parse(event.TimeFormat, m.OccurredAt); err != nil || event.FormatTime(at) != m.OccurredAt {
			t.Errorf("%s: %s occurred at %q, not a time in the events' format", what, m.Name, m.OccurredAt)
		}
	}
}

// summaries names events for messages, in a fixed order.
func summaries(evs []event.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		m := ev.Metadata
		out[i] = fmt.Sprintf("%s %s/%s v%d", m.Name, m.ParentID, m.EntityID, m.Version)
	}
	slices.Sort(out)
	return out
}

// wantUnchanged fails t unless the store holds what before lists and
// raised no event since the last look.
func wantUnchanged(t *testing.T, s Store, what string, before []string) {
	t.Helper()
	if after := s.Snapshot(t); !slices.Equal(before, after) {
		t.Errorf("%s changed the store:\nbefore %v\nafter  %v", what, before, after)
	}
	if evs := s.Events(t); len(evs) > 0 {
		t.Errorf("%s raised %d events: %v", what, len(evs), summaries(evs))
	}
}

func testEveryWriteRaisesOneEvent(t *testing.T, s Store) {
	renamed := note(1)
	renamed.Name, renamed.Status = "renamed", ""
	grown := renamed
	grown.Size += 5
	edited := comment(2)
	edited.Text = "edited"
	pins := kit.RepositoryOf[Pin](s.Storage, id(1))
	steps := []struct {
		name  string
		write func(ctx context.Context) error
		want  []wantEvent
	}{
		{"create", func(ctx context.Context) error { _, err := s.Notes.Create(ctx, note(1)); return err },
			[]wantEvent{{name: "NoteCreated", id: id(1), version: 1, payload: note(1), causedBy: -1}}},
		{"update, setting and removing", func(ctx context.Context) error {
			_, err := s.Notes.Update(ctx, id(1), kit.Patch{Set: map[string]any{"name": "renamed"}, Remove: []string{"status"}}, 1)
			return err
		}, []wantEvent{{name: "NoteUpdated", id: id(1), version: 2, changed: []string{"name", "status"}, payload: renamed, causedBy: -1}}},
		{"update, adding", func(ctx context.Context) error {
			_, err := s.Notes.Update(ctx, id(1), kit.Patch{Add: map[string]int64{"size": 5}}, kit.AnyVersion)
			return err
		}, []wantEvent{{name: "NoteUpdated", id: id(1), version: 3, changed: []string{"size"}, payload: grown, causedBy: -1}}},
		// A write that sets what is stored is still a write: a new version,
		// and its event, with nothing changed.
		{"update to the same", func(ctx context.Context) error {
			_, err := s.Notes.Update(ctx, id(1), kit.Patch{Set: map[string]any{"name": "renamed"}}, 3)
			return err
		}, []wantEvent{{name: "NoteUpdated", id: id(1), version: 4, payload: grown, causedBy: -1}}},
		{"create a child", func(ctx context.Context) error { _, err := comments(s, 1).Create(ctx, comment(2)); return err },
			[]wantEvent{{name: "CommentCreated", id: id(2), parent: id(1), version: 1, payload: comment(2), causedBy: -1}}},
		{"update a child", func(ctx context.Context) error {
			_, err := comments(s, 1).Update(ctx, id(2), kit.Patch{Set: map[string]any{"text": "edited"}}, 1)
			return err
		}, []wantEvent{{name: "CommentUpdated", id: id(2), parent: id(1), version: 2, changed: []string{"text"}, payload: edited, causedBy: -1}}},
		{"delete a child", func(ctx context.Context) error { return comments(s, 1).Delete(ctx, id(2), 2) },
			[]wantEvent{{name: "CommentDeleted", id: id(2), parent: id(1), version: 3, payload: edited, causedBy: -1}}},
		{"create a listed child", func(ctx context.Context) error { _, err := pins.Create(ctx, Pin{ID: id(3)}); return err },
			[]wantEvent{{name: "PinCreated", id: id(3), parent: id(1), version: 1, payload: Pin{ID: id(3)}, causedBy: -1}}},
		{"create another kind", func(ctx context.Context) error { _, err := s.Tags.Create(ctx, Tag{ID: id(1), Label: "x"}); return err },
			[]wantEvent{{name: "TagCreated", id: id(1), version: 1, payload: Tag{ID: id(1), Label: "x"}, causedBy: -1}}},
		{"delete another kind", func(ctx context.Context) error { return s.Tags.Delete(ctx, id(1), kit.AnyVersion) },
			[]wantEvent{{name: "TagDeleted", id: id(1), version: 2, payload: Tag{ID: id(1), Label: "x"}, causedBy: -1}}},
		// The note's delete removes its pin: one event each, the pin's
		// caused by the note's.
		{"delete", func(ctx context.Context) error { return s.Notes.Delete(ctx, id(1), 4) },
			[]wantEvent{
				{name: "NoteDeleted", id: id(1), version: 5, payload: grown, causedBy: -1},
				{name: "PinDeleted", id: id(3), parent: id(1), version: 2, payload: Pin{ID: id(3)}, causedBy: 0},
			}},
	}
	for _, step := range steps {
		if err := step.write(requestCtx(t)); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		checkEvents(t, step.name, s.Events(t), step.want)
	}
}

// testEventMetadataFromContext checks that an event names the request of
// its write and the event that caused it, as the context has them, and
// nothing when it has none.
func testEventMetadataFromContext(t *testing.T, s Store) {
	other := kit.RequestInfo{RequestID: "req-2", Caller: "arn:aws:iam::123456789012:role/batch", TraceID: "Root=1-00000000-000000000000000000000002"}
	for i, tc := range []struct {
		name string
		ctx  context.Context
		want event.Origin
	}{
		{"no request", ctx(t), event.Origin{}},
		{"a request", kit.WithRequestInfo(ctx(t), other), event.Origin{Caller: other.Caller, RequestID: other.RequestID, TraceID: other.TraceID}},
		{"a request unsigned", kit.WithRequestInfo(ctx(t), kit.RequestInfo{RequestID: "req-3"}), event.Origin{RequestID: "req-3"}},
		{"a consumer", event.WithCause(ctx(t), "cause-4"), event.Origin{CauseID: "cause-4"}},
		{"a request and a cause", event.WithCause(kit.WithRequestInfo(ctx(t), other), "cause-5"),
			event.Origin{Caller: other.Caller, RequestID: other.RequestID, TraceID: other.TraceID, CauseID: "cause-5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := i + 1
			writes := []func() error{
				func() error { _, err := s.Notes.Create(tc.ctx, note(n)); return err },
				func() error {
					_, err := s.Notes.Update(tc.ctx, id(n), kit.Patch{Set: map[string]any{"name": "x"}}, 1)
					return err
				},
				func() error { return s.Notes.Delete(tc.ctx, id(n), 2) },
				func() error { u := s.Storage.Begin(); u.Raise(Filed{Note: id(n)}); return u.Commit(tc.ctx) },
			}
			for _, write := range writes {
				if err := write(); err != nil {
					t.Fatal(err)
				}
			}
			evs := s.Events(t)
			if len(evs) != len(writes) {
				t.Fatalf("%d writes raised %d events: %v", len(writes), len(evs), summaries(evs))
			}
			for _, ev := range evs {
				m := ev.Metadata
				got := event.Origin{Caller: m.Caller, RequestID: m.RequestID, TraceID: m.TraceID, CauseID: m.CauseID}
				if got != tc.want {
					t.Errorf("%s carries %+v, want %+v", m.Name, got, tc.want)
				}
			}
		})
	}
}

func testFailedWritesRaiseNothing(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, comments(s, 1), comment(2))
	s.Events(t)
	for _, tc := range []struct {
		name  string
		write func(ctx context.Context) error
		want  error
	}{
		{"create of an existing id", func(ctx context.Context) error { _, err := s.Notes.Create(ctx, note(1)); return err }, kit.ErrConflict},
		{"update of a missing entity", func(ctx context.Context) error {
			_, err := s.Notes.Update(ctx, id(9), kit.Patch{Set: map[string]any{"name": "x"}}, kit.AnyVersion)
			return err
		}, kit.ErrNotFound},
		{"update at a stale version", func(ctx context.Context) error {
			_, err := s.Notes.Update(ctx, id(1), kit.Patch{Set: map[string]any{"name": "x"}}, 2)
			return err
		}, kit.ErrPreconditionFailed},
		{"derived update of a missing entity", func(ctx context.Context) error {
			_, err := s.Notes.Update(ctx, id(9), kit.Patch{Set: map[string]any{"size": 1}, Derived: true}, kit.AnyVersion)
			return err
		}, kit.ErrNotFound},
		{"delete of a missing entity", func(ctx context.Context) error { return s.Notes.Delete(ctx, id(9), kit.AnyVersion) }, kit.ErrNotFound},
		{"delete at a stale version", func(ctx context.Context) error { return s.Notes.Delete(ctx, id(1), 2) }, kit.ErrPreconditionFailed},
		{"create of an existing child", func(ctx context.Context) error { _, err := comments(s, 1).Create(ctx, comment(2)); return err }, kit.ErrConflict},
		{"create under a missing parent", func(ctx context.Context) error { _, err := comments(s, 9).Create(ctx, comment(3)); return err }, kit.ErrNotFound},
		{"update of a child under another parent", func(ctx context.Context) error {
			_, err := comments(s, 9).Update(ctx, id(2), kit.Patch{Set: map[string]any{"text": "x"}}, kit.AnyVersion)
			return err
		}, kit.ErrNotFound},
		{"update of a child at a stale version", func(ctx context.Context) error {
			_, err := comments(s, 1).Update(ctx, id(2), kit.Patch{Set: map[string]any{"text": "x"}}, 3)
			return err
		}, kit.ErrPreconditionFailed},
		{"delete of a missing child", func(ctx context.Context) error { return comments(s, 1).Delete(ctx, id(9), kit.AnyVersion) }, kit.ErrNotFound},
		{"delete of a child at a stale version", func(ctx context.Context) error { return comments(s, 1).Delete(ctx, id(2), 3) }, kit.ErrPreconditionFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Snapshot(t)
			wantErr(t, tc.name, tc.write(requestCtx(t)), tc.want)
			wantUnchanged(t, s, tc.name, before)
		})
	}
}

// testDerivedWrites checks Patch.Derived: a write of fields the service
// keeps itself raises no event and leaves the version, and so every
// client's If-Match, alone; it counts a revision instead.
func testDerivedWrites(t *testing.T, s Store) {
	mustCreate(t, s.Notes, note(1))
	s.Events(t)
	v, err := s.Notes.Update(requestCtx(t), id(1), kit.Patch{Set: map[string]any{"size": 42}, Derived: true}, kit.AnyVersion)
	if err != nil || v.Version != 1 || v.Revision != 1 || v.Entity.Size != 42 {
		t.Fatalf("derived update = size %d v%d r%d, %v; want size 42 at v1 r1", v.Entity.Size, v.Version, v.Revision, err)
	}
	// Through a unit, at the version a client holds.
	u := s.Storage.Begin()
	u.Update(Note{}, "", id(1), kit.Patch{Add: map[string]int64{"size": 1}, Derived: true}, 1)
	if err := u.Commit(requestCtx(t)); err != nil {
		t.Fatalf("derived update in a unit: %v", err)
	}
	got, err := s.Notes.Get(ctx(t), id(1))
	if err != nil || got.Version != 1 || got.Revision != 2 || got.Entity.Size != 43 {
		t.Fatalf("after two derived updates: size %d v%d r%d, %v; want size 43 at v1 r2", got.Entity.Size, got.Version, got.Revision, err)
	}
	if evs := s.Events(t); len(evs) > 0 {
		t.Fatalf("derived updates raised %v", summaries(evs))
	}
	// A client's update at the version it read before them still applies,
	// and its event lists only what the client changed.
	v, err = s.Notes.Update(requestCtx(t), id(1), kit.Patch{Set: map[string]any{"name": "renamed"}}, 1)
	if err != nil || v.Version != 2 || v.Revision != 2 {
		t.Fatalf("update after derived ones = v%d r%d, %v; want v2 r2", v.Version, v.Revision, err)
	}
	want := note(1)
	want.Name, want.Size = "renamed", 43
	checkEvents(t, "update after derived ones", s.Events(t), []wantEvent{
		{name: "NoteUpdated", id: id(1), version: 2, changed: []string{"name"}, payload: want, causedBy: -1},
	})
}

// testCascadeEvents deletes a note with more comments than one sweep
// transaction takes: the note's event, and one for each comment, caused by
// the note's.
func testCascadeEvents(t *testing.T, s Store) {
	const n = 120
	mustCreate(t, s.Notes, note(1))
	mustCreate(t, s.Notes, note(2))
	createComments(t, comments(s, 1), 1, n)
	mustCreate(t, comments(s, 2), comment(500))
	s.Events(t)
	if err := s.Notes.Delete(requestCtx(t), id(1), 1); err != nil {
		t.Fatal(err)
	}
	want := []wantEvent{{name: "NoteDeleted", id: id(1), version: 2, payload: note(1), causedBy: -1}}
	for i := 1; i <= n; i++ {
		want = append(want, wantEvent{name: "CommentDeleted", id: id(i), parent: id(1), version: 2, payload: comment(i), causedBy: 0})
	}
	checkEvents(t, "a note's delete", s.Events(t), want)
	if _, err := comments(s, 2).Get(ctx(t), id(500)); err != nil {
		t.Errorf("another note's comment: %v", err)
	}
}
