package apigw_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/memory"
)

// TestIdempotencyAcrossBasePaths: the fingerprint of a request is its
// method, its path within the API and its body, so the same request sent
// with one key through two base paths (a custom domain's mapping, the
// execute-api stage) is a replay, while another path within the API or
// another body is still another request.
func TestIdempotencyAcrossBasePaths(t *testing.T) {
	calls := 0
	rt := apigw.NewRouter(zap.NewNop(), apigw.WithIdempotency(memory.NewIdempotency(), kit.SystemClock{}))
	rt.Handle("POST /products/{id}/reviews", func(_ context.Context, r *apigw.Request) (apigw.Response, error) {
		calls++
		return apigw.Response{StatusCode: http.StatusCreated, Headers: map[string]string{"Location": r.BasePath() + r.Path() + "/1"}}, nil
	})
	// post is the event API Gateway sends for a client that called prefix
	// + rel: a custom domain's base path is in both paths, the stage only in
	// the request context's.
	post := func(prefix string, inPath bool, id, body string) events.APIGatewayProxyRequest {
		rel := "/products/" + id + "/reviews"
		ev := events.APIGatewayProxyRequest{
			HTTPMethod: http.MethodPost, Resource: "/products/{id}/reviews", Path: rel,
			PathParameters: map[string]string{"id": id},
			Headers:        map[string]string{apigw.HeaderIdempotencyKey: "one-key"},
			Body:           body,
		}
		if inPath {
			ev.Path = prefix + rel
		}
		ev.RequestContext.Path = prefix + rel
		return ev
	}
	ctx := context.Background()
	first := invoke(ctx, t, rt, post("/catalog", true, "a", `{"rating":5}`))
	if first.StatusCode != http.StatusCreated || first.Headers["Location"] != "/catalog/products/a/reviews/1" {
		t.Fatalf("first: %d %v", first.StatusCode, first.Headers)
	}
	replay := invoke(ctx, t, rt, post("/prod", false, "a", `{"rating":5}`))
	if replay.StatusCode != http.StatusCreated || replay.Headers[apigw.HeaderReplayed] != "true" || calls != 1 {
		t.Errorf("through the stage: %d %v %s after %d calls, want the first response replayed", replay.StatusCode, replay.Headers, replay.Body, calls)
	}
	// The replay is the first response, Location as the first client had it.
	if replay.Headers["Location"] != first.Headers["Location"] {
		t.Errorf("replayed Location %q, want %q", replay.Headers["Location"], first.Headers["Location"])
	}
	for name, ev := range map[string]events.APIGatewayProxyRequest{
		"another path within the API": post("/prod", false, "b", `{"rating":5}`),
		"another body":                post("/catalog", true, "a", `{"rating":4}`),
	} {
		if resp := invoke(ctx, t, rt, ev); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s, want 422", name, resp.StatusCode, resp.Body)
		}
	}
}
