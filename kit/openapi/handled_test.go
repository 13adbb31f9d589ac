package openapi_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

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

// Approve is a custom operation's input with every kind of parameter, the
// caller, and an optional body.
type Approve struct {
	ID      string      `path:"id"`
	Notify  bool        `query:"notify"`
	Level   int         `query:"level" default:"1" validate:"min=1,max=3"`
	IfMatch kit.Version `header:"If-Match"`
	Caller  string      `kit:"caller"`
	Reason  string      `json:"reason" validate:"max=100"`
}

// Release takes only the path, and answers 204.
type Release struct {
	ID string `path:"id"`
}

var errApproved = kit.Errorf(kit.ErrConflict, "the order is approved already")

func handledOrders(t *testing.T) *resource.Service {
	t.Helper()
	tokens, err := cursor.New([]byte("openapi-test-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	s := resource.NewService(command.NewBus(), apigw.NewRouter(zap.NewNop()), memory.NewStorage(tokens), kit.SystemClock{}, kit.UUIDv7{Clock: kit.SystemClock{}})
	if err := errors.Join(
		resource.Serve[order, createOrder, updateOrder](s, "/orders"),
		resource.Handle(s, "POST /orders/{id}/approve",
			resource.Op{Summary: "Approve an order", Description: "Marks it approved.", Status: http.StatusCreated, Problems: []error{errApproved}, OptionalBody: true},
			func(context.Context, Approve) (kit.Versioned[order], error) { return kit.Versioned[order]{}, nil }),
		resource.HandleNoContent(s, "DELETE /orders/{id}/hold", resource.Op{Summary: "Release an order's hold"},
			func(context.Context, Release) error { return nil }),
	); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDocumentHandledOperations: a custom operation registered with
// Handle is documented from what the kit knows of it: its parameters, its
// body and whether it is optional, the entity and ETag it answers with,
// Idempotency-Key on a POST, its own problems with their detail (beside
// the kit's own answer of the same status), and the kit's answers.
func TestDocumentHandledOperations(t *testing.T) {
	s := handledOrders(t)
	raw, err := openapi.Document(info, s.Operations(), s.Router.Routes())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("not valid OpenAPI: %v\n%s", err, raw)
	}
	approve := doc.Paths.Find("/orders/{id}/approve").Post
	release := doc.Paths.Find("/orders/{id}/hold").Delete
	for op, wantStatuses := range map[*openapi3.Operation][]int{
		approve: {201, 400, 401, 404, 409, 412, 413, 422, 500, 503},
		release: {204, 400, 404, 500, 503},
	} {
		var codes []int
		for code := range maps.Keys(op.Responses.Map()) {
			n, _ := strconv.Atoi(code)
			codes = append(codes, n)
		}
		slices.Sort(codes)
		if !slices.Equal(codes, wantStatuses) {
			t.Errorf("%s answers %v, want %v", op.OperationID, codes, wantStatuses)
		}
	}
	if approve.OperationID != "postOrdersApprove" || approve.Summary != "Approve an order" || !strings.HasPrefix(approve.Description, "Marks it approved.") {
		t.Errorf("approve: id %q, summary %q, description %q", approve.OperationID, approve.Summary, approve.Description)
	}
	for _, p := range []struct{ in, name, format string }{
		{"path", "id", "uuid"}, {"query", "notify", ""}, {"query", "level", "int64"}, {"header", "If-Match", ""}, {"header", "Idempotency-Key", ""},
	} {
		param := approve.Parameters.GetByInAndName(p.in, p.name)
		if param == nil || param.Schema.Value.Format != p.format {
			t.Errorf("approve's %s parameter %s: %+v, want format %q", p.in, p.name, param, p.format)
		}
	}
	if level := approve.Parameters.GetByInAndName("query", "level").Schema.Value; level.Default != 1.0 || *level.Max != 3 {
		t.Errorf("level: default %v, max %v; want 1 and 3", level.Default, level.Max)
	}
	if approve.Parameters.GetByInAndName("header", "X-Caller") != nil || approve.Parameters.GetByInAndName("query", "Caller") != nil {
		t.Error("the caller is documented as a parameter; it is API Gateway's")
	}
	body := approve.RequestBody.Value
	if body.Required || body.Content.Get("application/json").Schema.Value.Properties["reason"] == nil || len(body.Content.Get("application/json").Schema.Value.Properties) != 1 {
		t.Errorf("approve's body: required %v, schema %+v; want an optional body of reason alone", body.Required, body.Content.Get("application/json").Schema.Value)
	}
	created := approve.Responses.Status(201).Value
	if created.Headers["ETag"] == nil || created.Headers[apigw.HeaderReplayed] == nil ||
		created.Content.Get("application/json").Schema.Ref != "#/components/schemas/order" {
		t.Errorf("approve's 201: headers %v, body %v; want ETag, %s and the order", slices.Collect(maps.Keys(created.Headers)), created.Content, apigw.HeaderReplayed)
	}
	conflict := *approve.Responses.Status(409).Value.Description
	if !strings.Contains(conflict, `"The order is approved already."`) || !strings.Contains(conflict, "Idempotency-Key is still in progress") {
		t.Errorf("approve's 409: %q; want its own detail and the in-flight key's", conflict)
	}
	if d := *approve.Responses.Status(401).Value.Description; !strings.Contains(d, "needs a signed request") {
		t.Errorf("approve's 401: %q, want the detail ErrNoCaller gives", d)
	}
	if release.RequestBody != nil || release.Responses.Status(204).Value.Content != nil {
		t.Errorf("release: body %v, 204 %v; want neither", release.RequestBody, release.Responses.Status(204).Value.Content)
	}
	if d := *release.Responses.Status(400).Value.Description; !strings.Contains(d, "takes none") {
		t.Errorf("release's 400: %q, want it to say a body is refused", d)
	}
	// A tag with a revision, as a derived write leaves it, is a valid ETag.
	pattern := regexp.MustCompile(doc.Components.Headers["ETag"].Value.Schema.Value.Pattern)
	for tag, valid := range map[string]bool{`"3"`: true, `"3.2"`: true, `"3."`: false, `W/"3"`: false} {
		if pattern.MatchString(tag) != valid {
			t.Errorf("ETag pattern %s on %s: %v, want %v", pattern, tag, !valid, valid)
		}
	}
}
