package apigw_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
)

// queryTarget has one field per shape BindQuery handles; each integer
// field's validate tag gives the bounds its parse error states.
type queryTarget struct {
	Page     int    `query:"page" default:"20" validate:"min=1,max=100"`
	AtLeast  int    `query:"atLeast" validate:"min=1"`
	AtMost   int64  `query:"atMost" validate:"max=9"`
	Plain    int    `query:"plain"`
	Token    string `query:"token"`
	Sort     string `query:"sort" default:"name"`
	Deep     bool   `query:"deep"`
	Untagged string // no query tag: never bound, even if a parameter shares its name
}

func queryRequest(single map[string]string, multi map[string][]string) *apigw.Request {
	return &apigw.Request{Event: events.APIGatewayProxyRequest{
		QueryStringParameters: single, MultiValueQueryStringParameters: multi,
	}}
}

func TestBindQueryFills(t *testing.T) {
	for _, tc := range []struct {
		name   string
		single map[string]string
		multi  map[string][]string
		want   queryTarget
	}{
		{name: "nothing given: defaults, and zero where there is none",
			want: queryTarget{Page: 20, Sort: "name"}},
		{name: "given values win over defaults",
			single: map[string]string{"page": "3", "sort": "date", "token": "abc", "plain": "-7", "atMost": "9"},
			want:   queryTarget{Page: 3, Sort: "date", Token: "abc", Plain: -7, AtMost: 9}},
		// The bounds are the bus's to check, not BindQuery's.
		{name: "out of bounds still binds",
			single: map[string]string{"page": "0", "atLeast": "-5"},
			want:   queryTarget{Page: 0, AtLeast: -5, Sort: "name"}},
		{name: "an empty string is given, not absent",
			single: map[string]string{"sort": ""},
			want:   queryTarget{Page: 20}},
		{name: "a single value in the multi-value map",
			multi: map[string][]string{"page": {"7"}},
			want:  queryTarget{Page: 7, Sort: "name"}},
		{name: "the multi-value map wins over the single-value one",
			single: map[string]string{"page": "8"},
			multi:  map[string][]string{"page": {"9"}},
			want:   queryTarget{Page: 9, Sort: "name"}},
		{name: "untagged fields are left alone",
			single: map[string]string{"Untagged": "x", "untagged": "y"},
			want:   queryTarget{Page: 20, Sort: "name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got queryTarget
			if err := queryRequest(tc.single, tc.multi).BindQuery(&got); err != nil {
				t.Fatalf("BindQuery: %v", err)
			}
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestBindQueryBool(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want bool
	}{
		{"true", true}, {"1", true}, {"TRUE", true}, {"t", true},
		{"false", false}, {"0", false}, {"F", false},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			// Start from the opposite, so "false" must actually be written.
			got := queryTarget{Deep: !tc.want}
			if err := queryRequest(map[string]string{"deep": tc.raw}, nil).BindQuery(&got); err != nil {
				t.Fatalf("BindQuery: %v", err)
			}
			if got.Deep != tc.want {
				t.Errorf("deep=%s bound %v, want %v", tc.raw, got.Deep, tc.want)
			}
		})
	}
}

// TestBindQueryFieldErrors checks that every client mistake is a
// *kit.ValidationError naming the parameter (so it is a 400 listing the
// field), with a reason that states the bounds the validate tag gives.
func TestBindQueryFieldErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		single map[string]string
		multi  map[string][]string
		want   kit.FieldError
	}{
		{name: "repeated",
			single: map[string]string{"token": "b"},
			multi:  map[string][]string{"token": {"a", "b"}},
			want:   kit.FieldError{Field: "token", Reason: "must be given once"}},
		{name: "repeated with the same value",
			multi: map[string][]string{"page": {"5", "5"}},
			want:  kit.FieldError{Field: "page", Reason: "must be given once"}},
		{name: "not an integer, min and max",
			single: map[string]string{"page": "ten"},
			want:   kit.FieldError{Field: "page", Reason: "must be an integer from 1 to 100"}},
		{name: "a decimal, min and max",
			single: map[string]string{"page": "2.5"},
			want:   kit.FieldError{Field: "page", Reason: "must be an integer from 1 to 100"}},
		{name: "empty, min and max",
			single: map[string]string{"page": ""},
			want:   kit.FieldError{Field: "page", Reason: "must be an integer from 1 to 100"}},
		{name: "not an integer, min only",
			single: map[string]string{"atLeast": "x"},
			want:   kit.FieldError{Field: "atLeast", Reason: "must be an integer of at least 1"}},
		{name: "not an integer, max only",
			single: map[string]string{"atMost": "x"},
			want:   kit.FieldError{Field: "atMost", Reason: "must be an integer of at most 9"}},
		{name: "not an integer, no bounds",
			single: map[string]string{"plain": "x"},
			want:   kit.FieldError{Field: "plain", Reason: "must be an integer"}},
		{name: "overflows the field",
			single: map[string]string{"plain": "99999999999999999999"},
			want:   kit.FieldError{Field: "plain", Reason: "must be an integer"}},
		{name: "not a bool",
			single: map[string]string{"deep": "yes"},
			want:   kit.FieldError{Field: "deep", Reason: "must be true or false"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got queryTarget
			err := queryRequest(tc.single, tc.multi).BindQuery(&got)
			var verr *kit.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("BindQuery = %v, want a *kit.ValidationError", err)
			}
			if want := []kit.FieldError{tc.want}; !reflect.DeepEqual(verr.Fields, want) {
				t.Errorf("fields %+v, want %+v", verr.Fields, want)
			}
			if !errors.Is(err, kit.ErrInvalid) {
				t.Errorf("error %v does not match kit.ErrInvalid", err)
			}
		})
	}
}

// TestBindQueryProgrammingErrors: a dst BindQuery cannot fill is the
// service's mistake, so it is an error but not a client's ErrInvalid,
// which would blame the request.
func TestBindQueryProgrammingErrors(t *testing.T) {
	var target queryTarget
	var unsupported struct {
		Ratio float64 `query:"ratio"`
	}
	n := 3
	for _, tc := range []struct {
		name string
		dst  any
	}{
		{"a struct, not a pointer", target},
		{"nil", nil},
		{"a pointer to an int", &n},
		{"a field type it cannot parse", &unsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := queryRequest(map[string]string{"ratio": "0.5"}, nil).BindQuery(tc.dst)
			if err == nil || errors.Is(err, kit.ErrInvalid) {
				t.Errorf("BindQuery(%T) = %v, want an error that is not kit.ErrInvalid", tc.dst, err)
			}
		})
	}
	if n != 3 {
		t.Errorf("BindQuery changed the int it was given: %d", n)
	}
}

// TestBindQueryThroughRouter shows a BindQuery error reaching the client as
// a 400 that lists the field.
func TestBindQueryThroughRouter(t *testing.T) {
	rt := apigw.NewRouter(zap.NewNop())
	rt.Handle("GET /items", func(_ context.Context, r *apigw.Request) (apigw.Response, error) {
		var q queryTarget
		return apigw.Response{StatusCode: http.StatusOK}, r.BindQuery(&q)
	})
	resp := invoke(context.Background(), t, rt, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/items",
		QueryStringParameters: map[string]string{"page": "many"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d %s, want 400", resp.StatusCode, resp.Body)
	}
	p := decodeProblem(t, resp)
	if want := []kit.FieldError{{Field: "page", Reason: "must be an integer from 1 to 100"}}; !reflect.DeepEqual(p.Errors, want) {
		t.Errorf("errors %+v, want %+v", p.Errors, want)
	}
}

// TestRoutesSorted: Routes lists every pattern once, sorted, whatever the
// order of registration and however the router orders them for matching
// (a literal segment before a parameter).
func TestRoutesSorted(t *testing.T) {
	if got := apigw.NewRouter(zap.NewNop()).Routes(); len(got) != 0 {
		t.Errorf("empty router: %v", got)
	}
	registered := []string{
		"PUT /products/{id}",
		"GET /products/{id}",
		"GET /products/search",
		"POST /products",
		"DELETE /products/{id}",
		"GET /products",
		"GET /a",
	}
	rt := apigw.NewRouter(zap.NewNop())
	for _, p := range registered {
		rt.Handle(p, func(context.Context, *apigw.Request) (apigw.Response, error) { return apigw.NoContent(), nil })
	}
	want := slices.Sorted(slices.Values(registered))
	got := rt.Routes()
	if !slices.Equal(got, want) {
		t.Errorf("Routes() = %v\nwant %v", got, want)
	}
	// A copy: changing it does not change the router.
	got[0] = "GET /changed"
	if again := rt.Routes(); !slices.Equal(again, want) {
		t.Errorf("Routes() after changing a returned slice = %v", again)
	}
}
