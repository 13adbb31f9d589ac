// Package deadletter keeps the stream records the event function gives up
// on in an Amazon SQS queue, where an operator can read why and replay
// them.
//
// Each record is one message. Its body is JSON:
//
//	{"reason": "...", "record": {...the record as Lambda delivered it...}}
//
// and its attributes carry the record's sequence number and stream ARN, so
// that a queue's messages can be sorted and told apart without parsing
// their bodies.
package deadletter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// The names of the message attributes a dead letter carries.
const (
	// AttrSequenceNumber is the record's sequence number in its stream.
	AttrSequenceNumber = "SequenceNumber"
	// AttrEventSourceARN is the ARN of the stream the record came from.
	AttrEventSourceARN = "EventSourceARN"
)

// DefaultMaxBytes is the largest message SQS takes from a queue that keeps
// its original limit (256 KiB), counting the body and every attribute's
// name, type and value. A queue's limit can be raised; MaxBytes says so.
const DefaultMaxBytes = 256 << 10

// Message is the body of a dead letter.
type Message struct {
	// Reason is why the record was given up.
	Reason string `json:"reason"`
	// Record is the stream record as Lambda delivered it; without its old
	// and new images when Truncated.
	Record events.DynamoDBEventRecord `json:"record"`
	// Truncated says the images were left out to fit the message in the
	// queue's limit. The keys and sequence number still name the item.
	Truncated bool `json:"truncated,omitempty"`
}

// API is the part of the SQS client SQS uses; the SDK's *sqs.Client is one.
type API interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// SQS sends dead letters to one standard queue. It keeps no state, so one
// may serve concurrent invocations. A request that fails as a whole (5xx,
// throttling, a timeout) is retried by the client's own retryer, set where
// the client is made; SQS does not retry again.
type SQS struct {
	API API
	// QueueURL is the queue's URL, as SQS gives it.
	QueueURL string
	// MaxBytes is the queue's message size limit; zero or less means
	// DefaultMaxBytes.
	MaxBytes int
}

// Send puts record in the queue with the reason it is given up. A record
// whose message would exceed the queue's limit is sent without its images
// (Message.Truncated): an item can be 400 KB and a record holds two, and a
// message that never fits would fail the record until the event source
// mapping's retries run out.
func (q *SQS) Send(ctx context.Context, record events.DynamoDBEventRecord, reason error) error {
	if q.API == nil || q.QueueURL == "" {
		return errors.New("deadletter: SQS needs an API and a queue URL")
	}
	why := "unknown"
	if reason != nil {
		why = reason.Error()
	}
	attrs := map[string]types.MessageAttributeValue{}
	// SQS refuses an attribute with an empty value.
	for name, v := range map[string]string{
		AttrSequenceNumber: record.Change.SequenceNumber,
		AttrEventSourceARN: record.EventSourceArn,
	} {
		if v != "" {
			attrs[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	msg := Message{Reason: why, Record: record}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("deadletter: encode record %s: %w", record.Change.SequenceNumber, err)
	}
	limit := q.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if len(body)+attributesSize(attrs) > limit {
		msg.Record.Change.OldImage, msg.Record.Change.NewImage, msg.Truncated = nil, nil, true
		if body, err = json.Marshal(msg); err != nil {
			return fmt.Errorf("deadletter: encode record %s: %w", record.Change.SequenceNumber, err)
		}
	}
	_, err = q.API.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:          aws.String(q.QueueURL),
		MessageBody:       aws.String(string(body)),
		MessageAttributes: attrs,
	})
	if err != nil {
		return fmt.Errorf("deadletter: send record %s: %w", record.Change.SequenceNumber, err)
	}
	return nil
}

// attributesSize is what attrs count against a message's size, as SQS
// counts it: each name, data type and value.
func attributesSize(attrs map[string]types.MessageAttributeValue) int {
	n := 0
	for name, a := range attrs {
		n += len(name) + len(aws.ToString(a.DataType)) + len(aws.ToString(a.StringValue)) + len(a.BinaryValue)
	}
	return n
}
