package memory_test

import (
	"testing"

	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

func TestRepositoryContract(t *testing.T) {
	repotest.Run(t, func(t *testing.T) repotest.Store {
		tokens, foreign := repotest.Codecs(t)
		s := memory.NewStorage(tokens)
		return repotest.NewStore(s, s.WithTokens(foreign))
	})
}
