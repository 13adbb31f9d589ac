// Package apigw serves API Gateway REST proxy events (payload v1): a router
// with Go 1.22-style patterns ("GET /products/{id}"), strict JSON decoding,
// RFC 9457 problems for every error, one log line per request, and an
// http.Handler that feeds the same router from a local HTTP server.
package apigw

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/idempotency"
	"github.com/lambdakit/lambdakit/kit/problem"
)

// HandlerFunc serves one matched request. An error becomes a problem
// response; its text reaches the client only if it is a *kit.Error.
type HandlerFunc func(ctx context.Context, r *Request) (Response, error)

// Response is the proxy integration's response.
type Response = events.APIGatewayProxyResponse

type route struct {
	pattern  string
	method   string
	segments []string // literal segments, or "{name}" for a parameter
	names    []string // by segment: the parameter's name, or "" for a literal
	params   []string // the parameters' names, in order
	handler  HandlerFunc
}

// Router dispatches API Gateway events to handlers by method and path.
type Router struct {
	log     *zap.Logger
	budget  time.Duration
	idem    idempotency.Store
	clock   kit.Clock
	routes  []route
	invoked atomic.Bool
	metrics *emf // nil: no metrics
}

// Option configures a Router.
type Option func(*Router)

// WithBudget bounds the time a request may take when the incoming context
// has no deadline of its own (a local server; Lambda always sets one).
func WithBudget(d time.Duration) Option { return func(r *Router) { r.budget = d } }

// deadlineMargin is kept back from Lambda's deadline so that a request that
// runs out of time still has time to answer 503 and log why.
const deadlineMargin = 500 * time.Millisecond

// NewRouter returns an empty router that logs to log.
func NewRouter(log *zap.Logger, opts ...Option) *Router {
	r := &Router{log: log, budget: 10 * time.Second}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Handle registers h for pattern, "METHOD /path/{param}". It panics on a
// malformed or duplicate pattern, as net/http does: both are programming
// errors found at cold start.
func (rt *Router) Handle(pattern string, h HandlerFunc) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || method == "" || !strings.HasPrefix(path, "/") {
		panic(fmt.Sprintf("apigw: pattern %q is not \"METHOD /path\"", pattern))
	}
	segs := split(nil, path)
	for _, other := range rt.routes {
		if other.method == method && slices.Equal(shape(other.segments), shape(segs)) {
			panic(fmt.Sprintf("apigw: pattern %q conflicts with %q", pattern, other.pattern))
		}
	}
	names := make([]string, len(segs))
	var params []string
	for i, seg := range segs {
		if isParam(seg) {
			names[i] = seg[1 : len(seg)-1]
			params = append(params, names[i])
		}
	}
	rt.routes = append(rt.routes, route{pattern: pattern, method: method, segments: segs, names: names, params: params, handler: h})
	// As in net/http, the most specific pattern wins whatever the order of
	// registration: /products/search before /products/{id}. Only patterns
	// of one length can both match, and for those a literal segment sorts
	// before a parameter at the first place they differ.
	slices.SortStableFunc(rt.routes, func(a, b route) int {
		for i := range min(len(a.segments), len(b.segments)) {
			if pa, pb := isParam(a.segments[i]), isParam(b.segments[i]); pa != pb {
				if pa {
					return 1
				}
				return -1
			}
		}
		return 0
	})
}

// split appends path's segments to dst: the router matches a request's
// segments in a buffer on its stack, so splitting allocates nothing.
func split(dst []string, path string) []string {
	if path == "/" {
		return dst
	}
	rest := strings.TrimPrefix(path, "/")
	for {
		seg, after, more := strings.Cut(rest, "/")
		dst = append(dst, seg)
		if !more {
			return dst
		}
		rest = after
	}
}

// shape replaces parameter names so that /a/{x} and /a/{y} compare equal.
func shape(segs []string) []string {
	out := make([]string, len(segs))
	for i, s := range segs {
		if isParam(s) {
			s = "{}"
		}
		out[i] = s
	}
	return out
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// match returns the route for method and the path's segments, with the
// values of its parameters appended to values, or the methods the path
// allows if only the method is wrong. With vars, a segment may be a
// template, "{name}", as in the resource API Gateway matched: it then
// fills the route's parameter at that place from vars.
func (rt *Router) match(method string, segs []string, vars map[string]string, values []string) (*route, []string, []string) {
	var allow []string
	for i := range rt.routes {
		r := &rt.routes[i]
		matched, ok := r.matchPath(segs, vars, values)
		if !ok {
			continue
		}
		if r.method == method {
			return r, matched, nil
		}
		allow = append(allow, r.method)
	}
	slices.Sort(allow)
	return nil, nil, slices.Compact(allow)
}

func (r *route) matchPath(segs []string, vars map[string]string, values []string) ([]string, bool) {
	if len(segs) != len(r.segments) {
		return nil, false
	}
	for i, want := range r.segments {
		got := segs[i]
		if vars != nil && isParam(got) {
			// A template segment matches the route's parameter there,
			// whatever its name, and only that.
			if r.names[i] == "" {
				return nil, false
			}
			got = vars[got[1:len(got)-1]]
		}
		switch {
		case r.names[i] != "":
			if got == "" {
				return nil, false
			}
			values = append(values, got)
		case want != got:
			return nil, false
		}
	}
	return values, true
}

// value returns the value of the named parameter from the values the
// route matched: the last of that name, as a pattern that names one twice
// has always read it.
func (r *route) value(values []string, name string) string {
	for i := len(r.params) - 1; i >= 0; i-- {
		if r.params[i] == name {
			return values[i]
		}
	}
	return ""
}

// target is what an event asks for: the segments to match, with the
// values of template segments, and the path within the API. API Gateway
// sends the resource it matched, "/products/{id}", and its parameters:
// routing on them works whatever prefix the client's path had (a stage, a
// custom domain's base path). A greedy resource ("/{proxy+}") stands for
// the path in its parameter. Without a resource (the local server), the
// path is all there is.
// The segments are appended to buf.
func target(buf []string, ev *events.APIGatewayProxyRequest) (segs []string, vars map[string]string) {
	res := ev.Resource
	if res == "" {
		return split(buf, ev.Path), nil
	}
	segs = split(buf, res)
	if n := len(segs); n > 0 && strings.HasSuffix(segs[n-1], "+}") {
		rest := ev.PathParameters[strings.TrimSuffix(segs[n-1][1:], "+}")]
		path := "/" + strings.Join(append(segs[:n-1:n-1], rest), "/")
		if len(path) > 1 {
			path = strings.TrimSuffix(path, "/")
		}
		return split(buf[:0], path), nil
	}
	return segs, ev.PathParameters
}

// relativePath is the path within the API that segments matched: the
// route's pattern with its parameters filled in.
func (r *route) relativePath(values []string) string {
	var b strings.Builder
	for i, seg := range r.segments {
		b.WriteByte('/')
		if name := r.names[i]; name != "" {
			seg = r.value(values, name)
		}
		b.WriteString(seg)
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// Invoke serves one API Gateway event; it is the Lambda handler. It never
// returns an error: every failure, a panic included, is a problem response,
// because an error returned to Lambda would reach the client as a bare 502.
func (rt *Router) Invoke(ctx context.Context, ev events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, _ error) {
	start := time.Now()
	cold := !rt.invoked.Swap(true)
	info := kit.RequestInfo{
		RequestID: ev.RequestContext.RequestID,
		Stage:     ev.RequestContext.Stage,
		Caller:    ev.RequestContext.Identity.UserArn,
		TraceID:   traceID(ctx),
	}
	ctx = kit.WithRequestInfo(ctx, info)
	ctx, cancel := rt.deadline(ctx)
	defer cancel()

	pattern := ""
	var cause error
	defer func() {
		if p := recover(); p != nil {
			cause = fmt.Errorf("panic: %v", p)
			rt.log.Error("handler panicked", zap.String("requestId", info.RequestID),
				zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			resp = problemResponse(problem.New(http.StatusInternalServerError, "The server could not handle the request."))
		}
		rt.logRequest(info, info.TraceID, ev.HTTPMethod, pattern, resp.StatusCode, time.Since(start), cold, cause)
	}()

	var buf [maxSegments]string
	segs, vars := target(buf[:0], &ev)
	req := &Request{Event: ev}
	r, values, allow := rt.match(ev.HTTPMethod, segs, vars, req.inline[:0])
	switch {
	case r != nil:
		pattern = r.pattern
	case len(allow) > 0:
		resp = problemResponse(problem.New(http.StatusMethodNotAllowed,
			fmt.Sprintf("%s is not allowed here.", ev.HTTPMethod)))
		resp.Headers["Allow"] = strings.Join(allow, ", ")
		return resp, nil
	default:
		return problemResponse(problem.New(http.StatusNotFound, "No such route.")), nil
	}
	req.route, req.values = r, values
	if key, ok := rt.idempotencyKey(req); ok {
		resp, cause = rt.serveIdempotent(ctx, req, r, key)
	} else {
		resp, cause = r.handler(ctx, req)
	}
	if cause != nil {
		p := problem.FromError(cause)
		resp = problemResponse(p)
		if p.Status == http.StatusServiceUnavailable {
			resp.Headers["Retry-After"] = "1"
		}
	}
	return resp, nil
}

// maxSegments is how many path segments the router splits a path into
// without allocating; a longer path still routes.
const maxSegments = 16

// idempotencyKey returns the Idempotency-Key of a POST, when the router
// keeps idempotency records; the headers are read only then.
func (rt *Router) idempotencyKey(req *Request) (string, bool) {
	if rt.idem == nil || req.Event.HTTPMethod != http.MethodPost {
		return "", false
	}
	return req.LookupHeader(HeaderIdempotencyKey)
}

// deadline bounds ctx: a little short of Lambda's own deadline, so there is
// time left to answer, or by the router's budget when there is none.
func (rt *Router) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-deadlineMargin))
	}
	return context.WithTimeout(ctx, rt.budget)
}

func (rt *Router) logRequest(info kit.RequestInfo, trace, method, pattern string, status int, took time.Duration, cold bool, cause error) {
	level := zap.InfoLevel
	if status >= 500 {
		level = zap.ErrorLevel
	}
	// As zap's Info and Error do, but before the fields are made: a logger
	// that drops the line costs no allocation.
	line := rt.log.Check(level, "request")
	if line == nil {
		return
	}
	if pattern == "" && rt.metrics != nil {
		pattern = noRoute
	}
	// Room for the metrics and the cause, so that the line's fields are
	// one allocation.
	fields := make([]zap.Field, 0, 16)
	fields = append(fields,
		zap.String("requestId", info.RequestID),
		zap.String("traceId", trace),
		zap.String("method", method),
		zap.String(dimRoute, pattern),
		zap.Int("status", status),
		zap.Duration("duration", took),
		zap.Bool("coldStart", cold),
	)
	if rt.metrics != nil {
		fields = rt.metrics.fields(fields, time.Now(), status, took, cold)
	}
	switch {
	case status >= 500:
		line.Write(append(fields, zap.Error(cause))...)
	case cause != nil:
		line.Write(append(fields, zap.String("reason", cause.Error()))...)
	default:
		line.Write(fields...)
	}
}

// lambdaTraceKey is the context key under which aws-lambda-go hands each
// invocation its X-Ray trace header ("Root=1-…;Parent=…;Sampled=1"). The
// library uses a plain string key, so this one must be one too.
const lambdaTraceKey = "x-amzn-trace-id"

// traceID is the invocation's X-Ray trace id (the header's Root), so that
// a request's log line leads to its trace; "" outside Lambda.
func traceID(ctx context.Context) string {
	header, _ := ctx.Value(lambdaTraceKey).(string)
	for part := range strings.SplitSeq(header, ";") {
		if root, ok := strings.CutPrefix(part, "Root="); ok {
			return root
		}
	}
	return ""
}

func problemResponse(p problem.Problem) events.APIGatewayProxyResponse {
	body, _ := json.Marshal(p) // a Problem has only strings, ints and a slice of them
	return events.APIGatewayProxyResponse{
		StatusCode: p.Status,
		Headers:    map[string]string{"Content-Type": problem.ContentType},
		Body:       string(body),
	}
}

// Routes returns the registered patterns, sorted, so that whatever serves
// the router (the CDK stack's API, a document of the API) can follow it.
func (rt *Router) Routes() []string {
	out := make([]string, len(rt.routes))
	for i, r := range rt.routes {
		out[i] = r.pattern
	}
	slices.Sort(out)
	return out
}
