package apigw

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/lambdakit/lambdakit/kit"
)

// BindQuery fills the fields of the struct dst points to that have a query
// tag, from the query parameters of that name. A parameter may be absent
// (the field takes its default tag, if any) but not repeated. An integer
// that does not parse is a field error that states the bounds its validate
// tag gives (min, max), so the client learns the range in one round trip;
// the bounds themselves are the command bus's to check.
//
//	PageSize int `query:"pageSize" default:"20" validate:"min=1,max=100"`
func (r *Request) BindQuery(dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("apigw: BindQuery needs a pointer to a struct, not %T", dst)
	}
	v = v.Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		name := f.Tag.Get("query")
		if name == "" {
			continue
		}
		raw, ok, err := r.QueryOnce(name)
		if err != nil {
			return err
		}
		if !ok {
			if raw, ok = f.Tag.Lookup("default"); !ok {
				continue
			}
		}
		if err := setQueryField(v.Field(i), f, name, raw); err != nil {
			return err
		}
	}
	return nil
}

// QueryOnce returns a query parameter that may be absent but not
// repeated, and whether it was given; a repeat is a field error.
func (r *Request) QueryOnce(name string) (string, bool, error) {
	vs := r.Query(name)
	switch len(vs) {
	case 0:
		return "", false, nil
	case 1:
		return vs[0], true, nil
	}
	return "", false, fieldError(name, "must be given once")
}

func setQueryField(field reflect.Value, f reflect.StructField, name, raw string) error {
	switch field.Kind() {
	case reflect.String:
		field.SetString(raw)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, field.Type().Bits())
		if err != nil {
			return fieldError(name, "must be an integer"+bounds(f.Tag.Get("validate")))
		}
		field.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fieldError(name, "must be true or false")
		}
		field.SetBool(b)
	default:
		return fmt.Errorf("apigw: query field %s has unsupported type %s", f.Name, f.Type)
	}
	return nil
}

// bounds renders the min and max of a validate tag as " from 1 to 100".
func bounds(tag string) string {
	var lo, hi string
	for _, rule := range strings.Split(tag, ",") {
		if v, ok := strings.CutPrefix(rule, "min="); ok {
			lo = v
		}
		if v, ok := strings.CutPrefix(rule, "max="); ok {
			hi = v
		}
	}
	switch {
	case lo != "" && hi != "":
		return " from " + lo + " to " + hi
	case lo != "":
		return " of at least " + lo
	case hi != "":
		return " of at most " + hi
	}
	return ""
}

func fieldError(name, reason string) error {
	return &kit.ValidationError{Fields: []kit.FieldError{{Field: name, Reason: reason}}}
}
