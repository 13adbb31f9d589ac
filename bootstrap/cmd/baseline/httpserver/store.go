package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The item layout is the service's (kit/dynamo/repository.go), so that both
// servers store and read the same bytes: PK=PRODUCT#id, SK=PRODUCT, listed
// on GSI1 under GSI1PK=PRODUCT#<shard> by GSI1SK=id.
const (
	kind      = "PRODUCT"
	listIndex = "GSI1"
	// shards is the products' listing layout (products.Product.ListShards:
	// 8 shards now, and the unsharded partition still read).
	shards = 8
	// batchSize is the most deletes one BatchWriteItem takes.
	batchSize = 25
)

var (
	errNotFound = errors.New("no such product")
	errExists   = errors.New("product exists")
	errBadToken = errors.New("bad nextToken")
)

// product is a product as stored, under the attribute names the API uses.
type product struct {
	ID             string    `dynamodbav:"id"`
	Name           string    `dynamodbav:"name"`
	Description    string    `dynamodbav:"description,omitempty"`
	CreateDate     time.Time `dynamodbav:"createDate"`
	LastUpdateDate time.Time `dynamodbav:"lastUpdateDate"`
	Version        int64     `dynamodbav:"_version"`
}

// record is a product's whole item: its keys, its listing keys and its
// kind beside its attributes.
type record struct {
	PK     string `dynamodbav:"PK"`
	SK     string `dynamodbav:"SK"`
	GSI1PK string `dynamodbav:"GSI1PK"`
	GSI1SK string `dynamodbav:"GSI1SK"`
	Type   string `dynamodbav:"_type"`
	product
}

// store makes the DynamoDB calls; the handlers make HTTP of them.
type store struct {
	db     *dynamodb.Client
	table  string
	secret []byte
}

func key(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: kind + "#" + id},
		"SK": &types.AttributeValueMemberS{Value: kind},
	}
}

// shardOf spreads products over the listing partitions by a hash of the
// id, as the service does, so both tables hold the same layout.
func shardOf(id string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return kind + "#" + strconv.Itoa(int(h.Sum32()%shards))
}

// create puts p unless an item with its key exists.
func (s *store) create(ctx context.Context, p product) error {
	item, err := attributevalue.MarshalMap(record{
		PK: kind + "#" + p.ID, SK: kind, GSI1PK: shardOf(p.ID), GSI1SK: p.ID, Type: kind, product: p,
	})
	if err != nil {
		return fmt.Errorf("marshal product: %w", err)
	}
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name("PK"))).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.table),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return errExists
	}
	if err != nil {
		return fmt.Errorf("put item: %w", err)
	}
	return nil
}

// get reads a product, strongly consistent.
func (s *store) get(ctx context.Context, id string) (product, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: key(id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return product{}, fmt.Errorf("get item: %w", err)
	}
	if out.Item == nil {
		return product{}, errNotFound
	}
	var p product
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		return product{}, fmt.Errorf("unmarshal product: %w", err)
	}
	return p, nil
}

// update sets the fields that are not nil ("" removes the description),
// stamps the update and bumps the version, in one write that only applies
// to an existing item, and returns the product as it now is.
func (s *store) update(ctx context.Context, id string, name, description *string, now time.Time) (product, error) {
	upd := expression.Set(expression.Name("lastUpdateDate"), expression.Value(now))
	if name != nil {
		upd = upd.Set(expression.Name("name"), expression.Value(*name))
	}
	switch {
	case description == nil:
	case *description == "":
		upd = upd.Remove(expression.Name("description"))
	default:
		upd = upd.Set(expression.Name("description"), expression.Value(*description))
	}
	upd = upd.Add(expression.Name("_version"), expression.Value(1))
	expr, err := expression.NewBuilder().WithUpdate(upd).
		WithCondition(expression.AttributeExists(expression.Name("PK"))).Build()
	if err != nil {
		return product{}, fmt.Errorf("build update: %w", err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 key(id),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return product{}, errNotFound
	}
	if err != nil {
		return product{}, fmt.Errorf("update item: %w", err)
	}
	var p product
	if err := attributevalue.UnmarshalMap(out.Attributes, &p); err != nil {
		return product{}, fmt.Errorf("unmarshal product: %w", err)
	}
	return p, nil
}

// remove deletes a product and then whatever else its partition holds (its
// reviews), as the service does: a missing product still gets the sweep,
// which finishes a delete that was cut short.
func (s *store) remove(ctx context.Context, id string) error {
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeExists(expression.Name("PK"))).Build()
	if err != nil {
		return fmt.Errorf("build condition: %w", err)
	}
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                           aws.String(s.table),
		Key:                                 key(id),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	missing := errors.As(err, &failed)
	if err != nil && !missing {
		return fmt.Errorf("delete item: %w", err)
	}
	if err := s.sweep(ctx, kind+"#"+id); err != nil {
		return err
	}
	if missing {
		return errNotFound
	}
	return nil
}

// sweep deletes every item left in partition pk, a page of keys at a time.
func (s *store) sweep(ctx context.Context, pk string) error {
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key("PK").Equal(expression.Value(pk))).
		WithProjection(expression.NamesList(expression.Name("PK"), expression.Name("SK"))).
		Build()
	if err != nil {
		return fmt.Errorf("build sweep query: %w", err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		KeyConditionExpression:    expr.KeyCondition(),
		ProjectionExpression:      expr.Projection(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ConsistentRead:            aws.Bool(true),
	}
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("sweep query: %w", err)
		}
		for start := 0; start < len(out.Items); start += batchSize {
			if err := s.deleteKeys(ctx, out.Items[start:min(start+batchSize, len(out.Items))]); err != nil {
				return err
			}
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// deleteKeys deletes up to batchSize items, sending again what DynamoDB
// leaves unprocessed.
func (s *store) deleteKeys(ctx context.Context, keys []map[string]types.AttributeValue) error {
	writes := make([]types.WriteRequest, len(keys))
	for i, k := range keys {
		writes[i] = types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: k}}
	}
	for attempt := 0; len(writes) > 0; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("sweep: %w", ctx.Err())
			case <-time.After(min(time.Duration(10<<attempt)*time.Millisecond, time.Second)):
			}
		}
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.table: writes},
		})
		if err != nil {
			return fmt.Errorf("sweep batch: %w", err)
		}
		writes = out.UnprocessedItems[s.table]
	}
	return nil
}

// list reads up to size products in id order after the position token
// carries, and a token for the next page when there is one.
func (s *store) list(ctx context.Context, size int, token string) ([]product, string, error) {
	after := ""
	if token != "" {
		var err error
		if after, err = s.position(token); err != nil {
			return nil, "", err
		}
	}
	items, err := s.merged(ctx, size+1, after)
	if err != nil {
		return nil, "", err
	}
	page := make([]product, 0, min(len(items), size))
	for _, item := range items[:min(len(items), size)] {
		var p product
		if err := attributevalue.UnmarshalMap(item, &p); err != nil {
			return nil, "", fmt.Errorf("unmarshal product: %w", err)
		}
		page = append(page, p)
	}
	next := ""
	if len(items) > size {
		next = s.token(page[size-1].ID)
	}
	return page, next, nil
}

// partition is one listing partition, read in id order a batch at a time.
type partition struct {
	in   *dynamodb.QueryInput
	buf  []map[string]types.AttributeValue
	more bool // DynamoDB holds more past buf
}

// merged reads want items in id order from every listing partition. Each
// partition first reads its share of the page with the service's margin
// (see perPartition); one that runs dry while it may hold the next item is
// read again. So both servers send the same Queries with the same limits.
func (s *store) merged(ctx context.Context, want int, after string) ([]map[string]types.AttributeValue, error) {
	names := make([]string, 0, shards+1)
	for i := range shards {
		names = append(names, kind+"#"+strconv.Itoa(i))
	}
	names = append(names, kind) // where products were listed before sharding
	parts := make([]*partition, len(names))
	for i, name := range names {
		cond := expression.Key("GSI1PK").Equal(expression.Value(name))
		if after != "" {
			cond = cond.And(expression.Key("GSI1SK").GreaterThan(expression.Value(after)))
		}
		expr, err := expression.NewBuilder().WithKeyCondition(cond).Build()
		if err != nil {
			return nil, fmt.Errorf("build list query: %w", err)
		}
		parts[i] = &partition{more: true, in: &dynamodb.QueryInput{
			TableName:                 aws.String(s.table),
			IndexName:                 aws.String(listIndex),
			KeyConditionExpression:    expr.KeyCondition(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
		}}
	}
	out := make([]map[string]types.AttributeValue, 0, want)
	limit := perPartition(want, len(parts))
	for len(out) < want {
		if err := s.refill(ctx, parts, limit); err != nil {
			return nil, err
		}
		limit = want - len(out)
		next := -1
		for i, p := range parts {
			if len(p.buf) > 0 && (next < 0 || sortKey(p.buf[0]) < sortKey(parts[next].buf[0])) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		out = append(out, parts[next].buf[0])
		parts[next].buf = parts[next].buf[1:]
	}
	return out, nil
}

// perPartition is the first read of each partition: its even share of the
// page and two standard deviations more, the service's formula, since ids
// land in partitions at random.
func perPartition(want, n int) int {
	if n <= 1 {
		return want
	}
	even := (want + n - 1) / n
	return even + int(math.Ceil(2*math.Sqrt(float64(even))))
}

// refill queries, in parallel, every partition that ran dry but has more.
func (s *store) refill(ctx context.Context, parts []*partition, limit int) error {
	errs := make(chan error, len(parts))
	n := 0
	for _, p := range parts {
		if len(p.buf) > 0 || !p.more {
			continue
		}
		n++
		go func() {
			p.in.Limit = aws.Int32(int32(limit))
			out, err := s.db.Query(ctx, p.in)
			if err != nil {
				errs <- fmt.Errorf("list query: %w", err)
				return
			}
			p.buf, p.more = out.Items, out.LastEvaluatedKey != nil
			p.in.ExclusiveStartKey = out.LastEvaluatedKey
			errs <- nil
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func sortKey(item map[string]types.AttributeValue) string {
	if s, ok := item["GSI1SK"].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

// tagSize is how much of the HMAC a token keeps.
const tagSize = 16

// token is base64url(id || HMAC-SHA256(kind, id)[:16]): the service's
// format, so the client cannot forge a position.
func (s *store) token(id string) string {
	return base64.RawURLEncoding.EncodeToString(append([]byte(id), s.tag(id)...))
}

// position verifies a token and returns the id it carries.
func (s *store) position(token string) (string, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) <= tagSize {
		return "", errBadToken
	}
	id, tag := string(raw[:len(raw)-tagSize]), raw[len(raw)-tagSize:]
	if !hmac.Equal(tag, s.tag(id)) {
		return "", errBadToken
	}
	return id, nil
}

func (s *store) tag(id string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(id))
	return m.Sum(nil)[:tagSize]
}
