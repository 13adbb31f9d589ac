package products_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/kit/problem"
	"github.com/lambdakit/lambdakit/products"
)

// Ids the fuzz service gives its two seeded products.
const (
	fuzzID1 = "00000000-0000-7000-8000-000000000001"
	fuzzID2 = "00000000-0000-7000-8000-000000000002"
	// fuzzID3 is a review of the first product.
	fuzzID3 = "00000000-0000-7000-8000-000000000003"
)

// FuzzProductsAPI sends arbitrary requests to the products API over the
// memory adapter, after seeding two products and a review. Whatever the request, the
// service must answer without a server error, every error must be a
// problem, and a failed request must leave the store as it was.
func FuzzProductsAPI(f *testing.F) {
	tokens, err := cursor.New([]byte(golden.TokenKey))
	if err != nil {
		f.Fatal(err)
	}
	next := tokens.Encode(products.Kind, fuzzID1)
	for _, s := range [][6]string{
		// method, path, body, pageSize, nextToken, ifMatch
		{"GET", "/products", "", "", "", ""},
		{"GET", "/products", "", "1", "", ""},
		{"GET", "/products", "", "1", next, ""},
		{"GET", "/products", "", "0", "", ""},
		{"GET", "/products", "", "1,2", "", ""},
		{"GET", "/products", "", "", "not-a-token", ""},
		{"POST", "/products", `{"name":"Stool","description":"Pine"}`, "", "", ""},
		{"POST", "/products", `{"name":"   "}`, "", "", ""},
		{"POST", "/products", `{"name":"x","id":"y"}`, "", "", ""},
		{"POST", "/products", `{"name":"Stool"}`, "", "", "key-1"},
		{"POST", "/products", `{"name":"Stool"}`, "", "", "bad key"},
		{"GET", "/products/" + fuzzID1, "", "", "", `"1"`},
		{"GET", "/products/not-a-uuid", "", "", "", ""},
		{"PUT", "/products/" + fuzzID1, `{"name":"Armchair"}`, "", "", `"1"`},
		{"PUT", "/products/" + fuzzID1, `{"description":""}`, "", "", `"2"`},
		{"PUT", "/products/" + fuzzID1, `{}`, "", "", ""},
		{"PUT", "/products/" + fuzzID2, `{"name":null}`, "", "", `W/"1"`},
		{"DELETE", "/products/" + fuzzID2, "", "", "", `"1"`},
		{"DELETE", "/products/" + fuzzID2, "", "", "", `"1", "2"`},
		{"PATCH", "/products/" + fuzzID1, `{"name":"x"}`, "", "", "*"},
		{"GET", "/products/", "", "", "", ""},
		{"POST", "/products/" + fuzzID1 + "/reviews", `{"rating":4,"comment":"Sturdy"}`, "", "", ""},
		{"POST", "/products/" + fuzzID2 + "/reviews", `{"rating":4.5}`, "", "", "key-2"},
		{"GET", "/products/" + fuzzID1 + "/reviews", "", "1", "", ""},
		{"GET", "/products/" + fuzzID1 + "/reviews/" + fuzzID3, "", "", "", `"1"`},
		{"GET", "/products/" + fuzzID2 + "/reviews/" + fuzzID3, "", "", "", ""},
		{"PUT", "/products/" + fuzzID1 + "/reviews/" + fuzzID3, `{"comment":""}`, "", "", `"1"`},
		{"DELETE", "/products/" + fuzzID1 + "/reviews/" + fuzzID3, "", "", "", `"2"`},
		{"DELETE", "/products/" + fuzzID1, "", "", "", ""},
	} {
		f.Add(s[0], s[1], s[2], s[3], s[4], s[5])
	}
	f.Fuzz(func(t *testing.T, method, path, body, pageSize, nextToken, ifMatch string) {
		svc := golden.Memory(t, products.Register)
		for _, seed := range []string{`{"name":"Chair","description":"Oak, four legs"}`, `{"name":"Desk"}`} {
			if resp := svc.Invoke(t, request("POST", "/products", seed)); resp.StatusCode != 201 {
				t.Fatalf("seed %s: %d %s", seed, resp.StatusCode, resp.Body)
			}
		}
		if resp := svc.Invoke(t, request("POST", "/products/"+fuzzID1+"/reviews", `{"rating":3}`)); resp.StatusCode != 201 {
			t.Fatalf("seed review: %d %s", resp.StatusCode, resp.Body)
		}
		before := svc.Snapshot()

		ev := events.APIGatewayProxyRequest{
			HTTPMethod:                      method,
			Path:                            path,
			Body:                            body,
			Headers:                         map[string]string{},
			QueryStringParameters:           map[string]string{},
			MultiValueQueryStringParameters: map[string][]string{},
			RequestContext: events.APIGatewayProxyRequestContext{
				RequestID: "fuzz", Stage: "test", Path: "/test" + path,
			},
		}
		query := func(name, value string) {
			if value == "" {
				return
			}
			vs := strings.Split(value, ",") // a comma stands for a repeated parameter
			ev.QueryStringParameters[name] = vs[len(vs)-1]
			ev.MultiValueQueryStringParameters[name] = vs
		}
		query("pageSize", pageSize)
		query("nextToken", nextToken)
		// The last argument is whichever request header the method reads:
		// the Idempotency-Key of a POST, else If-Match and If-None-Match.
		if ifMatch != "" {
			if method == "POST" {
				ev.Headers["Idempotency-Key"] = ifMatch
			} else {
				ev.Headers["If-Match"] = ifMatch
				ev.Headers["If-None-Match"] = ifMatch
			}
		}

		resp := svc.Invoke(t, ev)
		if resp.StatusCode >= 500 || resp.StatusCode < 200 {
			t.Fatalf("%s %q: status %d %s", method, path, resp.StatusCode, resp.Body)
		}
		if resp.StatusCode >= 400 {
			if ct := resp.Headers["Content-Type"]; ct != problem.ContentType {
				t.Fatalf("%d with Content-Type %q", resp.StatusCode, ct)
			}
			var p problem.Problem
			if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || p.Status != resp.StatusCode || p.Title == "" {
				t.Fatalf("%d with body %q (%v)", resp.StatusCode, resp.Body, err)
			}
			if after := svc.Snapshot(); !slices.Equal(before, after) {
				t.Fatalf("a %d response changed the store:\nbefore %v\nafter  %v", resp.StatusCode, before, after)
			}
			return
		}
		if resp.StatusCode == 200 || resp.StatusCode == 201 {
			if ct := resp.Headers["Content-Type"]; ct != "application/json" || !json.Valid([]byte(resp.Body)) {
				t.Fatalf("%d with Content-Type %q and body %q", resp.StatusCode, ct, resp.Body)
			}
		}
	})
}
