package apigw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lambdakit/lambdakit/kit/apigw"
)

// lines is a zap sink that keeps what was written, one JSON object a line.
type lines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lines) Sync() error { return nil }

// emfUnits are the units CloudWatch accepts in a metric definition.
var emfUnits = []string{"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
	"Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
	"Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second", "Kilobits/Second",
	"Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}

// checkEMF holds one log object to the embedded metric format
// specification: _aws.Timestamp in milliseconds; CloudWatchMetrics with a
// Namespace, Dimensions (sets of at most 30 names) and Metrics (a Name and
// a valid Unit each); and every dimension at the root as a string and
// every metric as a number. It returns the metric names.
func checkEMF(t *testing.T, obj map[string]any, since time.Time) []string {
	t.Helper()
	aws, ok := obj["_aws"].(map[string]any)
	if !ok {
		t.Fatalf("no _aws object in %v", obj)
	}
	ts, ok := aws["Timestamp"].(float64)
	if !ok || ts != float64(int64(ts)) || int64(ts) < since.UnixMilli() || int64(ts) > time.Now().UnixMilli() {
		t.Errorf("_aws.Timestamp = %v, want an integer of milliseconds since the epoch, now", aws["Timestamp"])
	}
	directives, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(directives) == 0 {
		t.Fatalf("_aws.CloudWatchMetrics = %v, want directives", aws["CloudWatchMetrics"])
	}
	var names []string
	for _, d := range directives {
		dir, _ := d.(map[string]any)
		if ns, _ := dir["Namespace"].(string); ns == "" || len(ns) > 255 {
			t.Errorf("Namespace = %v", dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok {
			t.Errorf("Dimensions = %v, want an array of dimension sets", dir["Dimensions"])
		}
		for _, set := range sets {
			dims, _ := set.([]any)
			if len(dims) == 0 || len(dims) > 30 {
				t.Errorf("dimension set %v, want 1 to 30 names", set)
			}
			for _, d := range dims {
				name, _ := d.(string)
				if v, ok := obj[name].(string); !ok || v == "" {
					t.Errorf("dimension %q is %#v at the root, want a non-empty string", name, obj[name])
				}
			}
		}
		metrics, ok := dir["Metrics"].([]any)
		if !ok || len(metrics) == 0 {
			t.Errorf("Metrics = %v", dir["Metrics"])
		}
		for _, m := range metrics {
			def, _ := m.(map[string]any)
			name, _ := def["Name"].(string)
			if unit, _ := def["Unit"].(string); !slices.Contains(emfUnits, unit) {
				t.Errorf("metric %q has unit %v", name, def["Unit"])
			}
			if _, ok := obj[name].(float64); !ok {
				t.Errorf("metric %q is %#v at the root, want a number", name, obj[name])
			}
			names = append(names, name)
		}
	}
	return names
}

func TestRequestLinesAreEMF(t *testing.T) {
	sink := &lines{}
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), sink, zapcore.InfoLevel))
	rt := apigw.NewRouter(log, apigw.WithMetrics(apigw.Metrics{Namespace: "Shop", Service: "catalog"}))
	rt.Handle("GET /things/{id}", echo("GET /things/{id}"))
	rt.Handle("GET /boom", func(context.Context, *apigw.Request) (apigw.Response, error) { panic("boom") })
	since := time.Now()
	calls := []struct {
		path, route, class string
	}{
		{"/things/t1", "GET /things/{id}", "2xx"},
		{"/things/t2", "GET /things/{id}", "2xx"},
		{"/nowhere/at/all", "none", "4xx"},
		{"/boom", "GET /boom", "5xx"},
	}
	for _, c := range calls {
		invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: c.path})
	}
	var requests []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(sink.buf.String()), "\n") {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			t.Fatalf("log line is not one JSON object: %q", line)
		}
		if obj["msg"] == "request" {
			requests = append(requests, obj)
		}
	}
	if len(requests) != len(calls) {
		t.Fatalf("%d request lines, want %d", len(requests), len(calls))
	}
	for i, obj := range requests {
		names := checkEMF(t, obj, since)
		want := []string{"Requests", "Latency"}
		if i == 0 {
			want = append(want, "ColdStart") // once per instance
		}
		if !slices.Equal(names, want) {
			t.Errorf("request %d: metrics %v, want %v", i, names, want)
		}
		if obj["route"] != calls[i].route || obj["statusClass"] != calls[i].class || obj["service"] != "catalog" {
			t.Errorf("request %d: dimensions route %v, statusClass %v, service %v; want %s, %s, catalog (never the raw path)",
				i, obj["route"], obj["statusClass"], obj["service"], calls[i].route, calls[i].class)
		}
		if obj["Requests"] != 1.0 || obj["Latency"].(float64) < 0 {
			t.Errorf("request %d: Requests %v, Latency %v", i, obj["Requests"], obj["Latency"])
		}
	}
}

// BenchmarkInvokeWithMetrics measures a request whose log line is written,
// in JSON with its EMF metrics, as the deployed function writes it; the
// handler does nothing, so what is left is the router's and the line's.
func BenchmarkInvokeWithMetrics(b *testing.B) {
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	rt := apigw.NewRouter(log, apigw.WithMetrics(apigw.Metrics{Namespace: "Shop", Service: "catalog"}))
	rt.Handle("GET /things/{id}", echo("GET /things/{id}", "id"))
	ev := events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/things/t1"}
	b.ReportAllocs()
	for b.Loop() {
		if resp, _ := rt.Invoke(context.Background(), ev); resp.StatusCode != 200 {
			b.Fatal(resp.Body)
		}
	}
}
