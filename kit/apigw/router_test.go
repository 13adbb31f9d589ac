package apigw_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/problem"
)

// echo answers 200 with the pattern it was registered for and the path
// values it names, so a test can tell which route matched.
func echo(pattern string, params ...string) apigw.HandlerFunc {
	return func(_ context.Context, r *apigw.Request) (apigw.Response, error) {
		parts := []string{pattern}
		for _, p := range params {
			parts = append(parts, p+"="+r.PathValue(p))
		}
		return apigw.Response{StatusCode: http.StatusOK, Headers: map[string]string{}, Body: strings.Join(parts, " ")}, nil
	}
}

// productsRouter has the products service's routes, plus a root, a nested
// parameter route and a literal that overlaps a parameter route.
func productsRouter(log *zap.Logger, opts ...apigw.Option) *apigw.Router {
	rt := apigw.NewRouter(log, opts...)
	rt.Handle("GET /", echo("GET /"))
	rt.Handle("POST /products", echo("POST /products"))
	rt.Handle("GET /products", echo("GET /products"))
	rt.Handle("GET /products/search", echo("GET /products/search"))
	rt.Handle("GET /products/{id}", echo("GET /products/{id}", "id"))
	rt.Handle("PUT /products/{id}", echo("PUT /products/{id}", "id"))
	rt.Handle("DELETE /products/{id}", echo("DELETE /products/{id}", "id"))
	rt.Handle("GET /products/{id}/reviews/{review}", echo("GET /products/{id}/reviews/{review}", "id", "review"))
	return rt
}

// invoke calls Invoke and fails the test if it returns an error, which it
// never may.
func invoke(ctx context.Context, t *testing.T, rt *apigw.Router, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := rt.Invoke(ctx, ev)
	if err != nil {
		t.Fatalf("Invoke(%s %s) returned error %v; it must always answer", ev.HTTPMethod, ev.Path, err)
	}
	return resp
}

func decodeProblem(t *testing.T, resp events.APIGatewayProxyResponse) problem.Problem {
	t.Helper()
	if ct := resp.Headers["Content-Type"]; ct != problem.ContentType {
		t.Errorf("status %d Content-Type = %q, want %q", resp.StatusCode, ct, problem.ContentType)
	}
	var p problem.Problem
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatalf("problem body %q: %v", resp.Body, err)
	}
	if p.Status != resp.StatusCode {
		t.Errorf("problem status %d in a %d response", p.Status, resp.StatusCode)
	}
	return p
}

func TestRouterMatch(t *testing.T) {
	rt := productsRouter(zap.NewNop())
	for _, tc := range []struct {
		method, path string
		wantStatus   int
		wantBody     string // for 200
		wantAllow    string // for 405
	}{
		{"GET", "/", 200, "GET /", ""},
		{"GET", "/products", 200, "GET /products", ""},
		{"POST", "/products", 200, "POST /products", ""},
		{"GET", "/products/p1", 200, "GET /products/{id} id=p1", ""},
		{"PUT", "/products/p1", 200, "PUT /products/{id} id=p1", ""},
		{"DELETE", "/products/p1", 200, "DELETE /products/{id} id=p1", ""},
		{"GET", "/products/search", 200, "GET /products/search", ""},
		{"PUT", "/products/search", 200, "PUT /products/{id} id=search", ""},
		{"GET", "/products/a%2Fb", 200, "GET /products/{id} id=a%2Fb", ""},
		{"GET", "/products/{id}", 200, "GET /products/{id} id={id}", ""},
		{"GET", "/products/p1/reviews/r9", 200, "GET /products/{id}/reviews/{review} id=p1 review=r9", ""},
		// Trailing slashes, empty and extra segments match nothing.
		{"GET", "/products/", 404, "", ""},
		{"GET", "/products/p1/", 404, "", ""},
		{"GET", "/products/p1/extra", 404, "", ""},
		{"GET", "/products//reviews/r9", 404, "", ""},
		{"GET", "/products/p1/reviews/", 404, "", ""},
		{"GET", "//products", 404, "", ""},
		{"GET", "/products/p1/reviews/r9/x", 404, "", ""},
		{"GET", "", 404, "", ""},
		{"GET", "//", 404, "", ""},
		{"GET", "/Products", 404, "", ""},
		{"GET", "/unknown", 404, "", ""},
		// The path is right, the method is not.
		{"PATCH", "/products", 405, "", "GET, POST"},
		{"DELETE", "/products", 405, "", "GET, POST"},
		{"get", "/products", 405, "", "GET, POST"},
		{"PATCH", "/products/p1", 405, "", "DELETE, GET, PUT"},
		{"POST", "/products/search", 405, "", "DELETE, GET, PUT"}, // GET matches twice, listed once
		{"HEAD", "/", 405, "", "GET"},
		{"POST", "/products/p1/reviews/r9", 405, "", "GET"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: tc.method, Path: tc.path})
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, tc.wantStatus, resp.Body)
			}
			switch tc.wantStatus {
			case 200:
				if resp.Body != tc.wantBody {
					t.Errorf("matched %q, want %q", resp.Body, tc.wantBody)
				}
			case 404:
				if p := decodeProblem(t, resp); p.Detail != "No such route." {
					t.Errorf("404 detail = %q", p.Detail)
				}
			case 405:
				if got := resp.Headers["Allow"]; got != tc.wantAllow {
					t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
				}
				if p := decodeProblem(t, resp); !strings.Contains(p.Detail, tc.method) {
					t.Errorf("405 detail %q does not name %s", p.Detail, tc.method)
				}
			}
			if tc.wantStatus != 405 {
				if _, ok := resp.Headers["Allow"]; ok {
					t.Errorf("a %d response has an Allow header", resp.StatusCode)
				}
			}
		})
	}
}

func TestAllowHeaderSorted(t *testing.T) {
	rt := apigw.NewRouter(zap.NewNop())
	for _, m := range []string{"PUT", "GET", "DELETE"} {
		rt.Handle(m+" /things/{id}", echo(m))
	}
	resp := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/things/1"})
	if resp.StatusCode != 405 || resp.Headers["Allow"] != "DELETE, GET, PUT" {
		t.Errorf("got %d Allow %q, want 405 Allow \"DELETE, GET, PUT\"", resp.StatusCode, resp.Headers["Allow"])
	}
}

func TestHandlePanics(t *testing.T) {
	for _, tc := range []struct {
		name     string
		patterns []string
	}{
		{"no path", []string{"GET"}},
		{"no method", []string{"/products"}},
		{"empty method", []string{" /products"}},
		{"relative path", []string{"GET products"}},
		{"two spaces", []string{"GET  /products"}},
		{"empty", []string{""}},
		{"duplicate", []string{"GET /products", "GET /products"}},
		{"duplicate root", []string{"GET /", "GET /"}},
		{"same shape", []string{"GET /products/{id}", "GET /products/{productId}"}},
		{"same shape nested", []string{"GET /a/{x}/b/{y}", "GET /a/{p}/b/{q}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := apigw.NewRouter(zap.NewNop())
			last := len(tc.patterns) - 1
			for _, p := range tc.patterns[:last] {
				rt.Handle(p, echo(p))
			}
			defer func() {
				if recover() == nil {
					t.Errorf("Handle(%q) after %q did not panic", tc.patterns[last], tc.patterns[:last])
				}
			}()
			rt.Handle(tc.patterns[last], echo(tc.patterns[last]))
		})
	}
}

func TestHandleAcceptsDistinctPatterns(t *testing.T) {
	rt := apigw.NewRouter(zap.NewNop())
	for _, p := range []string{
		"GET /products/{id}", "PUT /products/{id}", "GET /products/{id}/x", "GET /products/search",
		"GET /products", "GET /",
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("Handle(%q) panicked: %v", p, r)
				}
			}()
			rt.Handle(p, echo(p))
		}()
	}
}

func TestInvokeRecoversFromPanic(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	rt := apigw.NewRouter(zap.New(core))
	rt.Handle("GET /boom", func(context.Context, *apigw.Request) (apigw.Response, error) {
		panic("secret panic text from deep inside")
	})
	rt.Handle("GET /err", func(context.Context, *apigw.Request) (apigw.Response, error) {
		panic(fmt.Errorf("secret panic error: %w", kit.ErrUnavailable)) // an error, not a string
	})
	rt.Handle("GET /ok", echo("GET /ok"))

	for _, path := range []string{"/boom", "/err", "/boom"} {
		resp := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: path})
		if resp.StatusCode != 500 {
			t.Fatalf("%s: status %d, want 500", path, resp.StatusCode)
		}
		p := decodeProblem(t, resp)
		if p.Detail != "The server could not handle the request." {
			t.Errorf("500 detail = %q", p.Detail)
		}
		for _, leak := range []string{"secret", "panic", "goroutine", ".go:", "unavailable", "Retry"} {
			if strings.Contains(resp.Body, leak) {
				t.Errorf("%s: the 500 body %s shows %q", path, resp.Body, leak)
			}
		}
		if ok := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/ok"}); ok.StatusCode != 200 {
			t.Errorf("after a panic, GET /ok = %d", ok.StatusCode)
		}
	}
	if n := logs.FilterMessage("handler panicked").Len(); n != 3 {
		t.Errorf("%d panic log lines, want 3", n)
	}
	for _, e := range logs.FilterMessage("request").FilterField(zap.Int("status", 500)).All() {
		if e.Level != zapcore.ErrorLevel {
			t.Errorf("a 500 request line logs at %v", e.Level)
		}
	}
}

func TestInvokeErrorStatuses(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
		retryAfter bool
	}{
		{"unavailable", fmt.Errorf("query: %w", kit.ErrUnavailable), 503, true},
		{"unavailable with cause", fmt.Errorf("%w: %w", kit.ErrUnavailable, context.DeadlineExceeded), 503, true},
		{"not found", kit.ErrNotFound, 404, false},
		{"validation", &kit.ValidationError{Fields: []kit.FieldError{{Field: "name", Reason: "is required"}}}, 400, false},
		{"precondition", kit.ErrPreconditionFailed, 412, false},
		{"too large", kit.ErrTooLarge, 413, false},
		{"plain", errors.New("dynamodb: table secret-table-name"), 500, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := apigw.NewRouter(zap.NewNop())
			rt.Handle("GET /x", func(context.Context, *apigw.Request) (apigw.Response, error) {
				// A partial response with an error is replaced by the problem.
				return apigw.Response{StatusCode: 200, Headers: map[string]string{"X-Partial": "1"}, Body: "partial"}, tc.err
			})
			resp := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/x"})
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			decodeProblem(t, resp)
			if got, ok := resp.Headers["Retry-After"]; ok != tc.retryAfter || (ok && got == "") {
				t.Errorf("Retry-After = %q (present %v), want present %v", got, ok, tc.retryAfter)
			}
			if _, ok := resp.Headers["X-Partial"]; ok || strings.Contains(resp.Body, "partial") || strings.Contains(resp.Body, "secret") {
				t.Errorf("response kept handler output or cause: %+v", resp)
			}
		})
	}
}

func TestInvokeRequestContext(t *testing.T) {
	var got kit.RequestInfo
	var deadline time.Time
	var hasDeadline bool
	rt := apigw.NewRouter(zap.NewNop(), apigw.WithBudget(time.Hour))
	rt.Handle("GET /ctx", func(ctx context.Context, _ *apigw.Request) (apigw.Response, error) {
		got = kit.RequestInfoFrom(ctx)
		deadline, hasDeadline = ctx.Deadline()
		return apigw.NoContent(), nil
	})
	ev := events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/ctx", RequestContext: events.APIGatewayProxyRequestContext{
		RequestID: "req-123", Stage: "prod",
		Identity: events.APIGatewayRequestIdentity{UserArn: "arn:aws:iam::123456789012:user/alice", SourceIP: "10.0.0.1"},
	}}

	t.Run("budget", func(t *testing.T) {
		before := time.Now()
		resp := invoke(context.Background(), t, rt, ev)
		after := time.Now()
		if resp.StatusCode != 204 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		want := kit.RequestInfo{RequestID: "req-123", Stage: "prod", Caller: "arn:aws:iam::123456789012:user/alice"}
		if got != want {
			t.Errorf("RequestInfo = %+v, want %+v", got, want)
		}
		if !hasDeadline {
			t.Fatal("the handler's context has no deadline")
		}
		if deadline.Before(before.Add(time.Hour)) || deadline.After(after.Add(time.Hour)) {
			t.Errorf("deadline %v is not the one-hour budget from %v", deadline, before)
		}
	})

	t.Run("incoming deadline", func(t *testing.T) {
		incoming := time.Now().Add(30 * time.Minute) // shorter than the budget: the router must keep to it
		ctx, cancel := context.WithDeadline(context.Background(), incoming)
		defer cancel()
		invoke(ctx, t, rt, ev)
		if !hasDeadline {
			t.Fatal("the handler's context has no deadline")
		}
		if !deadline.Before(incoming) {
			t.Errorf("handler deadline %v is not before the incoming %v", deadline, incoming)
		}
		if deadline.Before(incoming.Add(-10 * time.Second)) {
			t.Errorf("handler deadline %v keeps back more than 10s of %v", deadline, incoming)
		}
	})

	t.Run("unsigned", func(t *testing.T) {
		invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/ctx"})
		if got != (kit.RequestInfo{}) {
			t.Errorf("RequestInfo = %+v, want zero for an event without a request context", got)
		}
	})
}

func TestInvokeLogsOneLinePerRequest(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	rt := apigw.NewRouter(zap.New(core))
	const secret = "SECRET-BODY-TEXT-7f3a"
	rt.Handle("POST /things", func(_ context.Context, r *apigw.Request) (apigw.Response, error) {
		var in struct {
			Name string `json:"name"`
		}
		if err := r.DecodeJSON(&in); err != nil {
			return apigw.Response{}, err
		}
		if in.Name == "fail" {
			return apigw.Response{}, kit.ErrConflict
		}
		return apigw.JSON(201, map[string]string{"ok": "yes"})
	})
	rt.Handle("GET /boom", func(context.Context, *apigw.Request) (apigw.Response, error) { panic("boom") })

	for i, tc := range []struct {
		method, path, body string
		wantRoute          string
		wantStatus         int
		wantLevel          zapcore.Level
	}{
		{"POST", "/things", `{"name":"` + secret + `"}`, "POST /things", 201, zapcore.InfoLevel},
		{"POST", "/things", `{"name":"` + secret + `"}`, "POST /things", 201, zapcore.InfoLevel},
		{"POST", "/things", `{"name":"fail","x":"` + secret + `"}`, "POST /things", 400, zapcore.InfoLevel},
		{"POST", "/things", `{"name":"fail"}`, "POST /things", 409, zapcore.InfoLevel},
		{"POST", "/things", `[` + secret, "POST /things", 400, zapcore.InfoLevel},
		{"GET", "/nowhere", secret, "", 404, zapcore.InfoLevel},
		{"GET", "/things", secret, "", 405, zapcore.InfoLevel},
		{"GET", "/boom", secret, "GET /boom", 500, zapcore.ErrorLevel},
	} {
		reqID := fmt.Sprintf("req-%d", i)
		logs.TakeAll()
		resp := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{
			HTTPMethod: tc.method, Path: tc.path, Body: tc.body,
			RequestContext: events.APIGatewayProxyRequestContext{RequestID: reqID},
		})
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%d: status %d, want %d", i, resp.StatusCode, tc.wantStatus)
		}
		entries := logs.TakeAll()
		var lines []observer.LoggedEntry
		for _, e := range entries {
			if e.Message == "request" {
				lines = append(lines, e)
			}
			for k, v := range e.ContextMap() {
				if strings.Contains(fmt.Sprint(v), secret) {
					t.Errorf("%d: log %q field %s shows the request body: %v", i, e.Message, k, v)
				}
			}
			if strings.Contains(e.Message, secret) {
				t.Errorf("%d: log message shows the request body", i)
			}
		}
		if len(lines) != 1 {
			t.Fatalf("%d: %d request log lines, want 1", i, len(lines))
		}
		line := lines[0]
		fields := line.ContextMap()
		want := map[string]any{
			"requestId": reqID, "method": tc.method, "route": tc.wantRoute,
			"status": int64(tc.wantStatus), "coldStart": i == 0,
		}
		for k, v := range want {
			if fields[k] != v {
				t.Errorf("%d: field %s = %#v, want %#v", i, k, fields[k], v)
			}
		}
		if _, ok := fields["duration"]; !ok {
			t.Errorf("%d: no duration field", i)
		}
		if line.Level != tc.wantLevel {
			t.Errorf("%d: level %v, want %v", i, line.Level, tc.wantLevel)
		}
	}
}

func TestColdStartPerRouter(t *testing.T) {
	for range 2 { // each router has its own first request
		core, logs := observer.New(zapcore.InfoLevel)
		rt := apigw.NewRouter(zap.New(core))
		rt.Handle("GET /", echo("GET /"))
		for range 3 {
			invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/"})
		}
		var cold []bool
		for _, e := range logs.FilterMessage("request").All() {
			cold = append(cold, e.ContextMap()["coldStart"].(bool))
		}
		if !slices.Equal(cold, []bool{true, false, false}) {
			t.Errorf("coldStart = %v, want [true false false]", cold)
		}
	}
}

func TestResponseHelpers(t *testing.T) {
	resp, err := apigw.JSON(201, map[string]any{"b": 1, "a": "x"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 201 || resp.Headers["Content-Type"] != "application/json" || resp.Body != `{"a":"x","b":1}` {
		t.Errorf("JSON = %+v", resp)
	}
	if _, err := apigw.JSON(200, func() {}); err == nil {
		t.Error("JSON of a func did not fail")
	}
	nc := apigw.NoContent()
	if nc.StatusCode != 204 || nc.Body != "" || nc.Headers == nil {
		t.Errorf("NoContent = %+v", nc)
	}
	if len(nc.Headers) != 0 {
		t.Errorf("NoContent headers = %v", nc.Headers)
	}
}

// TestMostSpecificRouteWins registers the parameter route first: the literal
// must still win for its own path, as in net/http.
func TestMostSpecificRouteWins(t *testing.T) {
	rt := apigw.NewRouter(zap.NewNop())
	rt.Handle("GET /products/{id}", echo("GET /products/{id}", "id"))
	rt.Handle("GET /products/search", echo("GET /products/search"))
	for path, want := range map[string]string{
		"/products/search": "GET /products/search",
		"/products/p1":     "GET /products/{id} id=p1",
	} {
		resp := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: path})
		if resp.StatusCode != http.StatusOK || resp.Body != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, resp.StatusCode, resp.Body, want)
		}
	}
}

// TestLogLineCarriesTheTraceID gives the request's log line the X-Ray trace
// id of the invocation, the Root of the header aws-lambda-go puts in the
// context, so that a line leads to its trace; none outside Lambda.
func TestLogLineCarriesTheTraceID(t *testing.T) {
	for _, tc := range []struct{ name, header, want string }{
		{"sampled", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "1-5759e988-bd862e3fe1be46a994272793"},
		{"root last", "Parent=53995c3f42cd8ad8;Root=1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb", "1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb"},
		{"no header", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			rt := apigw.NewRouter(zap.New(core))
			rt.Handle("GET /", echo("GET /"))
			ctx := context.Background()
			if tc.header != "" {
				ctx = context.WithValue(ctx, "x-amzn-trace-id", tc.header) //nolint:staticcheck // aws-lambda-go's own string key
			}
			invoke(ctx, t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/"})
			lines := logs.FilterMessage("request").All()
			if len(lines) != 1 || lines[0].ContextMap()["traceId"] != tc.want {
				t.Errorf("log lines %v, want one with traceId %q", lines, tc.want)
			}
		})
	}
}

// TestLongPathsAndManyParameters routes paths longer, and patterns with
// more parameters, than the router keeps without allocating: they must
// route the same.
func TestLongPathsAndManyParameters(t *testing.T) {
	rt := apigw.NewRouter(zap.NewNop())
	rt.Handle("GET /{a}/{b}/{c}/{d}/{e}/{f}", echo("six", "a", "b", "c", "d", "e", "f"))
	long := "/" + strings.Repeat("x/", 19) + "{last}"
	rt.Handle("GET "+long, func(_ context.Context, r *apigw.Request) (apigw.Response, error) {
		return apigw.Response{StatusCode: http.StatusOK, Body: r.PathValue("last") + " " + r.Path()}, nil
	})
	for _, tc := range []struct{ path, want string }{
		{"/1/2/3/4/5/6", "six a=1 b=2 c=3 d=4 e=5 f=6"},
		{"/" + strings.Repeat("x/", 19) + "end", "end /" + strings.Repeat("x/", 19) + "end"},
	} {
		resp := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: tc.path})
		if resp.StatusCode != http.StatusOK || resp.Body != tc.want {
			t.Errorf("GET %s = %d %q, want 200 %q", tc.path, resp.StatusCode, resp.Body, tc.want)
		}
	}
}
