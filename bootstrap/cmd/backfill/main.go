// Command backfill gives the stored items of every kind the service serves
// what the kind's declaration asks for now: the keys of its patterns and
// the claims of its unique values ((*dynamo.Storage).Backfill). Run it
// after a kind that already has items declares a pattern or a unique field
// (or drops a pattern), once every instance serves the new declaration: an
// instance still on the old one writes items without them. It is
// idempotent, and run again it writes nothing.
//
// It prints, per kind, the items it read and what it wrote. A unique value
// that two entities hold stays with the one that claimed it first; backfill
// names the other, carries on, and exits non-zero, so that someone changes
// one of them and runs it again.
//
//	backfill [-kind KIND]
//
// -kind backfills that kind alone. It reaches the table as the service
// does: TABLE_NAME, the AWS region and credentials from the environment
// (AWS_PROFILE, AWS_REGION), and AWS_ENDPOINT_URL_DYNAMODB for DynamoDB
// Local.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, app.Kinds); err != nil {
		fmt.Fprintln(os.Stderr, "backfill:", err)
		os.Exit(1)
	}
}

// errConflicts is a run that left unique values with two holders.
var errConflicts = errors.New("unique values held by two entities")

// run backfills the kinds kinds returns (or the one -kind names in args),
// printing to out what it did.
func run(ctx context.Context, args []string, out io.Writer, kinds func() ([]kit.Entity, error)) error {
	flags := flag.NewFlagSet("backfill", flag.ContinueOnError)
	only := flags.String("kind", "", "backfill this entity kind alone (default: every kind the service serves)")
	switch err := flags.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return nil
	case err != nil:
		return fmt.Errorf("arguments: %w", err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flags.Args())
	}
	all, err := kinds()
	if err != nil {
		return err
	}
	selected, err := choose(all, *only)
	if err != nil {
		return err
	}
	storage, err := openStorage(ctx)
	if err != nil {
		return err
	}
	conflicts := 0
	for _, e := range selected {
		r, err := storage.Backfill(ctx, e)
		if err != nil {
			return fmt.Errorf("%s: %w", e.EntityKind(), err)
		}
		fmt.Fprintf(out, "%s (%s): read %d items, wrote the pattern keys of %d, claimed %d unique values, %d conflicts\n",
			r.Kind, reflect.TypeOf(e), r.Items, r.Keyed, r.Claimed, len(r.Conflicts))
		for _, c := range r.Conflicts {
			fmt.Fprintf(out, "  conflict: %s %s has %s %q, which %s %s holds\n", r.Kind, c.ID, c.Field, c.Value, r.Kind, c.Holder)
		}
		conflicts += len(r.Conflicts)
	}
	if conflicts > 0 {
		return fmt.Errorf("%d %w: change one of each pair and run backfill again", conflicts, errConflicts)
	}
	return nil
}

// choose returns the kinds to backfill: all of them, or the one named.
func choose(all []kit.Entity, kind string) ([]kit.Entity, error) {
	if kind == "" {
		return all, nil
	}
	var names []string
	for _, e := range all {
		if e.EntityKind() == kind {
			return []kit.Entity{e}, nil
		}
		names = append(names, e.EntityKind())
	}
	return nil, fmt.Errorf("-kind %s: the service serves %s", kind, strings.Join(names, ", "))
}

// openStorage opens the table TABLE_NAME names, as the environment
// configures the SDK.
func openStorage(ctx context.Context) (*dynamo.Storage, error) {
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		return nil, errors.New("TABLE_NAME is required (the stack's TableName output)")
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if o.BaseEndpoint != nil {
			// DynamoDB Local's CRC32 headers do not always match what it
			// sends; the real service's do.
			o.DisableValidateResponseChecksum = true
		}
	})
	// Backfill signs no token; the codec only completes the storage.
	tokens, err := cursor.New([]byte("backfill-signs-no-token"))
	if err != nil {
		return nil, fmt.Errorf("codec: %w", err)
	}
	return dynamo.NewStorage(dynamo.Table{API: client, Name: table, Schema: dynamo.Layout()}, tokens), nil
}
