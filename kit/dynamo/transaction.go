package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
)

// parentCheck is the transaction item that requires a child's parent.
func (r *repository) parentCheck() (*types.ConditionCheck, error) {
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeExists(expression.Name(r.table.Schema.Keys.PartitionKey))).Build()
	if err != nil {
		return nil, fmt.Errorf("build parent check: %w", err)
	}
	return &types.ConditionCheck{
		TableName:                 aws.String(r.table.Name),
		Key:                       r.parentKey(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	}, nil
}

// errTransactionConflict is a transaction that kept losing races with
// other transactions on its items.
var errTransactionConflict = errors.New("transaction conflict")

// transact runs a write transaction. It returns the index of the first item
// whose condition failed, with the cancellation as the error, or -1.
// DynamoDB leaves a transaction that collided with another one to the
// caller, so that case is retried a few times within ctx.
func (r *repository) transact(ctx context.Context, op string, items []types.TransactWriteItem) (int, error) {
	err := retryConflicts(ctx, func() error {
		_, err := r.table.API.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		return err
	})
	var canceled *types.TransactionCanceledException
	switch {
	case err == nil:
		return -1, nil
	case errors.Is(err, errTransactionConflict):
		return -1, fmt.Errorf("%w: dynamodb %s: %w", kit.ErrUnavailable, op, err)
	case !errors.As(err, &canceled):
		return -1, storeError(op, err)
	}
	for i, reason := range canceled.CancellationReasons {
		if aws.ToString(reason.Code) == "ConditionalCheckFailed" {
			return i, err
		}
	}
	return -1, storeError(op, err)
}

// retryConflicts calls f again, with a short growing pause, while it fails
// only because another transaction held one of its items: a transaction
// cancelled for conflicts alone, or a plain write that met a transaction
// in flight on its item (TransactionConflictException, which the SDK's
// retryer does not retry).
func retryConflicts(ctx context.Context, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		var canceled *types.TransactionCanceledException
		var conflict *types.TransactionConflictException
		switch {
		case errors.As(err, &canceled) && onlyConflicts(canceled.CancellationReasons):
		case errors.As(err, &conflict):
		default:
			return err
		}
		if attempt == 3 {
			return fmt.Errorf("%w: %w", errTransactionConflict, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", errTransactionConflict, err)
		case <-time.After(time.Duration(10<<attempt) * time.Millisecond):
		}
	}
}

// conflictAt reports whether err is a transaction cancelled because another
// transaction held item i.
func conflictAt(err error, i int) bool {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) || i >= len(canceled.CancellationReasons) {
		return false
	}
	return aws.ToString(canceled.CancellationReasons[i].Code) == "TransactionConflict"
}

func onlyConflicts(reasons []types.CancellationReason) bool {
	conflict := false
	for _, r := range reasons {
		switch aws.ToString(r.Code) {
		case "TransactionConflict":
			conflict = true
		case "", "None":
		default:
			return false
		}
	}
	return conflict
}

// errorItem returns the item a failed transaction returned for item i.
func errorItem(err error, i int) map[string]types.AttributeValue {
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) || i >= len(canceled.CancellationReasons) {
		return nil
	}
	return canceled.CancellationReasons[i].Item
}
