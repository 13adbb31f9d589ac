package relay_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lambdakit/lambdakit/kit/eventbridge/eventbridgetest"
)

// emfLines renders the batch log lines as the function's JSON logger
// writes them, which is what CloudWatch reads metrics from.
func emfLines(t *testing.T, f *fixture) []map[string]any {
	t.Helper()
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	var out []map[string]any
	for _, e := range f.logs.FilterMessage("batch").All() {
		buf, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			t.Fatal(err)
		}
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("log line %s: %v", buf.String(), err)
		}
		buf.Free()
		out = append(out, line)
	}
	return out
}

// TestHandleMetrics checks each batch's log line carries its counts in
// CloudWatch's embedded metric format: the contract's three metrics under
// the namespace, with the service dimension, and put failures counted per
// refused entry per attempt, through the publisher's OnFailed, for the
// batch they happened in only.
func TestHandleMetrics(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.scenario(t)
	recs := f.records()
	// evt-002 is refused twice, then taken; a Gadget is poison.
	f.bus.FailEntries(eventbridgetest.EventID("evt-002"), "ThrottlingException", 2)
	if _, err := kitRepo[Gadget](f).Create(t.Context(), Gadget{ID: "g1"}); err != nil {
		t.Fatal(err)
	}
	poison := f.records()
	before := time.Now()

	f.handle(t, slices.Concat(recs[:4], poison)) // 3 events, 1 poison record
	f.handle(t, recs[4:])                        // 4 events

	lines := emfLines(t, f)
	if len(lines) != 2 {
		t.Fatalf("%d batch lines, want 2", len(lines))
	}
	for i, want := range []map[string]float64{
		{"EventsPublished": 3, "EventPutFailures": 2, "PoisonRecords": 1, "records": 5, "failed": 0},
		{"EventsPublished": 4, "EventPutFailures": 0, "PoisonRecords": 0, "records": 4, "failed": 0},
	} {
		line := lines[i]
		for name, v := range want {
			if line[name] != v {
				t.Errorf("batch %d: %s = %v, want %v", i, name, line[name], v)
			}
		}
		if line["service"] != source {
			t.Errorf("batch %d: service %v, want %q", i, line["service"], source)
		}
		aws, _ := line["_aws"].(map[string]any)
		ts, _ := aws["Timestamp"].(float64)
		if ts < float64(before.UnixMilli()) || ts > float64(time.Now().UnixMilli()) {
			t.Errorf("batch %d: _aws.Timestamp %v, want the batch's time in milliseconds", i, aws["Timestamp"])
		}
		directives := []any{map[string]any{
			"Namespace":  namespace,
			"Dimensions": []any{[]any{"service"}},
			"Metrics": []any{
				map[string]any{"Name": "EventsPublished", "Unit": "Count"},
				map[string]any{"Name": "EventPutFailures", "Unit": "Count"},
				map[string]any{"Name": "PoisonRecords", "Unit": "Count"},
			},
		}}
		if !reflect.DeepEqual(aws["CloudWatchMetrics"], directives) {
			t.Errorf("batch %d: _aws.CloudWatchMetrics %v, want %v", i, aws["CloudWatchMetrics"], directives)
		}
	}
}
