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
	w     write
	owner int // the staged operation's index, or an owner constant
	child int // for a parent check: the first staged child that needs it
	// read marks an update conditioned on the version it read, which fails
	// when the item changed since; caller is the owner a guarded write
	// required.
	read   bool
	caller string
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
		tx, deleted, err := u.build(ctx, claim)
		if err != nil {
			return err
		}
		if tx, err = handOver(u.s.table, tx); err != nil {
			return err
		}
		if len(tx) == 0 {
			return nil // DynamoDB refuses a transaction of no items
		}
		if len(tx) > kit.MaxUnit {
			// Unique values add items Validate could not count.
			return fmt.Errorf("%w: %d items, the most is %d", kit.ErrUnitTooLarge, len(tx), kit.MaxUnit)
		}
		writes := make([]types.TransactWriteItem, len(tx))
		for i, it := range tx {
			writes[i] = it.w.item
		}
		r := &repository{table: u.s.table}
		failed, err := r.transact(ctx, "commit unit of work", writes)
		if err == nil {
			if claim != nil {
				claim.MarkWritten()
			}
			return u.sweep(ctx, deleted)
		}
		if claim != nil && conflictAt(err, len(tx)-1) && tx[len(tx)-1].owner == ownerClaim {
			return fmt.Errorf("unit of work: %w", idempotency.ErrKeyInUse)
		}
		if failed < 0 {
			return err
		}
		it := tx[failed]
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
		r = u.s.Open(op.Prototype, op.Parent).(*repository)
		retry := false
		switch {
		case it.w.role == roleClaimValue:
			return &kit.UnitError{Index: it.owner, Op: describe(op), Err: r.taken(it.w.field)}
		case it.w.role != roleEntity:
			retry = true // a release of a value whose holder changed since it was read
		case op.Op == kit.OpCreate:
			return &kit.UnitError{Index: it.owner, Op: describe(op), Err: fmt.Errorf("exists: %w", kit.ErrConflict)}
		case op.Op == kit.OpDelete || it.read:
			retry = true // changed or gone since it was read
		}
		if !retry {
			return &kit.UnitError{Index: it.owner, Op: describe(op), Err: r.failure(op.Op.String(), op.ID, errorItem(err, failed), it.caller)}
		}
		if attempt == 3 {
			return fmt.Errorf("unit of work: %w: %s kept changing", kit.ErrUnavailable, describe(op))
		}
	}
}

// isRefusal reports whether err refuses one operation for what the store
// holds (missing, another version, another owner), rather than failing.
func isRefusal(err error) bool {
	return errors.Is(err, kit.ErrNotFound) || errors.Is(err, kit.ErrPreconditionFailed) || errors.Is(err, kit.ErrForbidden)
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
		if r.accessErr != nil {
			return nil, nil, r.accessErr
		}
		if r.child() {
			pk := r.parentKind + "||" + r.parent
			if !touched[pk] && !parents[pk] {
				parents[pk] = true
				check, err := r.parentCheck()
				if err != nil {
					return nil, nil, err
				}
				items = append(items, txItem{w: write{item: types.TransactWriteItem{ConditionCheck: check}, role: roleParent}, owner: ownerParent, child: i})
			}
		}
		var ws []write
		var err error
		it := txItem{owner: i}
		switch op.Op {
		case kit.OpCreate:
			ws, err = r.createWrites(ctx, op.Prototype)
		case kit.OpUpdate:
			ws, it.read, it.caller, err = r.updateWrites(ctx, op.ID, op.Patch, op.Expect)
		case kit.OpCheck:
			var expr expression.Expression
			expr, err = expression.NewBuilder().WithCondition(r.writeCondition(op.Expect)).Build()
			ws = []write{{item: types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
				TableName: aws.String(r.table.Name), Key: r.key(op.ID),
				ConditionExpression: expr.Condition(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
			}}}}
		case kit.OpDelete:
			var meta event.Metadata
			ws, meta, err = r.deleteWrites(ctx, op.ID, op.Expect)
			if err == nil && !r.child() {
				deleted = append(deleted, deletion{pk: r.kind + "#" + op.ID, cause: meta.ID})
			}
		}
		if err != nil {
			if isRefusal(err) {
				return nil, nil, &kit.UnitError{Index: i, Op: describe(op), Err: err}
			}
			return nil, nil, err
		}
		for _, w := range ws {
			it.w = w
			items = append(items, it)
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
		items = append(items, txItem{w: write{item: types.TransactWriteItem{Put: &types.Put{TableName: aws.String(u.s.table.Name), Item: box}}, role: roleEvent}, owner: ownerEvent})
	}
	if claim != nil {
		record, err := NewIdempotency(u.s.table).put(claim.Record, claim.Now)
		if err != nil {
			return nil, nil, err
		}
		items = append(items, txItem{w: write{item: types.TransactWriteItem{Put: record}, role: roleClaim}, owner: ownerClaim})
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
