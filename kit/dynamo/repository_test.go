package dynamo_test

import (
	"context"
	"testing"

	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/relay"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

var ddb *dynamotest.Server

func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }

func TestRepositoryContract(t *testing.T) {
	repotest.Run(t, func(t *testing.T) repotest.Store {
		tokens, foreign := repotest.Codecs(t)
		table := ddb.NewTable(t)
		return repotest.NewStore(dynamo.NewStorage(table, tokens), dynamo.NewStorage(table, foreign), repotest.Observer{
			Events:   events(t, table),
			Snapshot: func(tb testing.TB) []string { return ddb.Snapshot(tb, table) },
		})
	})
}

// events derives the events written to table since the last call from its
// stream, read as the event source mapping reads it.
func events(t *testing.T, table dynamo.Table) func(tb testing.TB) []event.Event {
	derive := dynamo.Events{Schema: table.Schema, Catalog: repotest.Catalog(t)}
	var stream *relay.Stream // opened on first use: most tests never look
	return func(tb testing.TB) []event.Event {
		tb.Helper()
		if stream == nil {
			stream = &relay.Stream{API: ddb.StreamsClient(), ARN: ddb.StreamARN(tb, table)}
		}
		recs, err := stream.Read(context.Background())
		if err != nil {
			tb.Fatalf("read the stream: %v", err)
		}
		var out []event.Event
		for _, rec := range recs {
			c, err := relay.ChangeOf(rec)
			if err != nil {
				tb.Fatal(err)
			}
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
