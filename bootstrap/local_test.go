package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
)

// localServer starts what make run starts, on a fresh table in DynamoDB
// Local: the API over HTTP and the event path reading the table's stream.
func localServer(tb testing.TB) string {
	tb.Helper()
	port := freePort(tb)
	cfg := Config{
		TableName: ddb.NewTable(tb).Name, Region: "us-east-1", Endpoint: ddb.Endpoint(), LogLevel: "info", Port: port,
		CursorSecret: []byte("local-test-cursor-signing-key"), RequestBudget: 10 * time.Second,
	}
	app := fxtest.New(tb, fx.Supply(cfg, zap.NewNop()), components(), fx.Invoke(serve))
	app.RequireStart()
	tb.Cleanup(app.RequireStop)
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}

func call(tb testing.TB, method, url, body string) (int, map[string]any) {
	tb.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// reviewAndWait posts a review and polls the product until its summary
// counts want reviews, returning how long that took.
func reviewAndWait(tb testing.TB, base, product string, want int) time.Duration {
	tb.Helper()
	start := time.Now()
	if status, body := call(tb, "POST", base+"/products/"+product+"/reviews", `{"rating":4}`); status != http.StatusCreated {
		tb.Fatalf("review: %d %v", status, body)
	}
	for deadline := start.Add(30 * time.Second); ; {
		if _, p := call(tb, "GET", base+"/products/"+product, ""); p["reviewCount"] == float64(want) {
			return time.Since(start)
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the summary never counted %d reviews", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLocalEventPath is make run's event path: a review written through
// the local server shows in its product's summary, through the table's
// stream, the relay and the summary consumer, with nothing else running.
func TestLocalEventPath(t *testing.T) {
	base := localServer(t)
	status, p := call(t, "POST", base+"/products", `{"name":"Lamp"}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, p)
	}
	id := p["id"].(string)
	if _, got := call(t, "GET", base+"/products/"+id, ""); got["reviewCount"] != nil {
		t.Fatalf("a product without reviews shows a summary: %v", got)
	}
	lag := reviewAndWait(t, base, id, 1)
	t.Logf("the summary followed the review in %v", lag)
	if _, got := call(t, "GET", base+"/products/"+id, ""); got["averageRating"] != 4.0 {
		t.Errorf("averageRating %v, want 4", got["averageRating"])
	}
}

// BenchmarkSummaryLag measures, on make run's wiring over DynamoDB Local,
// how long a product's summary takes to follow a review: from the POST to
// the first GET that shows it, polling every 10 ms.
func BenchmarkSummaryLag(b *testing.B) {
	base := localServer(b)
	_, p := call(b, "POST", base+"/products", `{"name":"Lamp"}`)
	id := p["id"].(string)
	var lags []time.Duration
	b.ResetTimer()
	for i := range b.N {
		lags = append(lags, reviewAndWait(b, base, id, i+1))
	}
	b.StopTimer()
	b.ReportMetric(ms(median(lags)), "lag-ms")
	b.ReportMetric(0, "ns/op")
}
