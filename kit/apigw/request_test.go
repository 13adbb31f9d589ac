package apigw_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
)

func TestHeader(t *testing.T) {
	r := &apigw.Request{Event: events.APIGatewayProxyRequest{
		Headers: map[string]string{
			"content-type": "application/json",
			"X-Single":     "single",
			"X-Both":       "from-headers",
		},
		MultiValueHeaders: map[string][]string{
			"X-Multi": {"first", "second"},
			"x-both":  {"multi-first", "multi-second"},
			"X-Empty": {},
		},
	}}
	for _, tc := range []struct{ name, want string }{
		{"Content-Type", "application/json"},
		{"CONTENT-TYPE", "application/json"},
		{"content-type", "application/json"},
		{"x-single", "single"},
		// Several lines: the last, as API Gateway's single-value map has it.
		{"x-multi", "second"},
		{"X-MULTI", "second"},
		{"X-Both", "multi-second"},
		{"X-Empty", ""},
		{"X-Missing", ""},
		{"", ""},
	} {
		if got := r.Header(tc.name); got != tc.want {
			t.Errorf("Header(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"x-blank", "", true},
		{"X-Single", "single", true},
		{"x-multi", "second", true},
		{"X-Empty", "", false}, // an empty multi-value list is no header
		{"X-Missing", "", false},
	} {
		r.Event.Headers["X-Blank"] = ""
		if got, ok := r.LookupHeader(tc.name); got != tc.want || ok != tc.ok {
			t.Errorf("LookupHeader(%q) = %q, %v; want %q, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
	if got := (&apigw.Request{}).Header("Anything"); got != "" {
		t.Errorf("Header on an event without headers = %q", got)
	}
}

func TestQuery(t *testing.T) {
	r := &apigw.Request{Event: events.APIGatewayProxyRequest{
		QueryStringParameters: map[string]string{"single": "1", "both": "last", "empty": ""},
		MultiValueQueryStringParameters: map[string][]string{
			"multi": {"a", "b"},
			"both":  {"first", "last"},
		},
	}}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"single", []string{"1"}},
		{"multi", []string{"a", "b"}},
		{"both", []string{"first", "last"}},
		{"empty", []string{""}},
		{"missing", nil},
		{"SINGLE", nil}, // query names are case-sensitive
	} {
		if got := r.Query(tc.name); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("Query(%q) = %#v, want %#v", tc.name, got, tc.want)
		}
	}
}

func TestPathValue(t *testing.T) {
	var got map[string]string
	rt := apigw.NewRouter(zap.NewNop())
	rt.Handle("GET /a/{x}/b/{y}", func(_ context.Context, r *apigw.Request) (apigw.Response, error) {
		got = map[string]string{"x": r.PathValue("x"), "y": r.PathValue("y"), "z": r.PathValue("z"), "X": r.PathValue("X")}
		return apigw.NoContent(), nil
	})
	rt.Handle("GET /plain", func(_ context.Context, r *apigw.Request) (apigw.Response, error) {
		got = map[string]string{"x": r.PathValue("x")}
		return apigw.NoContent(), nil
	})
	invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/a/1%20/b/ü"})
	want := map[string]string{"x": "1%20", "y": "ü", "z": "", "X": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("PathValue(%q) = %q, want %q", k, got[k], v)
		}
	}
	invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/plain"})
	if got["x"] != "" {
		t.Errorf("PathValue on a route without parameters = %q", got["x"])
	}
	if v := (&apigw.Request{}).PathValue("x"); v != "" {
		t.Errorf("PathValue on a bare request = %q", v)
	}
}

func TestBasePath(t *testing.T) {
	for _, tc := range []struct{ full, path, want string }{
		{"/prod/products/p1", "/products/p1", "/prod"},
		{"/prod/products", "/products", "/prod"},
		{"/v1/prod/products", "/products", "/v1/prod"},
		{"/prod/", "/", "/prod"},
		{"/products/p1", "/products/p1", ""}, // custom domain or local: nothing removed
		{"", "/products", ""},
		{"/other/thing", "/products", ""},
	} {
		r := &apigw.Request{Event: events.APIGatewayProxyRequest{
			Path: tc.path, RequestContext: events.APIGatewayProxyRequestContext{Path: tc.full},
		}}
		if got := r.BasePath(); got != tc.want {
			t.Errorf("BasePath(%q, %q) = %q, want %q", tc.full, tc.path, got, tc.want)
		}
	}
}

func TestString(t *testing.T) {
	r := &apigw.Request{Event: events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/products", Body: "secret body"}}
	if got := r.String(); got != "POST /products" {
		t.Errorf("String() = %q", got)
	}
}

// payload is a command-like shape with a string, a pointer and a nested
// free-form field, so nesting can be tested apart from type errors.
type payload struct {
	Name  string   `json:"name"`
	Note  *string  `json:"note"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
	Extra any      `json:"extra"`
}

func nest(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// padTo returns a JSON object of exactly n bytes.
func padTo(n int) string {
	s := `{"name":"x"}`
	return s[:len(s)-1] + strings.Repeat(" ", n-len(s)) + "}"
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestDecodeJSON(t *testing.T) {
	note := "n"
	for _, tc := range []struct {
		name       string
		body       string
		base64     bool
		want       *payload // nil when an error is expected
		wantKind   error    // kit.ErrInvalid or kit.ErrTooLarge
		wantDetail string   // a piece of the kit.Error detail
		wantField  string   // for a *kit.ValidationError
		wantReason string
	}{
		{name: "valid", body: `{"name":"chair","note":"n","count":2,"tags":["a"]}`, want: &payload{Name: "chair", Note: &note, Count: 2, Tags: []string{"a"}}},
		{name: "valid with whitespace", body: " \n\t{\"name\":\"chair\"}\r\n ", want: &payload{Name: "chair"}},
		{name: "valid base64", body: b64(`{"name":"chair"}`), base64: true, want: &payload{Name: "chair"}},
		{name: "valid multibyte", body: `{"name":"çåŕ ✓ 😀"}`, want: &payload{Name: "çåŕ ✓ 😀"}},
		{name: "empty object", body: `{}`, want: &payload{}},
		{name: "empty", body: "", wantKind: kit.ErrInvalid, wantDetail: "required"},
		{name: "whitespace", body: " \r\n\t ", wantKind: kit.ErrInvalid, wantDetail: "required"},
		{name: "empty base64", body: "", base64: true, wantKind: kit.ErrInvalid, wantDetail: "required"},
		{name: "invalid UTF-8", body: b64("{\"name\":\"\xff\xfe\"}"), base64: true, wantKind: kit.ErrInvalid, wantDetail: "UTF-8"},
		{name: "invalid UTF-8 plain", body: "{\"name\":\"\xc3\"}", wantKind: kit.ErrInvalid, wantDetail: "UTF-8"},
		{name: "invalid base64", body: "{not base64}", base64: true, wantKind: kit.ErrInvalid, wantDetail: "base64"},
		{name: "url-safe base64", body: "_-__", base64: true, wantKind: kit.ErrInvalid, wantDetail: "base64"},
		{name: "syntax", body: `{"name":`, wantKind: kit.ErrInvalid, wantDetail: "not valid JSON"},
		{name: "syntax mid", body: `{"name" "x"}`, wantKind: kit.ErrInvalid, wantDetail: "not valid JSON"},
		{name: "trailing value", body: `{"name":"a"} {"name":"b"}`, wantKind: kit.ErrInvalid, wantDetail: "after its JSON value"},
		{name: "trailing garbage", body: `{"name":"a"}x`, wantKind: kit.ErrInvalid},
		{name: "trailing bracket", body: `{"name":"a"}}`, wantKind: kit.ErrInvalid},
		{name: "unknown field", body: `{"name":"a","color":"red"}`, wantField: "color", wantReason: "is not allowed"},
		{name: "unknown field clipped", body: `{"` + strings.Repeat("k", 100) + `":1}`, wantField: strings.Repeat("k", 64) + "…", wantReason: "is not allowed"},
		{name: "string as number", body: `{"name":5}`, wantField: "name", wantReason: "must be a string"},
		{name: "pointer string as bool", body: `{"note":true}`, wantField: "note", wantReason: "must be a string"},
		{name: "string as object", body: `{"name":{}}`, wantField: "name", wantReason: "must be a string"},
		{name: "number as string", body: `{"count":"2"}`, wantField: "count", wantReason: "must be an integer"},
		{name: "fraction as integer", body: `{"count":1.5}`, wantField: "count", wantReason: "must be an integer"},
		{name: "string as array", body: `{"tags":"x"}`, wantField: "tags", wantReason: "must be an array"},
		{name: "top-level null", body: `null`, wantKind: kit.ErrInvalid, wantDetail: "must be a JSON object"},
		{name: "field in another case", body: `{"NAME":"chair"}`, wantField: "NAME", wantReason: "is not allowed"},
		{name: "top-level array", body: `[{"name":"a"}]`, wantKind: kit.ErrInvalid, wantDetail: "must be a JSON object"},
		{name: "top-level string", body: `"chair"`, wantKind: kit.ErrInvalid, wantDetail: "must be a JSON object"},
		{name: "top-level number", body: `42`, wantKind: kit.ErrInvalid, wantDetail: "must be a JSON object"},
		{name: "nesting at the limit", body: `{"extra":` + nest(apigw.MaxDepth-1) + `}`, want: &payload{Extra: nestedValue(apigw.MaxDepth - 1)}},
		{name: "nesting over the limit", body: `{"extra":` + nest(apigw.MaxDepth) + `}`, wantKind: kit.ErrInvalid, wantDetail: "nests deeper"},
		{name: "deep nesting", body: strings.Repeat(`{"extra":`, 5000), wantKind: kit.ErrInvalid, wantDetail: "nests deeper"},
		{name: "brackets in a string", body: `{"name":"` + strings.Repeat("[[[[", 100) + `"}`, want: &payload{Name: strings.Repeat("[[[[", 100)}},
		{name: "braces after an escaped quote", body: `{"name":"\"` + strings.Repeat("{[", 100) + `"}`, want: &payload{Name: `"` + strings.Repeat("{[", 100)}},
		{name: "nesting after an escaped backslash", body: `{"name":"\\","extra":` + nest(apigw.MaxDepth) + `}`, wantKind: kit.ErrInvalid, wantDetail: "nests deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &apigw.Request{Event: events.APIGatewayProxyRequest{Body: tc.body, IsBase64Encoded: tc.base64}}
			var got payload
			err := r.DecodeJSON(&got)
			switch {
			case tc.want != nil:
				if err != nil {
					t.Fatalf("DecodeJSON error: %v", err)
				}
				if !equalPayload(got, *tc.want) {
					t.Errorf("DecodeJSON = %+v, want %+v", got, *tc.want)
				}
			case tc.wantField != "":
				var verr *kit.ValidationError
				if !errors.As(err, &verr) {
					t.Fatalf("DecodeJSON error = %v (%T), want a *kit.ValidationError", err, err)
				}
				if len(verr.Fields) != 1 || verr.Fields[0].Field != tc.wantField || verr.Fields[0].Reason != tc.wantReason {
					t.Errorf("fields = %+v, want %s: %s", verr.Fields, tc.wantField, tc.wantReason)
				}
				if !errors.Is(err, kit.ErrInvalid) {
					t.Error("the ValidationError is not ErrInvalid")
				}
			default:
				if !errors.Is(err, tc.wantKind) {
					t.Fatalf("DecodeJSON error = %v, want %v", err, tc.wantKind)
				}
				var ke *kit.Error
				if !errors.As(err, &ke) {
					t.Fatalf("DecodeJSON error %T is not a *kit.Error, so its detail would not reach the client", err)
				}
				if !strings.Contains(ke.Detail, tc.wantDetail) {
					t.Errorf("detail %q does not contain %q", ke.Detail, tc.wantDetail)
				}
			}
		})
	}
}

// Structs embedded in a body's type, as encoding/json sees them: without a
// JSON name of their own their fields are the body's, by value or by
// pointer; with one they are a nested object.
type (
	Audit struct {
		By string `json:"by"`
	}
	Named struct {
		Note string `json:"note"`
	}
	Stamp struct {
		At string `json:"at"`
	}
	embedding struct {
		Name string `json:"name"`
		Audit
		*Named
		Stamp `json:"stamp"`
	}
)

// TestDecodeJSONEmbedded: a promoted field is a field of the body, in its
// one spelling; an embedded struct's own name is not.
func TestDecodeJSONEmbedded(t *testing.T) {
	for _, tc := range []struct {
		body string
		want embedding // when bad is ""
		bad  string    // the field refused
	}{
		{body: `{"name":"a","by":"b","note":"n","stamp":{"at":"t"}}`,
			want: embedding{Name: "a", Audit: Audit{By: "b"}, Named: &Named{Note: "n"}, Stamp: Stamp{At: "t"}}},
		{body: `{"by":"b"}`, want: embedding{Audit: Audit{By: "b"}}},
		{body: `{"By":"b"}`, bad: "By"},
		{body: `{"NOTE":"n"}`, bad: "NOTE"},
		{body: `{"Audit":{"by":"b"}}`, bad: "Audit"},
		{body: `{"at":"t"}`, bad: "at"},
	} {
		t.Run(tc.body, func(t *testing.T) {
			r := &apigw.Request{Event: events.APIGatewayProxyRequest{Body: tc.body}}
			var got embedding
			err := r.DecodeJSON(&got)
			if tc.bad == "" {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Errorf("DecodeJSON = %+v, %v; want %+v", got, err, tc.want)
				}
				return
			}
			var verr *kit.ValidationError
			if !errors.As(err, &verr) || len(verr.Fields) != 1 || verr.Fields[0] != (kit.FieldError{Field: tc.bad, Reason: "is not allowed"}) {
				t.Errorf("DecodeJSON error = %v, want %s is not allowed", err, tc.bad)
			}
		})
	}
}

// nestedValue is what encoding/json makes of nest(n) in an any.
func nestedValue(n int) any {
	var v any = []any{}
	for range n - 1 {
		v = []any{v}
	}
	return v
}

func equalPayload(a, b payload) bool {
	if a.Name != b.Name || a.Count != b.Count || !slices.Equal(a.Tags, b.Tags) {
		return false
	}
	if (a.Note == nil) != (b.Note == nil) || (a.Note != nil && *a.Note != *b.Note) {
		return false
	}
	return nestedDepth(a.Extra) == nestedDepth(b.Extra)
}

func nestedDepth(v any) int {
	s, ok := v.([]any)
	if !ok {
		return 0
	}
	if len(s) == 0 {
		return 1
	}
	return 1 + nestedDepth(s[0])
}

func TestDecodeJSONSizeLimit(t *testing.T) {
	exact := padTo(apigw.MaxBodyBytes)
	over := padTo(apigw.MaxBodyBytes + 1)
	if len(exact) != apigw.MaxBodyBytes || len(over) != apigw.MaxBodyBytes+1 {
		t.Fatalf("padTo is wrong: %d, %d", len(exact), len(over))
	}
	for _, tc := range []struct {
		name    string
		body    string
		base64  bool
		wantErr error
	}{
		{"exactly max", exact, false, nil},
		{"exactly max base64", b64(exact), true, nil},
		{"one over", over, false, kit.ErrTooLarge},
		{"one over base64", b64(over), true, kit.ErrTooLarge},
		{"two over base64", b64(padTo(apigw.MaxBodyBytes + 2)), true, kit.ErrTooLarge},
		{"huge", strings.Repeat("x", 10*apigw.MaxBodyBytes), false, kit.ErrTooLarge},
		{"huge base64", strings.Repeat("A", 10*apigw.MaxBodyBytes), true, kit.ErrTooLarge},
		// Judged by size before anything else, so not a JSON or base64 error.
		{"huge invalid base64", strings.Repeat("!", 2*apigw.MaxBodyBytes), true, kit.ErrTooLarge},
		// At the limit, the body is judged only as JSON.
		{"exactly max invalid JSON", strings.Repeat("x", apigw.MaxBodyBytes), false, kit.ErrInvalid},
		{"exactly max base64 invalid JSON", b64(strings.Repeat("x", apigw.MaxBodyBytes)), true, kit.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &apigw.Request{Event: events.APIGatewayProxyRequest{Body: tc.body, IsBase64Encoded: tc.base64}}
			var got payload
			err := r.DecodeJSON(&got)
			if tc.wantErr == nil {
				if err != nil || got.Name != "x" {
					t.Fatalf("DecodeJSON = %+v, %v", got.Name, err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("DecodeJSON error = %v, want %v", err, tc.wantErr)
			}
			if errors.Is(tc.wantErr, kit.ErrInvalid) && errors.Is(err, kit.ErrTooLarge) {
				t.Errorf("a body at the limit was too large: %v", err)
			}
		})
	}
}

func TestBody(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		base64     bool
		want       string
	}{
		{"plain", "hello", false, "hello"},
		{"base64", b64("\x00\xffbinary"), true, "\x00\xffbinary"},
		{"empty", "", false, ""},
		{"empty base64", "", true, ""},
	} {
		r := &apigw.Request{Event: events.APIGatewayProxyRequest{Body: tc.body, IsBase64Encoded: tc.base64}}
		got, err := r.Body()
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: Body() = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestDecodeJSONThroughRouter(t *testing.T) {
	rt := apigw.NewRouter(zap.NewNop())
	rt.Handle("POST /p", func(_ context.Context, r *apigw.Request) (apigw.Response, error) {
		var p payload
		if err := r.DecodeJSON(&p); err != nil {
			return apigw.Response{}, err
		}
		return apigw.JSON(http.StatusOK, p.Name)
	})
	for _, tc := range []struct {
		body       string
		wantStatus int
		wantType   string
	}{
		{`{"name":"ok"}`, 200, ""},
		{`{"name":1}`, 400, "/problems/validation-error"},
		{`{"name":`, 400, "about:blank"},
		{padTo(apigw.MaxBodyBytes + 1), 413, "about:blank"},
	} {
		resp := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/p", Body: tc.body})
		if resp.StatusCode != tc.wantStatus {
			t.Errorf("%.20q: status %d, want %d", tc.body, resp.StatusCode, tc.wantStatus)
			continue
		}
		if tc.wantType != "" {
			if p := decodeProblem(t, resp); p.Type != tc.wantType {
				t.Errorf("%.20q: type %q, want %q", tc.body, p.Type, tc.wantType)
			}
		}
	}
}
