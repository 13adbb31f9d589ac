package products_test

import (
	"testing"

	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/products"
)

var ddb *dynamotest.Server

func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }

func TestGolden(t *testing.T) {
	golden.Run(t, "../testdata/golden/products", ddb, products.Register)
}
