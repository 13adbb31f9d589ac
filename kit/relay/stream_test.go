package relay_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/lambdakit/lambdakit/kit/relay"
)

// shardedStream is a DynamoDB Streams API over a stream of two open
// shards, A and B, of two records each, that fails the first GetRecords
// on the second shard a Read visits, after the first shard's records were
// read. DynamoDB Local keeps one shard per stream, so it cannot show what
// a transient error between shards does.
type shardedStream struct {
	last   string // the shard of the last GetRecords
	failed bool
}

func (s *shardedStream) DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: &streamtypes.StreamDescription{
		Shards: []streamtypes.Shard{{ShardId: aws.String("A")}, {ShardId: aws.String("B")}},
	}}, nil
}

func (s *shardedStream) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(aws.ToString(in.ShardId) + ":0")}, nil
}

// GetRecords reads shard:from, and returns the shard's records from there
// on, the iterator after them.
func (s *shardedStream) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	shard, pos, _ := strings.Cut(aws.ToString(in.ShardIterator), ":")
	if s.last != "" && s.last != shard && !s.failed {
		s.failed = true
		return nil, errors.New("ProvisionedThroughputExceededException")
	}
	s.last = shard
	from, _ := strconv.Atoi(pos)
	out := &dynamodbstreams.GetRecordsOutput{NextShardIterator: aws.String(fmt.Sprintf("%s:%d", shard, 2))}
	for i := from; i < 2; i++ {
		seq := fmt.Sprintf("%s%d", shard, i)
		out.Records = append(out.Records, streamtypes.Record{
			EventName: streamtypes.OperationTypeInsert,
			Dynamodb: &streamtypes.StreamRecord{SequenceNumber: aws.String(seq), NewImage: map[string]streamtypes.AttributeValue{
				"PK": &streamtypes.AttributeValueMemberS{Value: seq}, "SK": &streamtypes.AttributeValueMemberS{Value: seq},
			}},
		})
	}
	return out, nil
}

// TestStreamReadError reads a stream whose second shard fails once: every
// record is returned once over the two Reads, as Poll, which keeps what a
// failed Read returns, needs.
func TestStreamReadError(t *testing.T) {
	t.Parallel()
	stream := &relay.Stream{API: &shardedStream{}, ARN: "arn:stream"}
	var seqs []string
	var errs int
	for range 2 {
		recs, err := stream.Read(t.Context())
		if err != nil {
			errs++
		}
		for _, r := range recs {
			seqs = append(seqs, r.Change.SequenceNumber)
		}
	}
	slices.Sort(seqs)
	if want := []string{"A0", "A1", "B0", "B1"}; errs != 1 || !slices.Equal(seqs, want) {
		t.Errorf("%d failed Reads returned %v, want 1 and %v, each once", errs, seqs, want)
	}
}
