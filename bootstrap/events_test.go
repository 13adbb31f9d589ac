package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/deadletter/sqstest"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	kitevent "github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/eventbridge/eventbridgetest"
	"github.com/lambdakit/lambdakit/kit/relay"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// eventsTag is the Makefile's EVENTS_TAG: with lambdaTags, the build of
// the event function.
const eventsTag = "lambdakit.events"

// eventRig is what the event function tests run against: a table on
// DynamoDB Local with its stream, the EventBridge and SQS stand-ins, and
// the event function's binary.
type eventRig struct {
	table  dynamo.Table
	stream *relay.Stream
	bus    *eventbridgetest.Server
	queue  *sqstest.Server
	bin    string
	env    []string
}

func newEventRig(t testing.TB) *eventRig {
	t.Helper()
	p := &eventRig{table: ddb.NewTable(t)}
	p.stream = &relay.Stream{API: ddb.StreamsClient(), ARN: ddb.StreamARN(t, p.table)}
	p.bus = eventbridgetest.New(t, "lambdakit-test")
	p.queue = sqstest.New(t, "lambdakit-test-dlq")
	p.bin = buildTagged(t, lambdaTags+","+eventsTag, runtime.GOOS, runtime.GOARCH, servicePkg)[servicePkg]
	p.env = append(functionEnv(t, p.table.Name),
		"EVENT_BUS_NAME=lambdakit-test",
		"DLQ_URL="+p.queue.QueueURL,
		"AWS_ENDPOINT_URL_EVENTBRIDGE="+p.bus.URL,
		"AWS_ENDPOINT_URL_SQS="+p.queue.URL,
		"POWERTOOLS_SERVICE_NAME=lambdakit-test",
	)
	return p
}

// start runs the event function under the emulator.
func (p *eventRig) start(t *testing.T) *emulator {
	t.Helper()
	e := runEmulator(t, p.bin, p.env)
	t.Cleanup(func() {
		e.stop()
		if t.Failed() {
			t.Logf("event function output:\n%s", e.out)
		}
	})
	return e
}

// records reads what the stream holds since the last call, as Lambda
// would deliver it.
func (p *eventRig) records(t testing.TB) []events.DynamoDBEventRecord {
	t.Helper()
	recs, err := p.stream.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// deliver posts a batch to the event function, as the event source mapping
// does, and returns the sequence number it names as failed, or "".
func (e *emulator) deliver(t testing.TB, recs []events.DynamoDBEventRecord) string {
	t.Helper()
	body, err := json.Marshal(events.DynamoDBEvent{Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 2 * time.Minute}
	resp, err := client.Post(e.url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("deliver: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out events.DynamoDBEventResponse
	if err := json.Unmarshal(raw, &out); err != nil || strings.Contains(string(raw), "errorMessage") {
		t.Fatalf("not a batch response: %s", raw)
	}
	if len(out.BatchItemFailures) == 0 {
		return ""
	}
	return out.BatchItemFailures[0].ItemIdentifier
}

// serve wires the whole service in process over the rig's table, as the
// API function wires it, and returns it and a way to send it requests: its
// writes reach the table's stream as the function's do.
func (p *eventRig) serve(t testing.TB) (*resource.Service, sendFunc) {
	t.Helper()
	codec, err := cursor.New([]byte("event-path-test-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	clock := kit.SystemClock{}
	router := apigw.NewRouter(zap.NewNop(), apigw.WithIdempotency(dynamo.NewIdempotency(p.table), clock))
	svc := resource.NewService(command.NewBus(), router, dynamo.NewStorage(p.table, codec), clock, kit.UUIDv7{Clock: clock})
	if err := app.Register(svc); err != nil {
		t.Fatal(err)
	}
	return svc, func(tb testing.TB, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
		tb.Helper()
		resp, err := router.Invoke(context.Background(), ev)
		if err != nil {
			tb.Fatal(err)
		}
		return resp
	}
}

// writes replays, through the service, every golden case that first raises
// one of the service's events, each after its directory's seeds: creates,
// updates and deletes of every kind the cases cover, in one stream. It
// returns the names of the events those cases raised.
func (p *eventRig) writes(t testing.TB) []string {
	t.Helper()
	_, send := p.serve(t)
	cases, names := eventCases(t, goldenDirs(t))
	for _, ec := range cases {
		ec.dir.replay(t, ec.c, send)
	}
	return names
}

// derived is an event the service derives from a stream record, and that
// record's index in its batch.
type derived struct {
	record int
	ev     kitevent.Event
}

// derive returns the events the kit derives from recs, in order, as the
// golden harness derives the events it records: what the event function
// must publish. Records it cannot decode (the poison) have none.
func (p *eventRig) derive(t testing.TB, recs []events.DynamoDBEventRecord) []derived {
	t.Helper()
	svc, _ := p.serve(t)
	d := dynamo.Events{Schema: dynamo.Layout(), Catalog: svc.Events}
	var out []derived
	for i, rec := range recs {
		c, err := relay.ChangeOf(rec)
		if err != nil {
			continue
		}
		if ev, ok, err := d.Event(c); err == nil && ok {
			out = append(out, derived{i, ev})
		}
	}
	return out
}

// consume hands the events the kit derives from recs to the service's
// consumers, in process, over the rig's table: what the event function
// must have done to the table already, since consumers are idempotent
// (every event is delivered at least once).
func (p *eventRig) consume(t testing.TB, recs []events.DynamoDBEventRecord) {
	t.Helper()
	svc, _ := p.serve(t)
	for _, d := range p.derive(t, recs) {
		if err := svc.Events.Dispatch(context.Background(), d.ev); err != nil {
			t.Fatalf("consume %s: %v", d.ev.Metadata.Name, err)
		}
	}
}

// state is every item of the table, as dynamotest's Snapshot renders it,
// but for the count of derived writes: a consumer's derived write counts
// one more each time it runs, and a redelivered event runs it again.
func (p *eventRig) state(t testing.TB) []string {
	t.Helper()
	in := &dynamodb.ScanInput{TableName: aws.String(p.table.Name), ConsistentRead: aws.Bool(true)}
	var out []string
	for {
		page, err := ddb.Client().Scan(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range page.Items {
			delete(item, dynamo.AttrRevision)
			out = append(out, dynamo.Describe(item))
		}
		if page.LastEvaluatedKey == nil {
			slices.Sort(out)
			return out
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// consumed tells whether a consumer takes any of the events; it fails t if
// the service has consumers and none of them is, since the tests could
// then not tell whether the event function runs them.
func consumed(t testing.TB, svc *resource.Service, evs []derived) bool {
	t.Helper()
	for _, d := range evs {
		if svc.Events.Consumed(d.ev.Metadata.Name) {
			return true
		}
	}
	for _, name := range svc.Events.Names() {
		if svc.Events.Consumed(name) {
			t.Fatalf("a consumer takes %s, but no golden case raises it nor any other event a consumer takes: add one", name)
		}
	}
	return false
}

// poison writes an item the service cannot turn into an event: a stamped
// item of a kind no module declares.
func (p *eventRig) poison(t testing.TB) {
	t.Helper()
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	_, err := ddb.Client().PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(p.table.Name), Item: map[string]types.AttributeValue{
		dynamo.AttrPK: s("GHOST#1"), dynamo.AttrSK: s("GHOST"), dynamo.AttrType: s("GHOST"),
		dynamo.AttrVersion: &types.AttributeValueMemberN{Value: "1"},
		dynamo.AttrEvent:   &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"id": s("ghost-event"), "at": s("2026-11-30T00:00:00.000Z")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func names(entries []eventbridgetest.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.DetailType
	}
	return out
}

// TestEventFunction runs the event function's real binary under the Lambda
// emulator, fed the table's own stream records as Lambda delivers them,
// with EventBridge and SQS stand-ins behind the real SDK clients.
func TestEventFunction(t *testing.T) {
	p := newEventRig(t)
	raised := p.writes(t)
	p.poison(t)
	recs := p.records(t)
	want := p.derive(t, recs)
	svc, _ := p.serve(t)
	consumers := consumed(t, svc, want)
	fn := p.start(t)

	if failed := fn.deliver(t, recs); failed != "" {
		t.Fatalf("a clean batch reported %s failed", failed)
	}
	var got, wanted []string
	for _, e := range p.bus.Accepted() {
		got = append(got, e.DetailType+" "+e.Event().Metadata.ID)
	}
	for _, d := range want {
		wanted = append(wanted, d.ev.Metadata.Name+" "+d.ev.Metadata.ID)
	}
	if !slices.Equal(got, wanted) {
		t.Fatalf("published\n%v\nwant, in commit order,\n%v", got, wanted)
	}
	for _, name := range raised {
		if !slices.Contains(names(p.bus.Accepted()), name) {
			t.Errorf("no %s published; the golden cases raise it", name)
		}
	}
	for i, e := range p.bus.Accepted() {
		ev := e.Event()
		if e.Source != "lambdakit-test" || e.EventBusName != "lambdakit-test" || ev.Metadata.Name != e.DetailType || ev.Metadata.ID == "" ||
			!sameJSON(string(ev.Payload), want[i].ev.Payload) {
			t.Errorf("entry %+v: want the service as source, the bus, the event %+v as detail", e, want[i].ev)
		}
	}
	if msgs := p.queue.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Body, "GHOST") {
		t.Errorf("dead letters %+v, want the one poison record", msgs)
	}
	// The consumers ran: the kit's relay, running them again in process,
	// finds nothing left to do.
	settled := p.state(t)
	p.consume(t, recs)
	if again := p.state(t); !slices.Equal(again, settled) {
		t.Errorf("the consumers had not run (consumers: %v): running them in process changed the table from\n%s\nto\n%s",
			consumers, strings.Join(settled, "\n"), strings.Join(again, "\n"))
	}

	t.Run("the same batch twice", func(t *testing.T) {
		before, state := len(p.bus.Accepted()), p.state(t)
		if failed := fn.deliver(t, recs); failed != "" {
			t.Fatalf("redelivery reported %s failed", failed)
		}
		again := p.bus.Accepted()[before:]
		for i, e := range again {
			if e.Event().Metadata.ID != p.bus.Accepted()[i].Event().Metadata.ID {
				t.Errorf("redelivered event %d has id %s, first delivery %s: ids must be stable", i, e.Event().Metadata.ID, p.bus.Accepted()[i].Event().Metadata.ID)
			}
		}
		if len(again) != len(want) {
			t.Errorf("%d events redelivered, want %d", len(again), len(want))
		}
		if after := p.state(t); !slices.Equal(after, state) {
			t.Errorf("after redelivery the table changed from\n%s\nto\n%s", strings.Join(state, "\n"), strings.Join(after, "\n"))
		}
	})

	t.Run("EventBridge refuses an entry until the attempts run out", func(t *testing.T) {
		if len(want) < 3 {
			t.Fatalf("%d events; the test refuses the third", len(want))
		}
		third := want[2]
		p.bus.FailEntries(eventbridgetest.EventID(third.ev.Metadata.ID), "InternalFailure", 3)
		before := len(p.bus.Accepted())
		failed := fn.deliver(t, recs)
		if failed != recs[third.record].Change.SequenceNumber {
			t.Fatalf("batch item failure %q, want record %d's (%s), whose event was refused", failed, third.record, recs[third.record].Change.SequenceNumber)
		}
		// EventBridge took the rest of that request; the refused event
		// is not among them, and comes with the batch retried from it.
		for _, e := range p.bus.Accepted()[before:] {
			if e.Event().Metadata.ID == third.ev.Metadata.ID {
				t.Fatalf("the refused event %s was accepted", third.ev.Metadata.ID)
			}
		}
		before = len(p.bus.Accepted())
		if failed := fn.deliver(t, recs[third.record:]); failed != "" {
			t.Fatalf("the retried batch reported %s failed", failed)
		}
		if got := p.bus.Accepted()[before].Event().Metadata.ID; got != third.ev.Metadata.ID {
			t.Errorf("the retried batch published %s first, want the refused %s", got, third.ev.Metadata.ID)
		}
	})

	t.Run("500s and a timeout, then success", func(t *testing.T) {
		p.bus.FailRequests(1, http.StatusInternalServerError, "InternalException")
		before := len(p.bus.Accepted())
		if failed := fn.deliver(t, recs); failed != "" {
			t.Fatalf("a 500 the SDK retries reported %s failed", failed)
		}
		if got := len(p.bus.Accepted()) - before; got != len(want) {
			t.Errorf("%d published after a 500, want %d", got, len(want))
		}
		p.bus.Delay(1, 6*time.Second) // past the event function's 5 s PutEvents timeout
		before = len(p.bus.Accepted())
		if failed := fn.deliver(t, recs); failed != "" {
			t.Fatalf("a timeout the SDK retries reported %s failed", failed)
		}
		if got := len(p.bus.Accepted()) - before; got < len(want) {
			t.Errorf("%d published after a timeout, want at least %d", got, len(want))
		}
	})
}

// TestEventFunctionKilledLosesNothing kills the event function while it
// publishes (EventBridge holds the request), as a crash between a write
// and its publication would: the stream still holds the records, and the
// next instance, given the same batch as Lambda redelivers it, publishes
// every event.
func TestEventFunctionKilledLosesNothing(t *testing.T) {
	p := newEventRig(t)
	p.writes(t)
	recs := p.records(t)
	want := p.derive(t, recs)
	var ids []string
	for _, r := range recs {
		c, err := relay.ChangeOf(r)
		if err != nil {
			t.Fatal(err)
		}
		if stamp, ok := c.New[dynamo.AttrEvent].(*types.AttributeValueMemberM); ok {
			ids = append(ids, stamp.Value["id"].(*types.AttributeValueMemberS).Value)
		}
	}

	p.bus.Delay(1, time.Minute)
	first := runEmulator(t, p.bin, p.env)
	go func() {
		body, _ := json.Marshal(events.DynamoDBEvent{Records: recs})
		resp, err := (&http.Client{Timeout: 2 * time.Minute}).Post(first.url, "application/json", bytes.NewReader(body))
		if err == nil {
			resp.Body.Close() // the instance is killed: no answer is expected
		}
	}()
	for deadline := time.Now().Add(time.Minute); len(p.bus.Requests()) == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the event function never called EventBridge")
		}
		time.Sleep(20 * time.Millisecond)
	}
	first.stop() // the instance dies mid-publication
	if n := len(p.bus.Accepted()); n != 0 {
		t.Fatalf("%d events published by the killed instance, want 0 (it was held)", n)
	}

	second := p.start(t)
	if failed := second.deliver(t, recs); failed != "" {
		t.Fatalf("redelivery reported %s failed", failed)
	}
	published := map[string]bool{}
	for _, e := range p.bus.Accepted() {
		published[e.Event().Metadata.ID] = true
	}
	for _, id := range ids {
		if !published[id] {
			t.Errorf("event %s written before the crash was never published", id)
		}
	}
	for _, d := range want {
		if !published[d.ev.Metadata.ID] {
			t.Errorf("event %s (%s) written before the crash was never published", d.ev.Metadata.ID, d.ev.Metadata.Name)
		}
	}
	if len(ids) == 0 || len(want) < len(ids) {
		t.Errorf("%d stamped writes in the stream for %d events: %s", len(ids), len(want), fmt.Sprint(ids))
	}
}
