// Package problem renders errors as RFC 9457 problem details. It is the one
// place that decides which error is which HTTP status, and it never puts an
// error's text in a body unless the error was made for clients.
package problem

import (
	"errors"
	"net/http"
	"unicode"
	"unicode/utf8"

	"github.com/lambdakit/lambdakit/kit"
)

// ContentType is the media type of every problem body.
const ContentType = "application/problem+json"

// TypeValidation is the type of a problem that lists failing fields in Errors.
const TypeValidation = "/problems/validation-error"

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type   string           `json:"type"`
	Title  string           `json:"title"`
	Status int              `json:"status"`
	Detail string           `json:"detail,omitempty"`
	Errors []kit.FieldError `json:"errors,omitempty"`
}

// New returns a problem of type about:blank, titled by the status.
func New(status int, detail string) Problem {
	return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// FromError maps err to a problem by the kit error it wraps. Anything else
// is a 500 whose cause only the log may see.
func FromError(err error) Problem {
	var verr *kit.ValidationError
	switch {
	case errors.As(err, &verr):
		p := New(http.StatusBadRequest, "The request has invalid fields.")
		p.Type, p.Title, p.Errors = TypeValidation, "Validation failed", verr.Fields
		return p
	case errors.Is(err, kit.ErrInvalid):
		return New(http.StatusBadRequest, clientDetail(err, kit.ErrInvalid))
	case errors.Is(err, kit.ErrNotFound):
		return New(http.StatusNotFound, "The resource does not exist.")
	case errors.Is(err, kit.ErrPreconditionFailed):
		return New(http.StatusPreconditionFailed, "The resource has changed since the version given in If-Match.")
	case errors.Is(err, kit.ErrUnauthenticated):
		return withFields(New(http.StatusUnauthorized, clientDetail(err, kit.ErrUnauthenticated)), err)
	case errors.Is(err, kit.ErrForbidden):
		return withFields(New(http.StatusForbidden, clientDetail(err, kit.ErrForbidden)), err)
	case errors.Is(err, kit.ErrConflict):
		return withFields(New(http.StatusConflict, clientDetail(err, kit.ErrConflict)), err)
	case errors.Is(err, kit.ErrUnprocessable):
		return withFields(New(http.StatusUnprocessableEntity, clientDetail(err, kit.ErrUnprocessable)), err)
	case errors.Is(err, kit.ErrTooLarge):
		return New(http.StatusRequestEntityTooLarge, clientDetail(err, kit.ErrTooLarge))
	case errors.Is(err, kit.ErrUnavailable):
		return New(http.StatusServiceUnavailable, "The service is temporarily unavailable. Retry later.")
	}
	return New(http.StatusInternalServerError, "The server could not handle the request.")
}

// withFields adds the fields a client-facing *kit.Error names, if any.
func withFields(p Problem, err error) Problem {
	var ke *kit.Error
	if errors.As(err, &ke) && len(ke.Fields) > 0 {
		p.Errors = ke.Fields
	}
	return p
}

// clientDetail returns the detail of the outermost *kit.Error of that kind,
// or the kind's own text. Only kit.Error details are written for clients;
// wrapped causes such as SDK errors never show.
func clientDetail(err, kind error) string {
	var ke *kit.Error
	if errors.As(err, &ke) && errors.Is(ke.Kind, kind) && ke.Detail != "" {
		return upperFirst(ke.Detail) + "."
	}
	return upperFirst(kind.Error()) + "."
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
