package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/idempotency"
)

const waitBudget = 30 * time.Second

// API is the part of the DynamoDB client the repository calls. The SDK's
// *dynamodb.Client implements it.
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error)
}

// Table is one DynamoDB table laid out by Layout.
type Table struct {
	API    API
	Name   string
	Schema Schema
}

// Storage keeps entities of every kind in one Table. It implements
// kit.Storage.
//
// Keys: an entity is PK=KIND#id, SK=KIND, listed by kind through the
// listing index (GSI1PK=KIND, or KIND#i for shard i of a kit.Sharded kind;
// GSI1SK=id). A kit.Child lives in its parent's
// partition: PK=PARENTKIND#parentId, SK=PARENTKIND#KIND#id, so the parent's
// own item sorts first and each kind of child is one contiguous range.
type Storage struct {
	table    Table
	tokens   *cursor.Codec
	stamps   Stamps
	accesses *Accesses
}

var _ kit.Storage = (*Storage)(nil)

// Option configures a Storage.
type Option func(*Storage)

// WithEventClock sets the clock that dates the events writes raise; the
// system clock by default.
func WithEventClock(c kit.Clock) Option { return func(s *Storage) { s.stamps.Clock = c } }

// WithEventIDs sets where events' ids come from; UUIDv7s by default. Tests
// that fix entity ids give events a sequence of their own, so that the
// entities' ids stay where they were.
func WithEventIDs(ids kit.IDs) Option { return func(s *Storage) { s.stamps.IDs = ids } }

// NewStorage returns the storage of table, signing paging tokens with tokens.
func NewStorage(table Table, tokens *cursor.Codec, opts ...Option) *Storage {
	s := &Storage{table: table, tokens: tokens, stamps: Stamps{Clock: kit.SystemClock{}}, accesses: &Accesses{}}
	for _, o := range opts {
		o(s)
	}
	if s.stamps.IDs == nil {
		s.stamps.IDs = kit.UUIDv7{Clock: s.stamps.Clock}
	}
	return s
}

// NewRepository returns the repository of T, an entity that is not a
// kit.Child, in table.
func NewRepository[T kit.Entity](table Table, tokens *cursor.Codec) kit.Repository[T] {
	return kit.RepositoryOf[T](NewStorage(table, tokens), "")
}

// Open implements kit.Storage.
func (s *Storage) Open(prototype kit.Entity, parent string) kit.Repository[kit.Entity] {
	r := &repository{table: s.table, tokens: s.tokens, stamps: s.stamps, typ: reflect.TypeOf(prototype), kind: prototype.EntityKind(), shards: kit.ShardsOf(prototype)}
	r.access, r.accessErr = s.accesses.Of(prototype)
	r.accesses = s.accesses
	if c, ok := prototype.(kit.Child); ok {
		r.parentKind, r.parent = c.ParentKind(), parent
		_, r.listed = prototype.(kit.Listed)
	}
	return r
}

// repository is one kind, or one kind of child within one parent's
// collection. It implements kit.Repository of kit.Entity; kit.RepositoryOf
// narrows it to the entity type.
type repository struct {
	table      Table
	tokens     *cursor.Codec
	stamps     Stamps
	typ        reflect.Type
	kind       string
	parentKind string // "" unless the kind is a kit.Child
	parent     string // the parent's id, for a child collection
	listed     bool   // children that also go to the listing index
	shards     kit.Shards
	access     kit.Access
	accessErr  error // a declaration storage cannot keep
	accesses   *Accesses
}

func (r *repository) child() bool { return r.parentKind != "" }

// scoped refuses item calls on a child repository opened without a parent:
// a child's key needs its parent's id.
func (r *repository) scoped() error {
	if r.accessErr != nil {
		return r.accessErr
	}
	if r.child() && r.parent == "" {
		return fmt.Errorf("dynamo: %s is a child of %s: open it with the parent's id", r.kind, r.parentKind)
	}
	return nil
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func (r *repository) key(id string) map[string]types.AttributeValue {
	k := r.table.Schema.Keys
	if r.child() {
		return map[string]types.AttributeValue{k.PartitionKey: str(r.parentKind + "#" + r.parent), k.SortKey: str(r.childPrefix() + id)}
	}
	return map[string]types.AttributeValue{k.PartitionKey: str(r.kind + "#" + id), k.SortKey: str(r.kind)}
}

// childPrefix starts the sort key of every child of this kind.
func (r *repository) childPrefix() string { return r.parentKind + "#" + r.kind + "#" }

func (r *repository) parentKey() map[string]types.AttributeValue {
	k := r.table.Schema.Keys
	return map[string]types.AttributeValue{k.PartitionKey: str(r.parentKind + "#" + r.parent), k.SortKey: str(r.parentKind)}
}

// scope names the listing a token belongs to: the kind, or one parent's
// collection of it, so a token from another listing never verifies.
func (r *repository) scope() string {
	if r.child() && r.parent != "" {
		return r.kind + "@" + r.parentKind + "#" + r.parent
	}
	return r.kind
}

func (r *repository) parentMissing() error {
	return fmt.Errorf("%s %s: %w", r.parentKind, r.parent, kit.ErrNotFound)
}

// Get implements kit.Repository. A child is read together with its parent
// in one transactional read, so a child whose parent is gone is never seen.
func (r *repository) Get(ctx context.Context, id string) (kit.Versioned[kit.Entity], error) {
	if err := r.scoped(); err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	item, err := r.read(ctx, "get", id)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	return r.decode(item)
}

// readItem returns the stored item of id, strongly consistent, without a
// child's parent.
func (r *repository) readItem(ctx context.Context, op, id string) (map[string]types.AttributeValue, error) {
	out, err := r.table.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(r.table.Name), Key: r.key(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, storeError(op, err)
	}
	if out.Item == nil {
		return nil, fmt.Errorf("%s %s: %w", r.kind, id, kit.ErrNotFound)
	}
	return out.Item, nil
}

// read returns the stored item of id; a child's, with its parent checked
// in the same transactional read.
func (r *repository) read(ctx context.Context, op, id string) (map[string]types.AttributeValue, error) {
	if !r.child() {
		return r.readItem(ctx, op, id)
	}
	in := &dynamodb.TransactGetItemsInput{TransactItems: []types.TransactGetItem{
		{Get: &types.Get{TableName: aws.String(r.table.Name), Key: r.parentKey(), ProjectionExpression: aws.String("#pk"),
			ExpressionAttributeNames: map[string]string{"#pk": r.table.Schema.Keys.PartitionKey}}},
		{Get: &types.Get{TableName: aws.String(r.table.Name), Key: r.key(id)}},
	}}
	var out *dynamodb.TransactGetItemsOutput
	err := retryConflicts(ctx, func() (err error) {
		out, err = r.table.API.TransactGetItems(ctx, in)
		return err
	})
	switch {
	case err != nil:
		return nil, storeError(op, err)
	case out.Responses[0].Item == nil:
		return nil, r.parentMissing()
	case out.Responses[1].Item == nil:
		return nil, fmt.Errorf("%s %s: %w", r.kind, id, kit.ErrNotFound)
	}
	return out.Responses[1].Item, nil
}

// Create implements kit.Repository. The entity's put, the claims of its
// unique values, the check that a child's parent exists and the request's
// idempotency claim, whichever apply, commit in one transaction.
func (r *repository) Create(ctx context.Context, entity kit.Entity) (kit.Versioned[kit.Entity], error) {
	if err := r.scoped(); err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	ws, err := r.createWrites(ctx, entity)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	created := kit.Versioned[kit.Entity]{Entity: entity, Version: 1}
	claim := idempotency.ClaimFrom(ctx)
	if !r.child() && claim == nil && len(ws) == 1 {
		err = retryConflicts(ctx, func() (err error) {
			_, err = r.table.API.PutItem(ctx, putItem(ws[0].item.Put))
			return err
		})
		var failed *types.ConditionalCheckFailedException
		switch {
		case errors.As(err, &failed):
			return kit.Versioned[kit.Entity]{}, fmt.Errorf("%s %s exists: %w", r.kind, entity.EntityID(), kit.ErrConflict)
		case err != nil:
			return kit.Versioned[kit.Entity]{}, storeError("create", err)
		}
		return created, nil
	}
	tx, err := r.transaction(ws, claim)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	failed, err := r.transact(ctx, "create", items(tx))
	switch {
	case claim != nil && (failed == len(tx)-1 || conflictAt(err, len(tx)-1)):
		// The key's record exists, or another transaction on that record
		// is in flight: either way the key is taken. A conflict on any
		// other item (the parent, say) says nothing about the key, and is
		// the store being busy.
		return kit.Versioned[kit.Entity]{}, fmt.Errorf("%s %s: %w", r.kind, entity.EntityID(), idempotency.ErrKeyInUse)
	case failed >= 0 && tx[failed].role == roleParent:
		return kit.Versioned[kit.Entity]{}, r.parentMissing()
	case failed >= 0 && tx[failed].role == roleClaimValue:
		return kit.Versioned[kit.Entity]{}, r.taken(tx[failed].field)
	case failed >= 0:
		return kit.Versioned[kit.Entity]{}, fmt.Errorf("%s %s exists: %w", r.kind, entity.EntityID(), kit.ErrConflict)
	case err != nil:
		return kit.Versioned[kit.Entity]{}, err
	}
	if claim != nil {
		claim.MarkWritten()
	}
	return created, nil
}

// transaction puts a child's parent check before ws and a request's
// idempotency claim, if any, after them.
func (r *repository) transaction(ws []write, claim *idempotency.Claim) ([]write, error) {
	var tx []write
	if r.child() {
		check, err := r.parentCheck()
		if err != nil {
			return nil, err
		}
		tx = append(tx, write{item: types.TransactWriteItem{ConditionCheck: check}, role: roleParent})
	}
	tx = append(tx, ws...)
	if claim != nil {
		record, err := NewIdempotency(r.table).put(claim.Record, claim.Now)
		if err != nil {
			return nil, err
		}
		tx = append(tx, write{item: types.TransactWriteItem{Put: record}, role: roleClaim})
	}
	return tx, nil
}

// Update implements kit.Repository: the patch, the version bump, the
// existence, version and owner checks and the pattern keys are a single
// atomic write. A child's write is a transaction with the check that its
// parent exists, and a change of a unique value one with its claim and
// release; transactions return no values, so their new state is read back
// after them.
func (r *repository) Update(ctx context.Context, id string, patch kit.Patch, expect kit.Version) (kit.Versioned[kit.Entity], error) {
	if err := r.scoped(); err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	for attempt := 0; ; attempt++ {
		ws, read, caller, err := r.updateWrites(ctx, id, patch, expect)
		if err != nil {
			return kit.Versioned[kit.Entity]{}, err
		}
		if !r.child() && len(ws) == 1 {
			v, changed, err := r.updateItem(ctx, id, ws[0].item.Update, caller)
			if !changed || !read || attempt == 3 {
				return v, err
			}
			continue // changed since it was read: read it again
		}
		tx, err := r.transaction(ws, nil)
		if err != nil {
			return kit.Versioned[kit.Entity]{}, err
		}
		failed, err := r.transact(ctx, "update", items(tx))
		switch {
		case err == nil:
			return r.Get(ctx, id)
		case failed < 0:
			return kit.Versioned[kit.Entity]{}, err
		case tx[failed].role == roleParent:
			return kit.Versioned[kit.Entity]{}, r.parentMissing()
		case tx[failed].role == roleClaimValue:
			return kit.Versioned[kit.Entity]{}, r.taken(tx[failed].field)
		case !read || tx[failed].role != roleEntity:
			return kit.Versioned[kit.Entity]{}, r.failure("update", id, errorItem(err, failed), caller)
		case attempt == 3:
			return kit.Versioned[kit.Entity]{}, fmt.Errorf("update %s %s: %w: it kept changing", r.kind, id, kit.ErrUnavailable)
		}
		// Changed since it was read: read it again.
	}
}

// updateItem makes an update that needs no transaction, returning the new
// state; failed reports that its condition failed.
func (r *repository) updateItem(ctx context.Context, id string, update *types.Update, caller string) (v kit.Versioned[kit.Entity], failed bool, err error) {
	var out *dynamodb.UpdateItemOutput
	err = retryConflicts(ctx, func() (err error) {
		out, err = r.table.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           update.TableName,
			Key:                                 update.Key,
			UpdateExpression:                    update.UpdateExpression,
			ConditionExpression:                 update.ConditionExpression,
			ExpressionAttributeNames:            update.ExpressionAttributeNames,
			ExpressionAttributeValues:           update.ExpressionAttributeValues,
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: update.ReturnValuesOnConditionCheckFailure,
		})
		return err
	})
	var cond *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &cond):
		return kit.Versioned[kit.Entity]{}, true, r.failure("update", id, cond.Item, caller)
	case err != nil:
		return kit.Versioned[kit.Entity]{}, false, storeError("update", err)
	}
	v, err = r.decode(out.Attributes)
	return v, false, err
}

// updateExtra is what a kind's access adds to an update: the pattern keys
// to set and to remove, and the caller the owner must be ("" for none).
type updateExtra struct {
	caller string
	keys   map[string]types.AttributeValue
	drop   []string
}

// update builds the write of a patch: its sets, removals and additions,
// the version's bump and the write's event, under the check that the item
// exists at the expected version.
func (r *repository) update(ctx context.Context, id string, patch kit.Patch, expect kit.Version, extra updateExtra) (*types.Update, error) {
	var upd expression.UpdateBuilder
	for name, value := range patch.Set {
		if err := r.checkOwnAttribute(name); err != nil {
			return nil, err
		}
		av, err := EncodeValue(value)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", name, err)
		}
		upd = upd.Set(expression.Name(name), expression.Value(av))
	}
	for _, name := range patch.Remove {
		if err := r.checkOwnAttribute(name); err != nil {
			return nil, err
		}
		upd = upd.Remove(expression.Name(name))
	}
	for name, n := range patch.Add {
		if err := r.checkOwnAttribute(name); err != nil {
			return nil, err
		}
		upd = upd.Add(expression.Name(name), expression.Value(n))
	}
	for name, value := range extra.keys {
		upd = upd.Set(expression.Name(name), expression.Value(value))
	}
	for _, name := range extra.drop {
		upd = upd.Remove(expression.Name(name))
	}
	if patch.Derived {
		upd = upd.Add(expression.Name(AttrRevision), expression.Value(1))
	} else {
		upd = upd.Add(expression.Name(AttrVersion), expression.Value(1))
		_, stamp := r.stamps.Stamp(ctx)
		upd = upd.Set(expression.Name(AttrEvent), expression.Value(stamp))
	}
	cond := r.writeCondition(expect)
	if extra.caller != "" {
		cond = cond.And(expression.Name(r.access.Owner).Equal(expression.Value(extra.caller)))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build update: %w", err)
	}
	return &types.Update{
		TableName:                           aws.String(r.table.Name),
		Key:                                 r.key(id),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, nil
}

// Delete implements kit.Repository. The entity is read first, so that its
// event can carry its last state: the delete, conditioned on the version
// read, and the event's outbox item are one transaction (a change between
// the read and the write is read again).
//
// Deleting an entity that is not a child also deletes its whole item
// collection, every child of every kind: first the entity itself, which
// makes the children unreachable (every read of a child checks its
// parent), then the rest of its partition, each child with its own event
// naming the entity's as its cause. If that sweep is cut short, a later
// Delete of the same id, which answers ErrNotFound, sweeps again.
func (r *repository) Delete(ctx context.Context, id string, expect kit.Version) error {
	if err := r.scoped(); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		ws, meta, err := r.deleteWrites(ctx, id, expect)
		if err != nil {
			if !r.child() && errors.Is(err, kit.ErrNotFound) {
				if serr := sweep(ctx, r.table, r.stamps, r.kind+"#"+id, r.kind); serr != nil {
					return serr
				}
			}
			return err
		}
		tx, err := r.transaction(ws, nil)
		if err != nil {
			return err
		}
		failed, err := r.transact(ctx, "delete", items(tx))
		switch {
		case err == nil && !r.child():
			return sweep(event.WithCause(ctx, meta.ID), r.table, r.stamps, r.kind+"#"+id, "")
		case err == nil:
			return nil
		case failed >= 0 && tx[failed].role == roleParent:
			return r.parentMissing()
		case failed >= 0 && tx[failed].role == roleEntity && attempt < 3:
			continue // changed or gone since it was read
		}
		return err
	}
}

// versionedDelete deletes the item at key if it is still at version.
func versionedDelete(t Table, key map[string]types.AttributeValue, version kit.Version) (*types.Delete, error) {
	expr, err := expression.NewBuilder().WithCondition(expression.Name(AttrVersion).Equal(expression.Value(int64(version)))).Build()
	if err != nil {
		return nil, fmt.Errorf("build delete condition: %w", err)
	}
	return &types.Delete{
		TableName:                 aws.String(t.Name),
		Key:                       key,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, nil
}

// List implements kit.Repository. An entity's listing is a Query on the
// listing index; a child collection's is a Query on the parent's
// partition. Either costs what the page costs, not what the table holds.
// It reads one item past the page to know whether another page exists, so
// every page but the last is full and the last carries no token.
func (r *repository) List(ctx context.Context, req kit.PageRequest) (kit.Page[kit.Entity], error) {
	if req.Size < 1 {
		return kit.Page[kit.Entity]{}, kit.Invalid("page size must be at least 1")
	}
	if r.accessErr != nil {
		return kit.Page[kit.Entity]{}, r.accessErr
	}
	if len(req.Where) > 0 {
		return r.listWhere(ctx, req)
	}
	after := ""
	if req.Token != "" {
		var err error
		if after, err = r.tokens.Decode(r.scope(), req.Token); err != nil {
			return kit.Page[kit.Entity]{}, err
		}
	}
	if !r.child() || r.parent == "" {
		return r.listKind(ctx, req.Size, after)
	}
	if after == "" {
		_, page, err := r.withParent(ctx, req.Size)
		return page, err
	}
	// A later page cannot include the parent's item, which sorts first:
	// its existence is read beside the page, at the same time.
	parentErr := make(chan error, 1)
	go func() {
		out, err := r.table.API.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(r.table.Name), Key: r.parentKey(), ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("#pk"), ExpressionAttributeNames: map[string]string{"#pk": r.table.Schema.Keys.PartitionKey},
		})
		switch {
		case err != nil:
			parentErr <- storeError("list", err)
		case out.Item == nil:
			parentErr <- r.parentMissing()
		default:
			parentErr <- nil
		}
	}()
	keys := r.table.Schema.Keys
	cond := expression.Key(keys.PartitionKey).Equal(expression.Value(r.parentKind + "#" + r.parent)).
		And(expression.Key(keys.SortKey).BeginsWith(r.childPrefix()))
	in, err := r.query(cond, "")
	if err != nil {
		return kit.Page[kit.Entity]{}, err
	}
	in.ConsistentRead = aws.Bool(true)
	in.ExclusiveStartKey = r.key(after)
	items, qerr := r.collect(ctx, in, req.Size+1, nil)
	if err := <-parentErr; err != nil {
		return kit.Page[kit.Entity]{}, err
	}
	if qerr != nil {
		return kit.Page[kit.Entity]{}, qerr
	}
	return r.page(items, req.Size)
}

// listKind lists the kind through the listing index: a Query per shard,
// in parallel, merged in position order (see merge).
func (r *repository) listKind(ctx context.Context, size int, after string) (kit.Page[kit.Entity], error) {
	if r.child() && !r.listed {
		return kit.Page[kit.Entity]{}, fmt.Errorf("dynamo: %s is not kit.Listed: list it within a parent", r.kind)
	}
	idx := r.table.Schema.ListIndex
	parts := r.shards.Partitions(r.kind)
	shards := make([]*shard, len(parts))
	for i, p := range parts {
		cond := expression.Key(idx.Keys.PartitionKey).Equal(expression.Value(p))
		if after != "" {
			cond = cond.And(expression.Key(idx.Keys.SortKey).GreaterThan(expression.Value(after)))
		}
		in, err := r.query(cond, idx.Name)
		if err != nil {
			return kit.Page[kit.Entity]{}, err
		}
		shards[i] = &shard{in: in}
	}
	items, err := merge(ctx, r.table.API, shards, idx.Keys.SortKey, size+1)
	if err != nil {
		return kit.Page[kit.Entity]{}, err
	}
	return r.page(items, size)
}

func (r *repository) query(cond expression.KeyConditionBuilder, index string) (*dynamodb.QueryInput, error) {
	expr, err := expression.NewBuilder().WithKeyCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build list query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(r.table.Name),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}
	if index != "" {
		in.IndexName = aws.String(index)
	}
	return in, nil
}

// collect runs a Query until it has want items that keep reports true for,
// or there are no more. A Query stops at 1 MB, and a filter drops items
// after Limit counted them, so one call may return less than asked for even
// when more items exist.
func (r *repository) collect(ctx context.Context, in *dynamodb.QueryInput, want int, keep func(map[string]types.AttributeValue) bool) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for {
		in.Limit = aws.Int32(int32(want - len(items)))
		out, err := r.table.API.Query(ctx, in)
		if err != nil {
			return nil, storeError("list", err)
		}
		for _, item := range out.Items {
			if keep == nil || keep(item) {
				items = append(items, item)
			}
		}
		if len(items) >= want || out.LastEvaluatedKey == nil {
			return items, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// page decodes up to size items and makes the token for the next page when
// there was one item more.
func (r *repository) page(items []map[string]types.AttributeValue, size int) (kit.Page[kit.Entity], error) {
	position := func(_ map[string]types.AttributeValue, e kit.Entity) string { return e.EntityID() }
	if r.child() && r.parent == "" {
		// A listed child's place in the kind's listing carries its
		// parent: the listing index's sort key.
		position = func(item map[string]types.AttributeValue, _ kit.Entity) string {
			return stringAttr(item, r.table.Schema.ListIndex.Keys.SortKey)
		}
	}
	return r.pageAt(items, size, r.scope(), position)
}

// pageAt decodes up to size items and, when there was one item more, makes
// the token of the listing scope for the next page from the last item's
// position (of its item, or of the entity decoded from it).
func (r *repository) pageAt(items []map[string]types.AttributeValue, size int, scope string, position func(map[string]types.AttributeValue, kit.Entity) string) (kit.Page[kit.Entity], error) {
	page := kit.Page[kit.Entity]{Items: make([]kit.Entity, 0, min(len(items), size))}
	for _, item := range items[:min(len(items), size)] {
		v, err := r.decode(item)
		if err != nil {
			return kit.Page[kit.Entity]{}, err
		}
		page.Items = append(page.Items, v.Entity)
	}
	if len(items) > size {
		page.Next = r.tokens.Encode(scope, position(items[size-1], page.Items[size-1]))
	}
	return page, nil
}

// listWhere lists by a declared pattern: one Query of the pattern's index
// partition for the values asked for, from the place the token names; or
// finds the one entity that holds a unique value. Patterns are kind-wide:
// a child's collection is not listed by one.
func (r *repository) listWhere(ctx context.Context, req kit.PageRequest) (kit.Page[kit.Entity], error) {
	i, unique, err := r.access.Match(req.Where)
	switch {
	case err != nil:
		return kit.Page[kit.Entity]{}, err
	case r.child() && r.parent != "":
		return kit.Page[kit.Entity]{}, kit.Invalid("a listing by %s is of every %s, not of one collection", strings.Join(slices.Sorted(maps.Keys(req.Where)), " and "), r.noun())
	case unique != "":
		return r.findUnique(ctx, unique, req)
	}
	ix, idx := r.access.Indexes[i], r.table.Schema.Patterns[i]
	values := make([]string, len(ix.By))
	for j, f := range ix.By {
		values[j] = req.Where[f]
	}
	partition := PatternPartition(r.kind, ix, values)
	cond := expression.Key(idx.Keys.PartitionKey).Equal(expression.Value(partition))
	if req.Token != "" {
		after, err := r.tokens.Decode(partition, req.Token)
		if err != nil {
			return kit.Page[kit.Entity]{}, err
		}
		if ix.Descending {
			cond = cond.And(expression.Key(idx.Keys.SortKey).LessThan(expression.Value(after)))
		} else {
			cond = cond.And(expression.Key(idx.Keys.SortKey).GreaterThan(expression.Value(after)))
		}
	}
	in, err := r.query(cond, idx.Name)
	if err != nil {
		return kit.Page[kit.Entity]{}, err
	}
	in.ScanIndexForward = aws.Bool(!ix.Descending)
	found, err := r.collect(ctx, in, req.Size+1, nil)
	if err != nil {
		return kit.Page[kit.Entity]{}, err
	}
	return r.pageAt(found, req.Size, partition, func(item map[string]types.AttributeValue, _ kit.Entity) string {
		return stringAttr(item, idx.Keys.SortKey)
	})
}

// findUnique is the page of the entity holding a unique value: its
// uniqueness item names it, read strongly consistent, then the entity.
// There is one page, so no token.
func (r *repository) findUnique(ctx context.Context, field string, req kit.PageRequest) (kit.Page[kit.Entity], error) {
	if req.Token != "" {
		return kit.Page[kit.Entity]{}, kit.Invalid("nextToken: a lookup by %s has one page", field)
	}
	out, err := r.table.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(r.table.Name), Key: r.table.Schema.UniqueKey(r.kind, field, req.Where[field]), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return kit.Page[kit.Entity]{}, storeError("list", err)
	}
	page := kit.Page[kit.Entity]{Items: []kit.Entity{}}
	holder := stringAttr(out.Item, AttrHolder)
	if holder == "" {
		return page, nil
	}
	v, err := r.Get(ctx, holder)
	switch {
	case errors.Is(err, kit.ErrNotFound):
		return page, nil
	case err != nil:
		return kit.Page[kit.Entity]{}, err
	}
	page.Items = append(page.Items, v.Entity)
	return page, nil
}

// writeCondition is the check every update and delete makes: the item exists
// and, when the caller expects a version, is at that version.
func (r *repository) writeCondition(expect kit.Version) expression.ConditionBuilder {
	cond := expression.AttributeExists(expression.Name(r.table.Schema.Keys.PartitionKey))
	if expect != kit.AnyVersion {
		cond = cond.And(expression.Name(AttrVersion).Equal(expression.Value(int64(expect))))
	}
	return cond
}

func (r *repository) checkOwnAttribute(name string) error {
	if reserved(r.table.Schema, name) {
		return fmt.Errorf("dynamo: %q is a kit attribute, not the entity's", name)
	}
	return nil
}

func reserved(s Schema, name string) bool {
	switch name {
	case s.Keys.PartitionKey, s.Keys.SortKey, AttrType, AttrVersion, AttrEvent, AttrRevision, AttrHolder, s.TTLAttribute:
		return true
	}
	for _, idx := range s.Indexes() {
		if name == idx.Keys.PartitionKey || name == idx.Keys.SortKey {
			return true
		}
	}
	return false
}

func (r *repository) encode(entity kit.Entity, version kit.Version) (map[string]types.AttributeValue, error) {
	if t := reflect.TypeOf(entity); t != r.typ {
		return nil, fmt.Errorf("dynamo: %s repository given a %s", r.typ, t)
	}
	item, err := EncodeEntity(entity)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", r.kind, err)
	}
	for name := range item {
		if err := r.checkOwnAttribute(name); err != nil {
			return nil, err
		}
	}
	id := entity.EntityID()
	for name, value := range r.key(id) {
		item[name] = value
	}
	s := r.table.Schema
	if !r.child() || r.listed {
		position := id
		if r.child() {
			position = r.parent + "/" + id
		}
		item[s.ListIndex.Keys.PartitionKey] = str(kit.Partition(r.kind, position, r.shards.Now))
		item[s.ListIndex.Keys.SortKey] = str(position)
	}
	keys, _ := s.PatternKeys(r.access, r.kind, Position(id, r.parent), item)
	maps.Copy(item, keys)
	item[AttrType] = str(r.kind)
	item[AttrVersion] = &types.AttributeValueMemberN{Value: strconv.FormatInt(int64(version), 10)}
	return item, nil
}

func (r *repository) decode(item map[string]types.AttributeValue) (kit.Versioned[kit.Entity], error) {
	var v kit.Versioned[kit.Entity]
	entity, err := r.accesses.Decode(r.typ, item)
	if err != nil {
		return v, fmt.Errorf("decode %s: %w", r.kind, err)
	}
	v.Entity = entity
	if n, ok := item[AttrVersion].(*types.AttributeValueMemberN); ok {
		version, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return v, fmt.Errorf("decode %s version: %w", r.kind, err)
		}
		v.Version = kit.Version(version)
	}
	if n, ok := item[AttrRevision].(*types.AttributeValueMemberN); ok {
		if v.Revision, err = strconv.ParseInt(n.Value, 10, 64); err != nil {
			return v, fmt.Errorf("decode %s revision: %w", r.kind, err)
		}
	}
	return v, nil
}

// conditionalPut builds a put of item that applies only under cond, as a
// types.Put so that the same write can join a transaction.
func conditionalPut(t Table, item map[string]types.AttributeValue, cond expression.ConditionBuilder) (*types.Put, error) {
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build put condition: %w", err)
	}
	return &types.Put{
		TableName:                 aws.String(t.Name),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, nil
}

// putItem is a conditional put on its own, outside a transaction.
func putItem(p *types.Put) *dynamodb.PutItemInput {
	return &dynamodb.PutItemInput{
		TableName:                 p.TableName,
		Item:                      p.Item,
		ConditionExpression:       p.ConditionExpression,
		ExpressionAttributeNames:  p.ExpressionAttributeNames,
		ExpressionAttributeValues: p.ExpressionAttributeValues,
	}
}

// storeError classifies a failed call. DynamoDB rejecting the request itself
// is a bug here and stays an internal error; anything else (throttling,
// timeouts, an endpoint that does not answer, a missing table) is the store
// being unavailable, which the caller may retry.
func storeError(op string, err error) error {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "ValidationException" {
		return fmt.Errorf("dynamodb %s: %w", op, err)
	}
	return fmt.Errorf("%w: dynamodb %s: %w", kit.ErrUnavailable, op, err)
}
