// Package openapi writes the OpenAPI 3.0.3 document of a service built on
// the kit, from what the service registered: its resource.Operations and
// its router's routes. Everything the kit does for a generic operation
// (statuses, headers, ETags, paging, idempotency, problems) follows from
// the operation's kind; bodies follow from the entity and input types,
// their json, kit and default tags and their validate rules. ViewSchema
// and ValueSchema give the same schemas in JSON Schema draft-07, for the
// service's documents in plain JSON Schema.
//
// It is 3.0.3, not 3.1, because the validators clients and tests use
// (kin-openapi among them) validate 3.0 documents.
package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/problem"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// Info names and describes the API in the document's info object. The
// document adds to Description what holds for every operation.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// Media types of the bodies.
const (
	mediaJSON = "application/json"
)

// document is an OpenAPI Object.
type document struct {
	OpenAPI    string                           `json:"openapi"`
	Info       Info                             `json:"info"`
	Security   []map[string][]string            `json:"security"`
	Tags       []tag                            `json:"tags,omitempty"`
	Paths      map[string]map[string]*operation `json:"paths"`
	Components components                       `json:"components"`
}

type tag struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type components struct {
	Schemas         map[string]*schema         `json:"schemas,omitempty"`
	Responses       map[string]*response       `json:"responses,omitempty"`
	Parameters      map[string]*parameter      `json:"parameters,omitempty"`
	Headers         map[string]*header         `json:"headers,omitempty"`
	SecuritySchemes map[string]*securityScheme `json:"securitySchemes,omitempty"`
}

type operation struct {
	Tags        []string             `json:"tags,omitempty"`
	Summary     string               `json:"summary,omitempty"`
	Description string               `json:"description,omitempty"`
	OperationID string               `json:"operationId"`
	Parameters  []*parameter         `json:"parameters,omitempty"`
	RequestBody *requestBody         `json:"requestBody,omitempty"`
	Responses   map[string]*response `json:"responses"`
}

type parameter struct {
	Ref         string  `json:"$ref,omitempty"`
	Name        string  `json:"name,omitempty"`
	In          string  `json:"in,omitempty"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *schema `json:"schema,omitempty"`
}

type header struct {
	Ref         string  `json:"$ref,omitempty"`
	Description string  `json:"description,omitempty"`
	Required    bool    `json:"required,omitempty"`
	Schema      *schema `json:"schema,omitempty"`
}

type requestBody struct {
	Description string               `json:"description,omitempty"`
	Required    bool                 `json:"required"`
	Content     map[string]mediaType `json:"content"`
}

type response struct {
	Ref         string               `json:"$ref,omitempty"`
	Description string               `json:"description,omitempty"`
	Headers     map[string]*header   `json:"headers,omitempty"`
	Content     map[string]mediaType `json:"content,omitempty"`
}

type mediaType struct {
	Schema *schema `json:"schema"`
}

type securityScheme struct {
	Type        string `json:"type"`
	In          string `json:"in"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	AuthType    string `json:"x-amazon-apigateway-authtype"`
}

// sigV4 names the security scheme every operation requires.
const sigV4 = "sigv4"

// The names of the shared components.
const (
	schemaProblem = "Problem"

	paramIfMatch        = "IfMatch"
	paramIfNoneMatch    = "IfNoneMatch"
	paramIdempotencyKey = "IdempotencyKey"

	headerETag     = "ETag"
	headerLocation = "Location"
	headerReplayed = "IdempotentReplayed"
	headerRetry    = "RetryAfter"
)

// sharedResponses are the error responses every operation that can answer
// them answers for the same reason, by status.
var sharedResponses = map[int]string{
	http.StatusConflict:              "Conflict",
	http.StatusPreconditionFailed:    "PreconditionFailed",
	http.StatusRequestEntityTooLarge: "TooLarge",
	http.StatusUnprocessableEntity:   "Unprocessable",
	http.StatusInternalServerError:   "InternalError",
	http.StatusServiceUnavailable:    "Unavailable",
}

// routeNotes is what the document says of the router itself: answers that
// belong to no operation, so that no operation lists them.
const routeNotes = `

Besides what each operation documents, the router answers a path no operation has with 404 ("No such route."), and a documented path called with a method it does not document with 405 and an Allow header listing the methods it has, both as ` + problem.ContentType + `: those answers belong to no operation.`

// Document returns the OpenAPI 3.0.3 document, as indented JSON, of a
// service that registered ops and whose router serves routes ("GET
// /products/{id}", as apigw.Router.Routes gives them). A route no
// operation describes is an error, and so is an operation with no route:
// either way the document would not be the API. The output is the same for
// the same input, so it can be checked in and diffed.
func Document(info Info, ops []resource.Operation, routes []string) ([]byte, error) {
	if err := matchRoutes(ops, routes); err != nil {
		return nil, err
	}
	g := newGenerator(ops)
	info.Description = strings.TrimSpace(info.Description + routeNotes)
	g.doc.Info = info
	for _, op := range ops {
		o, err := g.operation(op)
		if err != nil {
			return nil, err
		}
		item := g.doc.Paths[op.Path]
		if item == nil {
			item = map[string]*operation{}
			g.doc.Paths[op.Path] = item
		}
		item[strings.ToLower(op.Method)] = o
	}
	out, err := marshalIndent(g.doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: encode: %w", err)
	}
	return out, nil
}

// marshalIndent encodes the document without HTML escaping, so that
// patterns read as written.
func marshalIndent(doc *document) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err //nolint:wrapcheck // Document wraps it
	}
	return b.Bytes(), nil
}

// matchRoutes checks that ops and routes are the same set of routes.
func matchRoutes(ops []resource.Operation, routes []string) error {
	served := map[string]bool{}
	for _, r := range routes {
		served[r] = true
	}
	described := map[string]bool{}
	var errs []error
	for _, op := range ops {
		pattern := op.Method + " " + op.Path
		switch {
		case described[pattern]:
			errs = append(errs, fmt.Errorf("openapi: two operations describe %s", pattern))
		case !served[pattern]:
			errs = append(errs, fmt.Errorf("openapi: operation %s has no route on the router", pattern))
		}
		described[pattern] = true
	}
	for _, r := range routes {
		if !described[r] {
			errs = append(errs, fmt.Errorf("openapi: route %s is served but no operation describes it (describe it with resource.Service.Describe)", r))
		}
	}
	return errors.Join(errs...)
}

// child is a kind served inside a parent, as the parent's GET includes it.
type child struct {
	collection string
	entity     reflect.Type
}

type schemaKey struct {
	role string // "view", "page", "with", "input"
	typ  reflect.Type
}

type generator struct {
	doc      *document
	schemas  map[schemaKey]string // the component name of each schema made
	opIDs    map[string]bool
	tags     map[string]bool
	children map[string][]child // by parent kind, in registration order
}

func newGenerator(ops []resource.Operation) *generator {
	g := &generator{
		doc: &document{
			OpenAPI:  "3.0.3",
			Security: []map[string][]string{{sigV4: {}}},
			Paths:    map[string]map[string]*operation{},
			Components: components{
				Schemas:    map[string]*schema{},
				Responses:  map[string]*response{},
				Parameters: sharedParameters(),
				Headers:    sharedHeaders(),
				SecuritySchemes: map[string]*securityScheme{sigV4: {
					Type: "apiKey", In: "header", Name: "Authorization", AuthType: "awsSigv4",
					Description: "AWS Signature Version 4 for execute-api: API Gateway checks the signature and the caller's IAM permission (execute-api:Invoke) before the service sees the call.",
				}},
			},
		},
		schemas:  map[schemaKey]string{},
		opIDs:    map[string]bool{},
		tags:     map[string]bool{},
		children: map[string][]child{},
	}
	for _, op := range ops {
		if op.ParentKind == "" || op.Kind != resource.OpList || op.KindWide {
			continue
		}
		g.children[op.ParentKind] = append(g.children[op.ParentKind], child{op.Collection, op.Entity})
	}
	g.doc.Components.Schemas[schemaProblem] = problemSchema()
	for status, name := range sharedResponses {
		g.doc.Components.Responses[name] = sharedResponse(status)
	}
	return g
}

// operation describes one registered operation.
func (g *generator) operation(op resource.Operation) (*operation, error) {
	if !custom(op) && op.Entity == nil {
		return nil, fmt.Errorf("openapi: %s %s: a %s operation needs its entity type", op.Method, op.Path, op.Kind)
	}
	if (op.Kind == resource.OpCreate || op.Kind == resource.OpUpdate) && op.Input == nil {
		return nil, fmt.Errorf("openapi: %s %s: a %s operation needs its input type", op.Method, op.Path, op.Kind)
	}
	o := &operation{Responses: map[string]*response{}}
	if t := g.tag(op); t != "" {
		o.Tags = []string{t}
	}
	switch op.Kind {
	case resource.OpCreate:
		g.create(o, op)
	case resource.OpGet:
		g.get(o, op)
	case resource.OpUpdate:
		g.update(o, op)
	case resource.OpDelete:
		g.remove(o, op)
	case resource.OpList:
		g.list(o, op)
	case resource.OpCustom:
		g.custom(o, op)
	case resource.OpHandle:
		g.handled(o, op)
	default:
		return nil, fmt.Errorf("openapi: %s %s: unknown operation kind %q", op.Method, op.Path, op.Kind)
	}
	o.OperationID = g.operationID(op)
	// Every operation can fail on the server, and the router answers a
	// panic with 500 too.
	o.Responses[strconv.Itoa(http.StatusInternalServerError)] = shared(http.StatusInternalServerError)
	return o, nil
}

// names is how the document speaks of an operation's entity.
type names struct {
	one, many, parent string // "product", "products"; the parent's "product" or ""
	article           string // "a" or "an"
}

func namesOf(op resource.Operation) names {
	n := names{one: words(op.EntityKind, " "), many: words(op.Collection, " "), parent: words(op.ParentKind, " ")}
	n.article = article(n.one)
	return n
}

func article(s string) string {
	if s != "" && strings.ContainsRune("aeiou", rune(s[0])) {
		return "an"
	}
	return "a"
}

func (g *generator) create(o *operation, op resource.Operation) {
	n := namesOf(op)
	o.Summary = "Create " + n.article + " " + n.one
	if n.parent != "" {
		o.Summary += " of " + article(n.parent) + " " + n.parent
	}
	o.Description = fmt.Sprintf("Creates %s %s from the body and answers with it, where it is (Location) and its version (ETag). "+
		"With %s, the create happens at most once for the caller, route and key for 24 hours: a retry with the same body gets the first response again, "+
		"with %s: true; the same key with another body is 422; a retry while the first is still running is 409. A request that fails does not use up its key.",
		n.article, n.one, apigw.HeaderIdempotencyKey, apigw.HeaderReplayed)
	o.Parameters = append(pathParams(op), paramRef(paramIdempotencyKey))
	o.RequestBody = g.body(op, "The new "+n.one+".")
	o.Responses["201"] = &response{
		Description: "Created: the new " + n.one + ".",
		Headers: map[string]*header{
			"Location":           headerRef(headerLocation),
			"ETag":               headerRef(headerETag),
			apigw.HeaderReplayed: headerRef(headerReplayed),
		},
		Content: jsonContent(ref(g.view(op.Entity))),
	}
	o.Responses["400"] = problemResponse("The body is not " + n.article + " " + n.one + " the service accepts: " + bodyErrors +
		", or " + apigw.HeaderIdempotencyKey + " is not 1 to 255 visible ASCII characters.")
	if n.parent != "" {
		o.Responses["404"] = problemResponse(fmt.Sprintf("The %s does not exist. %s", n.parent, uuidNote))
	}
	addShared(o, http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity, http.StatusServiceUnavailable)
	if a := accessOf(op); len(a.Unique) > 0 {
		o.Responses["409"] = problemResponse(taken(n, a) + " Or a request with this " + apigw.HeaderIdempotencyKey + " is still in progress; retry once it has finished.")
	}
}

// accessOf is the declared access of an operation's entity.
func accessOf(op resource.Operation) kit.Access {
	e, ok := reflect.New(op.Entity).Elem().Interface().(kit.Entity)
	if !ok {
		return kit.Access{}
	}
	a, _ := kit.AccessOf(e) // resource.Serve refused a declaration that fails
	return a
}

// taken says when a write of an entity with unique fields is 409.
func taken(n names, a kit.Access) string {
	return fmt.Sprintf("Another %s has this %s: the problem's errors name the field, and nothing changed.", n.one, strings.Join(a.Unique, " or "))
}

// guarded adds the 403 of a write to an owned entity.
func guarded(o *operation, n names, a kit.Access) {
	if a.Owner == "" {
		return
	}
	o.Responses["403"] = problemResponse(fmt.Sprintf("The caller is not the one who created the %s (its %s), or the request has no verified caller: nothing changed.", n.one, a.Owner))
}

func (g *generator) get(o *operation, op resource.Operation) {
	n := namesOf(op)
	o.Summary = "Read " + n.article + " " + n.one
	o.Description = "Answers with the " + n.one + " and its version (ETag); 304 without a body when If-None-Match matches that version."
	o.Parameters = append(pathParams(op), paramRef(paramIfNoneMatch))
	body := ref(g.view(op.Entity))
	bad := "The query repeats include, or has one: " + n.article + " " + n.one + " has nothing to include."
	if kids := g.children[op.EntityKind]; len(kids) > 0 {
		var collections []any
		var list []string
		for _, c := range kids {
			collections = append(collections, c.collection)
			list = append(list, c.collection)
		}
		o.Description += fmt.Sprintf(" With include=%s, the body also has the first %d %s (the member of that name) and, when there are more, "+
			"%sNextToken to list the rest with. The ETag is still the %s's own, for If-Match on its writes; If-None-Match is not honoured with include, "+
			"since the tag does not cover the children.", list[0], resource.IncludeSize, words(list[0], " "), list[0], n.one)
		o.Parameters = append(o.Parameters, &parameter{
			Name: "include", In: "query",
			Description: "A collection of the " + n.one + "'s children to read with it, in the same request.",
			Schema:      &schema{Type: "string", Enum: collections},
		})
		body = ref(g.withIncludes(op.Entity, kids))
		bad = "include is repeated, or names no collection of the " + n.one + " (" + strings.Join(list, ", ") + ")."
	}
	o.Responses["200"] = &response{
		Description: "The " + n.one + ".",
		Headers:     map[string]*header{"ETag": headerRef(headerETag)},
		Content:     jsonContent(body),
	}
	o.Responses["304"] = &response{
		Description: "Not modified: If-None-Match matches the " + n.one + "'s version.",
		Headers:     map[string]*header{"ETag": headerRef(headerETag)},
	}
	o.Responses["400"] = problemResponse(bad)
	o.Responses["404"] = problemResponse(notFound(n))
	addShared(o, http.StatusServiceUnavailable)
}

func (g *generator) update(o *operation, op resource.Operation) {
	n := namesOf(op)
	o.Summary = "Update " + n.article + " " + n.one
	o.Description = "Changes the fields the body sets, and nothing else but the time of the write; never creates. " +
		"At least one field must be set (not null). With If-Match, a stale version is 412 and changes nothing."
	o.Parameters = append(pathParams(op), paramRef(paramIfMatch))
	o.RequestBody = g.body(op, "The fields to change: null or absent leaves a field alone.")
	o.Responses["200"] = &response{
		Description: "The updated " + n.one + ".",
		Headers:     map[string]*header{"ETag": headerRef(headerETag)},
		Content:     jsonContent(ref(g.view(op.Entity))),
	}
	o.Responses["400"] = problemResponse("The body is not a change the service accepts: " + bodyErrors +
		", or a body that sets no field; or If-Match is not one entity tag or *.")
	o.Responses["404"] = problemResponse(notFound(n))
	addShared(o, http.StatusPreconditionFailed, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable)
	a := accessOf(op)
	guarded(o, n, a)
	if len(a.Unique) > 0 {
		o.Responses["409"] = problemResponse(taken(n, a))
	}
}

func (g *generator) remove(o *operation, op resource.Operation) {
	n := namesOf(op)
	o.Summary = "Delete " + n.article + " " + n.one
	o.Description = "Deletes the " + n.one + "."
	if kids := g.children[op.EntityKind]; len(kids) > 0 {
		var list []string
		for _, c := range kids {
			list = append(list, words(c.collection, " "))
		}
		o.Description = "Deletes the " + n.one + " and all its " + strings.Join(list, " and ") +
			": once the 204 is sent, none remains. A delete cut short leaves nothing visible; deleting again answers 404 and finishes it."
	}
	o.Description += " With If-Match, a stale version is 412 and deletes nothing."
	o.Parameters = append(pathParams(op), paramRef(paramIfMatch))
	o.Responses["204"] = &response{Description: "Deleted."}
	o.Responses["400"] = problemResponse("If-Match is not one entity tag or *.")
	o.Responses["404"] = problemResponse(notFound(n))
	addShared(o, http.StatusPreconditionFailed, http.StatusServiceUnavailable)
	guarded(o, n, accessOf(op))
}

func (g *generator) list(o *operation, op resource.Operation) {
	n := namesOf(op)
	o.Summary = "List " + n.many
	switch {
	case op.KindWide:
		o.Summary += " of every " + n.parent
	case n.parent != "":
		o.Summary += " of " + article(n.parent) + " " + n.parent
	}
	o.Description = "One page of " + n.many + ", oldest first. Every page but the last is full and has nextToken, which the next request passes to get the page after it."
	o.Parameters = append(pathParams(op), listParameters()...)
	o.Responses["200"] = &response{Description: "A page of " + n.many + ".", Content: jsonContent(ref(g.page(op)))}
	bad := "pageSize is not an integer from 1 to 100 or is repeated, or nextToken is not one this listing issued."
	if len(op.Filters) > 0 {
		a := accessOf(op)
		o.Description += " " + filterNote(n, a, op.KindWide)
		o.Parameters = append(o.Parameters, filterParameters(n, a)...)
		bad = "pageSize is not an integer from 1 to 100, a parameter is repeated or empty, nextToken is not one this listing issued " +
			"for the same filter and values, or the query filters by fields no listing takes (the problem names those it takes)."
	} else if !op.KindWide {
		bad += " Any other parameter is 400 too: the listing takes no filter."
	}
	o.Responses["400"] = problemResponse(bad)
	if n.parent != "" && !op.KindWide {
		o.Responses["404"] = problemResponse(fmt.Sprintf("The %s does not exist. %s", n.parent, uuidNote))
	}
	addShared(o, http.StatusServiceUnavailable)
}

// filterNote says which filters a listing takes and how each is served.
func filterNote(n names, a kit.Access, kindWide bool) string {
	var ways []string
	for _, ix := range a.Indexes {
		order := "oldest first"
		if ix.Sort != "" {
			order = "by " + ix.Sort
		}
		if ix.Descending {
			order = "newest first"
			if ix.Sort != "" {
				order = "by " + ix.Sort + ", greatest first"
			}
		}
		ways = append(ways, fmt.Sprintf("with %s, the %s of those values, %s (one Query of a secondary index)", strings.Join(ix.By, " and "), n.many, order))
	}
	for _, f := range a.Unique {
		ways = append(ways, fmt.Sprintf("with %s alone, the one %s that has it, or none (one page, no nextToken)", f, n.one))
	}
	lead := "Filters: "
	if kindWide {
		lead = "Across every " + n.parent + ", and only with a filter: "
	}
	return lead + strings.Join(ways, "; ") + ". Other combinations are 400."
}

// filterParameters are a listing's filters as query parameters.
func filterParameters(n names, a kit.Access) []*parameter {
	var out []*parameter
	seen := map[string]bool{}
	add := func(name, description string) {
		if seen[name] {
			return
		}
		seen[name] = true
		out = append(out, &parameter{Name: name, In: "query", Description: description, Schema: &schema{Type: "string", MinLength: ptr(1)}})
	}
	for _, ix := range a.Indexes {
		for _, f := range ix.By {
			add(f, fmt.Sprintf("Lists only the %s whose %s is this value.", n.many, f))
		}
	}
	for _, f := range a.Unique {
		add(f, fmt.Sprintf("Finds the %s whose %s is this value (unique among %s).", n.one, f, n.many))
	}
	return out
}

// custom describes a route the service serves itself, from what it said of
// it: its summary, statuses, body and entity.
func (g *generator) custom(o *operation, op resource.Operation) {
	o.Summary = op.Summary
	o.Parameters = pathParams(op)
	if op.Input != nil {
		o.RequestBody = &requestBody{Required: true, Content: jsonContent(ref(g.input(op.Input, op)))}
	}
	for _, status := range op.Statuses {
		code := strconv.Itoa(status)
		switch {
		case status >= 400:
			if _, ok := sharedResponses[status]; ok {
				o.Responses[code] = shared(status)
			} else {
				o.Responses[code] = problemResponse(http.StatusText(status) + ".")
			}
		case op.Entity != nil && status != http.StatusNoContent && status != http.StatusNotModified && status < 300:
			o.Responses[code] = &response{Description: http.StatusText(status) + ".", Content: jsonContent(ref(g.view(op.Entity)))}
		default:
			o.Responses[code] = &response{Description: http.StatusText(status) + "."}
		}
	}
}

// What a strict body can be refused for, as apigw.Request.DecodeJSON and
// the command bus refuse it.
var bodyErrors = fmt.Sprintf("no body, invalid JSON or UTF-8, not an object, data after it, nesting deeper than %d levels, "+
	"an unknown field or one the server sets, or fields that fail their rules (type %s, with errors naming each field)",
	apigw.MaxDepth, problem.TypeValidation)

// uuidNote explains the 404 of a malformed id, which format: uuid on the
// path parameters states.
const uuidNote = "Ids are UUIDs: any other id does not exist."

func notFound(n names) string {
	if n.parent == "" {
		return fmt.Sprintf("The %s does not exist. %s", n.one, uuidNote)
	}
	return fmt.Sprintf("The %s does not exist, or the %s is not one of its %s. %s", n.parent, n.one, n.many, uuidNote)
}

// pathParams declares the {params} of the operation's path. The kit's ids
// are UUIDs, and any other id is a 404 without a trip to the store; a
// service's own routes say nothing of theirs, so those are plain strings.
func pathParams(op resource.Operation) []*parameter {
	segs := strings.Split(op.Path, "/")
	var out []*parameter
	for i, seg := range segs {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		p := &parameter{Name: name, In: "path", Required: true, Schema: &schema{Type: "string"}}
		if op.Kind != resource.OpCustom {
			p.Schema.Format = "uuid"
			n := namesOf(op)
			switch {
			case i == len(segs)-1:
				p.Description = "The " + n.one + "'s id."
			case i == len(segs)-2 && op.ParentKind != "":
				p.Description = "The " + n.parent + "'s id."
			}
		}
		out = append(out, p)
	}
	return out
}

// body is the request body of a create or an update.
func (g *generator) body(op resource.Operation, description string) *requestBody {
	return &requestBody{Description: description, Required: true, Content: jsonContent(ref(g.input(op.Input, op)))}
}

func jsonContent(s *schema) map[string]mediaType { return map[string]mediaType{mediaJSON: {Schema: s}} }

func problemResponse(description string) *response {
	return &response{Description: description, Content: map[string]mediaType{problem.ContentType: {Schema: ref(schemaProblem)}}}
}

func shared(status int) *response {
	return &response{Ref: "#/components/responses/" + sharedResponses[status]}
}

func addShared(o *operation, statuses ...int) {
	for _, s := range statuses {
		o.Responses[strconv.Itoa(s)] = shared(s)
	}
}

func sharedResponse(status int) *response {
	var r *response
	switch status {
	case http.StatusConflict:
		r = problemResponse("A request with this " + apigw.HeaderIdempotencyKey + " is still in progress; retry once it has finished.")
	case http.StatusPreconditionFailed:
		r = problemResponse("If-Match names a version the resource no longer has (or a weak tag, which never matches): nothing changed.")
	case http.StatusRequestEntityTooLarge:
		r = problemResponse(fmt.Sprintf("The body is over %d bytes.", apigw.MaxBodyBytes))
	case http.StatusUnprocessableEntity:
		r = problemResponse("This " + apigw.HeaderIdempotencyKey + " was used with a different request.")
	case http.StatusInternalServerError:
		r = problemResponse("A bug; the cause is in the log, never in the body. The next request is served normally.")
	case http.StatusServiceUnavailable:
		r = problemResponse("The store failed or did not answer within the request's deadline. Retry later.")
		r.Headers = map[string]*header{"Retry-After": headerRef(headerRetry)}
	}
	return r
}

func paramRef(name string) *parameter { return &parameter{Ref: "#/components/parameters/" + name} }

func headerRef(name string) *header { return &header{Ref: "#/components/headers/" + name} }

// sharedParameters are the headers and query parameters the kit reads the
// same way on every operation that takes them.
func sharedParameters() map[string]*parameter {
	return map[string]*parameter{
		paramIfMatch: {
			Name: "If-Match", In: "header",
			Description: `One strong entity tag, as ETag gives it ("3"), or *: the write happens only if the resource is at that version. A weak tag never matches.`,
			Schema:      &schema{Type: "string"},
		},
		paramIfNoneMatch: {
			Name: "If-None-Match", In: "header",
			Description: "Entity tags, or *: a match (weak comparison) answers 304 without a body.",
			Schema:      &schema{Type: "string"},
		},
		paramIdempotencyKey: {
			Name: apigw.HeaderIdempotencyKey, In: "header",
			Description: "Makes the create happen at most once for this caller, route and key (kept 24 hours): 1 to 255 visible ASCII characters.",
			Schema:      &schema{Type: "string", Pattern: idempotencyKeyPattern},
		},
	}
}

// idempotencyKeyPattern is idempotency.ValidKey as a pattern.
const idempotencyKeyPattern = `^[\x21-\x7E]{1,255}$`

// listParameters are the query parameters of a listing, read off the kit's
// List command, whose tags hold pageSize's bounds and default: the
// document says what the command checks.
func listParameters() []*parameter {
	t := reflect.TypeFor[resource.List[placeholder]]()
	var out []*parameter
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("query")
		if name == "" {
			continue
		}
		s := typeSchema(f.Type, reading, nil)
		constrain(s, f.Type, false, parseRules(f.Tag.Get("validate")))
		if d, ok := f.Tag.Lookup("default"); ok {
			s.Default, _ = parseDefault(f.Type, d)
		}
		p := &parameter{Name: name, In: "query", Schema: s}
		switch name {
		case "pageSize":
			p.Description = "How many items a page holds at most."
		case "nextToken":
			// The cursor codec refuses anything longer, or outside
			// base64url, before it looks further.
			s.MaxLength, s.Pattern = ptr(cursor.MaxTokenLen), "^[A-Za-z0-9_-]*$"
			p.Description = "The nextToken of the page before; empty or absent for the first page. A token from another listing is 400."
		}
		out = append(out, p)
	}
	return out
}

// maxPageSize is the most items a page holds: pageSize's maximum.
func maxPageSize() *int {
	for _, p := range listParameters() {
		if p.Name == "pageSize" && p.Schema.Maximum != nil {
			return ptr(int(*p.Schema.Maximum))
		}
	}
	return nil
}

// placeholder instantiates the kit's generic List command, whose query
// tags do not depend on the entity.
type placeholder struct{}

func (placeholder) EntityKind() string { return "" }
func (placeholder) EntityID() string   { return "" }

// sharedHeaders are the response headers the kit writes.
func sharedHeaders() map[string]*header {
	return map[string]*header{
		headerETag: {
			Description: `The version of the resource, a strong entity tag ("3"), for If-Match and If-None-Match; "3.2" once fields the service keeps itself have changed twice without a new version (If-Match reads the version alone).`,
			Required:    true,
			Schema:      &schema{Type: "string", Pattern: `^"[0-9]+(\.[0-9]+)?"$`},
		},
		headerLocation: {
			Description: "The path of the new resource, behind the stage's or custom domain's base path when the call had one.",
			Required:    true,
			Schema:      &schema{Type: "string", Format: "uri-reference"},
		},
		headerReplayed: {
			Description: "Present on a response replayed for a repeated " + apigw.HeaderIdempotencyKey + ".",
			Schema:      &schema{Type: "string", Enum: []any{"true"}},
		},
		headerRetry: {
			Description: "Seconds to wait before retrying.",
			Required:    true,
			Schema:      &schema{Type: "integer", Minimum: ptr(0.0)},
		},
	}
}

// problemSchema describes problem.Problem, read off the type so that the
// two cannot drift apart.
func problemSchema() *schema {
	s := viewObject(reflect.TypeFor[problem.Problem](), nil)
	s.Description = "An RFC 9457 problem. A 400 whose fields failed has type " + problem.TypeValidation + " and lists them in errors; other problems have type about:blank."
	if p := s.Properties.get("type"); p != nil {
		p.Format = "uri-reference"
	}
	if p := s.Properties.get("status"); p != nil {
		p.Minimum, p.Maximum = ptr(400.0), ptr(599.0)
	}
	if p := s.Properties.get("errors"); p != nil {
		p.Description = "Each failing field, with why it failed."
		p.MinItems = ptr(1)
	}
	return s
}

// tag names the operation's group: its entity kind. The first operation
// of a kind adds the tag to the document.
func (g *generator) tag(op resource.Operation) string {
	name := words(op.EntityKind, "")
	if name == "" && op.Entity != nil {
		name = op.Entity.Name()
	}
	if name == "" || g.tags[name] {
		return name
	}
	g.tags[name] = true
	t := tag{Name: name}
	if !custom(op) {
		n := namesOf(op)
		t.Description = upperFirst(n.many) + "."
		if n.parent != "" {
			t.Description = upperFirst(n.many) + " of " + article(n.parent) + " " + n.parent + ", stored in its item collection and deleted with it."
		}
	}
	g.doc.Tags = append(g.doc.Tags, t)
	return name
}

// operationID names an operation for generated clients: the kind and the
// entity for generic ones (createProduct, listReviews), the method and
// the path's literal segments for a service's own; a number makes a
// repeat unique.
func (g *generator) operationID(op resource.Operation) string {
	var id string
	switch op.Kind {
	case resource.OpList:
		id = "list" + words(op.Collection, "")
	case resource.OpCustom, resource.OpHandle:
		id = strings.ToLower(op.Method)
		for seg := range strings.SplitSeq(op.Path, "/") {
			if !strings.HasPrefix(seg, "{") {
				id += words(seg, "")
			}
		}
	default:
		id = string(op.Kind) + words(op.EntityKind, "")
	}
	unique := id
	for n := 2; g.opIDs[unique]; n++ {
		unique = id + strconv.Itoa(n)
	}
	g.opIDs[unique] = true
	return unique
}

// words splits a kind or a path segment ("ORDER_LINE", "order-lines",
// "OrderLine") into words. With sep "" it joins them in CamelCase
// ("OrderLine"), for names; otherwise in lower case ("order line"), for
// prose.
func words(s, sep string) string {
	var ws []string
	for w := range strings.FieldsFuncSeq(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if w == strings.ToUpper(w) {
			w = strings.ToLower(w)
		}
		ws = append(ws, splitCamel(w)...)
	}
	for i, w := range ws {
		if sep == "" {
			ws[i] = upperFirst(w)
		} else {
			ws[i] = strings.ToLower(w)
		}
	}
	return strings.Join(ws, sep)
}

// splitCamel splits "orderLine" into "order" and "Line".
func splitCamel(w string) []string {
	var out []string
	start := 0
	for i, r := range w {
		if i > 0 && unicode.IsUpper(r) {
			out = append(out, w[start:i])
			start = i
		}
	}
	return append(out, w[start:])
}

func upperFirst(s string) string {
	for i, r := range s {
		return string(unicode.ToUpper(r)) + s[i+len(string(r)):]
	}
	return s
}

// componentName makes a schema name from a Go type's: the characters
// OpenAPI allows in a component name, unique in the document.
var notNameChar = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (g *generator) register(key schemaKey, base string, build func() *schema) string {
	if name, ok := g.schemas[key]; ok {
		return name
	}
	base = notNameChar.ReplaceAllString(base, "")
	if base == "" {
		base = "Body"
	}
	name := base
	for n := 2; g.doc.Components.Schemas[name] != nil; n++ {
		name = base + strconv.Itoa(n)
	}
	g.schemas[key] = name
	g.doc.Components.Schemas[name] = &schema{} // holds the name while build runs
	g.doc.Components.Schemas[name] = build()
	return name
}

// Descriptions of the fields the server sets, by kit tag.
var roleNotes = map[string]string{
	"id":        "Made by the server: a UUID (version 7, so id order is creation order).",
	"parent":    "The parent's id, from the path.",
	"created":   "When it was created.",
	"updated":   "When it was last written.",
	"caller":    "Who created it: the caller's IAM ARN, as API Gateway verified it.",
	"immutable": "Set on create; no update changes it.",
	"server":    "Kept by the service; no client sets it.",
	"owner":     "Who created it: the caller's IAM ARN, as API Gateway verified it. Only that caller may change or delete it.",
	"unique":    "Unique: no two have the same value; a write of a value another holds is 409.",
}

// timePattern is resource.TimeFormat as a pattern: UTC, always three
// digits of milliseconds, so clients can compare times as strings.
const timePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$`

// view names the schema of an entity as the service shows it.
func (g *generator) view(t reflect.Type) string {
	return g.register(schemaKey{"view", t}, t.Name(), func() *schema { return entitySchema(t) })
}

// entitySchema is an entity's view: its JSON fields, those the server
// sets read-only, times in resource.TimeFormat.
func entitySchema(t reflect.Type) *schema {
	s := viewObject(t, []reflect.Type{t})
	for _, f := range fields(t) {
		ps := s.Properties.get(f.name)
		role := f.tag.Get("kit")
		switch role {
		case "id", "parent", "created", "updated", "caller", "server", "owner":
			ps.ReadOnly = true // a client that sends it gets a 400
		}
		if (role == "id" || role == "parent") && ps.Type == "string" {
			ps.Format = "uuid"
		}
		if deref(f.typ) == timeType {
			// Only the view's own fields are in TimeFormat; a time nested
			// deeper is as encoding/json writes it.
			ps.Pattern = timePattern
			ps.Description = "UTC with milliseconds, as " + resource.TimeFormat + "."
		}
		if note := roleNotes[role]; note != "" {
			ps.Description = strings.TrimSpace(note + " " + ps.Description)
		}
	}
	return s
}

// withIncludes names the schema of a parent read with ?include=: its view,
// plus each child collection's first page and next token, present only
// when asked for.
func (g *generator) withIncludes(t reflect.Type, kids []child) string {
	base := g.view(t)
	return g.register(schemaKey{"with", t}, base+"WithIncludes", func() *schema {
		s := entitySchema(t)
		s.Description = "The " + base + "; with include=, also the members of that collection."
		for _, c := range kids {
			s.Properties = append(s.Properties,
				property{c.collection, &schema{
					Type: "array", Items: ref(g.view(c.entity)), MaxItems: ptr(resource.IncludeSize),
					Description: fmt.Sprintf("With include=%s: its first %d, oldest first.", c.collection, resource.IncludeSize),
				}},
				property{c.collection + "NextToken", &schema{
					Type: "string", MaxLength: ptr(cursor.MaxTokenLen),
					Description: fmt.Sprintf("With include=%s, when there are more: the nextToken for the rest of them.", c.collection),
				}})
		}
		return s
	})
}

// page names the schema of one page of a listing.
func (g *generator) page(op resource.Operation) string {
	item := g.view(op.Entity)
	return g.register(schemaKey{"page", op.Entity}, item+"Page", func() *schema {
		return &schema{
			Type: "object", AdditionalProperties: false,
			Properties: properties{
				{op.Collection, &schema{Type: "array", Items: ref(item), MaxItems: maxPageSize()}},
				{"nextToken", &schema{
					Type: "string", MaxLength: ptr(cursor.MaxTokenLen),
					Description: "On every page but the last: pass it as nextToken to get the next page.",
				}},
			},
			Required: []string{op.Collection},
		}
	})
}

// input names the schema of a request body. A create's gets the entity's
// defaults; an update's says which fields "" clears.
func (g *generator) input(t reflect.Type, op resource.Operation) string {
	base := t.Name()
	if base == "" && op.Command != nil {
		base = op.Command.Name() // a custom operation's body: its input's own fields
	}
	if base == "" {
		base = upperFirst(operationIDHint(op)) + "Input"
	}
	return g.register(schemaKey{"input", t}, base, func() *schema {
		s := inputObject(deref(t), []reflect.Type{deref(t)})
		if op.Entity == nil {
			return s
		}
		for _, f := range fields(op.Entity) {
			ps := s.Properties.get(f.name)
			if ps == nil {
				continue
			}
			if d, ok := f.tag.Lookup("default"); ok && op.Kind == resource.OpCreate {
				if v, ok := parseDefault(f.typ, d); ok {
					ps.Default = v
				}
			}
			if op.Kind == resource.OpUpdate && f.omitEmpty && f.typ.Kind() == reflect.String {
				ps.Description = `"" clears it.`
			}
		}
		if op.Kind == resource.OpUpdate {
			var set []string
			for _, p := range s.Properties {
				set = append(set, p.name)
			}
			s.Description = "At least one of " + strings.Join(set, ", ") + " must be set and not null; null or absent leaves a field alone."
		}
		return s
	})
}

// operationIDHint names an anonymous input after its operation.
func operationIDHint(op resource.Operation) string {
	if custom(op) {
		return strings.ToLower(op.Method) + words(op.Path, "")
	}
	return string(op.Kind) + words(op.EntityKind, "")
}
