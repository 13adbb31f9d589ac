package relay

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit/event"
)

// Log is the Publisher of a service with no event bus, as locally: each
// event is one JSON line in the log.
type Log struct{ Log *zap.Logger }

// Publish implements Publisher.
func (l Log) Publish(_ context.Context, evs []event.Event) error {
	for _, ev := range evs {
		l.Log.Info("event", zap.String("detailType", ev.Metadata.Name), zap.Any("detail", ev))
	}
	return nil
}

// LogDeadLetters is the DeadLetters of a service with no queue: the record
// goes to the log at error level.
type LogDeadLetters struct{ Log *zap.Logger }

// Send implements DeadLetters.
func (l LogDeadLetters) Send(_ context.Context, record events.DynamoDBEventRecord, reason error) error {
	b, err := json.Marshal(record)
	if err != nil {
		return fmt.Errorf("encode the dead letter: %w", err)
	}
	l.Log.Error("dead letter", zap.ByteString("record", b), zap.Error(reason))
	return nil
}
