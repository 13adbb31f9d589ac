// Package sqstest is a stand-in for one Amazon SQS queue's SendMessage, so
// that tests drive the real SDK client over HTTP: it speaks the wire
// protocol the SDK sends (AWS JSON 1.0, X-Amz-Target
// AmazonSQS.SendMessage, in SQS's query-compatible mode), records the
// messages it accepts, and fails requests or holds responses as a test
// scripts it.
//
// It is strict where the sender under test could be wrong: a request SQS
// would refuse as malformed (another operation, unsigned, no body or one
// with characters SQS does not allow, over the size limit, more than ten
// attributes, an attribute with a bad name or type or an empty value)
// fails the test and is answered 400 as SQS would. A message for another
// queue is answered QueueDoesNotExist, as SQS does, without failing the
// test: a wrong queue URL is configuration, which a test may mean to try.
package sqstest

import (
	"bytes"
	"crypto/md5" //nolint:gosec // SQS's own checksum of a message, not security
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdakit/lambdakit/kit/internal/standin"
)

// The wire protocol's names.
const (
	// Target is the X-Amz-Target header of a SendMessage request.
	Target = "AmazonSQS.SendMessage"
	// ContentType is AWS JSON 1.0's content type, both ways.
	ContentType = "application/x-amz-json-1.0"
	// Account is the account id in the stand-in's queue URL.
	Account = "123456789012"
)

// Limits SQS sets on a message, which the stand-in checks.
const (
	// DefaultMaxBytes is a queue's original message size limit, the body
	// and the attributes' names, types and values together.
	DefaultMaxBytes = 256 << 10
	maxAttributes   = 10
)

// Attribute is one message attribute as it arrived.
type Attribute struct {
	DataType    string
	StringValue string
	BinaryValue []byte
}

// Message is one message the queue accepted.
type Message struct {
	// ID is the message id the stand-in answered.
	ID         string
	Body       string
	Attributes map[string]Attribute
}

// Request is one SendMessage request as it arrived and what it was
// answered.
type Request struct {
	// Header is the request's HTTP header.
	Header http.Header
	// Invocation and Attempt are the SDK's amz-sdk-invocation-id and the
	// attempt in its amz-sdk-request header: the SDK's retries of one call
	// share the invocation and count the attempt up.
	Invocation string
	Attempt    int
	// QueueURL and Body are what the request asked to send.
	QueueURL, Body string
	// Status is the HTTP status answered; 0 when the client gave up
	// during a scripted delay and nothing was done.
	Status int
}

// Server is the stand-in: one queue behind an HTTP server on the loopback
// interface.
type Server struct {
	// URL is the base endpoint to give the SDK client.
	URL string
	// Script plays back FailRequests and Delay.
	standin.Script
	// QueueURL is the queue's URL, as SQS would give it.
	QueueURL string
	// MaxBytes is the queue's message size limit; New sets
	// DefaultMaxBytes. Set it before the first request.
	MaxBytes int

	tb   testing.TB
	srv  *httptest.Server
	done chan struct{}

	mu       sync.Mutex
	messages []Message
	requests []Request
	ids      int
}

// New starts a stand-in with one queue named name and stops it when tb
// ends.
func New(tb testing.TB, name string) *Server {
	tb.Helper()
	s := &Server{tb: tb, done: make(chan struct{}), MaxBytes: DefaultMaxBytes}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	s.QueueURL = s.URL + "/" + Account + "/" + name
	tb.Cleanup(s.Close)
	return s
}

// Close stops the server, cutting scripted delays short.
func (s *Server) Close() {
	select {
	case <-s.done:
		return
	default:
		close(s.done)
	}
	s.srv.Close()
}

// Client returns the real SDK client, set up for the stand-in: its URL as
// base endpoint, static credentials, a region, and the SDK's standard
// retryer with three attempts, a millisecond between them and no retry
// quota, so tests are quick and a test's earlier failures do not starve
// its later retries. optFns change that, such as the HTTP client's
// timeout.
func (s *Server) Client(optFns ...func(*sqs.Options)) *sqs.Client {
	return sqs.New(sqs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDSTANDIN", "standin-secret", ""),
		HTTPClient:   awshttp.NewBuildableClient().WithTimeout(5 * time.Second),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 3
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return time.Millisecond, nil })
			o.RateLimiter = ratelimit.None
		}),
	}, optFns...)
}

// Messages returns the messages accepted so far, in the order they were.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Requests returns the SendMessage requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// wireAttribute and wireRequest are SendMessage's request in AWS JSON 1.0;
// blobs travel in base64, which encoding/json reads into []byte.
type wireAttribute struct {
	DataType         *string
	StringValue      *string
	BinaryValue      []byte
	StringListValues []string
	BinaryListValues [][]byte
}

type wireRequest struct {
	QueueUrl                *string //nolint:revive // the wire's name
	MessageBody             *string
	DelaySeconds            *int32
	MessageAttributes       map[string]wireAttribute
	MessageSystemAttributes map[string]wireAttribute
	MessageDeduplicationId  *string //nolint:revive // the wire's name
	MessageGroupId          *string //nolint:revive // the wire's name
}

// errBadRequest is a request SQS would refuse as malformed.
type errBadRequest struct{ code, msg string }

func (e *errBadRequest) Error() string { return e.code + ": " + e.msg }

func invalid(format string, args ...any) error {
	return &errBadRequest{"InvalidParameterValue", fmt.Sprintf(format, args...)}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req, msg, err := s.decode(r)
	if err != nil {
		s.tb.Errorf("sqstest: malformed SendMessage request: %v", err)
		code := "InvalidParameterValue"
		if bad, ok := errors.AsType[*errBadRequest](err); ok {
			code = bad.code
		}
		writeError(w, http.StatusBadRequest, code, err.Error())
		return
	}

	s.mu.Lock()
	at := len(s.requests)
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	if !s.Hold(r, s.done) {
		return // Status stays 0: the client gave up.
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.NextFault(); ok {
		s.requests[at].Status = f.Status
		writeError(w, f.Status, f.Code, "scripted "+f.Code)
		return
	}
	if req.QueueURL != s.QueueURL {
		s.requests[at].Status = http.StatusBadRequest
		writeError(w, http.StatusBadRequest, "QueueDoesNotExist", "The specified queue does not exist.")
		return
	}
	s.ids++
	msg.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", s.ids)
	s.messages = append(s.messages, msg)
	s.requests[at].Status = http.StatusOK
	sum := md5.Sum([]byte(msg.Body)) //nolint:gosec // SQS's checksum
	body, err := json.Marshal(map[string]string{"MessageId": msg.ID, "MD5OfMessageBody": hex.EncodeToString(sum[:])})
	if err != nil {
		s.tb.Errorf("sqstest: encode answer: %v", err)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("standin-request-%d", at))
	_, _ = w.Write(body)
}

// decode reads a SendMessage request and checks that SQS would take it.
func (s *Server) decode(r *http.Request) (Request, Message, error) {
	req := Request{Header: r.Header.Clone(), Invocation: r.Header.Get("Amz-Sdk-Invocation-Id")}
	for part := range strings.SplitSeq(r.Header.Get("Amz-Sdk-Request"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "attempt="); ok {
			req.Attempt, _ = strconv.Atoi(v)
		}
	}
	var msg Message
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		return req, msg, fmt.Errorf("%s %s, want POST /", r.Method, r.URL.Path)
	case r.Header.Get("X-Amz-Target") != Target:
		return req, msg, &errBadRequest{"UnsupportedOperation", fmt.Sprintf("X-Amz-Target %q, want %q", r.Header.Get("X-Amz-Target"), Target)}
	case r.Header.Get("Content-Type") != ContentType:
		return req, msg, fmt.Errorf("Content-Type %q, want %q", r.Header.Get("Content-Type"), ContentType)
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		return req, msg, &errBadRequest{"MissingAuthenticationToken", "request is not signed with SigV4"}
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return req, msg, fmt.Errorf("read body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var wire wireRequest
	if err := dec.Decode(&wire); err != nil {
		return req, msg, fmt.Errorf("decode body: %w", err)
	}
	req.QueueURL, req.Body = aws.ToString(wire.QueueUrl), aws.ToString(wire.MessageBody)
	switch {
	case wire.QueueUrl == nil:
		return req, msg, &errBadRequest{"MissingParameter", "no QueueUrl"}
	case wire.MessageBody == nil || *wire.MessageBody == "":
		return req, msg, &errBadRequest{"MissingParameter", "no MessageBody"}
	case len(wire.MessageAttributes) > maxAttributes:
		return req, msg, invalid("%d message attributes, at most %d", len(wire.MessageAttributes), maxAttributes)
	}
	if err := checkBody(*wire.MessageBody); err != nil {
		return req, msg, err
	}
	msg = Message{Body: *wire.MessageBody, Attributes: map[string]Attribute{}}
	size := len(msg.Body)
	for name, wa := range wire.MessageAttributes {
		a, n, err := attribute(name, wa)
		if err != nil {
			return req, msg, err
		}
		msg.Attributes[name], size = a, size+n
	}
	if size > s.MaxBytes {
		return req, msg, invalid("message of %d bytes, over the queue's %d", size, s.MaxBytes)
	}
	return req, msg, nil
}

// checkBody refuses the characters SQS does not allow in a message: those
// outside XML's (#x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD, #x10000
// to #x10FFFF), and invalid UTF-8.
func checkBody(body string) error {
	if !utf8.ValidString(body) {
		return invalid("the message body is not valid UTF-8")
	}
	for i, r := range body {
		ok := r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
			(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
		if !ok {
			return invalid("the message body has an invalid character at byte %d", i)
		}
	}
	return nil
}

var attributeName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,256}$`)

// attribute checks one message attribute as SQS does and returns it with
// what it counts against the message's size.
func attribute(name string, wa wireAttribute) (Attribute, int, error) {
	lower := strings.ToLower(name)
	switch {
	case !attributeName.MatchString(name) || strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") ||
		strings.Contains(name, "..") || strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon."):
		return Attribute{}, 0, invalid("message attribute name %q is not allowed", name)
	case wa.DataType == nil:
		return Attribute{}, 0, invalid("message attribute %q has no DataType", name)
	case len(wa.StringListValues) > 0 || len(wa.BinaryListValues) > 0:
		return Attribute{}, 0, invalid("message attribute %q: list values are not supported", name)
	}
	a := Attribute{DataType: *wa.DataType, StringValue: aws.ToString(wa.StringValue), BinaryValue: wa.BinaryValue}
	base, _, _ := strings.Cut(a.DataType, ".")
	switch base {
	case "String", "Number":
		if a.StringValue == "" || wa.BinaryValue != nil {
			return a, 0, invalid("message attribute %q must contain a non-empty StringValue for type %s", name, a.DataType)
		}
		if base == "Number" {
			if _, err := strconv.ParseFloat(a.StringValue, 64); err != nil {
				return a, 0, invalid("message attribute %q: %q is not a number", name, a.StringValue)
			}
		}
	case "Binary":
		if len(a.BinaryValue) == 0 || wa.StringValue != nil {
			return a, 0, invalid("message attribute %q must contain a non-empty BinaryValue", name)
		}
	default:
		return a, 0, invalid("message attribute %q has an unknown DataType %q", name, a.DataType)
	}
	return a, len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue), nil
}

// writeError answers as SQS does in AWS JSON 1.0: the shape's name in the
// body's __type and in X-Amzn-ErrorType, and, for its query-compatible
// clients, the query code and fault in X-Amzn-Query-Error.
func writeError(w http.ResponseWriter, status int, code, message string) {
	query, fault := code, "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	if code == "QueueDoesNotExist" {
		query = "AWS.SimpleQueueService.NonExistentQueue"
	}
	body, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": message})
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Amzn-Errortype", code)
	w.Header().Set("X-Amzn-Query-Error", query+";"+fault)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
