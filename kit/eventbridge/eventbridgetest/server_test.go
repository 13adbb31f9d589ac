package eventbridgetest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/lambdakit/lambdakit/kit/eventbridge/eventbridgetest"
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

func entry(bus string) map[string]any {
	return map[string]any{"Source": "svc", "DetailType": "ProductCreated", "Detail": `{"metadata":{},"payload":{}}`, "EventBusName": bus}
}

func body(entries ...map[string]any) string {
	b, _ := json.Marshal(map[string]any{"Entries": entries})
	return string(b)
}

// TestMalformedRequests sends requests the publisher must never send and
// checks the stand-in answers 400 as EventBridge does and fails the test.
func TestMalformedRequests(t *testing.T) {
	t.Parallel()
	const bus = "the-bus"
	eleven := make([]map[string]any, 11)
	for i := range eleven {
		eleven[i] = entry(bus)
	}
	huge := entry(bus)
	huge["Detail"] = `{"pad":"` + strings.Repeat("x", 256<<10) + `"}`
	noSource := entry(bus)
	delete(noSource, "Source")
	notObject := entry(bus)
	notObject["Detail"] = `[1,2]`
	unknown := entry(bus)
	unknown["Detial"] = "{}"

	for _, tt := range []struct {
		name, target, body, complaint string
		unsigned                      bool
	}{
		{name: "another operation", target: "AWSEvents.PutRule", body: body(entry(bus)), complaint: "X-Amz-Target"},
		{name: "unsigned", body: body(entry(bus)), unsigned: true, complaint: "not signed"},
		{name: "not JSON", body: "Entries=1", complaint: "decode body"},
		{name: "no entries", body: body(), complaint: "0 entries"},
		{name: "eleven entries", body: body(eleven...), complaint: "11 entries"},
		{name: "another bus", body: body(entry("other-bus")), complaint: "EventBusName"},
		{name: "no source", body: body(noSource), complaint: "needs Source"},
		{name: "detail not an object", body: body(notObject), complaint: "not a JSON object"},
		{name: "unknown field", body: body(unknown), complaint: "unknown field"},
		{name: "over 256 KiB", body: body(huge), complaint: "over 262144"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{TB: t}
			srv := eventbridgetest.New(rec, bus)
			target := eventbridgetest.Target
			if tt.target != "" {
				target = tt.target
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Amz-Target", target)
			req.Header.Set("Content-Type", eventbridgetest.ContentType)
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
			if resp.StatusCode != http.StatusBadRequest || answer.Type != "ValidationException" {
				t.Errorf("answered %d %q, want 400 ValidationException", resp.StatusCode, answer.Type)
			}
			errs := rec.complaints()
			if len(errs) != 1 || !strings.Contains(errs[0], tt.complaint) {
				t.Errorf("complaints %q, want one about %q", errs, tt.complaint)
			}
			if n := len(srv.Accepted()); n != 0 {
				t.Errorf("accepted %d entries of a malformed request", n)
			}
		})
	}
}

// TestWireProtocol drives the stand-in with the SDK client alone: the
// answer's per-entry results line up with the request's entries.
func TestWireProtocol(t *testing.T) {
	t.Parallel()
	rec := &recorder{TB: t}
	srv := eventbridgetest.New(rec, "bus")
	srv.FailEntries(func(e eventbridgetest.Entry) bool { return e.DetailType == "B" }, "InternalFailure", 1)
	in := &awseb.PutEventsInput{}
	for _, dt := range []string{"A", "B", "C"} {
		in.Entries = append(in.Entries, types.PutEventsRequestEntry{
			Source: aws.String("svc"), DetailType: aws.String(dt), Detail: aws.String(`{"k":"` + dt + `"}`),
			EventBusName: aws.String("bus"), Resources: []string{"arn:aws:x"},
		})
	}

	out, err := srv.Client().PutEvents(t.Context(), in)
	if err != nil {
		t.Fatal(err)
	}

	if out.FailedEntryCount != 1 || len(out.Entries) != 3 {
		t.Fatalf("FailedEntryCount %d, %d results", out.FailedEntryCount, len(out.Entries))
	}
	if aws.ToString(out.Entries[1].ErrorCode) != "InternalFailure" || out.Entries[1].EventId != nil {
		t.Errorf("entry B's result %+v, want InternalFailure", out.Entries[1])
	}
	acc := srv.Accepted()
	if len(acc) != 2 || acc[0].DetailType != "A" || acc[1].DetailType != "C" {
		t.Fatalf("accepted %+v, want A and C", acc)
	}
	for i, k := range []int{0, 2} {
		if aws.ToString(out.Entries[k].EventId) != acc[i].ID || acc[i].ID == "" {
			t.Errorf("result %d's EventId %q, accepted id %q", k, aws.ToString(out.Entries[k].EventId), acc[i].ID)
		}
	}
	if acc[0].Resources[0] != "arn:aws:x" || acc[0].Detail != `{"k":"A"}` {
		t.Errorf("accepted entry %+v", acc[0])
	}
	if errs := rec.complaints(); len(errs) != 0 {
		t.Errorf("stand-in complained of the SDK's request: %q", errs)
	}
}
