package relay_test

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/relay"
)

// failing is a Publisher that refuses everything, however little it is
// given, as a publisher other than the kit's might.
type failing struct{ partial int }

func (f failing) Publish(context.Context, []event.Event) error { return f }
func (f failing) Error() string                                { return "refused" }
func (f failing) FirstUnpublished() int                        { return f.partial }

// TestHandleSurvivesAnyPublisherError keeps Handle from indexing past its
// events when a publisher fails a batch that carries none, or claims more
// published than it was given.
func TestHandleSurvivesAnyPublisherError(t *testing.T) {
	batch := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{
		relay.RecordOf(dynamo.Change{Op: dynamo.ChangeRemove, Old: map[string]types.AttributeValue{}}, "1", "arn"),
	}}
	for _, p := range []relay.Publisher{failing{partial: 0}, failing{partial: 5}, failing{partial: -1}} {
		r := &relay.Relay{Events: dynamo.Events{Schema: dynamo.Layout(), Catalog: event.NewCatalog()},
			Publisher: p, DeadLetters: relay.LogDeadLetters{Log: zap.NewNop()}, Log: zap.NewNop()}
		resp, err := r.Handle(context.Background(), batch)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Errorf("%+v: a batch with no events failed: %v %+v", p, err, resp)
		}
	}
}
