package asyncapi_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit/asyncapi/asyncapitest"
	"github.com/lambdakit/lambdakit/kit/event"
)

var occurred = time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)

// sampleEvents are events as the event function would publish them, their
// payloads rendered by the catalog's View, or a custom event's JSON.
func sampleEvents(t *testing.T) map[string]event.Event {
	t.Helper()
	c := catalog(t)
	gadgets, _ := c.Entity("GADGET")
	parts, _ := c.Entity("PART")
	price := 0.5
	gadget, err := gadgets.View(Gadget{ID: "0190a8d2-6f1e-7c3a-9f00-0123456789ab", Name: "Lamp", Discount: &price, Tags: []string{"home"}, CreatedAt: occurred})
	if err != nil {
		t.Fatal(err)
	}
	bare, err := gadgets.View(Gadget{ID: "0190a8d2-6f1e-7c3a-9f00-0123456789ab", Name: "Lamp", CreatedAt: occurred}) // no discount: null
	if err != nil {
		t.Fatal(err)
	}
	part, err := parts.View(Part{ID: "0190a8d2-6f1e-7c3a-9f00-0000000000cd", GadgetID: "0190a8d2-6f1e-7c3a-9f00-0123456789ab", Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	recalled, err := json.Marshal(GadgetRecalled{GadgetID: "0190a8d2-6f1e-7c3a-9f00-0123456789ab", Reason: "sparks", At: occurred})
	if err != nil {
		t.Fatal(err)
	}
	meta := func(name, kind, id, parent string, version int64) event.Metadata {
		return event.Metadata{ID: "ev-" + name, Name: name, OccurredAt: event.FormatTime(occurred), Kind: kind, EntityID: id, ParentID: parent,
			Version: version, Caller: "arn:aws:iam::123456789012:user/alice", RequestID: "req-1", TraceID: "Root=1-abc"}
	}
	updated := meta("GadgetUpdated", "GADGET", "0190a8d2-6f1e-7c3a-9f00-0123456789ab", "", 2)
	updated.Changed = []string{"name", "discount"}
	deleted := meta("PartDeleted", "PART", "0190a8d2-6f1e-7c3a-9f00-0000000000cd", "0190a8d2-6f1e-7c3a-9f00-0123456789ab", 3)
	deleted.CauseID = "ev-GadgetDeleted"
	return map[string]event.Event{
		"created":  {Metadata: meta("GadgetCreated", "GADGET", "0190a8d2-6f1e-7c3a-9f00-0123456789ab", "", 1), Payload: gadget},
		"nullable": {Metadata: meta("GadgetCreated", "GADGET", "0190a8d2-6f1e-7c3a-9f00-0123456789ab", "", 1), Payload: bare},
		"updated":  {Metadata: updated, Payload: gadget},
		"child":    {Metadata: deleted, Payload: part},
		"custom":   {Metadata: event.Metadata{ID: "ev-r", Name: "GadgetRecalled", OccurredAt: event.FormatTime(occurred)}, Payload: recalled},
	}
}

func validator(t *testing.T) *asyncapitest.Validator {
	t.Helper()
	v, err := asyncapitest.NewValidator(document(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValidatorAcceptsEvents(t *testing.T) {
	v := validator(t)
	for name, ev := range sampleEvents(t) {
		t.Run(name, func(t *testing.T) {
			if err := v.Validate(ev); err != nil {
				t.Errorf("%s\n%s", err, detail(t, ev))
			}
		})
	}
}

func TestValidatorRejectsBrokenEvents(t *testing.T) {
	v := validator(t)
	samples := sampleEvents(t)
	for _, tc := range []struct {
		name   string
		sample string
		breaks func(ev *event.Event)
		want   string // in the error: where it fails
	}{
		{"missing metadata.id", "created", func(ev *event.Event) { ev.Metadata.ID = "" }, "'/metadata/id'"},
		{"payload field of the wrong type", "created", func(ev *event.Event) { ev.Payload = setField(t, ev.Payload, "price", `"cheap"`) }, "'/payload/price'"},
		{"payload missing a required field", "created", func(ev *event.Event) { ev.Payload = setField(t, ev.Payload, "name", "") }, "missing property 'name'"},
		{"payload field the view does not have", "created", func(ev *event.Event) { ev.Payload = setField(t, ev.Payload, "pk", `"GADGET#1"`) }, "'pk' not allowed"},
		{"payload time not in the API's format", "created", func(ev *event.Event) {
			ev.Payload = setField(t, ev.Payload, "createdAt", `"2026-03-04T05:06:07.89Z"`)
		}, "'/payload/createdAt'"},
		{"no payload", "created", func(ev *event.Event) { ev.Payload = nil }, "'/payload': got null"},
		{"payload id not a UUID", "created", func(ev *event.Event) { ev.Payload = setField(t, ev.Payload, "id", `"7"`) }, "'/payload/id'"},
		{"occurredAt not a time", "created", func(ev *event.Event) { ev.Metadata.OccurredAt = "yesterday" }, "'/metadata/occurredAt'"},
		{"occurredAt without milliseconds", "created", func(ev *event.Event) { ev.Metadata.OccurredAt = "2026-03-04T05:06:07Z" }, "'/metadata/occurredAt'"},
		{"entity event without a version", "created", func(ev *event.Event) { ev.Metadata.Version = 0 }, "missing property 'version'"},
		{"entity event of another kind", "created", func(ev *event.Event) { ev.Metadata.Kind = "PART" }, "'/metadata/kind'"},
		{"changed on a create", "created", func(ev *event.Event) { ev.Metadata.Changed = []string{"name"} }, "'/metadata/changed'"},
		{"changed names no field", "updated", func(ev *event.Event) { ev.Metadata.Changed = []string{"colour"} }, "'/metadata/changed/0'"},
		{"parentId on a top-level entity", "created", func(ev *event.Event) { ev.Metadata.ParentID = "p" }, "'/metadata/parentId'"},
		{"child without its parentId", "child", func(ev *event.Event) { ev.Metadata.ParentID = "" }, "missing property 'parentId'"},
		{"another message's payload", "child", func(ev *event.Event) { ev.Payload = samples["created"].Payload }, "missing properties 'gadgetId'"},
		{"custom payload field of the wrong type", "custom", func(ev *event.Event) { ev.Payload = setField(t, ev.Payload, "reason", "7") }, "'/payload/reason'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := samples[tc.sample]
			ev.Metadata.Changed = append([]string(nil), ev.Metadata.Changed...)
			tc.breaks(&ev)
			err := v.Validate(ev)
			if err == nil {
				t.Fatalf("accepted:\n%s", detail(t, ev))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("the error does not name %s: %v", tc.want, err)
			}
		})
	}

	t.Run("unknown name", func(t *testing.T) {
		ev := samples["created"]
		ev.Metadata.Name = "GadgetExploded"
		if err := v.Validate(ev); !errors.Is(err, asyncapitest.ErrUnknownEvent) {
			t.Errorf("err = %v, want ErrUnknownEvent", err)
		}
	})
}

func TestNewValidatorRefusesNonDocuments(t *testing.T) {
	for name, doc := range map[string]string{
		"not JSON":           `{"asyncapi":`,
		"broken payload":     `{"components":{"messages":{"A":{"name":"A","payload":{"type":"text"}}}}}`,
		"payload ref absent": `{"components":{"messages":{"A":{"name":"A","payload":{"$ref":"#/components/schemas/Missing"}}}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := asyncapitest.NewValidator([]byte(doc)); err == nil {
				t.Error("compiled")
			}
		})
	}
}

// setField sets (or, with value "", removes) a member of a JSON object.
func setField(t *testing.T, obj json.RawMessage, name, value string) json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		t.Fatal(err)
	}
	if value == "" {
		delete(m, name)
	} else {
		m[name] = json.RawMessage(value)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func detail(t *testing.T, ev event.Event) string {
	t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
