package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit"
)

// MaxBodyBytes is the largest request body DecodeJSON accepts.
const MaxBodyBytes = 64 << 10

// MaxDepth is the deepest JSON nesting DecodeJSON accepts. Commands are flat;
// the bound only stops pathological input before the decoder walks it.
const MaxDepth = 32

// Request is one matched API Gateway request.
type Request struct {
	Event  events.APIGatewayProxyRequest
	route  *route   // the route it matched; nil for a Request made outside the router
	values []string // of the route's parameters, in inline while they fit
	// inline holds as many values as the kit's own routes have (an item
	// and its child's), and no more: a bigger Request takes a bigger size
	// class, on every request.
	inline [2]string
}

// PathValue returns the path parameter the route pattern named, or "".
func (r *Request) PathValue(name string) string {
	if r.route == nil {
		return ""
	}
	return r.route.value(r.values, name)
}

// Header returns the value of the named header, or "": the last, if the
// client sent it on several lines (see LookupHeader).
func (r *Request) Header(name string) string {
	v, _ := r.LookupHeader(name)
	return v
}

// LookupHeader returns the value of the named header and whether the
// request has it. Names match without regard to case, as API Gateway passes
// them as the client sent them. A header sent on several lines gives its
// last value, as API Gateway's single-value headers map does: If-Match,
// If-None-Match and Idempotency-Key mean the same to the service whichever
// map an event is read from.
func (r *Request) LookupHeader(name string) (string, bool) {
	for k, vs := range r.Event.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[len(vs)-1], true
		}
	}
	for k, v := range r.Event.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// Query returns the query parameter's values; API Gateway keeps repeats
// only in the multi-value map.
func (r *Request) Query(name string) []string {
	if vs, ok := r.Event.MultiValueQueryStringParameters[name]; ok {
		return vs
	}
	if v, ok := r.Event.QueryStringParameters[name]; ok {
		return []string{v}
	}
	return nil
}

// Body returns the raw body, decoding base64 if API Gateway applied it. A
// body over MaxBodyBytes is ErrTooLarge, judged from its encoded length
// before any decoding.
func (r *Request) Body() ([]byte, error) {
	body := r.Event.Body
	if !r.Event.IsBase64Encoded {
		if len(body) > MaxBodyBytes {
			return nil, tooLarge()
		}
		return []byte(body), nil
	}
	if base64.StdEncoding.DecodedLen(len(body)) > MaxBodyBytes+2 {
		return nil, tooLarge()
	}
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, kit.Invalid("the body is not valid base64")
	}
	if len(raw) > MaxBodyBytes {
		return nil, tooLarge()
	}
	return raw, nil
}

func tooLarge() error {
	return kit.Errorf(kit.ErrTooLarge, "the body is over %d bytes", MaxBodyBytes)
}

// DecodeJSON decodes the body into dst strictly: it must be one JSON value
// of dst's shape, in valid UTF-8, with no unknown fields and nothing after
// it. Every failure is a client error.
func (r *Request) DecodeJSON(dst any) error {
	body, err := r.Body()
	if err != nil {
		return err
	}
	return decodeJSON(body, dst)
}

func decodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return kit.Invalid("a JSON body is required")
	}
	if !utf8.Valid(body) {
		return kit.Invalid("the body is not valid UTF-8")
	}
	if depth(body) > MaxDepth {
		return kit.Invalid("the body nests deeper than %d levels", MaxDepth)
	}
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	isStruct := t != nil && t.Kind() == reflect.Struct
	if isStruct && bytes.TrimSpace(body)[0] != '{' {
		// encoding/json would take null as "nothing to set".
		return kit.Invalid("the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return kit.Invalid("the body has data after its JSON value")
	}
	if isStruct {
		return exactNames(body, t)
	}
	return nil
}

// exactNames rejects fields that match only without regard to case, which
// encoding/json accepts ("NAME" for "name"): a strict API has one spelling.
func exactNames(body []byte, t reflect.Type) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return kit.Invalid("the body must be a JSON object")
	}
	known := make(map[string]bool, t.NumField())
	jsonNames(t, known, map[reflect.Type]bool{})
	var bad []kit.FieldError
	for name := range fields {
		if !known[name] {
			bad = append(bad, kit.FieldError{Field: clip(name), Reason: "is not allowed"})
		}
	}
	if len(bad) > 0 {
		slices.SortFunc(bad, func(a, b kit.FieldError) int { return strings.Compare(a.Field, b.Field) })
		return &kit.ValidationError{Fields: bad}
	}
	return nil
}

// jsonNames adds to known the names of struct type t's JSON fields. As in
// encoding/json, a struct embedded without a JSON name of its own, by value
// or by pointer, contributes its fields in its place. seen stops a type
// that embeds a pointer to itself.
func jsonNames(t reflect.Type, known map[string]bool, seen map[reflect.Type]bool) {
	if seen[t] {
		return
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if embedded := f.Type; name == "" && f.Anonymous {
			if embedded.Kind() == reflect.Pointer {
				embedded = embedded.Elem()
			}
			if embedded.Kind() == reflect.Struct {
				jsonNames(embedded, known, seen)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		known[name] = true
	}
}

// depth returns the deepest nesting of arrays and objects, skipping strings.
func depth(body []byte) int {
	d, most, inString, escaped := 0, 0, false, false
	for _, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			d++
			most = max(most, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return most
}

// jsonError turns a decoder error into a client message that names the
// field but never echoes more than a short piece of the input.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return kit.Invalid("the body is not valid JSON")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return kit.Invalid("the body must be %s", jsonKind(typ.Type))
		}
		return &kit.ValidationError{Fields: []kit.FieldError{{
			Field: clip(typ.Field), Reason: "must be " + jsonKind(typ.Type),
		}}}
	}
	// encoding/json reports unknown fields only as text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &kit.ValidationError{Fields: []kit.FieldError{{Field: clip(strings.Trim(name, `"`)), Reason: "is not allowed"}}}
	}
	return kit.Invalid("the body does not match the expected shape")
}

// jsonKind names the JSON type a client must send for a Go type, with its
// article.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

func clip(s string) string {
	const most = 64
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	return string([]rune(s)[:most]) + "…"
}

// String describes the request for logs without its body.
func (r *Request) String() string {
	return fmt.Sprintf("%s %s", r.Event.HTTPMethod, r.Event.Path)
}

// Path is the request's path within the API, "/products/42": the route
// it matched with its parameters, without the prefix the client's URL had.
func (r *Request) Path() string {
	if r.route == nil {
		return r.Event.Path
	}
	// Made when asked, not for every request: most handlers never ask.
	return r.route.relativePath(r.values)
}

// BasePath is the prefix the client's URL had before the API's own path:
// the stage on the execute-api URL ("/prod"), a custom domain's base path
// mapping ("/catalog"), or "" locally. Links the service hands out
// (Location) are BasePath() + a path within the API, so clients can follow
// them the way they came.
func (r *Request) BasePath() string {
	full := r.Event.RequestContext.Path
	if full == "" {
		full = r.Event.Path
	}
	if base, ok := strings.CutSuffix(full, r.Path()); ok && base != full {
		return base
	}
	return ""
}
