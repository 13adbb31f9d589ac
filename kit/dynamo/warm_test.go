package dynamo_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit/dynamo"
)

func TestWarm(t *testing.T) {
	table := ddb.NewTable(t)
	missing := table
	missing.Name = "no-such-table"
	tests := []struct {
		name     string
		table    dynamo.Table
		notFound bool
	}{
		{"table", table, false},
		{"no table", missing, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.table.Warm(context.Background())
			var nf *types.ResourceNotFoundException
			if got := errors.As(err, &nf); got != tt.notFound || (err != nil && !tt.notFound) {
				t.Errorf("Warm = %v, want a ResourceNotFoundException: %v", err, tt.notFound)
			}
		})
	}
	if items := ddb.Snapshot(t, table); len(items) != 0 {
		t.Errorf("Warm left %d items in the table: %v", len(items), items)
	}
}

// TestWarmTriesOnce points the client at an endpoint that always answers
// 500, which the SDK retries: Warm must not.
func TestWarmTriesOnce(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(srv.Close)
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("a", "b", ""),
	})
	table := dynamo.Table{API: client, Name: "t", Schema: dynamo.Layout()}
	if err := table.Warm(context.Background()); err == nil {
		t.Fatal("Warm succeeded against a failing endpoint")
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("Warm made %d attempts, want 1", n)
	}
	// The same client retries an ordinary call, so the count above is
	// Warm's doing.
	calls.Store(0)
	_, _ = client.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "x"}, "SK": &types.AttributeValueMemberS{Value: "x"}}})
	if n := calls.Load(); n < 2 {
		t.Errorf("an ordinary GetItem made %d attempts; the test needs a client that retries", n)
	}
}
