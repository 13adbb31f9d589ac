package dynamo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// TestInterruptedDeleteLeavesNothingVisible stops a parent's delete right
// after its own item is gone, as a timeout or an outage would, with its
// children still in the table. None of them may be reachable, and the next
// delete of the id, which finds no parent, must finish the sweep.
func TestInterruptedDeleteLeavesNothingVisible(t *testing.T) {
	ctx := context.Background()
	tokens, _ := repotest.Codecs(t)
	table := ddb.NewTable(t)
	s := dynamo.NewStorage(table, tokens)
	notes := kit.RepositoryOf[repotest.Note](s, "")
	const parent = "00000000-0000-7000-8000-000000000001"
	comments := kit.RepositoryOf[repotest.Comment](s, parent)
	if _, err := notes.Create(ctx, repotest.Note{ID: parent, Name: "n"}); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		if _, err := comments.Create(ctx, repotest.Comment{ID: fmt.Sprintf("c-%02d", i), Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	// The interruption: the parent's item is deleted and nothing else.
	if _, err := table.API.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(table.Name),
		Key: map[string]types.AttributeValue{
			dynamo.AttrPK: &types.AttributeValueMemberS{Value: "NOTE#" + parent},
			dynamo.AttrSK: &types.AttributeValueMemberS{Value: "NOTE"},
		},
	}); err != nil {
		t.Fatal(err)
	}
	if n := partitionSize(t, table, "NOTE#"+parent, false); n != 30 {
		t.Fatalf("%d items left after the interruption, want the 30 children", n)
	}
	checks := map[string]error{}
	_, checks["get a child"] = comments.Get(ctx, "c-00")
	_, checks["list the children"] = comments.List(ctx, kit.PageRequest{Size: 5})
	_, _, checks["get the parent with its children"] = kit.GetWith[repotest.Note, repotest.Comment](ctx, s, parent, 5)
	_, checks["update a child"] = comments.Update(ctx, "c-01", kit.Patch{Set: map[string]any{"text": "y"}}, kit.AnyVersion)
	checks["delete a child"] = comments.Delete(ctx, "c-02", kit.AnyVersion)
	_, checks["create a child"] = comments.Create(ctx, repotest.Comment{ID: "c-99"})
	for what, err := range checks {
		if !errors.Is(err, kit.ErrNotFound) {
			t.Errorf("%s of a deleted parent: %v, want not found", what, err)
		}
	}
	if err := notes.Delete(ctx, parent, kit.AnyVersion); !errors.Is(err, kit.ErrNotFound) {
		t.Errorf("the later delete: %v, want not found", err)
	}
	if n := partitionSize(t, table, "NOTE#"+parent, false); n != 0 {
		t.Errorf("%d items left after the later delete, want none", n)
	}
	// What stays is the record of each child's deletion: its event.
	if n := partitionSize(t, table, "NOTE#"+parent, true); n != 30 {
		t.Errorf("%d outbox items in the partition, want one for each of the 30 children", n)
	}
}

// partitionSize counts the entities' items of partition pk, or its outbox
// items, which record the events of the deletes made in it.
func partitionSize(t *testing.T, table dynamo.Table, pk string, outbox bool) int {
	t.Helper()
	cond := "#pk = :pk AND #sk < :outbox"
	if outbox {
		cond = "#pk = :pk AND begins_with(#sk, :outbox)"
	}
	out, err := table.API.Query(context.Background(), &dynamodb.QueryInput{
		TableName:                aws.String(table.Name),
		KeyConditionExpression:   aws.String(cond),
		ExpressionAttributeNames: map[string]string{"#pk": dynamo.AttrPK, "#sk": dynamo.AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":     &types.AttributeValueMemberS{Value: pk},
			":outbox": &types.AttributeValueMemberS{Value: dynamo.KindOutbox},
		},
		ConsistentRead: aws.Bool(true),
		Select:         types.SelectCount,
	})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}
