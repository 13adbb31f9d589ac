package apigw_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/problem"
)

type fuzzCommand struct {
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

// FuzzDecodeJSON holds DecodeJSON to its contract for any body: it never
// panics, it fails only with a client error, and what it accepts is one
// valid JSON value in UTF-8. With b64 set, the body goes base64-encoded, as
// API Gateway sends binary, and also as if its bytes were the base64 text.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"name":"chair","description":"oak"}`,
		`{"name":"chair","description":null}`,
		`{}`, ``, ` `, `null`, `[]`, `"x"`, `{"name":1}`, `{"other":1}`,
		`{"name":"a"} {"name":"b"}`, `{"name":"\"[[[["}`, `{"name":"\\"}`,
		strings.Repeat("[", 40) + strings.Repeat("]", 40),
		"{\"name\":\"\xff\"}",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	f.Add([]byte("eyJuYW1lIjoiYSJ9"), true)
	f.Fuzz(func(t *testing.T, body []byte, b64 bool) {
		evs := []events.APIGatewayProxyRequest{{Body: string(body)}}
		if b64 {
			evs = append(evs,
				eventWithBody(base64.StdEncoding.EncodeToString(body), true),
				eventWithBody(string(body), true))
		}
		for _, ev := range evs {
			var dst fuzzCommand
			err := (&apigw.Request{Event: ev}).DecodeJSON(&dst)
			if err != nil {
				if !errors.Is(err, kit.ErrInvalid) && !errors.Is(err, kit.ErrTooLarge) {
					t.Fatalf("DecodeJSON(%q, base64 %v) error %v (%T) is not a client error", ev.Body, ev.IsBase64Encoded, err, err)
				}
				continue
			}
			raw, berr := (&apigw.Request{Event: ev}).Body()
			if berr != nil {
				t.Fatalf("DecodeJSON accepted a body that Body() rejects: %v", berr)
			}
			if !utf8.Valid(raw) || !json.Valid(raw) || len(raw) > apigw.MaxBodyBytes {
				t.Fatalf("DecodeJSON accepted %q", raw)
			}
		}
	})
}

func eventWithBody(body string, b64 bool) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{Body: body, IsBase64Encoded: b64}
}

// FuzzRouterMatch holds the router to three answers for any method and path
// when every handler succeeds: the handler's, 404 or 405.
func FuzzRouterMatch(f *testing.F) {
	for _, seed := range [][2]string{
		{"GET", "/products"}, {"POST", "/products"}, {"GET", "/products/p1"},
		{"PUT", "/products/p1"}, {"DELETE", "/products/p1"}, {"PATCH", "/products/p1"},
		{"GET", "/products/"}, {"GET", "//"}, {"GET", ""}, {"", "/products"},
		{"GET", "/products/p1/reviews/r1"}, {"GET", "/products/search"}, {"GET", "/"},
		{"GET", "/products/{id}"}, {"get", "products"},
	} {
		f.Add(seed[0], seed[1])
	}
	rt := productsRouter(zap.NewNop())
	methods := []string{"DELETE", "GET", "POST", "PUT"}
	f.Fuzz(func(t *testing.T, method, path string) {
		resp, err := rt.Invoke(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: method, Path: path})
		if err != nil {
			t.Fatalf("Invoke(%q, %q) returned error %v", method, path, err)
		}
		switch resp.StatusCode {
		case http.StatusOK:
			if !slices.Contains(methods, method) || !strings.HasPrefix(resp.Body, method+" /") {
				t.Fatalf("%q %q matched %q", method, path, resp.Body)
			}
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			if resp.Headers["Content-Type"] != problem.ContentType {
				t.Fatalf("%d with Content-Type %q", resp.StatusCode, resp.Headers["Content-Type"])
			}
			allow := resp.Headers["Allow"]
			if resp.StatusCode == http.StatusNotFound {
				if allow != "" {
					t.Fatalf("404 with Allow %q", allow)
				}
				break
			}
			listed := strings.Split(allow, ", ")
			if allow == "" || slices.Contains(listed, method) || !slices.IsSorted(listed) {
				t.Fatalf("405 for %q %q with Allow %q", method, path, allow)
			}
		default:
			t.Fatalf("Invoke(%q, %q) = %d %s", method, path, resp.StatusCode, resp.Body)
		}
	})
}
