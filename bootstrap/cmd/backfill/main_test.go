package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
)

var ddb *dynamotest.Server

func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }

// gadget is a kind of this test's own, declared with a pattern and a
// unique field; oldGadget is the same kind as declared before them.
type gadget struct {
	ID     string `json:"id"`
	Colour string `json:"colour,omitempty"`
	Code   string `json:"code,omitempty" kit:"unique"`
}

func (gadget) EntityKind() string   { return "GADGET" }
func (g gadget) EntityID() string   { return g.ID }
func (gadget) Indexes() []kit.Index { return []kit.Index{{By: []string{"colour"}}} }

type oldGadget struct {
	ID     string `json:"id"`
	Colour string `json:"colour,omitempty"`
	Code   string `json:"code,omitempty"`
}

func (oldGadget) EntityKind() string { return "GADGET" }
func (g oldGadget) EntityID() string { return g.ID }

// gadgets stands for app.Kinds: the kinds the command backfills.
func gadgets() ([]kit.Entity, error) { return []kit.Entity{gadget{}}, nil }

func gadgetID(n int) string { return fmt.Sprintf("00000000-0000-7000-8000-%012d", n) }

func ctx(t *testing.T) context.Context { return t.Context() }

// useTable points the command at a fresh table of DynamoDB Local, through
// the environment alone, as an operator would, and returns it.
func useTable(t *testing.T) dynamo.Table {
	table := ddb.NewTable(t)
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"TABLE_NAME":                  table.Name,
		"AWS_ENDPOINT_URL_DYNAMODB":   ddb.Endpoint(),
		"AWS_REGION":                  "us-east-1",
		"AWS_ACCESS_KEY_ID":           "local",
		"AWS_SECRET_ACCESS_KEY":       "local",
		"AWS_PROFILE":                 "",
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
	} {
		t.Setenv(k, v)
	}
	return table
}

func repo[T kit.Entity](t *testing.T, table dynamo.Table) kit.Repository[T] {
	tokens, err := cursor.New([]byte("backfill-test-signing-key"))
	if err != nil {
		t.Fatal(err)
	}
	return kit.RepositoryOf[T](dynamo.NewStorage(table, tokens), "")
}

func backfill(t *testing.T, args []string, kinds func() ([]kit.Entity, error)) (string, error) {
	var out bytes.Buffer
	err := run(ctx(t), args, &out, kinds)
	return out.String(), err
}

// Every kind the service serves is backfilled, each reported on a line of
// its own.
func TestEveryServedKind(t *testing.T) {
	useTable(t)
	kinds, err := app.Kinds()
	if err != nil || len(kinds) == 0 {
		t.Fatalf("app.Kinds: %v, %v", kinds, err)
	}
	out, err := backfill(t, nil, app.Kinds)
	if err != nil {
		t.Fatalf("backfill of an empty table: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(kinds) {
		t.Fatalf("%d lines for %d kinds:\n%s", len(lines), len(kinds), out)
	}
	for i, e := range kinds {
		if want := e.EntityKind() + " ("; !strings.HasPrefix(lines[i], want) || !strings.Contains(lines[i], "read 0 items") {
			t.Errorf("line %d = %q, want %s... read 0 items", i, lines[i], want)
		}
	}
}

// Items written before the declaration are listed and guarded after a
// run; a value two of them hold fails the run, naming them, until one
// changes; a run with nothing to do writes nothing.
func TestBackfillsOldItems(t *testing.T) {
	table := useTable(t)
	old, declared := repo[oldGadget](t, table), repo[gadget](t, table)
	for _, g := range []oldGadget{
		{ID: gadgetID(1), Colour: "red", Code: "A"},
		{ID: gadgetID(2), Colour: "red", Code: "A"},
		{ID: gadgetID(3), Code: "C"},
	} {
		if _, err := old.Create(ctx(t), g); err != nil {
			t.Fatal(err)
		}
	}
	out, err := backfill(t, nil, gadgets)
	if !errors.Is(err, errConflicts) {
		t.Fatalf("a run with a value held twice: %v, want it to fail\n%s", err, out)
	}
	for _, want := range []string{
		"GADGET (main.gadget): read 3 items, wrote the pattern keys of 2, claimed 2 unique values, 1 conflicts\n",
		fmt.Sprintf("  conflict: GADGET %s has code \"A\", which GADGET %s holds\n", gadgetID(2), gadgetID(1)),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	page, err := declared.List(ctx(t), kit.PageRequest{Size: 10, Where: map[string]string{"colour": "red"}})
	if err != nil || len(page.Items) != 2 {
		t.Errorf("colour=red after the run: %v, %v; want both red gadgets", page.Items, err)
	}
	if _, err := declared.Create(ctx(t), gadget{ID: gadgetID(4), Code: "C"}); !errors.Is(err, kit.ErrConflict) {
		t.Errorf("a create with an old gadget's code: %v, want a conflict", err)
	}

	if _, err := old.Update(ctx(t), gadgetID(2), kit.Patch{Set: map[string]any{"code": "B"}}, kit.AnyVersion); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, want string }{
		{"once the conflict is resolved", "read 3 items, wrote the pattern keys of 0, claimed 1 unique values, 0 conflicts"},
		{"again", "read 3 items, wrote the pattern keys of 0, claimed 0 unique values, 0 conflicts"},
	} {
		out, err := backfill(t, []string{"-kind", "GADGET"}, gadgets)
		if err != nil || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %v, output\n%s\nwant %q", tc.name, err, out, tc.want)
		}
	}
}

func TestRefusesWhatItCannotDo(t *testing.T) {
	useTable(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"an unknown kind", []string{"-kind", "WIDGET"}, "-kind WIDGET: the service serves GADGET"},
		{"an argument", []string{"GADGET"}, "unexpected arguments"},
	} {
		out, err := backfill(t, tc.args, gadgets)
		if err == nil || !strings.Contains(err.Error(), tc.want) || out != "" {
			t.Errorf("%s: %v, output %q; want an error saying %q and nothing done", tc.name, err, out, tc.want)
		}
	}
	t.Setenv("TABLE_NAME", "")
	if _, err := backfill(t, nil, gadgets); err == nil || !strings.Contains(err.Error(), "TABLE_NAME") {
		t.Errorf("without TABLE_NAME: %v, want it asked for", err)
	}
}
