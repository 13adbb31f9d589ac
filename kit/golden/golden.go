package golden

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// updateEnv names the environment variable that makes Assert rewrite golden
// files. An environment variable rather than a test flag: every test binary
// of `go test ./...` sees it, so no package has to import this one just to
// accept a flag it never uses.
const updateEnv = "GOLDEN_UPDATE"

// Assert fails t unless got equals the file at path. With GOLDEN_UPDATE=1 in
// the environment it writes got to path first, so the comparison passes and
// the change shows up in git diff for review.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	// Read at every call, not once, so that nothing in the package changes
	// after start-up and a test may set it with t.Setenv.
	if os.Getenv(updateEnv) == "1" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with %s=1 to create it)", err, updateEnv)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with %s=1 to accept it)\n--- got\n%s\n--- want\n%s", path, updateEnv, got, want)
	}
}
