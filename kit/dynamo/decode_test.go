package dynamo_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// flat is an entity of every kind of field the decode plan takes.
type flat struct {
	ID     string    `json:"id"`
	Label  label     `json:"label,omitempty"`
	Count  int       `json:"count"`
	Small  int8      `json:"small"`
	Big    uint64    `json:"big"`
	Ratio  float64   `json:"ratio"`
	Ok     bool      `json:"ok"`
	At     time.Time `json:"at"`
	Hidden string    `json:"-"`
	Plain  string
}

type label string

func (flat) EntityKind() string { return "FLAT" }
func (f flat) EntityID() string { return f.ID }

// TestDecodePlanMatchesAttributeValue decodes the same items with the
// planned decoder and with the SDK's, for flat types (planned) and others
// (left to the SDK), and wants the same entities and the same refusals.
func TestDecodePlanMatchesAttributeValue(t *testing.T) {
	at := time.Date(2026, 11, 28, 15, 4, 5, 120e6, time.UTC)
	var c dynamo.Accesses
	for _, e := range []kit.Entity{
		flat{ID: "a", Label: "x", Count: -3, Small: 7, Big: 1 << 60, Ratio: 3.7, Ok: true, At: at, Plain: "p"},
		flat{ID: "zero"},
		repotest.Book{ID: "b", Title: "t", Genre: "g", ISBN: "i", Owner: "o", Reads: 2, At: at},
		repotest.Note{ID: "n", Name: "name", Status: "open", Size: 3, Data: []string{"a"}, At: at},
	} {
		item, err := dynamo.EncodeEntity(e)
		if err != nil {
			t.Fatal(err)
		}
		item["_version"] = &types.AttributeValueMemberN{Value: "3"} // kit attributes are ignored
		typ := reflect.TypeOf(e)
		want, werr := dynamo.DecodeEntity(typ, item)
		got, gerr := c.Decode(typ, item)
		if werr != nil || gerr != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(got, e) {
			t.Errorf("%T: planned %+v (%v), SDK %+v (%v), want %+v", e, got, gerr, want, werr, e)
		}
	}
	for name, item := range map[string]map[string]types.AttributeValue{
		"a string for a number": {"count": &types.AttributeValueMemberS{Value: "3"}},
		"a bad time":            {"at": &types.AttributeValueMemberS{Value: "yesterday"}},
		"an overflow":           {"small": &types.AttributeValueMemberN{Value: "300"}},
		"a list for a string":   {"id": &types.AttributeValueMemberL{}},
	} {
		_, werr := dynamo.DecodeEntity(reflect.TypeFor[flat](), item)
		_, gerr := c.Decode(reflect.TypeFor[flat](), item)
		if werr == nil || gerr == nil {
			t.Errorf("%s: planned %v, SDK %v; want both refused", name, gerr, werr)
		}
	}
	if e, err := c.Decode(reflect.TypeFor[flat](), map[string]types.AttributeValue{"id": &types.AttributeValueMemberN{Value: "3"}}); err != nil || e != (flat{ID: "3"}) {
		t.Errorf("a number for a string: %+v, %v; want its digits, as the SDK decodes it", e, err)
	}
	if e, err := c.Decode(reflect.TypeFor[flat](), map[string]types.AttributeValue{"label": &types.AttributeValueMemberNULL{Value: true}}); err != nil || e != (flat{}) {
		t.Errorf("a NULL attribute: %+v, %v; want the zero value", e, err)
	}
}
