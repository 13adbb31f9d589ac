package asyncapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/lambdakit/lambdakit/kit/event"
)

// ErrUnknownEvent is what Validator.Validate returns for an event whose
// name the document has no message for.
var ErrUnknownEvent = errors.New("asyncapitest: no message of that name")

// documentURL names the document to the schema compiler, which resolves
// the payloads' $refs against it; nothing is fetched.
const documentURL = "urn:lambdakit:asyncapi"

// Validator checks events against the message schemas of an AsyncAPI
// document Document wrote, with a JSON Schema draft-07 validator: what a
// test uses to prove the events a service raises are the ones its document
// describes.
type Validator struct {
	schemas map[string]*jsonschema.Schema // by message name
}

// NewValidator compiles the payload schema of every message of doc once.
func NewValidator(doc []byte) (*Validator, error) {
	tree, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("asyncapitest: read the document: %w", err)
	}
	var parsed struct {
		Components struct {
			Messages map[string]struct {
				Name string `json:"name"`
			} `json:"messages"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		return nil, fmt.Errorf("asyncapitest: read the document: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7)
	if err := c.AddResource(documentURL, tree); err != nil {
		return nil, fmt.Errorf("asyncapitest: %w", err)
	}
	keys := make([]string, 0, len(parsed.Components.Messages))
	for key := range parsed.Components.Messages {
		keys = append(keys, key)
	}
	sort.Strings(keys) // the same error first on every run
	v := &Validator{schemas: map[string]*jsonschema.Schema{}}
	for _, key := range keys {
		name := parsed.Components.Messages[key].Name
		if name == "" {
			name = key
		}
		s, err := c.Compile(documentURL + "#/components/messages/" + url.PathEscape(key) + "/payload")
		if err != nil {
			return nil, fmt.Errorf("asyncapitest: compile the payload of message %s: %w", key, err)
		}
		v.schemas[name] = s
	}
	return v, nil
}

// Validate checks ev, as the event function puts it on the bus (the
// entry's detail), against the payload schema of the message named as ev
// is. An event with no message is ErrUnknownEvent.
func (v *Validator) Validate(ev event.Event) error {
	s, ok := v.schemas[ev.Metadata.Name]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownEvent, ev.Metadata.Name)
	}
	detail, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("asyncapitest: event %s %s: encode: %w", ev.Metadata.Name, ev.Metadata.ID, err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(detail))
	if err != nil {
		return fmt.Errorf("asyncapitest: event %s %s: decode: %w", ev.Metadata.Name, ev.Metadata.ID, err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("asyncapitest: event %s %s does not match its message: %w", ev.Metadata.Name, ev.Metadata.ID, err)
	}
	return nil
}
