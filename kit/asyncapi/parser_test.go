package asyncapi_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lambdakit/lambdakit/kit/asyncapi/asyncapitest"
)

// TestParserAcceptsDocument has the reference AsyncAPI parser
// (@asyncapi/parser, which `make tools` installs under .local/) read the
// document: it checks the document against the AsyncAPI 3.0.0 schema and
// its rules, and each message's payload against the AsyncAPI schema
// format. Any error fails the test; warnings are logged.
func TestParserAcceptsDocument(t *testing.T) {
	asyncapitest.Check(t, document(t))
}

// TestParserRejectsBrokenDocument proves the check above can fail: a
// payload schema with a type draft-07 does not have is an error.
func TestParserRejectsBrokenDocument(t *testing.T) {
	var d map[string]any
	if err := json.Unmarshal(document(t), &d); err != nil {
		t.Fatal(err)
	}
	gadget := d["components"].(map[string]any)["schemas"].(map[string]any)["Gadget"].(map[string]any)
	gadget["properties"].(map[string]any)["name"].(map[string]any)["type"] = "text"
	broken, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	out, err := asyncapitest.Parse(t, broken)
	if !errors.Is(err, asyncapitest.ErrRejected) {
		t.Fatalf("@asyncapi/parser accepts a payload of type text (%v):\n%s", err, out)
	}
	if !strings.Contains(out, "/components/schemas/Gadget/properties/name/type") {
		t.Errorf("the parser's errors do not point at the broken type:\n%s", out)
	}
}
