package dynamo_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/idempotency"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// conflicting is DynamoDB Local with the conflicts real DynamoDB reports
// under concurrency, which DynamoDB Local, running transactions one at a
// time, never does: the next failures calls of one kind fail with err.
type conflicting struct {
	dynamo.API
	op       string // "TransactWriteItems", "PutItem" or "UpdateItem"
	failures atomic.Int32
	err      func() error
	calls    atomic.Int32
}

func (c *conflicting) fail(op string) error {
	if op != c.op {
		return nil
	}
	c.calls.Add(1)
	if c.failures.Add(-1) >= 0 {
		return c.err()
	}
	return nil
}

func (c *conflicting) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if err := c.fail("TransactWriteItems"); err != nil {
		return nil, err
	}
	return c.API.TransactWriteItems(ctx, in, opts...)
}

func (c *conflicting) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if err := c.fail("PutItem"); err != nil {
		return nil, err
	}
	return c.API.PutItem(ctx, in, opts...)
}

func (c *conflicting) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if err := c.fail("UpdateItem"); err != nil {
		return nil, err
	}
	return c.API.UpdateItem(ctx, in, opts...)
}

// canceled is the error real DynamoDB returns for a transaction cancelled
// with these reasons, one per item.
func canceled(codes ...string) func() error {
	return func() error {
		reasons := make([]types.CancellationReason, len(codes))
		for i, c := range codes {
			reasons[i] = types.CancellationReason{Code: aws.String(c)}
		}
		return &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"), CancellationReasons: reasons}
	}
}

func transactionConflict() error {
	return &types.TransactionConflictException{Message: aws.String("Transaction is ongoing for the item")}
}

// TestConflictOnTheParentIsNotKeyInUse (issue 16, item 4): a child create
// with an Idempotency-Key is a transaction of the parent's check, the child
// and the key's record. When another transaction holds the parent, the
// kit's retries run out on a conflict that says nothing about the key: the
// store is busy (503), not "a request with this key is in progress" (409).
// Only a conflict on the key's own record is that.
func TestConflictOnTheParentIsNotKeyInUse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reasons []string // parent check, child put, key record
		want    error
		notWant error
	}{
		{"on the parent", []string{"TransactionConflict", "None", "None"}, kit.ErrUnavailable, idempotency.ErrKeyInUse},
		{"on the key's record", []string{"None", "None", "TransactionConflict"}, idempotency.ErrKeyInUse, kit.ErrUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			table := ddb.NewTable(t)
			api := &conflicting{API: table.API, op: "TransactWriteItems", err: canceled(tc.reasons...)}
			api.failures.Store(1 << 20) // every attempt
			table.API = api
			codec, _ := repotest.Codecs(t)
			s := dynamo.NewStorage(table, codec)
			ids := repotest.UUIDs(2, 1)
			if _, err := kit.RepositoryOf[repotest.Note](dynamo.NewStorage(dynamo.Table{API: ddb.Client(), Name: table.Name, Schema: table.Schema}, codec), "").
				Create(ctx, repotest.Note{ID: ids[0], Name: "parent"}); err != nil {
				t.Fatal(err)
			}
			claim := &idempotency.Claim{Record: idempotency.Record{Key: "k", Fingerprint: "f", ExpiresAt: time.Now().Add(time.Hour)}, Now: time.Now()}
			_, err := kit.RepositoryOf[repotest.Comment](s, ids[0]).Create(idempotency.WithClaim(ctx, claim), repotest.Comment{ID: ids[1], Text: "hi"})
			if !errors.Is(err, tc.want) || errors.Is(err, tc.notWant) {
				t.Errorf("create: %v; want %v and not %v", err, tc.want, tc.notWant)
			}
			if n := api.calls.Load(); n < 2 {
				t.Errorf("%d attempts: a conflict must be retried before it is given up", n)
			}
		})
	}
}

// TestPlainWritesRetryTransactionConflicts (issue 16, item 5): a PutItem or
// UpdateItem that meets a transaction in flight on its item fails with
// TransactionConflictException, which the SDK's retryer does not retry; the
// kit retries it as it does a transaction's conflicts, so one conflict is
// not a 503.
func TestPlainWritesRetryTransactionConflicts(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"PutItem", "UpdateItem"} {
		t.Run(op, func(t *testing.T) {
			table := ddb.NewTable(t)
			api := &conflicting{API: table.API, op: op, err: transactionConflict}
			table.API = api
			codec, _ := repotest.Codecs(t)
			notes := kit.RepositoryOf[repotest.Note](dynamo.NewStorage(table, codec), "")
			id := repotest.UUIDs(1, 1)[0]
			api.failures.Store(2)
			if op == "UpdateItem" {
				api.failures.Store(0)
				if _, err := notes.Create(ctx, repotest.Note{ID: id, Name: "a"}); err != nil {
					t.Fatal(err)
				}
				api.failures.Store(2)
				if _, err := notes.Update(ctx, id, kit.Patch{Set: map[string]any{"name": "b"}}, kit.AnyVersion); err != nil {
					t.Fatalf("update after two conflicts: %v", err)
				}
			} else if _, err := notes.Create(ctx, repotest.Note{ID: id, Name: "a"}); err != nil {
				t.Fatalf("create after two conflicts: %v", err)
			}
			if n := api.calls.Load(); n != 3 {
				t.Errorf("%d %s calls, want 3: two conflicts retried, then the write", n, op)
			}

			api.failures.Store(1 << 20)
			_, err := notes.Update(ctx, id, kit.Patch{Set: map[string]any{"name": "c"}}, kit.AnyVersion)
			if op == "PutItem" {
				_, err = notes.Create(ctx, repotest.Note{ID: repotest.UUIDs(2, 1)[1], Name: "x"})
			}
			if !errors.Is(err, kit.ErrUnavailable) {
				t.Errorf("a conflict that never ends: %v, want ErrUnavailable (503)", err)
			}
		})
	}
}
