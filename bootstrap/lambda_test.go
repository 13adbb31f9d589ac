package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
	"github.com/lambdakit/lambdakit/kit/resource"
)

var ddb *dynamotest.Server

func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }

// lambdaTags are the build tags `make build` gives the deployed binary (the
// Makefile's LAMBDA_TAGS); every test that builds that binary uses them.
const lambdaTags = "lambda.norpc,validator_novalidatefn,lambdakit.function"

// TestLambdaTagsMatchMakefile keeps lambdaTags and the Makefile in step, so
// the binary the tests run is the binary make build ships.
func TestLambdaTagsMatchMakefile(t *testing.T) {
	root, err := dynamotest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	makefile, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for line := range strings.Lines(string(makefile)) {
		if v, ok := strings.CutPrefix(line, "LAMBDA_TAGS := "); ok {
			got = strings.TrimSpace(v)
		}
	}
	if got != lambdaTags {
		t.Errorf("Makefile LAMBDA_TAGS = %q, bootstrap tests build with %q", got, lambdaTags)
	}
}

// emulator is a function binary running under the Lambda Runtime Interface
// Emulator, which speaks the Lambda runtime API to it exactly as the Lambda
// service does.
type emulator struct {
	url  string // where invocations are posted
	out  *lockedBuffer
	stop func() // stops RIE, which stops the function, and waits for it
}

// lockedBuffer collects the emulator's output, which os/exec writes from
// its own goroutine while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// servicePkg is the function make build ships.
const servicePkg = "github.com/lambdakit/lambdakit/bootstrap"

// buildFunctions builds each package for goos/goarch as make build builds
// the service, in one go command, and returns the binaries by package.
func buildFunctions(tb testing.TB, goos, goarch string, pkgs ...string) map[string]string {
	tb.Helper()
	return buildTagged(tb, lambdaTags, goos, goarch, pkgs...)
}

// buildTagged is buildFunctions with other build tags: the event function
// is the service's package built with lambdaTags and eventsTag.
func buildTagged(tb testing.TB, tags, goos, goarch string, pkgs ...string) map[string]string {
	tb.Helper()
	dir := tb.TempDir()
	args := []string{"build", "-tags", tags, "-trimpath", "-ldflags=-s -w", "-o", dir + string(filepath.Separator)}
	bins := make(map[string]string)
	for _, pkg := range pkgs {
		args = append(args, pkg)
		bins[pkg] = filepath.Join(dir, path.Base(pkg))
	}
	build := exec.Command("go", args...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build for %s/%s: %v\n%s", goos, goarch, err, out)
	}
	return bins
}

// functionEnv is the whole environment of RIE and so of the function: what
// a deployed function gets, and nothing from this process but PATH and
// HOME. Credentials are dummies (DynamoDB Local takes any), the endpoint is
// the SDK's standard per-service variable, and the AWS config files point
// nowhere so no local profile leaks in. DYNAMODB_ENDPOINT stays unset: a
// deployed function never creates its table, which exists already.
func functionEnv(tb testing.TB, table string) []string {
	nowhere := filepath.Join(tb.TempDir(), "no-aws-config")
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"AWS_CONFIG_FILE=" + nowhere,
		"AWS_SHARED_CREDENTIALS_FILE=" + nowhere,
		"TABLE_NAME=" + table,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKIAEMULATORTEST0000",
		"AWS_SECRET_ACCESS_KEY=emulator-test-dummy-secret",
		"AWS_SESSION_TOKEN=emulator-test-dummy-token",
		"AWS_ENDPOINT_URL_DYNAMODB=" + ddb.Endpoint(),
		"CURSOR_SECRET=emulator-test-cursor-signing-key",
		"AWS_LAMBDA_FUNCTION_TIMEOUT=10",
		"LOG_LEVEL=info",
	}
}

// runEmulator starts bin under aws-lambda-rie on free ports, with exactly
// env, and waits until it listens. RIE runs INIT when the first invocation
// arrives, as Lambda does on a cold request.
func runEmulator(tb testing.TB, bin string, env []string) *emulator {
	tb.Helper()
	invokePort, apiPort := freePort(tb), freePort(tb)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, findRIE(tb),
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
		tb.Fatalf("start aws-lambda-rie: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	e := &emulator{
		url:  fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", invokePort),
		out:  out,
		stop: func() { cancel(); <-exited },
	}
	addr := "127.0.0.1:" + strconv.Itoa(invokePort)
	for deadline := time.Now().Add(20 * time.Second); ; {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return e
		}
		select {
		case <-exited:
			tb.Fatalf("aws-lambda-rie exited before listening:\n%s", out)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			e.stop()
			tb.Fatalf("aws-lambda-rie did not listen: %v\n%s", err, out)
		}
	}
}

// startEmulator builds the binary as `make build` does (for this machine's
// architecture, so it runs here) and starts it under aws-lambda-rie, as a
// deployed function against table on DynamoDB Local. extraEnv overrides
// functionEnv.
func startEmulator(t *testing.T, table string, extraEnv ...string) *emulator {
	t.Helper()
	bin := buildFunctions(t, runtime.GOOS, runtime.GOARCH, servicePkg)[servicePkg]
	e := runEmulator(t, bin, append(functionEnv(t, table), extraEnv...))
	t.Cleanup(func() {
		e.stop()
		if t.Failed() {
			t.Logf("emulator output:\n%s", e.out)
		}
	})
	return e
}

// post sends one API Gateway event and decodes the proxy response.
func (e *emulator) post(ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return events.APIGatewayProxyResponse{}, err
	}
	client := &http.Client{Timeout: time.Minute} // an invocation must never hang the suite
	resp, err := client.Post(e.url, "application/json", bytes.NewReader(body))
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

// invoke is post for tests, which stop at any failure.
func (e *emulator) invoke(t *testing.T, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := e.post(ev)
	if err != nil {
		t.Fatalf("invoke %s %s: %v", ev.HTTPMethod, ev.Path, err)
	}
	return resp
}

// logWait bounds waitForLine. A line that is due arrives within
// milliseconds, or within warmBudget for the warm-up's result; the bound
// only ends a test whose line never comes.
const logWait = 30 * time.Second

// waitForLine returns the first line of the emulator's output that holds
// s, waiting for it to arrive, and fails t once logWait has passed. Reading
// the output once, right after an invocation answers, races twice: the
// output reaches the test through a pipe that os/exec copies on a
// goroutine of its own, so even a line written before the answer may come
// after it; and the function logs its INIT warm-up's result whenever the
// call ends, which nothing orders before the first answer.
func (e *emulator) waitForLine(t *testing.T, s string) string {
	t.Helper()
	for deadline := time.Now().Add(logWait); ; {
		for line := range strings.Lines(e.out.String()) {
			if strings.Contains(line, s) {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator logged no %s within %v", s, logWait)
		}
		time.Sleep(10 * time.Millisecond)
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

// msDuration parses RIE's milliseconds.
func msDuration(tb testing.TB, s string) time.Duration {
	tb.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		tb.Fatalf("RIE duration %q: %v", s, err)
	}
	return time.Duration(v * float64(time.Millisecond))
}

func event(method, path, body string, headers map[string]string, query map[string]string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		HTTPMethod:            method,
		Path:                  path,
		Headers:               headers,
		QueryStringParameters: query,
		Body:                  body,
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID: "e2e-" + strings.ToLower(method),
			Stage:     "test",
			Path:      "/test" + path,
		},
	}
}

// TestLambdaRuntime drives create, get, update, list and delete of one of
// the service's entities through the real binary under the emulator,
// against DynamoDB Local.
func TestLambdaRuntime(t *testing.T) {
	s := sampleEntity(t)
	table := ddb.NewTable(t)
	e := startEmulator(t, table.Name)

	created := e.invoke(t, event("POST", s.create.Path, s.createBody, nil, nil))
	if created.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", created.StatusCode, created.Body)
	}
	id, _ := fields(t, created.Body)["id"].(string)
	item, _ := fill(s.get.Path, id)
	if loc := created.Headers["Location"]; id == "" || loc != "/test"+item {
		t.Errorf("Location = %q, want /test%s", loc, item)
	}
	if created.Headers["ETag"] != `"1"` {
		t.Errorf("create ETag = %q", created.Headers["ETag"])
	}

	got := e.invoke(t, event("GET", item, "", nil, nil))
	if got.StatusCode != http.StatusOK || got.Body != created.Body {
		t.Errorf("get: %d %s, want 200 %s", got.StatusCode, got.Body, created.Body)
	}

	updated := e.invoke(t, event("PUT", item, s.updateBody, map[string]string{"if-match": `"1"`}, nil))
	if updated.StatusCode != http.StatusOK || updated.Headers["ETag"] != `"2"` {
		t.Errorf("update: %d %v %s", updated.StatusCode, updated.Headers, updated.Body)
	}
	// The update changes what it sends, and only that.
	before, sent, after := fields(t, created.Body), fields(t, s.updateBody), fields(t, updated.Body)
	for k, v := range sent {
		if !sameValue(after[k], v) {
			t.Errorf("update sent %s %v, the entity has %v", k, v, after[k])
		}
	}
	for k := range fields(t, s.createBody) {
		if _, changed := sent[k]; !changed && !sameValue(after[k], before[k]) {
			t.Errorf("update left %s unsent, but it went from %v to %v", k, before[k], after[k])
		}
	}
	stale := e.invoke(t, event("PUT", item, s.updateBody, map[string]string{"If-Match": `"1"`}, nil))
	if stale.StatusCode != http.StatusPreconditionFailed {
		t.Errorf("stale update: %d %s, want 412", stale.StatusCode, stale.Body)
	}

	second := e.invoke(t, event("POST", s.list.Path, s.createBody, nil, nil))
	if second.StatusCode != http.StatusCreated {
		t.Fatalf("second create: %d %s", second.StatusCode, second.Body)
	}
	page := e.invoke(t, event("GET", s.list.Path, "", nil, map[string]string{"pageSize": "1"}))
	var list struct{ NextToken string }
	items := members(t, page, s.list.Collection)
	if err := json.Unmarshal([]byte(page.Body), &list); err != nil || page.StatusCode != 200 || len(items) != 1 || list.NextToken == "" {
		t.Fatalf("first page: %d %s", page.StatusCode, page.Body)
	}
	next := e.invoke(t, event("GET", s.list.Path, "", nil, map[string]string{"pageSize": "1", "nextToken": list.NextToken}))
	var last struct{ NextToken *string }
	rest := members(t, next, s.list.Collection)
	if err := json.Unmarshal([]byte(next.Body), &last); err != nil || len(rest) != 1 || last.NextToken != nil || rest[0].ID == items[0].ID {
		t.Fatalf("second page: %d %s", next.StatusCode, next.Body)
	}

	if del := e.invoke(t, event("DELETE", item, "", nil, nil)); del.StatusCode != http.StatusNoContent || del.Body != "" {
		t.Errorf("delete: %d %q", del.StatusCode, del.Body)
	}
	if gone := e.invoke(t, event("GET", item, "", nil, nil)); gone.StatusCode != http.StatusNotFound ||
		gone.Headers["Content-Type"] != "application/problem+json" {
		t.Errorf("get after delete: %d %v", gone.StatusCode, gone.Headers)
	}

	// One JSON log line per request, with the request id, the cold start
	// flag and the EMF metrics.
	for _, want := range []string{`"requestId":"e2e-post"`, `"coldStart":true`, `"coldStart":false`, `"route":"PUT ` + s.update.Path + `"`, `"_aws":{"Timestamp":`, `"ColdStart":1`, `"statusClass":"2xx"`} {
		e.waitForLine(t, want)
	}
	for _, v := range stringValues(s.createBody) {
		if len(v) >= 4 && strings.Contains(e.out.String(), v) {
			t.Errorf("a request body's %q reached the logs", v)
		}
	}
}

// TestLambdaTakesNoCallerFromHeaders: the local server may simulate a
// caller from an X-Caller header, but the function never does; an event
// carrying one is served as the caller API Gateway verified, or as none.
// The caller is seen where the kit uses it: an Idempotency-Key is scoped
// to its caller, so the same key replays a request only for the same
// caller.
func TestLambdaTakesNoCallerFromHeaders(t *testing.T) {
	s := sampleEntity(t)
	e := startEmulator(t, ddb.NewTable(t).Name)
	const mallory = "arn:aws:iam::000000000000:user/mallory"
	post := func(verified, key string, xCaller bool) events.APIGatewayProxyResponse {
		t.Helper()
		headers := map[string]string{"Idempotency-Key": key}
		if xCaller {
			headers["X-Caller"] = mallory
		}
		ev := event("POST", s.create.Path, s.createBody, headers, nil)
		ev.RequestContext.Identity.UserArn = verified
		resp := e.invoke(t, ev)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", resp.StatusCode, resp.Body)
		}
		return resp
	}
	for _, verified := range []string{"", "arn:aws:iam::123456789012:user/alice"} {
		key := "x-caller-" + strconv.Itoa(len(verified))
		first := post(verified, key, true)
		if first.Headers["Idempotent-Replayed"] != "" {
			t.Fatalf("verified %q: the first request was a replay", verified)
		}
		// Served as the verified caller, the first request is what the
		// same key replays for that caller without the header...
		if again := post(verified, key, false); again.Headers["Idempotent-Replayed"] != "true" || again.Body != first.Body {
			t.Errorf("verified %q with X-Caller %s: a retry without the header was no replay (%s), so the header made the caller", verified, mallory, again.Body)
		}
		// ...and not what it replays for the caller the header named.
		if other := post(mallory, key, false); other.Headers["Idempotent-Replayed"] != "" || other.Body == first.Body {
			t.Errorf("verified %q with X-Caller %s: %s signing the same key got a replay", verified, mallory, mallory)
		}
	}
}

// members decodes a listing's page: its members, under the collection's
// name, by id.
func members(t *testing.T, page events.APIGatewayProxyResponse, collection string) []struct{ ID string } {
	t.Helper()
	var body map[string]json.RawMessage
	var out []struct{ ID string }
	if err := json.Unmarshal([]byte(page.Body), &body); err != nil || json.Unmarshal(body[collection], &out) != nil {
		t.Fatalf("a page of %s: %d %s", collection, page.StatusCode, page.Body)
	}
	return out
}

// findRIE locates aws-lambda-rie: $AWS_LAMBDA_RIE, then the one make
// installs, then $PATH.
func findRIE(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("AWS_LAMBDA_RIE"); p != "" {
		return p
	}
	if root, err := dynamotest.ModuleRoot(); err == nil {
		p := filepath.Join(root, ".local", "bin", "aws-lambda-rie")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("aws-lambda-rie")
	if err != nil {
		tb.Fatal("aws-lambda-rie is not installed; `make test` installs it under .local/bin")
	}
	return p
}

// freePort is a port nothing listens on.
func freePort(tb testing.TB) int {
	tb.Helper()
	p, err := dynamotest.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// hangingProxy forwards to DynamoDB Local, except that while hang is set it
// never answers GetItem: a store that has stopped responding mid-request.
type hangingProxy struct {
	hang  atomic.Bool
	proxy *httputil.ReverseProxy
}

func (p *hangingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.hang.Load() && strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GetItem") {
		// Reading the body lets the server notice the client hanging up.
		_, _ = io.Copy(io.Discard, r.Body)
		select { // until the client gives up, or the test does
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return
	}
	p.proxy.ServeHTTP(w, r)
}

// TestLambdaDeadline runs the binary under the emulator with a 3 s function
// timeout against a store that stops answering: the service must answer 503
// inside Lambda's deadline (the SDK's retries bounded by the time Lambda
// has left), not be killed by the timeout, and serve the next invocation.
func TestLambdaDeadline(t *testing.T) {
	target, err := url.Parse(ddb.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	hp := &hangingProxy{proxy: httputil.NewSingleHostReverseProxy(target)}
	proxy := httptest.NewServer(hp)
	t.Cleanup(proxy.Close)
	table := ddb.NewTable(t)
	const timeout = 3 * time.Second
	e := startEmulator(t, table.Name, "AWS_ENDPOINT_URL_DYNAMODB="+proxy.URL,
		fmt.Sprintf("AWS_LAMBDA_FUNCTION_TIMEOUT=%d", int(timeout.Seconds())))

	s := sampleEntity(t)
	created := e.invoke(t, event("POST", s.create.Path, s.createBody, nil, nil))
	if created.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", created.StatusCode, created.Body)
	}
	path := strings.TrimPrefix(created.Headers["Location"], "/test")

	hp.hang.Store(true)
	start := time.Now()
	resp := e.invoke(t, event("GET", path, "", nil, nil))
	took := time.Since(start)
	t.Logf("store hangs under a %v Lambda timeout: %d in %v", timeout, resp.StatusCode, took)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" {
		t.Fatalf("got %d %v %s, want a 503 with Retry-After", resp.StatusCode, resp.Headers, resp.Body)
	}
	if took >= timeout {
		t.Errorf("the 503 took %v, past the %v function timeout", took, timeout)
	}

	hp.hang.Store(false)
	if again := e.invoke(t, event("GET", path, "", nil, nil)); again.StatusCode != http.StatusOK {
		t.Errorf("after the store recovered: %d %s", again.StatusCode, again.Body)
	}
}

// initDuration is the INIT phase's length as the emulator reports it, the
// figure Lambda logs as Init Duration.
func (e *emulator) initDuration(t *testing.T) time.Duration {
	t.Helper()
	m := initReport.FindStringSubmatch(e.waitForLine(t, "INIT REPORT("))
	if m == nil {
		t.Fatalf("the emulator reported no INIT:\n%s", e.out)
	}
	return msDuration(t, m[1])
}

// tlsEndpoint serves h over TLS, as DynamoDB's real endpoints are served,
// and returns its URL and the environment that makes a function trust it.
func tlsEndpoint(t *testing.T, h http.Handler) (endpoint, caBundle string) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	bundle := filepath.Join(t.TempDir(), "ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(bundle, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv.URL, "AWS_CA_BUNDLE=" + bundle
}

// TestLambdaStartsWithStoreDown starts the function while DynamoDB, behind
// TLS, hangs. INIT warms the connection, but must not wait for it: the
// function starts, answers 503 with Retry-After inside its deadline, and
// serves once the store is back.
func TestLambdaStartsWithStoreDown(t *testing.T) {
	target, err := url.Parse(ddb.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	hp := &hangingProxy{proxy: httputil.NewSingleHostReverseProxy(target)}
	hp.hang.Store(true) // the warm-up is a GetItem: it hangs too
	endpoint, bundle := tlsEndpoint(t, hp)
	table := ddb.NewTable(t)
	e := startEmulator(t, table.Name, "AWS_ENDPOINT_URL_DYNAMODB="+endpoint, bundle, "AWS_LAMBDA_FUNCTION_TIMEOUT=3", "LOG_LEVEL=debug")

	missing, _ := fill(sampleEntity(t).get.Path, "00000000-0000-7000-8000-000000000001")
	resp := e.invoke(t, event("GET", missing, "", nil, nil))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" {
		t.Fatalf("with the store down: %d %v %s, want a 503 with Retry-After", resp.StatusCode, resp.Headers, resp.Body)
	}
	// A warm-up INIT waited for would last its whole budget.
	if took := e.initDuration(t); took >= warmBudget {
		t.Errorf("INIT took %v with the store down: it waited for the warm-up (budget %v)", took, warmBudget)
	}

	hp.hang.Store(false)
	if again := e.invoke(t, event("GET", missing, "", nil, nil)); again.StatusCode != http.StatusNotFound {
		t.Errorf("after the store recovered: %d %s, want 404", again.StatusCode, again.Body)
	}
	e.waitForLine(t, `"msg":"dynamodb warmed"`)
}

// holdWarmUp forwards to next, but holds the warm-up's call (the one that
// reads kit/dynamo's warm key, "#warm") until release is closed.
type holdWarmUp struct {
	next    http.Handler
	release chan struct{}
	arrived atomic.Bool
}

func (h *holdWarmUp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if bytes.Contains(body, []byte(`"#warm"`)) {
		h.arrived.Store(true)
		select {
		case <-h.release:
		case <-r.Context().Done():
		}
	}
	h.next.ServeHTTP(w, r)
}

// TestLambdaWarmsOverTLS checks that INIT's warm-up call reaches the table,
// with the function's own credentials and endpoint, when there is a
// handshake to save, and is not made over plain HTTP. Nothing orders the
// warm-up after the first invocation, so over TLS the endpoint holds it
// until that invocation has answered: the order in which the warm-up, on
// a busy machine, once ended.
func TestLambdaWarmsOverTLS(t *testing.T) {
	target, err := url.Parse(ddb.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	hold := &holdWarmUp{next: httputil.NewSingleHostReverseProxy(target), release: make(chan struct{})}
	endpoint, bundle := tlsEndpoint(t, hold)
	release := sync.OnceFunc(func() { close(hold.release) })
	t.Cleanup(release) // before the endpoint closes, which waits for held calls
	missing, _ := fill(sampleEntity(t).get.Path, "00000000-0000-7000-8000-000000000001")
	tests := []struct {
		name   string
		env    []string
		warmed bool
	}{
		{"over TLS", []string{"AWS_ENDPOINT_URL_DYNAMODB=" + endpoint, bundle}, true},
		{"over plain HTTP", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := ddb.NewTable(t)
			e := startEmulator(t, table.Name, append(tt.env, "LOG_LEVEL=debug")...)
			if resp := e.invoke(t, event("GET", missing, "", nil, nil)); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("get: %d %s", resp.StatusCode, resp.Body)
			}
			release()
			// INIT says whether it started a warm-up, so that both answers
			// are read off lines that must come.
			var started struct{ Started bool }
			if line := e.waitForLine(t, `"msg":"dynamodb warm-up"`); json.Unmarshal([]byte(line), &started) != nil || started.Started != tt.warmed {
				t.Fatalf("warm-up started: %s, want started %v", line, tt.warmed)
			}
			if !tt.warmed {
				if strings.Contains(e.out.String(), `"msg":"dynamodb warmed"`) {
					t.Error("a warm-up that was not started was logged")
				}
				return
			}
			var warmed struct{ Error string }
			if line := e.waitForLine(t, `"msg":"dynamodb warmed"`); json.Unmarshal([]byte(line), &warmed) != nil || warmed.Error != "" {
				t.Errorf("warm-up: %s, want it logged without error", line)
			}
			if !hold.arrived.Load() {
				t.Error("the warm-up did not reach the function's endpoint")
			}
		})
	}
}

// TestLambdaGuardedWritesFailClosed sends, through the function binary,
// every update and delete of an owned kind (kit:"owner") with no verified
// caller, an X-Caller header notwithstanding: each is 403 before anything
// is read, whatever the ids, so the function never writes for nobody.
func TestLambdaGuardedWritesFailClosed(t *testing.T) {
	var guarded []resource.Operation
	for _, op := range operations(t) {
		if (op.Kind != resource.OpUpdate && op.Kind != resource.OpDelete) || op.Entity == nil {
			continue
		}
		a, err := kit.AccessOf(reflect.Zero(op.Entity).Interface().(kit.Entity))
		if err != nil {
			t.Fatal(err)
		}
		if a.Owner != "" {
			guarded = append(guarded, op)
		}
	}
	if len(guarded) == 0 {
		t.Log("the service has no owned kind: nothing is guarded")
		return
	}
	dirs := goldenDirs(t)
	e := startEmulator(t, ddb.NewTable(t).Name)
	for _, op := range guarded {
		path := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(op.Path, "00000000-0000-7000-8000-000000000001")
		body := ""
		if op.Kind == resource.OpUpdate {
			// A body the kind accepts: an update the golden cases applied.
			if body = updateBody(dirs, op.Path, ""); body == "" {
				t.Fatalf("%s %s: no golden case applies an update to take a body from", op.Method, op.Path)
			}
		}
		ev := event(op.Method, path, body, map[string]string{"X-Caller": "arn:aws:iam::000000000000:user/mallory"}, nil)
		resp := e.invoke(t, ev)
		if resp.StatusCode != http.StatusForbidden || resp.Headers["Content-Type"] != "application/problem+json" {
			t.Errorf("%s %s with no verified caller: %d %s, want a 403 problem", op.Method, op.Path, resp.StatusCode, resp.Body)
		}
	}
}
