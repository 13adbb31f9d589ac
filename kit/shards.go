package kit

import (
	"hash/fnv"
	"strconv"
)

// Sharded is implemented by an entity whose kind-wide listing is spread
// over several partitions of the listing index. One partition takes about
// 1,000 writes a second, index writes included, so a kind written faster
// than that needs shards; a listing then reads every shard and merges.
type Sharded interface {
	Entity
	// ListShards is how the kind's listing is sharded. It must work on the
	// zero value.
	ListShards() Shards
}

// Shards is a kind's listing layout: the number of shards new writes use,
// and the numbers earlier deployments wrote with. A listing reads the
// shards of every layout, so changing Now loses no item; once the store
// has moved every item to Now's shards (dynamo.Storage.Reshard does it),
// Before can drop the old numbers and the listing stops reading them.
type Shards struct {
	// Now is the number of shards writes go to; 0 means 1.
	Now int
	// Before are the earlier numbers of shards still to read.
	Before []int
}

// ShardsOf returns the layout of an entity's kind: one shard unless the
// entity is Sharded.
func ShardsOf(e Entity) Shards {
	if s, ok := e.(Sharded); ok {
		return s.ListShards()
	}
	return Shards{Now: 1}
}

// Partition is the listing index partition of the item at position (its
// place in the listing, the entity's id) when the kind has n shards: the
// kind itself for one shard, so that an unsharded kind keeps the layout it
// always had, and KIND#i for shard i of more.
func Partition(kind, position string, n int) string {
	if n <= 1 {
		return kind
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(position)) // a hash.Hash never fails to write
	return kind + "#" + strconv.Itoa(int(h.Sum32()%uint32(n)))
}

// Partitions lists every partition a listing of the kind reads: the
// shards of Now and of every layout in Before, each once.
func (s Shards) Partitions(kind string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range append([]int{s.Now}, s.Before...) {
		for i := range max(n, 1) {
			p := kind
			if n > 1 {
				p = kind + "#" + strconv.Itoa(i)
			}
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}
