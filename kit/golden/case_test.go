package golden_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit/golden"
)

// request is the event a case with only a request line stands for; each
// test case changes what its file says.
func request(method, path string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{
		Resource:   path,
		Path:       path,
		HTTPMethod: method,
		Headers: map[string]string{
			"Accept":     "application/json",
			"Host":       "api.example.com",
			"User-Agent": "golden-test",
		},
		MultiValueHeaders: map[string][]string{
			"Accept":     {"application/json"},
			"Host":       {"api.example.com"},
			"User-Agent": {"golden-test"},
		},
		RequestContext: events.APIGatewayProxyRequestContext{
			ResourcePath: path,
			HTTPMethod:   method,
			Path:         path,
			Stage:        "prod",
			RequestID:    "golden-request",
			Identity: events.APIGatewayRequestIdentity{
				SourceIP: "203.0.113.7",
				UserArn:  "arn:aws:iam::123456789012:user/golden",
			},
		},
	}
}

// withBody adds body as a case with a body gets it, Content-Type included.
func withBody(ev events.APIGatewayProxyRequest, body string) events.APIGatewayProxyRequest {
	ev.Body = body
	ev.Headers["Content-Type"] = "application/json"
	ev.MultiValueHeaders["Content-Type"] = []string{"application/json"}
	return ev
}

func TestParseCase(t *testing.T) {
	tests := []struct {
		name string
		file string
		want func() events.APIGatewayProxyRequest
	}{
		{
			name: "request line only",
			file: "GET /products\n",
			want: func() events.APIGatewayProxyRequest { return request("GET", "/products") },
		},
		{
			name: "no final newline",
			file: "DELETE /products/1",
			want: func() events.APIGatewayProxyRequest { return request("DELETE", "/products/1") },
		},
		{
			name: "comments and blank lines before the request line",
			file: "# Lists the first page.\n\n# Second comment.\nGET /products\n# After it too.\n",
			want: func() events.APIGatewayProxyRequest { return request("GET", "/products") },
		},
		{
			name: "query",
			file: "GET /products?pageSize=2&nextToken=abc\n",
			want: func() events.APIGatewayProxyRequest {
				ev := request("GET", "/products")
				ev.QueryStringParameters = map[string]string{"pageSize": "2", "nextToken": "abc"}
				ev.MultiValueQueryStringParameters = map[string][]string{"pageSize": {"2"}, "nextToken": {"abc"}}
				return ev
			},
		},
		{
			name: "repeated query parameter keeps order, last value wins",
			file: "GET /products?pageSize=3&x&pageSize=2\n",
			want: func() events.APIGatewayProxyRequest {
				ev := request("GET", "/products")
				ev.QueryStringParameters = map[string]string{"pageSize": "2", "x": ""}
				ev.MultiValueQueryStringParameters = map[string][]string{"pageSize": {"3", "2"}, "x": {""}}
				return ev
			},
		},
		{
			name: "percent-decoding, plus stays plus",
			file: "GET /products?next%20Token=%25%25%25not-base64%25&a=b+c%3D\n",
			want: func() events.APIGatewayProxyRequest {
				ev := request("GET", "/products")
				ev.QueryStringParameters = map[string]string{"next Token": "%%%not-base64%", "a": "b+c="}
				ev.MultiValueQueryStringParameters = map[string][]string{"next Token": {"%%%not-base64%"}, "a": {"b+c="}}
				return ev
			},
		},
		{
			name: "empty query is no query",
			file: "GET /products?\n",
			want: func() events.APIGatewayProxyRequest { return request("GET", "/products") },
		},
		{
			name: "headers keep their case, value trimmed, empty value",
			file: "GET /products/1\nIF-MATCH:   \"1\"\t\nIdempotency-Key:\nX-Words: two words\n",
			want: func() events.APIGatewayProxyRequest {
				ev := request("GET", "/products/1")
				for k, v := range map[string]string{"IF-MATCH": `"1"`, "Idempotency-Key": "", "X-Words": "two words"} {
					ev.Headers[k] = v
					ev.MultiValueHeaders[k] = []string{v}
				}
				return ev
			},
		},
		{
			name: "repeated header keeps order, last value wins",
			file: "GET /products\nX-Tag: a\nX-Tag: b\n",
			want: func() events.APIGatewayProxyRequest {
				ev := request("GET", "/products")
				ev.Headers["X-Tag"] = "b"
				ev.MultiValueHeaders["X-Tag"] = []string{"a", "b"}
				return ev
			},
		},
		{
			name: "a header replaces the default of the same name in any case",
			file: "POST /products\naccept: text/plain\ncontent-type: text/csv\n\nname\nRug\n",
			want: func() events.APIGatewayProxyRequest {
				ev := request("POST", "/products")
				delete(ev.Headers, "Accept")
				delete(ev.MultiValueHeaders, "Accept")
				ev.Headers["accept"] = "text/plain"
				ev.MultiValueHeaders["accept"] = []string{"text/plain"}
				ev.Headers["content-type"] = "text/csv"
				ev.MultiValueHeaders["content-type"] = []string{"text/csv"}
				ev.Body = "name\nRug"
				return ev
			},
		},
		{
			name: "body",
			file: "POST /products\n\n{\"name\":\"Rug\"}\n",
			want: func() events.APIGatewayProxyRequest { return withBody(request("POST", "/products"), `{"name":"Rug"}`) },
		},
		{
			name: "body with blank lines, comments and its own final newline",
			file: "PUT /products/1\n\n{\n\n# not a comment\n@base64\nX: y\n}\n\n",
			want: func() events.APIGatewayProxyRequest {
				return withBody(request("PUT", "/products/1"), "{\n\n# not a comment\n@base64\nX: y\n}\n")
			},
		},
		{
			name: "body without final newline",
			file: "POST /products\n\n{}",
			want: func() events.APIGatewayProxyRequest { return withBody(request("POST", "/products"), "{}") },
		},
		{
			name: "empty body is a body",
			file: "POST /products\n\n",
			want: func() events.APIGatewayProxyRequest { return withBody(request("POST", "/products"), "") },
		},
		{
			name: "@anonymous",
			file: "@anonymous\nGET /products\n",
			want: func() events.APIGatewayProxyRequest {
				ev := request("GET", "/products")
				ev.RequestContext.Identity.UserArn = ""
				return ev
			},
		},
		{
			name: "@caller",
			file: "@caller arn:aws:iam::123456789012:role/other\nPOST /products/1/helpful\n",
			want: func() events.APIGatewayProxyRequest {
				ev := request("POST", "/products/1/helpful")
				ev.RequestContext.Identity.UserArn = "arn:aws:iam::123456789012:role/other"
				return ev
			},
		},
		{
			name: "@resource",
			file: "@resource /products/{id}/tags/{tag}\nGET /products/00000000-0000-7000-8000-000000000001/tags/red\n",
			want: func() events.APIGatewayProxyRequest {
				ev := request("GET", "/products/00000000-0000-7000-8000-000000000001/tags/red")
				ev.Resource = "/products/{id}/tags/{tag}"
				ev.RequestContext.ResourcePath = ev.Resource
				ev.PathParameters = map[string]string{"id": "00000000-0000-7000-8000-000000000001", "tag": "red"}
				return ev
			},
		},
		{
			name: "@resource without parameters",
			file: "GET /products/\n@resource /products/\n",
			want: func() events.APIGatewayProxyRequest { return request("GET", "/products/") },
		},
		{
			name: "@base-path",
			file: "POST /products\n@base-path /prod\n\n{}\n",
			want: func() events.APIGatewayProxyRequest {
				ev := withBody(request("POST", "/products"), "{}")
				ev.RequestContext.Path = "/prod/products"
				return ev
			},
		},
		{
			name: "@base64",
			file: "POST /products\n@base64\n\neyJuYW1lIjoiUv9nIn0=\n",
			want: func() events.APIGatewayProxyRequest {
				ev := withBody(request("POST", "/products"), "eyJuYW1lIjoiUv9nIn0=")
				ev.IsBase64Encoded = true
				return ev
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := golden.ParseCase([]byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.want(); !reflect.DeepEqual(got, want) {
				t.Errorf("ParseCase(%q)\n got %+v\nwant %+v", tt.file, got, want)
			}
		})
	}
}

func TestParseCaseErrors(t *testing.T) {
	tests := []struct {
		name, file, want string
	}{
		{"empty file", "", "line 1: the file ends before its request line"},
		{"only comments", "# a\n# b\n", "line 2: the file ends before its request line"},
		{"request line without path", "GET\n", `line 1: request line "GET" is not "METHOD /path?query"`},
		{"path not absolute", "GET products\n", `line 1: request line "GET products"`},
		{"protocol version", "GET /products HTTP/1.1\n", `line 1: request line "GET /products HTTP/1.1"`},
		{"method not a token", "# x\nGE(T /products\n", `line 2: request line "GE(T /products"`},
		{"bad percent-encoding", "GET /products?a=%zz\n", `line 1: query parameter "a=%zz" is not name=value, percent-encoded`},
		{"query name empty", "# x\nGET /products?=1\n", `line 2: query parameter "=1"`},
		{"header without colon", "GET /products\nIf-Match \"1\"\n", `line 2: "If-Match \"1\"" is neither a "Name: value" header`},
		{"header name with space", "GET /products\nIf Match: 1\n", `line 2: "If Match: 1" is neither`},
		{"unknown directive", "GET /products\n@stage dev\n", "line 2: unknown directive @stage"},
		{"directive without argument", "GET /products\n@resource\n", "line 2: @resource needs an argument"},
		{"directive with argument", "GET /products\n@base64 yes\n", `line 2: @base64 takes no argument, got "yes"`},
		{"relative base path", "GET /products\n@base-path prod\n", "line 2: @base-path prod does not start with /"},
		{"caller without argument", "GET /products\n@caller\n", "line 2: @caller needs an argument"},
		{"caller with white space", "GET /products\n@caller arn:a b\n", `line 2: @caller "arn:a b": an ARN has no white space`},
		{"caller and anonymous", "@caller arn:aws:iam::1:user/a\nGET /products\n@anonymous\n", "line 3: @anonymous and @caller (line 1) contradict each other"},
		{"anonymous and caller", "@anonymous\nGET /products\n@caller arn:aws:iam::1:user/a\n", "line 3: @caller and @anonymous (line 1) contradict each other"},
		{"repeated directive", "@base-path /a\nGET /products\n@base-path /b\n", "line 3: @base-path repeated (first on line 1)"},
		{"resource does not match", "GET /products/1/x\n@resource /products/{id}\n", "line 2: @resource /products/{id}: does not match path /products/1/x"},
		{"resource literal differs", "GET /orders/1\n@resource /products/{id}\n", "line 2: @resource /products/{id}: does not match path /orders/1"},
		{"resource empty parameter", "GET /products/\n@resource /products/{id}\n", "line 2: @resource /products/{id}: {id} is empty"},
		{"resource greedy parameter", "GET /a/b\n@resource /a/{proxy+}\n", `line 2: @resource /a/{proxy+}: segment "{proxy+}" is not a {name} parameter`},
		{"resource repeated parameter", "GET /a/b\n@resource /{x}/{x}\n", "line 2: @resource /{x}/{x}: parameter {x} repeated"},
		{"base64 without body", "POST /products\n@base64\n", "line 2: @base64 but the case has no body"},
		{"base64 body not base64", "POST /products\n@base64\n\n{\"name\":\"Rug\"}\n", "line 4: @base64 body is not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := golden.ParseCase([]byte(tt.file))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("ParseCase(%q) error = %v, want prefix %q", tt.file, err, tt.want)
			}
		})
	}
}
