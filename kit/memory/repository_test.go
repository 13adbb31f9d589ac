package memory_test

import (
	"testing"

	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

func TestRepositoryContract(t *testing.T) {
	repotest.Run(t, func(t *testing.T) repotest.Store {
		tokens, foreign := repotest.Codecs(t)
		s := memory.NewStorage(tokens)
		return repotest.NewStore(s, s.WithTokens(foreign), repotest.Observer{
			Events:   events(t, s),
			Snapshot: func(testing.TB) []string { return s.Snapshot() },
		})
	})
}

// events derives the events s raised since the last call from its
// stream, as the event function would.
func events(t *testing.T, s *memory.Storage) func(tb testing.TB) []event.Event {
	derive := dynamo.Events{Schema: dynamo.Layout(), Catalog: repotest.Catalog(t)}
	at := 0
	return func(tb testing.TB) []event.Event {
		tb.Helper()
		var changes []dynamo.Change
		changes, at = s.Changes(at)
		var out []event.Event
		for _, c := range changes {
			ev, ok, err := derive.Event(c)
			if err != nil {
				tb.Fatalf("derive an event: %v", err)
			}
			if ok {
				out = append(out, ev)
			}
		}
		return out
	}
}
