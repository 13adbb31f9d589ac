package dynamo

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
)

// decodePlan decodes the items of one flat entity type (fields of strings,
// numbers, booleans and times, none embedded) without the attributevalue
// decoder's reflection per field and call: the reads of every request go
// through it. Any other type keeps attributevalue's decoder.
type decodePlan struct {
	fields []decodeField
}

type decodeField struct {
	name  string
	index int
	kind  reflect.Kind
	time  bool
}

var (
	timeType        = reflect.TypeFor[time.Time]()
	unmarshalerType = reflect.TypeFor[attributevalue.Unmarshaler]()
)

// Decode decodes item into a new value of typ, as DecodeEntity does, with
// the type's decode plan when it has one: worked out once, and kept.
func (c *Accesses) Decode(typ reflect.Type, item map[string]types.AttributeValue) (kit.Entity, error) {
	elem := typ
	if elem.Kind() == reflect.Pointer {
		elem = elem.Elem()
	}
	var plan *decodePlan
	if p, ok := c.plans.Load(elem); ok {
		plan = p.(*decodePlan)
	} else {
		plan = newDecodePlan(elem)
		c.plans.Store(elem, plan)
	}
	if plan == nil {
		return DecodeEntity(typ, item)
	}
	p := reflect.New(elem)
	if err := plan.decode(p.Elem(), item); err != nil {
		return nil, fmt.Errorf("unmarshal: %w", err)
	}
	if typ.Kind() == reflect.Pointer {
		return p.Interface().(kit.Entity), nil
	}
	return p.Elem().Interface().(kit.Entity), nil
}

func newDecodePlan(typ reflect.Type) *decodePlan {
	if typ.Kind() != reflect.Struct {
		return nil
	}
	p := &decodePlan{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous {
			return nil
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if reflect.PointerTo(f.Type).Implements(unmarshalerType) || f.Type.Implements(unmarshalerType) {
			return nil
		}
		df := decodeField{name: name, index: i, kind: f.Type.Kind(), time: f.Type == timeType}
		switch df.kind {
		case reflect.String, reflect.Bool,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
		case reflect.Struct:
			if !df.time {
				return nil
			}
		default:
			return nil
		}
		p.fields = append(p.fields, df)
	}
	return p
}

// decode sets v's fields from item, as attributevalue would: an absent or
// NULL attribute leaves the zero value, and a value of the wrong type is
// an error.
func (p *decodePlan) decode(v reflect.Value, item map[string]types.AttributeValue) error {
	for _, f := range p.fields {
		av, ok := item[f.name]
		if !ok {
			continue
		}
		if _, null := av.(*types.AttributeValueMemberNULL); null {
			continue
		}
		field := v.Field(f.index)
		switch a := av.(type) {
		case *types.AttributeValueMemberS:
			switch {
			case f.time:
				t, err := time.Parse(time.RFC3339, a.Value)
				if err != nil {
					return fmt.Errorf("%s: %w", f.name, err)
				}
				field.Set(reflect.ValueOf(t))
			case f.kind == reflect.String:
				field.SetString(a.Value)
			default:
				return fmt.Errorf("%s: a string for a %s", f.name, field.Type())
			}
		case *types.AttributeValueMemberN:
			if f.kind == reflect.String {
				field.SetString(a.Value) // as attributevalue does
				continue
			}
			if err := setNumber(field, f.kind, a.Value); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
		case *types.AttributeValueMemberBOOL:
			if f.kind != reflect.Bool {
				return fmt.Errorf("%s: a boolean for a %s", f.name, field.Type())
			}
			field.SetBool(a.Value)
		default:
			return fmt.Errorf("%s: unexpected %T", f.name, av)
		}
	}
	return nil
}

func setNumber(field reflect.Value, kind reflect.Kind, n string) error {
	switch kind {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n, 10, field.Type().Bits())
		if err != nil {
			return fmt.Errorf("number %s: %w", n, err)
		}
		field.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(n, 10, field.Type().Bits())
		if err != nil {
			return fmt.Errorf("number %s: %w", n, err)
		}
		field.SetUint(u)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(n, field.Type().Bits())
		if err != nil {
			return fmt.Errorf("number %s: %w", n, err)
		}
		field.SetFloat(x)
	default:
		return fmt.Errorf("a number for a %s", field.Type())
	}
	return nil
}
