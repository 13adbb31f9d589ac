// Package eventbridge publishes the kit's domain events to an Amazon
// EventBridge bus: one PutEvents entry per event, sent in the order given,
// in requests as large as EventBridge allows.
//
// Two layers retry, each what only it can see:
//   - A request that fails as a whole (HTTP 5xx, throttling, a timeout, a
//     dropped connection) is retried by the SDK client's own retryer, set
//     where the client is made (its attempts, its backoff, and the HTTP
//     client's timeout, without which a hung request is never retried).
//     The publisher does not retry it again: the two would multiply.
//   - A request that succeeds but refuses some entries (FailedEntryCount
//     above zero) is a success to the SDK. The publisher resends the
//     refused entries, and only those, with backoff, up to Attempts times.
//
// Delivery is at least once: when Publish fails, the events from
// PublishError.Index on are to be sent again, and some of them may have
// reached the bus already. Consumers deduplicate by the event id.
package eventbridge

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/lambdakit/lambdakit/kit/event"
)

// EventBridge's PutEvents limits.
const (
	// MaxEntries is the most entries one PutEvents request carries.
	MaxEntries = 10
	// MaxBatchBytes bounds the entries of one request together, measured as
	// EventBridge measures them (see EntrySize); one entry larger than this
	// can never be sent.
	MaxBatchBytes = 256 << 10
)

// DefaultAttempts is how many times New lets the publisher send an entry
// that EventBridge keeps refusing, the first time included.
const DefaultAttempts = 3

// API is the part of the EventBridge client the publisher uses; the SDK's
// *eventbridge.Client is one.
type API interface {
	PutEvents(ctx context.Context, in *awseb.PutEventsInput, optFns ...func(*awseb.Options)) (*awseb.PutEventsOutput, error)
}

// Publisher sends events to one bus under one source. It keeps no state
// between calls, so one may serve concurrent invocations.
type Publisher struct {
	// API is the EventBridge client. Its retryer handles whole-request
	// failures.
	API API
	// Bus is the event bus's name or ARN; Source is the service's name.
	Bus, Source string
	// Attempts is how many times an entry EventBridge refuses is sent, the
	// first included; zero or less means DefaultAttempts.
	Attempts int
	// Backoff is the wait before resending refused entries for the n-th
	// time (n from 1); nil means DefaultBackoff.
	Backoff func(n int) time.Duration
	// OnPublished is told how many entries EventBridge accepted, after
	// each request that accepted some (the EventsPublished metric).
	OnPublished func(n int)
	// OnFailed is told how many entries failed, after each attempt that
	// failed some: those EventBridge refused, or all that a request carried
	// when it failed as a whole (the EventPutFailures metric).
	OnFailed func(n int)
}

// New returns a publisher of events to bus under source through api, with
// the default attempts and backoff.
func New(api API, bus, source string) (*Publisher, error) {
	p := &Publisher{API: api, Bus: bus, Source: source, Attempts: DefaultAttempts, Backoff: DefaultBackoff}
	if err := p.check(); err != nil {
		return nil, err
	}
	return p, nil
}

// DefaultBackoff waits a random time up to 50ms doubled n-1 times, at most
// one second: short, because the function's whole batch waits for it, and
// random, so that concurrent publishers do not retry in step.
func DefaultBackoff(n int) time.Duration {
	ceiling := 50 * time.Millisecond << min(max(n-1, 0), 5)
	return rand.N(min(ceiling, time.Second)) + time.Millisecond
}

// ErrTooLarge is why an event that no PutEvents request can carry is not
// published: its entry alone is larger than MaxBatchBytes. Sending it again
// will not help.
var ErrTooLarge = errors.New("event too large for EventBridge")

// PublishError says which events did not reach the bus: all those from
// Index on may not have been published, and every event before Index was.
type PublishError struct {
	// Index is the position, in the events given to Publish, of the first
	// event not published.
	Index int
	// Err is why: an *EntryError when EventBridge refused the entry, the
	// client's error when the request failed, ErrTooLarge, or the
	// context's error.
	Err error
}

func (e *PublishError) Error() string {
	return fmt.Sprintf("eventbridge: event %d and those after it not published: %v", e.Index, e.Err)
}

// Unwrap returns why the event at Index was not published.
func (e *PublishError) Unwrap() error { return e.Err }

// EntryError is EventBridge's refusal of one entry, as its PutEvents result
// gave it.
type EntryError struct {
	// Code and Message are the result entry's ErrorCode and ErrorMessage.
	Code, Message string
	// Attempts is how many times the entry was sent.
	Attempts int
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("entry refused %d time(s): %s: %s", e.Attempts, e.Code, e.Message)
}

// Retryable reports whether EventBridge documents the code as one that
// sending the entry again may cure.
func (e *EntryError) Retryable() bool {
	return e.Code == "InternalFailure" || e.Code == "ThrottlingException"
}

// Publish sends events to the bus in their order, a request at a time,
// and returns nil once all are published. Otherwise it returns a
// *PublishError naming the first event not published, and sends no request
// after it: only the events that shared its request may have reached the
// bus too. Resent entries arrive after those their request carried after
// them, so consumers order an entity's events by its version.
func (p *Publisher) Publish(ctx context.Context, events []event.Event) error {
	if err := p.check(); err != nil {
		return &PublishError{Index: 0, Err: err}
	}
	entries := make([]types.PutEventsRequestEntry, 0, len(events))
	sizes := make([]int, 0, len(events))
	var bad error
	for _, ev := range events {
		e, err := p.entry(ev)
		if err != nil {
			bad = err
			break
		}
		entries = append(entries, e)
		sizes = append(sizes, EntrySize(e))
	}
	for start := 0; start < len(entries); {
		end, total := start, 0
		for end < len(entries) && end-start < MaxEntries && total+sizes[end] <= MaxBatchBytes {
			total += sizes[end]
			end++
		}
		if n, err := p.put(ctx, entries[start:end]); err != nil {
			return &PublishError{Index: start + n, Err: err}
		}
		start = end
	}
	if bad != nil {
		return &PublishError{Index: len(entries), Err: bad}
	}
	return nil
}

// put sends one batch, resending refused entries, and returns how many of
// its first entries are published: all of them, or up to the first that is
// not, with why.
func (p *Publisher) put(ctx context.Context, batch []types.PutEventsRequestEntry) (int, error) {
	pending := make([]int, len(batch)) // ascending indexes into batch
	for i := range pending {
		pending[i] = i
	}
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = DefaultAttempts
	}
	// stop is the first entry refused for good: a later one is to be sent
	// again anyway, so resending it now would only add a duplicate.
	stop, stopErr := len(batch), error(nil)
	for attempt := 1; ; attempt++ {
		req := make([]types.PutEventsRequestEntry, len(pending))
		for k, i := range pending {
			req[k] = batch[i]
		}
		out, err := p.API.PutEvents(ctx, &awseb.PutEventsInput{Entries: req})
		if err == nil && len(out.Entries) != len(req) {
			err = fmt.Errorf("%d results for %d entries", len(out.Entries), len(req))
		}
		if err != nil {
			p.count(p.OnFailed, len(req))
			return pending[0], fmt.Errorf("put events: %w", err)
		}
		var retry []int
		var retryErr *EntryError
		refused := 0
		for k, res := range out.Entries {
			if res.ErrorCode == nil || *res.ErrorCode == "" {
				continue
			}
			refused++
			i := pending[k]
			refusal := &EntryError{Code: *res.ErrorCode, Attempts: attempt}
			if res.ErrorMessage != nil {
				refusal.Message = *res.ErrorMessage
			}
			switch {
			case !refusal.Retryable():
				if i < stop {
					stop, stopErr = i, refusal
				}
			case i < stop:
				if retry == nil {
					retryErr = refusal
				}
				retry = append(retry, i)
			}
		}
		p.count(p.OnPublished, len(req)-refused)
		p.count(p.OnFailed, refused)
		if len(retry) == 0 {
			return stop, stopErr
		}
		if attempt >= attempts {
			return retry[0], retryErr
		}
		if !p.wait(ctx, attempt) {
			return retry[0], fmt.Errorf("%w; not resent: %w", retryErr, ctx.Err())
		}
		pending = retry
	}
}

// wait sleeps the backoff before the n-th resend, or until ctx is done:
// false then.
func (p *Publisher) wait(ctx context.Context, n int) bool {
	backoff := p.Backoff
	if backoff == nil {
		backoff = DefaultBackoff
	}
	t := time.NewTimer(backoff(n))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (p *Publisher) count(hook func(int), n int) {
	if hook != nil && n > 0 {
		hook(n)
	}
}

func (p *Publisher) check() error {
	if p.API == nil || p.Bus == "" || p.Source == "" {
		return errors.New("eventbridge: a publisher needs an API, a bus and a source")
	}
	return nil
}

// FirstUnpublished is Index: it makes a PublishError a relay.Partial, so
// the event function retries from the first event not published.
func (e *PublishError) FirstUnpublished() int { return e.Index }
