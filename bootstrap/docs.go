//go:build !lambdakit.function

package main

import (
	"fmt"
	"html/template"
	"net/http"
	"os"
	"path/filepath"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// docsPage renders the OpenAPI document with Swagger UI, whose files the
// local server serves from the npm package the Makefile installs: the page
// works with no internet.
var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.}} API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", deepLinking: true});
</script>
</body>
</html>
`))

// localHandler is what the local server answers: the API, and beside it
// GET /openapi.json, the API's document, and GET /docs, a page that renders
// it. Only the local server has them: the Lambda serves the router alone,
// since the deployed API has only the service's routes. The API's requests
// are served as if caller had signed them, or whoever their X-Caller header
// names: locally nobody verifies a signature, and what depends on the
// caller should still be tried.
func localHandler(router *apigw.Router, svc *resource.Service, swaggerUI, caller string) (http.Handler, error) {
	doc, err := app.Document(svc)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
	installed := swaggerUI != ""
	if installed {
		_, err := os.Stat(filepath.Join(swaggerUI, "swagger-ui-bundle.js"))
		installed = err == nil
	}
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, _ *http.Request) {
		if !installed {
			http.Error(w, "Swagger UI is not installed here: make run installs it and points SWAGGER_UI_DIR at it.", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := docsPage.Execute(w, "lambdakit"); err != nil {
			http.Error(w, fmt.Sprintf("render docs: %v", err), http.StatusInternalServerError)
		}
	})
	if installed {
		mux.Handle("GET /docs/assets/", http.StripPrefix("/docs/assets/", http.FileServer(http.Dir(swaggerUI))))
	}
	mux.Handle("/", apigw.HTTPHandler(router.Invoke, apigw.WithCaller(caller)))
	return mux, nil
}
