package memory_test

import (
	"testing"

	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

func TestRepositoryContract(t *testing.T) {
	repotest.Run(t, func(t *testing.T) repotest.Store {
		tokens, foreign := repotest.Codecs(t)
		// Each memory repository is its own store; kinds are isolated by
		// construction, which the suite still checks.
		return repotest.Store{
			Notes:      memory.NewRepository[repotest.Note](tokens),
			Tags:       memory.NewRepository[repotest.Tag](tokens),
			ForeignKey: memory.NewRepository[repotest.Note](foreign),
		}
	})
}
