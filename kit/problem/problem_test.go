package problem_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/problem"
)

func TestFromErrorStatus(t *testing.T) {
	fields := []kit.FieldError{{Field: "name", Reason: "is required"}, {Field: "size", Reason: "must be at least 1"}}
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
		wantType   string
		wantDetail string
		wantFields []kit.FieldError
	}{
		{"not found", kit.ErrNotFound, 404, "about:blank", "The resource does not exist.", nil},
		{"not found wrapped", fmt.Errorf("product %q: %w", "x", kit.ErrNotFound), 404, "about:blank", "The resource does not exist.", nil},
		{"conflict", kit.ErrConflict, 409, "about:blank", "Conflict.", nil},
		{"precondition failed", kit.ErrPreconditionFailed, 412, "about:blank", "The resource has changed since the version given in If-Match.", nil},
		{"invalid", kit.ErrInvalid, 400, "about:blank", "Invalid input.", nil},
		{"unprocessable", kit.ErrUnprocessable, 422, "about:blank", "Unprocessable.", nil},
		{"too large", kit.ErrTooLarge, 413, "about:blank", "Too large.", nil},
		{"unavailable", kit.ErrUnavailable, 503, "about:blank", "The service is temporarily unavailable. Retry later.", nil},
		{"validation", &kit.ValidationError{Fields: fields}, 400, problem.TypeValidation, "The request has invalid fields.", fields},
		{"validation wrapped", fmt.Errorf("create: %w", &kit.ValidationError{Fields: fields}), 400, problem.TypeValidation, "The request has invalid fields.", fields},
		{"unauthenticated", kit.ErrUnauthenticated, 401, "about:blank", "Unauthenticated.", nil},
		{"forbidden", kit.Errorf(kit.ErrForbidden, "only the review's author may change it"), 403, "about:blank", "Only the review's author may change it.", nil},
		{"conflict naming a field", &kit.Error{Kind: kit.ErrConflict, Detail: "another product has this sku", Fields: []kit.FieldError{{Field: "sku", Reason: "is taken"}}},
			409, "about:blank", "Another product has this sku.", []kit.FieldError{{Field: "sku", Reason: "is taken"}}},
		{"unknown", errors.New("boom"), 500, "about:blank", "The server could not handle the request.", nil},
		{"joined plain errors", errors.Join(errors.New("a"), errors.New("b")), 500, "about:blank", "The server could not handle the request.", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := problem.FromError(tc.err)
			if p.Status != tc.wantStatus || p.Type != tc.wantType || p.Detail != tc.wantDetail {
				t.Errorf("FromError = %+v, want status %d type %q detail %q", p, tc.wantStatus, tc.wantType, tc.wantDetail)
			}
			if !reflect.DeepEqual(p.Errors, tc.wantFields) {
				t.Errorf("Errors = %v, want %v", p.Errors, tc.wantFields)
			}
			wantTitle := http.StatusText(tc.wantStatus)
			if tc.wantType == problem.TypeValidation {
				wantTitle = "Validation failed"
			}
			if p.Title != wantTitle {
				t.Errorf("Title = %q, want %q", p.Title, wantTitle)
			}
		})
	}
}

func TestValidationProblemJSON(t *testing.T) {
	p := problem.FromError(&kit.ValidationError{Fields: []kit.FieldError{{Field: "name", Reason: "is required"}}})
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"/problems/validation-error","title":"Validation failed","status":400,` +
		`"detail":"The request has invalid fields.","errors":[{"field":"name","reason":"is required"}]}`
	if string(b) != want {
		t.Errorf("JSON = %s\nwant   %s", b, want)
	}
	// Problems without fields omit errors entirely.
	b, _ = json.Marshal(problem.FromError(kit.ErrNotFound))
	if strings.Contains(string(b), "errors") {
		t.Errorf("a not-found problem has errors: %s", b)
	}
}

// errSecretCause looks like an SDK error with infrastructure names in it.
var errSecretCause = errors.New("dynamodb: table secret-table-name ValidationException: 1 validation error detected")

func TestDetailsNeverShowCauses(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
	}{
		{"plain", fmt.Errorf("get: %w", errSecretCause), 500},
		{"unavailable", fmt.Errorf("%w: %w", kit.ErrUnavailable, errSecretCause), 503},
		{"unavailable outer", fmt.Errorf("query %w: %w", errSecretCause, kit.ErrUnavailable), 503},
		{"not found", fmt.Errorf("%w: %w", errSecretCause, kit.ErrNotFound), 404},
		{"conflict", fmt.Errorf("%w: %w", errSecretCause, kit.ErrConflict), 409},
		{"invalid", fmt.Errorf("%w: %w", errSecretCause, kit.ErrInvalid), 400},
		{"unprocessable", fmt.Errorf("%w: %w", errSecretCause, kit.ErrUnprocessable), 422},
		{"too large", fmt.Errorf("%w: %w", errSecretCause, kit.ErrTooLarge), 413},
		{"precondition", fmt.Errorf("%w: %w", errSecretCause, kit.ErrPreconditionFailed), 412},
		{"kit error with cause of another kind", fmt.Errorf("%w: %w", kit.Errorf(kit.ErrNotFound, "gone"), fmt.Errorf("%w: %w", errSecretCause, kit.ErrConflict)), 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := problem.FromError(tc.err)
			if p.Status != tc.wantStatus {
				t.Errorf("status = %d, want %d", p.Status, tc.wantStatus)
			}
			b, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"secret-table-name", "dynamodb", "ValidationException", "validation error detected"} {
				if strings.Contains(string(b), secret) {
					t.Errorf("problem %s shows %q", b, secret)
				}
			}
		})
	}
}

func TestKitErrorDetailsAreShown(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
		wantDetail string
	}{
		{"invalid", kit.Invalid("the body is not valid JSON"), 400, "The body is not valid JSON."},
		{"non-ASCII first letter", kit.Invalid("ürün %s", "x"), 400, "Ürün x."},
		{"invalid wrapped", fmt.Errorf("decode: %w", kit.Invalid("pageSize must be %d or less", 100)), 400, "PageSize must be 100 or less."},
		{"conflict", kit.Errorf(kit.ErrConflict, "product %s exists", "p1"), 409, "Product p1 exists."},
		{"unprocessable", kit.Errorf(kit.ErrUnprocessable, "the key was used for another request"), 422, "The key was used for another request."},
		{"too large", kit.Errorf(kit.ErrTooLarge, "the body is over %d bytes", 65536), 413, "The body is over 65536 bytes."},
		{"empty detail", kit.Errorf(kit.ErrConflict, ""), 409, "Conflict."},
		{"digit first", kit.Invalid("3 fields"), 400, "3 fields."},
		// Kinds with a fixed message keep it whatever the detail says.
		{"not found", kit.Errorf(kit.ErrNotFound, "table secret-table-name"), 404, "The resource does not exist."},
		{"unavailable", kit.Errorf(kit.ErrUnavailable, "table secret-table-name"), 503, "The service is temporarily unavailable. Retry later."},
		{"precondition", kit.Errorf(kit.ErrPreconditionFailed, "at v3"), 412, "The resource has changed since the version given in If-Match."},
		// A detail written for another kind is not shown under this one.
		{"kind mismatch", fmt.Errorf("%w: %w", kit.Errorf(kit.ErrConflict, "conflict detail"), kit.ErrInvalid), 400, "Invalid input."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := problem.FromError(tc.err)
			if p.Status != tc.wantStatus || p.Detail != tc.wantDetail {
				t.Errorf("FromError = %d %q, want %d %q", p.Status, p.Detail, tc.wantStatus, tc.wantDetail)
			}
		})
	}
}

func TestNew(t *testing.T) {
	p := problem.New(http.StatusMethodNotAllowed, "GET is not allowed here.")
	want := problem.Problem{Type: "about:blank", Title: "Method Not Allowed", Status: 405, Detail: "GET is not allowed here."}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("New = %+v, want %+v", p, want)
	}
	if problem.ContentType != "application/problem+json" {
		t.Errorf("ContentType = %q", problem.ContentType)
	}
}
