package event

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/lambdakit/lambdakit/kit"
)

// The three things that happen to every declared entity; an event's name
// is the entity's Go type name followed by one of them.
const (
	Created = "Created"
	Updated = "Updated"
	Deleted = "Deleted"
)

// Entity is what the catalog knows of one declared entity type: enough to
// turn a stored item into the payload the API would show.
type Entity struct {
	// Kind is the entity's kit.Entity kind; ParentKind its parent's, for a
	// kit.Child.
	Kind, ParentKind string
	// Type is the entity's Go type; its name names the entity's events.
	Type reflect.Type
	// View renders an entity of Type as the API shows it.
	View func(kit.Entity) (json.RawMessage, error)
}

// Name is the name of the entity's event for what happened (Created,
// Updated or Deleted).
func (e Entity) Name(what string) string { return e.Type.Name() + what }

// Catalog lists every event a service raises: three per declared entity
// and the custom ones its handlers declare. The AsyncAPI document is
// generated from it, and it routes events to typed consumers.
type Catalog struct {
	kinds    []string
	entities map[string]Entity
	custom   map[string]reflect.Type
	customs  []string
	handlers map[string][]func(context.Context, Event) error
}

// NewCatalog returns an empty catalog.
func NewCatalog() *Catalog {
	return &Catalog{entities: map[string]Entity{}, custom: map[string]reflect.Type{},
		handlers: map[string][]func(context.Context, Event) error{}}
}

// AddEntity declares an entity's three events.
func (c *Catalog) AddEntity(e Entity) error {
	if _, dup := c.entities[e.Kind]; dup {
		return fmt.Errorf("event: %s is declared already", e.Kind)
	}
	for _, what := range []string{Created, Updated, Deleted} {
		if err := c.claim(e.Name(what)); err != nil {
			return err
		}
	}
	c.entities[e.Kind] = e
	c.kinds = append(c.kinds, e.Kind)
	return nil
}

// claim refuses a second event of the same name: consumers and the
// document tell events apart by name alone.
func (c *Catalog) claim(name string) error {
	if _, ok := c.custom[name]; ok {
		return fmt.Errorf("event: two events are named %s", name)
	}
	for _, e := range c.entities {
		for _, what := range []string{Created, Updated, Deleted} {
			if e.Name(what) == name {
				return fmt.Errorf("event: two events are named %s", name)
			}
		}
	}
	return nil
}

// Declare declares E, a struct, as a custom event named after its Go type:
// a handler raises it through a unit of work, and it is delivered like the
// built-in events, its payload E's JSON.
func Declare[E any](c *Catalog) error {
	t := reflect.TypeFor[E]()
	if t.Kind() != reflect.Struct || t.Name() == "" {
		return fmt.Errorf("event: a custom event is a named struct, not %s", t)
	}
	if err := c.claim(t.Name()); err != nil {
		return err
	}
	c.custom[t.Name()] = t
	c.customs = append(c.customs, t.Name())
	return nil
}

// Entity returns the declared entity of kind.
func (c *Catalog) Entity(kind string) (Entity, bool) {
	e, ok := c.entities[kind]
	return e, ok
}

// Entities returns the declared entities in declaration order.
func (c *Catalog) Entities() []Entity {
	out := make([]Entity, len(c.kinds))
	for i, k := range c.kinds {
		out[i] = c.entities[k]
	}
	return out
}

// Custom returns the Go type of the custom event name.
func (c *Catalog) Custom(name string) (reflect.Type, bool) {
	t, ok := c.custom[name]
	return t, ok
}

// Customs returns the custom events' types in declaration order.
func (c *Catalog) Customs() []reflect.Type {
	out := make([]reflect.Type, len(c.customs))
	for i, n := range c.customs {
		out[i] = c.custom[n]
	}
	return out
}

// Declared reports whether name is an event of the catalog.
func (c *Catalog) Declared(name string) bool {
	if _, ok := c.custom[name]; ok {
		return true
	}
	return c.claim(name) != nil
}

// Typed is an event type a consumer can take: Of[T] for an entity's events
// and Raised[E] for a custom one. Its methods work on the zero value.
type Typed interface {
	// EventNames lists the events the type stands for.
	EventNames(c *Catalog) ([]string, error)
	// decode builds the typed event from its wire form.
	decode(ev Event) (any, error)
}

// Of is one of an entity's events, as a consumer receives it: its
// metadata (Name tells created, updated and deleted apart) and the
// entity, as it is after the write (before it, for a delete).
type Of[T kit.Entity] struct {
	Metadata
	Entity T
}

// EventNames implements Typed: T's three events.
func (Of[T]) EventNames(c *Catalog) ([]string, error) {
	var zero T
	e, ok := c.entities[zero.EntityKind()]
	if !ok || e.Type != reflect.TypeFor[T]() {
		return nil, fmt.Errorf("event: %s is not a declared entity", reflect.TypeFor[T]())
	}
	return []string{e.Name(Created), e.Name(Updated), e.Name(Deleted)}, nil
}

func (Of[T]) decode(ev Event) (any, error) {
	out := Of[T]{Metadata: ev.Metadata}
	if err := json.Unmarshal(ev.Payload, &out.Entity); err != nil {
		return nil, fmt.Errorf("event %s %s: decode payload: %w", ev.Metadata.Name, ev.Metadata.ID, err)
	}
	return out, nil
}

// What returns Created, Updated or Deleted.
func (o Of[T]) What() string {
	for _, what := range []string{Created, Updated, Deleted} {
		if len(o.Name) > len(what) && o.Name[len(o.Name)-len(what):] == what {
			return what
		}
	}
	return ""
}

// Raised is a custom event E as a consumer receives it.
type Raised[E any] struct {
	Metadata
	Event E
}

// EventNames implements Typed: E's name, once Declare declared it.
func (Raised[E]) EventNames(c *Catalog) ([]string, error) {
	t := reflect.TypeFor[E]()
	if c.custom[t.Name()] != t {
		return nil, fmt.Errorf("event: %s is not a declared custom event", t)
	}
	return []string{t.Name()}, nil
}

func (Raised[E]) decode(ev Event) (any, error) {
	out := Raised[E]{Metadata: ev.Metadata}
	if err := json.Unmarshal(ev.Payload, &out.Event); err != nil {
		return nil, fmt.Errorf("event %s %s: decode payload: %w", ev.Metadata.Name, ev.Metadata.ID, err)
	}
	return out, nil
}

// Handle registers h as a consumer of the events E stands for. Consumers
// run in the event function, after the event is published, and must be
// idempotent: delivery is at least once.
func Handle[E Typed](c *Catalog, h func(ctx context.Context, e E) error) error {
	var zero E
	names, err := zero.EventNames(c)
	if err != nil {
		return err
	}
	for _, name := range names {
		c.handlers[name] = append(c.handlers[name], func(ctx context.Context, ev Event) error {
			typed, err := zero.decode(ev)
			if err != nil {
				return err
			}
			return h(WithCause(ctx, ev.Metadata.ID), typed.(E))
		})
	}
	return nil
}

// Consumed reports whether any consumer takes the event name.
func (c *Catalog) Consumed(name string) bool { return len(c.handlers[name]) > 0 }

// Dispatch runs every consumer of ev, in registration order, with ctx
// naming ev as the cause of what they write.
func (c *Catalog) Dispatch(ctx context.Context, ev Event) error {
	var errs []error
	for _, h := range c.handlers[ev.Metadata.Name] {
		if err := h(ctx, ev); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Names lists every event name, entities' first.
func (c *Catalog) Names() []string {
	var out []string
	for _, e := range c.Entities() {
		out = append(out, e.Name(Created), e.Name(Updated), e.Name(Deleted))
	}
	return append(out, slices.Clone(c.customs)...)
}
