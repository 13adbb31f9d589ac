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

	"github.com/lambdakit/lambdakit/kit/idempotency"
)

// idempotencyKind marks idempotency records. They carry no listing-index
// attributes, so they never show in any listing.
const idempotencyKind = "IDEMPOTENCY"

// record is an idempotency.Record as stored.
type record struct {
	Fingerprint string            `dynamodbav:"fingerprint"`
	Status      int               `dynamodbav:"responseStatus,omitempty"`
	Headers     map[string]string `dynamodbav:"responseHeaders,omitempty"`
	Body        string            `dynamodbav:"responseBody,omitempty"`
}

// Idempotency stores idempotency records in the table, beside the entities
// they guard. It implements idempotency.Store.
type Idempotency struct {
	table Table
}

var _ idempotency.Store = (*Idempotency)(nil)

// NewIdempotency returns the idempotency store of table.
func NewIdempotency(table Table) *Idempotency { return &Idempotency{table: table} }

func (s *Idempotency) key(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		s.table.Schema.Keys.PartitionKey: &types.AttributeValueMemberS{Value: idempotencyKind + "#" + key},
		s.table.Schema.Keys.SortKey:      &types.AttributeValueMemberS{Value: idempotencyKind},
	}
}

// Load implements idempotency.Store.
func (s *Idempotency) Load(ctx context.Context, key string, now time.Time) (idempotency.Record, bool, error) {
	out, err := s.table.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table.Name),
		Key:            s.key(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return idempotency.Record{}, false, storeError("load idempotency key", err)
	}
	if out.Item == nil {
		return idempotency.Record{}, false, nil
	}
	var r record
	if err := attributevalue.UnmarshalMap(out.Item, &r); err != nil {
		return idempotency.Record{}, false, fmt.Errorf("decode idempotency record: %w", err)
	}
	expires, _ := out.Item[s.table.Schema.TTLAttribute].(*types.AttributeValueMemberN)
	if expires == nil {
		return idempotency.Record{}, false, errors.New("dynamo: idempotency record without expiry")
	}
	secs, err := strconv.ParseInt(expires.Value, 10, 64)
	if err != nil {
		return idempotency.Record{}, false, fmt.Errorf("decode idempotency expiry: %w", err)
	}
	// TTL deletes lazily, so an expired record may still be there.
	if !now.Before(time.Unix(secs, 0)) {
		return idempotency.Record{}, false, nil
	}
	rec := idempotency.Record{Key: key, Fingerprint: r.Fingerprint, ExpiresAt: time.Unix(secs, 0).UTC()}
	if r.Status != 0 {
		rec.Response = &idempotency.Response{Status: r.Status, Headers: r.Headers, Body: r.Body}
	}
	return rec, true, nil
}

// Complete implements idempotency.Store.
func (s *Idempotency) Complete(ctx context.Context, rec idempotency.Record) error {
	if rec.Response == nil {
		return errors.New("dynamo: complete needs a response")
	}
	upd := expression.Set(expression.Name("responseStatus"), expression.Value(rec.Response.Status)).
		Set(expression.Name("responseHeaders"), expression.Value(rec.Response.Headers)).
		Set(expression.Name("responseBody"), expression.Value(rec.Response.Body))
	cond := expression.Name("fingerprint").Equal(expression.Value(rec.Fingerprint))
	expr, err := expression.NewBuilder().WithUpdate(upd).WithCondition(cond).Build()
	if err != nil {
		return fmt.Errorf("build idempotency completion: %w", err)
	}
	_, err = s.table.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table.Name),
		Key:                       s.key(rec.Key),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	return keyWriteError("complete idempotency key", err)
}

// keyWriteError reads a failed condition on a record as the key being
// taken: by another request, or by another request body.
func keyWriteError(op string, err error) error {
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		return idempotency.ErrKeyInUse
	case err != nil:
		return storeError(op, err)
	}
	return nil
}

// Put implements idempotency.Store.
func (s *Idempotency) Put(ctx context.Context, rec idempotency.Record, now time.Time) error {
	put, err := s.put(rec, now)
	if err != nil {
		return err
	}
	_, err = s.table.API.PutItem(ctx, putItem(put))
	return keyWriteError("put idempotency key", err)
}

// put is the conditional write of a record: it succeeds if no live record
// holds the key.
func (s *Idempotency) put(rec idempotency.Record, now time.Time) (*types.Put, error) {
	r := record{Fingerprint: rec.Fingerprint}
	if rec.Response != nil {
		r.Status, r.Headers, r.Body = rec.Response.Status, rec.Response.Headers, rec.Response.Body
	}
	item, err := attributevalue.MarshalMap(r)
	if err != nil {
		return nil, fmt.Errorf("encode idempotency record: %w", err)
	}
	for name, value := range s.key(rec.Key) {
		item[name] = value
	}
	item[AttrType] = &types.AttributeValueMemberS{Value: idempotencyKind}
	item[s.table.Schema.TTLAttribute] = &types.AttributeValueMemberN{Value: strconv.FormatInt(rec.ExpiresAt.Unix(), 10)}
	pk := expression.Name(s.table.Schema.Keys.PartitionKey)
	cond := expression.AttributeNotExists(pk).
		Or(expression.Name(s.table.Schema.TTLAttribute).LessThanEqual(expression.Value(now.Unix())))
	expr, err := expression.NewBuilder().WithCondition(cond).Build()
	if err != nil {
		return nil, fmt.Errorf("build idempotency condition: %w", err)
	}
	return &types.Put{
		TableName:                 aws.String(s.table.Name),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, nil
}
