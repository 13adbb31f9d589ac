package asyncapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParserAcceptsDocument has the reference AsyncAPI parser
// (@asyncapi/parser, which `make tools` installs under .local/) read the
// document: it checks the document against the AsyncAPI 3.0.0 schema and
// its rules, and each message's payload against the AsyncAPI schema
// format. Any error fails the test; warnings are logged.
func TestParserAcceptsDocument(t *testing.T) {
	out, err := parse(t, document(t))
	t.Log(out)
	if err != nil {
		t.Fatalf("@asyncapi/parser rejects the document: %v", err)
	}
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
	out, err := parse(t, broken)
	if err == nil {
		t.Fatalf("@asyncapi/parser accepts a payload of type text:\n%s", out)
	}
	if !strings.Contains(out, "/components/schemas/Gadget/properties/name/type") {
		t.Errorf("the parser's errors do not point at the broken type:\n%s", out)
	}
}

// rejected is validate.mjs's exit status for a document with errors.
const rejected = 3

// parse runs testdata/validate.mjs on doc with node, and returns what it
// printed and whether it failed.
func parse(t *testing.T, doc []byte) (string, error) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: install Node.js, then run `make tools`, which installs @asyncapi/parser under .local/")
	}
	tools := filepath.Join(moduleRoot(t), ".local")
	if _, err := os.Stat(filepath.Join(tools, "node_modules", "@asyncapi", "parser", "package.json")); err != nil {
		t.Fatal("@asyncapi/parser is not installed; run `make tools`, which installs it under .local/")
	}
	file := filepath.Join(t.TempDir(), "asyncapi.json")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	// Generous: loading the parser takes seconds, and more on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, filepath.Join("testdata", "validate.mjs"), tools, file).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("run node: %v\n%s", err, out)
	}
	if ctx.Err() != nil {
		t.Fatalf("node did not finish: %v\n%s", ctx.Err(), out)
	}
	if exit != nil && exit.ExitCode() != rejected {
		t.Fatalf("validate.mjs failed to run (exit %d):\n%s", exit.ExitCode(), out)
	}
	return strings.TrimSpace(string(out)), err
}

// moduleRoot is the directory of the go.mod above the working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}
