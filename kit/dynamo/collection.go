package dynamo

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
)

// withParent reads the parent's item and the first size children of this
// kind in one Query: the parent's item sorts first in its partition, and
// this kind's children follow it. Children of kinds that sort between the
// two are read and filtered out.
func (r *repository) withParent(ctx context.Context, size int) (map[string]types.AttributeValue, kit.Page[kit.Entity], error) {
	keys := r.table.Schema.Keys
	cond := expression.Key(keys.PartitionKey).Equal(expression.Value(r.parentKind + "#" + r.parent)).
		And(expression.Key(keys.SortKey).Between(expression.Value(r.parentKind), expression.Value(r.childPrefix()+"\uffff")))
	in, err := r.query(cond, "")
	if err != nil {
		return nil, kit.Page[kit.Entity]{}, err
	}
	in.ConsistentRead = aws.Bool(true)
	first := true
	var parent map[string]types.AttributeValue
	items, err := r.collect(ctx, in, size+1, func(item map[string]types.AttributeValue) bool {
		if first {
			first = false
			if sk, _ := item[keys.SortKey].(*types.AttributeValueMemberS); sk != nil && sk.Value == r.parentKind {
				parent = item
				return false
			}
		}
		t, _ := item[AttrType].(*types.AttributeValueMemberS)
		return t != nil && t.Value == r.kind
	})
	if err != nil {
		return nil, kit.Page[kit.Entity]{}, err
	}
	if parent == nil {
		return nil, kit.Page[kit.Entity]{}, r.parentMissing()
	}
	page, err := r.page(items, size)
	return parent, page, err
}

// GetWith implements kit.Storage in one Query on the parent's partition.
func (s *Storage) GetWith(ctx context.Context, prototype kit.Entity, id string, child kit.Child, size int) (kit.Versioned[kit.Entity], kit.Page[kit.Entity], error) {
	if err := kit.CheckGetWith(prototype, child, size); err != nil {
		return kit.Versioned[kit.Entity]{}, kit.Page[kit.Entity]{}, err
	}
	parent := s.Open(prototype, "").(*repository)
	children := s.Open(child, id).(*repository)
	item, page, err := children.withParent(ctx, size)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, kit.Page[kit.Entity]{}, err
	}
	v, err := parent.decode(item)
	return v, page, err
}
