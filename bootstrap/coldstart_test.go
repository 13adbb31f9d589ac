package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
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

// notFound is the body the service answers a missing product with, as the
// kit maps it. The sdk baseline must send the same; and the service sending
// it rules out a 404 for want of a route, which never reaches DynamoDB.
var notFound = problem.FromError(kit.ErrNotFound)

// coldFunctions are the service and its two baselines: a hand-written SDK
// function doing the same GetItem (the floor for a function that reads
// DynamoDB) and a hello world (the floor for any Go function).
var coldFunctions = []coldFunction{
	{name: "service", pkg: "github.com/lambdakit/lambdakit/bootstrap", status: http.StatusNotFound, body: notFound},
	{name: "sdk", pkg: "github.com/lambdakit/lambdakit/bootstrap/baseline/sdkfunc", status: http.StatusNotFound, body: notFound},
	{name: "hello", pkg: "github.com/lambdakit/lambdakit/bootstrap/baseline/hello", status: http.StatusOK},
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
	rie := findRIE(b)
	bins := buildColdFunctions(b, runtime.GOOS, runtime.GOARCH)
	sizes := binarySizes(b, buildColdFunctions(b, "linux", "arm64"))
	// ddb.NewTable is dynamo.Layout().EnsureTable under a fresh name.
	table := ddb.NewTable(b)
	readTable(b, table.Name)
	env := coldEnv(b, table.Name)

	// Durations per function, in iteration order.
	inits := make(map[string][]time.Duration)
	firsts := make(map[string][]time.Duration)
	b.ResetTimer()
	for i := range b.N {
		for j := range coldFunctions {
			f := coldFunctions[(i+j)%len(coldFunctions)]
			init, first := coldStart(b, rie, f, bins[f.name], env)
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
		b.ReportMetric(mib(sizes[f.name]), f.name+"-MB") // in MiB (2^20 bytes), whatever the unit says
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
			f.name, ms(s.init), ms(s.first), ms(s.total), sizes[f.name], mib(sizes[f.name]))
		if f.name != "service" {
			fmt.Fprintf(&out, "  service/%s: total %.2fx, INIT %.2fx", f.name, ratio(svc.total, s.total), ratio(svc.init, s.init))
		}
	}
	b.Log(out.String())
}

// buildColdFunctions builds every coldFunction for goos/goarch as make build
// builds the service, in one go command, and returns the binaries by name.
func buildColdFunctions(tb testing.TB, goos, goarch string) map[string]string {
	tb.Helper()
	dir := tb.TempDir()
	args := []string{"build", "-tags", lambdaTags, "-trimpath", "-ldflags=-s -w", "-o", dir + string(filepath.Separator)}
	bins := make(map[string]string)
	for _, f := range coldFunctions {
		args = append(args, f.pkg)
		bins[f.name] = filepath.Join(dir, path.Base(f.pkg))
	}
	build := exec.Command("go", args...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build for %s/%s: %v\n%s", goos, goarch, err, out)
	}
	return bins
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

// readTable reads a missing item from table. DynamoDB Local answers the
// first requests for a new table several times slower than the rest: that
// is the emulator warming, not a cold start, and it would fall on the first
// cold start of iteration 0, always the service's.
func readTable(tb testing.TB, table string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := ddb.Client()
	for range 3 {
		_, err := client.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(table),
			Key: map[string]types.AttributeValue{
				dynamo.AttrPK: &types.AttributeValueMemberS{Value: "WARMUP#0"},
				dynamo.AttrSK: &types.AttributeValueMemberS{Value: "WARMUP"},
			},
			ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			tb.Fatalf("warm table %s: %v", table, err)
		}
	}
}

// coldEnv is the whole environment of RIE and so of the function: what a
// deployed function gets, and nothing from this process but PATH and HOME.
// Credentials are dummies (DynamoDB Local takes any), the endpoint is the
// SDK's standard per-service variable, and the AWS config files point
// nowhere so no local profile leaks in. DYNAMODB_ENDPOINT stays unset: it
// would make the service create its table, which a deployed one never does.
func coldEnv(tb testing.TB, table string) []string {
	nowhere := filepath.Join(tb.TempDir(), "no-aws-config")
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"AWS_CONFIG_FILE=" + nowhere,
		"AWS_SHARED_CREDENTIALS_FILE=" + nowhere,
		"TABLE_NAME=" + table,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIACOLDSTARTBENCH00",
		"AWS_SECRET_ACCESS_KEY=cold-start-benchmark-dummy-secret",
		"AWS_SESSION_TOKEN=cold-start-benchmark-dummy-token",
		"AWS_ENDPOINT_URL_DYNAMODB=" + ddb.Endpoint(),
		"CURSOR_SECRET=cold-start-benchmark-cursor-signing-key",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=10",
		"LOG_LEVEL=info",
	}
}

// RIE's own log lines for the init phase and an invocation's runtime part:
//
//	... [INFO] (rapid) INIT REPORT(durationMs: 13.474000)
//	... [INFO] (rapid) INVOKE RTDONE(status: success, produced bytes: 0, duration: 1.830000ms)
var (
	initReport   = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)
	invokeRTDone = regexp.MustCompile(`INVOKE RTDONE\(status: (\w+),[^)]*duration: ([0-9.]+)ms\)`)
)

// coldStart starts bin under a fresh aws-lambda-rie, sends it one request
// for a missing product, checks the answer f must give, stops RIE, and
// returns INIT and the first invoke as RIE logged them. RIE runs INIT on
// demand, when the first invocation arrives, as Lambda does on a cold
// request; so waiting for it to listen costs nothing measured.
func coldStart(b *testing.B, rie string, f coldFunction, bin string, env []string) (init, first time.Duration) {
	b.Helper()
	invokePort, apiPort := freePort(b), freePort(b)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, rie,
		"--runtime-interface-emulator-address", "127.0.0.1:"+strconv.Itoa(invokePort),
		"--runtime-api-address", "127.0.0.1:"+strconv.Itoa(apiPort),
		bin)
	cmd.Env = env
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// SIGTERM lets RIE stop the function itself; SIGKILL would orphan it.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		b.Fatalf("start aws-lambda-rie: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	defer func() { cancel(); <-exited }() // also when b.Fatalf ends the benchmark
	fail := func(format string, args ...any) {
		b.Helper()
		b.Fatalf("%s: %s\naws-lambda-rie log:\n%s", f.name, fmt.Sprintf(format, args...), out)
	}

	addr := "127.0.0.1:" + strconv.Itoa(invokePort)
	for deadline := time.Now().Add(20 * time.Second); ; {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-exited:
			fail("aws-lambda-rie exited before listening")
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			fail("aws-lambda-rie did not listen: %v", err)
		}
	}

	resp, err := invokeCold(addr)
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
		log := out.String()
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

// invokeCold sends RIE an API Gateway REST proxy event for GET
// /products/{productId} with a fresh random (v4) id, so no product has it.
func invokeCold(addr string) (events.APIGatewayProxyResponse, error) {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = 0x40 | u[6]&0x0f // version 4
	u[8] = 0x80 | u[8]&0x3f // RFC 9562 variant
	id := kit.FormatUUID(u)
	const resource = "/products/{productId}"
	ev := events.APIGatewayProxyRequest{
		Resource:       resource,
		Path:           "/products/" + id,
		HTTPMethod:     http.MethodGet,
		Headers:        map[string]string{"Accept": "application/json"},
		PathParameters: map[string]string{"productId": id},
		RequestContext: events.APIGatewayProxyRequestContext{
			ResourcePath: resource,
			HTTPMethod:   http.MethodGet,
			Path:         "/prod/products/" + id,
			Stage:        "prod",
			RequestID:    "cold-" + id,
		},
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	client := &http.Client{Timeout: time.Minute} // a cold start must never hang the benchmark
	resp, err := client.Post("http://"+addr+"/2015-03-31/functions/function/invocations", "application/json", bytes.NewReader(body))
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	var out events.APIGatewayProxyResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, fmt.Errorf("not a proxy response (%w): %s", err, raw)
	}
	if out.StatusCode == 0 {
		return out, fmt.Errorf("not a proxy response: %s", raw)
	}
	return out, nil
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

// msDuration parses RIE's milliseconds.
func msDuration(tb testing.TB, s string) time.Duration {
	tb.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		tb.Fatalf("RIE duration %q: %v", s, err)
	}
	return time.Duration(v * float64(time.Millisecond))
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
