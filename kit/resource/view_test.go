package resource

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

type (
	label      string
	marshalled string // writes itself, by value
	textual    int    // writes itself as text, by pointer
	Nested     struct {
		Deep string `json:"deep"`
	}
	// shown has a field of every kind view writes itself, and of the kinds
	// it leaves to encoding/json, each with and without omitempty.
	shown struct {
		ID      string      `json:"id" kit:"id"`
		Text    string      `json:"text"`
		Opt     string      `json:"opt,omitempty"`
		Label   label       `json:"label"`
		Marsh   marshalled  `json:"marsh"`
		Textual textual     `json:"textual"`
		Number  json.Number `json:"number"`
		Flag    bool        `json:"flag"`
		OptFlag bool        `json:"optFlag,omitempty"`
		I8      int8        `json:"i8"`
		I64     int64       `json:"i64,omitempty"`
		U8      uint8       `json:"u8"`
		U64     uint64      `json:"u64"`
		F32     float32     `json:"f32"`
		F64     float64     `json:"f64,omitempty"`
		At      time.Time   `json:"at"`
		AtPtr   *time.Time  `json:"atPtr,omitempty"`
		Any     any         `json:"any"`
		List    []string    `json:"list,omitempty"`
		Bytes   []byte      `json:"bytes"`
		Odd     string      `json:"odd<&>\u2028"`
		Nested
	}
)

func (shown) EntityKind() string { return "SHOWN" }
func (s shown) EntityID() string { return s.ID }

func (m marshalled) MarshalJSON() ([]byte, error) { return json.Marshal("m:" + string(m)) }

func (t *textual) MarshalText() ([]byte, error) { return []byte("t"), nil }

// oldView is how view wrote an entity before it wrote values itself:
// every value through encoding/json, a time.Time in TimeFormat. View must
// write the very same bytes.
func oldView(t *testing.T, fs []field, e reflect.Value) (string, error) {
	t.Helper()
	var b strings.Builder
	b.WriteByte('{')
	n := 0
	for _, f := range fs {
		v := e.FieldByIndex(f.index)
		if f.omitEmpty && empty(v) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		key, _ := json.Marshal(f.name)
		b.Write(key)
		b.WriteByte(':')
		if at, ok := v.Interface().(time.Time); ok {
			b.WriteString(`"` + at.UTC().Format(TimeFormat) + `"`)
			continue
		}
		raw, err := json.Marshal(v.Interface())
		if err != nil {
			return "", err
		}
		b.Write(raw)
	}
	b.WriteByte('}')
	return b.String(), nil
}

func TestViewWritesWhatEncodingJSONWrites(t *testing.T) {
	p, err := newPlan(reflect.TypeFor[shown](), reflect.TypeFor[struct{}](), reflect.TypeFor[struct{}]())
	if err != nil {
		t.Fatal(err)
	}
	plus2 := time.FixedZone("UTC+2", 2*60*60)
	at := time.Date(2027, 3, 4, 1, 2, 3, 456789000, plus2)
	strs := []string{"", "plain words", `a "quote"`, `back\slash`, "<b>&amp;</b>", "tab\tnew\nline\r\b\f", "nul\x00\x1f",
		"\x7f", "café", "日本語", "line\u2028sep", "para\u2029sep", "a<b", "a>b", "a&b", `"`, `\`, "bad\xffbyte", "\xc3", "\ufffd", "emoji 🙂", "🙂\xed\xa0\x80"}
	floats := []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 123456.789, 1e20, 1e21, 1e-6, 1e-7, 5e-324, math.MaxFloat64, -1e-9}
	var cases []shown
	for i, s := range strs {
		cases = append(cases, shown{ID: s, Text: s, Opt: s, Label: label(s), Marsh: marshalled(s), Odd: s, Nested: Nested{Deep: s},
			Any: s, Number: json.Number([]string{"", "12", "1.5e3"}[i%3]), Textual: textual(i)})
	}
	for i, x := range floats {
		f32 := float32(x)
		if math.Abs(x) > math.MaxFloat32 {
			f32 = -math.MaxFloat32
		}
		cases = append(cases, shown{F32: f32, F64: x, I8: int8(-128 + i), I64: int64(i) - 3, U8: uint8(255 - i), U64: uint64(i) << 60,
			Flag: i%2 == 0, OptFlag: i%3 == 0})
	}
	cases = append(cases,
		shown{I8: math.MaxInt8, I64: math.MinInt64, U64: math.MaxUint64, At: at, AtPtr: &at, Any: at, List: []string{"x", "<y>"}, Bytes: []byte("raw")},
		shown{I64: math.MaxInt64, Any: map[string]int{"b": 2, "a": 1}, List: []string{}, Bytes: []byte{}},
		shown{At: time.Date(2027, 3, 4, 1, 0, 0, 0, time.UTC), Any: 1.5e-7},
		// Longer than viewString's buffer on the stack.
		shown{Text: strings.Repeat("long ", 400), Opt: strings.Repeat("é<", 300)},
	)
	for _, c := range cases {
		e := reflect.ValueOf(c)
		want, err := oldView(t, p.fields, e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.view(e)
		if err != nil || string(got) != want {
			t.Errorf("view:\n got %s, %v\nwant %s", got, err, want)
		}
		if body, err := p.viewString(e); err != nil || body != want {
			t.Errorf("viewString:\n got %s, %v\nwant %s", body, err, want)
		}
		if !json.Valid(got) {
			t.Errorf("view %s is not valid JSON", got)
		}
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		for _, c := range []shown{{F64: bad}, {F32: float32(bad)}} {
			e := reflect.ValueOf(c)
			_, want := oldView(t, p.fields, e)
			_, err := p.view(e)
			var unsupported *json.UnsupportedValueError
			if !errors.As(err, &unsupported) || !strings.HasSuffix(err.Error(), want.Error()) {
				t.Errorf("view of %v = %v, want encoding/json's error %v", bad, err, want)
			}
		}
	}
}
