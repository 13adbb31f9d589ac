package sqstest_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/lambdakit/lambdakit/kit/deadletter/sqstest"
)

// recorder is a testing.TB that keeps the stand-in's complaints instead of
// failing the test, so a test can check it complains.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) complaints() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

// TestWireProtocol sends a message with the SDK client alone and checks
// what the SDK put on the wire: the stand-in's protocol is the SDK's.
func TestWireProtocol(t *testing.T) {
	t.Parallel()
	rec := &recorder{TB: t}
	srv := sqstest.New(rec, "dlq")
	body := `{"k":"v","odd":"tab	and ünïcödé and 😀"}`

	out, err := srv.Client().SendMessage(t.Context(), &sqs.SendMessageInput{
		QueueUrl:    aws.String(srv.QueueURL),
		MessageBody: aws.String(body),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"Seq": {DataType: aws.String("String"), StringValue: aws.String("000123")},
			"Bin": {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2}},
			"Num": {DataType: aws.String("Number.int"), StringValue: aws.String("42")},
		},
	})
	// The SDK checks the answer's MD5 of the body: no error means the
	// stand-in computed it as SQS does.
	if err != nil {
		t.Fatal(err)
	}

	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	h := reqs[0].Header
	for name, want := range map[string]string{
		"X-Amz-Target":      "AmazonSQS.SendMessage",
		"Content-Type":      "application/x-amz-json-1.0",
		"X-Amzn-Query-Mode": "true",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.Body != body || aws.ToString(out.MessageId) != m.ID || m.ID == "" {
		t.Errorf("message %+v, answered id %q", m, aws.ToString(out.MessageId))
	}
	want := map[string]sqstest.Attribute{
		"Seq": {DataType: "String", StringValue: "000123"},
		"Bin": {DataType: "Binary", BinaryValue: []byte{0, 1, 2}},
		"Num": {DataType: "Number.int", StringValue: "42"},
	}
	if fmt.Sprint(m.Attributes) != fmt.Sprint(want) {
		t.Errorf("attributes %v, want %v", m.Attributes, want)
	}
	if errs := rec.complaints(); len(errs) != 0 {
		t.Errorf("stand-in complained of the SDK's request: %q", errs)
	}
}

// TestErrorsReachTheSDKTyped checks that the stand-in's error answers are
// read by the SDK as SQS's: a missing queue as the modelled
// QueueDoesNotExist with its query code, a 500 as a retried server fault.
func TestErrorsReachTheSDKTyped(t *testing.T) {
	t.Parallel()
	srv := sqstest.New(t, "dlq")
	send := func(url string) error {
		_, err := srv.Client().SendMessage(t.Context(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("x")})
		return err
	}

	err := send(srv.URL + "/" + sqstest.Account + "/other")
	var missing *types.QueueDoesNotExist
	if !errors.As(err, &missing) || missing.ErrorCode() != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("another queue: %v, want QueueDoesNotExist with its query code", err)
	}

	srv.FailRequests(3, http.StatusInternalServerError, "InternalError")
	err = send(srv.QueueURL)
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InternalError" || api.ErrorFault() != smithy.FaultServer {
		t.Errorf("500s: %v, want InternalError, a server fault", err)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 || reqs[3].Attempt != 3 || reqs[3].Invocation != reqs[1].Invocation {
		t.Errorf("requests %+v, want the 500 sent three times by one invocation", reqs)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages accepted, want none", n)
	}
}

func request(attrs map[string]any, body any) string {
	m := map[string]any{"QueueUrl": "QUEUE", "MessageAttributes": attrs}
	if body != nil {
		m["MessageBody"] = body
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func str(v string) map[string]any { return map[string]any{"DataType": "String", "StringValue": v} }

// TestMalformedRequests sends requests the sender must never send and
// checks the stand-in answers 400 as SQS does and fails the test.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	eleven := map[string]any{}
	for i := range 11 {
		eleven[fmt.Sprintf("A%d", i)] = str("v")
	}
	for _, tt := range []struct {
		name, target, body, complaint string
		unsigned                      bool
	}{
		{name: "another operation", target: "AmazonSQS.ReceiveMessage", body: request(nil, "x"), complaint: "X-Amz-Target"},
		{name: "unsigned", body: request(nil, "x"), unsigned: true, complaint: "not signed"},
		{name: "not JSON", body: "Action=SendMessage", complaint: "decode body"},
		{name: "unknown field", body: `{"QueueUrl":"QUEUE","MessageBody":"x","Body":"y"}`, complaint: "unknown field"},
		{name: "no body", body: request(nil, nil), complaint: "no MessageBody"},
		{name: "control character", body: request(nil, "a\x00b"), complaint: "invalid character"},
		{name: "over 256 KiB", body: request(nil, strings.Repeat("x", 256<<10+1)), complaint: "over the queue's"},
		{name: "attributes count toward the size", body: request(map[string]any{"Pad": str(strings.Repeat("x", 100))}, strings.Repeat("x", 256<<10-100)), complaint: "over the queue's"},
		{name: "eleven attributes", body: request(eleven, "x"), complaint: "11 message attributes"},
		{name: "empty string value", body: request(map[string]any{"Seq": str("")}, "x"), complaint: "non-empty StringValue"},
		{name: "reserved name", body: request(map[string]any{"AWS.Trace": str("v")}, "x"), complaint: "not allowed"},
		{name: "bad name", body: request(map[string]any{"a b": str("v")}, "x"), complaint: "not allowed"},
		{name: "unknown type", body: request(map[string]any{"A": map[string]any{"DataType": "Text", "StringValue": "v"}}, "x"), complaint: "unknown DataType"},
		{name: "not a number", body: request(map[string]any{"A": map[string]any{"DataType": "Number", "StringValue": "v"}}, "x"), complaint: "not a number"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{TB: t}
			srv := sqstest.New(rec, "dlq")
			target := sqstest.Target
			if tt.target != "" {
				target = tt.target
			}
			body := strings.ReplaceAll(tt.body, "QUEUE", srv.QueueURL)
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", target)
			req.Header.Set("Content-Type", sqstest.ContentType)
			if !tt.unsigned {
				req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var answer struct {
				Type string `json:"__type"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(answer.Type, "com.amazonaws.sqs#") {
				t.Errorf("answered %d %q, want 400 and an SQS error", resp.StatusCode, answer.Type)
			}
			errs := rec.complaints()
			if len(errs) != 1 || !strings.Contains(errs[0], tt.complaint) {
				t.Errorf("complaints %q, want one about %q", errs, tt.complaint)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("accepted %d messages of a malformed request", n)
			}
		})
	}
}
