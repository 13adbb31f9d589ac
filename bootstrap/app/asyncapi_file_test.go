package app_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit/asyncapi/asyncapitest"
)

// TestAsyncAPIFileIsCurrent keeps the committed document the one the
// service generates: the teams that consume its events read the file.
func TestAsyncAPIFileIsCurrent(t *testing.T) {
	want, err := app.AsyncAPI()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("asyncapi.json")
	if err != nil {
		t.Fatalf("%v (make asyncapi writes it; make update-golden writes both documents and the golden files)", err)
	}
	if !bytes.Equal(got, want) {
		t.Error("bootstrap/app/asyncapi.json is stale: run make update-golden (or make asyncapi alone) and commit it")
	}
}

// TestAsyncAPIFileParses has the reference AsyncAPI parser read the
// committed document, as a consumer's tooling would.
func TestAsyncAPIFileParses(t *testing.T) {
	doc, err := os.ReadFile("asyncapi.json")
	if err != nil {
		t.Fatalf("%v (make asyncapi writes it; make update-golden writes both documents and the golden files)", err)
	}
	asyncapitest.Check(t, doc)
}
