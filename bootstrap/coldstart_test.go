package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/problem"
)

// coldFunction is one binary BenchmarkColdStart starts cold, and the answer
// its cold request must get: a benchmark that timed an error path would be
// worthless, so any other answer fails it.
type coldFunction struct {
	name   string // metric prefix
	pkg    string // main package; the binary is named after its last element
	status int    // the proxy response's status
	body   any    // the problem body a 404 must carry; nil for any body
}

// notFound is the body the service answers a missing entity with, as the
// kit maps it. The sdk baseline must send the same; and the service sending
// it rules out a 404 for want of a route, which never reaches DynamoDB.
var notFound = problem.FromError(kit.ErrNotFound)

// coldFunctions are the service and its two baselines: a hand-written SDK
// function doing the same GetItem (the floor for a function that reads
// DynamoDB) and a hello world (the floor for any Go function).
var coldFunctions = []coldFunction{
	{name: "service", pkg: servicePkg, status: http.StatusNotFound, body: notFound},
	{name: "sdk", pkg: "github.com/lambdakit/lambdakit/bootstrap/cmd/baseline/sdkfunc", status: http.StatusNotFound, body: notFound},
	{name: "hello", pkg: "github.com/lambdakit/lambdakit/bootstrap/cmd/baseline/hello", status: http.StatusOK},
}

// BenchmarkColdStart starts the service and both baselines cold under the
// Lambda Runtime Interface Emulator, one cold start of each per iteration,
// and reports the medians of INIT, the first invoke and their sum (what a
// cold request waits for) as RIE measures them, the service's ratios to
// each baseline, and each binary's size as make build ships it (arm64).
//
// The order rotates every iteration, so that no binary always goes first
// or always follows the same one: what drifts during a run (DynamoDB
// Local's JVM warming, the machine's other load) falls on all three alike.
// Ratios are of the medians. ns/op is suppressed: an iteration's wall time
// is mostly starting, polling and stopping RIE, which is not a cold start.
func BenchmarkColdStart(b *testing.B) {
	pkgs := make([]string, len(coldFunctions))
	for i, f := range coldFunctions {
		pkgs[i] = f.pkg
	}
	bins := buildFunctions(b, runtime.GOOS, runtime.GOARCH, pkgs...)
	sizes := binarySizes(b, buildFunctions(b, "linux", "arm64", pkgs...))
	// ddb.NewTable is dynamo.Layout().EnsureTable under a fresh name.
	table := ddb.NewTable(b)
	// DynamoDB Local answers the first requests for a new table several
	// times slower than the rest: that is the emulator warming, not a cold
	// start, and it would fall on iteration 0's first cold start, always
	// the service's.
	for range 3 {
		if err := table.Warm(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	env := functionEnv(b, table.Name)
	get := sampleEntity(b).get.Path

	// Durations per function, in iteration order.
	inits := make(map[string][]time.Duration)
	firsts := make(map[string][]time.Duration)
	b.ResetTimer()
	for i := range b.N {
		for j := range coldFunctions {
			f := coldFunctions[(i+j)%len(coldFunctions)]
			init, first := coldStart(b, f, bins[f.pkg], env, get)
			inits[f.name] = append(inits[f.name], init)
			firsts[f.name] = append(firsts[f.name], first)
		}
	}
	b.StopTimer()

	type summary struct{ init, first, total time.Duration }
	med := make(map[string]summary)
	for _, f := range coldFunctions {
		totals := make([]time.Duration, len(inits[f.name]))
		for i := range totals {
			totals[i] = inits[f.name][i] + firsts[f.name][i]
		}
		// The median of the totals, not the sum of two medians: it is what
		// the middle cold request waited for.
		s := summary{median(inits[f.name]), median(firsts[f.name]), median(totals)}
		med[f.name] = s
		b.ReportMetric(ms(s.init), f.name+"-init-ms")
		b.ReportMetric(ms(s.first), f.name+"-first-ms")
		b.ReportMetric(ms(s.total), f.name+"-total-ms")
		b.ReportMetric(mib(sizes[f.pkg]), f.name+"-MB") // in MiB (2^20 bytes), whatever the unit says
	}
	// Ratios of the medians: what the service costs over each floor.
	ratio := func(x, y time.Duration) float64 { return float64(x) / float64(y) }
	svc, sdk, hello := med["service"], med["sdk"], med["hello"]
	b.ReportMetric(ratio(svc.total, sdk.total), "x-sdk-total")
	b.ReportMetric(ratio(svc.init, sdk.init), "x-sdk-init")
	b.ReportMetric(ratio(svc.total, hello.total), "x-hello-total")
	b.ReportMetric(ratio(svc.init, hello.init), "x-hello-init")
	b.ReportMetric(0, "ns/op") // 0 hides it

	// Four lines: go test keeps only the first ten lines a benchmark logs,
	// over all its runs, and -benchtime Nx runs it twice (N=1, then N).
	var out strings.Builder
	fmt.Fprintf(&out, "cold starts: %d of each; medians as aws-lambda-rie reports them; sizes as make build ships them (linux/arm64):", b.N)
	for _, f := range coldFunctions {
		s := med[f.name]
		fmt.Fprintf(&out, "\n%-8s INIT %7.2f ms  first %7.2f ms  total %7.2f ms  %9d bytes (%5.2f MiB)",
			f.name, ms(s.init), ms(s.first), ms(s.total), sizes[f.pkg], mib(sizes[f.pkg]))
		if f.name != "service" {
			fmt.Fprintf(&out, "  service/%s: total %.2fx, INIT %.2fx", f.name, ratio(svc.total, s.total), ratio(svc.init, s.init))
		}
	}
	b.Log(out.String())
}

// binarySizes returns each binary's size in bytes.
func binarySizes(tb testing.TB, bins map[string]string) map[string]int64 {
	tb.Helper()
	sizes := make(map[string]int64)
	for name, bin := range bins {
		fi, err := os.Stat(bin)
		if err != nil {
			tb.Fatal(err)
		}
		sizes[name] = fi.Size()
	}
	return sizes
}

// coldStart starts bin under a fresh aws-lambda-rie, sends it one request
// for a missing entity (a GET of the get route pattern), checks the answer f must give, stops RIE, and
// returns INIT and the first invoke as RIE logged them. RIE runs INIT when
// the first invocation arrives, so waiting for it to listen costs nothing
// measured.
func coldStart(b *testing.B, f coldFunction, bin string, env []string, get string) (init, first time.Duration) {
	b.Helper()
	e := runEmulator(b, bin, env)
	defer e.stop() // also when b.Fatalf ends the benchmark
	fail := func(format string, args ...any) {
		b.Helper()
		b.Fatalf("%s: %s\naws-lambda-rie log:\n%s", f.name, fmt.Sprintf(format, args...), e.out)
	}

	resp, err := e.post(coldEvent(get))
	if err != nil {
		fail("invoke: %v", err)
	}
	if resp.StatusCode != f.status {
		fail("answered %d %s, want %d", resp.StatusCode, resp.Body, f.status)
	}
	if f.body != nil {
		if ct := resp.Headers["Content-Type"]; ct != problem.ContentType {
			fail("Content-Type %q, want %q", ct, problem.ContentType)
		}
		if !sameJSON(resp.Body, f.body) {
			fail("answered %s, want the body of %+v", resp.Body, f.body)
		}
	}

	// RIE may log the invocation's end just after answering it.
	for deadline := time.Now().Add(10 * time.Second); ; {
		log := e.out.String()
		im, fm := initReport.FindStringSubmatch(log), invokeRTDone.FindStringSubmatch(log)
		if im != nil && fm != nil {
			if fm[1] != "success" {
				fail("first invoke status %q", fm[1])
			}
			return msDuration(b, im[1]), msDuration(b, fm[2])
		}
		if time.Now().After(deadline) {
			fail("no INIT REPORT and INVOKE RTDONE in the log after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// coldEvent is an API Gateway REST proxy event for GET of the route
// pattern, an entity's get, with a fresh random (v4) id, so no entity has
// it. The sdk baseline reads the same id from its one path parameter.
func coldEvent(pattern string) events.APIGatewayProxyRequest {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = 0x40 | u[6]&0x0f // version 4
	u[8] = 0x80 | u[8]&0x3f // RFC 9562 variant
	id := kit.FormatUUID(u)
	path, params := fill(pattern, id)
	return events.APIGatewayProxyRequest{
		Resource:       pattern,
		Path:           path,
		HTTPMethod:     http.MethodGet,
		Headers:        map[string]string{"Accept": "application/json"},
		PathParameters: params,
		RequestContext: events.APIGatewayProxyRequestContext{
			ResourcePath: pattern,
			HTTPMethod:   http.MethodGet,
			Path:         "/prod" + path,
			Stage:        "prod",
			RequestID:    "cold-" + id,
		},
	}
}

// sameJSON reports whether body is v's JSON, member order aside.
func sameJSON(body string, v any) bool {
	want, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var got, exp any
	return json.Unmarshal([]byte(body), &got) == nil && json.Unmarshal(want, &exp) == nil && reflect.DeepEqual(got, exp)
}

// median of ds (the mean of the middle two for an even count).
func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }
