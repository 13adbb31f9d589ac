package resource

import (
	"reflect"
	"slices"
)

// OpKind names what an operation does, and so what the kit answers for it:
// its statuses, headers and body.
type OpKind string

// The five generic operations, and an operation a service serves itself.
const (
	OpCreate OpKind = "create"
	OpGet    OpKind = "get"
	OpUpdate OpKind = "update"
	OpDelete OpKind = "delete"
	OpList   OpKind = "list"
	OpCustom OpKind = "custom"
	// OpHandle is a custom operation registered with Handle or
	// HandleNoContent: the kit knows its input, result and problems, and
	// documents it from them.
	OpHandle OpKind = "handle"
)

// Operation describes one route as the service registered it, for what
// documents the API (kit/openapi): everything a document needs is here or
// follows from the kind of operation.
type Operation struct {
	// Method and Path are the route's pattern, "GET" and "/products/{id}".
	Method, Path string
	// Kind is what the operation does.
	Kind OpKind
	// Entity is the entity type the operation answers with (a list
	// answers with a page of them).
	Entity reflect.Type
	// Input is the request body's type: the create or update input; nil
	// when there is no body.
	Input reflect.Type
	// EntityKind is the entity's kind, and ParentKind its parent's for a
	// kit.Child ("" otherwise).
	EntityKind, ParentKind string
	// Collection is the path's last segment, which names a listing's member
	// and a child collection's include.
	Collection string
	// Filters are the query parameters an OpList takes besides paging:
	// the fields of the entity's declared patterns and its unique fields.
	Filters []string
	// KindWide marks the listing of a child kind across every parent,
	// served at /{collection} for its declared patterns.
	KindWide bool
	// Summary describes an OpCustom operation; generic ones are described
	// by their kind.
	Summary string
	// Statuses are the success and error statuses of an OpCustom
	// operation, and the success status alone of an OpHandle one; generic
	// ones follow from their kind.
	Statuses []int

	// What the kit knows of an OpHandle operation from its input and its
	// Op; Input is then nil and Body holds the body's fields.

	// Description says more than Summary.
	Description string
	// Command is the input type the operation binds.
	Command reflect.Type
	// Params are the path, query and header parameters it binds, in the
	// order of the input's fields.
	Params []Param
	// Body is a struct of the input's body fields (json tags, validate
	// rules), or nil when it takes no body; BodyOptional when a client may
	// leave it out.
	Body         reflect.Type
	BodyOptional bool
	// Problems are the client-facing errors (*kit.Error) it answers with
	// of its own.
	Problems []error
}

// Param is one parameter an OpHandle operation's input binds.
type Param struct {
	// Name is the parameter's name: "reviewId", "pageSize", "If-Match".
	Name string
	// In is where it comes from: "path", "query" or "header".
	In string
	// Type is the input field's type, and Tag its tag (validate rules,
	// default).
	Type reflect.Type
	Tag  reflect.StructTag
	// ID marks a path parameter that is an id: one that is not a UUID is
	// 404.
	ID bool
}

// Operations returns every operation registered with Serve, Handle,
// HandleNoContent or Describe, in registration order.
func (s *Service) Operations() []Operation { return slices.Clone(s.ops) }

// Describe documents a route a service registered itself on s.Router, so
// that documents of the API cover it too. op.Kind is OpCustom.
func (s *Service) Describe(op Operation) {
	op.Kind = OpCustom
	s.ops = append(s.ops, op)
}
