package dynamo_test

import (
	"testing"

	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

var ddb *dynamotest.Server

func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }

func TestRepositoryContract(t *testing.T) {
	repotest.Run(t, func(t *testing.T) repotest.Store {
		tokens, foreign := repotest.Codecs(t)
		table := ddb.NewTable(t)
		return repotest.NewStore(dynamo.NewStorage(table, tokens), dynamo.NewStorage(table, foreign))
	})
}
