package app_test

import (
	"slices"
	"testing"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/products"
)

// TestRoutesAreTheModulesRoutes checks that Routes, which the CDK stack
// deploys, wires the same routes the entity packages register.
func TestRoutesAreTheModulesRoutes(t *testing.T) {
	got, err := app.Routes()
	if err != nil {
		t.Fatal(err)
	}
	want := golden.Memory(t, products.Register).Router.Routes()
	if !slices.Equal(got, want) {
		t.Errorf("Routes() = %v\nwant the modules' %v", got, want)
	}
	if !slices.Contains(got, "GET /products/{id}/reviews/{reviewId}") || !slices.IsSorted(got) {
		t.Errorf("Routes() = %v: want reviews among them, sorted", got)
	}
}

func TestKindsAreTheServedEntities(t *testing.T) {
	kinds, err := app.Kinds()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range kinds {
		got = append(got, k.EntityKind())
	}
	if want := []string{products.Kind, products.Review{}.EntityKind()}; !slices.Equal(got, want) {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
}
