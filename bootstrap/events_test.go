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

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/deadletter/sqstest"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/eventbridge/eventbridgetest"
	"github.com/lambdakit/lambdakit/kit/relay"
	"github.com/lambdakit/lambdakit/products"
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

// writes makes a product with three reviews, changes one's rating and
// deletes another, through the service's storage, and returns the
// product's id.
func (p *eventRig) writes(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	codec, err := cursor.New([]byte("event-path-test-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	s := dynamo.NewStorage(p.table, codec)
	ids := kit.UUIDv7{Clock: kit.SystemClock{}}
	pid := ids.NewID()
	if _, err := kit.RepositoryOf[products.Product](s, "").Create(ctx, products.Product{ID: pid, Name: "Lamp"}); err != nil {
		t.Fatal(err)
	}
	reviews := kit.RepositoryOf[products.Review](s, pid)
	var rids []string
	for _, rating := range []int{5, 4, 1} {
		r := products.Review{ID: ids.NewID(), ProductID: pid, Rating: rating}
		if _, err := reviews.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
		rids = append(rids, r.ID)
	}
	if _, err := reviews.Update(ctx, rids[1], kit.Patch{Set: map[string]any{"rating": 2}}, kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	if err := reviews.Delete(ctx, rids[2], kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	return pid
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

func summary(t testing.TB, p *eventRig, id string) (int, float64) {
	t.Helper()
	codec, _ := cursor.New([]byte("event-path-test-signing-key"))
	v, err := kit.RepositoryOf[products.Product](dynamo.NewStorage(p.table, codec), "").Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return v.Entity.ReviewCount, v.Entity.AverageRating
}

// TestEventFunction runs the event function's real binary under the Lambda
// emulator, fed the table's own stream records as Lambda delivers them,
// with EventBridge and SQS stand-ins behind the real SDK clients.
func TestEventFunction(t *testing.T) {
	p := newEventRig(t)
	pid := p.writes(t)
	p.poison(t)
	recs := p.records(t)
	fn := p.start(t)

	if failed := fn.deliver(t, recs); failed != "" {
		t.Fatalf("a clean batch reported %s failed", failed)
	}
	want := []string{"ProductCreated", "ReviewCreated", "ReviewCreated", "ReviewCreated", "ReviewUpdated", "ReviewDeleted"}
	if got := names(p.bus.Accepted()); !slices.Equal(got, want) {
		t.Fatalf("published %v, want %v in commit order", got, want)
	}
	for _, e := range p.bus.Accepted() {
		ev := e.Event()
		if e.Source != "lambdakit-test" || e.EventBusName != "lambdakit-test" || ev.Metadata.Name != e.DetailType || ev.Metadata.ID == "" || len(ev.Payload) == 0 {
			t.Errorf("entry %+v: want the service as source, the bus, the event as detail", e)
		}
	}
	if msgs := p.queue.Messages(); len(msgs) != 1 || !strings.Contains(msgs[0].Body, "GHOST") {
		t.Errorf("dead letters %+v, want the one poison record", msgs)
	}
	if n, avg := summary(t, p, pid); n != 2 || avg != 3.5 {
		t.Errorf("summary %d reviews, average %v; want 2 and 3.5 (5 and 2)", n, avg)
	}

	t.Run("the same batch twice", func(t *testing.T) {
		before := len(p.bus.Accepted())
		if failed := fn.deliver(t, recs); failed != "" {
			t.Fatalf("redelivery reported %s failed", failed)
		}
		again := p.bus.Accepted()[before:]
		for i, e := range again {
			if e.Event().Metadata.ID != p.bus.Accepted()[i].Event().Metadata.ID {
				t.Errorf("redelivered event %d has id %s, first delivery %s: ids must be stable", i, e.Event().Metadata.ID, p.bus.Accepted()[i].Event().Metadata.ID)
			}
		}
		if n, avg := summary(t, p, pid); n != 2 || avg != 3.5 {
			t.Errorf("after redelivery: summary %d, %v; want it unchanged at 2, 3.5", n, avg)
		}
	})

	t.Run("EventBridge refuses an entry until the attempts run out", func(t *testing.T) {
		third := p.bus.Accepted()[2].Event().Metadata.ID
		p.bus.FailEntries(eventbridgetest.EventID(third), "InternalFailure", 3)
		before := len(p.bus.Accepted())
		failed := fn.deliver(t, recs)
		var at int
		for i, r := range recs {
			if r.Change.SequenceNumber == failed {
				at = i
			}
		}
		if failed == "" || at != 2 {
			t.Fatalf("batch item failure %q (record %d), want the third record's, whose event was refused", failed, at)
		}
		// EventBridge took the rest of that request; the refused event
		// is not among them, and comes with the batch retried from it.
		for _, e := range p.bus.Accepted()[before:] {
			if e.Event().Metadata.ID == third {
				t.Fatalf("the refused event %s was accepted", third)
			}
		}
		before = len(p.bus.Accepted())
		if failed := fn.deliver(t, recs[at:]); failed != "" {
			t.Fatalf("the retried batch reported %s failed", failed)
		}
		if got := p.bus.Accepted()[before].Event().Metadata.ID; got != third {
			t.Errorf("the retried batch published %s first, want the refused %s", got, third)
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
	if len(ids) < 5 {
		t.Errorf("only %d stamped writes in the stream: %s", len(ids), fmt.Sprint(ids))
	}
}
