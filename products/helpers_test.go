package products_test

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/products"
)

// adapters build the products service over each store it runs on.
func adapters() map[string]func(t *testing.T) *golden.Service {
	return map[string]func(t *testing.T) *golden.Service{
		"memory": func(t *testing.T) *golden.Service { return golden.Memory(t, products.Register) },
		"dynamo": func(t *testing.T) *golden.Service { return golden.Dynamo(t, ddb, products.Register) },
	}
}

func request(method, path, body string) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{HTTPMethod: method, Path: path, Body: body}
	ev.RequestContext.Identity.UserArn = tester
	return ev
}

// tester is the verified caller of request's requests: a review's owner.
const tester = "arn:aws:iam::123456789012:user/tester"

// countProducts lists every product through the port.
func countProducts(t *testing.T, svc *golden.Service) int {
	t.Helper()
	repo := kit.RepositoryOf[products.Product](svc.Storage, "")
	n, token := 0, ""
	for {
		page, err := repo.List(context.Background(), kit.PageRequest{Size: 100, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Items)
		if token = page.Next; token == "" {
			return n
		}
	}
}
