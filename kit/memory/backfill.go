package memory

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
)

// Backfill gives every stored item of prototype's kind the pattern keys
// and unique claims its declaration asks for now, as the DynamoDB
// adapter's Backfill does: keys set where missing or wrong and removed for
// patterns the item is not in, values claimed unless another entity holds
// them (reported in Conflicts), items taken in key order. The version,
// revision and event stamp stay, so the stream shows a change that raises
// no event. Run again, it writes nothing.
func (s *Storage) Backfill(_ context.Context, prototype kit.Entity) (kit.BackfillReport, error) {
	r := s.Open(prototype, "").(*repository)
	report := kit.BackfillReport{Kind: r.kind}
	if r.accessErr != nil {
		return report, r.accessErr
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	for _, pk := range slices.Sorted(maps.Keys(s.data.parts)) {
		part := s.data.parts[pk]
		for _, sk := range slices.Sorted(maps.Keys(part)) {
			rec := part[sk]
			if rec.kind != r.kind {
				continue
			}
			id, parent, ok := r.idsOf(pk, sk)
			if !ok {
				continue
			}
			report.Items++
			keys, _ := dynamo.Layout().PatternKeys(r.access, r.kind, dynamo.Position(id, parent), rec.item)
			if !samePatterns(rec.patterns, keys) {
				next := rec
				next.patterns = keys
				part[sk] = next
				s.data.changes = append(s.data.changes, dynamo.Change{Op: dynamo.ChangeModify, Old: fullImage(pk, sk, rec), New: fullImage(pk, sk, next)})
				report.Keyed++
			}
			values := dynamo.UniqueValues(r.access, rec.item)
			for _, f := range r.access.Unique {
				v, ok := values[f]
				if !ok {
					continue
				}
				upk, usk := uniqueKey(r.kind, f, v)
				switch held, claimed := s.data.parts[upk][usk]; {
				case !claimed:
					r.applyValues(id, nil, map[string]string{f: v})
					report.Claimed++
				case holderOf(held) != id:
					report.Conflicts = append(report.Conflicts, kit.UniqueConflict{ID: id, Field: f, Value: v, Holder: holderOf(held)})
				}
			}
		}
	}
	return report, nil
}

// idsOf reads an item's id, and a child's parent id, from its keys.
func (r *repository) idsOf(pk, sk string) (id, parent string, ok bool) {
	if !r.child() {
		id, ok = strings.CutPrefix(pk, r.kind+"#")
		return id, "", ok && sk == r.kind
	}
	parent, ok = strings.CutPrefix(pk, r.parentKind+"#")
	id, isChild := strings.CutPrefix(sk, r.childPrefix())
	return id, parent, ok && isChild
}

// samePatterns reports whether two sets of pattern keys are the same keys
// with the same values; nil and empty are the same.
func samePatterns(a, b map[string]types.AttributeValue) bool {
	return maps.EqualFunc(a, b, func(x, y types.AttributeValue) bool {
		xs, _ := x.(*types.AttributeValueMemberS)
		ys, _ := y.(*types.AttributeValueMemberS)
		return xs != nil && ys != nil && xs.Value == ys.Value
	})
}
