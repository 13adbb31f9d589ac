// Package kit holds the ports every service built on the kit shares: the
// generic Repository, the errors its adapters report, and the clock and id
// sources handlers take so that their output can be made deterministic.
//
// Adapters live in sub-packages (dynamo, memory); the command bus in command;
// the API Gateway router in apigw. Nothing here knows about any one entity.
package kit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors that adapters and handlers return, wrapped with detail. Callers test
// for them with errors.Is; the router maps each to one HTTP status.
var (
	// ErrNotFound means the entity does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the write clashes with the current state, such as a
	// create of an id that already exists or a request already in flight.
	ErrConflict = errors.New("conflict")
	// ErrPreconditionFailed means the caller's expected version is stale.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrInvalid means the input was malformed or failed validation.
	ErrInvalid = errors.New("invalid input")
	// ErrUnprocessable means the input was well formed but cannot be acted on,
	// such as an idempotency key reused with a different request.
	ErrUnprocessable = errors.New("unprocessable")
	// ErrUnavailable means the storage behind a port could not be reached in
	// time. It is transient: the same request may succeed later.
	ErrUnavailable = errors.New("unavailable")
	// ErrTooLarge means the input is over the size the service accepts.
	ErrTooLarge = errors.New("too large")
)

// FieldError names one input field and why it was rejected.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ValidationError reports every field that failed validation at once, so a
// client can fix them all in one round trip. It matches ErrInvalid.
type ValidationError struct {
	Fields []FieldError
}

// Error lists the failing fields.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for a ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Error is a kit error whose Detail was written for the client: the router
// shows it in the problem body. Errors of any other type never reach a body.
type Error struct {
	Kind   error // one of the Err values above
	Detail string
}

// Error returns the kind and the detail.
func (e *Error) Error() string { return e.Kind.Error() + ": " + e.Detail }

// Unwrap makes errors.Is(err, e.Kind) true.
func (e *Error) Unwrap() error { return e.Kind }

// Errorf returns an error of the given kind whose detail is shown to clients.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// Invalid returns an ErrInvalid whose detail is shown to clients.
func Invalid(format string, args ...any) error {
	return Errorf(ErrInvalid, format, args...)
}

// Entity is what the kit needs to know about a stored type. Both methods must
// work on the zero value: the kind names the listing, not one item.
type Entity interface {
	// EntityKind names the type, such as "PRODUCT". It prefixes keys and
	// partitions the listing index, so it must never change once data exists.
	EntityKind() string
	// EntityID is the entity's identifier, unique within its kind.
	EntityID() string
}

// Version counts the writes to one entity, starting at 1. The kit manages it;
// entities never carry it. AnyVersion as an expectation matches every version.
type Version int64

// AnyVersion expects nothing: the write applies to whatever is stored.
const AnyVersion Version = 0

// Versioned is an entity with the version it was read or written at.
type Versioned[T any] struct {
	Entity  T
	Version Version
}

// Patch is a partial update: attributes to set and attributes to remove,
// named as the entity stores them (its dynamodbav tags). Adapters apply it in
// one atomic write, so concurrent patches of different fields never undo
// each other.
type Patch struct {
	Set    map[string]any
	Remove []string
}

// PageRequest asks for one page of a listing.
type PageRequest struct {
	// Size is the most entities to return; adapters reject values below 1.
	Size int
	// Token continues a listing where a previous page ended; empty starts it.
	Token string
}

// Page is one page of a listing. Next is empty on the last page.
type Page[T any] struct {
	Items []T
	Next  string
}

// Repository is the storage port for one entity type. Every method is a
// single atomic operation on the store.
type Repository[T Entity] interface {
	// Get returns the entity or ErrNotFound.
	Get(ctx context.Context, id string) (Versioned[T], error)
	// Create stores a new entity at version 1, or returns ErrConflict if one
	// with its id exists.
	Create(ctx context.Context, entity T) (Versioned[T], error)
	// Update applies the patch to an existing entity and returns its new
	// state. It returns ErrNotFound if there is none, and
	// ErrPreconditionFailed if expect is not AnyVersion and differs from the
	// stored version. It never creates.
	Update(ctx context.Context, id string, patch Patch, expect Version) (Versioned[T], error)
	// Delete removes an entity, with the same errors as Update.
	Delete(ctx context.Context, id string, expect Version) error
	// List returns one page of entities of this kind in id order. A token
	// that this repository did not issue is ErrInvalid.
	List(ctx context.Context, page PageRequest) (Page[T], error)
}

// Clock tells the time. Handlers take one so tests can fix it.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }

// IDs generates identifiers for new entities.
type IDs interface {
	NewID() string
}

// IDFunc adapts a function to IDs.
type IDFunc func() string

// NewID calls f.
func (f IDFunc) NewID() string { return f() }
