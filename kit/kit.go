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
	// ErrUnauthenticated means the operation needs a verified caller and
	// the request has none.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the verified caller may not do this, such as
	// changing an entity another caller owns.
	ErrForbidden = errors.New("forbidden")
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
	// Fields, if any, name the input fields the error is about, as a
	// validation problem's do: a 409 for a unique field that another
	// entity holds names that field.
	Fields []FieldError
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

// Child is an entity that lives in its parent's item collection: it is
// stored in its parent's partition, read together with it in one query, and
// deleted with it. Its id is unique within its parent.
type Child interface {
	Entity
	// ParentKind is the parent's EntityKind. It must work on the zero value.
	ParentKind() string
}

// Listed is implemented by a Child whose items also go to the kind-wide
// listing index, so that a repository opened without a parent lists every
// child of the kind, ordered by parent id and then by id. Children are left
// out of it unless they ask, which keeps the index's writes to the kinds
// that are listed.
type Listed interface {
	Child
	// ListedByKind is a marker; its result is not used.
	ListedByKind()
}

// Storage is one store holding entities of every kind: the port that
// adapters implement and that repositories are opened on. RepositoryOf
// opens a typed repository.
type Storage interface {
	// Open returns the repository of prototype's kind; prototype is a zero
	// value of the entity type. For a Child, parent is the parent's id and
	// the repository is that parent's collection: every call answers
	// ErrNotFound while the parent does not exist, and checks it in the
	// same read or transaction as the call's own work. For other entities,
	// and for the kind-wide listing of a Listed child, parent is "".
	Open(prototype Entity, parent string) Repository[Entity]
	// GetWith reads an entity and the first page of its children of child's
	// kind together, in one query. The page's Next token continues the
	// parent's collection listing of that kind.
	GetWith(ctx context.Context, prototype Entity, id string, child Child, size int) (Versioned[Entity], Page[Entity], error)
	// Begin starts a unit of work on the store.
	Begin() Unit
}

// RepositoryOf opens the repository of T on s; see Storage.Open for parent.
func RepositoryOf[T Entity](s Storage, parent string) Repository[T] {
	return typed[T]{s.Open(*new(T), parent)}
}

// GetWith reads the entity P with id and the first page of its children C
// in one query.
func GetWith[P Entity, C Child](ctx context.Context, s Storage, id string, size int) (Versioned[P], Page[C], error) {
	v, page, err := s.GetWith(ctx, *new(P), id, *new(C), size)
	if err != nil {
		return Versioned[P]{}, Page[C]{}, err
	}
	return Versioned[P]{Entity: v.Entity.(P), Version: v.Version, Revision: v.Revision}, pageOf[C](page), nil
}

// CheckGetWith is what every Storage.GetWith requires of its arguments: a
// page of at least one, and a child whose parent is prototype's kind.
func CheckGetWith(prototype Entity, child Child, size int) error {
	if size < 1 {
		return Invalid("page size must be at least 1")
	}
	if child.ParentKind() != prototype.EntityKind() {
		return fmt.Errorf("kit: %s is not a child of %s", child.EntityKind(), prototype.EntityKind())
	}
	return nil
}

// typed narrows a repository of Entity values, as adapters return them, to
// T. The adapter decodes into T's own type, so the assertions hold.
type typed[T Entity] struct{ r Repository[Entity] }

func (t typed[T]) Get(ctx context.Context, id string) (Versioned[T], error) {
	return versioned[T](t.r.Get(ctx, id))
}

func (t typed[T]) Create(ctx context.Context, entity T) (Versioned[T], error) {
	return versioned[T](t.r.Create(ctx, entity))
}

func (t typed[T]) Update(ctx context.Context, id string, patch Patch, expect Version) (Versioned[T], error) {
	return versioned[T](t.r.Update(ctx, id, patch, expect))
}

func (t typed[T]) Delete(ctx context.Context, id string, expect Version) error {
	return t.r.Delete(ctx, id, expect)
}

func (t typed[T]) List(ctx context.Context, req PageRequest) (Page[T], error) {
	page, err := t.r.List(ctx, req)
	if err != nil {
		return Page[T]{}, err
	}
	return pageOf[T](page), nil
}

func versioned[T Entity](v Versioned[Entity], err error) (Versioned[T], error) {
	if err != nil {
		return Versioned[T]{}, err
	}
	return Versioned[T]{Entity: v.Entity.(T), Version: v.Version, Revision: v.Revision}, nil
}

func pageOf[T Entity](p Page[Entity]) Page[T] {
	out := Page[T]{Items: make([]T, len(p.Items)), Next: p.Next}
	for i, e := range p.Items {
		out.Items[i] = e.(T)
	}
	return out
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
	// Revision counts the derived writes (Patch.Derived) the entity has
	// had, which leave Version alone: an entity tag covers both.
	Revision int64
}

// Patch is a partial update: attributes to set and attributes to remove,
// named as the entity stores them (its dynamodbav tags). Adapters apply it in
// one atomic write, so concurrent patches of different fields never undo
// each other.
type Patch struct {
	Set    map[string]any
	Remove []string
	// Add adds to number attributes atomically, from zero when the
	// attribute is absent: counters that concurrent writes never lose.
	Add map[string]int64
	// Derived marks a write of fields the service derives from other
	// entities' events (kit:"server" fields a consumer maintains, such as
	// a product's review summary). It leaves the version alone, so it
	// never makes a client's If-Match fail; it raises no event, since it
	// only follows events already raised; and it counts a revision, which
	// the entity tag carries, so that a cached copy is refreshed.
	Derived bool
}

// PageRequest asks for one page of a listing.
type PageRequest struct {
	// Size is the most entities to return; adapters reject values below 1.
	Size int
	// Token continues a listing where a previous page ended; empty starts it.
	Token string
	// Where, when not empty, lists by a declared pattern (kit.Index)
	// instead of by id: the values its By fields must hold, every one of
	// them. One unique field (kit:"unique") and its value find the one
	// entity that holds it, or none. Anything else is ErrInvalid.
	Where map[string]string
}

// Page is one page of a listing. Next is empty on the last page.
type Page[T any] struct {
	Items []T
	Next  string
}

// Repository is the storage port for one entity type. Every method is a
// single atomic operation on the store.
//
// A kind's Access is kept in the same atomic write: its patterns' keys, its
// unique fields' claims (a value another entity holds is an *Error of kind
// ErrConflict naming the field; a value changed, cleared or deleted is
// released), and its owner: an Update or Delete of an owned entity applies
// only for the verified caller in the context's RequestInfo who owns it,
// and is ErrForbidden for anyone else or for no caller at all. A derived
// write (Patch.Derived) and the sweep of a deleted parent's collection are
// the service's own, and are not guarded.
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
	// List returns one page of entities of this kind in id order, or in
	// the order of the pattern PageRequest.Where selects. A token that
	// this repository did not issue for the same listing and values is
	// ErrInvalid.
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
