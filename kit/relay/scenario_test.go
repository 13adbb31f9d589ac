package relay_test

import (
	"testing"

	"github.com/lambdakit/lambdakit/kit"
)

// scenario writes through the store what every test batch holds, one
// write a second: creates, an update, a derived write (a record with no
// event), a delete, and a unit of work with a custom event.
func (f *fixture) scenario(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	w := f.widgets()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f.tick()
	_, err := w.Create(ctx, Widget{ID: "w1", Name: "one", Count: 1, Price: 2.5, Tags: []string{"a", "b"}})
	must(err)
	f.tick()
	_, err = w.Create(ctx, Widget{ID: "w2", Name: "two", Count: 2, Active: true})
	must(err)
	f.tick()
	_, err = w.Update(ctx, "w1", kit.Patch{Set: map[string]any{"name": "uno"}, Remove: []string{"tags"}}, 1)
	must(err)
	f.tick()
	_, err = w.Update(ctx, "w2", kit.Patch{Add: map[string]int64{"count": 1}, Derived: true}, kit.AnyVersion)
	must(err)
	f.tick()
	must(w.Delete(ctx, "w2", 1))
	f.tick()
	_, err = w.Create(ctx, Widget{ID: "w3", Name: "three"})
	must(err)
	f.tick()
	u := f.store.Begin()
	u.Update(Widget{}, "", "w3", kit.Patch{Add: map[string]int64{"count": 5}}, 1)
	u.Raise(Restocked{Widget: "w3", Count: 5})
	must(u.Commit(ctx))
}

// published is an event as the scenario's batch must put it on the bus:
// the record it comes from and its detail.
type published struct {
	record     int
	id, name   string
	occurredAt string
	detail     string
}

// scenarioEvents are the scenario's events in commit order. Record 3, the
// derived write, carries none.
var scenarioEvents = []published{
	{0, "evt-001", "WidgetCreated", "2026-03-01T10:00:01.000Z",
		`{"metadata":{"id":"evt-001","name":"WidgetCreated","occurredAt":"2026-03-01T10:00:01.000Z","kind":"WIDGET","entityId":"w1","version":1},
		  "payload":{"id":"w1","name":"one","count":1,"price":2.5,"tags":["a","b"]}}`},
	{1, "evt-002", "WidgetCreated", "2026-03-01T10:00:02.000Z",
		`{"metadata":{"id":"evt-002","name":"WidgetCreated","occurredAt":"2026-03-01T10:00:02.000Z","kind":"WIDGET","entityId":"w2","version":1},
		  "payload":{"id":"w2","name":"two","count":2,"active":true}}`},
	{2, "evt-003", "WidgetUpdated", "2026-03-01T10:00:03.000Z",
		`{"metadata":{"id":"evt-003","name":"WidgetUpdated","occurredAt":"2026-03-01T10:00:03.000Z","kind":"WIDGET","entityId":"w1","version":2,"changed":["name","tags"]},
		  "payload":{"id":"w1","name":"uno","count":1,"price":2.5}}`},
	{4, "evt-004", "WidgetDeleted", "2026-03-01T10:00:05.000Z",
		`{"metadata":{"id":"evt-004","name":"WidgetDeleted","occurredAt":"2026-03-01T10:00:05.000Z","kind":"WIDGET","entityId":"w2","version":2},
		  "payload":{"id":"w2","name":"two","count":3,"active":true}}`},
	{5, "evt-005", "WidgetCreated", "2026-03-01T10:00:06.000Z",
		`{"metadata":{"id":"evt-005","name":"WidgetCreated","occurredAt":"2026-03-01T10:00:06.000Z","kind":"WIDGET","entityId":"w3","version":1},
		  "payload":{"id":"w3","name":"three","count":0}}`},
	{6, "evt-006", "WidgetUpdated", "2026-03-01T10:00:07.000Z",
		`{"metadata":{"id":"evt-006","name":"WidgetUpdated","occurredAt":"2026-03-01T10:00:07.000Z","kind":"WIDGET","entityId":"w3","version":2,"changed":["count"]},
		  "payload":{"id":"w3","name":"three","count":5}}`},
	{7, "evt-007", "Restocked", "2026-03-01T10:00:07.000Z",
		`{"metadata":{"id":"evt-007","name":"Restocked","occurredAt":"2026-03-01T10:00:07.000Z"},"payload":{"widget":"w3","count":5}}`},
}

// finalState is what the projection holds once every scenario event is
// applied once.
var finalState = state{
	Applied:  []string{"evt-001", "evt-002", "evt-003", "evt-004", "evt-005", "evt-006", "evt-007"},
	Widgets:  map[string]Widget{"w1": {ID: "w1", Name: "uno", Count: 1, Price: 2.5}, "w3": {ID: "w3", Name: "three", Count: 5}},
	Versions: map[string]int64{"w1": 2, "w2": 2, "w3": 2},
	Restock:  map[string]int{"w3": 5},
}

// eventIDsOf lists the ids of the scenario's events whose records are in
// [from, to).
func eventIDsOf(from, to int) []string {
	var out []string
	for _, e := range scenarioEvents {
		if e.record >= from && e.record < to {
			out = append(out, e.id)
		}
	}
	return out
}
