package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
)

// Scanner is the read a Backfill of a child kind that is not kit.Listed
// needs: its items are in no index of their own kind, so it scans the
// table. The SDK's *dynamodb.Client implements it; the service never scans,
// so API leaves it out (and the function's role is not granted it).
type Scanner interface {
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
}

// backfillAttempts bounds how often one item is read again because it
// changed between the read and the write.
const backfillAttempts = 5

// Backfill gives every stored item of prototype's kind what the kind's
// declaration asks of it now, for items written before a pattern or a
// unique field was declared: it sets each item's pattern keys that are
// missing or wrong, removes those of patterns the item is not in (a
// cleared field, or a pattern the kind no longer declares), and claims the
// item's unique values. A value that another entity holds the claim of is
// left to it and reported in Conflicts.
//
// It is an offline command's work, not a request's. A kind with a listing
// (one that is not a kit.Child, or a kit.Listed child) is read through the
// listing index's partitions, every declared layout's, as Reshard reads
// them; any other child kind is read by a Scan of the whole table, filtered
// on its kind, so it costs what the table holds, and needs the table's API
// to be a Scanner. Each item costs its share of those reads, one strongly
// consistent read per unique value it holds, and, only if something is
// missing, one write: a conditional UpdateItem, or, with claims, a
// transaction of the item's update (or check) and the claims' puts.
//
// Every write is conditioned on the item's version and revision being the
// ones read, so a write made meanwhile is never undone: the item is read
// again and its keys worked out again. The writes leave the version, the
// revision and the event stamp alone: a backfill is not a change of the
// entity, and raises no event. It is idempotent: run again, it writes
// nothing and reports Wrote() == 0.
func (s *Storage) Backfill(ctx context.Context, prototype kit.Entity) (kit.BackfillReport, error) {
	r := s.Open(prototype, "").(*repository)
	report := kit.BackfillReport{Kind: r.kind}
	if r.accessErr != nil {
		return report, r.accessErr
	}
	each := func(item map[string]types.AttributeValue) error {
		if kindOf(item) != r.kind {
			return nil
		}
		report.Items++
		return s.backfillItem(ctx, r, item, &report)
	}
	if !r.child() || r.listed {
		return report, s.eachListed(ctx, r, each)
	}
	return report, s.eachScanned(ctx, r, each)
}

// eachListed calls f with every item in the listing index's partitions of
// r's kind, under every layout it declares.
func (s *Storage) eachListed(ctx context.Context, r *repository, f func(map[string]types.AttributeValue) error) error {
	idx := s.table.Schema.ListIndex
	for _, part := range r.shards.Partitions(r.kind) {
		in, err := r.query(expression.Key(idx.Keys.PartitionKey).Equal(expression.Value(part)), idx.Name)
		if err != nil {
			return err
		}
		for {
			out, err := s.table.API.Query(ctx, in)
			if err != nil {
				return storeError("backfill", err)
			}
			for _, item := range out.Items {
				if err := f(item); err != nil {
					return err
				}
			}
			if out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return nil
}

// eachScanned calls f with every item of r's kind in the table, found by a
// strongly consistent Scan.
func (s *Storage) eachScanned(ctx context.Context, r *repository, f func(map[string]types.AttributeValue) error) error {
	scanner, ok := s.table.API.(Scanner)
	if !ok {
		return fmt.Errorf("dynamo: backfilling %s, a child kind with no listing, scans the table, and the table's API cannot Scan", r.kind)
	}
	expr, err := expression.NewBuilder().WithFilter(expression.Name(AttrType).Equal(expression.Value(r.kind))).Build()
	if err != nil {
		return fmt.Errorf("build backfill scan: %w", err)
	}
	in := &dynamodb.ScanInput{
		TableName: aws.String(s.table.Name), ConsistentRead: aws.Bool(true),
		FilterExpression: expr.Filter(), ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
	}
	for {
		out, err := scanner.Scan(ctx, in)
		if err != nil {
			return storeError("backfill", err)
		}
		for _, item := range out.Items {
			if err := f(item); err != nil {
				return err
			}
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// backfillPlan is what one item lacks: the pattern keys to set and to
// remove, and the unique values to claim; conflicts are its values that
// another entity holds.
type backfillPlan struct {
	set       map[string]types.AttributeValue
	remove    []string
	claims    []types.TransactWriteItem
	conflicts []kit.UniqueConflict
}

func (p backfillPlan) keys() bool { return len(p.set) > 0 || len(p.remove) > 0 }

// backfillItem gives one item what it lacks, reading it again while it
// changes under the write, and adds what it did to report.
func (s *Storage) backfillItem(ctx context.Context, r *repository, item map[string]types.AttributeValue, report *kit.BackfillReport) error {
	id, parent, err := r.idsOf(item)
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		plan, err := s.planBackfill(ctx, r, id, parent, item)
		if err != nil {
			return err
		}
		if !plan.keys() && len(plan.claims) == 0 {
			report.Conflicts = append(report.Conflicts, plan.conflicts...)
			return nil
		}
		done, err := s.writeBackfill(ctx, r, item, plan)
		switch {
		case err != nil:
			return err
		case done:
			if plan.keys() {
				report.Keyed++
			}
			report.Claimed += len(plan.claims)
			report.Conflicts = append(report.Conflicts, plan.conflicts...)
			return nil
		case attempt == backfillAttempts:
			return fmt.Errorf("backfill %s %s: %w: it kept changing", r.kind, id, kit.ErrUnavailable)
		}
		out, err := s.table.API.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(s.table.Name), Key: s.itemKey(item), ConsistentRead: aws.Bool(true),
		})
		switch {
		case err != nil:
			return storeError("backfill", err)
		case out.Item == nil:
			return nil // deleted meanwhile: nothing left to backfill
		}
		item = out.Item
	}
}

// idsOf reads an item's id, and a child's parent id, from its keys.
func (r *repository) idsOf(item map[string]types.AttributeValue) (id, parent string, err error) {
	pk, sk := stringAttr(item, r.table.Schema.Keys.PartitionKey), stringAttr(item, r.table.Schema.Keys.SortKey)
	var ok bool
	if !r.child() {
		id, ok = strings.CutPrefix(pk, r.kind+"#")
		ok = ok && sk == r.kind
	} else {
		parent, ok = strings.CutPrefix(pk, r.parentKind+"#")
		var isChild bool
		id, isChild = strings.CutPrefix(sk, r.childPrefix())
		ok = ok && isChild
	}
	if !ok || id == "" {
		return "", "", fmt.Errorf("dynamo: backfill %s: an item keyed %q/%q is not of the kind", r.kind, pk, sk)
	}
	return id, parent, nil
}

func (s *Storage) itemKey(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	k := s.table.Schema.Keys
	return map[string]types.AttributeValue{k.PartitionKey: item[k.PartitionKey], k.SortKey: item[k.SortKey]}
}

// planBackfill works out what item lacks, reading the uniqueness item of
// each of its unique values.
func (s *Storage) planBackfill(ctx context.Context, r *repository, id, parent string, item map[string]types.AttributeValue) (backfillPlan, error) {
	schema := s.table.Schema
	plan := backfillPlan{set: map[string]types.AttributeValue{}}
	want, drop := schema.PatternKeys(r.access, r.kind, Position(id, parent), item)
	// The pattern indexes past the kind's patterns hold keys only of
	// patterns it has stopped declaring.
	for _, idx := range schema.Patterns[min(len(r.access.Indexes), len(schema.Patterns)):] {
		drop = append(drop, idx.Keys.PartitionKey, idx.Keys.SortKey)
	}
	for name, v := range want {
		if have, ok := item[name].(*types.AttributeValueMemberS); !ok || have.Value != v.(*types.AttributeValueMemberS).Value {
			plan.set[name] = v
		}
	}
	for _, name := range drop {
		if _, ok := item[name]; ok {
			plan.remove = append(plan.remove, name)
		}
	}
	values := UniqueValues(r.access, item)
	for _, f := range r.access.Unique {
		v, ok := values[f]
		if !ok {
			continue
		}
		out, err := s.table.API.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String(s.table.Name), Key: schema.UniqueKey(r.kind, f, v), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return backfillPlan{}, storeError("backfill", err)
		}
		switch holder := stringAttr(out.Item, AttrHolder); {
		case out.Item == nil:
			put, err := conditionalPut(s.table, schema.UniqueItem(r.kind, f, v, id), expression.AttributeNotExists(expression.Name(schema.Keys.PartitionKey)))
			if err != nil {
				return backfillPlan{}, err
			}
			plan.claims = append(plan.claims, types.TransactWriteItem{Put: put})
		case holder != id:
			plan.conflicts = append(plan.conflicts, kit.UniqueConflict{ID: id, Field: f, Value: v, Holder: holder})
		}
	}
	return plan, nil
}

// writeBackfill makes plan's writes, conditioned on item being as read.
// It reports false, with no error, when the item or a value's claim
// changed since they were read: the plan is stale.
func (s *Storage) writeBackfill(ctx context.Context, r *repository, item map[string]types.AttributeValue, plan backfillPlan) (bool, error) {
	cond, err := unchanged(item)
	if err != nil {
		return false, err
	}
	b := expression.NewBuilder().WithCondition(cond)
	if plan.keys() {
		var upd expression.UpdateBuilder
		for name, v := range plan.set {
			upd = upd.Set(expression.Name(name), expression.Value(v))
		}
		for _, name := range plan.remove {
			upd = upd.Remove(expression.Name(name))
		}
		b = b.WithUpdate(upd)
	}
	expr, err := b.Build()
	if err != nil {
		return false, fmt.Errorf("build backfill write: %w", err)
	}
	key := s.itemKey(item)
	if len(plan.claims) == 0 {
		err := retryConflicts(ctx, func() error {
			_, err := s.table.API.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(s.table.Name), Key: key,
				UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
				ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
			})
			return err
		})
		var failed *types.ConditionalCheckFailedException
		switch {
		case errors.As(err, &failed):
			return false, nil
		case err != nil:
			return false, storeError("backfill", err)
		}
		return true, nil
	}
	// The claims commit with the item's check, so that a value the item
	// gave up meanwhile is never claimed for it, to outlive it unreleased.
	var own types.TransactWriteItem
	if plan.keys() {
		own.Update = &types.Update{
			TableName: aws.String(s.table.Name), Key: key,
			UpdateExpression: expr.Update(), ConditionExpression: expr.Condition(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		}
	} else {
		own.ConditionCheck = &types.ConditionCheck{
			TableName: aws.String(s.table.Name), Key: key, ConditionExpression: expr.Condition(),
			ExpressionAttributeNames: expr.Names(), ExpressionAttributeValues: expr.Values(),
		}
	}
	failed, err := r.transact(ctx, "backfill", append([]types.TransactWriteItem{own}, plan.claims...))
	switch {
	case failed >= 0:
		return false, nil // the item changed, or another entity claimed a value first
	case err != nil:
		return false, err
	}
	return true, nil
}

// unchanged is the condition that an item is still at the version and
// revision it was read at.
func unchanged(item map[string]types.AttributeValue) (expression.ConditionBuilder, error) {
	version, err := versionOf(item)
	if err != nil {
		return expression.ConditionBuilder{}, err
	}
	cond := expression.Name(AttrVersion).Equal(expression.Value(int64(version)))
	rev := expression.Name(AttrRevision)
	if n, ok := item[AttrRevision].(*types.AttributeValueMemberN); ok {
		return cond.And(rev.Equal(expression.Value(&types.AttributeValueMemberN{Value: n.Value}))), nil
	}
	return cond.And(expression.AttributeNotExists(rev)), nil
}
