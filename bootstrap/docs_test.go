//go:build !lambdakit.function

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// TestLocalServerServesDocs checks the local server's extra routes: the
// document, the page and its assets, from the npm package make installs,
// and that the API behind them is unchanged. The Lambda's router answers
// none of them.
func TestLocalServerServesDocs(t *testing.T) {
	tokens, err := cursor.New([]byte("docs-test-cursor-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	router := apigw.NewRouter(zap.NewNop())
	svc := resource.NewService(command.NewBus(), router, memory.NewStorage(tokens), kit.SystemClock{}, kit.UUIDv7{Clock: kit.SystemClock{}})
	if err := app.Register(svc); err != nil {
		t.Fatal(err)
	}
	list := sampleEntity(t).list
	root, err := dynamotest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	handler, err := localHandler(router, svc, filepath.Join(root, ".local", "node_modules", "swagger-ui-dist"), defaultLocalCaller)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	want, err := app.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path, contentType, contains string
		status                      int
	}{
		{"/openapi.json", "application/json", string(want), http.StatusOK},
		{"/docs", "text/html; charset=utf-8", "/docs/assets/swagger-ui-bundle.js", http.StatusOK},
		{"/docs/assets/swagger-ui-bundle.js", "text/javascript; charset=utf-8", "SwaggerUIBundle", http.StatusOK},
		{"/docs/assets/swagger-ui.css", "text/css; charset=utf-8", ".swagger-ui", http.StatusOK},
		{list.Path, "application/json", `"` + list.Collection + `":[]`, http.StatusOK},
	} {
		t.Run(tc.path, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+tc.path, nil)
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.contentType || !strings.Contains(string(body), tc.contains) {
				t.Errorf("GET %s: %d %s, %d bytes; want %d %s containing %.60q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body), tc.status, tc.contentType, tc.contains)
			}
		})
	}
	var doc struct{ Paths map[string]any }
	if err := json.Unmarshal(want, &doc); err != nil || len(doc.Paths) == 0 {
		t.Errorf("the document has no paths: %v", err)
	}
	for _, path := range []string{"/openapi.json", "/docs"} {
		resp, err := router.Invoke(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: http.MethodGet, Path: path})
		if err != nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("the Lambda answers GET %s with %d, want 404: only the local server has it", path, resp.StatusCode)
		}
	}
}
