package relay

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit/dynamo"
)

// StreamsAPI is the part of the DynamoDB Streams client a Stream calls.
type StreamsAPI interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, opts ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// Stream reads a table's stream from its start, shard by shard, the way
// Lambda's event source mapping does for the deployed function: locally,
// against DynamoDB Local, and in tests. It is not safe for concurrent use.
type Stream struct {
	API StreamsAPI
	ARN string

	iterators map[string]*string // open shards' next iterators
	done      map[string]bool    // shards read to their end
}

// Read returns the records written since the last Read, in each shard's
// order (one item's changes are always in one shard, in order). With an
// error, it returns the records it read before it, which no later Read
// returns again.
func (s *Stream) Read(ctx context.Context) ([]events.DynamoDBEventRecord, error) {
	if s.iterators == nil {
		s.iterators, s.done = map[string]*string{}, map[string]bool{}
	}
	if err := s.discover(ctx); err != nil {
		return nil, err
	}
	var out []events.DynamoDBEventRecord
	for shard, it := range s.iterators {
		for it != nil {
			page, err := s.API.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(1000)})
			if err != nil {
				// Earlier shards' iterators, and this one's, are past what
				// out holds: dropping it would lose those records.
				s.iterators[shard] = it
				return out, fmt.Errorf("read stream shard %s: %w", shard, err)
			}
			read := len(out)
			for _, rec := range page.Records {
				r, err := s.record(rec)
				if err != nil {
					s.iterators[shard] = it // the page is read again
					return out[:read], err
				}
				out = append(out, r)
			}
			it = page.NextShardIterator
			if len(page.Records) == 0 {
				break
			}
		}
		if it == nil {
			delete(s.iterators, shard)
			s.done[shard] = true
		} else {
			s.iterators[shard] = it
		}
	}
	return out, nil
}

// discover opens the shards it has not seen, from their start.
func (s *Stream) discover(ctx context.Context) error {
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(s.ARN)}
	for {
		out, err := s.API.DescribeStream(ctx, in)
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		for _, shard := range out.StreamDescription.Shards {
			id := aws.ToString(shard.ShardId)
			if _, open := s.iterators[id]; open || s.done[id] {
				continue
			}
			it, err := s.API.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
				StreamArn: aws.String(s.ARN), ShardId: shard.ShardId, ShardIteratorType: streamtypes.ShardIteratorTypeTrimHorizon,
			})
			if err != nil {
				return fmt.Errorf("open stream shard %s: %w", id, err)
			}
			s.iterators[id] = it.ShardIterator
		}
		if out.StreamDescription.LastEvaluatedShardId == nil {
			return nil
		}
		in.ExclusiveStartShardId = out.StreamDescription.LastEvaluatedShardId
	}
}

func (s *Stream) record(rec streamtypes.Record) (events.DynamoDBEventRecord, error) {
	c := dynamo.Change{Op: string(rec.EventName)}
	var err error
	if c.Old, err = attributevalue.FromDynamoDBStreamsMap(rec.Dynamodb.OldImage); err != nil {
		return events.DynamoDBEventRecord{}, fmt.Errorf("stream record: %w", err)
	}
	if c.New, err = attributevalue.FromDynamoDBStreamsMap(rec.Dynamodb.NewImage); err != nil {
		return events.DynamoDBEventRecord{}, fmt.Errorf("stream record: %w", err)
	}
	if len(c.Old) == 0 {
		c.Old = nil
	}
	if len(c.New) == 0 {
		c.New = nil
	}
	return RecordOf(c, aws.ToString(rec.Dynamodb.SequenceNumber), s.ARN), nil
}

// Handler is a batch handler: Relay.Handle.
type Handler func(ctx context.Context, batch events.DynamoDBEvent) (events.DynamoDBEventResponse, error)

// Poll feeds what a stream holds to handle, in batches of at most
// batchSize, until ctx ends, as the deployed event source mapping does:
// a batch whose response names a failed record is sent again from that
// record, up to attempts times, and then given up (the deployed mapping
// sends it to the dead-letter queue; here it is logged).
func Poll(ctx context.Context, s *Stream, handle Handler, log *zap.Logger, every time.Duration) error {
	const batchSize, attempts = 100, 3
	var backlog []events.DynamoDBEventRecord
	tries := 0
	for {
		recs, err := s.Read(ctx)
		switch {
		case ctx.Err() != nil:
			return nil //nolint:nilerr // stopping is not a failure
		case err != nil:
			log.Warn("read the stream", zap.Error(err))
		}
		backlog = append(backlog, recs...)
		for len(backlog) > 0 {
			batch := backlog[:min(batchSize, len(backlog))]
			resp, err := handle(ctx, events.DynamoDBEvent{Records: batch})
			done := len(batch)
			if err == nil && len(resp.BatchItemFailures) > 0 {
				done = indexOf(batch, resp.BatchItemFailures[0].ItemIdentifier)
			} else if err != nil {
				done = 0
			}
			if done == len(batch) {
				backlog, tries = backlog[len(batch):], 0
				continue
			}
			backlog = backlog[done:]
			if tries++; tries < attempts {
				break // try it again after a pause
			}
			log.Error("stream record given up after retries", zap.String("sequenceNumber", backlog[0].Change.SequenceNumber))
			backlog, tries = backlog[1:], 0
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

func indexOf(batch []events.DynamoDBEventRecord, seq string) int {
	for i, r := range batch {
		if strings.EqualFold(r.Change.SequenceNumber, seq) {
			return i
		}
	}
	return 0
}
