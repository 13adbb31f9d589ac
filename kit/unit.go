package kit

import (
	"context"
	"errors"
	"fmt"
	"reflect"
)

// MaxUnit is the most items one unit of work may touch: DynamoDB's limit on
// a transaction. Every staged operation counts one, and so does each event
// a unit raises or a delete records, a child's check that its parent exists
// (unless the unit writes the parent itself) and an Idempotency-Key's
// record.
const MaxUnit = 100

// ErrUnitTooLarge is a unit of work over MaxUnit items. Commit returns it
// before writing anything.
var ErrUnitTooLarge = errors.New("unit of work over the transaction limit")

// Unit is a unit of work: writes to entities of any declared kinds,
// condition checks and custom events, staged in any order and committed
// together in one atomic transaction, or not at all. Every write raises its
// entity's event as a repository write does, and the events a handler
// raises commit with the writes.
//
// A unit is used once, by one goroutine. Staging never fails: a mistake (an
// entity of the wrong shape, two operations on one item) is reported by
// Commit, before anything is written.
type Unit interface {
	// Create stages a new entity at version 1; parent is its parent's id
	// for a kit.Child, else "". The commit fails with ErrConflict if it
	// exists.
	Create(entity Entity, parent string)
	// Update stages a patch of the entity of prototype's kind with id, at
	// version expect (AnyVersion: whatever is stored). Patch.Add adds to
	// counters atomically.
	Update(prototype Entity, parent, id string, patch Patch, expect Version)
	// Delete stages the removal of an entity (and, for an entity that is
	// not a child, of its collection, swept once the unit commits).
	Delete(prototype Entity, parent, id string, expect Version)
	// Check stages a condition: the entity exists, at version expect unless
	// that is AnyVersion. Nothing is written for it.
	Check(prototype Entity, parent, id string, expect Version)
	// Raise stages a custom event: a struct, named after its Go type,
	// declared in the service's event catalog. Its payload is its JSON.
	Raise(event any)
	// Commit writes everything staged, atomically. A failed condition is a
	// *UnitError naming the operation, matching ErrNotFound (the entity or
	// a child's parent is missing), ErrPreconditionFailed (another
	// version) or ErrConflict (a create of an existing id).
	Commit(ctx context.Context) error
}

// UnitError is a unit of work refused because one staged operation's
// condition failed. Nothing of the unit was written.
type UnitError struct {
	// Index is the operation's place in staging order, counting Create,
	// Update, Delete and Check calls from 0.
	Index int
	// Op names the operation and the entity, for the log.
	Op  string
	Err error
}

// Error names the operation that failed.
func (e *UnitError) Error() string {
	return fmt.Sprintf("unit of work: operation %d (%s): %v", e.Index, e.Op, e.Err)
}

// Unwrap makes errors.Is see the kind of failure.
func (e *UnitError) Unwrap() error { return e.Err }

// FailedAt returns why the unit's operation at index (in staging order, as
// UnitError counts) failed, when err is a *UnitError naming it, and nil
// otherwise. It tells "this create found its id taken" apart from every
// other conflict a commit can meet, such as an Idempotency-Key in flight:
//
//	if errors.Is(kit.FailedAt(err, 0), kit.ErrConflict) { return errVoted }
func FailedAt(err error, index int) error {
	var ue *UnitError
	if errors.As(err, &ue) && ue.Index == index {
		return ue.Err
	}
	return nil
}

// Staged is one operation a unit holds, as adapters read it.
type Staged struct {
	Op        StagedOp
	Prototype Entity // the entity itself, for OpCreate
	Parent    string
	ID        string
	Patch     Patch
	Expect    Version
}

// StagedOp is the kind of a staged operation.
type StagedOp int

// The staged operations.
const (
	OpCreate StagedOp = iota + 1
	OpUpdate
	OpDelete
	OpCheck
)

// String names the operation.
func (o StagedOp) String() string {
	return [...]string{"", "create", "update", "delete", "check"}[o]
}

// Staging records what a unit stages; adapters embed it and implement
// Commit over Ops and Events.
type Staging struct {
	Ops    []Staged
	Events []any
}

// Create implements Unit.
func (s *Staging) Create(entity Entity, parent string) {
	s.Ops = append(s.Ops, Staged{Op: OpCreate, Prototype: entity, Parent: parent, ID: entity.EntityID()})
}

// Update implements Unit.
func (s *Staging) Update(prototype Entity, parent, id string, patch Patch, expect Version) {
	s.Ops = append(s.Ops, Staged{Op: OpUpdate, Prototype: prototype, Parent: parent, ID: id, Patch: patch, Expect: expect})
}

// Delete implements Unit.
func (s *Staging) Delete(prototype Entity, parent, id string, expect Version) {
	s.Ops = append(s.Ops, Staged{Op: OpDelete, Prototype: prototype, Parent: parent, ID: id, Expect: expect})
}

// Check implements Unit.
func (s *Staging) Check(prototype Entity, parent, id string, expect Version) {
	s.Ops = append(s.Ops, Staged{Op: OpCheck, Prototype: prototype, Parent: parent, ID: id, Expect: expect})
}

// Raise implements Unit.
func (s *Staging) Raise(event any) { s.Events = append(s.Events, event) }

// Validate checks what was staged the way every adapter must, before
// writing: children name a parent and others none, custom events are named
// structs, no item is touched twice, and the whole fits in MaxUnit items
// (extra counts items the adapter adds, such as an idempotency record).
func (s *Staging) Validate(extra int) error {
	type key struct{ kind, parent, id string }
	seen := map[key]int{}
	parents := map[key]bool{}
	for i, op := range s.Ops {
		k := key{op.Prototype.EntityKind(), op.Parent, op.ID}
		c, child := op.Prototype.(Child)
		if child != (op.Parent != "") {
			return &UnitError{Index: i, Op: op.Op.String() + " " + k.kind, Err: fmt.Errorf("a child names its parent's id, and only a child: %w", ErrInvalid)}
		}
		if j, dup := seen[k]; dup {
			return fmt.Errorf("unit of work: operations %d and %d both touch %s %s", j, i, k.kind, op.ID)
		}
		seen[k] = i
		if child {
			parents[key{c.ParentKind(), "", op.Parent}] = true
		}
	}
	n := extra + len(s.Events)
	for _, op := range s.Ops {
		n++
		if op.Op == OpDelete {
			n++ // the outbox item that records its event
		}
	}
	for p := range parents {
		if _, written := seen[p]; !written {
			n++
		}
	}
	for _, ev := range s.Events {
		if t := reflect.TypeOf(ev); t == nil || t.Kind() != reflect.Struct || t.Name() == "" {
			return fmt.Errorf("unit of work: an event is a named struct, not %v", t)
		}
	}
	if n > MaxUnit {
		return fmt.Errorf("%w: %d items, the most is %d", ErrUnitTooLarge, n, MaxUnit)
	}
	return nil
}
