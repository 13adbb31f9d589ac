// Package event holds the kit's domain events: what every write of a
// declared entity raises (<Type>Created, <Type>Updated, <Type>Deleted), the
// events a handler raises itself through a unit of work, the catalog of
// every event a service can raise, and the typed consumers that react to
// them.
//
// Events never travel beside a write: the storage adapter commits what an
// event needs with the write itself (on the item, or as an outbox item in
// the same transaction), and the event function derives the events from
// the table's stream. So an event exists exactly when its write does.
package event

import (
	"context"
	"encoding/json"
	"time"
)

// TimeFormat is how an event's times appear: the API's own format, ISO 8601
// in UTC with three digits of milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Metadata says what happened, to what, when and because of whom. It is the
// same for every event; the payload is the event's own.
type Metadata struct {
	// ID is unique per event and the same on every delivery of it, so
	// consumers deduplicate by it.
	ID string `json:"id"`
	// Name is the event's type, such as "ProductCreated"; EventBridge's
	// detail type.
	Name string `json:"name"`
	// OccurredAt is when the write that raised it was made.
	OccurredAt string `json:"occurredAt"`
	// Kind, EntityID and ParentID name the entity an entity event is
	// about; a custom event may leave them empty.
	Kind     string `json:"kind,omitempty"`
	EntityID string `json:"entityId,omitempty"`
	ParentID string `json:"parentId,omitempty"`
	// Version is the entity's version after the write; for a delete, one
	// more than its last. Events of one entity are ordered by it, and a
	// consumer drops one older than what it has seen.
	Version int64 `json:"version,omitempty"`
	// Changed lists the fields an update changed, by their API names, in
	// the entity's field order.
	Changed []string `json:"changed,omitempty"`
	// Caller is the IAM identity API Gateway verified for the request that
	// caused the event, when it was signed.
	Caller string `json:"caller,omitempty"`
	// RequestID and TraceID are the causing request's API Gateway request
	// id and X-Ray trace id.
	RequestID string `json:"requestId,omitempty"`
	TraceID   string `json:"traceId,omitempty"`
	// CauseID is the id of the event that caused this one: a product's
	// delete for each review it removes, or the event a consumer handled
	// when it wrote.
	CauseID string `json:"causeId,omitempty"`
}

// Event is a domain event as it leaves the service: EventBridge's detail.
type Event struct {
	Metadata Metadata        `json:"metadata"`
	Payload  json.RawMessage `json:"payload"`
}

// Origin is what a write knows of why it is made: the request's metadata,
// and the event being handled when a consumer writes. Adapters stamp it on
// what they commit.
type Origin struct {
	Caller    string `json:"by,omitempty"`
	RequestID string `json:"req,omitempty"`
	TraceID   string `json:"trace,omitempty"`
	CauseID   string `json:"cause,omitempty"`
}

type causeKey struct{}

// WithCause returns a context whose writes name the event id as their
// cause: consumers' writes, and a cascade's.
func WithCause(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, causeKey{}, id)
}

// CauseFrom returns the cause WithCause put in ctx, or "".
func CauseFrom(ctx context.Context) string {
	id, _ := ctx.Value(causeKey{}).(string)
	return id
}

// FormatTime renders t as events show times.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }
