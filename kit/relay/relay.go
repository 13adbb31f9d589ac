// Package relay is the event function's core: it takes the table's stream
// records, as Lambda delivers them in batches, derives the domain events
// they carry, publishes them, and runs the service's consumers. A record
// that fails is reported as a batch item failure, so that Lambda retries
// the batch from it; one that can never succeed (it cannot be decoded) goes
// to the dead-letter queue at once, so it never blocks the records behind
// it.
package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/event"
)

// Publisher sends events on, in the order given. The EventBridge adapter
// and Log implement it.
type Publisher interface {
	Publish(ctx context.Context, events []event.Event) error
}

// Partial is an error of a Publisher that published some events: those
// before FirstUnpublished. Without it, a failed Publish counts as having
// published nothing.
type Partial interface {
	error
	FirstUnpublished() int
}

// DeadLetters keeps records the relay gives up on, with the reason.
type DeadLetters interface {
	Send(ctx context.Context, record events.DynamoDBEventRecord, reason error) error
}

// Relay turns stream records into published and consumed events.
type Relay struct {
	Events      dynamo.Events
	Publisher   Publisher
	DeadLetters DeadLetters
	Log         *zap.Logger
	// Metrics, when set, makes each batch's log line carry its counts as
	// CloudWatch EMF metrics.
	Metrics *Metrics
}

// Handle processes one batch of stream records; it is the Lambda handler.
// Records are taken in order. The response names the first record that
// failed, if any: Lambda then retries from it (with ReportBatchItemFailures
// on the event source mapping). Everything before it is done: its events
// were published and consumed. Delivery is at least once, so a retried
// record's events are published again, with the same ids.
func (r *Relay) Handle(ctx context.Context, batch events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	start := time.Now()
	type pending struct {
		record int
		ev     event.Event
	}
	var evs []pending
	limit := len(batch.Records) // records from limit on are not done
	var tally Tally
	for i, rec := range batch.Records {
		ev, ok, err := r.decode(rec)
		if err != nil {
			if derr := r.DeadLetters.Send(ctx, rec, err); derr != nil {
				r.Log.Error("dead-letter a poison record", zap.String("sequenceNumber", rec.Change.SequenceNumber), zap.Error(errors.Join(err, derr)))
				limit = i
				break
			}
			tally.Poison++
			r.Log.Warn("poison record sent to the dead-letter queue", zap.String("sequenceNumber", rec.Change.SequenceNumber), zap.Error(err))
			continue
		}
		if ok {
			evs = append(evs, pending{i, ev})
		}
	}
	list := make([]event.Event, len(evs))
	for i, p := range evs {
		list[i] = p.ev
	}
	published := len(list)
	if err := r.Publisher.Publish(ctx, list); err != nil {
		published = 0
		var partial Partial
		if errors.As(err, &partial) {
			published = min(max(partial.FirstUnpublished(), 0), len(list))
		}
		if published < len(evs) {
			limit = min(limit, evs[published].record)
		}
		r.Log.Error("publish events", zap.Int("published", published), zap.Int("events", len(list)), zap.Error(err))
	}
	tally.Published = published
	for _, p := range evs[:published] {
		if p.record >= limit {
			break
		}
		if err := r.Events.Catalog.Dispatch(ctx, p.ev); err != nil {
			tally.ConsumerFailures++
			r.Log.Error("consume event", zap.String("event", p.ev.Metadata.Name), zap.String("eventId", p.ev.Metadata.ID), zap.Error(err))
			limit = p.record
			break
		}
	}
	var resp events.DynamoDBEventResponse
	if limit < len(batch.Records) {
		resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: batch.Records[limit].Change.SequenceNumber}}
	}
	tally.Records, tally.Failed = len(batch.Records), len(batch.Records)-limit
	r.logBatch(tally, time.Since(start))
	return resp, nil
}

func (r *Relay) decode(rec events.DynamoDBEventRecord) (event.Event, bool, error) {
	change, err := ChangeOf(rec)
	if err != nil {
		return event.Event{}, false, fmt.Errorf("%w: %w", dynamo.ErrUndecodable, err)
	}
	return r.Events.Event(change)
}

// Tally counts what one batch did.
type Tally struct {
	Records, Failed, Published, Poison, ConsumerFailures int
}

func (r *Relay) logBatch(t Tally, took time.Duration) {
	fields := []zap.Field{
		zap.Int("records", t.Records), zap.Int("failed", t.Failed), zap.Int("published", t.Published),
		zap.Int("poison", t.Poison), zap.Int("consumerFailures", t.ConsumerFailures), zap.Duration("duration", took),
	}
	if r.Metrics != nil {
		fields = append(fields, r.Metrics.emf(time.Now(), map[string]int{MetricPublished: t.Published, MetricPoison: t.Poison})...)
	}
	r.Log.Info("batch", fields...)
}
