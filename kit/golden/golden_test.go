package golden_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdakit/lambdakit/kit/golden"
)

// recorder is a testing.TB that notes failures instead of failing the test
// that owns it.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }

func TestAssertUpdates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "case.golden.json")
	t.Setenv("GOLDEN_UPDATE", "1")
	golden.Assert(t, path, []byte("got\n"))
	if b, err := os.ReadFile(path); err != nil || string(b) != "got\n" {
		t.Errorf("file = %q, %v; want it written", b, err)
	}
}

func TestAssertComparesOnly(t *testing.T) {
	for _, env := range []string{"", "0", "true"} {
		path := filepath.Join(t.TempDir(), "case.golden.json")
		if err := os.WriteFile(path, []byte("want\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv("GOLDEN_UPDATE", env)
		r := &recorder{TB: t}
		golden.Assert(r, path, []byte("got\n"))
		if !r.failed {
			t.Errorf("GOLDEN_UPDATE=%q: a difference did not fail", env)
		}
		if b, _ := os.ReadFile(path); string(b) != "want\n" {
			t.Errorf("GOLDEN_UPDATE=%q: file rewritten to %q", env, b)
		}
		r = &recorder{TB: t}
		golden.Assert(r, path, []byte("want\n"))
		if r.failed {
			t.Errorf("GOLDEN_UPDATE=%q: equal output failed", env)
		}
	}
}
