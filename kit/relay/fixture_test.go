package relay_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/deadletter"
	"github.com/lambdakit/lambdakit/kit/deadletter/sqstest"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/eventbridge"
	"github.com/lambdakit/lambdakit/kit/eventbridge/eventbridgetest"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/relay"
)

// What the relay under test publishes to and as.
const (
	bus       = "relay-test-bus"
	source    = "relay-test"
	namespace = "RelayTest"
	streamARN = "arn:aws:dynamodb:us-east-1:123456789012:table/relay-test/stream/2026-03-01T00:00:00.000"
)

// Widget is the declared entity the tests write: a field of each JSON
// type, so that its items cross every attribute type a stream carries.
type Widget struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Count  int      `json:"count"`
	Price  float64  `json:"price,omitempty"`
	Active bool     `json:"active,omitempty"`
	Tags   []string `json:"tags,omitempty"`
}

// EntityKind implements kit.Entity.
func (Widget) EntityKind() string { return "WIDGET" }

// EntityID implements kit.Entity.
func (w Widget) EntityID() string { return w.ID }

// Gadget is stored through the same store but never declared: the stream
// carries its events, and the relay cannot decode them.
type Gadget struct {
	ID string `json:"id"`
}

// EntityKind implements kit.Entity.
func (Gadget) EntityKind() string { return "GADGET" }

// EntityID implements kit.Entity.
func (g Gadget) EntityID() string { return g.ID }

// Restocked is a custom event, raised through a unit of work.
type Restocked struct {
	Widget string `json:"widget"`
	Count  int    `json:"count"`
}

// clock is the time the store stamps events with; tests move it.
type clock struct{ now atomic.Pointer[time.Time] }

func (c *clock) Now() time.Time  { return *c.now.Load() }
func (c *clock) Set(t time.Time) { c.now.Store(&t) }

// start is the time of the first write; each write is a second later.
var start = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// eventIDs hands out evt-001 and up.
func eventIDs() kit.IDs {
	var n atomic.Int64
	return kit.IDFunc(func() string { return fmt.Sprintf("evt-%03d", n.Add(1)) })
}

func tokens(tb testing.TB) *cursor.Codec {
	tb.Helper()
	c, err := cursor.New([]byte("relay-test-cursor-signing-key"))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// catalog declares Widget and Restocked, not Gadget.
func catalog(tb testing.TB) *event.Catalog {
	tb.Helper()
	c := event.NewCatalog()
	view := func(e kit.Entity) (json.RawMessage, error) { return json.Marshal(e) }
	if err := c.AddEntity(event.Entity{Kind: "WIDGET", Type: reflect.TypeFor[Widget](), View: view}); err != nil {
		tb.Fatal(err)
	}
	if err := event.Declare[Restocked](c); err != nil {
		tb.Fatal(err)
	}
	return c
}

// projection is an idempotent consumer of every event: it applies each
// event id once, drops an entity's events older than what it holds, and
// keeps the widgets as the events tell them.
type projection struct {
	mu sync.Mutex
	// fail, when set, is asked before each delivery; an error fails it.
	fail func(id string) error
	// calls are the event ids of every delivery, duplicates included.
	calls []string
	// applied are the event ids applied, once each.
	applied  []string
	widgets  map[string]Widget
	versions map[string]int64
	restock  map[string]int
}

func newProjection(c *event.Catalog, tb testing.TB) *projection {
	tb.Helper()
	p := &projection{widgets: map[string]Widget{}, versions: map[string]int64{}, restock: map[string]int{}}
	if err := event.Handle(c, p.widget); err != nil {
		tb.Fatal(err)
	}
	if err := event.Handle(c, p.restocked); err != nil {
		tb.Fatal(err)
	}
	return p
}

// deliver records a delivery and reports whether it is the first of its
// event; the lock is held.
func (p *projection) deliver(id string) (bool, error) {
	p.calls = append(p.calls, id)
	if p.fail != nil {
		if err := p.fail(id); err != nil {
			return false, err
		}
	}
	if slices.Contains(p.applied, id) {
		return false, nil
	}
	p.applied = append(p.applied, id)
	return true, nil
}

func (p *projection) widget(_ context.Context, e event.Of[Widget]) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	first, err := p.deliver(e.ID)
	if err != nil || !first || e.Version <= p.versions[e.EntityID] {
		return err
	}
	p.versions[e.EntityID] = e.Version
	if e.What() == event.Deleted {
		delete(p.widgets, e.EntityID)
		return nil
	}
	p.widgets[e.EntityID] = e.Entity
	return nil
}

func (p *projection) restocked(_ context.Context, e event.Raised[Restocked]) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	first, err := p.deliver(e.ID)
	if err != nil || !first {
		return err
	}
	p.restock[e.Event.Widget] += e.Event.Count
	return nil
}

// state is what the projection holds, to compare two runs.
type state struct {
	Applied  []string
	Widgets  map[string]Widget
	Versions map[string]int64
	Restock  map[string]int
}

func (p *projection) state() state {
	p.mu.Lock()
	defer p.mu.Unlock()
	return state{slices.Clone(p.applied), cloneMap(p.widgets), cloneMap(p.versions), cloneMap(p.restock)}
}

func (p *projection) delivered() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fixture is a relay wired as the event function is, to the stand-ins
// through the real SDK clients, over a memory store whose stream the
// tests turn into Lambda's records.
type fixture struct {
	// store is what the tests write through: mem, unless a test puts
	// another adapter in its place.
	store   kit.Storage
	mem     *memory.Storage
	clock   *clock
	at, seq int

	bus   *eventbridgetest.Server
	dlq   *sqstest.Server
	pub   *eventbridge.Publisher
	relay *relay.Relay
	proj  *projection
	logs  *observer.ObservedLogs
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{}}
	f.clock.Set(start)
	f.mem = memory.NewStorage(tokens(t), memory.WithEventClock(f.clock), memory.WithEventIDs(eventIDs()))
	f.store = f.mem
	f.bus = eventbridgetest.New(t, bus)
	f.dlq = sqstest.New(t, "relay-test-dlq")
	pub, err := eventbridge.New(f.bus.Client(), bus, source)
	if err != nil {
		t.Fatal(err)
	}
	pub.Backoff = func(int) time.Duration { return time.Millisecond }
	f.pub = pub
	cat := catalog(t)
	f.proj = newProjection(cat, t)
	core, logs := observer.New(zapcore.DebugLevel)
	f.logs = logs
	metrics := &relay.Metrics{Namespace: namespace, Service: source}
	pub.OnFailed = metrics.PutFailed
	f.relay = &relay.Relay{
		Events:      dynamo.Events{Schema: dynamo.Layout(), Catalog: cat},
		Publisher:   pub,
		DeadLetters: &deadletter.SQS{API: f.dlq.Client(), QueueURL: f.dlq.QueueURL},
		Log:         zap.New(core),
		Metrics:     metrics,
	}
	return f
}

// tick moves the store's clock a second on, before a write.
func (f *fixture) tick() { f.clock.Set(f.clock.Now().Add(time.Second)) }

func (f *fixture) widgets() kit.Repository[Widget] { return kit.RepositoryOf[Widget](f.store, "") }

// records returns the stream's records since the last call, as Lambda
// would deliver them, with rising sequence numbers.
func (f *fixture) records() []events.DynamoDBEventRecord {
	var changes []dynamo.Change
	changes, f.at = f.mem.Changes(f.at)
	out := make([]events.DynamoDBEventRecord, len(changes))
	for i, c := range changes {
		f.seq++
		out[i] = relay.RecordOf(c, fmt.Sprintf("4%020d", f.seq), streamARN)
	}
	return out
}

// handle runs the relay on records as the Lambda runtime hands them over:
// decoded from the JSON Lambda sends.
func (f *fixture) handle(t *testing.T, records []events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	t.Helper()
	resp, err := f.relay.Handle(t.Context(), delivered(t, records))
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return resp
}

func delivered(t *testing.T, records []events.DynamoDBEventRecord) events.DynamoDBEvent {
	t.Helper()
	b, err := json.Marshal(events.DynamoDBEvent{Records: records})
	if err != nil {
		t.Fatal(err)
	}
	var batch events.DynamoDBEvent
	if err := json.Unmarshal(b, &batch); err != nil {
		t.Fatal(err)
	}
	return batch
}

// failedAt is the sequence number a response names, or "".
func failedAt(t *testing.T, resp events.DynamoDBEventResponse) string {
	t.Helper()
	switch len(resp.BatchItemFailures) {
	case 0:
		return ""
	case 1:
		return resp.BatchItemFailures[0].ItemIdentifier
	}
	t.Fatalf("%d batch item failures, want at most one: %+v", len(resp.BatchItemFailures), resp.BatchItemFailures)
	return ""
}

// accepted lists the event ids the bus took, in the order it took them.
func (f *fixture) accepted() []string {
	var out []string
	for _, e := range f.bus.Accepted() {
		out = append(out, e.Event().Metadata.ID)
	}
	return out
}

// batchLine is the fields of the last batch log line.
func (f *fixture) batchLine(t *testing.T) map[string]any {
	t.Helper()
	lines := f.logs.FilterMessage("batch").All()
	if len(lines) == 0 {
		t.Fatal("no batch log line")
	}
	return lines[len(lines)-1].ContextMap()
}

// metric is a count the last batch line reports.
func (f *fixture) metric(t *testing.T, name string) int {
	t.Helper()
	v, ok := f.batchLine(t)[name].(int64)
	if !ok {
		t.Fatalf("batch line has no %s: %v", name, f.batchLine(t))
	}
	return int(v)
}

func kitRepo[T kit.Entity](f *fixture) kit.Repository[T] { return kit.RepositoryOf[T](f.store, "") }

// createW creates the widget id a second on and returns the records since
// the last call.
func createW(t *testing.T, f *fixture, id string) []events.DynamoDBEventRecord {
	t.Helper()
	f.tick()
	if _, err := f.widgets().Create(t.Context(), Widget{ID: id, Name: id, Count: 1, Tags: []string{"t"}}); err != nil {
		t.Fatal(err)
	}
	return f.records()
}

func patchName(name string) kit.Patch { return kit.Patch{Set: map[string]any{"name": name}} }
