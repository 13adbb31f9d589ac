package dynamo

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
)

// A write is what one entity operation puts in a transaction: the
// entity's own item, and whatever its kind's access adds (the claims and
// releases of unique values; a delete's outbox item). Repositories and
// units build them the same way and tell a failed condition apart by the
// item's role.
type write struct {
	item  types.TransactWriteItem
	role  role
	field string // the unique field, for roleClaimValue and roleReleaseValue
	// holder is the entity whose value a roleReleaseValue releases.
	holder string
}

type role int

const (
	roleEntity       role = iota // the entity's put, update or delete
	roleParent                   // a child's check that its parent exists
	roleClaim                    // a request's idempotency claim
	roleEvent                    // a delete's outbox item or a raised event
	roleClaimValue               // the uniqueness item of a unique field's new value
	roleReleaseValue             // the removal of an old value's uniqueness item
)

func items(ws []write) []types.TransactWriteItem {
	out := make([]types.TransactWriteItem, len(ws))
	for i, w := range ws {
		out[i] = w.item
	}
	return out
}

// guard is the caller a write of this kind must be made by (kit.Access.Guard).
func (r *repository) guard(ctx context.Context, derived bool) (string, error) {
	return r.access.Guard(ctx, r.kind, derived)
}

func (r *repository) noun() string { return strings.ToLower(r.kind) }

func (r *repository) forbidden() error { return kit.NotOwner(r.kind) }

func (r *repository) taken(field string) error { return kit.Taken(r.kind, field) }

// ownedBy reports whether a stored item may be written by caller ("" for
// an unguarded write).
func (r *repository) ownedBy(item map[string]types.AttributeValue, caller string) bool {
	return caller == "" || stringAttr(item, r.access.Owner) == caller
}

// failure explains a failed condition on the entity's own item of an
// update, delete or check, from the item DynamoDB returned with it.
func (r *repository) failure(op, id string, old map[string]types.AttributeValue, caller string) error {
	switch {
	case old == nil:
		return fmt.Errorf("%s %s %s: %w", op, r.kind, id, kit.ErrNotFound)
	case !r.ownedBy(old, caller):
		return r.forbidden()
	}
	return fmt.Errorf("%s %s %s: %w", op, r.kind, id, kit.ErrPreconditionFailed)
}

// createWrites is a new entity's put, with the claims of its unique values.
func (r *repository) createWrites(ctx context.Context, entity kit.Entity) ([]write, error) {
	item, err := r.encode(entity, 1)
	if err != nil {
		return nil, err
	}
	_, item[AttrEvent] = r.stamps.Stamp(ctx)
	put, err := conditionalPut(r.table, item, expression.AttributeNotExists(expression.Name(r.table.Schema.Keys.PartitionKey)))
	if err != nil {
		return nil, err
	}
	ws := []write{{item: types.TransactWriteItem{Put: put}}}
	return r.valueWrites(ws, entity.EntityID(), nil, UniqueValues(r.access, item))
}

// valueWrites adds to ws the releases of the unique values in old that
// are not in next, and the claims of those in next that are not in old.
func (r *repository) valueWrites(ws []write, id string, old, next map[string]string) ([]write, error) {
	for _, f := range r.access.Unique {
		before, after := old[f], next[f]
		if before == after {
			continue
		}
		if before != "" {
			// Released only by its holder; a value no item claims (written
			// before the field was unique, and not backfilled) is no
			// obstacle.
			cond := expression.AttributeNotExists(expression.Name(r.table.Schema.Keys.PartitionKey)).
				Or(expression.Name(AttrHolder).Equal(expression.Value(id)))
			expr, err := expression.NewBuilder().WithCondition(cond).Build()
			if err != nil {
				return nil, fmt.Errorf("build release: %w", err)
			}
			ws = append(ws, write{role: roleReleaseValue, field: f, holder: id, item: types.TransactWriteItem{Delete: &types.Delete{
				TableName: aws.String(r.table.Name), Key: r.table.Schema.UniqueKey(r.kind, f, before),
				ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			}}})
		}
		if after != "" {
			put, err := conditionalPut(r.table, r.table.Schema.UniqueItem(r.kind, f, after, id),
				expression.AttributeNotExists(expression.Name(r.table.Schema.Keys.PartitionKey)))
			if err != nil {
				return nil, err
			}
			ws = append(ws, write{role: roleClaimValue, field: f, item: types.TransactWriteItem{Put: put}})
		}
	}
	return ws, nil
}

// needsRead reports whether a patch's write depends on what is stored: it
// changes a unique field, whose old value must be released, or part of a
// pattern's key whose other parts only the item knows.
func (r *repository) needsRead(patch kit.Patch) bool {
	for _, f := range r.access.Unique {
		if _, set := patch.Set[f]; set || containsString(patch.Remove, f) {
			return true
		}
	}
	for _, ix := range r.access.Indexes {
		if knows, touches := patchKnows(ix, patch); touches && !knows {
			return true
		}
	}
	return false
}

// updateWrites is a patch's update of id with the writes its kind's access
// adds. When the patch needs the stored item (needsRead), it reads it and
// conditions the update on the version read: read reports that, and a
// failure of the entity's write then means the item changed since, to be
// read again. Otherwise the update's own condition checks the item and
// its owner.
func (r *repository) updateWrites(ctx context.Context, id string, patch kit.Patch, expect kit.Version) (ws []write, read bool, caller string, err error) {
	if caller, err = r.guard(ctx, patch.Derived); err != nil {
		return nil, false, "", err
	}
	set, err := EncodeSet(patch)
	if err != nil {
		return nil, false, "", err
	}
	if !r.needsRead(patch) {
		keys, drop := r.patchKeys(id, set, patch)
		update, err := r.update(ctx, id, patch, expect, updateExtra{caller: caller, keys: keys, drop: drop})
		if err != nil {
			return nil, false, "", err
		}
		return []write{{item: types.TransactWriteItem{Update: update}}}, false, caller, nil
	}
	item, err := r.readItem(ctx, "update", id)
	if err != nil {
		return nil, true, "", err
	}
	version, err := versionOf(item)
	switch {
	case err != nil:
		return nil, true, "", err
	case !r.ownedBy(item, caller):
		return nil, true, "", r.forbidden()
	case expect != kit.AnyVersion && expect != version:
		return nil, true, "", fmt.Errorf("update %s %s at version %d: %w", r.kind, id, version, kit.ErrPreconditionFailed)
	}
	next := maps.Clone(item)
	maps.Copy(next, set)
	for _, name := range patch.Remove {
		delete(next, name)
	}
	keys, drop := r.table.Schema.PatternKeys(r.access, r.kind, Position(id, r.parent), next)
	update, err := r.update(ctx, id, patch, version, updateExtra{keys: keys, drop: drop})
	if err != nil {
		return nil, true, "", err
	}
	ws = []write{{item: types.TransactWriteItem{Update: update}}}
	ws, err = r.valueWrites(ws, id, UniqueValues(r.access, item), UniqueValues(r.access, next))
	return ws, true, caller, err
}

// patchKeys are the pattern keys a patch that needs no read decides: set
// holds the patch's encoded values.
func (r *repository) patchKeys(id string, set map[string]types.AttributeValue, patch kit.Patch) (map[string]types.AttributeValue, []string) {
	var keys map[string]types.AttributeValue
	var drop []string
	for i, ix := range r.access.Indexes {
		if _, touches := patchKnows(ix, patch); !touches {
			continue
		}
		if keys == nil {
			keys = map[string]types.AttributeValue{}
		}
		drop = r.table.Schema.patternKey(r.access, i, r.kind, Position(id, r.parent), set, keys, drop)
	}
	return keys, drop
}

// deleteWrites reads the entity and builds its delete, conditioned on the
// version read, with its event's outbox item and the releases of its
// unique values. It returns the event's metadata.
func (r *repository) deleteWrites(ctx context.Context, id string, expect kit.Version) ([]write, event.Metadata, error) {
	caller, err := r.guard(ctx, false)
	if err != nil {
		return nil, event.Metadata{}, err
	}
	// The item alone, even for a child: a transaction checks the parent,
	// and a missing parent or child is a 404 either way.
	item, err := r.readItem(ctx, "delete", id)
	if err != nil {
		return nil, event.Metadata{}, err
	}
	version, err := versionOf(item)
	switch {
	case err != nil:
		return nil, event.Metadata{}, err
	case !r.ownedBy(item, caller):
		return nil, event.Metadata{}, r.forbidden()
	case expect != kit.AnyVersion && expect != version:
		return nil, event.Metadata{}, fmt.Errorf("delete %s %s at version %d: %w", r.kind, id, version, kit.ErrPreconditionFailed)
	}
	del, err := versionedDelete(r.table, r.key(id), version)
	if err != nil {
		return nil, event.Metadata{}, err
	}
	meta := r.stamps.Deleted(ctx, version)
	box, err := Outbox(r.table.Schema, r.stamps.Clock.Now(), meta, item, nil)
	if err != nil {
		return nil, event.Metadata{}, err
	}
	ws := []write{
		{item: types.TransactWriteItem{Delete: del}},
		{item: types.TransactWriteItem{Put: &types.Put{TableName: aws.String(r.table.Name), Item: box}}, role: roleEvent},
	}
	ws, err = r.valueWrites(ws, id, UniqueValues(r.access, item), nil)
	return ws, meta, err
}

// handOver merges, in a unit's writes, the release of a unique value by
// one entity and its claim by another into one put: DynamoDB refuses two
// operations on one item in a transaction, and the value passes from one
// to the other whatever order they were staged in.
func handOver(t Table, tx []txItem) ([]txItem, error) {
	released := map[string]int{}
	for i, it := range tx {
		if it.w.role == roleReleaseValue {
			released[stringAttr(it.w.item.Delete.Key, t.Schema.Keys.PartitionKey)] = i
		}
	}
	if len(released) == 0 {
		return tx, nil
	}
	drop := map[int]bool{}
	for i, it := range tx {
		if it.w.role != roleClaimValue {
			continue
		}
		j, ok := released[stringAttr(it.w.item.Put.Item, t.Schema.Keys.PartitionKey)]
		if !ok {
			continue
		}
		cond := expression.AttributeNotExists(expression.Name(t.Schema.Keys.PartitionKey)).
			Or(expression.Name(AttrHolder).Equal(expression.Value(tx[j].w.holder)))
		put, err := conditionalPut(t, it.w.item.Put.Item, cond)
		if err != nil {
			return nil, err
		}
		tx[i].w.item = types.TransactWriteItem{Put: put}
		drop[j] = true
	}
	out := tx[:0:0]
	for i, it := range tx {
		if !drop[i] {
			out = append(out, it)
		}
	}
	return out, nil
}
