package relay_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
	"github.com/lambdakit/lambdakit/kit/relay"
)

var ddb *dynamotest.Server

func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }

// call is one batch Poll handed the relay: its records' sequence numbers
// and the record its response named.
type call struct {
	seqs   []string
	failed string
}

type calls struct {
	mu   sync.Mutex
	list []call
}

func (c *calls) add(batch events.DynamoDBEvent, resp events.DynamoDBEventResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var cl call
	for _, r := range batch.Records {
		cl.seqs = append(cl.seqs, r.Change.SequenceNumber)
	}
	if len(resp.BatchItemFailures) > 0 {
		cl.failed = resp.BatchItemFailures[0].ItemIdentifier
	}
	c.list = append(c.list, cl)
}

func (c *calls) get() []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list)
}

// eventually waits for cond, failing the test after a minute: the
// emulator's stream is read on Poll's schedule.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after a minute", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPoll writes the scenario through the DynamoDB adapter on DynamoDB
// Local and runs Poll over the table's stream, with the relay as handler
// and a consumer that fails at the WidgetDeleted event (evt-004) once, or
// every time. Poll sends the batch again from the record the response
// named, never a record before it; a record that keeps failing is given
// up after Poll's three attempts and the stream goes on past it.
func TestPoll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// fails is how many deliveries of evt-004 fail; -1 for all.
		fails int
		// tries is how many batches start at or hold its record.
		tries int
		// applied is what the consumer ends up having applied.
		applied []string
	}{
		{name: "fails once: retried from the failed record", fails: 1, tries: 2, applied: finalState.Applied},
		{name: "keeps failing: given up after the attempts", fails: -1, tries: 3,
			applied: slices.DeleteFunc(slices.Clone(finalState.Applied), func(id string) bool { return id == "evt-004" })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			table := ddb.NewTable(t)
			f.store = dynamo.NewStorage(table, tokens(t), dynamo.WithEventClock(f.clock), dynamo.WithEventIDs(eventIDs()))
			var mu sync.Mutex
			failures := 0
			f.proj.fail = func(id string) error {
				mu.Lock()
				defer mu.Unlock()
				if id == "evt-004" && (tt.fails < 0 || failures < tt.fails) {
					failures++
					return context.DeadlineExceeded
				}
				return nil
			}
			f.scenario(t)
			stream := &relay.Stream{API: ddb.StreamsClient(), ARN: ddb.StreamARN(t, table)}
			core, logs := observer.New(zapcore.DebugLevel)
			rec := &calls{}
			handle := func(ctx context.Context, batch events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
				resp, err := f.relay.Handle(ctx, batch)
				rec.add(batch, resp)
				return resp, err
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- relay.Poll(ctx, stream, handle, zap.New(core), 10*time.Millisecond) }()

			eventually(t, "all consumed", func() bool {
				s := f.proj.state()
				return len(s.Applied) == len(tt.applied) && s.Applied[len(s.Applied)-1] == "evt-007"
			})
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Poll returned %v", err)
			}

			if got := f.proj.state().Applied; !slices.Equal(got, tt.applied) {
				t.Errorf("applied %v, want %v", got, tt.applied)
			}
			// The stream carried the events the memory adapter's scenario
			// raises, in commit order: the first publication of each.
			var first []string
			for _, e := range f.bus.Accepted() {
				if id := e.Event().Metadata.ID; !slices.Contains(first, id) {
					first = append(first, id)
					want := scenarioEvents[len(first)-1]
					if id != want.id || !jsonEqual(t, e.Detail, want.detail) {
						t.Errorf("event %d published\n%s\nwant\n%s", len(first), e.Detail, want.detail)
					}
				}
			}
			if len(first) != len(scenarioEvents) {
				t.Errorf("published %v, want the scenario's %d events", first, len(scenarioEvents))
			}

			cs := rec.get()
			at := slices.IndexFunc(cs, func(c call) bool { return c.failed != "" })
			if at < 0 {
				t.Fatalf("no batch failed: %+v", cs)
			}
			failed := cs[at].failed
			done1 := cs[at].seqs[:slices.Index(cs[at].seqs, failed)]
			tries := 0
			for i, c := range cs {
				if slices.Contains(c.seqs, failed) {
					tries++
					if i > at && c.seqs[0] != failed {
						t.Errorf("batch %d holds the failed record %s but starts at %s", i, failed, c.seqs[0])
					}
				}
				for _, s := range c.seqs {
					if i > at && slices.Contains(done1, s) {
						t.Errorf("batch %d sees record %s again, which came before the failed one", i, s)
					}
				}
			}
			if tries != tt.tries {
				t.Errorf("the failed record was handed over %d times, want %d: %+v", tries, tt.tries, cs)
			}
			given := logs.FilterMessage("stream record given up after retries").All()
			if tt.fails < 0 {
				if len(given) != 1 || given[0].ContextMap()["sequenceNumber"] != failed {
					t.Errorf("given-up log lines %v, want one for %s", given, failed)
				}
			} else if len(given) != 0 {
				t.Errorf("given-up log lines %v, want none", given)
			}
		})
	}
}
