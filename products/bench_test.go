package products_test

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/products"
)

// BenchmarkGetProduct measures what the kit adds to a read: the baseline
// calls the handler directly; measured runs the whole request path (route
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

	b.Run("run=baseline", func(b *testing.B) {
		for b.Loop() {
			if _, err := handlers.Get(ctx, products.GetProduct{ID: id}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("run=measured", func(b *testing.B) {
		ev := events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/products/" + id}
		for b.Loop() {
			if resp, _ := svc.router.Invoke(ctx, ev); resp.StatusCode != 200 {
				b.Fatal(resp.Body)
			}
		}
	})
}
