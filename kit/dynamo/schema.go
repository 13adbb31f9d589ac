// Package dynamo is the DynamoDB adapter of kit.Repository: every entity of
// every kind lives in one table, keyed by PK/SK, and is listed by kind through
// one generic index.
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
)

// Attribute names the kit owns on every item. Entities may not use them.
const (
	// AttrPK is the table's partition key: KIND#id.
	AttrPK = "PK"
	// AttrSK is the table's sort key: KIND for an entity's own item.
	AttrSK = "SK"
	// AttrGSI1PK is the listing index's partition key: the entity kind,
	// or KIND#i for shard i of a kit.Sharded kind.
	AttrGSI1PK = "GSI1PK"
	// AttrGSI1SK is the listing index's sort key: the entity id.
	AttrGSI1SK = "GSI1SK"
	// AttrHolder is the id of the entity a uniqueness item belongs to.
	AttrHolder = "_holder"
	// KindUnique marks uniqueness items: one per value of a unique field,
	// PK=SK=UNIQUE#KIND#field#value, holding the entity's id.
	KindUnique = "_UNIQUE"
	// AttrType marks every item with its kind.
	AttrType = "_type"
	// AttrVersion counts writes to an entity, for optimistic locking.
	AttrVersion = "_version"
	// AttrRevision counts an entity's derived writes (kit.Patch.Derived).
	AttrRevision = "_rev"
	// AttrExpiresAt is the TTL attribute, in Unix seconds.
	AttrExpiresAt = "_expiresAt"
)

// KeySchema names a partition key and a sort key, both strings.
type KeySchema struct {
	PartitionKey string
	SortKey      string
}

// Index is a global secondary index that projects every attribute.
type Index struct {
	Name string
	Keys KeySchema
}

// Schema is the table layout. The service creates local tables from it and
// the CDK stack builds the deployed table from it, so the two cannot drift.
type Schema struct {
	Keys      KeySchema
	ListIndex Index
	// Patterns are the generic indexes declared patterns (kit.Index) are
	// stored on: a kind's first pattern on the first, and so on. Every
	// kind shares them, overloaded by a partition key that starts with the
	// kind, so adding a pattern changes neither the table nor the stack.
	Patterns     []Index
	TTLAttribute string
}

// Layout returns the one table layout the kit uses.
func Layout() Schema {
	return Schema{
		Keys:         KeySchema{PartitionKey: AttrPK, SortKey: AttrSK},
		ListIndex:    Index{Name: "GSI1", Keys: KeySchema{PartitionKey: AttrGSI1PK, SortKey: AttrGSI1SK}},
		Patterns:     patternIndexes(kit.MaxIndexes),
		TTLAttribute: AttrExpiresAt,
	}
}

// patternIndexes names n pattern indexes GSI2, GSI3, ..., keyed by
// GSI2PK/GSI2SK and so on.
func patternIndexes(n int) []Index {
	out := make([]Index, n)
	for i := range out {
		name := "GSI" + strconv.Itoa(i+2)
		out[i] = Index{Name: name, Keys: KeySchema{PartitionKey: name + "PK", SortKey: name + "SK"}}
	}
	return out
}

// CreateTableInput describes the table for DynamoDB's CreateTable, billed on
// demand like the deployed one, with its stream of new and old images.
func (s Schema) CreateTableInput(table string) *dynamodb.CreateTableInput {
	str := types.ScalarAttributeTypeS
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(table),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(s.Keys.PartitionKey), AttributeType: str},
			{AttributeName: aws.String(s.Keys.SortKey), AttributeType: str},
		},
		KeySchema: keySchema(s.Keys),
		// The stream is where events come from: every write's item, before
		// and after (see Events).
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewAndOldImages},
	}
	for _, idx := range s.Indexes() {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String(idx.Keys.PartitionKey), AttributeType: str},
			types.AttributeDefinition{AttributeName: aws.String(idx.Keys.SortKey), AttributeType: str})
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(idx.Name),
			KeySchema:  keySchema(idx.Keys),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		})
	}
	return in
}

// Indexes lists every global secondary index: the listing index, then the
// pattern indexes.
func (s Schema) Indexes() []Index { return append([]Index{s.ListIndex}, s.Patterns...) }

func keySchema(k KeySchema) []types.KeySchemaElement {
	return []types.KeySchemaElement{
		{AttributeName: aws.String(k.PartitionKey), KeyType: types.KeyTypeHash},
		{AttributeName: aws.String(k.SortKey), KeyType: types.KeyTypeRange},
	}
}

// TableAdmin is the part of the DynamoDB API that EnsureTable needs.
type TableAdmin interface {
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	CreateTable(ctx context.Context, in *dynamodb.CreateTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	UpdateTimeToLive(ctx context.Context, in *dynamodb.UpdateTimeToLiveInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

// EnsureTable creates the table from the schema unless it exists, and waits
// until it is active. It is meant for local and test stores; deployed tables
// belong to the infrastructure stack.
func (s Schema) EnsureTable(ctx context.Context, api TableAdmin, table string) error {
	_, err := api.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	var missing *types.ResourceNotFoundException
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &missing):
		return fmt.Errorf("describe table %s: %w", table, err)
	}
	if _, err := api.CreateTable(ctx, s.CreateTableInput(table)); err != nil {
		var inUse *types.ResourceInUseException
		if !errors.As(err, &inUse) { // another process won the race: fine
			return fmt.Errorf("create table %s: %w", table, err)
		}
	}
	if err := dynamodb.NewTableExistsWaiter(api).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, waitBudget); err != nil {
		return fmt.Errorf("wait for table %s: %w", table, err)
	}
	_, err = api.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(s.TTLAttribute),
			Enabled:       aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("enable ttl on %s: %w", table, err)
	}
	return nil
}
