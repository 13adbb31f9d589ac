package resource

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// TimeFormat is how every time.Time field of an entity appears in the API:
// ISO 8601 in UTC with milliseconds, always three digits, so that clients
// can compare them as strings.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// member is a JSON member added after an entity's own fields.
type member struct {
	name  string
	value any
}

// view renders an entity as the API shows it: its JSON fields in their
// declared order, omitempty honoured, times in TimeFormat, then extra. The
// entity carries no storage attributes (the kit keeps those off the type),
// so none can show.
func (p *plan) view(e reflect.Value, extra ...member) (json.RawMessage, error) {
	return p.appendView(nil, e, extra)
}

// viewString is view without extra members, as a string for a response
// body. It writes the view in a buffer on the stack when it fits, so the
// string is its one allocation.
func (p *plan) viewString(e reflect.Value) (string, error) {
	var buf [1024]byte
	b := buf[:0]
	if n := p.viewSize(e); n > len(buf) {
		b = make([]byte, 0, n)
	}
	b, err := p.appendView(b, e, nil)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// appendView appends the view of e to b. Each field is written by the
// encoder its type was given at registration: strings, numbers, booleans
// and times straight into b, the rest through encoding/json, so that a
// view costs one buffer rather than an allocation or two per field. The
// bytes are what encoding/json would write for each value.
func (p *plan) appendView(b []byte, e reflect.Value, extra []member) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, p.viewSize(e))
	}
	b = append(b, '{')
	n := 0
	for i, f := range p.fields {
		v := e.FieldByIndex(f.index)
		if f.omitEmpty && empty(v) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		var err error
		if b, err = p.encoders[i].append(b, v, f.name); err != nil {
			return nil, err
		}
	}
	for _, m := range extra {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		var err error
		if b, err = appendMember(b, m.name, m.value); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// viewSize is about the length of e's view, so that its buffer is made
// once: the names, room for each value, and the length of its strings.
func (p *plan) viewSize(e reflect.Value) int {
	n := 2
	for i, f := range p.fields {
		n += len(p.encoders[i].key) + 1 + 32
		if p.encoders[i].kind == encodeString {
			n += e.FieldByIndex(f.index).Len()
		}
	}
	return n
}

// valueEncoding is how a field's value is written.
type valueEncoding uint8

const (
	encodeJSON valueEncoding = iota // through encoding/json, for every other type
	encodeString
	encodeBool
	encodeInt
	encodeUint
	encodeFloat
	encodeTime
)

// fieldEncoder writes one field of a view: its quoted name and its value.
type fieldEncoder struct {
	key  string // the name as encoding/json writes it, with its colon
	kind valueEncoding
	bits int // of a float
}

// encoders works out at registration how view writes each field.
func encoders(fields []field) []fieldEncoder {
	out := make([]fieldEncoder, len(fields))
	for i, f := range fields {
		key, _ := json.Marshal(f.name) // a string always marshals
		out[i] = fieldEncoder{key: string(key) + ":", kind: encodingOf(f.typ), bits: bitsOf(f.typ)}
	}
	return out
}

func bitsOf(t reflect.Type) int {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return t.Bits()
	}
	return 0
}

func encodingOf(t reflect.Type) valueEncoding {
	switch t {
	case reflect.TypeFor[time.Time]():
		return encodeTime
	case reflect.TypeFor[json.Number]():
		return encodeJSON // a string that encoding/json writes as a number
	}
	for _, m := range []reflect.Type{reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()} {
		if reflect.PointerTo(t).Implements(m) { // by value or by pointer
			return encodeJSON // its own encoding, which only encoding/json knows
		}
	}
	switch t.Kind() {
	case reflect.String:
		return encodeString
	case reflect.Bool:
		return encodeBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return encodeInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return encodeUint
	case reflect.Float32, reflect.Float64:
		return encodeFloat
	}
	return encodeJSON
}

func (f fieldEncoder) append(b []byte, v reflect.Value, name string) ([]byte, error) {
	switch f.kind {
	case encodeString:
		if s := v.String(); plainString(s) {
			b = append(b, f.key...)
			b = append(b, '"')
			b = append(b, s...)
			return append(b, '"'), nil
		}
	case encodeBool:
		return strconv.AppendBool(append(b, f.key...), v.Bool()), nil
	case encodeInt:
		return strconv.AppendInt(append(b, f.key...), v.Int(), 10), nil
	case encodeUint:
		return strconv.AppendUint(append(b, f.key...), v.Uint(), 10), nil
	case encodeFloat:
		if x := v.Float(); !math.IsInf(x, 0) && !math.IsNaN(x) { // which encoding/json refuses, with its error
			return appendFloat(append(b, f.key...), x, f.bits), nil
		}
	case encodeTime:
		t, _ := reflect.TypeAssert[time.Time](v) // without the copy Interface makes
		return appendTime(append(b, f.key...), t), nil
	}
	return appendMember(b, name, v.Interface())
}

// plainString reports whether encoding/json writes s as it is, between
// quotes: valid UTF-8 with nothing it escapes (control characters, quote,
// backslash, the HTML characters <, > and &, U+2028 and U+2029).
func plainString(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}

// appendFloat writes a finite float as encoding/json does: like
// JavaScript, in exponent form only below 1e-6 or from 1e21, with the
// exponent unpadded.
func appendFloat(b []byte, x float64, bits int) []byte {
	format := byte('f')
	if abs := math.Abs(x); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, x, format, -1, bits)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeFormat)
	return append(b, '"')
}

// object renders members as one JSON object, in order.
func object(members []member) (json.RawMessage, error) {
	b := []byte{'{'}
	for i, m := range members {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendMember(b, m.name, m.value); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendMember writes one member through encoding/json, but a time in
// TimeFormat.
func appendMember(b []byte, name string, value any) ([]byte, error) {
	key, _ := json.Marshal(name) // a string always marshals
	b = append(append(b, key...), ':')
	if t, ok := value.(time.Time); ok {
		return appendTime(b, t), nil
	}
	v, err := json.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", name, err)
	}
	return append(b, v...), nil
}

// empty is encoding/json's notion of an empty value for omitempty.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
