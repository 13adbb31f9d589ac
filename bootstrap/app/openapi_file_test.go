package app_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/lambdakit/lambdakit/bootstrap/app"
)

// TestOpenAPIFileIsCurrent keeps the committed document the one the
// service generates: client teams read the file.
func TestOpenAPIFileIsCurrent(t *testing.T) {
	want, err := app.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatalf("%v (make openapi writes it; make update-golden writes both documents and the golden files)", err)
	}
	if !bytes.Equal(got, want) {
		t.Error("bootstrap/app/openapi.json is stale: run make update-golden (or make openapi alone) and commit it")
	}
}
