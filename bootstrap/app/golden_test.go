package app_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit/golden"
)

// goldenRoot holds one directory of golden cases per module.
const goldenRoot = "../../testdata/golden"

// goldenDir is one directory of golden cases, served.
type goldenDir struct {
	name      string
	exchanges []golden.Exchange
}

// goldenExchanges serves the golden cases of every directory under
// goldenRoot, in name order, on the whole service: a module that adds a
// directory is checked without editing a list here.
func goldenExchanges(t *testing.T) []goldenDir {
	t.Helper()
	entries, err := os.ReadDir(goldenRoot)
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenDir
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, goldenDir{e.Name(), golden.Exchanges(t, filepath.Join(goldenRoot, e.Name()), app.Register)})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no golden directories under %s", goldenRoot)
	}
	return out
}
