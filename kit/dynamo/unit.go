package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/idempotency"
)

// Begin implements kit.Storage: a unit of work committed as one
// TransactWriteItems. A request's Idempotency-Key claim, when there is
// one, commits in the same transaction.
func (s *Storage) Begin() kit.Unit { return &unit{s: s} }

type unit struct {
	kit.Staging
	s *Storage
}

// Who a transaction item belongs to, besides a staged operation.
const (
	ownerParent = -1 // a child's parent check; see parentOf
	ownerClaim  = -2
	ownerEvent  = -3
)

// txItem is a transaction item and what it stands for.
type txItem struct {
	write types.TransactWriteItem
	owner int // the staged operation's index, or an owner constant
	child int // for a parent check: the first staged child that needs it
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
	for attempt := 0; ; attempt++ {
		items, deleted, err := u.build(ctx, claim)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil // DynamoDB refuses a transaction of no items
		}
		writes := make([]types.TransactWriteItem, len(items))
		for i, it := range items {
			writes[i] = it.write
		}
		r := &repository{table: u.s.table}
		failed, err := r.transact(ctx, "commit unit of work", writes)
		if err == nil {
			if claim != nil {
				claim.MarkWritten()
			}
			return u.sweep(ctx, deleted)
		}
		if claim != nil && conflictAt(err, len(items)-1) && items[len(items)-1].owner == ownerClaim {
			return fmt.Errorf("unit of work: %w", idempotency.ErrKeyInUse)
		}
		if failed < 0 {
			return err
		}
		it := items[failed]
		switch {
		case it.owner == ownerClaim:
			return fmt.Errorf("unit of work: %w", idempotency.ErrKeyInUse)
		case it.owner == ownerParent:
			op := u.Ops[it.child]
			return &kit.UnitError{Index: it.child, Op: describe(op), Err: fmt.Errorf("parent %s: %w", op.Parent, kit.ErrNotFound)}
		case it.owner < 0:
			return err
		}
		op := u.Ops[it.owner]
		switch op.Op {
		case kit.OpCreate:
			return &kit.UnitError{Index: it.owner, Op: describe(op), Err: fmt.Errorf("exists: %w", kit.ErrConflict)}
		case kit.OpDelete:
			if attempt < 3 {
				continue // changed or gone since it was read
			}
			return fmt.Errorf("unit of work: %w: %s kept changing", kit.ErrUnavailable, describe(op))
		}
		if errorItem(err, failed) == nil {
			return &kit.UnitError{Index: it.owner, Op: describe(op), Err: kit.ErrNotFound}
		}
		return &kit.UnitError{Index: it.owner, Op: describe(op), Err: kit.ErrPreconditionFailed}
	}
}

func describe(op kit.Staged) string {
	return op.Op.String() + " " + op.Prototype.EntityKind() + " " + op.ID
}

// deletion is a staged delete of an entity that is not a child: its
// collection is swept after the commit.
type deletion struct {
	pk, cause string
}

// build turns the staged operations into transaction items. Deletes read
// their entity first, for its event's payload.
func (u *unit) build(ctx context.Context, claim *idempotency.Claim) ([]txItem, []deletion, error) {
	var items []txItem
	var deleted []deletion
	touched := map[string]bool{}
	for _, op := range u.Ops {
		r := u.s.Open(op.Prototype, op.Parent).(*repository)
		touched[r.kind+"|"+op.Parent+"|"+op.ID] = true
	}
	parents := map[string]bool{}
	for i, op := range u.Ops {
		r := u.s.Open(op.Prototype, op.Parent).(*repository)
		if r.child() {
			pk := r.parentKind + "||" + r.parent
			if !touched[pk] && !parents[pk] {
				parents[pk] = true
				check, err := r.parentCheck()
				if err != nil {
					return nil, nil, err
				}
				items = append(items, txItem{write: types.TransactWriteItem{ConditionCheck: check}, owner: ownerParent, child: i})
			}
		}
		switch op.Op {
		case kit.OpCreate:
			item, err := r.encode(op.Prototype, 1)
			if err != nil {
				return nil, nil, err
			}
			_, item[AttrEvent] = r.stamps.Stamp(ctx)
			put, err := conditionalPut(r.table, item, expression.AttributeNotExists(expression.Name(r.table.Schema.Keys.PartitionKey)))
			if err != nil {
				return nil, nil, err
			}
			items = append(items, txItem{write: types.TransactWriteItem{Put: put}, owner: i})
		case kit.OpUpdate:
			update, err := r.update(ctx, op.ID, op.Patch, op.Expect)
			if err != nil {
				return nil, nil, err
			}
			items = append(items, txItem{write: types.TransactWriteItem{Update: update}, owner: i})
		case kit.OpCheck:
			expr, err := expression.NewBuilder().WithCondition(r.writeCondition(op.Expect)).Build()
			if err != nil {
				return nil, nil, fmt.Errorf("build check: %w", err)
			}
			items = append(items, txItem{write: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: aws.String(r.table.Name), Key: r.key(op.ID),
				ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}}, owner: i})
		case kit.OpDelete:
			item, err := r.readItem(ctx, "delete", op.ID)
			if err != nil {
				if errors.Is(err, kit.ErrNotFound) {
					return nil, nil, &kit.UnitError{Index: i, Op: describe(op), Err: err}
				}
				return nil, nil, err
			}
			version, err := versionOf(item)
			if err != nil {
				return nil, nil, err
			}
			if op.Expect != kit.AnyVersion && op.Expect != version {
				return nil, nil, &kit.UnitError{Index: i, Op: describe(op), Err: kit.ErrPreconditionFailed}
			}
			del, err := versionedDelete(r.table, r.key(op.ID), version)
			if err != nil {
				return nil, nil, err
			}
			meta := r.stamps.Deleted(ctx, version)
			box, err := Outbox(r.table.Schema, r.stamps.Clock.Now(), meta, item, nil)
			if err != nil {
				return nil, nil, err
			}
			items = append(items, txItem{write: types.TransactWriteItem{Delete: del}, owner: i},
				txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: aws.String(r.table.Name), Item: box}}, owner: ownerEvent})
			if !r.child() {
				deleted = append(deleted, deletion{pk: r.kind + "#" + op.ID, cause: meta.ID})
			}
		}
	}
	for _, ev := range u.Events {
		payload, err := json.Marshal(ev)
		if err != nil {
			return nil, nil, fmt.Errorf("encode event %T: %w", ev, err)
		}
		meta := u.s.stamps.Raised(ctx, reflect.TypeOf(ev).Name())
		box, err := Outbox(u.s.table.Schema, u.s.stamps.Clock.Now(), meta, nil, payload)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, txItem{write: types.TransactWriteItem{Put: &types.Put{TableName: aws.String(u.s.table.Name), Item: box}}, owner: ownerEvent})
	}
	if claim != nil {
		record, err := NewIdempotency(u.s.table).put(claim.Record, claim.Now)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, txItem{write: types.TransactWriteItem{Put: record}, owner: ownerClaim})
	}
	return items, deleted, nil
}

// sweep removes the collections of the entities the unit deleted.
func (u *unit) sweep(ctx context.Context, deleted []deletion) error {
	for _, d := range deleted {
		if err := sweep(event.WithCause(ctx, d.cause), u.s.table, u.s.stamps, d.pk, ""); err != nil {
			return err
		}
	}
	return nil
}
