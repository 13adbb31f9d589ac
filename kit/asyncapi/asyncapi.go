// Package asyncapi writes the AsyncAPI 3.0.0 document of the events a
// service built on the kit raises, from its event.Catalog: one channel (the
// service's EventBridge bus), one send operation, and one message per
// event, whose payload is the JSON Schema of the EventBridge detail the
// event function puts on the bus.
//
// An entity event's payload is the schema the OpenAPI document gives the
// entity's responses, made by the same generator (kit/openapi), so the two
// documents cannot disagree about what an entity looks like. Schemas use
// AsyncAPI's default schema format, a superset of JSON Schema draft-07, and
// stay within draft-07, so any JSON Schema validator can check events
// against them; Validator does.
package asyncapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/openapi"
)

// Info names the document and says where the events go.
type Info struct {
	// Title and Version name the document, as the OpenAPI document's info
	// does the API.
	Title, Version string
	// Description is the document's own; the document adds how events
	// travel.
	Description string
	// Bus is the name of the EventBridge custom bus the events are put on:
	// the channel's address.
	Bus string
	// Source is every entry's Source: the service name.
	Source string
}

// The document's fixed names.
const (
	channelName   = "events"
	operationName = "publishEvent"
	metadataName  = "EventMetadata"
	contentType   = "application/json"
	schemasPrefix = "#/components/schemas/"
)

// timePattern is event.TimeFormat as a pattern: UTC with three digits of
// milliseconds, as the API writes its times.
const timePattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$`

// document is an AsyncAPI Object, the subset one bus needs.
type document struct {
	AsyncAPI           string                `json:"asyncapi"`
	Info               info                  `json:"info"`
	DefaultContentType string                `json:"defaultContentType"`
	Channels           map[string]*channel   `json:"channels"`
	Operations         map[string]*operation `json:"operations"`
	Components         components            `json:"components"`
}

type info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

type channel struct {
	Address     string               `json:"address"`
	Title       string               `json:"title,omitempty"`
	Description string               `json:"description,omitempty"`
	Messages    map[string]reference `json:"messages"`
}

type operation struct {
	Action      string      `json:"action"`
	Channel     reference   `json:"channel"`
	Title       string      `json:"title,omitempty"`
	Description string      `json:"description,omitempty"`
	Messages    []reference `json:"messages"`
}

type reference struct {
	Ref string `json:"$ref"`
}

type components struct {
	Schemas  map[string]*openapi.JSONSchema `json:"schemas"`
	Messages map[string]*message            `json:"messages"`
}

type message struct {
	Name        string              `json:"name"`
	Title       string              `json:"title,omitempty"`
	Summary     string              `json:"summary,omitempty"`
	Description string              `json:"description,omitempty"`
	ContentType string              `json:"contentType"`
	Payload     *openapi.JSONSchema `json:"payload"`
}

// Document returns the AsyncAPI 3.0.0 document, as indented JSON, of the
// events catalog c lists, in the order it lists them. The output is the
// same for the same input, so it can be checked in and diffed.
func Document(c *event.Catalog, info Info) ([]byte, error) {
	if err := info.check(); err != nil {
		return nil, err
	}
	for _, name := range c.Names() {
		if !componentName.MatchString(name) {
			return nil, fmt.Errorf("asyncapi: event name %q is not a valid message name", name)
		}
	}
	g := newGenerator(info)
	for _, e := range c.Entities() {
		if err := g.entity(e); err != nil {
			return nil, err
		}
	}
	for _, t := range c.Customs() {
		g.custom(t)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // patterns read as written
	enc.SetIndent("", "  ")
	if err := enc.Encode(g.doc); err != nil {
		return nil, fmt.Errorf("asyncapi: encode: %w", err)
	}
	return b.Bytes(), nil
}

// check refuses an Info that would leave the document without a name or
// the bus without an address.
func (i Info) check() error {
	var missing []string
	for _, f := range []struct{ name, value string }{{"Title", i.Title}, {"Version", i.Version}, {"Bus", i.Bus}, {"Source", i.Source}} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("asyncapi: Info needs %s", strings.Join(missing, ", "))
	}
	if strings.ContainsAny(i.Bus, "{}") {
		// A channel address's {braces} are parameters, which the document
		// does not declare.
		return fmt.Errorf("asyncapi: bus name %q has braces", i.Bus)
	}
	return nil
}

type generator struct {
	doc     *document
	channel *channel
	op      *operation
	source  string
	names   map[reflect.Type]string // the component schema of each Go type
}

func newGenerator(i Info) *generator {
	ch := &channel{
		Address: i.Bus,
		Title:   "Event bus",
		Description: fmt.Sprintf("The service's Amazon EventBridge custom bus. Each message is the Detail of one entry, "+
			"whose Source is %q and whose DetailType is the message's name. Delivery is at least once and unordered: "+
			"a consumer deduplicates by metadata.id and orders an entity's events by metadata.version.", i.Source),
		Messages: map[string]reference{},
	}
	op := &operation{
		Action:      "send",
		Channel:     reference{"#/channels/" + channelName},
		Title:       "Publish an event",
		Description: "The event function derives each event from the table's stream, after its write has committed, and puts it on the bus with PutEvents.",
		Messages:    []reference{},
	}
	metadata := openapi.ValueSchema(reflect.TypeFor[event.Metadata]())
	describeMetadata(metadata)
	return &generator{
		doc: &document{
			AsyncAPI:           "3.0.0",
			Info:               info{Title: i.Title, Version: i.Version, Description: i.Description},
			DefaultContentType: contentType,
			Channels:           map[string]*channel{channelName: ch},
			Operations:         map[string]*operation{operationName: op},
			Components: components{
				Schemas:  map[string]*openapi.JSONSchema{metadataName: metadata},
				Messages: map[string]*message{},
			},
		},
		channel: ch,
		op:      op,
		source:  i.Source,
		names:   map[reflect.Type]string{},
	}
}

// metadataNotes describe Metadata's fields, as its Go comments do.
var metadataNotes = map[string]string{
	"id":         "Unique per event and the same on every delivery of it: consumers deduplicate by it.",
	"name":       "The event's name, the entry's DetailType.",
	"occurredAt": "When the write that raised the event was made: UTC with milliseconds, as " + event.TimeFormat + ".",
	"kind":       "The kind of the entity the event is about.",
	"entityId":   "The id of the entity the event is about.",
	"parentId":   "The id of the entity's parent, for an entity stored under one.",
	"version":    "The entity's version after the write; for a delete, one more than its last. Events of one entity are ordered by it.",
	"changed":    "The fields an update changed, by their API names, in the entity's field order.",
	"caller":     "The IAM identity API Gateway verified for the request that caused the event.",
	"requestId":  "The API Gateway request id of the request that caused the event.",
	"traceId":    "The X-Ray trace id of the request that caused the event.",
	"causeId":    "The id of the event that caused this one: a parent's delete for each child it removes, or the event a consumer handled when it wrote.",
}

// describeMetadata adds to Metadata's schema what its Go type cannot say.
func describeMetadata(s *openapi.JSONSchema) {
	s.Description = "What happened, to what, when and because of whom: the same for every event."
	for _, p := range s.Properties {
		p.Schema.Description = metadataNotes[p.Name]
	}
	if id := s.Properties.Get("id"); id != nil {
		id.MinLength = ptr(1)
	}
	if at := s.Properties.Get("occurredAt"); at != nil {
		at.Format, at.Pattern = "date-time", timePattern
	}
	if v := s.Properties.Get("version"); v != nil {
		v.Minimum = ptr(1.0)
	}
}

// entity adds an entity's three events.
func (g *generator) entity(e event.Entity) error {
	if e.Type == nil || e.Type.Kind() != reflect.Struct || e.Type.Name() == "" {
		return fmt.Errorf("asyncapi: entity %s: its type is not a named struct", e.Kind)
	}
	view := g.schema(e.Type, func() *openapi.JSONSchema {
		s := openapi.ViewSchema(e.Type)
		s.Description = e.Type.Name() + ", as the API shows it."
		return s
	})
	var fields []any
	for _, p := range g.doc.Components.Schemas[view].Properties {
		fields = append(fields, p.Name)
	}
	for _, what := range []string{event.Created, event.Updated, event.Deleted} {
		name := e.Name(what)
		constraints := &openapi.JSONSchema{
			Properties: openapi.Properties{
				{Name: "name", Schema: &openapi.JSONSchema{Const: name}},
				{Name: "kind", Schema: &openapi.JSONSchema{Const: e.Kind}},
			},
			Required: []string{"kind", "entityId", "version"},
		}
		if what == event.Updated {
			constraints.Properties = append(constraints.Properties, openapi.Property{Name: "changed", Schema: &openapi.JSONSchema{
				Items: &openapi.JSONSchema{Enum: fields}, // the view's fields, by their API names
			}})
		} else {
			constraints.Properties = append(constraints.Properties, absent("changed", "only an update changes fields"))
		}
		if e.ParentKind != "" {
			constraints.Required = append(constraints.Required, "parentId")
		} else {
			constraints.Properties = append(constraints.Properties, absent("parentId", e.Type.Name()+" is not stored under a parent"))
		}
		summary, description := entityText(e, what)
		g.message(name, summary, description, metadataOf(constraints), ref(view))
	}
	return nil
}

// entityText is the summary and description of an entity's event.
func entityText(e event.Entity, what string) (summary, description string) {
	n := e.Type.Name()
	switch what {
	case event.Created:
		return n + " created.", "Raised by every successful create. The payload is the " + n + " as the API shows it after the write."
	case event.Updated:
		return n + " updated.", "Raised by every successful update. The payload is the " + n + " as the API shows it after the write; metadata.changed lists the fields the update changed."
	default:
		description = "Raised by every successful delete"
		if e.ParentKind != "" {
			description += ", and for each one its parent's delete removes (metadata.causeId then names the parent's event)"
		}
		return n + " deleted.", description + ". The payload is the " + n + " as it was before the delete."
	}
}

// custom adds a custom event: its payload is the event type's JSON.
func (g *generator) custom(t reflect.Type) {
	payload := g.schema(t, func() *openapi.JSONSchema {
		s := openapi.ValueSchema(t)
		s.Description = "The payload of " + t.Name() + "."
		return s
	})
	constraints := &openapi.JSONSchema{Properties: openapi.Properties{
		{Name: "name", Schema: &openapi.JSONSchema{Const: t.Name()}},
		absent("changed", "only an update changes fields"),
	}}
	g.message(t.Name(), t.Name()+".",
		"Raised by the service's own handlers, committed with their writes. The payload is the event as its Go type "+t.Name()+" writes it in JSON.",
		metadataOf(constraints), ref(payload))
}

// metadataOf is the metadata of one event: EventMetadata, with the
// event's own constraints.
func metadataOf(constraints *openapi.JSONSchema) *openapi.JSONSchema {
	return &openapi.JSONSchema{AllOf: []*openapi.JSONSchema{ref(metadataName), constraints}}
}

// absent is a property an event never has: {"not": {}} matches nothing, as
// draft-07's false schema does, and a validator's error names the property.
func absent(name, why string) openapi.Property {
	return openapi.Property{Name: name, Schema: &openapi.JSONSchema{Description: "Absent: " + why + ".", Not: &openapi.JSONSchema{}}}
}

// message adds one event's message: the detail, metadata and payload.
func (g *generator) message(name, summary, description string, metadata, payload *openapi.JSONSchema) {
	g.doc.Components.Messages[name] = &message{
		Name:        name,
		Title:       name,
		Summary:     summary,
		Description: description,
		ContentType: contentType,
		Payload: &openapi.JSONSchema{
			Type:                 openapi.Types{"object"},
			Description:          "The EventBridge detail of " + name + ", from source " + strconv.Quote(g.source) + ".",
			Properties:           openapi.Properties{{Name: "metadata", Schema: metadata}, {Name: "payload", Schema: payload}},
			Required:             []string{"metadata", "payload"},
			AdditionalProperties: false,
		},
	}
	g.channel.Messages[name] = reference{"#/components/messages/" + name}
	g.op.Messages = append(g.op.Messages, reference{"#/channels/" + channelName + "/messages/" + name})
}

// What AsyncAPI allows in a component's name.
var (
	componentName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	notNameChar   = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
)

// schema names the component schema of Go type t, which build makes the
// first time: an entity's view, shared by its three events.
func (g *generator) schema(t reflect.Type, build func() *openapi.JSONSchema) string {
	if name, ok := g.names[t]; ok {
		return name
	}
	base := notNameChar.ReplaceAllString(t.Name(), "")
	name := base
	for n := 2; g.doc.Components.Schemas[name] != nil; n++ {
		// Two packages' types of one name, or a type named EventMetadata.
		name = base + strconv.Itoa(n)
	}
	g.names[t] = name
	g.doc.Components.Schemas[name] = build()
	return name
}

func ref(name string) *openapi.JSONSchema { return &openapi.JSONSchema{Ref: schemasPrefix + name} }

func ptr[T any](v T) *T { return &v }
