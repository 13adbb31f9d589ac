// Command reshard moves the listed items of every sharded kind the service
// serves into the shards its declaration names now (kit.Shards.Now), after
// the number of shards changed. Listings stay complete before, during and
// after; once it reports every kind done, the kinds can drop their Before
// layouts. It reaches the table as the service does: TABLE_NAME, the AWS
// region and credentials from the environment (AWS_PROFILE, AWS_REGION),
// and AWS_ENDPOINT_URL_DYNAMODB for DynamoDB Local.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "reshard:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		return errors.New("TABLE_NAME is required (the stack's TableName output)")
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("load aws config: %w", err)
	}
	// Reshard signs no token; the codec only completes the storage.
	tokens, err := cursor.New([]byte("reshard-signs-no-token"))
	if err != nil {
		return fmt.Errorf("codec: %w", err)
	}
	storage := dynamo.NewStorage(dynamo.Table{API: dynamodb.NewFromConfig(cfg), Name: table, Schema: dynamo.Layout()}, tokens)
	kinds, err := app.Kinds()
	if err != nil {
		return err
	}
	for _, e := range kinds {
		if _, ok := e.(kit.Sharded); !ok {
			continue
		}
		moved, err := storage.Reshard(ctx, e)
		if err != nil {
			return fmt.Errorf("%s: %w", e.EntityKind(), err)
		}
		fmt.Printf("%s (%s): moved %d items to %d shards\n", e.EntityKind(), reflect.TypeOf(e), moved, kit.ShardsOf(e).Now)
	}
	return nil
}
