package products_test

import (
	"context"
	"errors"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/benchtest"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/products"
)

// BenchmarkGetProduct measures what the kit adds to a read: the baseline
// reads the product from the repository directly; the router runs the
// whole request path (route match, the generic resource, command bus with
// validation, problem mapping, the view, JSON, logging to a no-op logger),
// both over the memory adapter so storage does not drown it.
func BenchmarkGetProduct(b *testing.B) {
	svc := golden.Memory(b, products.Register)
	resp := svc.Invoke(b, request("POST", "/products", `{"name":"Bench","description":"A bench"}`))
	if resp.StatusCode != 201 {
		b.Fatal(resp.Body)
	}
	id := resp.Headers["Location"][len("/products/"):]
	repo := kit.RepositoryOf[products.Product](svc.Storage, "")
	ctx := context.Background()
	ev := request("GET", "/products/"+id, "")
	benchtest.Interleave(b, "repository", "router",
		func() error { _, err := repo.Get(ctx, id); return err },
		func() error {
			if resp, _ := svc.Router.Invoke(ctx, ev); resp.StatusCode != 200 {
				return errors.New(resp.Body)
			}
			return nil
		})
}
