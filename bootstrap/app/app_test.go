package app_test

import (
	"slices"
	"testing"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit/golden"
)

// TestRoutesAreTheModulesRoutes checks that Routes, which the CDK stack
// deploys, wires the routes the modules register, each an operation they
// registered, sorted and once each.
func TestRoutesAreTheModulesRoutes(t *testing.T) {
	got, err := app.Routes()
	if err != nil {
		t.Fatal(err)
	}
	svc := golden.Memory(t, app.Register).Service
	if want := svc.Router.Routes(); !slices.Equal(got, want) {
		t.Errorf("Routes() = %v\nwant the modules' %v", got, want)
	}
	var ops []string
	for _, op := range svc.Operations() {
		ops = append(ops, op.Method+" "+op.Path)
	}
	slices.Sort(ops)
	if len(got) == 0 || !slices.Equal(got, ops) {
		t.Errorf("Routes() = %v\nwant one per registered operation, sorted: %v", got, ops)
	}
}

// TestKindsAreTheServedEntities checks Kinds, which reshard works over,
// against the entities the modules declared events for: every served
// entity, once, in the order served.
func TestKindsAreTheServedEntities(t *testing.T) {
	kinds, err := app.Kinds()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range kinds {
		got = append(got, k.EntityKind())
	}
	var want []string
	for _, e := range golden.Memory(t, app.Register).Service.Events.Entities() {
		want = append(want, e.Kind)
	}
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("Kinds() = %v, want the declared entities' %v", got, want)
	}
}
