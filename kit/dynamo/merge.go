package dynamo

import (
	"context"

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
// sorted part of one listing. Every shard first gets an even share of the
// page and one more, all at once; afterwards a shard is read again only
// when it is empty and may still hold the next item, for what the page
// still lacks. So a page costs one Query per shard (each at least half a
// read unit) and reads about want + len(shards) items, however the items
// are spread.
func merge(ctx context.Context, api API, shards []*shard, sortKey string, want int) ([]map[string]types.AttributeValue, error) {
	out := make([]map[string]types.AttributeValue, 0, want)
	limit := (want+len(shards)-1)/len(shards) + 1
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
