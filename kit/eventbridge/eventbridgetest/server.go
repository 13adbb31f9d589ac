// Package eventbridgetest is a stand-in for Amazon EventBridge's PutEvents,
// so that tests drive the real SDK client over HTTP: it speaks the wire
// protocol (AWS JSON 1.1), records the entries it accepts, and fails
// entries, requests or response times as a test scripts it.
//
// It is strict where the publisher under test could be wrong: a request
// that is not a well-formed PutEvents for its bus (wrong operation, no
// signature, no entries or more than ten, too large, an entry without
// source, detail type or an object as detail, another bus) fails the test,
// and is answered 400 as EventBridge would.
package eventbridgetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/internal/standin"
)

// The wire protocol's names.
const (
	// Target is the X-Amz-Target header of a PutEvents request.
	Target = "AWSEvents.PutEvents"
	// ContentType is AWS JSON 1.1's content type, both ways.
	ContentType = "application/x-amz-json-1.1"
)

// Limits the stand-in checks, as EventBridge does: entries per request, and
// their size together counted by AWS's formula (which leaves out the bus
// name and trace header).
const (
	maxEntries = 10
	maxBytes   = 256 << 10
)

// Entry is one PutEvents entry as it arrived.
type Entry struct {
	// ID is the event id the stand-in answered, for an accepted entry.
	ID string
	// The entry's fields as sent; TraceHeader is "" when it had none.
	Source, DetailType, Detail, EventBusName, TraceHeader string
	Resources                                             []string
	// Time is the entry's time; zero when it had none.
	Time time.Time
}

// Event decodes the detail as a kit event; the zero Event when it is not
// one.
func (e Entry) Event() event.Event {
	var ev event.Event
	_ = json.Unmarshal([]byte(e.Detail), &ev)
	return ev
}

// EventID matches an entry whose detail is the kit event with id.
func EventID(id string) func(Entry) bool {
	return func(e Entry) bool { return e.Event().Metadata.ID == id }
}

// Request is one PutEvents request as it arrived and what it was answered.
type Request struct {
	// Entries are the request's entries, in order.
	Entries []Entry
	// Invocation and Attempt are the SDK's amz-sdk-invocation-id and the
	// attempt in its amz-sdk-request header: the SDK's retries of one call
	// share the invocation and count the attempt up.
	Invocation string
	Attempt    int
	// Status is the HTTP status answered; 0 when the client gave up
	// during a scripted delay and nothing was done.
	Status int
	// Refused counts the entries answered with an error code.
	Refused int
}

type entryFault struct {
	match func(Entry) bool
	code  string
	left  int // < 0: without end
}

// Server is the stand-in: an HTTP server on the loopback interface.
type Server struct {
	// URL is the base endpoint to give the SDK client.
	URL string
	// Script plays back FailRequests and Delay.
	standin.Script

	tb   testing.TB
	bus  string
	srv  *httptest.Server
	done chan struct{}

	mu          sync.Mutex
	accepted    []Entry
	requests    []Request
	entryFaults []*entryFault
	ids         int
}

// New starts a stand-in that accepts events for bus and stops it when tb
// ends.
func New(tb testing.TB, bus string) *Server {
	tb.Helper()
	s := &Server{tb: tb, bus: bus, done: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
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
func (s *Server) Client(optFns ...func(*eventbridge.Options)) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
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

// FailEntries answers the next times entries that match with the error
// code (such as "InternalFailure" or "ThrottlingException") instead of
// accepting them; times < 0 fails every one.
func (s *Server) FailEntries(match func(Entry) bool, code string, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entryFaults = append(s.entryFaults, &entryFault{match: match, code: code, left: times})
}

// Accepted returns the entries accepted so far, in the order they were.
func (s *Server) Accepted() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Entry(nil), s.accepted...)
}

// Requests returns the PutEvents requests received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// wireEntry and wireRequest are PutEvents' request in AWS JSON 1.1.
type wireEntry struct {
	Source, DetailType, Detail, EventBusName, TraceHeader *string
	Resources                                             []string
	// Time is in epoch seconds, as AWS JSON sends timestamps.
	Time *json.Number
}

type wireRequest struct {
	Entries    []wireEntry
	EndpointId *string //nolint:revive // the wire's name
}

type wireResult struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	req, entries, err := s.decode(r)
	if err != nil {
		s.tb.Errorf("eventbridgetest: malformed PutEvents request: %v", err)
		writeError(w, http.StatusBadRequest, "ValidationException", err.Error())
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
	results := make([]wireResult, len(entries))
	failed := 0
	for i, e := range entries {
		if code := s.fault(e); code != "" {
			results[i] = wireResult{ErrorCode: code, ErrorMessage: "scripted " + code}
			failed++
			continue
		}
		s.ids++
		e.ID = fmt.Sprintf("standin-%08d", s.ids)
		s.accepted = append(s.accepted, e)
		results[i] = wireResult{EventID: e.ID}
	}
	s.requests[at].Status = http.StatusOK
	s.requests[at].Refused = failed
	body, err := json.Marshal(struct {
		FailedEntryCount int
		Entries          []wireResult
	}{failed, results})
	if err != nil {
		s.tb.Errorf("eventbridgetest: encode answer: %v", err)
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Amzn-Requestid", fmt.Sprintf("standin-request-%d", at))
	_, _ = w.Write(body)
}

// fault is the error code a script has for e, or "". s.mu is held.
func (s *Server) fault(e Entry) string {
	for _, f := range s.entryFaults {
		if f.left != 0 && f.match(e) {
			if f.left > 0 {
				f.left--
			}
			return f.code
		}
	}
	return ""
}

// decode reads a PutEvents request and checks it is one EventBridge would
// take for the bus.
func (s *Server) decode(r *http.Request) (Request, []Entry, error) {
	req := Request{Invocation: r.Header.Get("Amz-Sdk-Invocation-Id")}
	for part := range strings.SplitSeq(r.Header.Get("Amz-Sdk-Request"), ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(part), "attempt="); ok {
			req.Attempt, _ = strconv.Atoi(v)
		}
	}
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		return req, nil, fmt.Errorf("%s %s, want POST /", r.Method, r.URL.Path)
	case r.Header.Get("X-Amz-Target") != Target:
		return req, nil, fmt.Errorf("X-Amz-Target %q, want %q", r.Header.Get("X-Amz-Target"), Target)
	case r.Header.Get("Content-Type") != ContentType:
		return req, nil, fmt.Errorf("Content-Type %q, want %q", r.Header.Get("Content-Type"), ContentType)
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 "):
		return req, nil, errors.New("request is not signed with SigV4")
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return req, nil, fmt.Errorf("read body: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var wire wireRequest
	if err := dec.Decode(&wire); err != nil {
		return req, nil, fmt.Errorf("decode body: %w", err)
	}
	if n := len(wire.Entries); n == 0 || n > maxEntries {
		return req, nil, fmt.Errorf("%d entries, want 1 to %d", n, maxEntries)
	}
	size := 0
	entries := make([]Entry, len(wire.Entries))
	for i, we := range wire.Entries {
		e, n, err := s.entry(we)
		if err != nil {
			return req, nil, fmt.Errorf("entry %d: %w", i, err)
		}
		entries[i], size = e, size+n
	}
	if size > maxBytes {
		return req, nil, fmt.Errorf("entries total %d bytes, over %d", size, maxBytes)
	}
	req.Entries = entries
	return req, entries, nil
}

// entry checks one wire entry and returns it with its size by AWS's
// formula.
func (s *Server) entry(we wireEntry) (Entry, int, error) {
	var e Entry
	if we.Source == nil || *we.Source == "" || we.DetailType == nil || *we.DetailType == "" || we.Detail == nil {
		return e, 0, errors.New("an entry needs Source, DetailType and Detail")
	}
	if we.EventBusName == nil || *we.EventBusName != s.bus {
		return e, 0, fmt.Errorf("EventBusName %v, want %q", aws.ToString(we.EventBusName), s.bus)
	}
	var detail map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*we.Detail), &detail); err != nil {
		return e, 0, fmt.Errorf("the entry's Detail is not a JSON object: %w", err)
	}
	e = Entry{
		Source: *we.Source, DetailType: *we.DetailType, Detail: *we.Detail,
		EventBusName: *we.EventBusName, TraceHeader: aws.ToString(we.TraceHeader), Resources: we.Resources,
	}
	size := len(e.Source) + len(e.DetailType) + len(e.Detail)
	for _, r := range e.Resources {
		size += len(r)
	}
	if we.Time != nil {
		secs, err := we.Time.Float64()
		if err != nil {
			return e, 0, fmt.Errorf("the entry's Time %q: %w", *we.Time, err)
		}
		e.Time = time.UnixMilli(int64(math.Round(secs * 1000))).UTC()
		size += 14
	}
	return e, size, nil
}

// writeError answers as AWS JSON 1.1 does: the code in X-Amzn-ErrorType
// and in the body's __type.
func writeError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(map[string]string{"__type": code, "message": message})
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
