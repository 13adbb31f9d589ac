package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
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
}

// Table is one DynamoDB table laid out by Layout.
type Table struct {
	API    API
	Name   string
	Schema Schema
}

// Repository stores entities of type T in a Table. It implements
// kit.Repository[T].
type Repository[T kit.Entity] struct {
	table  Table
	kind   string
	tokens *cursor.Codec
}

var _ kit.Repository[kit.Entity] = (*Repository[kit.Entity])(nil)

// NewRepository returns the repository of T's kind in table, signing its
// paging tokens with tokens.
func NewRepository[T kit.Entity](table Table, tokens *cursor.Codec) *Repository[T] {
	var zero T
	return &Repository[T]{table: table, kind: zero.EntityKind(), tokens: tokens}
}

func (r *Repository[T]) key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		r.table.Schema.Keys.PartitionKey: &types.AttributeValueMemberS{Value: r.kind + "#" + id},
		r.table.Schema.Keys.SortKey:      &types.AttributeValueMemberS{Value: r.kind},
	}
}

// Get implements kit.Repository.
func (r *Repository[T]) Get(ctx context.Context, id string) (kit.Versioned[T], error) {
	out, err := r.table.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(r.table.Name),
		Key:            r.key(id),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return kit.Versioned[T]{}, storeError("get", err)
	}
	if out.Item == nil {
		return kit.Versioned[T]{}, fmt.Errorf("%s %s: %w", r.kind, id, kit.ErrNotFound)
	}
	return r.decode(out.Item)
}

// Create implements kit.Repository.
func (r *Repository[T]) Create(ctx context.Context, entity T) (kit.Versioned[T], error) {
	item, err := r.encode(entity, 1)
	if err != nil {
		return kit.Versioned[T]{}, err
	}
	cond, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name(r.table.Schema.Keys.PartitionKey))).
		Build()
	if err != nil {
		return kit.Versioned[T]{}, fmt.Errorf("build create condition: %w", err)
	}
	put := &types.Put{
		TableName:                 aws.String(r.table.Name),
		Item:                      item,
		ConditionExpression:       cond.Condition(),
		ExpressionAttributeNames:  cond.Names(),
		ExpressionAttributeValues: cond.Values(),
	}
	if claim := idempotency.ClaimFrom(ctx); claim != nil {
		if err := r.createClaimed(ctx, put, claim); err != nil {
			return kit.Versioned[T]{}, fmt.Errorf("%s %s: %w", r.kind, entity.EntityID(), err)
		}
		return kit.Versioned[T]{Entity: entity, Version: 1}, nil
	}
	_, err = r.table.API.PutItem(ctx, putItem(put))
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return kit.Versioned[T]{}, fmt.Errorf("%s %s exists: %w", r.kind, entity.EntityID(), kit.ErrConflict)
	case err != nil:
		return kit.Versioned[T]{}, storeError("create", err)
	}
	return kit.Versioned[T]{Entity: entity, Version: 1}, nil
}

// createClaimed writes the entity and the request's idempotency claim in
// one transaction: either both exist afterwards or neither does, so a key
// can never create twice.
func (r *Repository[T]) createClaimed(ctx context.Context, entity *types.Put, claim *idempotency.Claim) error {
	record, err := NewIdempotency(r.table).put(claim.Record, claim.Now)
	if err != nil {
		return err
	}
	_, err = r.table.API.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{{Put: entity}, {Put: record}},
	})
	var canceled *types.TransactionCanceledException
	switch {
	case errors.As(err, &canceled):
		reasons := canceled.CancellationReasons
		for _, reason := range reasons {
			switch aws.ToString(reason.Code) {
			case "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded":
				return storeError("create with idempotency key", err)
			}
		}
		if len(reasons) == 2 && aws.ToString(reasons[0].Code) == "ConditionalCheckFailed" {
			return fmt.Errorf("exists: %w", kit.ErrConflict)
		}
		// The key's record exists, or another transaction on it is in
		// flight (TransactionConflict): either way the key is taken.
		return idempotency.ErrKeyInUse
	case err != nil:
		return storeError("create with idempotency key", err)
	}
	claim.MarkWritten()
	return nil
}

// Update implements kit.Repository in one UpdateItem: the patch, the version
// bump and the existence and version checks are a single atomic write.
func (r *Repository[T]) Update(ctx context.Context, id string, patch kit.Patch, expect kit.Version) (kit.Versioned[T], error) {
	var upd expression.UpdateBuilder
	for name, value := range patch.Set {
		if err := r.checkOwnAttribute(name); err != nil {
			return kit.Versioned[T]{}, err
		}
		av, err := attributevalue.Marshal(value)
		if err != nil {
			return kit.Versioned[T]{}, fmt.Errorf("encode %s: %w", name, err)
		}
		upd = upd.Set(expression.Name(name), expression.Value(av))
	}
	for _, name := range patch.Remove {
		if err := r.checkOwnAttribute(name); err != nil {
			return kit.Versioned[T]{}, err
		}
		upd = upd.Remove(expression.Name(name))
	}
	upd = upd.Add(expression.Name(AttrVersion), expression.Value(1))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(r.writeCondition(expect)).Build()
	if err != nil {
		return kit.Versioned[T]{}, fmt.Errorf("build update: %w", err)
	}
	out, err := r.table.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(r.table.Name),
		Key:                                 r.key(id),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		return kit.Versioned[T]{}, r.writeError("update", id, err)
	}
	return r.decode(out.Attributes)
}

// Delete implements kit.Repository.
func (r *Repository[T]) Delete(ctx context.Context, id string, expect kit.Version) error {
	expr, err := expression.NewBuilder().WithCondition(r.writeCondition(expect)).Build()
	if err != nil {
		return fmt.Errorf("build delete condition: %w", err)
	}
	_, err = r.table.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                           aws.String(r.table.Name),
		Key:                                 r.key(id),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err != nil {
		return r.writeError("delete", id, err)
	}
	return nil
}

// List implements kit.Repository with a Query on the listing index, so its
// cost grows with the page and not with the table. It reads one item past
// the page to know whether another page exists, so every page but the last
// is full and the last carries no token.
func (r *Repository[T]) List(ctx context.Context, req kit.PageRequest) (kit.Page[T], error) {
	if req.Size < 1 {
		return kit.Page[T]{}, kit.Invalid("page size must be at least 1")
	}
	idx := r.table.Schema.ListIndex
	keyCond := expression.Key(idx.Keys.PartitionKey).Equal(expression.Value(r.kind))
	expr, err := expression.NewBuilder().WithKeyCondition(keyCond).Build()
	if err != nil {
		return kit.Page[T]{}, fmt.Errorf("build list query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(r.table.Name),
		IndexName:                 aws.String(idx.Name),
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}
	if req.Token != "" {
		after, err := r.tokens.Decode(r.kind, req.Token)
		if err != nil {
			return kit.Page[T]{}, err
		}
		in.ExclusiveStartKey = r.key(after)
		in.ExclusiveStartKey[idx.Keys.PartitionKey] = &types.AttributeValueMemberS{Value: r.kind}
		in.ExclusiveStartKey[idx.Keys.SortKey] = &types.AttributeValueMemberS{Value: after}
	}
	var items []map[string]types.AttributeValue
	// A Query stops at 1 MB, so one call may return less than asked for even
	// when more items exist: keep going until the page plus one is read.
	for {
		in.Limit = aws.Int32(int32(req.Size + 1 - len(items)))
		out, err := r.table.API.Query(ctx, in)
		if err != nil {
			return kit.Page[T]{}, storeError("list", err)
		}
		items = append(items, out.Items...)
		if len(items) > req.Size || out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	page := kit.Page[T]{Items: make([]T, 0, min(len(items), req.Size))}
	for _, item := range items[:min(len(items), req.Size)] {
		v, err := r.decode(item)
		if err != nil {
			return kit.Page[T]{}, err
		}
		page.Items = append(page.Items, v.Entity)
	}
	if len(items) > req.Size {
		page.Next = r.tokens.Encode(r.kind, page.Items[req.Size-1].EntityID())
	}
	return page, nil
}

// writeCondition is the check every update and delete makes: the item exists
// and, when the caller expects a version, is at that version.
func (r *Repository[T]) writeCondition(expect kit.Version) expression.ConditionBuilder {
	cond := expression.AttributeExists(expression.Name(r.table.Schema.Keys.PartitionKey))
	if expect != kit.AnyVersion {
		cond = cond.And(expression.Name(AttrVersion).Equal(expression.Value(int64(expect))))
	}
	return cond
}

// writeError tells a missing item from a stale version by the item DynamoDB
// returns with a failed condition.
func (r *Repository[T]) writeError(op, id string, err error) error {
	var failed *types.ConditionalCheckFailedException
	if !errors.As(err, &failed) {
		return storeError(op, err)
	}
	if failed.Item == nil {
		return fmt.Errorf("%s %s %s: %w", op, r.kind, id, kit.ErrNotFound)
	}
	return fmt.Errorf("%s %s %s: %w", op, r.kind, id, kit.ErrPreconditionFailed)
}

func (r *Repository[T]) checkOwnAttribute(name string) error {
	if reserved(r.table.Schema, name) {
		return fmt.Errorf("dynamo: %q is a kit attribute, not the entity's", name)
	}
	return nil
}

func reserved(s Schema, name string) bool {
	switch name {
	case s.Keys.PartitionKey, s.Keys.SortKey, s.ListIndex.Keys.PartitionKey, s.ListIndex.Keys.SortKey,
		AttrType, AttrVersion, s.TTLAttribute:
		return true
	}
	return false
}

func (r *Repository[T]) encode(entity T, version kit.Version) (map[string]types.AttributeValue, error) {
	item, err := attributevalue.MarshalMap(entity)
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
	item[s.ListIndex.Keys.PartitionKey] = &types.AttributeValueMemberS{Value: r.kind}
	item[s.ListIndex.Keys.SortKey] = &types.AttributeValueMemberS{Value: id}
	item[AttrType] = &types.AttributeValueMemberS{Value: r.kind}
	item[AttrVersion] = &types.AttributeValueMemberN{Value: strconv.FormatInt(int64(version), 10)}
	return item, nil
}

func (r *Repository[T]) decode(item map[string]types.AttributeValue) (kit.Versioned[T], error) {
	var v kit.Versioned[T]
	if err := attributevalue.UnmarshalMap(item, &v.Entity); err != nil {
		return v, fmt.Errorf("decode %s: %w", r.kind, err)
	}
	if n, ok := item[AttrVersion].(*types.AttributeValueMemberN); ok {
		version, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return v, fmt.Errorf("decode %s version: %w", r.kind, err)
		}
		v.Version = kit.Version(version)
	}
	return v, nil
}

// putItem is a conditional put on its own, outside a transaction. Writes
// are built as types.Put so that the same write can join a transaction.
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
