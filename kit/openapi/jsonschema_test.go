package openapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestDraft07 checks each difference between OpenAPI 3.0's schemas and
// draft-07 the kit's types meet, on the schemas the document makes.
func TestDraft07(t *testing.T) {
	in := draft07(inputObject(reflect.TypeFor[input](), nil))
	view := ViewSchema(reflect.TypeFor[entity]())
	tests := []struct {
		name string
		s    *JSONSchema
		want string
	}{
		// nullable is a null type, and a null in an enum, once.
		{"nick", in.Properties.Get("nick"), `{"type":["string","null"],"pattern":"\\S","maxLength":200}`},
		{"mode", in.Properties.Get("mode"), `{"type":["string","null"],"enum":["a","b",null]}`},
		{"ptr", view.Properties.Get("ptr"), `{"type":["integer","null"],"format":"int64"}`},
		{"list", view.Properties.Get("list"), `{"type":["array","null"],"items":{"type":"string"}}`},
		// Without a type, null is allowed already.
		{"RawFields", view.Properties.Get("RawFields"), `{}`},
		// An exclusive bound is a number.
		{"count", in.Properties.Get("count"), `{"type":"integer","format":"int32","minimum":0,"exclusiveMaximum":10}`},
		{"score", in.Properties.Get("score"), `{"type":"number","format":"double","exclusiveMinimum":0,"maximum":1}`},
		// Nested schemas are translated too; the rest is the same.
		{"counts", in.Properties.Get("counts"), `{"type":"object","additionalProperties":{"type":"integer","format":"int32","minimum":0,"maximum":9}}`},
		{"total", in.Properties.Get("total"), `{"type":"integer","format":"int64","not":{"enum":[0]}}`},
		{"key", in.Properties.Get("key"), `{"type":"string","pattern":"^[\\x20-\\x7E]*$","allOf":[{"pattern":"\\S"}]}`},
		{"id", view.Properties.Get("id"), `{"type":"string","format":"uuid","readOnly":true,"description":"` + roleNotes["id"] + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.s == nil {
				t.Fatal("no such property")
			}
			got, err := marshal(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
	if got := strings.Join(view.Required, ","); got != strings.Join(entitySchema(reflect.TypeFor[entity]()).Required, ",") {
		t.Errorf("required = %s: the view's own", got)
	}
	if view.AdditionalProperties != false {
		t.Errorf("additionalProperties = %v, want false", view.AdditionalProperties)
	}
}

// TestJSONSchemasAreDraft07 compiles the schemas of every test type with a
// draft-07 validator, which checks them against the draft-07 metaschema,
// and checks that nothing of OpenAPI's dialect is left in them.
func TestJSONSchemasAreDraft07(t *testing.T) {
	for name, s := range map[string]*JSONSchema{
		"value":      ValueSchema(reflect.TypeFor[input]()),
		"entity":     ViewSchema(reflect.TypeFor[entity]()),
		"input body": draft07(inputObject(reflect.TypeFor[input](), nil)),
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte(`"nullable"`)) || bytes.Contains(raw, []byte(`"exclusiveMinimum":true`)) || bytes.Contains(raw, []byte(`"exclusiveMaximum":true`)) {
				t.Errorf("OpenAPI 3.0 keywords left: %s", raw)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			c.DefaultDraft(jsonschema.Draft7)
			if err := c.AddResource("schema.json", doc); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Compile("schema.json"); err != nil {
				t.Errorf("not a draft-07 schema: %v\n%s", err, raw)
			}
		})
	}
}

// TestJSONSchemaValidatesWhatEncodingJSONWrites checks a value's schema
// against the value: a nil pointer and a nil slice are null, an empty
// omitempty field is absent, and anything else is refused.
func TestJSONSchemaValidatesWhatEncodingJSONWrites(t *testing.T) {
	type value struct {
		Name  string   `json:"name"`
		Ptr   *int     `json:"ptr"`
		List  []string `json:"list"`
		Note  string   `json:"note,omitempty"`
		Count uint8    `json:"count"`
	}
	raw, err := marshal(ValueSchema(reflect.TypeFor[value]()))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource("value.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("value.json")
	if err != nil {
		t.Fatal(err)
	}
	n := 3
	for _, tc := range []struct {
		name  string
		json  string
		valid bool
	}{
		{"zero value", mustJSON(t, value{}), true},
		{"set", mustJSON(t, value{Name: "a", Ptr: &n, List: []string{"x"}, Note: "n", Count: 2}), true},
		{"missing name", `{"ptr":null,"list":null,"count":0}`, false},
		{"unknown field", `{"name":"","ptr":null,"list":null,"count":0,"extra":1}`, false},
		{"negative count", `{"name":"","ptr":null,"list":null,"count":-1}`, false},
		{"list of numbers", `{"name":"","ptr":null,"list":[1],"count":0}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(v); (err == nil) != tc.valid {
				t.Errorf("%s: valid = %v, want %v (%v)", tc.json, err == nil, tc.valid, err)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
