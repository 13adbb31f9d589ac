package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// warmKey is the key Warm reads. Warm only reads, so any key would do; this
// one is chosen to hold nothing, since every stored key begins with a kind.
const warmKey = "#warm"

// Warm makes one cheap call to the table, so that the work a client's first
// call pays wherever it is made — resolving the endpoint, DNS, the TCP and
// TLS handshakes, deriving the signing key — is done before a request
// needs it. It reads one key no entity has, with a single attempt: a
// failure costs no retry quota, and the request that meets the same
// failure reports it. The returned error is for logging.
func (t Table) Warm(ctx context.Context) error {
	_, err := t.API.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(t.Name),
		Key: map[string]types.AttributeValue{
			t.Schema.Keys.PartitionKey: &types.AttributeValueMemberS{Value: warmKey},
			t.Schema.Keys.SortKey:      &types.AttributeValueMemberS{Value: warmKey},
		},
	}, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	if err != nil {
		return fmt.Errorf("dynamo: warm %s: %w", t.Name, err)
	}
	return nil
}
