package asyncapi_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/asyncapi"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/openapi"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// Gadget is a top-level entity with a field of each shape a view can
// have: required, omitted when empty, nullable, a time, a list.
type Gadget struct {
	ID        string    `json:"id" kit:"id"`
	Name      string    `json:"name"`
	Note      string    `json:"note,omitempty"`
	Price     float64   `json:"price"`
	Discount  *float64  `json:"discount"`
	Tags      []string  `json:"tags,omitempty"`
	CreatedAt time.Time `json:"createdAt" kit:"created"`
}

func (Gadget) EntityKind() string { return "GADGET" }
func (g Gadget) EntityID() string { return g.ID }

// Part is a child entity, stored under its gadget.
type Part struct {
	ID       string `json:"id" kit:"id"`
	GadgetID string `json:"gadgetId" kit:"parent"`
	Count    int    `json:"count"`
}

func (Part) EntityKind() string { return "PART" }
func (p Part) EntityID() string { return p.ID }
func (Part) ParentKind() string { return "GADGET" }

// GadgetRecalled is a custom event.
type GadgetRecalled struct {
	GadgetID string    `json:"gadgetId"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
	Batches  []int     `json:"batches,omitempty"`
}

// viewGadget renders a gadget as the API does: its time in
// event.TimeFormat.
func viewGadget(e kit.Entity) (json.RawMessage, error) {
	g := e.(Gadget)
	return json.Marshal(struct {
		Gadget
		CreatedAt string `json:"createdAt"`
	}{g, event.FormatTime(g.CreatedAt)})
}

func viewPart(e kit.Entity) (json.RawMessage, error) { return json.Marshal(e) }

func catalog(t *testing.T) *event.Catalog {
	t.Helper()
	c := event.NewCatalog()
	if err := c.AddEntity(event.Entity{Kind: "GADGET", Type: reflect.TypeFor[Gadget](), View: viewGadget}); err != nil {
		t.Fatal(err)
	}
	if err := c.AddEntity(event.Entity{Kind: "PART", ParentKind: "GADGET", Type: reflect.TypeFor[Part](), View: viewPart}); err != nil {
		t.Fatal(err)
	}
	if err := event.Declare[GadgetRecalled](c); err != nil {
		t.Fatal(err)
	}
	return c
}

var testInfo = asyncapi.Info{Title: "Gadgets events", Version: "1.0.0", Bus: "gadgets-test", Source: "gadgets"}

func document(t *testing.T) []byte {
	t.Helper()
	doc, err := asyncapi.Document(catalog(t), testInfo)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// jsonDoc is the generated document read back as plain JSON.
type jsonDoc map[string]any

func (d jsonDoc) at(t *testing.T, path ...string) any {
	t.Helper()
	var v any = map[string]any(d)
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not an object at %q", strings.Join(path, "/"), p)
		}
		if v, ok = m[p]; !ok {
			t.Fatalf("no %s", strings.Join(path, "/"))
		}
	}
	return v
}

func compact(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// canonical rewrites JSON text with its keys sorted, as compact writes a
// value read back from the document.
func canonical(t *testing.T, text string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return compact(t, v)
}

func TestDocumentHasOneMessagePerEvent(t *testing.T) {
	raw := document(t)
	var d jsonDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if got := d.at(t, "asyncapi"); got != "3.0.0" {
		t.Errorf("asyncapi = %v", got)
	}
	if got := d.at(t, "channels", "events", "address"); got != testInfo.Bus {
		t.Errorf("channel address = %v, want the bus %s", got, testInfo.Bus)
	}
	if got := d.at(t, "operations", "publishEvent", "action"); got != "send" {
		t.Errorf("operation action = %v, want send", got)
	}

	names := catalog(t).Names()
	want := []string{"GadgetCreated", "GadgetUpdated", "GadgetDeleted", "PartCreated", "PartUpdated", "PartDeleted", "GadgetRecalled"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("catalog names = %v, want %v", names, want)
	}
	var opMessages []string
	for _, m := range d.at(t, "operations", "publishEvent", "messages").([]any) {
		opMessages = append(opMessages, m.(map[string]any)["$ref"].(string))
	}
	if len(d.at(t, "components", "messages").(map[string]any)) != len(names) || len(opMessages) != len(names) {
		t.Errorf("%d messages, %d in the operation, want %d", len(d.at(t, "components", "messages").(map[string]any)), len(opMessages), len(names))
	}
	for i, name := range names {
		if i < len(opMessages) && opMessages[i] != "#/channels/events/messages/"+name {
			t.Errorf("operation message %d = %s, want %s's", i, opMessages[i], name)
		}
		if got := d.at(t, "channels", "events", "messages", name, "$ref"); got != "#/components/messages/"+name {
			t.Errorf("channel message %s = %v", name, got)
		}
		if got := d.at(t, "components", "messages", name, "name"); got != name {
			t.Errorf("message %s is named %v", name, got)
		}
		metadata := compact(t, d.at(t, "components", "messages", name, "payload", "properties", "metadata"))
		if !strings.Contains(metadata, `"name":{"const":"`+name+`"}`) {
			t.Errorf("%s: metadata does not fix its name: %s", name, metadata)
		}
	}

	// Shared schemas are components, referenced from each message.
	for name, payload := range map[string]string{
		"GadgetCreated": "Gadget", "GadgetUpdated": "Gadget", "PartDeleted": "Part", "GadgetRecalled": "GadgetRecalled",
	} {
		if got := d.at(t, "components", "messages", name, "payload", "properties", "payload", "$ref"); got != "#/components/schemas/"+payload {
			t.Errorf("%s payload = %v, want the %s schema", name, got, payload)
		}
	}
	for name, constraint := range map[string]string{
		"GadgetCreated": `{"allOf":[{"$ref":"#/components/schemas/EventMetadata"},{"properties":{"name":{"const":"GadgetCreated"},"kind":{"const":"GADGET"},
			"changed":{"description":"Absent: only an update changes fields.","not":{}},"parentId":{"description":"Absent: Gadget is not stored under a parent.","not":{}}},
			"required":["kind","entityId","version"]}]}`,
		"GadgetUpdated": `{"allOf":[{"$ref":"#/components/schemas/EventMetadata"},{"properties":{"name":{"const":"GadgetUpdated"},"kind":{"const":"GADGET"},
			"changed":{"items":{"enum":["id","name","note","price","discount","tags","createdAt"]}},"parentId":{"description":"Absent: Gadget is not stored under a parent.","not":{}}},
			"required":["kind","entityId","version"]}]}`,
		"PartDeleted": `{"allOf":[{"$ref":"#/components/schemas/EventMetadata"},{"properties":{"name":{"const":"PartDeleted"},"kind":{"const":"PART"},
			"changed":{"description":"Absent: only an update changes fields.","not":{}}},"required":["kind","entityId","version","parentId"]}]}`,
		"GadgetRecalled": `{"allOf":[{"$ref":"#/components/schemas/EventMetadata"},{"properties":{"name":{"const":"GadgetRecalled"},
			"changed":{"description":"Absent: only an update changes fields.","not":{}}}}]}`,
	} {
		if got := compact(t, d.at(t, "components", "messages", name, "payload", "properties", "metadata")); got != canonical(t, constraint) {
			t.Errorf("%s metadata:\n got %s\nwant %s", name, got, constraint)
		}
	}

	metadata := d.at(t, "components", "schemas", "EventMetadata").(map[string]any)
	if got := compact(t, metadata["required"]); got != `["id","name","occurredAt"]` {
		t.Errorf("EventMetadata requires %s, want id, name and occurredAt", got)
	}
	for name, p := range metadata["properties"].(map[string]any) {
		if p.(map[string]any)["description"] == nil {
			t.Errorf("EventMetadata.%s has no description", name)
		}
	}
	if got := compact(t, d.at(t, "components", "schemas", "GadgetRecalled")); got != canonical(t,
		`{"type":"object","description":"The payload of GadgetRecalled.","properties":{"gadgetId":{"type":"string"},"reason":{"type":"string"},"at":{"type":"string","format":"date-time"},"batches":{"type":"array","items":{"type":"integer","format":"int64"}}},"required":["gadgetId","reason","at"],"additionalProperties":false}`) {
		t.Errorf("GadgetRecalled schema = %s", got)
	}
}

// TestEntityPayloadIsTheAPIView checks that an entity's event payload is
// the schema the OpenAPI document gives the entity's responses: the same
// properties, the same required ones, the same types and formats, with
// OpenAPI's nullable written as draft-07's null type.
func TestEntityPayloadIsTheAPIView(t *testing.T) {
	op := resource.Operation{Method: "GET", Path: "/gadgets/{id}", Kind: resource.OpGet, Entity: reflect.TypeFor[Gadget](), EntityKind: "GADGET", Collection: "gadgets"}
	oraw, err := openapi.Document(openapi.Info{Title: "t", Version: "1"}, []resource.Operation{op}, []string{"GET /gadgets/{id}"})
	if err != nil {
		t.Fatal(err)
	}
	var o, a jsonDoc
	if err := json.Unmarshal(oraw, &o); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(document(t), &a); err != nil {
		t.Fatal(err)
	}
	api := o.at(t, "components", "schemas", "Gadget").(map[string]any)
	ev := a.at(t, "components", "schemas", "Gadget").(map[string]any)
	if compact(t, api["required"]) != compact(t, ev["required"]) {
		t.Errorf("required: API %s, event %s", compact(t, api["required"]), compact(t, ev["required"]))
	}
	if compact(t, ev["required"]) != `["id","name","price","discount","createdAt"]` {
		t.Errorf("required = %s: the omitempty fields note and tags must not be", compact(t, ev["required"]))
	}
	if ev["additionalProperties"] != false {
		t.Error("the payload allows unknown fields")
	}
	apiProps, evProps := api["properties"].(map[string]any), ev["properties"].(map[string]any)
	if len(apiProps) != len(evProps) {
		t.Errorf("%d properties in the API, %d in the event", len(apiProps), len(evProps))
	}
	for name, p := range apiProps {
		want := p.(map[string]any)
		if want["nullable"] == true {
			want["type"] = []any{want["type"], "null"}
			delete(want, "nullable")
		}
		if got := compact(t, evProps[name]); got != compact(t, want) {
			t.Errorf("%s: event %s, API %s", name, got, compact(t, want))
		}
	}
	if got := compact(t, evProps["discount"]); got != canonical(t, `{"type":["number","null"],"format":"double"}`) {
		t.Errorf("discount = %s, want a nullable number", got)
	}
}

func TestDocumentIsStable(t *testing.T) {
	first, second := document(t), document(t)
	if string(first) != string(second) {
		t.Error("two documents of one catalog differ")
	}
}

func TestDocumentRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		info asyncapi.Info
		want string
	}{
		{"no bus", asyncapi.Info{Title: "t", Version: "1", Source: "s"}, "Bus"},
		{"no title or source", asyncapi.Info{Version: "1", Bus: "b"}, "Title, Source"},
		{"blank version", asyncapi.Info{Title: "t", Version: " ", Bus: "b", Source: "s"}, "Version"},
		{"braces in the bus", asyncapi.Info{Title: "t", Version: "1", Bus: "bus-{stage}", Source: "s"}, "braces"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := asyncapi.Document(catalog(t), tc.info)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one naming %s", err, tc.want)
			}
		})
	}
	t.Run("entity type not a struct", func(t *testing.T) {
		c := event.NewCatalog()
		if err := c.AddEntity(event.Entity{Kind: "X", Type: reflect.TypeFor[int]()}); err != nil {
			t.Fatal(err)
		}
		if _, err := asyncapi.Document(c, testInfo); err == nil {
			t.Error("an entity of type int documented")
		}
	})
}
