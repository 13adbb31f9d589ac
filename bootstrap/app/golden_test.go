package app_test

import (
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/fx"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/kit/resource"
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
			out = append(out, goldenDir{e.Name(), golden.Exchanges(t, filepath.Join(goldenRoot, e.Name()), registerModules)})
		}
	}
	if len(out) == 0 {
		t.Fatalf("no golden directories under %s", goldenRoot)
	}
	return out
}

// registerModules registers every module app.Modules wires, as bootstrap
// does, on a service golden built: the golden cases then run against the
// whole service rather than one module's Register.
func registerModules(svc *resource.Service) error {
	return fx.New(
		fx.NopLogger,
		fx.Supply(svc),
		fx.Provide(
			func() *command.Bus { return svc.Bus },
			func() *apigw.Router { return svc.Router },
			func() kit.Storage { return svc.Storage },
			func() kit.Clock { return svc.Clock },
			func() kit.IDs { return svc.IDs },
		),
		app.Modules(),
	).Err()
}
