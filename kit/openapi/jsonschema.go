package openapi

import (
	"bytes"
	"encoding/json"
	"reflect"
)

// JSONSchema is a JSON Schema, draft-07, made by the rules the OpenAPI
// document's schemas are made by, for documents that describe the same
// values in plain JSON Schema: the AsyncAPI document of a service's events,
// whose default schema format is a draft-07 superset. Making both from one
// generator keeps an entity's event payload and its API response the same
// schema. Its fields are the keywords the kit's types need, in the order a
// reader wants them in the JSON.
type JSONSchema struct {
	Ref                  string        `json:"$ref,omitempty"`
	Type                 Types         `json:"type,omitempty"`
	Format               string        `json:"format,omitempty"`
	ReadOnly             bool          `json:"readOnly,omitempty"`
	Description          string        `json:"description,omitempty"`
	Const                any           `json:"const,omitempty"` // omitted only when nil: "" and 0 are constants too
	Enum                 []any         `json:"enum,omitempty"`
	Default              any           `json:"default,omitempty"`
	Pattern              string        `json:"pattern,omitempty"`
	MinLength            *int          `json:"minLength,omitempty"`
	MaxLength            *int          `json:"maxLength,omitempty"`
	Minimum              *float64      `json:"minimum,omitempty"`
	ExclusiveMinimum     *float64      `json:"exclusiveMinimum,omitempty"`
	Maximum              *float64      `json:"maximum,omitempty"`
	ExclusiveMaximum     *float64      `json:"exclusiveMaximum,omitempty"`
	MinItems             *int          `json:"minItems,omitempty"`
	MaxItems             *int          `json:"maxItems,omitempty"`
	Items                *JSONSchema   `json:"items,omitempty"`
	Properties           Properties    `json:"properties,omitempty"`
	Required             []string      `json:"required,omitempty"`
	MinProperties        *int          `json:"minProperties,omitempty"`
	MaxProperties        *int          `json:"maxProperties,omitempty"`
	AdditionalProperties any           `json:"additionalProperties,omitempty"` // false or a *JSONSchema
	Not                  *JSONSchema   `json:"not,omitempty"`
	AllOf                []*JSONSchema `json:"allOf,omitempty"`
}

// Types is a schema's type keyword: one JSON type, written as a string, or
// several ("string" and "null"), written as an array.
type Types []string

// MarshalJSON writes one type as a string and several as an array.
func (t Types) MarshalJSON() ([]byte, error) {
	if len(t) == 1 {
		return json.Marshal(t[0]) //nolint:wrapcheck // a string always marshals
	}
	return json.Marshal([]string(t)) //nolint:wrapcheck // strings always marshal
}

// Property is one named property of an object schema.
type Property struct {
	Name   string
	Schema *JSONSchema
}

// Properties keeps an object's properties in the order of the Go fields,
// as the OpenAPI document does.
type Properties []Property

// MarshalJSON writes the properties as one JSON object, in order.
func (ps Properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(p.Name)
		if err != nil {
			return nil, err //nolint:wrapcheck // a string always marshals
		}
		value, err := marshal(p.Schema)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Get returns the schema of the property name, or nil.
func (ps Properties) Get(name string) *JSONSchema {
	for _, p := range ps {
		if p.Name == name {
			return p.Schema
		}
	}
	return nil
}

// ViewSchema returns the JSON Schema of entity type t as the API shows it:
// the schema the OpenAPI document gives t's responses.
func ViewSchema(t reflect.Type) *JSONSchema {
	return draft07(entitySchema(deref(t)))
}

// ValueSchema returns the JSON Schema of a value of type t as encoding/json
// writes it, by the rules of the OpenAPI document's response bodies: a
// struct's fields are required unless omitempty can leave them out, and it
// has no others.
func ValueSchema(t reflect.Type) *JSONSchema {
	return draft07(typeSchema(t, writing, nil))
}

// draft07 translates an OpenAPI 3.0 schema to JSON Schema draft-07, where
// the two differ: nullable is a "null" type (and a null in an enum), and an
// exclusive bound is a number of its own instead of a flag on minimum or
// maximum. OpenAPI's formats (int32, int64, double, byte...) stay: draft-07
// validators ignore formats they do not know, and AsyncAPI defines these.
func draft07(s *schema) *JSONSchema {
	if s == nil {
		return nil
	}
	out := &JSONSchema{
		Ref: s.Ref, Format: s.Format, ReadOnly: s.ReadOnly, Description: s.Description,
		Enum: s.Enum, Default: s.Default, Pattern: s.Pattern,
		MinLength: s.MinLength, MaxLength: s.MaxLength, Minimum: s.Minimum, Maximum: s.Maximum,
		MinItems: s.MinItems, MaxItems: s.MaxItems, Items: draft07(s.Items),
		Required: s.Required, MinProperties: s.MinProperties, MaxProperties: s.MaxProperties,
		Not: draft07(s.Not),
	}
	if s.Type != "" {
		out.Type = Types{s.Type}
	}
	if s.Nullable && s.Type != "" {
		// Without a type the schema allows null already.
		out.Type = append(out.Type, "null")
		if out.Enum != nil && !containsNil(out.Enum) {
			out.Enum = append(append([]any(nil), out.Enum...), nil)
		}
	}
	if s.ExclusiveMinimum && s.Minimum != nil {
		out.Minimum, out.ExclusiveMinimum = nil, s.Minimum
	}
	if s.ExclusiveMaximum && s.Maximum != nil {
		out.Maximum, out.ExclusiveMaximum = nil, s.Maximum
	}
	for _, p := range s.Properties {
		out.Properties = append(out.Properties, Property{p.name, draft07(p.schema)})
	}
	switch ap := s.AdditionalProperties.(type) {
	case *schema:
		out.AdditionalProperties = draft07(ap)
	case nil:
	default:
		out.AdditionalProperties = ap // false
	}
	for _, a := range s.AllOf {
		out.AllOf = append(out.AllOf, draft07(a))
	}
	return out
}

func containsNil(values []any) bool {
	for _, v := range values {
		if v == nil {
			return true
		}
	}
	return false
}
