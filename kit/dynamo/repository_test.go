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
		return repotest.Store{
			Notes:      dynamo.NewRepository[repotest.Note](table, tokens),
			Tags:       dynamo.NewRepository[repotest.Tag](table, tokens),
			ForeignKey: dynamo.NewRepository[repotest.Note](table, foreign),
		}
	})
}
