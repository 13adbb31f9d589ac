package resource

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lambdakit/lambdakit/kit/command"
)

// Roles the kit tag gives an entity's fields. Every one but immutable is
// set by the server, so clients may not send it.
const (
	roleID        = "id"        // the entity's id, from kit.IDs
	roleParent    = "parent"    // a child's parent id, from the path
	roleCreated   = "created"   // the creation time
	roleUpdated   = "updated"   // the time of the latest write
	roleCaller    = "caller"    // who created it: the verified caller
	roleImmutable = "immutable" // set on create, never by an update
	roleServer    = "server"    // maintained by the service itself, such as a summary a consumer keeps
	roleOwner     = "owner"     // the verified caller who created it, and the only one who may change it
	roleUnique    = "unique"    // a client's value that no two entities of the kind share
)

// field is one JSON field of an entity or an input.
type field struct {
	index     []int
	name      string
	omitEmpty bool
	role      string
	typ       reflect.Type
}

// fields lists the JSON fields of struct type t in order, as encoding/json
// and the DynamoDB encoder name them: an embedded struct without a JSON
// name of its own contributes its fields in its place.
func fields(t reflect.Type) []field {
	var out []field
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous && f.Type.Kind() == reflect.Struct && name == "" {
			for _, inner := range fields(f.Type) {
				inner.index = append([]int{i}, inner.index...)
				out = append(out, inner)
			}
			continue
		}
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{
			index: f.Index, name: name, typ: f.Type,
			omitEmpty: strings.Contains(","+opts+",", ",omitempty,"),
			role:      f.Tag.Get("kit"),
		})
	}
	return out
}

// flattenable refuses the structs fields cannot flatten as encoding/json
// does, at any depth: one embedded by pointer, which may be nil, or of an
// unexported type, whose fields reflect may not set; and two fields of one
// JSON name, where encoding/json would pick one by depth and the plan
// would use both.
func flattenable(t reflect.Type) error {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		embedded := f.Type
		if embedded.Kind() == reflect.Pointer {
			embedded = embedded.Elem()
		}
		if !f.Anonymous || name != "" || embedded.Kind() != reflect.Struct {
			continue
		}
		switch {
		case f.Type.Kind() == reflect.Pointer:
			return fmt.Errorf("resource: %s embeds %s: embed the struct itself, not a pointer to it", t, f.Type)
		case !f.IsExported():
			return fmt.Errorf("resource: %s embeds %s: embed an exported type", t, f.Type)
		}
		if err := flattenable(f.Type); err != nil {
			return err
		}
	}
	named := map[string]bool{}
	for _, f := range fields(t) {
		if named[f.name] {
			return fmt.Errorf("resource: %s has two fields named %q in JSON", t, f.name)
		}
		named[f.name] = true
	}
	return nil
}

// plan is what the generic operations know about an entity type T and its
// create and update inputs C and U, worked out once at registration so
// that a declaration that cannot work fails at cold start.
type plan struct {
	entity   reflect.Type
	fields   []field
	byRole   map[string]field
	create   []copyField    // input field -> entity field
	update   []patchField   // input field -> stored attribute
	defaults []defaultValue // for entity fields the create input does not have
	encoders []fieldEncoder // how view writes each of fields
}

type copyField struct {
	from, to []int
	deref    bool // the input is a pointer to the entity's type
	// fallback is the entity field's default, which a nil pointer takes;
	// invalid when it has none.
	fallback reflect.Value
}

type patchField struct {
	from      []int
	name      string
	clearable bool // "" removes the attribute, which is optional
}

type defaultValue struct {
	name  string
	to    []int
	value reflect.Value
}

func newPlan(entity, create, update reflect.Type) (*plan, error) {
	for _, t := range []reflect.Type{entity, create, update} {
		if t.Kind() != reflect.Struct {
			return nil, fmt.Errorf("resource: %s is not a struct", t)
		}
	}
	for _, t := range []reflect.Type{entity, create, update} {
		if err := flattenable(t); err != nil {
			return nil, err
		}
	}
	selfValidator := reflect.TypeFor[command.SelfValidator]()
	for _, t := range []reflect.Type{create, update} {
		if !t.Implements(selfValidator) && reflect.PointerTo(t).Implements(selfValidator) {
			// The commands hold their input by value and would never call it.
			return nil, fmt.Errorf("resource: %s has Validate on a pointer receiver; declare it on the value", t)
		}
	}
	p := &plan{entity: entity, fields: fields(entity), byRole: map[string]field{}}
	p.encoders = encoders(p.fields)
	byName := map[string]field{}
	for _, f := range p.fields {
		byName[f.name] = f
		switch f.role {
		case "":
		case roleID, roleParent, roleCaller, roleOwner:
			if f.typ.Kind() != reflect.String {
				return nil, fmt.Errorf("resource: %s.%s: a kit:%q field must be a string", entity, f.name, f.role)
			}
			p.byRole[f.role] = f
		case roleCreated, roleUpdated:
			if f.typ != reflect.TypeFor[time.Time]() {
				return nil, fmt.Errorf("resource: %s.%s: a kit:%q field must be a time.Time", entity, f.name, f.role)
			}
			p.byRole[f.role] = f
		case roleImmutable, roleServer, roleUnique:
		default:
			return nil, fmt.Errorf("resource: %s.%s: unknown kit tag %q", entity, f.name, f.role)
		}
		if d, ok := entity.FieldByIndex(f.index).Tag.Lookup("default"); ok { // FieldByIndex follows embedding
			v, err := parseDefault(f.typ, d)
			if err != nil {
				return nil, fmt.Errorf("resource: %s.%s: default %q: %w", entity, f.name, d, err)
			}
			p.defaults = append(p.defaults, defaultValue{name: f.name, to: f.index, value: v})
		}
	}
	if _, ok := p.byRole[roleID]; !ok {
		return nil, fmt.Errorf("resource: %s has no field tagged kit:\"id\"", entity)
	}
	for _, in := range fields(create) {
		f, ok := byName[in.name]
		switch {
		case !ok:
			return nil, fmt.Errorf("resource: %s.%s matches no field of %s", create, in.name, entity)
		case f.role != "" && f.role != roleImmutable && f.role != roleUnique:
			return nil, fmt.Errorf("resource: %s.%s: the server sets %s.%s", create, in.name, entity, f.name)
		case in.typ == f.typ:
			if p.takeDefault(f.name).IsValid() {
				// Only absence takes a default, and a value cannot be absent.
				return nil, fmt.Errorf("resource: %s.%s must be a *%s: %s.%s has a default, which only a field the client leaves out takes", create, in.name, f.typ, entity, f.name)
			}
			p.create = append(p.create, copyField{from: in.index, to: f.index})
		case in.typ.Kind() == reflect.Pointer && in.typ.Elem() == f.typ:
			p.create = append(p.create, copyField{from: in.index, to: f.index, deref: true, fallback: p.takeDefault(f.name)})
		default:
			return nil, fmt.Errorf("resource: %s.%s is a %s, %s.%s a %s", create, in.name, in.typ, entity, f.name, f.typ)
		}
	}
	for _, in := range fields(update) {
		f, ok := byName[in.name]
		switch {
		case !ok:
			return nil, fmt.Errorf("resource: %s.%s matches no field of %s", update, in.name, entity)
		case f.role == roleImmutable:
			return nil, fmt.Errorf("resource: %s.%s is immutable: it cannot be in %s", entity, f.name, update)
		case f.role != "" && f.role != roleUnique:
			return nil, fmt.Errorf("resource: %s.%s: the server sets %s.%s", update, in.name, entity, f.name)
		case in.typ.Kind() != reflect.Pointer || in.typ.Elem() != f.typ:
			return nil, fmt.Errorf("resource: %s.%s must be a *%s: nil leaves the field alone", update, in.name, f.typ)
		}
		p.update = append(p.update, patchField{from: in.index, name: f.name, clearable: f.omitEmpty && f.typ.Kind() == reflect.String})
	}
	return p, nil
}

// takeDefault removes the named entity field's default from the defaults
// every create applies and returns it (invalid if it has none): a create
// input's field decides for itself when it takes it.
func (p *plan) takeDefault(name string) reflect.Value {
	for i, d := range p.defaults {
		if d.name == name {
			p.defaults = slices.Delete(p.defaults, i, i+1)
			return d.value
		}
	}
	return reflect.Value{}
}

func parseDefault(t reflect.Type, s string) (reflect.Value, error) {
	v := reflect.New(t).Elem()
	var err error
	switch t.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		var b bool
		b, err = strconv.ParseBool(s)
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		var n int64
		n, err = strconv.ParseInt(s, 10, t.Bits())
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		var x float64
		x, err = strconv.ParseFloat(s, t.Bits())
		v.SetFloat(x)
	default:
		return v, fmt.Errorf("defaults are for strings, numbers and booleans, not %s", t)
	}
	if err != nil {
		return v, fmt.Errorf("parse: %w", err)
	}
	return v, nil
}

// stamps are the values the server sets on a new entity.
type stamps struct {
	id, parent, caller string
	now                time.Time
}

// build makes a new entity from a create input.
func (p *plan) build(input any, s stamps) reflect.Value {
	e := reflect.New(p.entity).Elem()
	in := reflect.ValueOf(input)
	for _, c := range p.create {
		v := in.FieldByIndex(c.from)
		if c.deref {
			if v.IsNil() {
				// Absent (or null): the default, if any. A zero the client
				// sent is a value like any other.
				if c.fallback.IsValid() {
					e.FieldByIndex(c.to).Set(c.fallback)
				}
				continue
			}
			v = v.Elem()
		}
		e.FieldByIndex(c.to).Set(v)
	}
	for _, d := range p.defaults {
		e.FieldByIndex(d.to).Set(d.value) // no client can send these fields
	}
	for role, value := range map[string]string{roleID: s.id, roleParent: s.parent, roleCaller: s.caller, roleOwner: s.caller} {
		if f, ok := p.byRole[role]; ok {
			e.FieldByIndex(f.index).SetString(value)
		}
	}
	for _, role := range []string{roleCreated, roleUpdated} {
		if f, ok := p.byRole[role]; ok {
			e.FieldByIndex(f.index).Set(reflect.ValueOf(s.now))
		}
	}
	return e
}

// patch turns an update input into the attributes to set and remove: every
// non-nil field is set, except that "" removes an optional string.
func (p *plan) patch(input any, now time.Time) (set map[string]any, remove []string) {
	set = map[string]any{}
	in := reflect.ValueOf(input)
	for _, u := range p.update {
		v := in.FieldByIndex(u.from)
		if v.IsNil() {
			continue
		}
		if u.clearable && v.Elem().String() == "" {
			remove = append(remove, u.name)
			continue
		}
		set[u.name] = v.Elem().Interface()
	}
	if f, ok := p.byRole[roleUpdated]; ok {
		set[f.name] = now
	}
	return set, remove
}

// updateFields names an update input's fields, embedded ones included, for
// the rule that an update must change at least one, and tells whether in
// sets any.
func updateFields(in reflect.Value) (names []string, set bool) {
	for _, f := range fields(in.Type()) {
		if f.typ.Kind() == reflect.Pointer {
			names = append(names, f.name)
			set = set || !in.FieldByIndex(f.index).IsNil()
		}
	}
	return names, set
}
