package deadletter_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/lambdakit/lambdakit/kit/deadletter"
	"github.com/lambdakit/lambdakit/kit/deadletter/sqstest"
	"github.com/lambdakit/lambdakit/kit/relay"
)

var _ relay.DeadLetters = (*deadletter.SQS)(nil)

const arn = "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026-01-01T00:00:00.000"

func record(seq string, image map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
	return events.DynamoDBEventRecord{
		EventID: "e-" + seq, EventName: "INSERT", EventSource: "aws:dynamodb", EventSourceArn: arn, EventVersion: "1.1", AWSRegion: "us-east-1",
		Change: events.DynamoDBStreamRecord{
			SequenceNumber: seq, StreamViewType: "NEW_AND_OLD_IMAGES", SizeBytes: 42,
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: time.Unix(1767225600, 0)},
			Keys:                        map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute("A#1"), "SK": events.NewStringAttribute("A")},
			NewImage:                    image,
		},
	}
}

// sample is the first record of aws-lambda-go's sample DynamoDB event, as
// Lambda delivers it, and its JSON.
func sample(t *testing.T) (events.DynamoDBEventRecord, json.RawMessage) {
	t.Helper()
	// The sample ships in aws-lambda-go's module, at the version go.mod
	// requires.
	dir, err := exec.CommandContext(t.Context(), "go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		t.Fatalf("find aws-lambda-go's module: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "events", "testdata", "dynamodb-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	var batch events.DynamoDBEvent
	var rawBatch struct{ Records []json.RawMessage }
	if err := json.Unmarshal(raw, &batch); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rawBatch); err != nil {
		t.Fatal(err)
	}
	return batch.Records[0], rawBatch.Records[0]
}

func sender(srv *sqstest.Server, optFns ...func(*sqs.Options)) *deadletter.SQS {
	return &deadletter.SQS{API: srv.Client(optFns...), QueueURL: srv.QueueURL}
}

func body(t *testing.T, m sqstest.Message) (deadletter.Message, map[string]json.RawMessage) {
	t.Helper()
	var msg deadletter.Message
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(m.Body), &msg); err != nil {
		t.Fatalf("body %q: %v", m.Body, err)
	}
	if err := json.Unmarshal([]byte(m.Body), &raw); err != nil {
		t.Fatal(err)
	}
	return msg, raw
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	return reflect.DeepEqual(x, y)
}

// TestSendKeepsTheRecordAsDelivered sends the record of aws-lambda-go's
// sample event, every attribute type in it, and checks the message holds
// the reason and the very JSON Lambda delivered, with the sequence number
// and stream ARN as attributes.
func TestSendKeepsTheRecordAsDelivered(t *testing.T) {
	t.Parallel()
	srv := sqstest.New(t, "dlq")
	rec, raw := sample(t)

	if err := sender(srv).Send(t.Context(), rec, errors.New("kind \"\" is not declared")); err != nil {
		t.Fatal(err)
	}

	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	msg, fields := body(t, msgs[0])
	if msg.Reason != `kind "" is not declared` || msg.Truncated {
		t.Errorf("reason %q, truncated %v", msg.Reason, msg.Truncated)
	}
	if !jsonEqual(t, fields["record"], raw) {
		t.Errorf("record in the message\n%s\nwant the delivered\n%s", fields["record"], raw)
	}
	want := map[string]sqstest.Attribute{
		deadletter.AttrSequenceNumber: {DataType: "String", StringValue: "1405400000000002063282832"},
		deadletter.AttrEventSourceARN: {DataType: "String", StringValue: "arn:aws:dynamodb:us-east-1:123456789012:table/Example-Table/stream/2016-12-01T00:00:00.000"},
	}
	if !reflect.DeepEqual(msgs[0].Attributes, want) {
		t.Errorf("attributes %+v, want %+v", msgs[0].Attributes, want)
	}
}

// TestSendFits checks what a message holds as it nears the queue's limit:
// a record too large for it loses its images, and only then.
func TestSendFits(t *testing.T) {
	t.Parallel()
	big := func(n int) map[string]events.DynamoDBAttributeValue {
		return map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute("A#1"), "pad": events.NewStringAttribute(strings.Repeat("x", n))}
	}
	tests := []struct {
		name      string
		record    events.DynamoDBEventRecord
		maxBytes  int // the queue's and the sender's; 0 for the default
		truncated bool
		attrs     []string
	}{
		{name: "small", record: record("100", big(10)), attrs: []string{deadletter.AttrSequenceNumber, deadletter.AttrEventSourceARN}},
		{name: "just under 256 KiB", record: record("101", big(256<<10-800)), attrs: []string{deadletter.AttrSequenceNumber, deadletter.AttrEventSourceARN}},
		{name: "an item of 300 KB", record: record("102", big(300<<10)), truncated: true, attrs: []string{deadletter.AttrSequenceNumber, deadletter.AttrEventSourceARN}},
		{name: "300 KB in a queue of 1 MiB", record: record("103", big(300<<10)), maxBytes: 1 << 20, attrs: []string{deadletter.AttrSequenceNumber, deadletter.AttrEventSourceARN}},
		{name: "no sequence number nor ARN", record: events.DynamoDBEventRecord{EventName: "INSERT", Change: events.DynamoDBStreamRecord{
			ApproximateCreationDateTime: events.SecondsEpochTime{Time: time.Unix(1767225600, 0)},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := sqstest.New(t, "dlq")
			q := sender(srv)
			if tt.maxBytes > 0 {
				srv.MaxBytes, q.MaxBytes = tt.maxBytes, tt.maxBytes
			}

			if err := q.Send(t.Context(), tt.record, errors.New("poison")); err != nil {
				t.Fatal(err)
			}

			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages, want 1", len(msgs))
			}
			msg, _ := body(t, msgs[0])
			if msg.Truncated != tt.truncated {
				t.Errorf("truncated %v, want %v", msg.Truncated, tt.truncated)
			}
			want := tt.record
			if tt.truncated {
				want.Change.NewImage, want.Change.OldImage = nil, nil
			}
			if !reflect.DeepEqual(msg.Record, want) {
				t.Errorf("record %s with %d and %d image attributes, want %s with %d and %d", msg.Record.Change.SequenceNumber,
					len(msg.Record.Change.OldImage), len(msg.Record.Change.NewImage), want.Change.SequenceNumber, len(want.Change.OldImage), len(want.Change.NewImage))
			}
			var attrs []string
			for _, name := range []string{deadletter.AttrSequenceNumber, deadletter.AttrEventSourceARN} {
				if _, ok := msgs[0].Attributes[name]; ok {
					attrs = append(attrs, name)
				}
			}
			if !reflect.DeepEqual(attrs, tt.attrs) || len(msgs[0].Attributes) != len(tt.attrs) {
				t.Errorf("attributes %v, want %v", msgs[0].Attributes, tt.attrs)
			}
		})
	}
}

// TestSendFaults sends through the SDK client while SQS fails: the
// client's retryer rides out 500s and a timeout, and Send fails, wrapping
// SQS's error, once its attempts are spent or the queue is wrong.
func TestSendFaults(t *testing.T) {
	t.Parallel()
	// A held request is cut short by the client's timeout; one that is
	// answered must beat it even on a loaded machine under -race.
	timeout := func(d time.Duration) func(*sqs.Options) {
		return func(o *sqs.Options) { o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(d) }
	}
	tests := []struct {
		name     string
		script   func(*sqstest.Server)
		client   []func(*sqs.Options)
		queue    string // a path to send to instead of the queue's
		statuses []int  // the stand-in's answers, 0 for a request given up
		check    func(*testing.T, error)
	}{
		{
			name:     "two 500s, then sent",
			script:   func(s *sqstest.Server) { s.FailRequests(2, http.StatusInternalServerError, "InternalError") },
			statuses: []int{500, 500, 200},
		},
		{
			name:     "throttled, then sent",
			script:   func(s *sqstest.Server) { s.FailRequests(1, http.StatusBadRequest, "RequestThrottled") },
			statuses: []int{400, 200},
		},
		{
			name:     "a timeout, then sent",
			script:   func(s *sqstest.Server) { s.Delay(1, time.Minute) },
			client:   []func(*sqs.Options){timeout(2 * time.Second)},
			statuses: []int{0, 200},
		},
		{
			name:     "500s past the attempts",
			script:   func(s *sqstest.Server) { s.FailRequests(3, http.StatusInternalServerError, "InternalError") },
			statuses: []int{500, 500, 500},
			check: func(t *testing.T, err error) {
				var api smithy.APIError
				if !errors.As(err, &api) || api.ErrorCode() != "InternalError" {
					t.Errorf("error %v, want SQS's InternalError", err)
				}
			},
		},
		{
			name:     "timeouts past the attempts",
			script:   func(s *sqstest.Server) { s.Delay(3, time.Minute) },
			client:   []func(*sqs.Options){timeout(100 * time.Millisecond)},
			statuses: []int{0, 0, 0},
			check: func(t *testing.T, err error) {
				if err == nil || !strings.Contains(err.Error(), "deadletter: send record 100") {
					t.Errorf("error %v, want the send's", err)
				}
			},
		},
		{
			name:     "no such queue",
			queue:    "/" + sqstest.Account + "/gone",
			statuses: []int{400},
			check: func(t *testing.T, err error) {
				if _, ok := errors.AsType[*types.QueueDoesNotExist](err); !ok {
					t.Errorf("error %v, want QueueDoesNotExist", err)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := sqstest.New(t, "dlq")
			if tt.script != nil {
				tt.script(srv)
			}
			q := sender(srv, tt.client...)
			if tt.queue != "" {
				q.QueueURL = srv.URL + tt.queue
			}

			err := q.Send(t.Context(), record("100", nil), errors.New("poison"))

			if tt.check == nil && err != nil {
				t.Fatalf("Send: %v", err)
			}
			if tt.check != nil {
				tt.check(t, err)
			}
			reqs := srv.Requests()
			var statuses []int
			for _, r := range reqs {
				statuses = append(statuses, r.Status)
				if r.Invocation != reqs[0].Invocation {
					t.Errorf("requests of two invocations: %+v", reqs)
				}
			}
			if !reflect.DeepEqual(statuses, tt.statuses) {
				t.Errorf("answers %v, want %v", statuses, tt.statuses)
			}
			wantSent := tt.check == nil
			if n := len(srv.Messages()); (n == 1) != wantSent || n > 1 {
				t.Errorf("%d messages in the queue, want sent %v", n, wantSent)
			}
		})
	}
}

// TestSendNeedsAQueue checks a sender without a queue fails before
// sending.
func TestSendNeedsAQueue(t *testing.T) {
	t.Parallel()
	srv := sqstest.New(t, "dlq")
	q := &deadletter.SQS{API: srv.Client()}
	if err := q.Send(t.Context(), record("1", nil), errors.New("x")); err == nil {
		t.Error("Send without a queue URL succeeded")
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}
