package products_test

import (
	"testing"

	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/products"
)

func TestReviewsGolden(t *testing.T) {
	golden.Run(t, "../testdata/golden/reviews", ddb, products.Register)
}
