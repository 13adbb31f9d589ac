package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit/golden"
)

// apiHost is the host golden requests are sent to (their Host header); the
// document gets a server there so that its routes match them.
const apiHost = "api.example.com"

// TestOpenAPIDescribesEveryGoldenExchange checks the service's OpenAPI
// document against what the service really answers: the document is valid
// OpenAPI, and every golden exchange fits it. A request the service
// accepts must be valid by the document; every response, errors included,
// must have a documented status, headers and body. A case the router
// answers itself (no such route, method not allowed) must find no
// operation in the document either.
func TestOpenAPIDescribesEveryGoldenExchange(t *testing.T) {
	ctx := context.Background()
	raw, err := app.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load the document: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	routes, err := app.Routes()
	if err != nil {
		t.Fatal(err)
	}
	operations := 0
	for _, item := range doc.Paths.Map() {
		operations += len(item.Operations())
	}
	if operations != len(routes) {
		t.Errorf("the document has %d operations, the service %d routes", operations, len(routes))
	}

	doc.Servers = openapi3.Servers{{URL: "https://" + apiHost}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		MultiError:            true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			// kin-openapi checks only date-time and date by itself; these
			// are the other formats the document uses.
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
			openapi3.WithStringFormatValidator("uri-reference", openapi3.NewCallbackValidator(func(s string) error {
				_, err := url.Parse(s)
				return err
			})),
		},
	}

	validated, routerCases, errorCases, rejectedErrors := 0, 0, 0, 0
	for _, dir := range goldenExchanges(t) {
		for _, ex := range dir.exchanges {
			t.Run(dir.name+"/"+ex.Name, func(t *testing.T) {
				invalid := checkExchange(ctx, t, router, opts, ex)
				if !t.Failed() {
					validated++
				}
				switch {
				case routerAnswer(ex.Response) != "":
					routerCases++
				case ex.Response.StatusCode >= 400:
					errorCases++
					if invalid {
						rejectedErrors++
					}
				}
			})
		}
	}
	t.Logf("%d operations documented; %d golden exchanges validated: %d answered by the router alone (no operation in the document), "+
		"%d errors answered by an operation (%d of them with a request the document rejects too), the rest successes",
		operations, validated, routerCases, errorCases, rejectedErrors)
}

// checkExchange validates one exchange against the document and tells
// whether the document rejects its request.
func checkExchange(ctx context.Context, t *testing.T, router routers.Router, opts *openapi3filter.Options, ex golden.Exchange) bool {
	req := httpRequest(ctx, t, ex.Request)
	resp := ex.Response
	route, params, err := router.FindRoute(req)
	if why := routerAnswer(resp); why != "" {
		// The router answered before any operation ran: the document
		// must not claim the route either.
		if err == nil {
			t.Errorf("%s %s: the router answers %d (%s), but the document has operation %s",
				req.Method, req.URL.Path, resp.StatusCode, why, route.Operation.OperationID)
		}
		return false
	}
	if err != nil {
		t.Fatalf("%s %s: answered %d by an operation the document does not have: %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}

	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	if ok := resp.StatusCode < 300 || resp.StatusCode == http.StatusNotModified; ok && reqErr != nil {
		t.Errorf("the service accepted a request the document rejects (%d):\n%v", resp.StatusCode, reqErr)
	}

	documented := route.Operation.Responses.Status(resp.StatusCode)
	if documented == nil || documented.Value == nil {
		t.Fatalf("%s does not document status %d", route.Operation.OperationID, resp.StatusCode)
	}
	header := responseHeader(resp)
	body := responseBody(t, resp)
	if len(documented.Value.Content) == 0 && len(body) > 0 {
		t.Errorf("%s documents %d without a body, but the response has one: %s", route.Operation.OperationID, resp.StatusCode, body)
	}
	if resp.StatusCode == http.StatusNotModified {
		// ValidateResponse skips 304 altogether; its headers are all it has.
		checkHeaders(t, documented.Value, header, opts)
		return reqErr != nil
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 header,
		Options:                opts,
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s: response %d does not match the document:\n%v\nbody: %s", route.Operation.OperationID, resp.StatusCode, err, body)
	}
	return reqErr != nil
}

// routerAnswer tells why the router answered resp itself, with no
// operation involved, or "" if an operation did: 405 for a method a path
// does not have, 404 "No such route." for a path no route has.
func routerAnswer(resp events.APIGatewayProxyResponse) string {
	if resp.StatusCode == http.StatusMethodNotAllowed {
		return "method not allowed"
	}
	var p struct{ Detail string }
	if resp.StatusCode == http.StatusNotFound && json.Unmarshal([]byte(resp.Body), &p) == nil && p.Detail == "No such route." {
		return "no such route"
	}
	return ""
}

// httpRequest is the HTTP request an API Gateway event stands for, as a
// client sent it to apiHost.
func httpRequest(ctx context.Context, t *testing.T, ev events.APIGatewayProxyRequest) *http.Request {
	t.Helper()
	u := url.URL{Scheme: "https", Host: apiHost, Path: ev.Path}
	q := url.Values{}
	for name, values := range ev.MultiValueQueryStringParameters {
		for _, v := range values {
			q.Add(name, v)
		}
	}
	u.RawQuery = q.Encode()
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, ev.HTTPMethod, u.String(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for name, values := range ev.MultiValueHeaders {
		for _, v := range values {
			req.Header.Add(name, v)
		}
	}
	return req
}

func responseHeader(resp events.APIGatewayProxyResponse) http.Header {
	h := http.Header{}
	for name, v := range resp.Headers {
		h.Set(name, v)
	}
	for name, values := range resp.MultiValueHeaders {
		for _, v := range values {
			h.Add(name, v)
		}
	}
	return h
}

func responseBody(t *testing.T, resp events.APIGatewayProxyResponse) []byte {
	t.Helper()
	if !resp.IsBase64Encoded {
		return []byte(resp.Body)
	}
	b, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkHeaders validates the headers a response documents, as
// ValidateResponse does for every status but 304.
func checkHeaders(t *testing.T, r *openapi3.Response, h http.Header, opts *openapi3filter.Options) {
	t.Helper()
	for name, ref := range r.Headers {
		v, ok := h[http.CanonicalHeaderKey(name)]
		switch {
		case !ok && ref.Value.Required:
			t.Errorf("response header %s is missing", name)
		case ok && ref.Value.Schema != nil:
			var value any = v[0]
			if ref.Value.Schema.Value.Type.Is(openapi3.TypeInteger) {
				n, err := strconv.Atoi(v[0])
				if err != nil {
					t.Errorf("response header %s: %v", name, err)
					continue
				}
				value = float64(n)
			}
			if err := ref.Value.Schema.Value.VisitJSON(value, opts.SchemaValidationOptions...); err != nil {
				t.Errorf("response header %s: %v", name, err)
			}
		}
	}
}
