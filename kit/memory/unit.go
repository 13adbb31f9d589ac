package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/idempotency"
)

// Begin implements kit.Storage: a unit of work applied under the store's
// lock, every operation or none, with the same checks, limits and events
// as the DynamoDB adapter's transaction.
func (s *Storage) Begin() kit.Unit { return &unit{s: s} }

type unit struct {
	kit.Staging
	s *Storage
}

// undo is what a unit changed, to put back if a later operation fails.
type undo struct {
	pk, sk  string
	rec     record
	existed bool
}

// Commit implements kit.Unit.
func (u *unit) Commit(ctx context.Context) error {
	claim := idempotency.ClaimFrom(ctx)
	extra := 0
	if claim != nil {
		extra = 1
	}
	if err := u.Validate(extra); err != nil {
		return err
	}
	d := u.s.data
	d.mu.Lock()
	defer d.mu.Unlock()
	mark := len(d.changes)
	var undos []undo
	rollback := func(err error) error {
		for i := len(undos) - 1; i >= 0; i-- {
			x := undos[i]
			if x.existed {
				d.parts[x.pk][x.sk] = x.rec
			} else {
				delete(d.parts[x.pk], x.sk)
			}
		}
		d.changes = d.changes[:mark]
		return err
	}
	// As in a transaction, staging order does not matter: a child whose
	// parent the unit stages too leaves the parent to that operation's own
	// condition (its create, or its update, delete or check at the store
	// as the unit found it), not to a check that an earlier operation of
	// the unit could change.
	staged := map[string]bool{}
	for _, op := range u.Ops {
		staged[op.Prototype.EntityKind()+"|"+op.Parent+"|"+op.ID] = true
	}
	releasing, err := u.releasing()
	if err != nil {
		return rollback(err)
	}
	var swept []string
	for i, op := range u.Ops {
		r := u.s.Open(op.Prototype, op.Parent).(*repository)
		r.releasing = releasing
		if r.accessErr != nil {
			return rollback(r.accessErr)
		}
		r.parentInUnit = r.child() && staged[r.parentKind+"||"+r.parent]
		pk, sk := r.key(op.ID)
		before, existed := d.parts[pk][sk]
		fail := func(err error) error {
			return rollback(&kit.UnitError{Index: i, Op: op.Op.String() + " " + r.kind + " " + op.ID, Err: err})
		}
		switch op.Op {
		case kit.OpCreate:
			if t := reflect.TypeOf(op.Prototype); t != r.typ {
				return rollback(fmt.Errorf("memory: %s given a %s", r.typ, t))
			}
			if err := r.parentExists(); err != nil {
				return fail(err)
			}
			if existed {
				return fail(fmt.Errorf("exists: %w", kit.ErrConflict))
			}
			item, err := dynamo.EncodeEntity(op.Prototype)
			if err != nil {
				return rollback(fmt.Errorf("encode %s: %w", r.kind, err))
			}
			values := dynamo.UniqueValues(r.access, item)
			if err := r.checkValues(op.ID, nil, values); err != nil {
				return fail(err)
			}
			rec := r.newRecord(op.ID, item)
			_, rec.evt = u.s.stamps.Stamp(ctx)
			r.put(op.ID, rec)
			d.changes = append(d.changes, dynamo.Change{Op: dynamo.ChangeInsert, New: r.image(op.ID, rec)})
			undos = append(undos, r.applyValues(op.ID, nil, values)...)
		case kit.OpUpdate:
			caller, err := r.guard(ctx, op.Patch.Derived)
			if err != nil {
				return fail(err)
			}
			rec, err := r.writable(op.ID, op.Expect, caller)
			if err != nil {
				return fail(err)
			}
			set, err := dynamo.EncodeSet(op.Patch)
			if err != nil {
				return rollback(err)
			}
			next, err := r.patched(ctx, op.ID, rec, set, op.Patch)
			if err != nil {
				return rollback(err)
			}
			old, values := dynamo.UniqueValues(r.access, rec.item), dynamo.UniqueValues(r.access, next.item)
			if err := r.checkValues(op.ID, old, values); err != nil {
				return fail(err)
			}
			r.commitUpdate(op.ID, rec, next)
			undos = append(undos, r.applyValues(op.ID, old, values)...)
		case kit.OpCheck:
			if _, err := r.writable(op.ID, op.Expect, ""); err != nil {
				return fail(err)
			}
			continue
		case kit.OpDelete:
			caller, err := r.guard(ctx, false)
			if err != nil {
				return fail(err)
			}
			rec, err := r.writable(op.ID, op.Expect, caller)
			if err != nil {
				return fail(err)
			}
			cause, err := u.s.deleted(ctx, pk, sk, rec)
			if err != nil {
				return rollback(err)
			}
			delete(d.parts[pk], sk)
			undos = append(undos, r.applyValues(op.ID, dynamo.UniqueValues(r.access, rec.item), nil)...)
			if !r.child() {
				swept = append(swept, pk, cause)
			}
		}
		undos = append(undos, undo{pk: pk, sk: sk, rec: before, existed: existed})
	}
	for _, ev := range u.Events {
		payload, err := json.Marshal(ev)
		if err != nil {
			return rollback(fmt.Errorf("encode event %T: %w", ev, err))
		}
		meta := u.s.stamps.Raised(ctx, reflect.TypeOf(ev).Name())
		box, err := dynamo.Outbox(dynamo.Layout(), u.s.stamps.Clock.Now(), meta, nil, payload)
		if err != nil {
			return rollback(err)
		}
		d.changes = append(d.changes, dynamo.Change{Op: dynamo.ChangeInsert, New: box})
	}
	if claim != nil {
		d.idem.mu.Lock()
		err := d.idem.putLocked(claim.Record, claim.Now)
		d.idem.mu.Unlock()
		if err != nil {
			return rollback(fmt.Errorf("unit of work: %w", err))
		}
		claim.MarkWritten()
	}
	for i := 0; i < len(swept); i += 2 {
		if err := u.s.sweep(event.WithCause(ctx, swept[i+1]), swept[i]); err != nil {
			return err
		}
	}
	return nil
}

// releasing lists the uniqueness items (by partition key) whose values the
// unit's updates and deletes give up, so that another of its operations
// may claim them whatever the order they were staged in, as the DynamoDB
// adapter's transaction hands a value over. The lock must be held.
func (u *unit) releasing() (map[string]bool, error) {
	out := map[string]bool{}
	for _, op := range u.Ops {
		if op.Op != kit.OpUpdate && op.Op != kit.OpDelete {
			continue
		}
		r := u.s.Open(op.Prototype, op.Parent).(*repository)
		if len(r.access.Unique) == 0 {
			continue
		}
		pk, sk := r.key(op.ID)
		rec, ok := u.s.data.parts[pk][sk]
		if !ok {
			continue
		}
		next := map[string]string{}
		if op.Op == kit.OpUpdate {
			set, err := dynamo.EncodeSet(op.Patch)
			if err != nil {
				return nil, err
			}
			item := maps.Clone(rec.item)
			maps.Copy(item, set)
			for _, name := range op.Patch.Remove {
				delete(item, name)
			}
			next = dynamo.UniqueValues(r.access, item)
		}
		for f, v := range dynamo.UniqueValues(r.access, rec.item) {
			if next[f] != v {
				key, _ := uniqueKey(r.kind, f, v)
				out[key] = true
			}
		}
	}
	return out, nil
}
