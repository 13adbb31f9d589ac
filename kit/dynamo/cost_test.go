package dynamo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// metered is a dynamo.API that asks DynamoDB for the capacity of every
// call and adds it up: what a request costs, in DynamoDB's own units as
// DynamoDB Local reports them (the table's and its index's).
//
// DynamoDB Local reports a transaction as if it wrote one item, however
// many it holds, so metered also counts the items each call writes and
// how many of them were in transactions (which DynamoDB bills at twice a
// plain write).
type metered struct {
	API      baselineAPI
	wcu, rcu float64
	plain    int // items written outside transactions
	txItems  int // items in write transactions, condition checks included
}

func units(cc ...types.ConsumedCapacity) float64 {
	n := 0.0
	for _, c := range cc {
		n += aws.ToFloat64(c.CapacityUnits)
	}
	return n
}

func one(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

const indexes = types.ReturnConsumedCapacityIndexes

func (m *metered) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	in.ReturnConsumedCapacity = indexes
	out, err := m.API.GetItem(ctx, in, opts...)
	if err == nil {
		m.rcu += units(one(out.ConsumedCapacity)...)
	}
	return out, err
}

func (m *metered) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	in.ReturnConsumedCapacity = indexes
	out, err := m.API.PutItem(ctx, in, opts...)
	if err == nil {
		m.wcu += units(one(out.ConsumedCapacity)...)
		m.plain++
	}
	return out, err
}

func (m *metered) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	in.ReturnConsumedCapacity = indexes
	out, err := m.API.UpdateItem(ctx, in, opts...)
	if err == nil {
		m.wcu += units(one(out.ConsumedCapacity)...)
		m.plain++
	}
	return out, err
}

func (m *metered) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	in.ReturnConsumedCapacity = indexes
	out, err := m.API.DeleteItem(ctx, in, opts...)
	if err == nil {
		m.wcu += units(one(out.ConsumedCapacity)...)
		m.plain++
	}
	return out, err
}

func (m *metered) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	in.ReturnConsumedCapacity = indexes
	out, err := m.API.Query(ctx, in, opts...)
	if err == nil {
		m.rcu += units(one(out.ConsumedCapacity)...)
	}
	return out, err
}

func (m *metered) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	in.ReturnConsumedCapacity = indexes
	out, err := m.API.TransactWriteItems(ctx, in, opts...)
	if err == nil {
		m.wcu += units(out.ConsumedCapacity...)
		m.txItems += len(in.TransactItems)
	}
	return out, err
}

func (m *metered) TransactGetItems(ctx context.Context, in *dynamodb.TransactGetItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactGetItemsOutput, error) {
	in.ReturnConsumedCapacity = indexes
	out, err := m.API.TransactGetItems(ctx, in, opts...)
	if err == nil {
		m.rcu += units(out.ConsumedCapacity...)
	}
	return out, err
}

func (m *metered) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	in.ReturnConsumedCapacity = indexes
	out, err := m.API.BatchWriteItem(ctx, in, opts...)
	if err == nil {
		m.wcu += units(out.ConsumedCapacity...)
		for _, reqs := range in.RequestItems {
			m.plain += len(reqs)
		}
	}
	return out, err
}

// baselineAPI is the client's calls the kit makes, and BatchWriteItem,
// which the kit's sweep made before it raised events.
type baselineAPI interface {
	dynamo.API
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

// cost is what one operation cost.
type cost struct {
	wcu, rcu       float64
	plain, txItems int
}

// billed is the write units DynamoDB's price list gives for the items
// written, each under 1 KB: one a plain write, two a transactional one
// (the index's writes aside).
func (c cost) billed() int { return c.plain + 2*c.txItems }

func (m *metered) measure(t *testing.T, op func() error) cost {
	t.Helper()
	m.wcu, m.rcu, m.plain, m.txItems = 0, 0, 0, 0
	if err := op(); err != nil {
		t.Fatal(err)
	}
	return cost{m.wcu, m.rcu, m.plain, m.txItems}
}

// TestEventWriteCost measures what raising events costs each write, in
// capacity units as DynamoDB Local reports them: the kit's writes today
// against the same writes as the kit made them before events (the
// baseline, made here with the SDK as the adapter made them), on a small
// item of a listed kind and a child. Creates and updates carry their
// event on the item, so they must cost what they did; a delete reads the
// item and commits an outbox item with it in a transaction, and a
// cascade's every child likewise, which this states in numbers.
func TestEventWriteCost(t *testing.T) {
	ctx := context.Background()
	m := &metered{API: ddb.Client()}
	table := ddb.NewTable(t)
	table.API = m
	codec, _ := repotest.Codecs(t)
	s := dynamo.NewStorage(table, codec)
	notes := kit.RepositoryOf[repotest.Note](s, "")
	ids := repotest.UUIDs(20, 1)
	note := func(i int) repotest.Note { return repotest.Note{ID: ids[i], Name: "Lamp", Size: 3} }
	const children = 50

	after := map[string]cost{
		"create": m.measure(t, func() error { _, err := notes.Create(ctx, note(0)); return err }),
		"update": m.measure(t, func() error {
			_, err := notes.Update(ctx, ids[0], kit.Patch{Set: map[string]any{"name": "Desk lamp"}}, kit.AnyVersion)
			return err
		}),
		"delete": m.measure(t, func() error { return notes.Delete(ctx, ids[0], kit.AnyVersion) }),
	}
	if _, err := notes.Create(ctx, note(1)); err != nil {
		t.Fatal(err)
	}
	comments := kit.RepositoryOf[repotest.Comment](s, ids[1])
	after["child create"] = m.measure(t, func() error {
		_, err := comments.Create(ctx, repotest.Comment{ID: ids[2], Text: "Warm"})
		return err
	})
	after["child delete"] = m.measure(t, func() error { return comments.Delete(ctx, ids[2], kit.AnyVersion) })
	for i := range children {
		if _, err := comments.Create(ctx, repotest.Comment{ID: fmt.Sprintf("00000000-0000-7000-8000-%012d", 100+i), Text: "Warm"}); err != nil {
			t.Fatal(err)
		}
	}
	after["cascade"] = m.measure(t, func() error { return notes.Delete(ctx, ids[1], kit.AnyVersion) })

	before := baselineCosts(ctx, t, m, ddb.NewTable(t), children)
	for _, op := range []string{"create", "update", "delete", "child create", "child delete", "cascade"} {
		b, a := before[op], after[op]
		t.Logf("%-12s before: Local %5.1f WCU %4.1f RCU, %3d items (%3d in transactions), billed %3d WCU;  after: Local %5.1f WCU %4.1f RCU, %3d items (%3d in transactions), billed %3d WCU",
			op, b.wcu, b.rcu, b.plain+b.txItems, b.txItems, b.billed(), a.wcu, a.rcu, a.plain+a.txItems, a.txItems, a.billed())
	}
	for _, op := range []string{"create", "update", "child create"} {
		if after[op] != before[op] {
			t.Errorf("%s costs %+v with its event, %+v without: the event must ride on the item for free", op, after[op], before[op])
		}
	}
	for _, op := range []string{"delete", "child delete", "cascade"} {
		if after[op].plain+after[op].txItems <= before[op].plain+before[op].txItems {
			t.Errorf("%s writes %+v with its outbox item, no more than %+v without: is the outbox item written?", op, after[op], before[op])
		}
	}
	if got, want := after["cascade"].txItems-after["delete"].txItems, 2*children; got != want {
		t.Errorf("a cascade over %d children wrote %d transaction items for them, want %d (a delete and an outbox item each)", children, got, want)
	}
}

// baselineCosts makes the writes as the adapter made them before events:
// a conditional PutItem, an UpdateItem with ALL_NEW, a DeleteItem and a
// sweep by BatchWriteItem; a child's write in a transaction with its
// parent's check.
func baselineCosts(ctx context.Context, t *testing.T, m *metered, table dynamo.Table, children int) map[string]cost {
	t.Helper()
	name := aws.String(table.Name)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	id := "00000000-0000-7000-8000-000000000001"
	item := func(pk, sk, id string, listed bool) map[string]types.AttributeValue {
		it := map[string]types.AttributeValue{
			dynamo.AttrPK: s(pk), dynamo.AttrSK: s(sk), "id": s(id), "name": s("Lamp"), "size": n("3"),
			"at": s("0001-01-01T00:00:00Z"), dynamo.AttrType: s("NOTE"), dynamo.AttrVersion: n("1"),
		}
		if listed {
			it[dynamo.AttrGSI1PK], it[dynamo.AttrGSI1SK] = s("NOTE"), s(id)
		}
		return it
	}
	key := func(pk, sk string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{dynamo.AttrPK: s(pk), dynamo.AttrSK: s(sk)}
	}
	parentCheck := func(pk string) types.TransactWriteItem {
		return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: name, Key: key(pk, "NOTE"),
			ConditionExpression: aws.String("attribute_exists(PK)")}}
	}
	out := map[string]cost{}
	out["create"] = m.measure(t, func() error {
		_, err := m.PutItem(ctx, &dynamodb.PutItemInput{TableName: name, Item: item("NOTE#"+id, "NOTE", id, true), ConditionExpression: aws.String("attribute_not_exists(PK)")})
		return err
	})
	out["update"] = m.measure(t, func() error {
		_, err := m.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: name, Key: key("NOTE#"+id, "NOTE"),
			UpdateExpression:          aws.String("SET #n = :n ADD #v :one"),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames:  map[string]string{"#n": "name", "#v": dynamo.AttrVersion},
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": s("Desk lamp"), ":one": n("1")},
			ReturnValues:              types.ReturnValueAllNew})
		return err
	})
	out["delete"] = m.measure(t, func() error {
		_, err := m.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: name, Key: key("NOTE#"+id, "NOTE"), ConditionExpression: aws.String("attribute_exists(PK)")})
		return err
	})
	parent := "NOTE#00000000-0000-7000-8000-000000000002"
	if _, err := m.PutItem(ctx, &dynamodb.PutItemInput{TableName: name, Item: item(parent, "NOTE", "p", true)}); err != nil {
		t.Fatal(err)
	}
	child := "NOTE#COMMENT#00000000-0000-7000-8000-000000000003"
	out["child create"] = m.measure(t, func() error {
		_, err := m.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			parentCheck(parent),
			{Put: &types.Put{TableName: name, Item: item(parent, child, "c", false), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		}})
		return err
	})
	out["child delete"] = m.measure(t, func() error {
		_, err := m.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			parentCheck(parent),
			{Delete: &types.Delete{TableName: name, Key: key(parent, child), ConditionExpression: aws.String("attribute_exists(PK)")}},
		}})
		return err
	})
	var keys []types.WriteRequest
	for i := range children {
		sk := fmt.Sprintf("NOTE#COMMENT#00000000-0000-7000-8000-%012d", 100+i)
		if _, err := m.PutItem(ctx, &dynamodb.PutItemInput{TableName: name, Item: item(parent, sk, "c", false)}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(parent, sk)}})
	}
	out["cascade"] = m.measure(t, func() error {
		if _, err := m.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: name, Key: key(parent, "NOTE"), ConditionExpression: aws.String("attribute_exists(PK)")}); err != nil {
			return err
		}
		if _, err := m.Query(ctx, &dynamodb.QueryInput{TableName: name, KeyConditionExpression: aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": s(parent)}, ConsistentRead: aws.Bool(true)}); err != nil {
			return err
		}
		for start := 0; start < len(keys); start += 25 {
			if _, err := m.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{table.Name: keys[start:min(start+25, len(keys))]}}); err != nil {
				return err
			}
		}
		return nil
	})
	return out
}
