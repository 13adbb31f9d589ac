package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	kitevent "github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/relay"
)

// local is what make run starts, running for a test.
type local struct {
	base  string
	table dynamo.Table
	logs  *observer.ObservedLogs
}

// localServer starts what make run starts, on a fresh table in DynamoDB
// Local: the API over HTTP and the event path reading the table's stream.
func localServer(tb testing.TB) *local {
	tb.Helper()
	port := freePort(tb)
	core, logs := observer.New(zap.InfoLevel)
	l := &local{base: fmt.Sprintf("http://127.0.0.1:%d", port), table: ddb.NewTable(tb), logs: logs}
	cfg := Config{
		TableName: l.table.Name, Region: "us-east-1", Endpoint: ddb.Endpoint(), LogLevel: "info", Port: port,
		CursorSecret: []byte("local-test-cursor-signing-key"), RequestBudget: 10 * time.Second, LocalCaller: defaultLocalCaller,
	}
	app := fxtest.New(tb, fx.Supply(cfg, zap.New(core)), components(), fx.Invoke(serve))
	app.RequireStart()
	tb.Cleanup(app.RequireStop)
	return l
}

// send sends an API Gateway event to the local server as the HTTP request
// it stands for, signed by its caller (X-Caller, empty when unsigned), and
// returns the response as the event's.
func (l *local) send(tb testing.TB, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	tb.Helper()
	q := url.Values{}
	for name, values := range ev.MultiValueQueryStringParameters {
		for _, v := range values {
			q.Add(name, v)
		}
	}
	target := l.base + ev.Path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			tb.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(context.Background(), ev.HTTPMethod, target, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	for name, values := range ev.MultiValueHeaders {
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	req.Header.Set(apigw.HeaderCaller, ev.RequestContext.Identity.UserArn)
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := events.APIGatewayProxyResponse{StatusCode: resp.StatusCode, Headers: map[string]string{}, Body: string(raw)}
	for name := range resp.Header {
		out.Headers[name] = resp.Header.Get(name)
	}
	return out
}

// logged returns the events the local event path has published to its log
// so far, and how many of them its batches had handled, consumers
// included, and how many consumers failed.
func (l *local) logged() (published map[string]kitevent.Event, handled, consumerFailures int) {
	published = map[string]kitevent.Event{}
	for _, e := range l.logs.FilterMessage("event").All() {
		if ev, ok := e.ContextMap()["detail"].(kitevent.Event); ok {
			published[ev.Metadata.ID] = ev
		}
	}
	for _, e := range l.logs.FilterMessage("batch").All() {
		m := e.ContextMap()
		n, _ := m["published"].(int64)
		f, _ := m["consumerFailures"].(int64)
		handled, consumerFailures = handled+int(n), consumerFailures+int(f)
	}
	return published, handled, consumerFailures
}

// TestLocalEventPath is make run's event path: what the service's golden
// cases write through the local server is published, as the kit derives
// it from the table's stream, and consumed, through the stream, the relay
// and the service's consumers, with nothing else running.
func TestLocalEventPath(t *testing.T) {
	l := localServer(t)
	cases, raised := eventCases(t, goldenDirs(t))
	for _, ec := range cases {
		ec.dir.replay(t, ec.c, l.send)
	}
	stream := &relay.Stream{API: ddb.StreamsClient(), ARN: ddb.StreamARN(t, l.table)}
	recs, err := stream.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	rig := &eventRig{table: l.table}
	want := rig.derive(t, recs)
	svc, _ := rig.serve(t)
	consumers := consumed(t, svc, want)

	start := time.Now()
	for deadline := start.Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		published, handled, failures := l.logged()
		missing := 0
		for _, d := range want {
			if got, ok := published[d.ev.Metadata.ID]; !ok || got.Metadata.Name != d.ev.Metadata.Name || !sameJSON(string(got.Payload), d.ev.Payload) {
				missing++
			}
		}
		if failures > 0 {
			t.Fatalf("%d consumers failed", failures)
		}
		if missing == 0 && handled >= len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %d of %d events not published as derived, %d handled", time.Since(start), missing, len(want), handled)
		}
	}
	t.Logf("%d events published and consumed in %v", len(want), time.Since(start))
	published, _, _ := l.logged()
	var names []string
	for _, ev := range published {
		names = append(names, ev.Metadata.Name)
	}
	for _, name := range raised {
		if !slices.Contains(names, name) {
			t.Errorf("no %s published; the golden cases raise it", name)
		}
	}
	// The consumers ran: the kit's relay, running them again in process,
	// finds nothing left to do.
	settled := rig.state(t)
	rig.consume(t, recs)
	if again := rig.state(t); !slices.Equal(again, settled) {
		t.Errorf("the consumers had not run (consumers: %v): running them in process changed the table from\n%s\nto\n%s",
			consumers, strings.Join(settled, "\n"), strings.Join(again, "\n"))
	}
}

// TestLocalServerSimulatesCaller: the local server serves each request as
// if its X-Caller header, or else LOCAL_CALLER, had signed it, as API
// Gateway would pass on a verified caller. The caller is seen where the
// kit uses it: an Idempotency-Key is scoped to its caller, so the same
// key replays a request only for the same caller.
func TestLocalServerSimulatesCaller(t *testing.T) {
	l := localServer(t)
	s := sampleEntity(t)
	const alice, bob = "arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/bob"
	post := func(caller *string) events.APIGatewayProxyResponse {
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, l.base+s.create.Path, strings.NewReader(s.createBody))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Idempotency-Key", "simulated-caller")
		if caller != nil {
			req.Header.Set(apigw.HeaderCaller, *caller)
		}
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", resp.StatusCode, raw)
		}
		return events.APIGatewayProxyResponse{StatusCode: resp.StatusCode, Body: string(raw),
			Headers: map[string]string{"Idempotent-Replayed": resp.Header.Get("Idempotent-Replayed"), "Location": resp.Header.Get("Location")}}
	}
	str := func(s string) *string { return &s }
	var made []string
	for _, tc := range []struct {
		name     string
		caller   *string
		replayed bool
	}{
		{"alice", str(alice), false},
		{"alice again", str(alice), true},
		{"bob", str(bob), false},
		{"no header: LOCAL_CALLER", nil, false},
		{"LOCAL_CALLER by name", str(defaultLocalCaller), true},
		{"empty header: unsigned", str(""), false},
		{"unsigned again", str(""), true},
	} {
		resp := post(tc.caller)
		if got := resp.Headers["Idempotent-Replayed"] == "true"; got != tc.replayed {
			t.Errorf("%s: replayed %v, want %v (callers so far made %v)", tc.name, got, tc.replayed, made)
		}
		if !tc.replayed {
			made = append(made, path.Base(resp.Headers["Location"]))
		}
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(made))); len(made) != 4 || len(distinct) != 4 {
		t.Errorf("made %v, want 4 entities, one per caller", made)
	}
}

// BenchmarkEventLag measures, on make run's wiring over DynamoDB Local,
// how long a write's event takes to reach the event path: from the POST
// to the event in the log, polling every 10 ms.
func BenchmarkEventLag(b *testing.B) {
	l := localServer(b)
	s := sampleEntity(b)
	create := events.APIGatewayProxyRequest{HTTPMethod: http.MethodPost, Path: s.create.Path, Body: s.createBody}
	var lags []time.Duration
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		resp := l.send(b, create)
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("create: %d %s", resp.StatusCode, resp.Body)
		}
		id := path.Base(resp.Headers["Location"])
		for deadline := start.Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			published, _, _ := l.logged()
			if slices.ContainsFunc(slices.Collect(maps.Values(published)), func(ev kitevent.Event) bool { return ev.Metadata.EntityID == id }) {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("the event of %s never reached the log", id)
			}
		}
		lags = append(lags, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(ms(median(lags)), "lag-ms")
	b.ReportMetric(0, "ns/op")
}
