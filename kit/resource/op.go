package resource

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
)

// Op describes a custom operation (Handle, HandleNoContent): what the
// document of the API says of it, and its success status.
type Op struct {
	// Summary says in one line what the operation does.
	Summary string
	// Description says more, when a line is not enough.
	Description string
	// Status is the success status: 200 when it is 0. HandleNoContent
	// always answers 204.
	Status int
	// Problems are the client-facing errors the handler returns of its own
	// (kit.Errorf values, and ErrNoCaller when it calls Caller): the
	// document lists each under its status, with its detail.
	Problems []error
	// OptionalBody lets a client leave out the body of an input that has
	// one: its fields then keep their zero values.
	OptionalBody bool
}

// Handle serves a custom operation at pattern ("POST
// /products/{id}/reviews/{reviewId}/helpful") that answers with an entity
// of a kind the service serves or declares: rendered as the API renders
// it, with its ETag, at op.Status. It registers h as the handler of
// command C on the bus (which checks C's validate tags first, and its
// Validate method), the route on the router, and the operation for the
// document of the API.
//
// C is a struct whose every exported field says where its value comes
// from:
//
//   - path:"name": a {name} of the pattern, which every one of them must
//     have. It is an id: one that is not a UUID is 404 without a trip to
//     the store, as on the generic routes; path:"name,text" takes any text.
//   - query:"name": a query parameter, as a listing binds pageSize (a
//     string, integer or boolean; default:"…" when absent; repeated is 400).
//   - header:"Name": a request header, a string; a kit.Version field takes
//     If-Match as the generic writes do (AnyVersion without one).
//   - json:"name": a member of the JSON body, decoded strictly as every
//     body is (unknown members, wrong types: 400). An input with no json
//     fields takes no body; one with some requires it unless
//     op.OptionalBody.
//   - kit:"caller": the caller API Gateway verified (its IAM ARN), a
//     string. A request without one is 401 (ErrNoCaller), before anything
//     else is read, and the document says so.
//
// Each operation has an input type of its own: the bus finds the handler
// by it.
//
// Errors map to statuses as the generic operations' do: a failed unit of
// work's conditions are 404, 409 or 412; a kit.Errorf error shows its
// detail. A POST with an Idempotency-Key happens at most once: a unit of
// work the handler commits writes the key's record in its own
// transaction, with no code of the handler's.
func Handle[C any, T kit.Entity](s *Service, pattern string, op Op, h func(context.Context, C) (kit.Versioned[T], error)) error {
	var zero T
	entity := reflect.TypeFor[T]()
	if known, ok := s.kinds[zero.EntityKind()]; !ok || reflect.TypeOf(known) != entity {
		return fmt.Errorf("resource: %s answers with %s: serve or declare it first", pattern, entity)
	}
	p, err := newPlan(entity, noInput, noInput)
	if err != nil {
		return err
	}
	status := op.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status < 200 || status > 299 || status == http.StatusNoContent {
		return fmt.Errorf("resource: %s: status %d does not carry an entity (HandleNoContent answers 204)", pattern, status)
	}
	render := func(v kit.Versioned[T]) (apigw.Response, error) {
		body, err := p.viewString(reflect.ValueOf(v.Entity))
		if err != nil {
			return apigw.Response{}, err
		}
		return withETag(raw(status, body), apigw.Tag(v.Version, v.Revision)), nil
	}
	described := Operation{Entity: entity, EntityKind: zero.EntityKind(), Statuses: []int{status}}
	if c, ok := any(zero).(kit.Child); ok {
		described.ParentKind = c.ParentKind()
	}
	return handle(s, pattern, op, described, h, render)
}

// HandleNoContent serves a custom operation that answers 204 without a
// body when h succeeds; otherwise it is Handle.
func HandleNoContent[C any](s *Service, pattern string, op Op, h func(context.Context, C) error) error {
	if op.Status != 0 && op.Status != http.StatusNoContent {
		return fmt.Errorf("resource: %s: HandleNoContent answers 204, not %d", pattern, op.Status)
	}
	run := func(ctx context.Context, c C) (noContent, error) { return noContent{}, h(ctx, c) }
	render := func(noContent) (apigw.Response, error) { return apigw.NoContent(), nil }
	return handle(s, pattern, op, Operation{Statuses: []int{http.StatusNoContent}}, run, render)
}

// noContent is the result of a HandleNoContent command.
type noContent struct{}

// customMethod reports whether a custom operation may have method m.
func customMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// routePattern is a route's path: literal and {param} segments.
var routePattern = regexp.MustCompile(`^(/([A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9_]*\}))+$`)

// handle registers a custom operation whose handler h returns an R that
// render turns into the success response; described holds what the
// caller knows of the operation's result, for the document.
func handle[C, R any](s *Service, pattern string, op Op, described Operation, h func(context.Context, C) (R, error), render func(R) (apigw.Response, error)) error {
	method, path, _ := strings.Cut(pattern, " ")
	if !customMethod(method) || !routePattern.MatchString(path) {
		return fmt.Errorf("resource: pattern %q: want \"METHOD /path/{param}\", the method GET, POST, PUT, PATCH or DELETE", pattern)
	}
	b, err := newBinding[C](path, op.OptionalBody)
	if err != nil {
		return fmt.Errorf("resource: %s: %w", pattern, err)
	}
	for _, p := range op.Problems {
		if ke := (*kit.Error)(nil); !errors.As(p, &ke) {
			return fmt.Errorf("resource: %s: problem %q is not a client-facing *kit.Error (kit.Errorf)", pattern, fmt.Sprint(p))
		}
	}
	if err := command.Register(s.Bus, command.HandlerFunc[C, R](func(ctx context.Context, c C) (R, error) {
		if err := b.ids(c); err != nil {
			var zero R
			return zero, err
		}
		return h(ctx, c)
	})); err != nil {
		return fmt.Errorf("resource: %s: %w", pattern, err)
	}
	if err := route(s.Router, pattern, func(ctx context.Context, req *apigw.Request) (apigw.Response, error) {
		c, err := b.bind(ctx, req)
		if err != nil {
			return apigw.Response{}, err
		}
		r, err := command.Dispatch[R](ctx, s.Bus, c)
		if err != nil {
			return apigw.Response{}, err
		}
		return render(r)
	}); err != nil {
		return err
	}
	described.Method, described.Path, described.Kind = method, path, OpHandle
	described.Summary, described.Description = op.Summary, op.Description
	described.Params, described.Body, described.BodyOptional = b.params, b.body, op.OptionalBody
	described.Command, described.Problems = reflect.TypeFor[C](), slices.Clone(op.Problems)
	if b.caller != nil && !slices.Contains(described.Problems, ErrNoCaller) {
		described.Problems = append(described.Problems, ErrNoCaller)
	}
	s.ops = append(s.ops, described)
	return nil
}

// route adds h to the router, and returns the router's refusal of a
// pattern another route has (a panic there, as in net/http) as an error,
// like every other mistake in a declaration.
func route(r *apigw.Router, pattern string, h apigw.HandlerFunc) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("resource: %v", p)
		}
	}()
	r.Handle(pattern, h)
	return nil
}

// binding is how a request fills a command C, worked out once at
// registration from C's tags.
type binding[C any] struct {
	path    []boundField // path parameters
	query   bool         // C has query fields, for Request.BindQuery
	headers []boundField
	body    reflect.Type // the body's fields alone, as a struct; nil: no body
	inBody  [][]int      // C's field of each of body's fields
	// optional lets the body be left out (Op.OptionalBody).
	optional bool
	params   []Param
	caller   []int // the kit:"caller" field, or nil
}

type boundField struct {
	index   []int
	name    string
	id      bool // a path id, which must be a UUID
	ifMatch bool // a kit.Version from If-Match
}

var versionType = reflect.TypeFor[kit.Version]()

func newBinding[C any](path string, optional bool) (*binding[C], error) {
	t := reflect.TypeFor[C]()
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("the input %s is not a struct", t)
	}
	want := map[string]bool{}
	for _, seg := range strings.Split(path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			name = strings.TrimSuffix(name, "}")
			if want[name] {
				return nil, fmt.Errorf("{%s} is in the path twice", name)
			}
			want[name] = true
		}
	}
	b := &binding[C]{optional: optional}
	var body []reflect.StructField
	seen := map[string]bool{} // "in name"
	for i := range t.NumField() {
		f := t.Field(i)
		tags := 0
		for _, key := range []string{"path", "query", "header", "kit"} {
			if _, ok := f.Tag.Lookup(key); ok {
				tags++
			}
		}
		jsonName, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case f.Anonymous:
			return nil, fmt.Errorf("%s embeds %s: list the input's fields in it", t, f.Type)
		case !f.IsExported() && (tags > 0 || jsonName != ""):
			return nil, fmt.Errorf("%s.%s is unexported: the kit cannot fill it", t, f.Name)
		case !f.IsExported() || (jsonName == "-" && tags == 0):
			continue
		case tags > 1 || (tags == 1 && jsonName != "" && jsonName != "-"):
			return nil, fmt.Errorf("%s.%s: one of path, query, header, kit or json says where a field comes from", t, f.Name)
		case tags == 0 && jsonName == "":
			return nil, fmt.Errorf("%s.%s: tag it path, query, header, json or kit:\"caller\" to say where it comes from", t, f.Name)
		}
		if role, ok := f.Tag.Lookup("kit"); ok {
			if role != roleCaller || f.Type.Kind() != reflect.String || b.caller != nil {
				return nil, fmt.Errorf("%s.%s: an input's kit tag is kit:\"caller\", on one string field", t, f.Name)
			}
			b.caller = f.Index
			continue
		}
		param, err := bindField(t, f, want, seen, b)
		if err != nil {
			return nil, err
		}
		if param.In != "" {
			b.params = append(b.params, param)
			continue
		}
		body = append(body, reflect.StructField{Name: f.Name, Type: f.Type, Tag: f.Tag})
		b.inBody = append(b.inBody, f.Index)
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if !seen["path "+name] {
			return nil, fmt.Errorf("%s has no field for {%s}: tag one path:%q", t, name, name)
		}
	}
	if len(body) > 0 {
		b.body = reflect.StructOf(body)
	}
	return b, nil
}

// bindField records where field f of t comes from; a body field gives an
// empty Param.
func bindField[C any](t reflect.Type, f reflect.StructField, want, seen map[string]bool, b *binding[C]) (Param, error) {
	var in, name, opts string
	for _, key := range []string{"path", "query", "header"} {
		if v, ok := f.Tag.Lookup(key); ok {
			in = key
			name, opts, _ = strings.Cut(v, ",")
		}
	}
	if in == "" {
		return Param{}, nil
	}
	if name == "" {
		return Param{}, fmt.Errorf("%s.%s: %s:\"\" names nothing", t, f.Name, in)
	}
	key := in + " " + name
	if in == "header" {
		key = in + " " + http.CanonicalHeaderKey(name)
	}
	if seen[key] {
		return Param{}, fmt.Errorf("%s binds %s %s twice", t, in, name)
	}
	seen[key] = true
	p := Param{Name: name, In: in, Type: f.Type, Tag: f.Tag}
	bf := boundField{index: f.Index, name: name}
	switch in {
	case "path":
		switch {
		case !want[name]:
			return p, fmt.Errorf("%s.%s: the path has no {%s}", t, f.Name, name)
		case f.Type.Kind() != reflect.String:
			return p, fmt.Errorf("%s.%s: a path parameter is a string, not %s", t, f.Name, f.Type)
		case opts != "" && opts != "text":
			return p, fmt.Errorf("%s.%s: path option %q: the only one is text", t, f.Name, opts)
		}
		bf.id, p.ID = opts == "", opts == ""
		b.path = append(b.path, bf)
	case "query":
		switch f.Type.Kind() {
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		default:
			return p, fmt.Errorf("%s.%s: a query parameter is a string, an integer or a boolean, not %s", t, f.Name, f.Type)
		}
		b.query = true
	case "header":
		bf.ifMatch = f.Type == versionType
		switch {
		case bf.ifMatch && !strings.EqualFold(name, "If-Match"):
			return p, fmt.Errorf("%s.%s: a kit.Version comes from If-Match, not %s", t, f.Name, name)
		case !bf.ifMatch && f.Type.Kind() != reflect.String:
			return p, fmt.Errorf("%s.%s: a header is a string (or If-Match a kit.Version), not %s", t, f.Name, f.Type)
		}
		b.headers = append(b.headers, bf)
	}
	return p, nil
}

// bind fills a C from the request.
func (b *binding[C]) bind(ctx context.Context, req *apigw.Request) (C, error) {
	var c C
	v := reflect.ValueOf(&c).Elem()
	if b.caller != nil {
		caller, err := Caller(ctx)
		if err != nil {
			return c, err
		}
		v.FieldByIndex(b.caller).SetString(caller)
	}
	for _, f := range b.path {
		v.FieldByIndex(f.index).SetString(req.PathValue(f.name))
	}
	if b.query {
		if err := req.BindQuery(&c); err != nil {
			return c, err
		}
	}
	for _, f := range b.headers {
		if !f.ifMatch {
			v.FieldByIndex(f.index).SetString(req.Header(f.name))
			continue
		}
		version, err := req.IfMatch()
		if err != nil {
			return c, err
		}
		v.FieldByIndex(f.index).SetInt(int64(version))
	}
	if b.body == nil {
		if strings.TrimSpace(req.Event.Body) != "" {
			return c, kit.Invalid("this operation takes no body")
		}
		return c, nil
	}
	raw, err := req.Body()
	if err != nil {
		return c, err
	}
	if len(strings.TrimSpace(string(raw))) == 0 && b.optional {
		return c, nil
	}
	body := reflect.New(b.body)
	if err := req.DecodeJSON(body.Interface()); err != nil {
		return c, err
	}
	for i, index := range b.inBody {
		v.FieldByIndex(index).Set(body.Elem().Field(i))
	}
	return c, nil
}

// ids refuses a path id that is not a UUID: no entity has it.
func (b *binding[C]) ids(c C) error {
	v := reflect.ValueOf(c)
	for _, f := range b.path {
		if id := v.FieldByIndex(f.index).String(); f.id && !kit.IsUUID(id) {
			return fmt.Errorf("{%s} %q: %w", f.name, id, kit.ErrNotFound)
		}
	}
	return nil
}
