package resource_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/kit/openapi"
	"github.com/lambdakit/lambdakit/kit/problem"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// Widget is a root entity that uses every declaration the kit offers, so
// each behaviour below can be observed on one type. Its field order is
// deliberately not alphabetical, to tell declared order from sorted.
type Widget struct {
	ID       string    `json:"id" kit:"id"`
	Name     string    `json:"name"`
	Colour   string    `json:"colour" default:"grey"`
	Code     string    `json:"code" kit:"immutable"`
	Count    int       `json:"count"`
	Note     string    `json:"note,omitempty"`
	Archived bool      `json:"archived,omitempty"` // set only by the archive command
	Created  time.Time `json:"createdAt" kit:"created"`
	Updated  time.Time `json:"updatedAt" kit:"updated"`
}

func (Widget) EntityKind() string { return "WIDGET" }
func (w Widget) EntityID() string { return w.ID }

// CreateWidget sets the immutable Code, and takes Count by pointer as
// CreateReview takes its rating; Colour, which has a default, must be a
// pointer to tell absent from "".
type CreateWidget struct {
	Name   string  `json:"name" validate:"required"`
	Colour *string `json:"colour"`
	Code   string  `json:"code"`
	Count  *int    `json:"count"`
	Note   string  `json:"note"`
}

// UpdateWidget lists its fields in an order unlike Widget's, so the
// "is required" reason shows whose order it follows.
type UpdateWidget struct {
	Note   *string `json:"note"`
	Count  *int    `json:"count"`
	Name   *string `json:"name"`
	Colour *string `json:"colour"`
}

// Gadget is a child of Widget.
type Gadget struct {
	ID       string    `json:"id" kit:"id"`
	WidgetID string    `json:"widgetId" kit:"parent"`
	Size     int       `json:"size"`
	Owner    string    `json:"owner,omitempty" kit:"caller"`
	Created  time.Time `json:"createdAt" kit:"created"`
}

func (Gadget) EntityKind() string { return "GADGET" }
func (g Gadget) EntityID() string { return g.ID }
func (Gadget) ParentKind() string { return "WIDGET" }

type CreateGadget struct {
	Size *int `json:"size" validate:"required"`
}

type UpdateGadget struct {
	Size *int `json:"size"`
}

// serveWidgets serves widgets at root and their gadgets under it.
func serveWidgets(root string) golden.Register {
	return func(s *resource.Service) error {
		return errors.Join(
			resource.Serve[Widget, CreateWidget, UpdateWidget](s, root),
			resource.Serve[Gadget, CreateGadget, UpdateGadget](s, root+"/{id}/gadgets"),
		)
	}
}

func call(method, path, body string) events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{HTTPMethod: method, Path: path, Body: body}
}

func withQuery(ev events.APIGatewayProxyRequest, q map[string]string) events.APIGatewayProxyRequest {
	ev.QueryStringParameters = q
	return ev
}

// want invokes ev and fails unless it answers status.
func want(t *testing.T, svc *golden.Service, ev events.APIGatewayProxyRequest, status int) events.APIGatewayProxyResponse {
	t.Helper()
	resp := svc.Invoke(t, ev)
	if resp.StatusCode != status {
		t.Fatalf("%s %s %s: %d %s, want %d", ev.HTTPMethod, ev.Path, ev.Body, resp.StatusCode, resp.Body, status)
	}
	return resp
}

// object decodes a JSON object body keeping every member, so a test can
// tell an absent member from a zero one.
func object(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	return m
}

func fieldErrors(t *testing.T, resp events.APIGatewayProxyResponse) []kit.FieldError {
	t.Helper()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d %s, want 400", resp.StatusCode, resp.Body)
	}
	var p problem.Problem
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
		t.Fatalf("problem %q: %v", resp.Body, err)
	}
	return p.Errors
}

// id of the n-th id the golden service hands out.
func id(n int) string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n) }

// --- registration errors ----------------------------------------------------

type noID struct {
	Key string `json:"key"`
}

func (noID) EntityKind() string { return "NOID" }
func (n noID) EntityID() string { return n.Key }

type intID struct {
	ID int `json:"id" kit:"id"`
}

func (intID) EntityKind() string { return "INTID" }
func (i intID) EntityID() string { return fmt.Sprint(i.ID) }

type unknownTag struct {
	ID   string `json:"id" kit:"id"`
	Name string `json:"name" kit:"readonly"`
}

func (unknownTag) EntityKind() string { return "UNKNOWNTAG" }
func (u unknownTag) EntityID() string { return u.ID }

type createdString struct {
	ID      string `json:"id" kit:"id"`
	Created string `json:"created" kit:"created"`
}

func (createdString) EntityKind() string { return "CREATEDSTRING" }
func (c createdString) EntityID() string { return c.ID }

type badIntDefault struct {
	ID    string `json:"id" kit:"id"`
	Count int    `json:"count" default:"many"`
}

func (badIntDefault) EntityKind() string { return "BADINTDEFAULT" }
func (b badIntDefault) EntityID() string { return b.ID }

type badBoolDefault struct {
	ID string `json:"id" kit:"id"`
	On bool   `json:"on" default:"yes please"`
}

func (badBoolDefault) EntityKind() string { return "BADBOOLDEFAULT" }
func (b badBoolDefault) EntityID() string { return b.ID }

type timeDefault struct {
	ID   string    `json:"id" kit:"id"`
	When time.Time `json:"when" default:"2020-01-01T00:00:00Z"`
}

func (timeDefault) EntityKind() string { return "TIMEDEFAULT" }
func (d timeDefault) EntityID() string { return d.ID }

// stringKind is an entity that is not a struct.
type stringKind string

func (stringKind) EntityKind() string { return "STRINGKIND" }
func (s stringKind) EntityID() string { return string(s) }

// orphan is a child whose parent kind nobody serves.
type orphan struct {
	ID     string `json:"id" kit:"id"`
	Parent string `json:"parentId" kit:"parent"`
}

func (orphan) EntityKind() string { return "ORPHAN" }
func (o orphan) EntityID() string { return o.ID }
func (orphan) ParentKind() string { return "NOBODY" }

type (
	empty         struct{}
	createUnknown struct {
		Name   string `json:"name"`
		Weight int    `json:"weight"`
	}
	createID struct {
		ID string `json:"id"`
	}
	createCreated struct {
		Created time.Time `json:"createdAt"`
	}
	createUpdated struct {
		Updated time.Time `json:"updatedAt"`
	}
	createCountStr struct {
		Count string `json:"count"`
	}
	createCountPtr struct {
		Count *string `json:"count"`
	}
	createColourValue struct {
		Colour string `json:"colour"`
	}
	createByPointer struct {
		*ArticleText
	}
	articleText struct {
		Body *string `json:"body"`
	}
	createUnexported struct {
		articleText
	}
	createDeepPointer struct {
		ArticlePatchByPointer
	}
	ArticlePatchByPointer struct {
		*ArticleTitle
	}
	createTwice struct {
		ArticleText
		Body *string `json:"body"`
	}
	createCaller struct {
		Owner string `json:"owner"`
	}
	createParent struct {
		WidgetID string `json:"widgetId"`
	}
	updateValue struct {
		Name string `json:"name"`
	}
	updateWrongPtr struct {
		Count *string `json:"count"`
	}
	updateCode struct {
		Code *string `json:"code"`
	}
	updateID struct {
		ID *string `json:"id"`
	}
	updateCreated struct {
		Created *time.Time `json:"createdAt"`
	}
	updateUnknown struct {
		Weight *int `json:"weight"`
	}
)

// TestServeRejectsDeclarations checks that every declaration that cannot
// work is refused by Serve with an error at registration, not a panic and
// not a surprise on the first request, and that a refused Serve adds no
// route.
func TestServeRejectsDeclarations(t *testing.T) {
	for _, tc := range []struct {
		name string
		// before runs first on the same service and must succeed.
		before func(*resource.Service) error
		serve  func(*resource.Service, string) error
		// path is where serve serves; "/widgets" unless given.
		path string
		// errHas is a piece of the error that names the actual reason, so a
		// case cannot pass on some other, unrelated error.
		errHas string
	}{
		{name: "entity without kit id",
			serve:  resource.Serve[noID, empty, empty],
			errHas: `no field tagged kit:"id"`},
		{name: "kit id on an int",
			serve:  resource.Serve[intID, empty, empty],
			errHas: `a kit:"id" field must be a string`},
		{name: "entity not a struct",
			serve:  resource.Serve[stringKind, empty, empty],
			errHas: "is not a struct"},
		{name: "unknown kit tag",
			serve:  resource.Serve[unknownTag, empty, empty],
			errHas: `unknown kit tag "readonly"`},
		{name: "kit created on a string",
			serve:  resource.Serve[createdString, empty, empty],
			errHas: `a kit:"created" field must be a time.Time`},
		{name: "int default that does not parse",
			serve:  resource.Serve[badIntDefault, empty, empty],
			errHas: `default "many"`},
		{name: "bool default that does not parse",
			serve:  resource.Serve[badBoolDefault, empty, empty],
			errHas: `default "yes please"`},
		{name: "default on a type defaults do not support",
			serve:  resource.Serve[timeDefault, empty, empty],
			errHas: "defaults are for strings, numbers and booleans"},
		{name: "create field matching no entity field",
			serve:  resource.Serve[Widget, createUnknown, UpdateWidget],
			errHas: "weight matches no field"},
		{name: "create sets the id",
			serve:  resource.Serve[Widget, createID, UpdateWidget],
			errHas: "the server sets"},
		{name: "create sets the created time",
			serve:  resource.Serve[Widget, createCreated, UpdateWidget],
			errHas: "the server sets"},
		{name: "create sets the updated time",
			serve:  resource.Serve[Widget, createUpdated, UpdateWidget],
			errHas: "the server sets"},
		{name: "create sets the caller",
			before: widgetsOnly,
			serve:  resource.Serve[Gadget, createCaller, UpdateGadget], path: "/widgets/{id}/gadgets",
			errHas: "the server sets"},
		{name: "create sets the parent",
			before: widgetsOnly,
			serve:  resource.Serve[Gadget, createParent, UpdateGadget], path: "/widgets/{id}/gadgets",
			errHas: "the server sets"},
		{name: "create field of another type",
			serve:  resource.Serve[Widget, createCountStr, UpdateWidget],
			errHas: "createCountStr.count is a string"},
		{name: "create pointer to another type",
			serve:  resource.Serve[Widget, createCountPtr, UpdateWidget],
			errHas: "createCountPtr.count is a *string"},
		{name: "create field with a default, by value",
			serve:  resource.Serve[Widget, createColourValue, UpdateWidget],
			errHas: "createColourValue.colour must be a *string: resource_test.Widget.colour has a default"},
		{name: "create input with Validate on a pointer receiver",
			serve: resource.Serve[Span, createSpanByPointer, UpdateSpan], path: "/spans",
			errHas: "createSpanByPointer has Validate on a pointer receiver"},
		{name: "create input embedding a pointer",
			serve: resource.Serve[Article, createByPointer, UpdateArticle], path: "/articles",
			errHas: "createByPointer embeds *resource_test.ArticleText: embed the struct itself"},
		{name: "create input embedding a pointer a level down",
			serve: resource.Serve[Article, createDeepPointer, UpdateArticle], path: "/articles",
			errHas: "ArticlePatchByPointer embeds *resource_test.ArticleTitle"},
		{name: "create input embedding an unexported type",
			serve: resource.Serve[Article, createUnexported, UpdateArticle], path: "/articles",
			errHas: "createUnexported embeds resource_test.articleText: embed an exported type"},
		{name: "create input naming a field twice",
			serve: resource.Serve[Article, createTwice, UpdateArticle], path: "/articles",
			errHas: `createTwice has two fields named "body"`},
		{name: "update input embedding a pointer",
			serve: resource.Serve[Article, CreateArticle, ArticlePatchByPointer], path: "/articles",
			errHas: "ArticlePatchByPointer embeds *resource_test.ArticleTitle"},
		{name: "update field not a pointer",
			serve:  resource.Serve[Widget, CreateWidget, updateValue],
			errHas: "updateValue.name must be a *string"},
		{name: "update pointer to another type",
			serve:  resource.Serve[Widget, CreateWidget, updateWrongPtr],
			errHas: "updateWrongPtr.count must be a *int"},
		{name: "update names an immutable field",
			serve:  resource.Serve[Widget, CreateWidget, updateCode],
			errHas: "is immutable"},
		{name: "update sets the id",
			serve:  resource.Serve[Widget, CreateWidget, updateID],
			errHas: "the server sets"},
		{name: "update sets the created time",
			serve:  resource.Serve[Widget, CreateWidget, updateCreated],
			errHas: "the server sets"},
		{name: "update field matching no entity field",
			serve:  resource.Serve[Widget, CreateWidget, updateUnknown],
			errHas: "weight matches no field"},
		{name: "child before its parent",
			serve: resource.Serve[Gadget, CreateGadget, UpdateGadget], path: "/widgets/{id}/gadgets",
			errHas: "serve WIDGET before its child GADGET"},
		{name: "child whose parent kind is never served",
			before: widgetsOnly,
			serve:  resource.Serve[orphan, empty, empty], path: "/widgets/{id}/orphans",
			errHas: "serve NOBODY before its child ORPHAN"},
		{name: "child path without a parent segment",
			before: widgetsOnly,
			serve:  resource.Serve[Gadget, CreateGadget, UpdateGadget], path: "/gadgets",
			errHas: "needs the parent's item path"},
		{name: "child path whose parent segment is no parameter",
			before: widgetsOnly,
			serve:  resource.Serve[Gadget, CreateGadget, UpdateGadget], path: "/widgets/gadgets",
			errHas: "must end in /{parentId}/name"},
		{name: "child path ending in the parameter",
			before: widgetsOnly,
			serve:  resource.Serve[Gadget, CreateGadget, UpdateGadget], path: "/widgets/{id}",
			errHas: "ending in a name"},
		{name: "child path ending in a slash",
			before: widgetsOnly,
			serve:  resource.Serve[Gadget, CreateGadget, UpdateGadget], path: "/widgets/{id}/",
			errHas: "ending in a name"},
		{name: "root path ending in a slash",
			serve: resource.Serve[Widget, CreateWidget, UpdateWidget], path: "/widgets/",
			errHas: "ending in a name"},
		{name: "path without a leading slash",
			serve: resource.Serve[Widget, CreateWidget, UpdateWidget], path: "widgets",
			errHas: "ending in a name"},
		{name: "empty parameter name",
			before: widgetsOnly,
			serve:  resource.Serve[Gadget, CreateGadget, UpdateGadget], path: "/widgets/{}/gadgets",
			errHas: "ending in a name"},
		{name: "create input not a struct",
			serve:  resource.Serve[Widget, *CreateWidget, UpdateWidget],
			errHas: "is not a struct"},
		{name: "update input not a struct",
			serve:  resource.Serve[Widget, CreateWidget, map[string]any],
			errHas: "is not a struct"},
		{name: "child path with a segment after the name",
			before: widgetsOnly,
			serve:  resource.Serve[Gadget, CreateGadget, UpdateGadget], path: "/widgets/{id}/gadgets/all",
			errHas: "must end in /{parentId}/name"},
		{name: "same kind twice at the same path",
			before: widgetsOnly,
			serve:  resource.Serve[Widget, CreateWidget, UpdateWidget],
			errHas: "WIDGET is served already"},
		{name: "same kind twice at another path with other inputs",
			before: widgetsOnly,
			serve:  resource.Serve[Widget, empty, empty], path: "/other-widgets",
			errHas: "WIDGET is served already"},
		{name: "same child kind twice",
			before: serveWidgets("/widgets"),
			serve:  resource.Serve[Gadget, CreateGadget, UpdateGadget], path: "/widgets/{id}/more-gadgets",
			errHas: "GADGET is served already"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newService()
			if tc.before != nil {
				if err := tc.before(s); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			routes := s.Router.Routes()
			path := tc.path
			if path == "" {
				path = "/widgets"
			}
			err := noPanic(t, func() error { return tc.serve(s, path) })
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("Serve = %v, want an error containing %q", err, tc.errHas)
			}
			if got := s.Router.Routes(); !slices.Equal(got, routes) {
				t.Errorf("a refused Serve changed the routes from %v to %v", routes, got)
			}
		})
	}
}

// newService is a service for registration only: nothing in it is called
// until a request arrives, so it needs no store, clock or ids.
func newService() *resource.Service {
	return resource.NewService(command.NewBus(), apigw.NewRouter(zap.NewNop()), nil, nil, nil)
}

func widgetsOnly(s *resource.Service) error {
	return resource.Serve[Widget, CreateWidget, UpdateWidget](s, "/widgets")
}

// noPanic runs f, failing t if it panics: Serve's contract is an error.
func noPanic(t *testing.T, f func() error) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("panicked instead of returning an error: %v", p)
		}
	}()
	return f()
}

// TestServeAcceptsValidDeclaration is the control for the table above: the
// same harness passes a declaration that can work, registers the five
// operations (and GetWith for a child) on the bus, and the ten routes.
func TestServeAcceptsValidDeclaration(t *testing.T) {
	s := newService()
	if err := noPanic(t, func() error { return serveWidgets("/widgets")(s) }); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for name, has := range map[string]bool{
		"Create[Widget]":  command.Has[resource.Create[Widget, CreateWidget]](s.Bus),
		"Get[Widget]":     command.Has[resource.Get[Widget]](s.Bus),
		"Update[Widget]":  command.Has[resource.Update[Widget, UpdateWidget]](s.Bus),
		"Delete[Widget]":  command.Has[resource.Delete[Widget]](s.Bus),
		"List[Widget]":    command.Has[resource.List[Widget]](s.Bus),
		"Create[Gadget]":  command.Has[resource.Create[Gadget, CreateGadget]](s.Bus),
		"List[Gadget]":    command.Has[resource.List[Gadget]](s.Bus),
		"GetWith[Gadget]": command.Has[resource.GetWith[Gadget]](s.Bus),
	} {
		if !has {
			t.Errorf("command.Has[%s] = false after Serve", name)
		}
	}
	// Widgets have no child kind registered as such, and other input types
	// make other commands.
	if command.Has[resource.GetWith[Widget]](s.Bus) || command.Has[resource.Create[Widget, UpdateWidget]](s.Bus) {
		t.Error("command.Has reports a command nobody registered")
	}
	want := []string{
		"DELETE /widgets/{id}", "DELETE /widgets/{id}/gadgets/{gadgetId}",
		"GET /widgets", "GET /widgets/{id}", "GET /widgets/{id}/gadgets", "GET /widgets/{id}/gadgets/{gadgetId}",
		"POST /widgets", "POST /widgets/{id}/gadgets",
		"PUT /widgets/{id}", "PUT /widgets/{id}/gadgets/{gadgetId}",
	}
	if got := s.Router.Routes(); !slices.Equal(got, want) {
		t.Errorf("routes = %v\nwant %v", got, want)
	}
}

// --- behaviour ---------------------------------------------------------------

// Ticket has defaults of every kind a default may have, one of them on a
// field no create input can send.
type Ticket struct {
	ID     string `json:"id" kit:"id"`
	Total  int    `json:"total" default:"5"`
	Urgent bool   `json:"urgent" default:"true"`
	Queue  string `json:"queue" default:"triage"`
}

func (Ticket) EntityKind() string { return "TICKET" }
func (t Ticket) EntityID() string { return t.ID }

type CreateTicket struct {
	Total  *int  `json:"total"`
	Urgent *bool `json:"urgent"`
}

type UpdateTicket struct {
	Total *int `json:"total"`
}

// TestCreateDefaults checks that a default fills a field the create leaves
// out (absent or null), and only then: a zero the client sends is kept.
func TestCreateDefaults(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		colour     any
	}{
		{"absent", `{"name":"w"}`, "grey"},
		{"null", `{"name":"w","colour":null}`, "grey"},
		{"empty", `{"name":"w","colour":""}`, ""},
		{"given", `{"name":"w","colour":"red"}`, "red"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := golden.Memory(t, serveWidgets("/widgets"))
			created := want(t, svc, call("POST", "/widgets", tc.body), http.StatusCreated)
			if got := object(t, created.Body)["colour"]; got != tc.colour {
				t.Errorf("create answered colour %v, want %q", got, tc.colour)
			}
			// The default is stored, not only shown.
			got := want(t, svc, call("GET", "/widgets/"+id(1), ""), http.StatusOK)
			if c := object(t, got.Body)["colour"]; c != tc.colour {
				t.Errorf("stored colour %v, want %q", c, tc.colour)
			}
		})
	}
	for _, tc := range []struct {
		body string
		want map[string]any
	}{
		{`{}`, map[string]any{"total": 5.0, "urgent": true, "queue": "triage"}},
		{`{"total":null,"urgent":null}`, map[string]any{"total": 5.0, "urgent": true, "queue": "triage"}},
		{`{"total":0,"urgent":false}`, map[string]any{"total": 0.0, "urgent": false, "queue": "triage"}},
		{`{"total":2}`, map[string]any{"total": 2.0, "urgent": true, "queue": "triage"}},
	} {
		t.Run(tc.body, func(t *testing.T) {
			svc := golden.Memory(t, func(s *resource.Service) error {
				return resource.Serve[Ticket, CreateTicket, UpdateTicket](s, "/tickets")
			})
			created := object(t, want(t, svc, call("POST", "/tickets", tc.body), http.StatusCreated).Body)
			stored := object(t, want(t, svc, call("GET", "/tickets/"+id(1), ""), http.StatusOK).Body)
			for name, v := range tc.want {
				if created[name] != v || stored[name] != v {
					t.Errorf("%s: created %v, stored %v, want %v", name, created[name], stored[name], v)
				}
			}
		})
	}
}

// Span has a rule across fields, which its inputs' Validate methods check.
type Span struct {
	ID  string `json:"id" kit:"id"`
	Min int    `json:"min"`
	Max int    `json:"max"`
}

func (Span) EntityKind() string { return "SPAN" }
func (s Span) EntityID() string { return s.ID }

type CreateSpan struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Validate requires min ≤ max.
func (c CreateSpan) Validate() error { return spanRule(&c.Min, &c.Max) }

type UpdateSpan struct {
	Min *int `json:"min"`
	Max *int `json:"max"`
}

// Validate requires min ≤ max when both are given.
func (u UpdateSpan) Validate() error { return spanRule(u.Min, u.Max) }

func spanRule(lo, hi *int) error {
	if lo != nil && hi != nil && *lo > *hi {
		return &kit.ValidationError{Fields: []kit.FieldError{{Field: "max", Reason: "must be at least min"}}}
	}
	return nil
}

// createSpanByPointer declares Validate where the bus, holding inputs by
// value, would never find it.
type createSpanByPointer struct {
	Min int `json:"min"`
}

func (c *createSpanByPointer) Validate() error { return nil }

// TestInputValidate: an input's own Validate runs on create as on update,
// and a failing one is a 400 that writes nothing.
func TestInputValidate(t *testing.T) {
	svc := golden.Memory(t, func(s *resource.Service) error {
		return resource.Serve[Span, CreateSpan, UpdateSpan](s, "/spans")
	})
	want(t, svc, call("POST", "/spans", `{"min":1,"max":2}`), http.StatusCreated)
	for _, ev := range []events.APIGatewayProxyRequest{
		call("POST", "/spans", `{"min":9,"max":2}`),
		call("PUT", "/spans/"+id(1), `{"min":9,"max":2}`),
	} {
		t.Run(ev.HTTPMethod, func(t *testing.T) {
			before := svc.Snapshot()
			got := fieldErrors(t, svc.Invoke(t, ev))
			if want := []kit.FieldError{{Field: "max", Reason: "must be at least min"}}; !reflect.DeepEqual(got, want) {
				t.Errorf("errors %+v, want %+v", got, want)
			}
			if after := svc.Snapshot(); !slices.Equal(before, after) {
				t.Errorf("a refused %s changed the store", ev.HTTPMethod)
			}
		})
	}
}

// Article's inputs share fields through embedded structs, by value and
// without a JSON name: their fields are the inputs' own.
type Article struct {
	ID    string `json:"id" kit:"id"`
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
	Stars int    `json:"stars"`
}

func (Article) EntityKind() string { return "ARTICLE" }
func (a Article) EntityID() string { return a.ID }

// ArticleText is shared by both inputs.
type ArticleText struct {
	Body *string `json:"body" validate:"omitnil,max=10"`
}

// ArticleTitle embeds a level deeper.
type ArticleTitle struct {
	Title *string `json:"title" validate:"omitnil,notblank"`
}

type CreateArticle struct {
	ArticleText
	Title string `json:"title" validate:"required"`
}

type UpdateArticle struct {
	ArticlePatch
	Stars *int `json:"stars"`
}

type ArticlePatch struct {
	ArticleTitle
	ArticleText
}

// TestEmbeddedInputs: fields an input takes from embedded structs are
// decoded strictly, validated, stored, patched, counted by the rule that an
// update sets something, and documented, like its own.
func TestEmbeddedInputs(t *testing.T) {
	register := func(s *resource.Service) error {
		return resource.Serve[Article, CreateArticle, UpdateArticle](s, "/articles")
	}
	svc := golden.Memory(t, register)
	created := object(t, want(t, svc, call("POST", "/articles", `{"title":"T","body":"short"}`), http.StatusCreated).Body)
	if created["title"] != "T" || created["body"] != "short" {
		t.Errorf("created %v, want title T and body short", created)
	}
	path := "/articles/" + id(1)
	for _, tc := range []struct {
		body  string
		field kit.FieldError
	}{
		{`{"title":"T","body":"far too long"}`, kit.FieldError{Field: "body", Reason: "must be at most 10 characters"}},
		{`{"title":"T","Body":"x"}`, kit.FieldError{Field: "Body", Reason: "is not allowed"}},
		{`{"title":"T","ArticleText":{"body":"x"}}`, kit.FieldError{Field: "ArticleText", Reason: "is not allowed"}},
	} {
		t.Run("POST "+tc.body, func(t *testing.T) {
			if got := fieldErrors(t, svc.Invoke(t, call("POST", "/articles", tc.body))); !reflect.DeepEqual(got, []kit.FieldError{tc.field}) {
				t.Errorf("errors %+v, want %+v", got, tc.field)
			}
		})
	}
	for _, tc := range []struct {
		body  string
		field kit.FieldError
	}{
		{`{}`, kit.FieldError{Field: "title", Reason: "title, body or stars is required"}},
		{`{"title":" "}`, kit.FieldError{Field: "title", Reason: "must not be blank"}},
		{`{"body":"far too long"}`, kit.FieldError{Field: "body", Reason: "must be at most 10 characters"}},
	} {
		t.Run("PUT "+tc.body, func(t *testing.T) {
			if got := fieldErrors(t, svc.Invoke(t, call("PUT", path, tc.body))); !reflect.DeepEqual(got, []kit.FieldError{tc.field}) {
				t.Errorf("errors %+v, want %+v", got, tc.field)
			}
		})
	}
	// Each promoted field alone is an update, and "" clears the optional body.
	want(t, svc, call("PUT", path, `{"title":"U"}`), http.StatusOK)
	updated := object(t, want(t, svc, call("PUT", path, `{"body":""}`), http.StatusOK).Body)
	if _, hasBody := updated["body"]; updated["title"] != "U" || hasBody {
		t.Errorf("updated %v, want title U and no body", updated)
	}

	s := newService()
	if err := register(s); err != nil {
		t.Fatal(err)
	}
	doc, err := openapi.Document(openapi.Info{Title: "t", Version: "1"}, s.Operations(), s.Router.Routes())
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any
				Required   []string
			}
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	for name, props := range map[string][]string{"CreateArticle": {"body", "title"}, "UpdateArticle": {"body", "stars", "title"}} {
		got := slices.Sorted(maps.Keys(d.Components.Schemas[name].Properties))
		if !slices.Equal(got, props) {
			t.Errorf("%s documents %v, want %v", name, got, props)
		}
	}
}

// TestImmutableFieldSurvivesUpdates: create may set a kit:"immutable"
// field; no update can change it, and an update that tries is refused
// without touching the entity.
func TestImmutableFieldSurvivesUpdates(t *testing.T) {
	svc := golden.Memory(t, serveWidgets("/widgets"))
	want(t, svc, call("POST", "/widgets", `{"name":"w","code":"C-1"}`), http.StatusCreated)
	path := "/widgets/" + id(1)
	want(t, svc, call("PUT", path, `{"count":2}`), http.StatusOK)
	want(t, svc, call("PUT", path, `{"name":"renamed","colour":"blue"}`), http.StatusOK)
	before := svc.Snapshot()
	want(t, svc, call("PUT", path, `{"code":"C-2","count":3}`), http.StatusBadRequest)
	if after := svc.Snapshot(); !slices.Equal(before, after) {
		t.Errorf("a refused update changed the store:\n%v\n%v", before, after)
	}
	got := object(t, want(t, svc, call("GET", path, ""), http.StatusOK).Body)
	if got["code"] != "C-1" || got["count"] != 2.0 || got["name"] != "renamed" {
		t.Errorf("after updates: %v, want code C-1, count 2, name renamed", got)
	}
}

// TestUpdateEmptyString: "" removes an optional (omitempty) string, so the
// member leaves the view and the attribute leaves the store, while "" on a
// string without omitempty is stored and shown as "".
func TestUpdateEmptyString(t *testing.T) {
	svc := golden.Memory(t, serveWidgets("/widgets"))
	want(t, svc, call("POST", "/widgets", `{"name":"w","note":"hello"}`), http.StatusCreated)
	path := "/widgets/" + id(1)
	if got := object(t, want(t, svc, call("GET", path, ""), http.StatusOK).Body); got["note"] != "hello" {
		t.Fatalf("before: note %v, want hello", got["note"])
	}

	cleared := object(t, want(t, svc, call("PUT", path, `{"note":""}`), http.StatusOK).Body)
	if v, ok := cleared["note"]; ok {
		t.Errorf(`PUT {"note":""} answered note %q, want the member gone`, v)
	}
	for _, item := range svc.Snapshot() {
		if strings.Contains(item, `"note"`) {
			t.Errorf("the note attribute is still stored: %s", item)
		}
	}

	blank := object(t, want(t, svc, call("PUT", path, `{"name":""}`), http.StatusOK).Body)
	if v, ok := blank["name"]; !ok || v != "" {
		t.Errorf(`PUT {"name":""} answered name %v (present %v), want ""`, v, ok)
	}
	if v, ok := object(t, want(t, svc, call("GET", path, ""), http.StatusOK).Body)["name"]; !ok || v != "" {
		t.Errorf(`after PUT {"name":""}, GET name %v (present %v), want ""`, v, ok)
	}
	// The view shows "" for a missing attribute too, so only the store
	// tells a stored "" from a removed attribute.
	if items := svc.Snapshot(); len(items) != 1 || !strings.Contains(items[0], `"name":""`) {
		t.Errorf(`after PUT {"name":""} the store holds %v, want name ""`, items)
	}
}

// TestCreatePointerInput: a pointer in the create input is copied as its
// value, and nil leaves the field at zero.
func TestCreatePointerInput(t *testing.T) {
	for _, tc := range []struct {
		body  string
		count float64
	}{
		{`{"name":"w","count":7}`, 7},
		{`{"name":"w","count":0}`, 0},
		{`{"name":"w"}`, 0},
	} {
		t.Run(tc.body, func(t *testing.T) {
			svc := golden.Memory(t, serveWidgets("/widgets"))
			want(t, svc, call("POST", "/widgets", tc.body), http.StatusCreated)
			if got := object(t, want(t, svc, call("GET", "/widgets/"+id(1), ""), http.StatusOK).Body)["count"]; got != tc.count {
				t.Errorf("count %v, want %v", got, tc.count)
			}
		})
	}
	// The same for a child, whose create input is all pointer.
	svc := golden.Memory(t, serveWidgets("/widgets"))
	want(t, svc, call("POST", "/widgets", `{"name":"w"}`), http.StatusCreated)
	g := object(t, want(t, svc, call("POST", "/widgets/"+id(1)+"/gadgets", `{"size":3}`), http.StatusCreated).Body)
	if g["size"] != 3.0 || g["widgetId"] != id(1) {
		t.Errorf("gadget %v, want size 3 under widget %s", g, id(1))
	}
}

// TestUpdateWithNoFields: an update that sets nothing is a 400 that names
// the update input's fields in the input's own order.
func TestUpdateWithNoFields(t *testing.T) {
	svc := golden.Memory(t, serveWidgets("/widgets"))
	want(t, svc, call("POST", "/widgets", `{"name":"w"}`), http.StatusCreated)
	want(t, svc, call("POST", "/widgets/"+id(1)+"/gadgets", `{"size":1}`), http.StatusCreated)
	for _, tc := range []struct {
		path, body string
		want       kit.FieldError
	}{
		{"/widgets/" + id(1), `{}`, kit.FieldError{Field: "note", Reason: "note, count, name or colour is required"}},
		// null is how JSON leaves a pointer nil, so it sets nothing either.
		{"/widgets/" + id(1), `{"note":null,"count":null}`, kit.FieldError{Field: "note", Reason: "note, count, name or colour is required"}},
		// One field: no "or".
		{"/widgets/" + id(1) + "/gadgets/" + id(2), `{}`, kit.FieldError{Field: "size", Reason: "size is required"}},
	} {
		t.Run(tc.path+" "+tc.body, func(t *testing.T) {
			before := svc.Snapshot()
			got := fieldErrors(t, svc.Invoke(t, call("PUT", tc.path, tc.body)))
			if !reflect.DeepEqual(got, []kit.FieldError{tc.want}) {
				t.Errorf("errors %+v, want %+v", got, tc.want)
			}
			if after := svc.Snapshot(); !slices.Equal(before, after) {
				t.Errorf("a refused update changed the store")
			}
		})
	}
}

// TestTimeFormat: every time shows in UTC with exactly three fractional
// digits, whole seconds and trailing zeros included, so clients can
// compare times as strings; and an update moves only the updated time.
func TestTimeFormat(t *testing.T) {
	plus2 := time.FixedZone("UTC+2", 2*60*60)
	for _, tc := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"whole second", time.Date(2027, 3, 4, 5, 6, 7, 0, time.UTC), "2027-03-04T05:06:07.000Z"},
		{"whole second in another zone", time.Date(2027, 3, 4, 5, 6, 7, 0, plus2), "2027-03-04T03:06:07.000Z"},
		{"trailing zero", time.Date(2027, 3, 4, 5, 6, 7, 120e6, time.UTC), "2027-03-04T05:06:07.120Z"},
		{"below a millisecond is dropped", time.Date(2027, 3, 4, 5, 6, 7, 5999999, time.UTC), "2027-03-04T05:06:07.005Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := golden.Memory(t, serveWidgets("/widgets"))
			svc.Clock.Set(tc.now)
			for _, body := range []string{
				want(t, svc, call("POST", "/widgets", `{"name":"w"}`), http.StatusCreated).Body,
				want(t, svc, call("GET", "/widgets/"+id(1), ""), http.StatusOK).Body,
				want(t, svc, call("GET", "/widgets", ""), http.StatusOK).Body,
			} {
				// Raw text, not decoded: the digits are the point.
				for _, member := range []string{"createdAt", "updatedAt"} {
					if m := fmt.Sprintf(`"%s":"%s"`, member, tc.want); !strings.Contains(body, m) {
						t.Errorf("body %s lacks %s", body, m)
					}
				}
			}
			later := tc.now.Add(90 * time.Minute)
			svc.Clock.Set(later)
			body := want(t, svc, call("PUT", "/widgets/"+id(1), `{"count":1}`), http.StatusOK).Body
			if m := `"createdAt":"` + tc.want + `"`; !strings.Contains(body, m) {
				t.Errorf("after update %s lacks %s", body, m)
			}
			if m := `"updatedAt":"` + later.UTC().Truncate(time.Millisecond).Format(resource.TimeFormat) + `"`; !strings.Contains(body, m) {
				t.Errorf("after update %s lacks %s", body, m)
			}
		})
	}
}

// TestBodyFollowsDeclaredOrder compares raw bodies: members come in the
// struct's order (not sorted, not the input's), omitempty members are left
// out, and a list's items are rendered the same way.
func TestBodyFollowsDeclaredOrder(t *testing.T) {
	svc := golden.Memory(t, serveWidgets("/widgets"))
	svc.Clock.Set(time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC))
	// The input's members are in another order than the struct's.
	resp := want(t, svc, call("POST", "/widgets", `{"count":4,"code":"K","name":"w","note":"n"}`), http.StatusCreated)
	const ts = "2027-01-02T03:04:05.000Z"
	entity := `{"id":"` + id(1) + `","name":"w","colour":"grey","code":"K","count":4,"note":"n","createdAt":"` + ts + `","updatedAt":"` + ts + `"}`
	if resp.Body != entity {
		t.Errorf("create body\n%s\nwant\n%s", resp.Body, entity)
	}
	if got := want(t, svc, call("GET", "/widgets/"+id(1), ""), http.StatusOK).Body; got != entity {
		t.Errorf("get body\n%s\nwant\n%s", got, entity)
	}
	if got, list := want(t, svc, call("GET", "/widgets", ""), http.StatusOK).Body, `{"widgets":[`+entity+`]}`; got != list {
		t.Errorf("list body\n%s\nwant\n%s", got, list)
	}
	child := want(t, svc, call("POST", "/widgets/"+id(1)+"/gadgets", `{"size":2}`), http.StatusCreated).Body
	if prefix := `{"id":"` + id(2) + `","widgetId":"` + id(1) + `","size":2,"createdAt":`; !strings.HasPrefix(child, prefix) {
		t.Errorf("gadget body %s, want the prefix %s", child, prefix)
	}
	with := want(t, svc, withQuery(call("GET", "/widgets/"+id(1), ""), map[string]string{"include": "gadgets"}), http.StatusOK).Body
	if prefix := strings.TrimSuffix(entity, "}") + `,"gadgets":[` + child + `]}`; with != prefix {
		t.Errorf("include body\n%s\nwant\n%s", with, prefix)
	}
}

// TestListMembers: the list's member is named after the path's last
// segment, not the kind, and nextToken appears only when a next page
// exists.
func TestListMembers(t *testing.T) {
	// Served at /gizmos, so a member named after the kind would show.
	svc := golden.Memory(t, serveWidgets("/gizmos"))
	page := func(path string, q map[string]string) map[string]any {
		return object(t, want(t, svc, withQuery(call("GET", path, ""), q), http.StatusOK).Body)
	}
	if got := page("/gizmos", nil); !reflect.DeepEqual(got, map[string]any{"gizmos": []any{}}) {
		t.Errorf("empty list %v, want an empty gizmos array and no token", got)
	}
	for range 3 {
		want(t, svc, call("POST", "/gizmos", `{"name":"w"}`), http.StatusCreated)
	}
	children := "/gizmos/" + id(1) + "/gadgets"
	for range 2 {
		want(t, svc, call("POST", children, `{"size":1}`), http.StatusCreated)
	}
	for _, tc := range []struct {
		path, member string
		size         string
		items, total int
		next         bool
	}{
		{"/gizmos", "gizmos", "2", 2, 3, true},
		{"/gizmos", "gizmos", "3", 3, 3, false}, // exactly a page: no next
		{"/gizmos", "gizmos", "4", 3, 3, false},
		{children, "gadgets", "1", 1, 2, true},
		{children, "gadgets", "2", 2, 2, false},
	} {
		t.Run(tc.path+"?pageSize="+tc.size, func(t *testing.T) {
			got := page(tc.path, map[string]string{"pageSize": tc.size})
			items, _ := got[tc.member].([]any)
			_, next := got["nextToken"]
			members := 1
			if tc.next {
				members = 2
			}
			if len(items) != tc.items || next != tc.next || len(got) != members {
				t.Errorf("got %v, want %d %s and nextToken %v, nothing else", got, tc.items, tc.member, tc.next)
			}
			if !next {
				return
			}
			// The token leads to the rest, which ends the listing.
			rest := page(tc.path, map[string]string{"pageSize": tc.size, "nextToken": got["nextToken"].(string)})
			restItems, _ := rest[tc.member].([]any)
			if _, more := rest["nextToken"]; len(items)+len(restItems) != tc.total || more {
				t.Errorf("the second page %v does not end the listing", rest)
			}
		})
	}
}

// TestInclude: ?include= names a child collection of this kind; anything
// else is a 400 that says what may be included.
func TestInclude(t *testing.T) {
	svc := golden.Memory(t, serveWidgets("/widgets"))
	want(t, svc, call("POST", "/widgets", `{"name":"w"}`), http.StatusCreated)
	want(t, svc, call("POST", "/widgets/"+id(1)+"/gadgets", `{"size":1}`), http.StatusCreated)
	for _, tc := range []struct {
		name, path, include string
		want                kit.FieldError
	}{
		{"on a kind with no children", "/widgets/" + id(1) + "/gadgets/" + id(2), "gadgets",
			kit.FieldError{Field: "include", Reason: "is not supported here"}},
		{"an unknown collection", "/widgets/" + id(1), "sprockets",
			kit.FieldError{Field: "include", Reason: "must be gadgets"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := svc.Invoke(t, withQuery(call("GET", tc.path, ""), map[string]string{"include": tc.include}))
			if got := fieldErrors(t, resp); !reflect.DeepEqual(got, []kit.FieldError{tc.want}) {
				t.Errorf("errors %+v, want %+v", got, tc.want)
			}
		})
	}
	// A repeated include is refused by BindQuery, before any read.
	resp := svc.Invoke(t, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/widgets/" + id(1),
		MultiValueQueryStringParameters: map[string][]string{"include": {"gadgets", "gadgets"}}})
	if got := fieldErrors(t, resp); len(got) != 1 || got[0].Reason != "must be given once" {
		t.Errorf("repeated include: %+v", got)
	}
}

// TestCallerStamped: the kit:"caller" field is the verified caller from
// the request context, and a client cannot send it.
func TestCallerStamped(t *testing.T) {
	svc := golden.Memory(t, serveWidgets("/widgets"))
	want(t, svc, call("POST", "/widgets", `{"name":"w"}`), http.StatusCreated)
	ev := call("POST", "/widgets/"+id(1)+"/gadgets", `{"size":1}`)
	ev.RequestContext.Identity.UserArn = "arn:aws:iam::123456789012:user/alice"
	if got := object(t, want(t, svc, ev, http.StatusCreated).Body)["owner"]; got != ev.RequestContext.Identity.UserArn {
		t.Errorf("owner %v, want the caller %s", got, ev.RequestContext.Identity.UserArn)
	}
	ev.Body = `{"size":1,"owner":"mallory"}`
	want(t, svc, ev, http.StatusBadRequest)
}

// countingStorage counts the calls that reach the store.
type countingStorage struct {
	kit.Storage
	calls atomic.Int32
}

func (c *countingStorage) Open(prototype kit.Entity, parent string) kit.Repository[kit.Entity] {
	c.calls.Add(1)
	return c.Storage.Open(prototype, parent)
}

func (c *countingStorage) GetWith(ctx context.Context, prototype kit.Entity, id string, child kit.Child, size int) (kit.Versioned[kit.Entity], kit.Page[kit.Entity], error) {
	c.calls.Add(1)
	return c.Storage.GetWith(ctx, prototype, id, child, size)
}

// TestMalformedIDsAreNotFound: an id that no id source could have made is
// 404 without a call to the store. A well-formed id that does not exist is
// the control: it is 404 too, but it does reach the store, which shows the
// counter sees calls.
func TestMalformedIDsAreNotFound(t *testing.T) {
	counter := &countingStorage{}
	svc := golden.Memory(t, func(s *resource.Service) error {
		counter.Storage = s.Storage
		s.Storage = counter
		return serveWidgets("/widgets")(s)
	})
	want(t, svc, call("POST", "/widgets", `{"name":"w"}`), http.StatusCreated)
	want(t, svc, call("POST", "/widgets/"+id(1)+"/gadgets", `{"size":1}`), http.StatusCreated)
	w, g := "/widgets/"+id(1), "/gadgets/"+id(2)
	for _, tc := range []struct {
		ev    events.APIGatewayProxyRequest
		store bool
	}{
		{call("GET", "/widgets/nope", ""), false},
		{call("GET", "/widgets/"+id(1)+"x", ""), false},
		// Upper-case hex: a UUID, but not one kit.IDs makes.
		{call("GET", "/widgets/00000000-0000-7000-8000-00000000000A", ""), false},
		{call("PUT", "/widgets/nope", `{"count":1}`), false},
		{call("DELETE", "/widgets/nope", ""), false},
		{withQuery(call("GET", "/widgets/nope", ""), map[string]string{"include": "gadgets"}), false},
		{call("GET", "/widgets/nope/gadgets", ""), false},
		{call("POST", "/widgets/nope/gadgets", `{"size":1}`), false},
		{call("GET", w+"/gadgets/nope", ""), false},
		{call("PUT", w+"/gadgets/nope", `{"size":2}`), false},
		{call("DELETE", w+"/gadgets/nope", ""), false},
		{call("GET", "/widgets/nope"+g, ""), false},
		// Controls: well formed, absent.
		{call("GET", "/widgets/"+id(99), ""), true},
		{withQuery(call("GET", "/widgets/"+id(99), ""), map[string]string{"include": "gadgets"}), true},
		{call("GET", "/widgets/"+id(99)+"/gadgets", ""), true},
		{call("GET", w+"/gadgets/"+id(99), ""), true},
	} {
		t.Run(tc.ev.HTTPMethod+" "+tc.ev.Path, func(t *testing.T) {
			before := counter.calls.Load()
			want(t, svc, tc.ev, http.StatusNotFound)
			if reached := counter.calls.Load() != before; reached != tc.store {
				t.Errorf("reached the store: %v, want %v", reached, tc.store)
			}
		})
	}
}

// --- escape hatches ------------------------------------------------------------

// ArchiveWidget is a service's own command beside the generic five.
type ArchiveWidget struct {
	ID string `json:"-" validate:"uuid"`
}

// TestOwnRouteAndCommand: a service adds its own command and route to the
// same bus and router as Serve, and both work on the same store.
func TestOwnRouteAndCommand(t *testing.T) {
	svc := golden.Memory(t, func(s *resource.Service) error {
		if err := serveWidgets("/widgets")(s); err != nil {
			return err
		}
		if err := command.Register(s.Bus, command.HandlerFunc[ArchiveWidget, kit.Versioned[Widget]](
			func(ctx context.Context, c ArchiveWidget) (kit.Versioned[Widget], error) {
				return kit.RepositoryOf[Widget](s.Storage, "").Update(ctx, c.ID,
					kit.Patch{Set: map[string]any{"archived": true}}, kit.AnyVersion)
			})); err != nil {
			return err
		}
		s.Router.Handle("POST /widgets/{id}/archive", func(ctx context.Context, r *apigw.Request) (apigw.Response, error) {
			if _, err := command.Dispatch[kit.Versioned[Widget]](ctx, s.Bus, ArchiveWidget{ID: r.PathValue("id")}); err != nil {
				return apigw.Response{}, err
			}
			return apigw.NoContent(), nil
		})
		return nil
	})
	want(t, svc, call("POST", "/widgets", `{"name":"w"}`), http.StatusCreated)
	path := "/widgets/" + id(1)
	if got := object(t, want(t, svc, call("GET", path, ""), http.StatusOK).Body); got["archived"] != nil {
		t.Fatalf("archived before archiving: %v", got)
	}
	want(t, svc, call("POST", path+"/archive", ""), http.StatusNoContent)
	got := want(t, svc, call("GET", path, ""), http.StatusOK)
	if object(t, got.Body)["archived"] != true || got.Headers["ETag"] != `"2"` {
		t.Errorf("after archive: %s ETag %s, want archived and version 2", got.Body, got.Headers["ETag"])
	}
	// The bus validates the service's own command as it does the kit's.
	want(t, svc, call("POST", "/widgets/nope/archive", ""), http.StatusBadRequest)
	// The generic operations still answer beside it.
	want(t, svc, call("PUT", path, `{"count":1}`), http.StatusOK)
	want(t, svc, call("DELETE", path, ""), http.StatusNoContent)
	want(t, svc, call("POST", path+"/archive", ""), http.StatusNotFound)
}

// TestOwnDeleteHandler: a handler for Delete[Widget] registered before
// Serve replaces the generic delete, and only it.
func TestOwnDeleteHandler(t *testing.T) {
	var calls []resource.Delete[Widget]
	svc := golden.Memory(t, func(s *resource.Service) error {
		if err := command.Register(s.Bus, command.HandlerFunc[resource.Delete[Widget], resource.Deleted](
			func(_ context.Context, c resource.Delete[Widget]) (resource.Deleted, error) {
				calls = append(calls, c)
				return resource.Deleted{}, kit.Errorf(kit.ErrConflict, "widgets are kept forever")
			})); err != nil {
			return err
		}
		return serveWidgets("/widgets")(s)
	})
	created := want(t, svc, call("POST", "/widgets", `{"name":"w"}`), http.StatusCreated)
	path := "/widgets/" + id(1)
	del := call("DELETE", path, "")
	del.Headers = map[string]string{"If-Match": created.Headers["ETag"]}
	resp := want(t, svc, del, http.StatusConflict)
	// The problem shows a kit.Error's detail, capitalised as a sentence.
	if !strings.Contains(resp.Body, `"detail":"Widgets are kept forever."`) {
		t.Errorf("409 body %s does not come from the own handler", resp.Body)
	}
	if want := []resource.Delete[Widget]{{ID: id(1), IfMatch: 1}}; !reflect.DeepEqual(calls, want) {
		t.Errorf("own handler saw %+v, want %+v", calls, want)
	}
	// The generic delete never ran: the widget is there.
	want(t, svc, call("GET", path, ""), http.StatusOK)
	// The other four stay generic.
	want(t, svc, call("PUT", path, `{"count":5}`), http.StatusOK)
	list := object(t, want(t, svc, call("GET", "/widgets", ""), http.StatusOK).Body)
	if items, _ := list["widgets"].([]any); len(items) != 1 || items[0].(map[string]any)["count"] != 5.0 {
		t.Errorf("list %v, want the one updated widget", list)
	}
	// Children keep their generic delete.
	want(t, svc, call("POST", path+"/gadgets", `{"size":1}`), http.StatusCreated)
	want(t, svc, call("DELETE", path+"/gadgets/"+id(2), ""), http.StatusNoContent)
	if len(calls) != 1 {
		t.Errorf("own handler called %d times, want once", len(calls))
	}
}
