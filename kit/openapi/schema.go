package openapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// schema is an OpenAPI 3.0 Schema Object, the subset the kit's types need.
// Its fields are in the order a reader wants them in the JSON.
type schema struct {
	Ref                  string     `json:"$ref,omitempty"`
	Type                 string     `json:"type,omitempty"`
	Format               string     `json:"format,omitempty"`
	Nullable             bool       `json:"nullable,omitempty"`
	ReadOnly             bool       `json:"readOnly,omitempty"`
	Description          string     `json:"description,omitempty"`
	Enum                 []any      `json:"enum,omitempty"`
	Default              any        `json:"default,omitempty"`
	Pattern              string     `json:"pattern,omitempty"`
	MinLength            *int       `json:"minLength,omitempty"`
	MaxLength            *int       `json:"maxLength,omitempty"`
	Minimum              *float64   `json:"minimum,omitempty"`
	ExclusiveMinimum     bool       `json:"exclusiveMinimum,omitempty"`
	Maximum              *float64   `json:"maximum,omitempty"`
	ExclusiveMaximum     bool       `json:"exclusiveMaximum,omitempty"`
	MinItems             *int       `json:"minItems,omitempty"`
	MaxItems             *int       `json:"maxItems,omitempty"`
	Items                *schema    `json:"items,omitempty"`
	Properties           properties `json:"properties,omitempty"`
	Required             []string   `json:"required,omitempty"`
	MinProperties        *int       `json:"minProperties,omitempty"`
	MaxProperties        *int       `json:"maxProperties,omitempty"`
	AdditionalProperties any        `json:"additionalProperties,omitempty"` // false or a *schema
	Not                  *schema    `json:"not,omitempty"`
	AllOf                []*schema  `json:"allOf,omitempty"`
}

// property is one named property of an object schema.
type property struct {
	name   string
	schema *schema
}

// properties keeps an object's properties in the order of the Go fields,
// which is the order the service writes them in: a document that reads
// like the bodies it describes.
type properties []property

// MarshalJSON writes the properties as one JSON object, in order.
func (ps properties) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(p.name)
		if err != nil {
			return nil, err //nolint:wrapcheck // a string always marshals
		}
		value, err := marshal(p.schema)
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

func (ps properties) get(name string) *schema {
	for _, p := range ps {
		if p.name == name {
			return p.schema
		}
	}
	return nil
}

// marshal encodes v without HTML escaping, so that patterns such as
// "^[\x21-\x7E]{1,255}$" read as written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err //nolint:wrapcheck // the caller says what it was encoding
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func ref(name string) *schema { return &schema{Ref: "#/components/schemas/" + name} }

func ptr[T any](v T) *T { return &v }

// field is one JSON field of a struct, as encoding/json (and the kit's
// view, and its strict decoder) sees it.
type field struct {
	name      string
	typ       reflect.Type
	tag       reflect.StructTag
	omitEmpty bool
	asString  bool // the ",string" option: a number or bool travels as a string
}

// fields lists the JSON fields of struct type t in order: an embedded
// struct without a JSON name of its own contributes its fields in its
// place, as resource's fields does.
func fields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && f.Type.Kind() == reflect.Struct && name == "" {
			out = append(out, fields(f.Type)...)
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		opt := func(o string) bool { return strings.Contains(","+opts+",", ","+o+",") }
		out = append(out, field{name: name, typ: f.Type, tag: f.Tag, omitEmpty: opt("omitempty"), asString: opt("string")})
	}
	return out
}

var (
	timeType      = reflect.TypeFor[time.Time]()
	rawType       = reflect.TypeFor[json.RawMessage]()
	marshalerType = reflect.TypeFor[json.Marshaler]()
	textType      = reflect.TypeFor[encoding.TextMarshaler]()
)

// direction tells a body the service reads from one it writes: they are
// described by different rules.
type direction int

const (
	// reading is a request body: strict (unknown fields are 400), with
	// the validate tags' constraints.
	reading direction = iota
	// writing is a response body: every field the view writes, required
	// unless omitempty can leave it out.
	writing
)

// typeSchema describes values of Go type t as encoding/json writes and
// reads them. Each call returns a new schema, which the caller may change.
// seen holds the struct types being described, so that a recursive type
// ends in a plain object instead of recursing forever.
func typeSchema(t reflect.Type, dir direction, seen []reflect.Type) *schema {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return &schema{Type: "string", Format: "date-time"}
	case t == rawType:
		return &schema{}
	case t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType):
		// Its JSON is its own business: any value.
		return &schema{}
	case t.Implements(textType) || reflect.PointerTo(t).Implements(textType):
		return &schema{Type: "string"}
	}
	switch t.Kind() {
	case reflect.String:
		return &schema{Type: "string"}
	case reflect.Bool:
		return &schema{Type: "boolean"}
	case reflect.Int8, reflect.Int16, reflect.Int32:
		return &schema{Type: "integer", Format: "int32"}
	case reflect.Int, reflect.Int64:
		return &schema{Type: "integer", Format: "int64"}
	case reflect.Uint8, reflect.Uint16:
		return &schema{Type: "integer", Format: "int32", Minimum: ptr(0.0)}
	case reflect.Uint32:
		return &schema{Type: "integer", Format: "int64", Minimum: ptr(0.0)}
	case reflect.Uint, reflect.Uint64, reflect.Uintptr:
		// Beyond int64: no format holds every value.
		return &schema{Type: "integer", Minimum: ptr(0.0)}
	case reflect.Float32:
		return &schema{Type: "number", Format: "float"}
	case reflect.Float64:
		return &schema{Type: "number", Format: "double"}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return &schema{Type: "string", Format: "byte"} // encoding/json writes []byte as base64
		}
		s := &schema{Type: "array", Items: typeSchema(t.Elem(), dir, seen)}
		if t.Kind() == reflect.Array {
			s.MinItems, s.MaxItems = ptr(t.Len()), ptr(t.Len())
		}
		return s
	case reflect.Map:
		return &schema{Type: "object", AdditionalProperties: typeSchema(t.Elem(), dir, seen)}
	case reflect.Struct:
		if slices.Contains(seen, t) {
			return &schema{Type: "object"}
		}
		if dir == reading {
			return inputObject(t, append(seen, t))
		}
		return viewObject(t, append(seen, t))
	}
	// Interfaces, and kinds encoding/json cannot write (which the view
	// would fail on): any value.
	return &schema{}
}

// fieldSchema is typeSchema for one field, with the ",string" option.
func fieldSchema(f field, dir direction, seen []reflect.Type) *schema {
	s := typeSchema(f.typ, dir, seen)
	if f.asString && (s.Type == "integer" || s.Type == "number" || s.Type == "boolean") {
		return &schema{Type: "string", Description: upperFirst(article(s.Type)) + " " + s.Type + ", written as a JSON string."}
	}
	return s
}

// viewObject describes a struct as a response body: every field, required
// unless omitempty may leave it out. Unknown properties are not allowed,
// so a field the service starts writing (a storage attribute, say) without
// documenting it fails validation against the document instead of going
// unnoticed.
func viewObject(t reflect.Type, seen []reflect.Type) *schema {
	s := &schema{Type: "object", AdditionalProperties: false}
	for _, f := range fields(t) {
		ps := fieldSchema(f, writing, seen)
		if !f.omitEmpty || !omittable(f.typ) {
			s.Required = append(s.Required, f.name)
			if nilable(f.typ) {
				ps.Nullable = true // a nil pointer, slice or map is written as null
			}
		}
		s.Properties = append(s.Properties, property{f.name, ps})
	}
	return s
}

// omittable reports whether omitempty can leave out a value of type t: it
// never leaves out a struct.
func omittable(t reflect.Type) bool {
	return t.Kind() != reflect.Struct
}

func nilable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return true
	}
	return false
}

// inputObject describes a struct as a request body: strict, as the kit's
// decoder is, with each field's constraints from its validate tag.
func inputObject(t reflect.Type, seen []reflect.Type) *schema {
	s := &schema{Type: "object", AdditionalProperties: false}
	for _, f := range fields(t) {
		ps, required := inputField(f, seen)
		if required {
			s.Required = append(s.Required, f.name)
		}
		s.Properties = append(s.Properties, property{f.name, ps})
	}
	return s
}

// inputField describes one field of a request body and tells whether the
// body must have it.
func inputField(f field, seen []reflect.Type) (*schema, bool) {
	s := fieldSchema(f, reading, seen)
	base := f.typ
	for base.Kind() == reflect.Pointer {
		base = base.Elem()
	}
	required := constrain(s, base, f.typ.Kind() == reflect.Pointer, parseRules(f.tag.Get("validate")))
	if f.typ.Kind() == reflect.Pointer && !required {
		// encoding/json leaves a pointer nil for null, which is what an
		// absent field does: in an update input, "leave it alone".
		s.Nullable = true
		if s.Enum != nil {
			s.Enum = append(s.Enum, nil) // OpenAPI 3.0.3: an enum must list null to allow it
		}
	}
	return s, required
}

// rule is one validate tag rule: "max=200" is {"max", "200"}.
type rule struct{ name, param string }

// parseRules splits a validator/v10 tag into its rules. Rules joined by
// "|" (any of them) are left out: the document then states less than the
// service checks, never more.
func parseRules(tag string) []rule {
	var out []rule
	for part := range strings.SplitSeq(tag, ",") {
		if part == "" || strings.Contains(part, "|") {
			continue
		}
		name, param, _ := strings.Cut(part, "=")
		// validator writes a comma inside a parameter as 0x2C.
		out = append(out, rule{name, strings.ReplaceAll(param, "0x2C", ",")})
	}
	return out
}

// oneofValue is how validator splits oneof's parameter: words, or words
// in single quotes.
var oneofValue = regexp.MustCompile(`'[^']*'|\S+`)

// Patterns for the kit's string checks. notblank is "has something other
// than white space", which is what \S finds.
const (
	patternNotBlank = `\S`
	// patternEmptyOrNotBlank is notblank after omitempty or omitzero,
	// which let "" through (an update's "" clears the field).
	patternEmptyOrNotBlank = `^$|\S`
	patternPrintASCII      = `^[\x20-\x7E]*$`
	patternSlug            = `^[A-Za-z0-9._-]*$`
)

// formats maps validator's format checks to OpenAPI formats.
var formats = map[string]string{
	"email":            "email",
	"uuid":             "uuid",
	"uuid3":            "uuid",
	"uuid4":            "uuid",
	"uuid5":            "uuid",
	"uuid_rfc4122":     "uuid",
	"uuid3_rfc4122":    "uuid",
	"uuid4_rfc4122":    "uuid",
	"uuid5_rfc4122":    "uuid",
	"url":              "uri",
	"uri":              "uri",
	"http_url":         "uri",
	"https_url":        "uri",
	"ipv4":             "ipv4",
	"ipv6":             "ipv6",
	"hostname":         "hostname",
	"hostname_rfc1123": "hostname",
}

// constrain adds the rules of a validate tag to s, the schema of a value
// of type t (a field's type, pointers removed), and tells whether the
// field is required. Rules after "dive" apply to a slice's items or a
// map's values. Rules it does not know are left out, so the document
// never forbids what the service allows.
func constrain(s *schema, t reflect.Type, isPointer bool, rules []rule) bool {
	required := false
	kind := kindOf(t)
	for i, r := range rules {
		switch r.name {
		case "dive":
			rest := rules[i+1:]
			if k := slices.IndexFunc(rest, func(r rule) bool { return r.name == "endkeys" }); k >= 0 {
				rest = rest[k+1:] // the keys' rules: map keys are strings to the document
			}
			switch {
			case s.Items != nil:
				constrain(s.Items, deref(t.Elem()), t.Elem().Kind() == reflect.Pointer, rest)
			case t.Kind() == reflect.Map:
				if v, ok := s.AdditionalProperties.(*schema); ok {
					constrain(v, deref(t.Elem()), t.Elem().Kind() == reflect.Pointer, rest)
				}
			}
			return required
		case "required":
			required = true
			if !isPointer {
				requireNonZero(s, kind)
			}
		case "min", "gte":
			atLeast(s, kind, r.param, false)
		case "gt":
			atLeast(s, kind, r.param, true)
		case "max", "lte":
			atMost(s, kind, r.param, false)
		case "lt":
			atMost(s, kind, r.param, true)
		case "len":
			atLeast(s, kind, r.param, false)
			atMost(s, kind, r.param, false)
		case "oneof":
			s.Enum = enum(kind, r.param)
		case "notblank":
			if slices.ContainsFunc(rules[:i], func(r rule) bool { return r.name == "omitempty" || r.name == "omitzero" }) {
				addPattern(s, patternEmptyOrNotBlank) // "" skips the rule
			} else {
				addPattern(s, patternNotBlank)
			}
		case "printascii":
			addPattern(s, patternPrintASCII)
		case "slug":
			addPattern(s, patternSlug)
		default:
			if f, ok := formats[r.name]; ok && kind == kindString {
				s.Format = f
			}
		}
	}
	return required
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// valueKind is what a validate rule measures in a value: a string's
// length, a number's value, a collection's size.
type valueKind int

const (
	kindOther valueKind = iota
	kindString
	kindInteger
	kindNumber
	kindItems
	kindProperties
)

func kindOf(t reflect.Type) valueKind {
	if t == timeType {
		return kindOther // min, gt... compare a time with now: nothing to document
	}
	switch t.Kind() {
	case reflect.String:
		return kindString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return kindInteger
	case reflect.Float32, reflect.Float64:
		return kindNumber
	case reflect.Slice, reflect.Array:
		return kindItems
	case reflect.Map:
		return kindProperties
	}
	return kindOther
}

// requireNonZero states what required means for a field that is not a
// pointer: validator rejects its zero value, which JSON can send.
func requireNonZero(s *schema, kind valueKind) {
	switch kind {
	case kindString:
		if s.MinLength == nil || *s.MinLength < 1 {
			s.MinLength = ptr(1)
		}
	case kindInteger, kindNumber:
		s.Not = &schema{Enum: []any{0}}
	}
	if s.Type == "boolean" {
		s.Enum = []any{true}
	}
}

// atLeast adds a lower bound: a minimum length, value or size, exclusive
// for gt (which, for lengths, is one more).
func atLeast(s *schema, kind valueKind, param string, exclusive bool) {
	bound(kind, param, exclusive, 1, &s.MinLength, &s.MinItems, &s.MinProperties, &s.Minimum, &s.ExclusiveMinimum)
}

// atMost adds an upper bound, as atLeast does a lower one.
func atMost(s *schema, kind valueKind, param string, exclusive bool) {
	bound(kind, param, exclusive, -1, &s.MaxLength, &s.MaxItems, &s.MaxProperties, &s.Maximum, &s.ExclusiveMaximum)
}

// bound sets one side of a range: a count (length, items or properties)
// moved by step when exclusive, since counts are whole, or a value with its
// exclusive flag. A parameter that does not parse adds nothing.
func bound(kind valueKind, param string, exclusive bool, step int, length, items, props **int, value **float64, excl *bool) {
	switch kind {
	case kindString, kindItems, kindProperties:
		n, err := strconv.Atoi(param)
		if err != nil {
			return
		}
		if exclusive {
			n += step
		}
		switch kind {
		case kindString:
			*length = ptr(n)
		case kindItems:
			*items = ptr(n)
		default:
			*props = ptr(n)
		}
	case kindInteger, kindNumber:
		x, err := strconv.ParseFloat(param, 64)
		if err != nil {
			return
		}
		*value, *excl = ptr(x), exclusive
	}
}

// enum lists oneof's values, typed as the field is: a client sends the
// number 1, not "1", to an int field.
func enum(kind valueKind, param string) []any {
	var out []any
	for _, v := range oneofValue.FindAllString(param, -1) {
		v = strings.Trim(v, "'")
		switch kind {
		case kindInteger:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil // validator would panic on it; state nothing
			}
			out = append(out, n)
		case kindNumber:
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return nil
			}
			out = append(out, x)
		default:
			out = append(out, v)
		}
	}
	return out
}

// addPattern adds a pattern, in allOf when s has one already: a schema
// holds one pattern, and RE2 has no lookahead to join two.
func addPattern(s *schema, p string) {
	if s.Pattern == "" {
		s.Pattern = p
		return
	}
	s.AllOf = append(s.AllOf, &schema{Pattern: p})
}

// parseDefault types a default:"…" tag's text as the field's JSON value.
func parseDefault(t reflect.Type, text string) (any, bool) {
	switch deref(t).Kind() {
	case reflect.String:
		return text, true
	case reflect.Bool:
		b, err := strconv.ParseBool(text)
		return b, err == nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(text, 10, 64)
		return n, err == nil
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(text, 64)
		return x, err == nil
	}
	return nil, false
}
