package resource

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
)

// noInput stands for the inputs of a kind that is declared, not served:
// its plan renders it, and builds nothing.
var noInput = reflect.TypeFor[struct{}]()

// Declare declares T as a kind the service stores without serving it: a
// unit of work may write it, its events (Created, Updated, Deleted) are
// in the catalog and the AsyncAPI document, their payload the entity as
// the API would render it, and a custom operation (Handle) may answer with
// it. It has no routes. A T that is a kit.Child names a parent kind that is
// served or declared first; it lives in the parent's item collection and
// goes with the parent's delete. T takes the same tags as a served entity
// (a kit:"id" field is required), though nothing but the service's own
// code fills them.
func Declare[T kit.Entity](s *Service) error {
	var zero T
	kind := zero.EntityKind()
	p, err := newPlan(reflect.TypeFor[T](), noInput, noInput)
	if err != nil {
		return err
	}
	decl := event.Entity{Kind: kind, Type: reflect.TypeFor[T](), View: func(e kit.Entity) (json.RawMessage, error) {
		return p.view(reflect.ValueOf(e))
	}}
	if c, ok := any(zero).(kit.Child); ok {
		if _, ok := s.kinds[c.ParentKind()]; !ok {
			return fmt.Errorf("resource: serve or declare %s before its child %s", c.ParentKind(), kind)
		}
		decl.ParentKind = c.ParentKind()
	}
	if _, dup := s.kinds[kind]; dup {
		return fmt.Errorf("resource: %s is served or declared already", kind)
	}
	if err := s.Events.AddEntity(decl); err != nil {
		return fmt.Errorf("resource: %w", err)
	}
	s.kinds[kind] = zero
	return nil
}

// ErrNoCaller is what Caller answers for a request nobody signed: 401,
// with this detail. A custom operation that calls Caller lists it in its
// Op.Problems, so that the document of the API shows the 401.
var ErrNoCaller = kit.Errorf(kit.ErrUnauthenticated, "this operation needs a signed request: it acts for the caller")

// Caller returns the caller API Gateway verified for the request (its IAM
// ARN), or ErrNoCaller when there is none, as for an unsigned local
// request. It is for operations that act for someone: one vote per
// caller, only the owner may change it.
func Caller(ctx context.Context) (string, error) {
	if c := kit.RequestInfoFrom(ctx).Caller; c != "" {
		return c, nil
	}
	return "", ErrNoCaller
}
