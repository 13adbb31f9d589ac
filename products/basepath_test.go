package products_test

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/products"
)

// apigwEvent is a request shaped as API Gateway sends it: the resource it
// matched and its parameters, the path the client called, and that path
// again in the request context, after any prefix.
func apigwEvent(method, resource, path, contextPath string, params map[string]string, body string) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{HTTPMethod: method, Resource: resource, Path: path, PathParameters: params, Body: body}
	ev.RequestContext.HTTPMethod, ev.RequestContext.ResourcePath, ev.RequestContext.Path = method, resource, contextPath
	ev.RequestContext.Stage = "prod"
	return ev
}

// TestRoutingSurvivesPrefixes serves the same calls as API Gateway sends
// them from the execute-api URL (the stage before the path, in the request
// context only), from a custom domain with a base path mapping (the base
// path before the path everywhere but in the resource), and as the local
// server sends them (no resource at all). Every one routes, and every
// Location keeps the prefix the client used.
func TestRoutingSurvivesPrefixes(t *testing.T) {
	for _, tc := range []struct {
		name         string
		prefix       string // before the path in what the client called
		pathPrefix   string // before the path in the event's path
		withResource bool
	}{
		{"execute-api stage", "/prod", "", true},
		{"custom domain base path", "/catalog", "/catalog", true},
		{"local", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := golden.Memory(t, products.Register)
			call := func(method, resource, rel string, params map[string]string, body string) events.APIGatewayProxyResponse {
				if !tc.withResource {
					resource, params = "", nil
				}
				return svc.Invoke(t, apigwEvent(method, resource, tc.pathPrefix+rel, tc.prefix+rel, params, body))
			}
			created := call("POST", "/products", "/products", nil, `{"name":"Lamp"}`)
			if created.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", created.StatusCode, created.Body)
			}
			var p struct{ ID string }
			_ = json.Unmarshal([]byte(created.Body), &p)
			if want := tc.prefix + "/products/" + p.ID; created.Headers["Location"] != want {
				t.Errorf("Location = %q, want %q", created.Headers["Location"], want)
			}
			id := map[string]string{"id": p.ID}
			if got := call("GET", "/products/{id}", "/products/"+p.ID, id, ""); got.StatusCode != http.StatusOK {
				t.Errorf("get: %d %s", got.StatusCode, got.Body)
			}
			review := call("POST", "/products/{id}/reviews", "/products/"+p.ID+"/reviews", id, `{"rating":5}`)
			if review.StatusCode != http.StatusCreated || !strings.HasPrefix(review.Headers["Location"], tc.prefix+"/products/"+p.ID+"/reviews/") {
				t.Errorf("review: %d, Location %q, want under %s/products/%s/reviews/", review.StatusCode, review.Headers["Location"], tc.prefix, p.ID)
			}
			if got := call("PATCH", "/products/{id}", "/products/"+p.ID, id, `{}`); got.StatusCode != http.StatusMethodNotAllowed || got.Headers["Allow"] != "DELETE, GET, PUT" {
				t.Errorf("PATCH: %d, Allow %q, want 405 with DELETE, GET, PUT", got.StatusCode, got.Headers["Allow"])
			}
		})
	}
}

// TestStockSampleEvent routes aws-lambda-go's own sample API Gateway event
// (events/testdata/apigw-request.json, as the module ships it), pointed at
// the products routes: once as a resource of the API, once behind the
// sample's own greedy proxy resource.
func TestStockSampleEvent(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		t.Fatalf("find aws-lambda-go: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(out)), "events", "testdata", "apigw-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	svc := golden.Memory(t, products.Register)
	created := svc.Invoke(t, request("POST", "/products", `{"name":"Lamp"}`))
	var p struct{ ID string }
	if err := json.Unmarshal([]byte(created.Body), &p); err != nil || p.ID == "" {
		t.Fatalf("create: %d %s", created.StatusCode, created.Body)
	}
	for _, tc := range []struct {
		name     string
		resource string
		params   map[string]string
	}{
		{"as a resource", "/products/{id}", map[string]string{"id": p.ID}},
		{"behind its proxy resource", "/{proxy+}", map[string]string{"proxy": "products/" + p.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ev events.APIGatewayProxyRequest
			if err := json.Unmarshal(raw, &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Resource != "/{proxy+}" || ev.RequestContext.Stage != "testStage" {
				t.Fatalf("the sample changed: resource %q, stage %q", ev.Resource, ev.RequestContext.Stage)
			}
			ev.HTTPMethod, ev.Body = "GET", ""
			ev.Resource, ev.RequestContext.ResourcePath, ev.PathParameters = tc.resource, tc.resource, tc.params
			ev.Path, ev.RequestContext.Path = "/products/"+p.ID, "/testStage/products/"+p.ID
			resp := svc.Invoke(t, ev)
			var got struct{ ID, Name string }
			if err := json.Unmarshal([]byte(resp.Body), &got); err != nil || resp.StatusCode != http.StatusOK || got.ID != p.ID || got.Name != "Lamp" {
				t.Errorf("GET: %d %s, want the product", resp.StatusCode, resp.Body)
			}
		})
	}
}
