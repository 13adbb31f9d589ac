package eventbridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/smithy-go"

	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/eventbridge"
	"github.com/lambdakit/lambdakit/kit/eventbridge/eventbridgetest"
)

const (
	bus    = "lambdakit-test-bus"
	source = "lambdakit-test"
)

// events returns n events e0…e(n-1), each with a payload of about pad
// bytes.
func events(n, pad int) []event.Event {
	evs := make([]event.Event, n)
	for i := range evs {
		payload, _ := json.Marshal(map[string]any{"n": i, "pad": strings.Repeat("x", pad)})
		evs[i] = event.Event{
			Metadata: event.Metadata{
				ID: fmt.Sprintf("e%d", i), Name: "ProductCreated", Kind: "product",
				EntityID: fmt.Sprintf("p%d", i), Version: 1,
				OccurredAt: event.FormatTime(time.Date(2026, 1, 2, 3, 4, 5, i*int(time.Millisecond), time.UTC)),
			},
			Payload: payload,
		}
	}
	return evs
}

func ids(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("e%d", i))
	}
	return out
}

func entryIDs(entries []eventbridgetest.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Event().Metadata.ID
	}
	return out
}

// counts records what the publisher's hooks were told.
type counts struct {
	mu                sync.Mutex
	published, failed int
}

func (c *counts) hook(n *int) func(int) {
	return func(k int) {
		c.mu.Lock()
		defer c.mu.Unlock()
		*n += k
	}
}

func (c *counts) get() (published, failed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.published, c.failed
}

// publisher returns a publisher to srv through the real SDK client, with
// backoffs short enough for tests.
func publisher(t *testing.T, srv *eventbridgetest.Server, optFns ...func(*awseb.Options)) (*eventbridge.Publisher, *counts) {
	t.Helper()
	p, err := eventbridge.New(srv.Client(optFns...), bus, source)
	if err != nil {
		t.Fatal(err)
	}
	c := &counts{}
	p.Backoff = func(int) time.Duration { return time.Millisecond }
	p.OnPublished = c.hook(&c.published)
	p.OnFailed = c.hook(&c.failed)
	return p, c
}

func clientTimeout(d time.Duration) func(*awseb.Options) {
	return func(o *awseb.Options) { o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(d) }
}

func TestPublish(t *testing.T) {
	t.Parallel()
	big := events(5, 100<<10)
	oversized := events(4, 0)
	oversized[2] = events(3, 300<<10)[2]

	tests := []struct {
		name     string
		events   []event.Event
		attempts int
		client   []func(*awseb.Options)
		script   func(*eventbridgetest.Server)
		// requests are the events of each request the stand-in saw.
		requests [][]string
		// accepted are the events the bus took, in the order it took them.
		accepted []string
		// attempts are the SDK's attempt numbers of each request, and
		// statuses the stand-in's answers, when the case is about them.
		sdkAttempts []int
		statuses    []int
		// index is PublishError.Index; -1 when Publish succeeds.
		index             int
		cause             func(*testing.T, error)
		published, failed int
	}{
		{
			name:     "all published in order, ten to a request",
			events:   events(25, 10),
			requests: [][]string{ids(0, 10), ids(10, 20), ids(20, 25)},
			accepted: ids(0, 25),
			index:    -1, published: 25,
		},
		{
			name:   "partial failures resend the refused entries only",
			events: events(5, 10),
			script: func(s *eventbridgetest.Server) {
				s.FailEntries(eventbridgetest.EventID("e1"), "InternalFailure", 1)
				s.FailEntries(eventbridgetest.EventID("e3"), "ThrottlingException", 2)
			},
			requests: [][]string{ids(0, 5), {"e1", "e3"}, {"e3"}},
			accepted: []string{"e0", "e2", "e4", "e1", "e3"},
			index:    -1, published: 5, failed: 3,
		},
		{
			name:   "HTTP 500s are retried by the SDK, then succeed",
			events: events(3, 10),
			script: func(s *eventbridgetest.Server) {
				s.FailRequests(2, 500, "InternalException")
			},
			requests:    [][]string{ids(0, 3), ids(0, 3), ids(0, 3)},
			sdkAttempts: []int{1, 2, 3},
			statuses:    []int{500, 500, 200},
			accepted:    ids(0, 3),
			index:       -1, published: 3,
		},
		{
			name:   "a throttled request is retried by the SDK",
			events: events(2, 10),
			script: func(s *eventbridgetest.Server) {
				s.FailRequests(1, 400, "ThrottlingException")
			},
			requests:    [][]string{ids(0, 2), ids(0, 2)},
			sdkAttempts: []int{1, 2},
			statuses:    []int{400, 200},
			accepted:    ids(0, 2),
			index:       -1, published: 2,
		},
		{
			name:   "timeouts are retried by the SDK, then succeed",
			events: events(3, 10),
			client: []func(*awseb.Options){clientTimeout(2 * time.Second)}, // see below
			script: func(s *eventbridgetest.Server) {
				s.Delay(2, 10*time.Second)
			},
			requests:    [][]string{ids(0, 3), ids(0, 3), ids(0, 3)},
			sdkAttempts: []int{1, 2, 3},
			statuses:    []int{0, 0, 200},
			accepted:    ids(0, 3),
			index:       -1, published: 3,
		},
		{
			name:   "an entry refused on every attempt stops publication at it",
			events: events(15, 10),
			script: func(s *eventbridgetest.Server) {
				s.FailEntries(eventbridgetest.EventID("e4"), "InternalFailure", -1)
			},
			requests:  [][]string{ids(0, 10), {"e4"}, {"e4"}},
			accepted:  slices.Concat(ids(0, 4), ids(5, 10)),
			index:     4,
			cause:     entryCause("InternalFailure", 3),
			published: 9, failed: 3,
		},
		{
			name:     "a failure in a later request names that request's entry",
			events:   events(15, 10),
			attempts: 2,
			script: func(s *eventbridgetest.Server) {
				s.FailEntries(eventbridgetest.EventID("e12"), "ThrottlingException", -1)
			},
			requests:  [][]string{ids(0, 10), ids(10, 15), {"e12"}},
			accepted:  slices.Concat(ids(0, 12), ids(13, 15)),
			index:     12,
			cause:     entryCause("ThrottlingException", 2),
			published: 14, failed: 2,
		},
		{
			name:   "a code EventBridge calls permanent is not resent, nor what follows it",
			events: events(6, 10),
			script: func(s *eventbridgetest.Server) {
				s.FailEntries(eventbridgetest.EventID("e2"), "AccessDeniedException", 1)
				s.FailEntries(eventbridgetest.EventID("e4"), "InternalFailure", 1)
			},
			requests:  [][]string{ids(0, 6)},
			accepted:  []string{"e0", "e1", "e3", "e5"},
			index:     2,
			cause:     entryCause("AccessDeniedException", 1),
			published: 4, failed: 2,
		},
		{
			name:   "a retryable refusal before a permanent one is still resent",
			events: events(5, 10),
			script: func(s *eventbridgetest.Server) {
				s.FailEntries(eventbridgetest.EventID("e1"), "InternalFailure", 1)
				s.FailEntries(eventbridgetest.EventID("e3"), "MalformedDetail", 1)
			},
			requests:  [][]string{ids(0, 5), {"e1"}},
			accepted:  []string{"e0", "e2", "e4", "e1"},
			index:     3,
			cause:     entryCause("MalformedDetail", 1),
			published: 4, failed: 2,
		},
		{
			name:   "500s past the SDK's attempts fail the whole request",
			events: events(12, 10),
			script: func(s *eventbridgetest.Server) {
				s.FailRequests(3, 500, "InternalException")
			},
			requests:    [][]string{ids(0, 10), ids(0, 10), ids(0, 10)},
			sdkAttempts: []int{1, 2, 3},
			statuses:    []int{500, 500, 500},
			index:       0,
			cause: func(t *testing.T, err error) {
				var internal *types.InternalException
				if !errors.As(err, &internal) {
					t.Errorf("error %v is not an InternalException", err)
				}
			},
			failed: 10,
		},
		{
			name:   "timeouts past the SDK's attempts fail the whole request",
			events: events(2, 10),
			// The client's timeout must let each attempt reach the stand-in
			// first, even on a loaded machine (50 ms did not: the first
			// attempt timed out before it was sent, and the stand-in saw two).
			client: []func(*awseb.Options){clientTimeout(2 * time.Second)},
			script: func(s *eventbridgetest.Server) {
				s.Delay(3, 10*time.Second)
			},
			requests:    [][]string{ids(0, 2), ids(0, 2), ids(0, 2)},
			sdkAttempts: []int{1, 2, 3},
			statuses:    []int{0, 0, 0},
			index:       0,
			cause: func(t *testing.T, err error) {
				var timeout interface{ Timeout() bool }
				if !errors.As(err, &timeout) || !timeout.Timeout() {
					t.Errorf("error %v is not a timeout", err)
				}
			},
			failed: 2,
		},
		{
			name:   "an invalid request is not retried",
			events: events(2, 10),
			script: func(s *eventbridgetest.Server) {
				s.FailRequests(1, 400, "ValidationException")
			},
			requests:    [][]string{ids(0, 2)},
			sdkAttempts: []int{1},
			statuses:    []int{400},
			index:       0,
			cause: func(t *testing.T, err error) {
				var api smithy.APIError
				if !errors.As(err, &api) || api.ErrorCode() != "ValidationException" {
					t.Errorf("error %v is not a ValidationException", err)
				}
			},
			failed: 2,
		},
		{
			name:     "batches stay within 256 KiB",
			events:   big,
			requests: [][]string{ids(0, 2), ids(2, 4), ids(4, 5)},
			accepted: ids(0, 5),
			index:    -1, published: 5,
		},
		{
			name:     "an oversized event is published to by no request",
			events:   oversized,
			requests: [][]string{ids(0, 2)},
			accepted: ids(0, 2),
			index:    2,
			cause: func(t *testing.T, err error) {
				if !errors.Is(err, eventbridge.ErrTooLarge) {
					t.Errorf("error %v is not ErrTooLarge", err)
				}
			},
			published: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := eventbridgetest.New(t, bus)
			p, c := publisher(t, srv, tt.client...)
			p.Attempts = tt.attempts
			if tt.script != nil {
				tt.script(srv)
			}

			err := p.Publish(t.Context(), tt.events)

			if tt.index < 0 {
				if err != nil {
					t.Fatalf("Publish: %v", err)
				}
			} else {
				var pe *eventbridge.PublishError
				if !errors.As(err, &pe) {
					t.Fatalf("Publish returned %v, want a *PublishError", err)
				}
				if pe.Index != tt.index {
					t.Errorf("PublishError.Index = %d, want %d (%v)", pe.Index, tt.index, err)
				}
				tt.cause(t, err)
			}

			reqs := srv.Requests()
			var got [][]string
			var attempts, statuses []int
			for _, r := range reqs {
				got = append(got, entryIDs(r.Entries))
				attempts = append(attempts, r.Attempt)
				statuses = append(statuses, r.Status)
			}
			if !slices.EqualFunc(got, tt.requests, slices.Equal) {
				t.Errorf("requests carried %v, want %v", got, tt.requests)
			}
			if tt.sdkAttempts != nil {
				if !slices.Equal(attempts, tt.sdkAttempts) {
					t.Errorf("SDK attempts %v, want %v", attempts, tt.sdkAttempts)
				}
				// The SDK's retries are one invocation; the publisher's
				// resends would each be a new one.
				for _, r := range reqs {
					if r.Invocation == "" || r.Invocation != reqs[0].Invocation {
						t.Errorf("invocation %q, want all %q", r.Invocation, reqs[0].Invocation)
					}
				}
			}
			if tt.statuses != nil && !slices.Equal(statuses, tt.statuses) {
				t.Errorf("stand-in answered %v, want %v", statuses, tt.statuses)
			}
			if acc := entryIDs(srv.Accepted()); !slices.Equal(acc, tt.accepted) {
				t.Errorf("bus accepted %v, want %v", acc, tt.accepted)
			}
			if published, failed := c.get(); published != tt.published || failed != tt.failed {
				t.Errorf("hooks counted %d published, %d failed; want %d, %d", published, failed, tt.published, tt.failed)
			}
		})
	}
}

func entryCause(code string, attempts int) func(*testing.T, error) {
	return func(t *testing.T, err error) {
		t.Helper()
		var ee *eventbridge.EntryError
		if !errors.As(err, &ee) {
			t.Fatalf("error %v is not an *EntryError", err)
		}
		if ee.Code != code || ee.Attempts != attempts {
			t.Errorf("EntryError %s after %d attempts, want %s after %d", ee.Code, ee.Attempts, code, attempts)
		}
	}
}

// TestEntryOnTheWire checks what reaches the bus for one event: source,
// detail type, the whole event as detail, the bus, the time and the trace.
func TestEntryOnTheWire(t *testing.T) {
	t.Parallel()
	srv := eventbridgetest.New(t, bus)
	p, _ := publisher(t, srv)
	ev := events(1, 0)[0]
	ev.Metadata.TraceID = "1-5759e988-bd862e3fe1be46a994272793"
	plain := events(2, 0)[1]
	plain.Metadata.OccurredAt = ""

	if err := p.Publish(t.Context(), []event.Event{ev, plain}); err != nil {
		t.Fatal(err)
	}

	got := srv.Accepted()
	if len(got) != 2 {
		t.Fatalf("bus accepted %d entries, want 2", len(got))
	}
	e := got[0]
	if e.Source != source || e.DetailType != "ProductCreated" || e.EventBusName != bus {
		t.Errorf("entry source %q, detail type %q, bus %q", e.Source, e.DetailType, e.EventBusName)
	}
	want, _ := json.Marshal(ev)
	if e.Detail != string(want) {
		t.Errorf("detail %s, want %s", e.Detail, want)
	}
	var shape map[string]json.RawMessage
	if err := json.Unmarshal([]byte(e.Detail), &shape); err != nil || len(shape) != 2 || shape["metadata"] == nil || shape["payload"] == nil {
		t.Errorf("detail %s is not {metadata, payload}", e.Detail)
	}
	if at := event.FormatTime(e.Time); at != ev.Metadata.OccurredAt {
		t.Errorf("entry time %s, want %s", at, ev.Metadata.OccurredAt)
	}
	if e.TraceHeader != "Root="+ev.Metadata.TraceID {
		t.Errorf("trace header %q", e.TraceHeader)
	}
	if !got[1].Time.IsZero() || got[1].TraceHeader != "" {
		t.Errorf("an event without time or trace sent time %v, trace %q", got[1].Time, got[1].TraceHeader)
	}
}

// TestPublishContext checks that the backoff between resends gives way to
// the context, and that the error says so and why a resend was due.
func TestPublishContext(t *testing.T) {
	t.Parallel()
	srv := eventbridgetest.New(t, bus)
	p, _ := publisher(t, srv)
	p.Backoff = func(int) time.Duration { return time.Hour }
	srv.FailEntries(eventbridgetest.EventID("e1"), "InternalFailure", 1)
	ctx, cancel := context.WithCancel(t.Context())
	p.OnFailed = func(int) { cancel() }

	err := p.Publish(ctx, events(3, 0))

	var pe *eventbridge.PublishError
	if !errors.As(err, &pe) || pe.Index != 1 {
		t.Fatalf("Publish returned %v, want a *PublishError at 1", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	entryCause("InternalFailure", 1)(t, err)
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestPublishNothing(t *testing.T) {
	t.Parallel()
	srv := eventbridgetest.New(t, bus)
	p, _ := publisher(t, srv)
	if err := p.Publish(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests for no events", n)
	}
}

func TestNewRefusesAnIncompletePublisher(t *testing.T) {
	t.Parallel()
	srv := eventbridgetest.New(t, bus)
	for _, tt := range []struct {
		name        string
		api         eventbridge.API
		bus, source string
	}{
		{"no client", nil, bus, source},
		{"no bus", srv.Client(), "", source},
		{"no source", srv.Client(), bus, ""},
	} {
		if _, err := eventbridge.New(tt.api, tt.bus, tt.source); err == nil {
			t.Errorf("%s: New accepted it", tt.name)
		}
	}
	var zero eventbridge.Publisher
	var pe *eventbridge.PublishError
	if err := zero.Publish(t.Context(), events(1, 0)); !errors.As(err, &pe) || pe.Index != 0 {
		t.Errorf("a zero Publisher's Publish returned %v, want a *PublishError at 0", err)
	}
}

// TestSizeLimit pins the entry size at the limit: an event whose entry is
// exactly MaxBatchBytes by EntrySize's count is sent, alone; one byte more
// is refused before any request.
func TestSizeLimit(t *testing.T) {
	t.Parallel()
	// sized returns an event padded so that its entry is n bytes: 14 for
	// the time, then source, detail type, detail and bus.
	sized := func(n int) event.Event {
		ev := events(1, 0)[0]
		detail, _ := json.Marshal(ev)
		over := 14 + len(source) + len(ev.Metadata.Name) + len(detail) + len(bus)
		return events(1, n-over)[0]
	}
	for _, tt := range []struct {
		name     string
		size     int
		requests int
		tooLarge bool
	}{
		{"at the limit", eventbridge.MaxBatchBytes, 2, false},
		{"a byte over", eventbridge.MaxBatchBytes + 1, 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := eventbridgetest.New(t, bus)
			p, _ := publisher(t, srv)
			evs := append(events(1, 0), sized(tt.size))

			err := p.Publish(t.Context(), evs)

			if got := errors.Is(err, eventbridge.ErrTooLarge); got != tt.tooLarge {
				t.Errorf("Publish returned %v, want ErrTooLarge: %v", err, tt.tooLarge)
			}
			if n := len(srv.Requests()); n != tt.requests {
				t.Errorf("%d requests, want %d", n, tt.requests)
			}
		})
	}
}
