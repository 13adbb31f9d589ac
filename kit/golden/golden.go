// Package golden compares test output with files kept under testdata/ and
// rewrites them when tests run with -update.
//
// Every test package of this module imports it (a blank import is enough),
// so that `go test ./... -update` is a flag every test binary knows.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update is the -update flag. Test binaries parse flags before any test
// runs; registering it here is what lets every package accept it.
var update = flag.Bool("update", false, "rewrite golden files from the output of the tests")

// Assert fails t unless got equals the file at path. With -update it writes
// got to path first, so the comparison passes and the diff shows in git.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
