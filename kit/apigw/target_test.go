package apigw

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"
)

// TestRouteOnTheMatchedResource checks what the router routes on and what
// it takes as the path within the API, for each shape of event: API
// Gateway's resource and parameters when it sends them (whatever prefix the
// path has), a greedy proxy resource, and the bare path otherwise.
func TestRouteOnTheMatchedResource(t *testing.T) {
	rt := NewRouter(zap.NewNop())
	for _, p := range []string{"GET /", "GET /products/{id}", "GET /products/{id}/reviews/{reviewId}"} {
		rt.Handle(p, func(_ context.Context, r *Request) (Response, error) {
			return Response{StatusCode: 200, Body: r.PathValue("id") + "|" + r.PathValue("reviewId") + "|" + r.BasePath() + "|" + r.Path()}, nil
		})
	}
	for _, tc := range []struct {
		name, resource, path, contextPath string
		params                            map[string]string
		status                            int
		body                              string
	}{
		{"stage", "/products/{id}", "/products/p1", "/prod/products/p1", map[string]string{"id": "p1"}, 200, "p1||/prod|/products/p1"},
		{"custom domain", "/products/{id}/reviews/{reviewId}", "/catalog/v1/products/p1/reviews/r2", "/catalog/v1/products/p1/reviews/r2",
			map[string]string{"id": "p1", "reviewId": "r2"}, 200, "p1|r2|/catalog/v1|/products/p1/reviews/r2"},
		{"template routes over the path", "/products/{id}", "/anything/else", "/anything/else", map[string]string{"id": "p1"}, 200, "p1|||/products/p1"},
		{"template without its parameter", "/products/{id}", "/products/p1", "/products/p1", map[string]string{}, 404, ""},
		{"literal resource", "/products/p1", "/products/p1", "/products/p1", nil, 200, "p1|||/products/p1"},
		{"greedy proxy", "/{proxy+}", "/products/p1", "/prod/products/p1", map[string]string{"proxy": "products/p1"}, 200, "p1||/prod|/products/p1"},
		{"greedy proxy at the root", "/{proxy+}", "/", "/prod/", map[string]string{"proxy": ""}, 200, "||/prod|/"},
		{"no resource: the path", "", "/products/p1", "/products/p1", nil, 200, "p1|||/products/p1"},
		{"no resource, no route", "", "/catalog/products/p1", "/catalog/products/p1", nil, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: tc.resource, Path: tc.path, PathParameters: tc.params}
			ev.RequestContext.Path = tc.contextPath
			resp, err := rt.Invoke(context.Background(), ev)
			if err != nil || resp.StatusCode != tc.status || (tc.status == 200 && resp.Body != tc.body) {
				t.Errorf("%d %q, %v; want %d %q", resp.StatusCode, resp.Body, err, tc.status, tc.body)
			}
		})
	}
}
