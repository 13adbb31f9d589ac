package resource

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"time"
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
	members := make([]member, 0, len(p.fields)+len(extra))
	for _, f := range p.fields {
		v := e.FieldByIndex(f.index)
		if f.omitEmpty && empty(v) {
			continue
		}
		members = append(members, member{f.name, v.Interface()})
	}
	return object(append(members, extra...))
}

// object renders members as one JSON object, in order.
func object(members []member) (json.RawMessage, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeMember(&b, m.name, m.value); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func writeMember(b *bytes.Buffer, name string, value any) error {
	key, _ := json.Marshal(name) // a string always marshals
	b.Write(key)
	b.WriteByte(':')
	if t, ok := value.(time.Time); ok {
		b.WriteString(`"` + t.UTC().Format(TimeFormat) + `"`)
		return nil
	}
	v, err := json.Marshal(value)
	if err != nil {
		return fmt.Errorf("encode %s: %w", name, err)
	}
	b.Write(v)
	return nil
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
