package main

import (
	"fmt"
	"slices"
	"testing"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
)

// served is the entity the service serves of the kind the baseline
// stores.
func served(t *testing.T) kit.Entity {
	t.Helper()
	kinds, err := app.Kinds()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range kinds {
		if e.EntityKind() == kind {
			return e
		}
	}
	t.Fatalf("the service serves no %s, the kind the baseline stores: it measures nothing the service does", kind)
	return nil
}

// TestLayoutIsTheService's keeps the yardstick honest: if the service's
// entity of the baseline's kind changes its listing shards, hashing or
// token format, the baseline no longer does the same DynamoDB work, and
// this fails.
func TestLayoutIsTheServices(t *testing.T) {
	sharded, ok := served(t).(kit.Sharded)
	if !ok {
		t.Fatalf("the service's %s lists without shards; the baseline lists over %d", kind, shards)
	}
	layout := sharded.ListShards()
	var names []string
	for i := range shards {
		names = append(names, fmt.Sprintf("%s#%d", kind, i))
	}
	names = append(names, kind)
	if want := layout.Partitions(kind); !slices.Equal(names, want) {
		t.Errorf("the baseline lists %v, the service %v", names, want)
	}
	codec, err := cursor.New([]byte(devSecret))
	if err != nil {
		t.Fatal(err)
	}
	s := &store{secret: []byte(devSecret)}
	for i := range 100 {
		id := fmt.Sprintf("01a2292d-7a64-7443-8ced-%012d", i)
		if got, want := shardOf(id), kit.Partition(kind, id, layout.Now); got != want {
			t.Errorf("%s: baseline shard %s, service %s", id, got, want)
		}
		if got, want := s.token(id), codec.Encode(kind, id); got != want {
			t.Errorf("%s: baseline token %s, service %s", id, got, want)
		}
		if back, err := s.position(s.token(id)); err != nil || back != id {
			t.Errorf("%s: token reads back as %q, %v", id, back, err)
		}
	}
	if _, err := s.position(s.token("x") + "A"); err == nil {
		t.Error("an altered token verified")
	}
	// The README's figure for a page of 20 over 8 shards and the
	// unsharded partition: 7 items a Query.
	if got := perPartition(21, 9); got != 7 {
		t.Errorf("a page of 20 reads %d items a partition, want 7", got)
	}
}
