package relay_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/lambdakit/lambdakit/kit/deadletter"
	"github.com/lambdakit/lambdakit/kit/eventbridge/eventbridgetest"
)

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("%v: %s", err, a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return reflect.DeepEqual(x, y)
}

func seqOf(recs []events.DynamoDBEventRecord, i int) string {
	if i < 0 {
		return ""
	}
	return recs[i].Change.SequenceNumber
}

// TestHandlePublishesInCommitOrder sends the scenario's records in batches
// of several sizes: every event reaches the bus once, in commit order, as
// the entry the contract fixes, and every consumer sees it once.
func TestHandlePublishesInCommitOrder(t *testing.T) {
	t.Parallel()
	for _, size := range []int{8, 3, 1} {
		t.Run(fmt.Sprintf("batches of %d", size), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.scenario(t)
			recs := f.records()
			if len(recs) != 8 {
				t.Fatalf("%d records, want 8", len(recs))
			}

			for batch := range slices.Chunk(recs, size) {
				if at := failedAt(t, f.handle(t, batch)); at != "" {
					t.Fatalf("batch failed at %s", at)
				}
			}

			got := f.bus.Accepted()
			if len(got) != len(scenarioEvents) {
				t.Fatalf("%d entries on the bus, want %d", len(got), len(scenarioEvents))
			}
			for i, want := range scenarioEvents {
				e := got[i]
				at, _ := time.Parse(time.RFC3339, want.occurredAt)
				if e.Source != source || e.EventBusName != bus || e.DetailType != want.name || !e.Time.Equal(at) {
					t.Errorf("entry %d: source %q, bus %q, detail type %q, time %v; want %q, %q, %q, %v",
						i, e.Source, e.EventBusName, e.DetailType, e.Time, source, bus, want.name, at)
				}
				if !jsonEqual(t, e.Detail, want.detail) {
					t.Errorf("entry %d's detail\n%s\nwant\n%s", i, e.Detail, want.detail)
				}
			}
			if s := f.proj.state(); !reflect.DeepEqual(s, finalState) {
				t.Errorf("consumers hold %+v, want %+v", s, finalState)
			}
			if d := f.proj.delivered(); !slices.Equal(d, finalState.Applied) {
				t.Errorf("consumers were handed %v, want each event once in order", d)
			}
			if n := len(f.dlq.Requests()); n != 0 {
				t.Errorf("%d dead letters sent, want none", n)
			}
		})
	}
}

// TestHandleEventBridgeFaults publishes the scenario's batch, or its tail
// from the derived write (a record without an event) on, while EventBridge
// fails. Refused entries are resent alone; whole requests are the SDK's to
// retry; what stays unpublished makes the batch fail at the record of the
// first unpublished event, and nothing from there on is consumed.
func TestHandleEventBridgeFaults(t *testing.T) {
	t.Parallel()
	// A held request is cut short by the client's timeout; one that is
	// answered must beat it even on a loaded machine under -race.
	timeout := func(d time.Duration) func(*awseb.Options) {
		return func(o *awseb.Options) { o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(d) }
	}
	all := eventIDsOf(0, 8)
	tail := eventIDsOf(3, 8)
	tests := []struct {
		name   string
		from   int // the batch is the scenario's records from here on
		script func(*eventbridgetest.Server)
		client func(*awseb.Options)
		// requests are each request's entries; statuses the answers (0:
		// the client gave up).
		requests [][]string
		statuses []int
		// failed is the record the response names, -1 for none.
		failed int
		// accepted are the events the bus took, in order; consumed those
		// the consumers were handed.
		accepted, consumed     []string
		published, putFailures int
	}{
		{
			name: "refused entries resent alone, then published",
			script: func(s *eventbridgetest.Server) {
				s.FailEntries(eventbridgetest.EventID("evt-003"), "InternalFailure", 1)
				s.FailEntries(eventbridgetest.EventID("evt-006"), "ThrottlingException", 2)
			},
			requests: [][]string{all, {"evt-003", "evt-006"}, {"evt-006"}},
			statuses: []int{200, 200, 200},
			failed:   -1,
			accepted: []string{"evt-001", "evt-002", "evt-004", "evt-005", "evt-007", "evt-003", "evt-006"},
			consumed: all, published: 7, putFailures: 3,
		},
		{
			name: "refused past the attempts: the batch fails at its record",
			script: func(s *eventbridgetest.Server) {
				s.FailEntries(eventbridgetest.EventID("evt-004"), "InternalFailure", -1)
			},
			requests: [][]string{all, {"evt-004"}, {"evt-004"}},
			statuses: []int{200, 200, 200},
			failed:   4,
			// Those after it in its request reached the bus: delivery is
			// at least once, and they are sent again from record 4.
			// EventsPublished counts the events before the first one not
			// published (3), not all the bus took (6).
			accepted: []string{"evt-001", "evt-002", "evt-003", "evt-005", "evt-006", "evt-007"},
			consumed: eventIDsOf(0, 4), published: 3, putFailures: 3,
		},
		{
			name: "a permanent refusal is not resent",
			script: func(s *eventbridgetest.Server) {
				s.FailEntries(eventbridgetest.EventID("evt-002"), "MalformedDetail", 1)
			},
			requests: [][]string{all},
			statuses: []int{200},
			failed:   1,
			accepted: []string{"evt-001", "evt-003", "evt-004", "evt-005", "evt-006", "evt-007"},
			consumed: eventIDsOf(0, 1), published: 1, putFailures: 1,
		},
		{
			name: "two 500s, retried by the SDK, then published",
			from: 3,
			script: func(s *eventbridgetest.Server) {
				s.FailRequests(2, http.StatusInternalServerError, "InternalException")
			},
			requests: [][]string{tail, tail, tail},
			statuses: []int{500, 500, 200},
			failed:   -1,
			accepted: tail, consumed: tail, published: 4,
		},
		{
			name: "500s past the SDK's attempts: the first record with an event fails",
			from: 3,
			script: func(s *eventbridgetest.Server) {
				s.FailRequests(3, http.StatusInternalServerError, "InternalException")
			},
			requests:    [][]string{tail, tail, tail},
			statuses:    []int{500, 500, 500},
			failed:      4,
			putFailures: 4,
		},
		{
			name:     "a timeout, retried by the SDK, then published",
			from:     3,
			script:   func(s *eventbridgetest.Server) { s.Delay(1, time.Minute) },
			client:   timeout(2 * time.Second),
			requests: [][]string{tail, tail},
			statuses: []int{0, 200},
			failed:   -1,
			accepted: tail, consumed: tail, published: 4,
		},
		{
			name:        "timeouts past the SDK's attempts",
			from:        3,
			script:      func(s *eventbridgetest.Server) { s.Delay(3, time.Minute) },
			client:      timeout(250 * time.Millisecond),
			requests:    [][]string{tail, tail, tail},
			statuses:    []int{0, 0, 0},
			failed:      4,
			putFailures: 4,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.scenario(t)
			recs := f.records()
			if tt.client != nil {
				f.pub.API = f.bus.Client(tt.client)
			}
			tt.script(f.bus)

			resp := f.handle(t, recs[tt.from:])

			if got, want := failedAt(t, resp), seqOf(recs, tt.failed); got != want {
				t.Errorf("failed at %q, want %q (record %d)", got, want, tt.failed)
			}
			var requests [][]string
			var statuses []int
			for _, r := range f.bus.Requests() {
				var ids []string
				for _, e := range r.Entries {
					ids = append(ids, e.Event().Metadata.ID)
				}
				requests, statuses = append(requests, ids), append(statuses, r.Status)
			}
			if !reflect.DeepEqual(requests, tt.requests) || !slices.Equal(statuses, tt.statuses) {
				t.Errorf("requests %v answered %v, want %v answered %v", requests, statuses, tt.requests, tt.statuses)
			}
			if got := f.accepted(); !slices.Equal(got, tt.accepted) {
				t.Errorf("the bus took %v, want %v", got, tt.accepted)
			}
			if got := f.proj.delivered(); !slices.Equal(got, tt.consumed) {
				t.Errorf("consumers were handed %v, want %v", got, tt.consumed)
			}
			if got := f.metric(t, "EventsPublished"); got != tt.published {
				t.Errorf("EventsPublished %d, want %d", got, tt.published)
			}
			if got := f.metric(t, "EventPutFailures"); got != tt.putFailures {
				t.Errorf("EventPutFailures %d, want %d", got, tt.putFailures)
			}
		})
	}
}

// TestHandleConsumerFailure fails one consumer delivery: the batch fails
// at that event's record, the events before it were consumed once, none
// after it was handed to a consumer, and all were published (publishing
// comes first; the retry publishes them again).
func TestHandleConsumerFailure(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		event  string
		record int
	}{
		{"evt-001", 0},
		{"evt-004", 4},
		{"evt-007", 7},
	} {
		t.Run(tt.event, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.scenario(t)
			recs := f.records()
			f.proj.fail = func(id string) error {
				if id == tt.event {
					return errors.New("consumer down")
				}
				return nil
			}

			resp := f.handle(t, recs)

			if got, want := failedAt(t, resp), seqOf(recs, tt.record); got != want {
				t.Errorf("failed at %q, want %q", got, want)
			}
			before := eventIDsOf(0, tt.record)
			if got := f.proj.state().Applied; !slices.Equal(got, before) {
				t.Errorf("applied %v, want %v", got, before)
			}
			if got := f.proj.delivered(); !slices.Equal(got, append(before, tt.event)) {
				t.Errorf("consumers were handed %v, want %v and the failing one", got, before)
			}
			if got := f.accepted(); !slices.Equal(got, finalState.Applied) {
				t.Errorf("the bus took %v, want every event", got)
			}
		})
	}
}

// TestHandleRedelivery delivers records again, as Lambda does: the events
// are published again with the same ids and details, and the idempotent
// consumer ends where one clean delivery leaves it.
func TestHandleRedelivery(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		// failOnce fails the consumer the first time it is handed the
		// event; "" for none.
		failOnce string
		// again is where the second delivery starts: the whole batch, or
		// the record the first named.
		again int
		// republished are the events the second delivery sends.
		republished []string
	}{
		{name: "the same batch twice", again: 0, republished: eventIDsOf(0, 8)},
		{name: "retried from the failed record", failOnce: "evt-004", again: 4, republished: eventIDsOf(4, 8)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			f.scenario(t)
			recs := f.records()
			failed := false
			f.proj.fail = func(id string) error {
				if id == tt.failOnce && !failed {
					failed = true
					return errors.New("consumer down")
				}
				return nil
			}

			first := failedAt(t, f.handle(t, recs))
			want := ""
			if tt.failOnce != "" {
				want = seqOf(recs, tt.again)
			}
			if first != want {
				t.Fatalf("first delivery failed at %q, want %q", first, want)
			}
			second := failedAt(t, f.handle(t, recs[tt.again:]))
			if second != "" {
				t.Fatalf("second delivery failed at %q", second)
			}

			if s := f.proj.state(); !reflect.DeepEqual(s, finalState) {
				t.Errorf("consumers hold %+v, want %+v", s, finalState)
			}
			got := f.bus.Accepted()
			all := append(slices.Clone(finalState.Applied), tt.republished...)
			if ids := f.accepted(); !slices.Equal(ids, all) {
				t.Fatalf("the bus took %v, want %v", ids, all)
			}
			details := map[string]string{}
			for _, e := range got {
				id := e.Event().Metadata.ID
				if d, seen := details[id]; seen && d != e.Detail {
					t.Errorf("event %s published twice with different details:\n%s\n%s", id, d, e.Detail)
				}
				details[id] = e.Detail
			}
			// The second delivery did reach the consumer: it is the
			// consumer that made it change nothing.
			handed := eventIDsOf(0, 8)
			if tt.failOnce != "" {
				handed = eventIDsOf(0, tt.again+1)
			}
			handed = append(handed, tt.republished...)
			if got := f.proj.delivered(); !slices.Equal(got, handed) {
				t.Errorf("consumers were handed %v, want %v", got, handed)
			}
		})
	}
}

// deadLetter is a message in the queue, decoded.
type deadLetter struct {
	reason, record, seq, arn string
}

func deadLetters(t *testing.T, f *fixture) []deadLetter {
	t.Helper()
	var out []deadLetter
	for _, m := range f.dlq.Messages() {
		var body struct {
			Reason string          `json:"reason"`
			Record json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal([]byte(m.Body), &body); err != nil {
			t.Fatalf("dead letter %q: %v", m.Body, err)
		}
		out = append(out, deadLetter{body.Reason, string(body.Record),
			m.Attributes[deadletter.AttrSequenceNumber].StringValue, m.Attributes[deadletter.AttrEventSourceARN].StringValue})
	}
	return out
}

func recordJSON(t *testing.T, rec events.DynamoDBEventRecord) string {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHandlePoisonRecords puts a record that can never be decoded between
// two good ones: it goes to the dead-letter queue at once, as Lambda
// delivered it, and the record after it is still published and consumed.
// When the queue refuses it, the batch fails at it instead.
func TestHandlePoisonRecords(t *testing.T) {
	t.Parallel()
	str := events.NewStringAttribute
	tests := []struct {
		name string
		// poison writes or spoils the batch's middle record.
		poison func(t *testing.T, f *fixture) []events.DynamoDBEventRecord
		reason string
		// failed: the queue refused it, and the batch fails at it.
		failed bool
	}{
		{
			name: "an item of an undeclared kind",
			poison: func(t *testing.T, f *fixture) []events.DynamoDBEventRecord {
				if _, err := kitRepo[Gadget](f).Create(t.Context(), Gadget{ID: "g1"}); err != nil {
					t.Fatal(err)
				}
				return f.records()
			},
			reason: `kind "GADGET" is not declared`,
		},
		{
			name: "a new image the entity cannot decode",
			poison: func(t *testing.T, f *fixture) []events.DynamoDBEventRecord {
				recs := createW(t, f, "wx")
				recs[0].Change.NewImage["count"] = str("many")
				return recs
			},
			reason: "WIDGET: unmarshal",
		},
		{
			name: "an old image the entity cannot decode",
			poison: func(t *testing.T, f *fixture) []events.DynamoDBEventRecord {
				createW(t, f, "wx")
				if _, err := f.widgets().Update(t.Context(), "wx", patchName("ex"), 1); err != nil {
					t.Fatal(err)
				}
				recs := f.records()
				recs[0].Change.OldImage["tags"] = events.NewNumberAttribute("7")
				return recs
			},
			reason: "WIDGET: unmarshal",
		},
		{
			name: "an unknown event name",
			poison: func(t *testing.T, f *fixture) []events.DynamoDBEventRecord {
				recs := createW(t, f, "wx")
				recs[0].EventName = "UPSERT"
				return recs
			},
			reason: `unknown event name "UPSERT"`,
		},
		{
			name: "a custom event's outbox item without its payload",
			poison: func(t *testing.T, f *fixture) []events.DynamoDBEventRecord {
				u := f.store.Begin()
				u.Raise(Restocked{Widget: "w1", Count: 1})
				if err := u.Commit(t.Context()); err != nil {
					t.Fatal(err)
				}
				recs := f.records()
				delete(recs[0].Change.NewImage, "payload")
				return recs
			},
			reason: "without a payload",
		},
		{
			name: "the queue answering 500 twice, retried by the SDK",
			poison: func(t *testing.T, f *fixture) []events.DynamoDBEventRecord {
				f.dlq.FailRequests(2, http.StatusInternalServerError, "InternalError")
				if _, err := kitRepo[Gadget](f).Create(t.Context(), Gadget{ID: "g1"}); err != nil {
					t.Fatal(err)
				}
				return f.records()
			},
			reason: `kind "GADGET" is not declared`,
		},
		{
			name: "the queue down: the batch fails at the poison record",
			poison: func(t *testing.T, f *fixture) []events.DynamoDBEventRecord {
				f.dlq.FailRequests(3, http.StatusInternalServerError, "InternalError")
				if _, err := kitRepo[Gadget](f).Create(t.Context(), Gadget{ID: "g1"}); err != nil {
					t.Fatal(err)
				}
				return f.records()
			},
			failed: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			before := createW(t, f, "w1")
			poison := tt.poison(t, f)
			after := createW(t, f, "w9")
			recs := slices.Concat(before, poison, after)
			if len(recs) != 3 {
				t.Fatalf("%d records, want 3", len(recs))
			}
			idOf := func(rec events.DynamoDBEventRecord) string {
				return rec.Change.NewImage["_evt"].Map()["id"].String()
			}

			resp := f.handle(t, recs)

			letters := deadLetters(t, f)
			if tt.failed {
				if got := failedAt(t, resp); got != recs[1].Change.SequenceNumber {
					t.Errorf("failed at %q, want the poison record %q", got, recs[1].Change.SequenceNumber)
				}
				if len(letters) != 0 {
					t.Errorf("%d dead letters, want none", len(letters))
				}
				// The record after it is left for the retry.
				want := []string{idOf(recs[0])}
				if got := f.accepted(); !slices.Equal(got, want) {
					t.Errorf("the bus took %v, want %v", got, want)
				}
				if got := f.proj.delivered(); !slices.Equal(got, want) {
					t.Errorf("consumers were handed %v, want %v", got, want)
				}
				// PoisonRecords counts records sent to the queue: this one
				// was not, and is counted when its retry sends it.
				if got := f.metric(t, "PoisonRecords"); got != 0 {
					t.Errorf("PoisonRecords %d, want 0: the queue took nothing", got)
				}
				return
			}
			if got := failedAt(t, resp); got != "" {
				t.Errorf("failed at %q, want no failure", got)
			}
			if len(letters) != 1 {
				t.Fatalf("%d dead letters, want 1", len(letters))
			}
			dl := letters[0]
			if !strings.Contains(dl.reason, tt.reason) || !strings.Contains(dl.reason, "undecodable change") {
				t.Errorf("reason %q, want it to say %q", dl.reason, tt.reason)
			}
			if !jsonEqual(t, dl.record, recordJSON(t, delivered(t, recs).Records[1])) {
				t.Errorf("dead letter's record\n%s\nwant the record as delivered\n%s", dl.record, recordJSON(t, recs[1]))
			}
			if dl.seq != recs[1].Change.SequenceNumber || dl.arn != streamARN {
				t.Errorf("attributes: sequence number %q, ARN %q", dl.seq, dl.arn)
			}
			want := []string{idOf(recs[0]), idOf(recs[2])}
			if got := f.accepted(); !slices.Equal(got, want) {
				t.Errorf("the bus took %v, want %v", got, want)
			}
			if got := f.proj.delivered(); !slices.Equal(got, want) {
				t.Errorf("consumers were handed %v, want %v", got, want)
			}
			if got := f.metric(t, "PoisonRecords"); got != 1 {
				t.Errorf("PoisonRecords %d, want 1", got)
			}
		})
	}
}
