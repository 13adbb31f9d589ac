package resource

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

type viewed struct {
	ID   string    `json:"id" kit:"id"`
	Note string    `json:"note,omitempty"` // always empty: left out of every view below
	At   time.Time `json:"at"`
}

func (viewed) EntityKind() string { return "VIEWED" }
func (v viewed) EntityID() string { return v.ID }

// TestViewConvertsToUTC calls view directly: through the HTTP API every
// time comes from Service.now, already in UTC, so the view's own
// conversion is only observable with a time that did not, such as one a
// service's own command stored.
func TestViewConvertsToUTC(t *testing.T) {
	p, err := newPlan(reflect.TypeFor[viewed](), reflect.TypeFor[struct{}](), reflect.TypeFor[struct{}]())
	if err != nil {
		t.Fatal(err)
	}
	plus2 := time.FixedZone("UTC+2", 2*60*60)
	for _, tc := range []struct {
		name  string
		at    time.Time
		extra []member
		want  string
	}{
		{"whole second in another zone", time.Date(2027, 3, 4, 1, 0, 0, 0, plus2), nil,
			`{"id":"a","at":"2027-03-03T23:00:00.000Z"}`},
		// Formatted, not truncated first: Service.now does the truncating.
		{"sub-millisecond digits are cut, not rounded", time.Date(2027, 3, 4, 1, 0, 0, 999999999, time.UTC), nil,
			`{"id":"a","at":"2027-03-04T01:00:00.999Z"}`},
		{"extra members follow, times in them too", time.Date(2027, 3, 4, 1, 0, 0, 0, time.UTC),
			[]member{{"when", time.Date(2027, 1, 1, 2, 0, 0, 0, plus2)}, {"n", 1}},
			`{"id":"a","at":"2027-03-04T01:00:00.000Z","when":"2027-01-01T00:00:00.000Z","n":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.view(reflect.ValueOf(viewed{ID: "a", At: tc.at}), tc.extra...)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("view = %s, want %s", got, tc.want)
			}
		})
	}
}

// Embedded structs flatten into their parent, as in encoding/json and the
// DynamoDB encoder, so the view and the table name a field alike.
func TestFieldsFlattenEmbedded(t *testing.T) {
	type Audit struct {
		By string `json:"by"`
	}
	type Named struct {
		Audit `json:"audit"` // a JSON name keeps it nested
	}
	type Doc struct {
		ID string `json:"id" kit:"id"`
		Audit
		Named
	}
	var got []string
	for _, f := range fields(reflect.TypeFor[Doc]()) {
		got = append(got, f.name)
	}
	if want := []string{"id", "by", "audit"}; !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	p, err := newPlan(reflect.TypeFor[Doc](), reflect.TypeFor[struct {
		By string `json:"by"`
	}](), reflect.TypeFor[struct{}]())
	if err != nil {
		t.Fatal(err)
	}
	doc := p.build(struct {
		By string `json:"by"`
	}{"ann"}, stamps{id: "1"})
	body, err := p.view(doc)
	if err != nil || string(body) != `{"id":"1","by":"ann","audit":{"by":""}}` {
		t.Errorf("view = %s, %v", body, err)
	}
}
