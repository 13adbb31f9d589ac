package openapi

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit/idempotency"
)

// input has a field for each way a validate tag maps to a schema.
type input struct {
	Name     string            `json:"name" validate:"required,notblank,max=200"`
	Nick     *string           `json:"nick" validate:"omitnil,notblank,max=200"`
	Code     string            `json:"code" validate:"omitempty,len=3"`
	Rating   *int              `json:"rating" validate:"required,min=1,max=5"`
	Count    int32             `json:"count" validate:"gte=0,lt=10"`
	Score    float64           `json:"score" validate:"gt=0,lte=1"`
	Size     int8              `json:"size" validate:"oneof=1 2 3"`
	Status   string            `json:"status" validate:"oneof=open 'on hold'"`
	Mode     *string           `json:"mode" validate:"omitnil,oneof=a b"`
	Email    string            `json:"email" validate:"omitempty,email"`
	Ref      string            `json:"ref" validate:"uuid4"`
	Site     string            `json:"site" validate:"url"`
	Tags     []string          `json:"tags" validate:"max=5,dive,notblank,max=20"`
	Labels   []string          `json:"labels" validate:"min=1"`
	Key      string            `json:"key" validate:"printascii,notblank"`
	Short    string            `json:"short" validate:"gt=2,lt=9"`
	Flag     bool              `json:"flag"`
	When     time.Time         `json:"when" validate:"required"`
	Total    int               `json:"total" validate:"required"`
	Either   string            `json:"either" validate:"email|url"`
	Blob     []byte            `json:"blob"`
	Counts   map[string]uint16 `json:"counts" validate:"dive,max=9"`
	Amount   int64             `json:"amount,string"`
	Unknown  string            `json:"unknown" validate:"startsnotwith=x"`
	Nested   nested            `json:"nested"`
	Skipped  string            `json:"-"`
	internal string            //nolint:unused // not a JSON field: it must not show
	Embedded
}

type nested struct {
	A string `json:"a" validate:"required"`
}

// Embedded contributes its fields in its place, as encoding/json does.
type Embedded struct {
	Inner float32 `json:"inner" validate:"min=-1.5"`
}

func TestInputSchemaFromTags(t *testing.T) {
	s := inputObject(reflect.TypeFor[input](), nil)
	tests := []struct {
		field    string
		want     string
		required bool
	}{
		{"name", `{"type":"string","pattern":"\\S","minLength":1,"maxLength":200}`, true},
		{"nick", `{"type":"string","nullable":true,"pattern":"\\S","maxLength":200}`, false},
		{"code", `{"type":"string","minLength":3,"maxLength":3}`, false},
		{"rating", `{"type":"integer","format":"int64","minimum":1,"maximum":5}`, true},
		{"count", `{"type":"integer","format":"int32","minimum":0,"maximum":10,"exclusiveMaximum":true}`, false},
		{"score", `{"type":"number","format":"double","minimum":0,"exclusiveMinimum":true,"maximum":1}`, false},
		{"size", `{"type":"integer","format":"int32","enum":[1,2,3]}`, false},
		{"status", `{"type":"string","enum":["open","on hold"]}`, false},
		{"mode", `{"type":"string","nullable":true,"enum":["a","b",null]}`, false},
		{"email", `{"type":"string","format":"email"}`, false},
		{"ref", `{"type":"string","format":"uuid"}`, false},
		{"site", `{"type":"string","format":"uri"}`, false},
		{"tags", `{"type":"array","maxItems":5,"items":{"type":"string","pattern":"\\S","maxLength":20}}`, false},
		{"labels", `{"type":"array","minItems":1,"items":{"type":"string"}}`, false},
		{"key", `{"type":"string","pattern":"^[\\x20-\\x7E]*$","allOf":[{"pattern":"\\S"}]}`, false},
		{"short", `{"type":"string","minLength":3,"maxLength":8}`, false},
		{"flag", `{"type":"boolean"}`, false},
		{"when", `{"type":"string","format":"date-time"}`, true},
		{"total", `{"type":"integer","format":"int64","not":{"enum":[0]}}`, true},
		{"either", `{"type":"string"}`, false},
		{"blob", `{"type":"string","format":"byte"}`, false},
		{"counts", `{"type":"object","additionalProperties":{"type":"integer","format":"int32","minimum":0,"maximum":9}}`, false},
		{"amount", `{"type":"string","description":"An integer, written as a JSON string."}`, false},
		{"unknown", `{"type":"string"}`, false},
		{"nested", `{"type":"object","properties":{"a":{"type":"string","minLength":1}},"required":["a"],"additionalProperties":false}`, false},
		{"inner", `{"type":"number","format":"float","minimum":-1.5}`, false},
	}
	if len(s.Properties) != len(tests) {
		var names []string
		for _, p := range s.Properties {
			names = append(names, p.name)
		}
		t.Errorf("properties %v: want the %d JSON fields", names, len(tests))
	}
	for i, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			if i >= len(s.Properties) || s.Properties[i].name != tt.field {
				t.Fatalf("property %d is not %s: the order must be the fields'", i, tt.field)
			}
			got, err := marshal(s.Properties[i].schema)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("schema\n got %s\nwant %s", got, tt.want)
			}
			if required := contains(s.Required, tt.field); required != tt.required {
				t.Errorf("required = %v, want %v", required, tt.required)
			}
		})
	}
	if s.AdditionalProperties != false {
		t.Errorf("additionalProperties = %v: bodies are strict, want false", s.AdditionalProperties)
	}
}

// entity has a field for each way a view shows a field.
type entity struct {
	ID        string    `json:"id" kit:"id"`
	Parent    string    `json:"parentId" kit:"parent"`
	Name      string    `json:"name" kit:"immutable"`
	Note      string    `json:"note,omitempty"`
	Author    string    `json:"author,omitempty" kit:"caller"`
	Ptr       *int      `json:"ptr"`
	List      []string  `json:"list"`
	Created   time.Time `json:"created" kit:"created"`
	Updated   time.Time `json:"updated,omitempty" kit:"updated"`
	Next      *entity   `json:"next,omitempty"`
	Anything  any       `json:"anything,omitempty"`
	RawFields json.RawMessage
}

func TestEntitySchema(t *testing.T) {
	s := entitySchema(reflect.TypeFor[entity]())
	tests := []struct {
		field    string
		want     string
		required bool
	}{
		{"id", `{"type":"string","format":"uuid","readOnly":true,"description":"` + roleNotes["id"] + `"}`, true},
		{"parentId", `{"type":"string","format":"uuid","readOnly":true,"description":"` + roleNotes["parent"] + `"}`, true},
		{"name", `{"type":"string","description":"` + roleNotes["immutable"] + `"}`, true},
		{"note", `{"type":"string"}`, false},
		{"author", `{"type":"string","readOnly":true,"description":"` + roleNotes["caller"] + `"}`, false},
		{"ptr", `{"type":"integer","format":"int64","nullable":true}`, true},
		{"list", `{"type":"array","nullable":true,"items":{"type":"string"}}`, true},
		{"created", `{"type":"string","format":"date-time","readOnly":true,"description":"When it was created. UTC with milliseconds, as 2006-01-02T15:04:05.000Z.","pattern":"` + strings.ReplaceAll(timePattern, `\`, `\\`) + `"}`, true},
		// omitempty never leaves out a struct: a time is always there.
		{"updated", `{"type":"string","format":"date-time","readOnly":true,"description":"When it was last written. UTC with milliseconds, as 2006-01-02T15:04:05.000Z.","pattern":"` + strings.ReplaceAll(timePattern, `\`, `\\`) + `"}`, true},
		// A recursive type ends in a plain object.
		{"next", `{"type":"object"}`, false},
		{"anything", `{}`, false},
		{"RawFields", `{"nullable":true}`, true},
	}
	for i, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			if i >= len(s.Properties) || s.Properties[i].name != tt.field {
				t.Fatalf("property %d is not %s", i, tt.field)
			}
			got, err := marshal(s.Properties[i].schema)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("schema\n got %s\nwant %s", got, tt.want)
			}
			if required := contains(s.Required, tt.field); required != tt.required {
				t.Errorf("required = %v, want %v", required, tt.required)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestIdempotencyKeyPattern keeps the documented pattern the check the
// router makes.
func TestIdempotencyKeyPattern(t *testing.T) {
	re := regexp.MustCompile(idempotencyKeyPattern)
	for _, key := range []string{"", "a", "order-7f3a", "two words", "clé", "tab\t", "~!", strings.Repeat("k", 255), strings.Repeat("k", 256), "\x7f"} {
		if got, want := re.MatchString(key), idempotency.ValidKey(key); got != want {
			t.Errorf("pattern matches %q: %v, but idempotency.ValidKey says %v", key, got, want)
		}
	}
}

func TestWords(t *testing.T) {
	tests := []struct{ in, camel, prose string }{
		{"PRODUCT", "Product", "product"},
		{"ORDER_LINE", "OrderLine", "order line"},
		{"order-lines", "OrderLines", "order lines"},
		{"OrderLine", "OrderLine", "order line"},
		{"reviews", "Reviews", "reviews"},
	}
	for _, tt := range tests {
		if got := words(tt.in, ""); got != tt.camel {
			t.Errorf("words(%q, \"\") = %q, want %q", tt.in, got, tt.camel)
		}
		if got := words(tt.in, " "); got != tt.prose {
			t.Errorf("words(%q, \" \") = %q, want %q", tt.in, got, tt.prose)
		}
	}
}
