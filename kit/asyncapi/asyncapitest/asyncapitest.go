// Package asyncapitest has the reference AsyncAPI parser, @asyncapi/parser,
// read a document, for tests of a service's AsyncAPI document: it checks
// the document against the AsyncAPI 3.0.0 schema and its rules, and each
// message's payload against the AsyncAPI schema format. A test that needs
// the parser fails when it is missing, never skips.
//
// The parser runs on Node.js (node on PATH). The Makefile installs it under
// .local/ at the module root (`make tools`).
package asyncapitest

import (
	"context"
	_ "embed" // validate.mjs
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ErrRejected is what Parse returns for a document the parser rejects.
var ErrRejected = errors.New("@asyncapi/parser rejects the document")

// script parses the document and prints every diagnostic; see its header.
//
//go:embed validate.mjs
var script []byte

// rejected is validate.mjs's exit status for a document with errors.
const rejected = 3

// timeout bounds one run of the parser. Generous: loading it takes
// seconds, and more on a busy machine.
const timeout = 3 * time.Minute

// Check fails tb unless the parser accepts doc, and logs its diagnostics
// (warnings do not fail).
func Check(tb testing.TB, doc []byte) {
	tb.Helper()
	out, err := Parse(tb, doc)
	tb.Log(out)
	if err != nil {
		tb.Fatalf("%v", err)
	}
}

// Parse has the parser read doc and returns what it printed, one line per
// diagnostic and a verdict, and ErrRejected if any diagnostic is an error.
// It fails tb if node or the parser is missing or the parser cannot run.
func Parse(tb testing.TB, doc []byte) (string, error) {
	tb.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		tb.Fatal("asyncapitest: node is not on PATH: install Node.js, then run `make tools`, which installs @asyncapi/parser under .local/")
	}
	tools := filepath.Join(moduleRoot(tb), ".local")
	if _, err := os.Stat(filepath.Join(tools, "node_modules", "@asyncapi", "parser", "package.json")); err != nil {
		tb.Fatal("asyncapitest: @asyncapi/parser is not installed; run `make tools`, which installs it under .local/")
	}
	dir := tb.TempDir()
	file, validate := filepath.Join(dir, "asyncapi.json"), filepath.Join(dir, "validate.mjs")
	for path, b := range map[string][]byte{file: doc, validate: script} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, validate, tools, file).CombinedOutput()
	report := strings.TrimSpace(string(out))
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		tb.Fatalf("asyncapitest: run node: %v\n%s", err, report)
	}
	if ctx.Err() != nil {
		tb.Fatalf("asyncapitest: node did not finish: %v\n%s", ctx.Err(), report)
	}
	if exit == nil {
		return report, nil
	}
	if exit.ExitCode() != rejected {
		tb.Fatalf("asyncapitest: validate.mjs failed to run (exit %d):\n%s", exit.ExitCode(), report)
	}
	return report, ErrRejected
}

// moduleRoot is the directory of the go.mod above the working directory,
// where the Makefile keeps .local/.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("asyncapitest: no go.mod above the working directory")
		}
		dir = parent
	}
}
