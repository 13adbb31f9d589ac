package products_test

import (
	"testing"

	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/products"
)

// TestAccessGolden runs the cases of the access patterns: products by
// category and SKU, reviews by author, and who may change a review.
func TestAccessGolden(t *testing.T) {
	golden.Run(t, "../testdata/golden/access", ddb, products.Register)
}
