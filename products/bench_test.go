package products_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit/benchtest"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/products"
)

// BenchmarkGetProduct measures what the kit adds to a read: the baseline
// calls the handler directly; the router runs the whole request path (route
// match, command bus with validation, problem mapping, JSON, logging to a
// no-op logger), both over the memory adapter so storage does not drown it.
func BenchmarkGetProduct(b *testing.B) {
	tokens, err := cursor.New(tokenKey)
	if err != nil {
		b.Fatal(err)
	}
	idem := memory.NewIdempotency()
	repo := memory.NewRepository[products.Product](tokens, memory.WithIdempotency(idem))
	svc := newService(b, store{repo, idem})
	resp, err := svc.router.Invoke(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/products", Body: `{"name":"Bench","description":"A bench"}`})
	if err != nil || resp.StatusCode != 201 {
		b.Fatal(resp.Body, err)
	}
	id := resp.Headers["Location"][len("/products/"):]
	handlers := products.NewHandlers(repo, svc.clock, &sequence{})
	ctx := context.Background()

	ev := events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/products/" + id}
	benchtest.Interleave(b, "handler", "router",
		func() error { _, err := handlers.Get(ctx, products.GetProduct{ID: id}); return err },
		func() error {
			if resp, _ := svc.router.Invoke(ctx, ev); resp.StatusCode != 200 {
				return errors.New(resp.Body)
			}
			return nil
		})
}
