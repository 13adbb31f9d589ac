package golden

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// What every case's request carries unless it says otherwise. They are what
// API Gateway would send from one fixed client, so that a case shows only
// what it is about.
const (
	defaultStage     = "prod"
	defaultRequestID = "golden-request"
	defaultSourceIP  = "203.0.113.7"
	defaultUserArn   = "arn:aws:iam::123456789012:user/golden"
	bodyContentType  = "application/json"
)

// defaultHeaders are sent by the fixed client on every request; a case's own
// header of the same name, in any case, replaces one.
func defaultHeaders(hasBody bool) [][2]string {
	h := [][2]string{
		{"Accept", "application/json"},
		{"Host", "api.example.com"},
		{"User-Agent", "golden-test"},
	}
	if hasBody {
		h = append(h, [2]string{"Content-Type", bodyContentType})
	}
	return h
}

// ParseCase turns a case file (the format is in the package documentation)
// into the API Gateway REST proxy event it stands for. Its errors name the
// line at fault, so that a typo in a case reads as one, not as a puzzling
// handler response.
func ParseCase(data []byte) (events.APIGatewayProxyRequest, error) {
	var c caseFile
	if err := c.parse(string(data)); err != nil {
		return events.APIGatewayProxyRequest{}, err
	}
	return c.event()
}

// caseFile is a case as written, before defaults fill the rest.
type caseFile struct {
	method, path, query string
	requestLine         int

	headers [][2]string // in file order, so that repeats keep their order

	directives map[string]directive

	hasBody  bool
	body     string
	bodyLine int
}

type directive struct {
	arg  string
	line int
}

// directiveArg reports whether directive name is known and whether it takes
// an argument.
func directiveArg(name string) (known, takesArg bool) {
	switch name {
	case "resource", "base-path", "caller":
		return true, true
	case "base64", "anonymous":
		return true, false
	}
	return false, false
}

func (c *caseFile) parse(text string) error {
	// The file's final newline ends its last line; it is not body.
	text = strings.TrimSuffix(text, "\n")
	c.directives = map[string]directive{}
	n := 1
	for pos := 0; pos <= len(text); n++ {
		line, next := text[pos:], len(text)+1
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], pos+i+1
		}
		pos = next
		switch {
		case line == "" && c.method == "":
			// Blank lines may set comments apart before the request line.
		case line == "":
			c.hasBody, c.bodyLine = true, n+1
			if next <= len(text) {
				c.body = text[next:]
			}
			return nil
		case strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "@"):
			if err := c.directive(n, line[1:]); err != nil {
				return err
			}
		case c.method == "":
			if err := c.requestLineAt(n, line); err != nil {
				return err
			}
		default:
			name, value, ok := strings.Cut(line, ":")
			if !ok || !isToken(name) {
				return fmt.Errorf("line %d: %q is neither a \"Name: value\" header nor an empty line before the body", n, line)
			}
			c.headers = append(c.headers, [2]string{name, strings.Trim(value, " \t")})
		}
	}
	if c.method == "" {
		return fmt.Errorf("line %d: the file ends before its request line \"METHOD /path?query\"", n-1)
	}
	return nil
}

func (c *caseFile) requestLineAt(n int, line string) error {
	method, target, ok := strings.Cut(line, " ")
	if !ok || !isToken(method) || !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \t") {
		return fmt.Errorf("line %d: request line %q is not \"METHOD /path?query\"", n, line)
	}
	c.method, c.requestLine = method, n
	c.path, c.query, _ = strings.Cut(target, "?")
	return nil
}

func (c *caseFile) directive(n int, text string) error {
	name, arg, _ := strings.Cut(text, " ")
	arg = strings.TrimSpace(arg)
	known, takesArg := directiveArg(name)
	switch {
	case !known:
		return fmt.Errorf("line %d: unknown directive @%s (known: @resource, @base-path, @caller, @anonymous, @base64)", n, name)
	case takesArg && arg == "":
		return fmt.Errorf("line %d: @%s needs an argument", n, name)
	case !takesArg && arg != "":
		return fmt.Errorf("line %d: @%s takes no argument, got %q", n, name, arg)
	case name == "caller" && strings.ContainsAny(arg, " \t"):
		return fmt.Errorf("line %d: @caller %q: an ARN has no white space", n, arg)
	case takesArg && name != "caller" && !strings.HasPrefix(arg, "/"):
		return fmt.Errorf("line %d: @%s %s does not start with /", n, name, arg)
	}
	if first, dup := c.directives[name]; dup {
		return fmt.Errorf("line %d: @%s repeated (first on line %d)", n, name, first.line)
	}
	// A request has one caller, or none.
	for _, pair := range [][2]string{{"caller", "anonymous"}, {"anonymous", "caller"}} {
		if other, ok := c.directives[pair[1]]; ok && name == pair[0] {
			return fmt.Errorf("line %d: @%s and @%s (line %d) contradict each other", n, name, pair[1], other.line)
		}
	}
	c.directives[name] = directive{arg: arg, line: n}
	return nil
}

func (c *caseFile) event() (events.APIGatewayProxyRequest, error) {
	ev := events.APIGatewayProxyRequest{
		Resource:          c.path,
		Path:              c.path,
		HTTPMethod:        c.method,
		Headers:           map[string]string{},
		MultiValueHeaders: map[string][]string{},
		Body:              c.body,
		RequestContext: events.APIGatewayProxyRequestContext{
			Stage:      defaultStage,
			RequestID:  defaultRequestID,
			HTTPMethod: c.method,
			Path:       c.path,
			Identity: events.APIGatewayRequestIdentity{
				SourceIP: defaultSourceIP,
				UserArn:  defaultUserArn,
			},
		},
	}

	for _, h := range defaultHeaders(c.hasBody) {
		if !c.hasHeader(h[0]) {
			ev.Headers[h[0]] = h[1]
			ev.MultiValueHeaders[h[0]] = []string{h[1]}
		}
	}
	for _, h := range c.headers {
		ev.Headers[h[0]] = h[1]
		ev.MultiValueHeaders[h[0]] = append(ev.MultiValueHeaders[h[0]], h[1])
	}

	if c.query != "" {
		ev.QueryStringParameters = map[string]string{}
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for part := range strings.SplitSeq(c.query, "&") {
			if part == "" {
				continue
			}
			rawName, rawValue, _ := strings.Cut(part, "=")
			// PathUnescape, not QueryUnescape: "+" stays "+", so that a
			// base64 token can be written as it is.
			name, err1 := url.PathUnescape(rawName)
			value, err2 := url.PathUnescape(rawValue)
			if err1 != nil || err2 != nil || name == "" {
				return ev, fmt.Errorf("line %d: query parameter %q is not name=value, percent-encoded", c.requestLine, part)
			}
			ev.QueryStringParameters[name] = value
			ev.MultiValueQueryStringParameters[name] = append(ev.MultiValueQueryStringParameters[name], value)
		}
	}

	if d, ok := c.directives["resource"]; ok {
		params, err := matchResource(d.arg, c.path)
		if err != nil {
			return ev, fmt.Errorf("line %d: @resource %s: %w", d.line, d.arg, err)
		}
		ev.Resource, ev.PathParameters = d.arg, params
	}
	ev.RequestContext.ResourcePath = ev.Resource

	if _, ok := c.directives["anonymous"]; ok {
		ev.RequestContext.Identity.UserArn = ""
	}
	if d, ok := c.directives["caller"]; ok {
		ev.RequestContext.Identity.UserArn = d.arg
	}
	if d, ok := c.directives["base-path"]; ok {
		ev.RequestContext.Path = strings.TrimSuffix(d.arg, "/") + c.path
	}

	if d, ok := c.directives["base64"]; ok {
		if !c.hasBody {
			return ev, fmt.Errorf("line %d: @base64 but the case has no body", d.line)
		}
		if _, err := base64.StdEncoding.DecodeString(c.body); err != nil {
			return ev, fmt.Errorf("line %d: @base64 body is not base64: %w", c.bodyLine, err)
		}
		ev.IsBase64Encoded = true
	}
	return ev, nil
}

func (c *caseFile) hasHeader(name string) bool {
	for _, h := range c.headers {
		if strings.EqualFold(h[0], name) {
			return true
		}
	}
	return false
}

// matchResource returns the path parameters that resource template, such as
// "/products/{id}", takes from path, or nil if it has none, as API Gateway
// sends null then.
func matchResource(template, path string) (map[string]string, error) {
	tsegs, psegs := strings.Split(template, "/"), strings.Split(path, "/")
	if len(tsegs) != len(psegs) {
		return nil, fmt.Errorf("does not match path %s", path)
	}
	var params map[string]string
	for i, t := range tsegs {
		name, isParam := strings.CutPrefix(t, "{")
		name, closed := strings.CutSuffix(name, "}")
		switch {
		case !isParam:
			if t != psegs[i] {
				return nil, fmt.Errorf("does not match path %s", path)
			}
		case !closed || name == "" || strings.ContainsAny(name, "{}+"):
			return nil, fmt.Errorf("segment %q is not a {name} parameter", t)
		case psegs[i] == "":
			return nil, fmt.Errorf("{%s} is empty in path %s", name, path)
		default:
			if params == nil {
				params = map[string]string{}
			}
			if _, dup := params[name]; dup {
				return nil, fmt.Errorf("parameter {%s} repeated", name)
			}
			params[name] = psegs[i]
		}
	}
	return params, nil
}

// isToken reports whether s is an HTTP token (RFC 9110), which methods and
// header names must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}
