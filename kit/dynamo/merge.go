package dynamo

import (
	"context"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// shard is one partition of the listing index, read in order a batch at a
// time.
type shard struct {
	in    *dynamodb.QueryInput
	items []map[string]types.AttributeValue
	done  bool
}

// merge reads want items, in sort-key order, from shards that each hold a
// sorted part of one listing. Every shard first reads firstShare items, all
// at once; afterwards a shard is read again only when it is empty and may
// still hold the next item, for what the page still lacks. So a page
// usually costs one Query per shard, a round trip in all, and reads
// S × firstShare items; a second round is the exception.
func merge(ctx context.Context, api API, shards []*shard, sortKey string, want int) ([]map[string]types.AttributeValue, error) {
	out := make([]map[string]types.AttributeValue, 0, want)
	limit := firstShare(want, len(shards))
	for len(out) < want {
		var empty []*shard
		for _, s := range shards {
			if len(s.items) == 0 && !s.done {
				empty = append(empty, s)
			}
		}
		if err := fetch(ctx, api, empty, limit); err != nil {
			return nil, err
		}
		limit = want - len(out)
		next := -1
		for i, s := range shards {
			if len(s.items) > 0 && (next < 0 || stringAttr(s.items[0], sortKey) < stringAttr(shards[next].items[0], sortKey)) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		out = append(out, shards[next].items[0])
		shards[next].items = shards[next].items[1:]
	}
	return out, nil
}

// firstShare is what each shard reads first: with one shard, the page; with
// more, its even share of the page and two standard deviations more,
// because ids hash to shards at random (a shard's share of a page is
// binomial), so that a second round trip is rare. The extra items are
// nearly free: a Query is billed by the 4 KB it reads, at least half a
// read unit, and a few small items more rarely cross that.
func firstShare(want, shards int) int {
	if shards <= 1 {
		return want
	}
	even := (want + shards - 1) / shards
	return even + int(math.Ceil(2*math.Sqrt(float64(even))))
}

// fetch reads the next batch of every shard, in parallel.
func fetch(ctx context.Context, api API, shards []*shard, limit int) error {
	errs := make(chan error, len(shards))
	for _, s := range shards {
		go func() {
			s.in.Limit = aws.Int32(int32(limit))
			out, err := api.Query(ctx, s.in)
			if err != nil {
				errs <- storeError("list", err)
				return
			}
			s.items = out.Items
			s.done = out.LastEvaluatedKey == nil
			s.in.ExclusiveStartKey = out.LastEvaluatedKey
			errs <- nil
		}()
	}
	var first error
	for range shards {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// stringAttr is a string attribute of item, or "".
func stringAttr(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
