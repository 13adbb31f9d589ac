package openapi_test

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/openapi"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// An order with lines, and a route the service serves itself: every kind
// of operation.
type (
	order struct {
		ID        string    `json:"id" kit:"id"`
		Status    string    `json:"status" default:"open"`
		Total     int       `json:"total"`
		Note      string    `json:"note,omitempty"`
		CreatedAt time.Time `json:"createdAt" kit:"created"`
		UpdatedAt time.Time `json:"updatedAt" kit:"updated"`
	}
	createOrder struct {
		Status *string `json:"status" validate:"omitnil,oneof=open paid"`
		Total  *int    `json:"total" validate:"required,min=0"`
		Note   string  `json:"note" validate:"max=500"`
	}
	updateOrder struct {
		Status *string `json:"status" validate:"omitnil,oneof=open paid"`
		Note   *string `json:"note" validate:"omitnil,max=500"`
	}
	line struct {
		ID       string    `json:"id" kit:"id"`
		OrderID  string    `json:"orderId" kit:"parent"`
		SKU      string    `json:"sku" kit:"immutable"`
		Quantity int       `json:"quantity"`
		Created  time.Time `json:"created" kit:"created"`
		Updated  time.Time `json:"updated" kit:"updated"`
	}
	createLine struct {
		SKU      string `json:"sku" validate:"required,notblank"`
		Quantity *int   `json:"quantity" validate:"required,gt=0"`
	}
	updateLine struct {
		Quantity *int `json:"quantity" validate:"omitnil,gt=0"`
	}
	payment struct {
		Card string `json:"card" validate:"required,len=16"`
	}
)

func (order) EntityKind() string                                   { return "ORDER" }
func (o order) EntityID() string                                   { return o.ID }
func (line) EntityKind() string                                    { return "LINE" }
func (l line) EntityID() string                                    { return l.ID }
func (line) ParentKind() string                                    { return "ORDER" }
func noop(context.Context, *apigw.Request) (apigw.Response, error) { return apigw.NoContent(), nil }

// orders serves orders and their lines, and two routes of its own.
func orders(t *testing.T) *resource.Service {
	t.Helper()
	tokens, err := cursor.New([]byte("openapi-test-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	s := resource.NewService(command.NewBus(), apigw.NewRouter(zap.NewNop()), memory.NewStorage(tokens), kit.SystemClock{}, kit.UUIDv7{Clock: kit.SystemClock{}})
	if err := resource.Serve[order, createOrder, updateOrder](s, "/orders"); err != nil {
		t.Fatal(err)
	}
	if err := resource.Serve[line, createLine, updateLine](s, "/orders/{id}/lines"); err != nil {
		t.Fatal(err)
	}
	s.Router.Handle("POST /orders/{id}/pay", noop)
	s.Describe(resource.Operation{
		Method: http.MethodPost, Path: "/orders/{id}/pay", Summary: "Pay an order",
		Entity: reflect.TypeFor[order](), Input: reflect.TypeFor[payment](), EntityKind: "ORDER",
		Statuses: []int{http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusConflict},
	})
	s.Router.Handle("GET /health", noop)
	s.Describe(resource.Operation{Method: http.MethodGet, Path: "/health", Summary: "Check health", Statuses: []int{http.StatusNoContent}})
	return s
}

var info = openapi.Info{Title: "Orders", Version: "1.0.0", Description: "Orders and their lines."}

func TestDocumentRoutesMustMatchOperations(t *testing.T) {
	s := orders(t)
	ops, routes := s.Operations(), s.Router.Routes()
	tests := []struct {
		name    string
		ops     []resource.Operation
		routes  []string
		wantErr []string // each must be in the error; none: no error
	}{
		{name: "same routes", ops: ops, routes: routes},
		{
			name: "a route no operation describes", ops: ops, routes: append(slices.Clone(routes), "PATCH /orders/{id}"),
			wantErr: []string{"route PATCH /orders/{id} is served but no operation describes it"},
		},
		{
			name: "an operation with no route", ops: ops, routes: slices.DeleteFunc(slices.Clone(routes), func(r string) bool { return r == "GET /health" }),
			wantErr: []string{"operation GET /health has no route"},
		},
		{
			// ops are in registration order, routes sorted: the first of
			// each is another route (POST /orders, DELETE /orders/{id}).
			name: "both, all named", ops: ops[1:], routes: append(slices.Clone(routes[1:]), "PUT /x"),
			wantErr: []string{"route " + ops[0].Method + " " + ops[0].Path + " is served", "operation " + routes[0] + " has no route", "route PUT /x is served"},
		},
		{
			name: "two operations of one route", ops: append(slices.Clone(ops), ops[0]), routes: routes,
			wantErr: []string{"two operations describe " + ops[0].Method + " " + ops[0].Path},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := openapi.Document(info, tt.ops, tt.routes)
			if len(tt.wantErr) == 0 {
				if err != nil || len(doc) == 0 {
					t.Fatalf("Document() = %d bytes, %v", len(doc), err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Document() succeeded; want an error naming %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

func TestDocumentIsValidOpenAPI(t *testing.T) {
	s := orders(t)
	raw, err := openapi.Document(info, s.Operations(), s.Router.Routes())
	if err != nil {
		t.Fatal(err)
	}
	again, err := openapi.Document(info, orders(t).Operations(), s.Router.Routes())
	if err != nil || !bytes.Equal(raw, again) {
		t.Errorf("a second Document() differs (%v): the output must be deterministic", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("not valid OpenAPI: %v\n%s", err, raw)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if got := doc.Security; len(got) != 1 || got[0]["sigv4"] == nil {
		t.Errorf("security = %v, want sigv4 on every operation", got)
	}
	if ss := doc.Components.SecuritySchemes["sigv4"]; ss == nil || ss.Value.Type != "apiKey" || ss.Value.In != "header" ||
		ss.Value.Name != "Authorization" || ss.Value.Extensions["x-amazon-apigateway-authtype"] != "awsSigv4" {
		t.Errorf("securitySchemes.sigv4 is not API Gateway's IAM (SigV4) authorizer: %+v", ss)
	}

	// Every operation, by id, with the statuses it must document.
	want := map[string][]int{
		"createOrder":   {201, 400, 409, 413, 422, 500, 503},
		"getOrder":      {200, 304, 400, 404, 500, 503},
		"updateOrder":   {200, 400, 404, 412, 413, 500, 503},
		"deleteOrder":   {204, 400, 404, 412, 500, 503},
		"listOrders":    {200, 400, 500, 503},
		"createLine":    {201, 400, 404, 409, 413, 422, 500, 503},
		"getLine":       {200, 304, 400, 404, 500, 503},
		"updateLine":    {200, 400, 404, 412, 413, 500, 503},
		"deleteLine":    {204, 400, 404, 412, 500, 503},
		"listLines":     {200, 400, 404, 500, 503},
		"postOrdersPay": {200, 400, 404, 409, 500},
		"getHealth":     {204, 500},
	}
	got := map[string]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			got[op.OperationID] = op
		}
	}
	if len(got) != len(want) {
		t.Errorf("operations %v, want %d", slices.Sorted(maps.Keys(got)), len(want))
	}
	for id, statuses := range want {
		op := got[id]
		if op == nil {
			t.Errorf("no operation %s", id)
			continue
		}
		var codes []int
		for code := range op.Responses.Map() {
			n, err := strconv.Atoi(code)
			if err != nil {
				t.Fatalf("%s: status %q", id, code)
			}
			codes = append(codes, n)
		}
		slices.Sort(codes)
		if !slices.Equal(codes, statuses) {
			t.Errorf("%s answers %v, want %v", id, codes, statuses)
		}
	}

	// The parent's GET offers its children, and says what it then adds.
	include := got["getOrder"].Parameters.GetByInAndName("query", "include")
	if include == nil || len(include.Schema.Value.Enum) != 1 || include.Schema.Value.Enum[0] != "lines" {
		t.Errorf("getOrder's include = %+v, want enum [lines]", include)
	}
	body := got["getOrder"].Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	for _, member := range []string{"lines", "linesNextToken"} {
		if body.Properties[member] == nil || slices.Contains(body.Required, member) {
			t.Errorf("getOrder's 200 body: want an optional %s", member)
		}
	}
	// A create's body has the entity's defaults; an update's accepts null.
	create := doc.Components.Schemas["createOrder"].Value
	if d := create.Properties["status"].Value.Default; d != "open" {
		t.Errorf("createOrder.status default = %v, want open", d)
	}
	if !doc.Components.Schemas["updateOrder"].Value.Properties["note"].Value.Nullable {
		t.Error("updateOrder.note is not nullable: null leaves it alone")
	}
	// A service's own route has the body and entity it described.
	pay := got["postOrdersPay"]
	if pay.Summary != "Pay an order" || pay.RequestBody.Value.Content.Get("application/json").Schema.Ref != "#/components/schemas/payment" ||
		pay.Responses.Status(200).Value.Content.Get("application/json").Schema.Ref != "#/components/schemas/order" {
		t.Errorf("postOrdersPay does not use its summary, input and entity")
	}
	if p := got["getLine"].Parameters.GetByInAndName("path", "lineId"); p == nil || p.Schema.Value.Format != "uuid" {
		t.Errorf("getLine's lineId = %+v: want a uuid, since other ids are 404", p)
	}
}
