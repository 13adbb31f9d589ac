package golden

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/idempotency"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/relay"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// Fixed inputs that make every response deterministic.
var (
	// SeedTime is the clock while a case's seed requests run.
	SeedTime = time.Date(2026, 11, 28, 15, 4, 5, 123e6, time.UTC)
	// CaseTime is the clock while the case itself runs.
	CaseTime = SeedTime.Add(time.Hour)
)

// TokenKey signs the paging tokens of every test service, so a token in a
// case file stays valid.
const TokenKey = "golden-test-cursor-signing-key"

// Register is what a service registers on the kit: an entity package's
// Register function.
type Register func(*resource.Service) error

// Service is a service under test over one fresh store, with a clock the
// test sets and ids 00000000-0000-7000-8000-000000000001 and up.
type Service struct {
	Router  *apigw.Router
	Storage kit.Storage
	Clock   *Clock
	// Service is what the register function registered on.
	Service *resource.Service
	// Snapshot lists every item in the store, idempotency records too.
	Snapshot func() []string
	// changes reads the store's stream from where it last stopped.
	changes func() []dynamo.Change
}

// Events returns the events raised since the last call, in the order the
// store's stream delivers them, as the event function would derive them.
// Their ids are 00000000-0000-7000-9000-000000000001 and up.
func (s *Service) Events(tb testing.TB) []event.Event {
	tb.Helper()
	d := dynamo.Events{Schema: dynamo.Layout(), Catalog: s.Service.Events}
	var out []event.Event
	for _, c := range s.changes() {
		ev, ok, err := d.Event(c)
		if err != nil {
			tb.Fatalf("derive an event: %v", err)
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out
}

// Clock is a clock a test sets.
type Clock struct{ now atomic.Pointer[time.Time] }

// Now implements kit.Clock.
func (c *Clock) Now() time.Time { return *c.now.Load() }

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) { c.now.Store(&t) }

// sequence hands out ids 00000000-0000-7000-8000-000000000001 and up,
// safely from racing requests.
type sequence struct{ n atomic.Int64 }

func (s *sequence) NewID() string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", s.n.Add(1)) }

// eventSequence hands out events' ids, apart from the entities', so that
// the entities' ids do not depend on how many events were raised.
type eventSequence struct{ n atomic.Int64 }

func (s *eventSequence) NewID() string {
	return fmt.Sprintf("00000000-0000-7000-9000-%012d", s.n.Add(1))
}

func tokens(tb testing.TB) *cursor.Codec {
	tb.Helper()
	c, err := cursor.New([]byte(TokenKey))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// Memory returns the service register builds, over the memory adapter.
func Memory(tb testing.TB, register Register) *Service {
	tb.Helper()
	clock := newClock()
	s := memory.NewStorage(tokens(tb), memory.WithEventClock(clock), memory.WithEventIDs(&eventSequence{}))
	at := 0
	changes := func() []dynamo.Change {
		var out []dynamo.Change
		out, at = s.Changes(at)
		return out
	}
	return build(tb, register, clock, s, s.Idempotency(), s.Snapshot, changes)
}

// Dynamo returns the service register builds, over a new table in ddb.
func Dynamo(tb testing.TB, ddb *dynamotest.Server, register Register) *Service {
	tb.Helper()
	table := ddb.NewTable(tb)
	clock := newClock()
	storage := dynamo.NewStorage(table, tokens(tb), dynamo.WithEventClock(clock), dynamo.WithEventIDs(&eventSequence{}))
	stream := &relay.Stream{API: ddb.StreamsClient(), ARN: ddb.StreamARN(tb, table)}
	changes := func() []dynamo.Change {
		recs, err := stream.Read(context.Background())
		if err != nil {
			tb.Fatalf("read the stream: %v", err)
		}
		out := make([]dynamo.Change, len(recs))
		for i, rec := range recs {
			if out[i], err = relay.ChangeOf(rec); err != nil {
				tb.Fatal(err)
			}
		}
		return out
	}
	return build(tb, register, clock, storage, dynamo.NewIdempotency(table),
		func() []string { return ddb.Snapshot(tb, table) }, changes)
}

func newClock() *Clock {
	clock := &Clock{}
	clock.Set(SeedTime)
	return clock
}

func build(tb testing.TB, register Register, clock *Clock, storage kit.Storage, idem idempotency.Store, snapshot func() []string, changes func() []dynamo.Change) *Service {
	tb.Helper()
	router := apigw.NewRouter(zap.NewNop(), apigw.WithIdempotency(idem, clock))
	svc := resource.NewService(command.NewBus(), router, storage, clock, &sequence{})
	if err := register(svc); err != nil {
		tb.Fatal(err)
	}
	return &Service{Router: router, Storage: storage, Clock: clock, Service: svc, Snapshot: snapshot, changes: changes}
}

// Invoke serves one event, failing tb if the router returns an error
// (it never should: every failure is a response).
func (s *Service) Invoke(tb testing.TB, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	tb.Helper()
	if ev.RequestContext.Path == "" {
		ev.RequestContext.Path = ev.Path
	}
	resp, err := s.Router.Invoke(context.Background(), ev)
	if err != nil {
		tb.Fatalf("invoke: %v", err)
	}
	return resp
}

// Run runs every case NAME.http under dir against the service register
// builds, once over the memory adapter and once over DynamoDB Local, and
// compares each response with NAME.golden.json. Before each case, the
// requests under dir/seed/ run in name order at SeedTime; the case runs at
// CaseTime. A case answered with 4xx or 5xx must leave the store exactly as
// the seeds left it.
func Run(t *testing.T, dir string, ddb *dynamotest.Server, register Register) {
	cases, seeds := caseFiles(t, dir)
	adapters := map[string]func(*testing.T) *Service{
		"memory": func(t *testing.T) *Service { return Memory(t, register) },
		"dynamo": func(t *testing.T) *Service { return Dynamo(t, ddb, register) },
	}
	for name, newService := range adapters {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, path := range cases {
				t.Run(strings.TrimSuffix(filepath.Base(path), ".http"), func(t *testing.T) {
					t.Parallel()
					runCase(t, newService(t), seeds, path)
				})
			}
		})
	}
}

// caseFiles lists a directory's cases and its seeds, in name order.
func caseFiles(t *testing.T, dir string) (cases, seeds []string) {
	t.Helper()
	cases, err := filepath.Glob(filepath.Join(dir, "*.http"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no golden cases in %s (%v)", dir, err)
	}
	if seeds, err = filepath.Glob(filepath.Join(dir, "seed", "*.http")); err != nil {
		t.Fatal(err)
	}
	return cases, seeds
}

// Exchange is one golden case as served: the request and the response.
type Exchange struct {
	// Name is the case's file name without .http.
	Name     string
	Request  events.APIGatewayProxyRequest
	Response events.APIGatewayProxyResponse
	// Events are the events the request raised.
	Events []event.Event
}

// Exchanges serves every case under dir, after its seeds, over the memory
// adapter, and returns what each case sent and got, for checks that need
// every exchange of the API (such as validating them against a document of
// the API). It compares nothing.
func Exchanges(t *testing.T, dir string, register Register) []Exchange {
	t.Helper()
	cases, seeds := caseFiles(t, dir)
	out := make([]Exchange, 0, len(cases))
	for _, path := range cases {
		svc := Memory(t, register)
		seed(t, svc, seeds)
		svc.Events(t)
		svc.Clock.Set(CaseTime)
		ev := readCase(t, path)
		resp := svc.Invoke(t, ev)
		out = append(out, Exchange{Name: strings.TrimSuffix(filepath.Base(path), ".http"), Request: ev, Response: resp, Events: svc.Events(t)})
	}
	return out
}

func seed(t *testing.T, svc *Service, seeds []string) {
	t.Helper()
	for _, seed := range seeds {
		if resp := svc.Invoke(t, readCase(t, seed)); resp.StatusCode >= 300 {
			t.Fatalf("seed %s: %d %s", filepath.Base(seed), resp.StatusCode, resp.Body)
		}
	}
}

func runCase(t *testing.T, svc *Service, seeds []string, path string) {
	seed(t, svc, seeds)
	before := svc.Snapshot()
	svc.Events(t)
	svc.Clock.Set(CaseTime)
	resp := svc.Invoke(t, readCase(t, path))
	raised := svc.Events(t)
	Assert(t, strings.TrimSuffix(path, ".http")+".golden.json", RenderCase(t, resp, raised))
	if resp.StatusCode >= 300 && len(raised) > 0 {
		t.Errorf("a %d response raised %d events", resp.StatusCode, len(raised))
	}
	if resp.StatusCode >= 400 {
		if after := svc.Snapshot(); !slices.Equal(before, after) {
			t.Errorf("a %d response changed the store:\nbefore %v\nafter  %v", resp.StatusCode, before, after)
		}
	}
}

func readCase(t *testing.T, path string) events.APIGatewayProxyRequest {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ParseCase(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ev
}

// Render turns a response into stable, readable JSON: headers sorted, and a
// JSON body embedded as JSON rather than as a string.
func Render(tb testing.TB, resp events.APIGatewayProxyResponse) []byte {
	tb.Helper()
	return RenderCase(tb, resp, nil)
}

// RenderCase renders a case's response as Render does, followed by the
// events the request raised, if any, as they leave the service.
func RenderCase(tb testing.TB, resp events.APIGatewayProxyResponse, raised []event.Event) []byte {
	tb.Helper()
	out := struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       any               `json:"body"`
		Events     []event.Event     `json:"events,omitempty"`
	}{StatusCode: resp.StatusCode, Headers: resp.Headers, Events: raised}
	if resp.Body != "" {
		var v any
		if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
			tb.Fatalf("body is not JSON: %q", resp.Body)
		}
		out.Body = v
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return append(b, '\n')
}
