// Package resource serves an entity as a REST resource from a declaration:
// the entity type, its create input and its update input. Serve registers
// the five operations (create, get, update, delete, list) as commands on the
// command bus, with handlers over a kit.Repository, and as routes on the
// router; an entity that is a kit.Child is served inside its parent's path,
// stored in the parent's item collection, and can be read with its parent
// (GET /parents/{id}?include=children).
//
// It is built from the kit's primitives, not beside them, so everything
// stays open: a service adds its own commands and routes to the same bus
// and router, and replaces one generic operation by registering its own
// handler for that command (say Delete[Product]) before calling Serve.
//
// The entity declares the rest with struct tags: json names its fields in
// the API and in the table; kit:"id", kit:"parent", kit:"created",
// kit:"updated" and kit:"caller" mark fields the server sets (clients may
// not send them); kit:"immutable" marks a field an update may not change;
// default:"…" fills a field a create leaves out (its input has no such
// field, or a nil pointer; a zero the client sends is kept, so a create
// field whose entity field has a default must be a pointer). Inputs carry
// validate tags, which the bus checks before a handler runs.
package resource

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/event"
)

// IncludeSize is how many children ?include= reads with the parent: a
// listing's default page (List's pageSize tags hold its bounds).
const IncludeSize = 20

// Service is what resources are registered against: the kit's primitives.
type Service struct {
	Bus     *command.Bus
	Router  *apigw.Router
	Storage kit.Storage
	Clock   kit.Clock
	IDs     kit.IDs
	// Events lists the events the service raises: Serve declares each
	// entity's, and a service declares its custom events and registers its
	// consumers on it (event.Declare, event.Handle).
	Events *event.Catalog

	kinds    map[string]kit.Entity          // served kinds, by kind name
	includes map[string]map[string]includer // by parent kind, then name
	ops      []Operation                    // every route, as registered
}

// NewService returns a Service over the given primitives.
func NewService(bus *command.Bus, router *apigw.Router, storage kit.Storage, clock kit.Clock, ids kit.IDs) *Service {
	return &Service{Bus: bus, Router: router, Storage: storage, Clock: clock, IDs: ids, Events: event.NewCatalog(),
		kinds: map[string]kit.Entity{}, includes: map[string]map[string]includer{}}
}

// now is the clock's time at the millisecond precision the API shows, so
// what is stored and what is returned are the same instant.
func (s *Service) now() time.Time { return s.Clock.Now().UTC().Truncate(time.Millisecond) }

// includer reads a parent with the first page of one kind of its children
// and returns the members the parent's view gains.
type includer func(ctx context.Context, id string) (kit.Versioned[kit.Entity], []member, error)

// The commands of the five generic operations. A service may register its
// own handler for any of them before Serve, which then keeps it.
type (
	// Create makes a T from the client's input C.
	Create[T kit.Entity, C any] struct {
		Parent string `json:"-"`
		Input  C
	}
	// Get reads one T.
	Get[T kit.Entity] struct {
		Parent, ID string `json:"-"`
	}
	// Update changes the fields of one T that its input U sets.
	Update[T kit.Entity, U any] struct {
		Parent, ID string      `json:"-"`
		IfMatch    kit.Version `json:"-"`
		Input      U
	}
	// Delete removes one T, and with it every child in its collection.
	Delete[T kit.Entity] struct {
		Parent, ID string      `json:"-"`
		IfMatch    kit.Version `json:"-"`
	}
	// List reads one page of T in creation order; a child's, within its
	// parent. pageSize is 1 to 100, 20 when the client names none.
	List[T kit.Entity] struct {
		Parent    string `json:"-"`
		PageSize  int    `json:"-" query:"pageSize" default:"20" validate:"min=1,max=100"`
		NextToken string `json:"-" query:"nextToken"`
		// Where lists by a declared pattern, or finds a unique value's
		// holder: the other query parameters (kit.PageRequest.Where).
		Where map[string]string `json:"-"`
	}
	// GetWith reads a child's parent with the first page of its children.
	GetWith[C kit.Entity] struct {
		ID string `json:"-"`
	}
)

// Deleted is the result of Delete.
type Deleted struct{}

// With is the result of GetWith: the parent and its first children.
type With[C kit.Entity] struct {
	Parent   kit.Versioned[kit.Entity]
	Children kit.Page[C]
}

// Validate runs the input's own Validate, if it has one: the bus calls the
// command's, which passes the call on.
func (c Create[T, C]) Validate() error {
	if sv, ok := any(c.Input).(command.SelfValidator); ok {
		return sv.Validate() //nolint:wrapcheck // the input's own client-facing error
	}
	return nil
}

// Validate requires an update to change at least one field, and then runs
// the input's own Validate, if it has one.
func (c Update[T, U]) Validate() error {
	names, set := updateFields(reflect.ValueOf(c.Input))
	if !set && len(names) > 0 {
		return &kit.ValidationError{Fields: []kit.FieldError{{Field: names[0], Reason: oneOf(names) + " is required"}}}
	}
	if sv, ok := any(c.Input).(command.SelfValidator); ok {
		return sv.Validate() //nolint:wrapcheck // the input's own client-facing error
	}
	return nil
}

// oneOf reads "a", "a or b", "a, b or c".
func oneOf(names []string) string {
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Serve serves T at path: POST and GET on path, GET, PUT and DELETE on
// path/{id}. C is the body of a create and U of an update: structs whose
// fields have the JSON names of T's fields, U's as pointers (nil leaves a
// field alone, "" clears an optional string). A T that is a kit.Child is
// served under its parent, whose kind must be served first: path is then
// the parent's item path and a name for the collection, like
// "/products/{id}/reviews", its items' id parameter is named after its
// kind ("reviewId"), and the parent's GET answers ?include=reviews.
//
// A struct embedded in C or U without a JSON name of its own contributes
// its fields, as in encoding/json; Serve refuses one embedded by pointer or
// of an unexported type, and two fields of one JSON name.
//
// Ids are the UUIDs kit.IDs makes; any other id in a path is not found,
// without a call to the store.
func Serve[T kit.Entity, C, U any](s *Service, path string) error {
	var zero T
	if !pathPattern.MatchString(path) {
		return fmt.Errorf("resource: path %q: want /name segments and {param}s, ending in a name", path)
	}
	p, err := newPlan(reflect.TypeFor[T](), reflect.TypeFor[C](), reflect.TypeFor[U]())
	if err != nil {
		return err
	}
	access, err := kit.AccessOf(zero)
	if err != nil {
		return fmt.Errorf("resource: %w", err)
	}
	r := &res[T, C, U]{s: s, plan: p, kind: zero.EntityKind(), idParam: "id", access: access}
	r.name = path[strings.LastIndexByte(path, '/')+1:]
	if c, ok := any(zero).(kit.Child); ok {
		if r.parentParam, err = parentParam(path); err != nil {
			return err
		}
		if _, ok := s.kinds[c.ParentKind()]; !ok {
			return fmt.Errorf("resource: serve %s before its child %s", c.ParentKind(), r.kind)
		}
		r.idParam = strings.ToLower(r.kind) + "Id"
		_, r.listed = any(zero).(kit.Listed)
	}
	if _, dup := s.kinds[r.kind]; dup {
		return fmt.Errorf("resource: %s is served already", r.kind)
	}
	decl := event.Entity{Kind: r.kind, Type: reflect.TypeFor[T](), View: func(e kit.Entity) (json.RawMessage, error) {
		return p.view(reflect.ValueOf(e))
	}}
	if c, ok := any(zero).(kit.Child); ok {
		decl.ParentKind = c.ParentKind()
	}
	if err := s.Events.AddEntity(decl); err != nil {
		return fmt.Errorf("resource: %w", err)
	}
	s.kinds[r.kind] = zero
	for _, err := range []error{
		register(s.Bus, r.create),
		register(s.Bus, r.get),
		register(s.Bus, r.update),
		register(s.Bus, r.remove),
		register(s.Bus, r.list),
	} {
		if err != nil {
			return err
		}
	}
	if c, ok := any(zero).(kit.Child); ok {
		if err := serveChild(s, r, c); err != nil {
			return err
		}
	}
	item := path + "/{" + r.idParam + "}"
	parentKind := ""
	if c, ok := any(zero).(kit.Child); ok {
		parentKind = c.ParentKind()
	}
	type route struct {
		method, path string
		kind         OpKind
		input        reflect.Type
		handler      apigw.HandlerFunc
		kindWide     bool
	}
	routes := []route{
		{http.MethodPost, path, OpCreate, reflect.TypeFor[C](), r.postRoute, false},
		{http.MethodGet, path, OpList, nil, r.listRoute, false},
		{http.MethodGet, item, OpGet, nil, r.getRoute, false},
		{http.MethodPut, item, OpUpdate, reflect.TypeFor[U](), r.putRoute, false},
		{http.MethodDelete, item, OpDelete, nil, r.deleteRoute, false},
	}
	if parentKind != "" && len(access.Indexes) > 0 {
		// A child's patterns span parents: they are listed at the top.
		routes = append(routes, route{http.MethodGet, "/" + r.name, OpList, nil, r.kindWideRoute, true})
	}
	for _, rt := range routes {
		s.Router.Handle(rt.method+" "+rt.path, rt.handler)
		op := Operation{
			Method: rt.method, Path: rt.path, Kind: rt.kind, Entity: reflect.TypeFor[T](), Input: rt.input,
			EntityKind: r.kind, ParentKind: parentKind, Collection: r.name, KindWide: rt.kindWide,
		}
		if rt.kind == OpList && (parentKind == "" || rt.kindWide) {
			op.Filters = filters(access)
		}
		s.ops = append(s.ops, op)
	}
	return nil
}

// filters names the query parameters a kind's listing takes besides
// paging: its patterns' fields and its unique fields, each once.
func filters(a kit.Access) []string {
	var out []string
	for _, ix := range a.Indexes {
		for _, f := range ix.By {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	for _, f := range a.Unique {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// pathPattern is a collection path: literal and {param} segments, the last
// a literal that names the collection.
var pathPattern = regexp.MustCompile(`^(/([A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9_]*\}))*/[A-Za-z0-9._~-]+$`)

// register puts a default handler on the bus unless the service put its
// own there first.
func register[C, R any](bus *command.Bus, h func(context.Context, C) (R, error)) error {
	if command.Has[C](bus) {
		return nil
	}
	if err := command.Register(bus, command.HandlerFunc[C, R](h)); err != nil {
		return fmt.Errorf("resource: %w", err)
	}
	return nil
}

// parentParam is the last parameter of a child's path, the parent's id.
func parentParam(path string) (string, error) {
	segs := strings.Split(path, "/")
	if len(segs) < 3 {
		return "", fmt.Errorf("resource: child path %q needs the parent's item path and a name", path)
	}
	last := segs[len(segs)-2]
	if !strings.HasPrefix(last, "{") || !strings.HasSuffix(last, "}") {
		return "", fmt.Errorf("resource: child path %q must end in /{parentId}/name", path)
	}
	return last[1 : len(last)-1], nil
}

// serveChild registers what a child kind adds to its parent: the GetWith
// command and the parent's ?include= of this collection.
func serveChild[T kit.Entity, C, U any](s *Service, r *res[T, C, U], child kit.Child) error {
	parent := s.kinds[child.ParentKind()]
	if err := register(s.Bus, func(ctx context.Context, c GetWith[T]) (With[T], error) {
		v, page, err := s.Storage.GetWith(ctx, parent, c.ID, child, IncludeSize)
		if err != nil {
			return With[T]{}, err //nolint:wrapcheck // the storage port's errors are the kit's
		}
		w := With[T]{Parent: v, Children: kit.Page[T]{Items: make([]T, len(page.Items)), Next: page.Next}}
		for i, e := range page.Items {
			w.Children.Items[i] = e.(T)
		}
		return w, nil
	}); err != nil {
		return err
	}
	if s.includes[child.ParentKind()] == nil {
		s.includes[child.ParentKind()] = map[string]includer{}
	}
	if _, dup := s.includes[child.ParentKind()][r.name]; dup {
		return fmt.Errorf("resource: %s already has children named %s", child.ParentKind(), r.name)
	}
	s.includes[child.ParentKind()][r.name] = func(ctx context.Context, id string) (kit.Versioned[kit.Entity], []member, error) {
		w, err := command.Dispatch[With[T]](ctx, s.Bus, GetWith[T]{ID: id})
		if err != nil {
			return kit.Versioned[kit.Entity]{}, nil, err
		}
		items, err := r.views(w.Children.Items)
		if err != nil {
			return kit.Versioned[kit.Entity]{}, nil, err
		}
		members := []member{{r.name, items}}
		if w.Children.Next != "" {
			members = append(members, member{r.name + "NextToken", w.Children.Next})
		}
		return w.Parent, members, nil
	}
	return nil
}

// res is one served kind.
type res[T kit.Entity, C, U any] struct {
	s           *Service
	plan        *plan
	kind        string
	name        string // the collection's name: the listing's member, the include
	idParam     string
	parentParam string // "" unless T is a child
	access      kit.Access
	listed      bool // a kit.Listed child
}

func (r *res[T, C, U]) repo(parent string) kit.Repository[T] {
	return kit.RepositoryOf[T](r.s.Storage, parent)
}

// valid tells ids that can exist from ones that cannot: a malformed id is
// not found, without a trip to the store.
func (r *res[T, C, U]) valid(parent, id string) error {
	if (r.parentParam != "" && !kit.IsUUID(parent)) || (id != "" && !kit.IsUUID(id)) {
		return fmt.Errorf("%s %q: %w", r.kind, id, kit.ErrNotFound)
	}
	return nil
}

func (r *res[T, C, U]) create(ctx context.Context, c Create[T, C]) (kit.Versioned[T], error) {
	if err := r.valid(c.Parent, ""); err != nil {
		return kit.Versioned[T]{}, err
	}
	e := r.plan.build(c.Input, stamps{id: r.s.IDs.NewID(), parent: c.Parent, caller: kit.RequestInfoFrom(ctx).Caller, now: r.s.now()})
	return r.repo(c.Parent).Create(ctx, e.Interface().(T))
}

func (r *res[T, C, U]) get(ctx context.Context, c Get[T]) (kit.Versioned[T], error) {
	if err := r.valid(c.Parent, c.ID); err != nil {
		return kit.Versioned[T]{}, err
	}
	return r.repo(c.Parent).Get(ctx, c.ID)
}

func (r *res[T, C, U]) update(ctx context.Context, c Update[T, U]) (kit.Versioned[T], error) {
	if err := r.valid(c.Parent, c.ID); err != nil {
		return kit.Versioned[T]{}, err
	}
	set, remove := r.plan.patch(c.Input, r.s.now())
	return r.repo(c.Parent).Update(ctx, c.ID, kit.Patch{Set: set, Remove: remove}, c.IfMatch)
}

func (r *res[T, C, U]) remove(ctx context.Context, c Delete[T]) (Deleted, error) {
	if err := r.valid(c.Parent, c.ID); err != nil {
		return Deleted{}, err
	}
	return Deleted{}, r.repo(c.Parent).Delete(ctx, c.ID, c.IfMatch)
}

func (r *res[T, C, U]) list(ctx context.Context, c List[T]) (kit.Page[T], error) {
	// A child listed without a parent is the kind-wide listing.
	if err := r.valid(c.Parent, ""); err != nil && c.Parent != "" {
		return kit.Page[T]{}, err
	}
	return r.repo(c.Parent).List(ctx, kit.PageRequest{Size: c.PageSize, Token: c.NextToken, Where: c.Where})
}

func (r *res[T, C, U]) postRoute(ctx context.Context, req *apigw.Request) (apigw.Response, error) {
	cmd := Create[T, C]{Parent: req.PathValue(r.parentParam)}
	if err := req.DecodeJSON(&cmd.Input); err != nil {
		return apigw.Response{}, err
	}
	v, err := command.Dispatch[kit.Versioned[T]](ctx, r.s.Bus, cmd)
	if err != nil {
		return apigw.Response{}, err
	}
	resp, err := r.entity(http.StatusCreated, v)
	if err != nil {
		return resp, err
	}
	resp.Headers["Location"] = req.BasePath() + req.Path() + "/" + v.Entity.EntityID()
	return resp, nil
}

func (r *res[T, C, U]) getRoute(ctx context.Context, req *apigw.Request) (apigw.Response, error) {
	include, _, err := req.QueryOnce("include")
	if err != nil {
		return apigw.Response{}, err
	}
	if include != "" {
		return r.included(ctx, req, include)
	}
	v, err := command.Dispatch[kit.Versioned[T]](ctx, r.s.Bus, Get[T]{Parent: req.PathValue(r.parentParam), ID: req.PathValue(r.idParam)})
	if err != nil {
		return apigw.Response{}, err
	}
	if tag := apigw.Tag(v.Version, v.Revision); req.NotModified(tag) {
		return apigw.Response{StatusCode: http.StatusNotModified, Headers: map[string]string{"ETag": tag}}, nil
	}
	return r.entity(http.StatusOK, v)
}

// included answers GET ?include=name: the entity with the first page of
// those children, read together. The ETag is still the entity's own, for
// If-Match on its writes; If-None-Match is not honoured, since the tag
// does not cover the children.
func (r *res[T, C, U]) included(ctx context.Context, req *apigw.Request, name string) (apigw.Response, error) {
	inc, ok := r.s.includes[r.kind][name]
	if !ok {
		names := slices.Sorted(maps.Keys(r.s.includes[r.kind]))
		reason := "is not supported here"
		if len(names) > 0 {
			reason = "must be " + oneOf(names)
		}
		return apigw.Response{}, &kit.ValidationError{Fields: []kit.FieldError{{Field: "include", Reason: reason}}}
	}
	id := req.PathValue(r.idParam)
	if err := r.valid("", id); err != nil {
		return apigw.Response{}, err
	}
	v, members, err := inc(ctx, id)
	if err != nil {
		return apigw.Response{}, err
	}
	body, err := r.plan.view(reflect.ValueOf(v.Entity), members...)
	if err != nil {
		return apigw.Response{}, err
	}
	return withETag(raw(http.StatusOK, string(body)), apigw.Tag(v.Version, v.Revision)), nil
}

func (r *res[T, C, U]) putRoute(ctx context.Context, req *apigw.Request) (apigw.Response, error) {
	cmd := Update[T, U]{Parent: req.PathValue(r.parentParam), ID: req.PathValue(r.idParam)}
	var err error
	if cmd.IfMatch, err = req.IfMatch(); err != nil {
		return apigw.Response{}, err
	}
	if err := req.DecodeJSON(&cmd.Input); err != nil {
		return apigw.Response{}, err
	}
	v, err := command.Dispatch[kit.Versioned[T]](ctx, r.s.Bus, cmd)
	if err != nil {
		return apigw.Response{}, err
	}
	return r.entity(http.StatusOK, v)
}

func (r *res[T, C, U]) deleteRoute(ctx context.Context, req *apigw.Request) (apigw.Response, error) {
	cmd := Delete[T]{Parent: req.PathValue(r.parentParam), ID: req.PathValue(r.idParam)}
	var err error
	if cmd.IfMatch, err = req.IfMatch(); err != nil {
		return apigw.Response{}, err
	}
	if _, err := command.Dispatch[Deleted](ctx, r.s.Bus, cmd); err != nil {
		return apigw.Response{}, err
	}
	return apigw.NoContent(), nil
}

func (r *res[T, C, U]) listRoute(ctx context.Context, req *apigw.Request) (apigw.Response, error) {
	cmd := List[T]{Parent: req.PathValue(r.parentParam)}
	if err := req.BindQuery(&cmd); err != nil {
		return apigw.Response{}, err
	}
	var err error
	if cmd.Where, err = r.where(req); err != nil {
		return apigw.Response{}, err
	}
	if len(cmd.Where) > 0 && r.parentParam != "" {
		if len(r.access.Indexes) == 0 {
			_, _, err := r.access.Match(cmd.Where)
			return apigw.Response{}, err
		}
		return apigw.Response{}, kit.Invalid("the %s of every %s are listed by %s at /%s",
			r.name, strings.ToLower(any(*new(T)).(kit.Child).ParentKind()), strings.Join(filters(r.access), " or "), r.name)
	}
	return r.page(ctx, cmd)
}

// kindWideRoute lists a child kind across every parent, by one of its
// patterns (or plainly, if it is kit.Listed).
func (r *res[T, C, U]) kindWideRoute(ctx context.Context, req *apigw.Request) (apigw.Response, error) {
	var cmd List[T]
	if err := req.BindQuery(&cmd); err != nil {
		return apigw.Response{}, err
	}
	var err error
	if cmd.Where, err = r.where(req); err != nil {
		return apigw.Response{}, err
	}
	if len(cmd.Where) == 0 && !r.listed {
		return apigw.Response{}, kit.Invalid("this listing needs a filter: %s", r.access.Supported())
	}
	return r.page(ctx, cmd)
}

// where reads a listing's filters: every query parameter but the paging
// ones, each given once and not empty. Which combinations the kind serves
// is the repository's to say.
func (r *res[T, C, U]) where(req *apigw.Request) (map[string]string, error) {
	var where map[string]string
	for name := range req.Event.MultiValueQueryStringParameters {
		if err := r.filter(req, name, &where); err != nil {
			return nil, err
		}
	}
	for name := range req.Event.QueryStringParameters {
		if err := r.filter(req, name, &where); err != nil {
			return nil, err
		}
	}
	return where, nil
}

func (r *res[T, C, U]) filter(req *apigw.Request, name string, where *map[string]string) error {
	if name == "pageSize" || name == "nextToken" {
		return nil
	}
	if _, seen := (*where)[name]; seen {
		return nil
	}
	v, _, err := req.QueryOnce(name)
	switch {
	case err != nil:
		return err
	case v == "":
		return &kit.ValidationError{Fields: []kit.FieldError{{Field: name, Reason: "must not be empty"}}}
	}
	if *where == nil {
		*where = map[string]string{}
	}
	(*where)[name] = v
	return nil
}

func (r *res[T, C, U]) page(ctx context.Context, cmd List[T]) (apigw.Response, error) {
	page, err := command.Dispatch[kit.Page[T]](ctx, r.s.Bus, cmd)
	if err != nil {
		return apigw.Response{}, err
	}
	items, err := r.views(page.Items)
	if err != nil {
		return apigw.Response{}, err
	}
	members := []member{{r.name, items}}
	if page.Next != "" {
		members = append(members, member{"nextToken", page.Next})
	}
	body, err := object(members)
	if err != nil {
		return apigw.Response{}, err
	}
	return raw(http.StatusOK, string(body)), nil
}

func (r *res[T, C, U]) views(items []T) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(items))
	for i, e := range items {
		b, err := r.plan.view(reflect.ValueOf(e))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// entity renders one entity with its ETag.
func (r *res[T, C, U]) entity(status int, v kit.Versioned[T]) (apigw.Response, error) {
	body, err := r.plan.viewString(reflect.ValueOf(v.Entity))
	if err != nil {
		return apigw.Response{}, err
	}
	return withETag(raw(status, body), apigw.Tag(v.Version, v.Revision)), nil
}

func raw(status int, body string) apigw.Response {
	return apigw.Response{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: body}
}

func withETag(resp apigw.Response, tag string) apigw.Response {
	resp.Headers["ETag"] = tag
	return resp
}
