package apigw_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
)

func TestEvent(t *testing.T) {
	req := httptest.NewRequest(http.MethodPut, "http://localhost:8080/products/p1?pageSize=5&tag=a&tag=b&empty=", strings.NewReader("ignored"))
	req.Header.Set("If-Match", `"3"`)
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.RemoteAddr = "192.0.2.1:1234"

	ev := apigw.Event(req, []byte(`{"name":"chair"}`))
	if ev.HTTPMethod != "PUT" || ev.Path != "/products/p1" {
		t.Errorf("method/path = %s %s", ev.HTTPMethod, ev.Path)
	}
	if ev.Body != `{"name":"chair"}` || ev.IsBase64Encoded {
		t.Errorf("body = %q base64 %v", ev.Body, ev.IsBase64Encoded)
	}
	if ev.Headers["If-Match"] != `"3"` || ev.Headers["X-Multi"] != "two" {
		t.Errorf("Headers = %v", ev.Headers)
	}
	if !slices.Equal(ev.MultiValueHeaders["X-Multi"], []string{"one", "two"}) {
		t.Errorf("MultiValueHeaders[X-Multi] = %v", ev.MultiValueHeaders["X-Multi"])
	}
	if ev.QueryStringParameters["pageSize"] != "5" || ev.QueryStringParameters["tag"] != "b" {
		t.Errorf("QueryStringParameters = %v", ev.QueryStringParameters)
	}
	if v, ok := ev.QueryStringParameters["empty"]; !ok || v != "" {
		t.Errorf("empty query parameter = %q, %v", v, ok)
	}
	if !slices.Equal(ev.MultiValueQueryStringParameters["tag"], []string{"a", "b"}) {
		t.Errorf("MultiValueQueryStringParameters[tag] = %v", ev.MultiValueQueryStringParameters["tag"])
	}
	rc := ev.RequestContext
	if rc.Stage != "local" || rc.HTTPMethod != "PUT" || rc.Path != "/products/p1" || rc.Identity.SourceIP != "192.0.2.1:1234" {
		t.Errorf("RequestContext = %+v", rc)
	}
	if rc.Identity.UserArn != "" {
		t.Errorf("a local request has caller %q", rc.Identity.UserArn)
	}
	if len(rc.RequestID) != 32 {
		t.Errorf("RequestID = %q, want 32 hex digits", rc.RequestID)
	}
	if other := apigw.Event(req, nil).RequestContext.RequestID; other == rc.RequestID {
		t.Errorf("two events share request id %q", other)
	}
	// The router reads what Event built the way it reads API Gateway's.
	r := &apigw.Request{Event: ev}
	if r.Header("if-match") != `"3"` || !slices.Equal(r.Query("tag"), []string{"a", "b"}) || r.BasePath() != "" {
		t.Errorf("Request over the event: header %q query %v base %q", r.Header("if-match"), r.Query("tag"), r.BasePath())
	}
}

func TestEventBody(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/x", nil)
	for _, tc := range []struct {
		name string
		body []byte
		b64  bool
	}{
		{"empty", nil, false},
		{"ascii", []byte(`{"a":1}`), false},
		{"utf-8", []byte("çå ✓ 😀"), false},
		{"binary", []byte{0xff, 0xfe, 0x00, 0x01}, true},
		{"truncated rune", []byte("ok\xe2\x82"), true},
	} {
		ev := apigw.Event(req, tc.body)
		if ev.IsBase64Encoded != tc.b64 {
			t.Errorf("%s: IsBase64Encoded = %v, want %v", tc.name, ev.IsBase64Encoded, tc.b64)
		}
		got, err := (&apigw.Request{Event: ev}).Body()
		if err != nil || !bytes.Equal(got, tc.body) {
			t.Errorf("%s: Body() = %q, %v; want %q", tc.name, got, err, tc.body)
		}
		if tc.b64 && ev.Body != base64.StdEncoding.EncodeToString(tc.body) {
			t.Errorf("%s: Body = %q, not standard base64", tc.name, ev.Body)
		}
	}
}

func TestHTTPHandlerWritesResponse(t *testing.T) {
	var seen events.APIGatewayProxyRequest
	handler := apigw.HTTPHandler(func(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		seen = ev
		return events.APIGatewayProxyResponse{
			StatusCode:        http.StatusCreated,
			Headers:           map[string]string{"Content-Type": "application/json", "Location": "/products/p1"},
			MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}},
			Body:              `{"id":"p1"}`,
		}, nil
	})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/products?x=1", strings.NewReader(`{"name":"chair"}`))
	req.Header.Set("Content-Type", "application/json")
	handler.ServeHTTP(rec, req)

	if seen.HTTPMethod != "POST" || seen.Path != "/products" || seen.Body != `{"name":"chair"}` ||
		seen.Headers["Content-Type"] != "application/json" || seen.QueryStringParameters["x"] != "1" {
		t.Errorf("event = %+v", seen)
	}
	res := rec.Result()
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 || string(body) != `{"id":"p1"}` {
		t.Errorf("response = %d %q", res.StatusCode, body)
	}
	if res.Header.Get("Location") != "/products/p1" || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v", res.Header)
	}
	if !slices.Equal(res.Header.Values("Set-Cookie"), []string{"a=1", "b=2"}) {
		t.Errorf("Set-Cookie = %v", res.Header.Values("Set-Cookie"))
	}
}

func TestHTTPHandlerBase64Response(t *testing.T) {
	raw := []byte{0x89, 'P', 'N', 'G', 0x00, 0xff}
	handler := apigw.HTTPHandler(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: base64.StdEncoding.EncodeToString(raw), IsBase64Encoded: true}, nil
	})
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/img", nil))
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), raw) {
		t.Errorf("response = %d %q, want %q", rec.Code, rec.Body.Bytes(), raw)
	}
}

func TestHTTPHandlerInvokeError(t *testing.T) {
	handler := apigw.HTTPHandler(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "secret"}, errors.New("lambda failed")
	})
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusBadGateway || strings.Contains(rec.Body.String(), "secret") || strings.Contains(rec.Body.String(), "lambda failed") {
		t.Errorf("response = %d %q, want a bare 502", rec.Code, rec.Body.String())
	}
}

func TestHTTPHandlerOverRouter(t *testing.T) {
	rt := apigw.NewRouter(zap.NewNop())
	var info kit.RequestInfo
	rt.Handle("POST /things/{id}", func(ctx context.Context, r *apigw.Request) (apigw.Response, error) {
		info = kit.RequestInfoFrom(ctx)
		var in struct {
			Name string `json:"name"`
		}
		if err := r.DecodeJSON(&in); err != nil {
			return apigw.Response{}, err
		}
		return apigw.JSON(http.StatusOK, map[string]string{"id": r.PathValue("id"), "name": in.Name})
	})
	srv := apigw.HTTPHandler(rt.Invoke)

	for _, tc := range []struct {
		name, method, path string
		body               []byte
		wantStatus         int
		wantBody           string
		wantType           string
	}{
		{"ok", "POST", "/things/7", []byte(`{"name":"x"}`), 200, `{"id":"7","name":"x"}`, "application/json"},
		{"binary body", "POST", "/things/7", []byte{0xff, 0xfe}, 400, "", "application/problem+json"},
		{"over the limit", "POST", "/things/7", bytes.Repeat([]byte(" "), apigw.MaxBodyBytes+100), 413, "", "application/problem+json"},
		{"binary over the limit", "POST", "/things/7", bytes.Repeat([]byte{0xff}, apigw.MaxBodyBytes+100), 413, "", "application/problem+json"},
		{"no route", "GET", "/nope", nil, 404, "", "application/problem+json"},
		{"wrong method", "GET", "/things/7", nil, 405, "", "application/problem+json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, bytes.NewReader(tc.body)))
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.wantStatus, rec.Body.String())
			}
			if ct := rec.Header().Get("Content-Type"); ct != tc.wantType {
				t.Errorf("Content-Type = %q, want %q", ct, tc.wantType)
			}
			if tc.wantBody != "" && rec.Body.String() != tc.wantBody {
				t.Errorf("body = %s, want %s", rec.Body.String(), tc.wantBody)
			}
			if tc.wantStatus == 405 && rec.Header().Get("Allow") != "POST" {
				t.Errorf("Allow = %q", rec.Header().Get("Allow"))
			}
		})
	}
	if info.Stage != "local" || info.Caller != "" || info.RequestID == "" {
		t.Errorf("RequestInfo over HTTP = %+v", info)
	}
}

// TestHTTPHandlerSimulatesCaller checks the local server's simulated
// caller: from X-Caller when the request has one (empty: unsigned), else
// the configured one, put where API Gateway puts the verified caller; and
// none at all without WithCaller.
func TestHTTPHandlerSimulatesCaller(t *testing.T) {
	const local, alice = "arn:aws:iam::000000000000:user/local", "arn:aws:iam::123456789012:user/alice"
	for _, tc := range []struct {
		name       string
		opts       []apigw.HTTPOption
		header     []string // X-Caller lines; nil for none
		wantCaller string
		wantHeader bool // the header reaches the event
	}{
		{"not simulated", nil, nil, "", false},
		{"not simulated, header passed on as any other", nil, []string{alice}, "", true},
		{"default", []apigw.HTTPOption{apigw.WithCaller(local)}, nil, local, false},
		{"header", []apigw.HTTPOption{apigw.WithCaller(local)}, []string{alice}, alice, false},
		{"empty header is unsigned", []apigw.HTTPOption{apigw.WithCaller(local)}, []string{""}, "", false},
		{"last of two lines", []apigw.HTTPOption{apigw.WithCaller(local)}, []string{local, alice}, alice, false},
		{"no default", []apigw.HTTPOption{apigw.WithCaller("")}, nil, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := apigw.NewRouter(zap.NewNop())
			var info kit.RequestInfo
			var seen events.APIGatewayProxyRequest
			rt.Handle("GET /things", func(ctx context.Context, _ *apigw.Request) (apigw.Response, error) {
				info = kit.RequestInfoFrom(ctx)
				return apigw.JSON(http.StatusOK, struct{}{})
			})
			srv := apigw.HTTPHandler(func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
				seen = ev
				return rt.Invoke(ctx, ev)
			}, tc.opts...)
			req := httptest.NewRequest(http.MethodGet, "/things", nil)
			for _, v := range tc.header {
				req.Header.Add("x-caller", v)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if info.Caller != tc.wantCaller || seen.RequestContext.Identity.UserArn != tc.wantCaller {
				t.Errorf("caller %q (userArn %q), want %q", info.Caller, seen.RequestContext.Identity.UserArn, tc.wantCaller)
			}
			_, single := seen.Headers[apigw.HeaderCaller]
			_, multi := seen.MultiValueHeaders[apigw.HeaderCaller]
			if single != tc.wantHeader || multi != tc.wantHeader {
				t.Errorf("X-Caller in the event: %v/%v, want %v", single, multi, tc.wantHeader)
			}
		})
	}
}

// TestRouterTakesNoCallerFromHeaders is the Lambda path: the router, which
// Lambda invokes, takes the caller API Gateway verified and nothing a
// client wrote, whatever headers the event carries.
func TestRouterTakesNoCallerFromHeaders(t *testing.T) {
	const mallory = "arn:aws:iam::000000000000:user/mallory"
	rt := apigw.NewRouter(zap.NewNop())
	var info kit.RequestInfo
	rt.Handle("GET /things", func(ctx context.Context, _ *apigw.Request) (apigw.Response, error) {
		info = kit.RequestInfoFrom(ctx)
		return apigw.JSON(http.StatusOK, struct{}{})
	})
	for _, verified := range []string{"", "arn:aws:iam::123456789012:user/alice"} {
		ev := events.APIGatewayProxyRequest{
			HTTPMethod:        http.MethodGet,
			Path:              "/things",
			Headers:           map[string]string{apigw.HeaderCaller: mallory, "x-caller": mallory},
			MultiValueHeaders: map[string][]string{apigw.HeaderCaller: {mallory}, "x-caller": {mallory}},
			RequestContext:    events.APIGatewayProxyRequestContext{Identity: events.APIGatewayRequestIdentity{UserArn: verified}},
		}
		resp, err := rt.Invoke(context.Background(), ev)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("invoke: %d %v", resp.StatusCode, err)
		}
		if info.Caller != verified {
			t.Errorf("verified caller %q, X-Caller %q: served as %q", verified, mallory, info.Caller)
		}
	}
}
