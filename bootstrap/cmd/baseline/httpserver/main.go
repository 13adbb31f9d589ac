// Command httpserver is the yardstick of the load test (go run
// ./bootstrap/cmd/load): the products API's create, get, update, delete and
// list written by hand with net/http, encoding/json and aws-sdk-go-v2, the
// way one would without the kit. It makes the same DynamoDB calls as the service for
// each of them, on the same item and table layout, so that the load test's
// difference between the two is what the kit's request path costs, not a
// difference in storage work.
//
// It serves on 127.0.0.1:$PORT, against $TABLE_NAME at $DYNAMODB_ENDPOINT,
// and stops on SIGINT or SIGTERM. The one thing it takes from the kit is
// the table's definition (dynamo.Layout), to create the table when it is
// missing exactly as the service does. It is not a product: no reviews, no
// If-Match, no If-None-Match, no Idempotency-Key, minimal validation.
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/lambdakit/lambdakit/kit/dynamo"
)

// devSecret signs paging tokens when CURSOR_SECRET is unset, as the
// service's local default does.
const devSecret = "lambdakit-local-development-only"

func main() {
	if err := run(); err != nil {
		log.Fatalf("baseline: %v", err)
	}
}

// config is what the environment says, named as the service names it.
type config struct {
	port     string
	endpoint string
	table    string
	region   string
	secret   []byte
}

func configFromEnv() (config, error) {
	c := config{
		port:     cmp.Or(os.Getenv("PORT"), "8081"),
		endpoint: os.Getenv("DYNAMODB_ENDPOINT"),
		table:    cmp.Or(os.Getenv("TABLE_NAME"), "baseline"),
		region:   cmp.Or(os.Getenv("AWS_REGION"), "us-east-1"),
		secret:   []byte(cmp.Or(os.Getenv("CURSOR_SECRET"), devSecret)),
	}
	if _, err := strconv.Atoi(c.port); err != nil {
		return c, fmt.Errorf("PORT %q is not a port number: %w", c.port, err)
	}
	return c, nil
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := configFromEnv()
	if err != nil {
		return err
	}
	db, err := newClient(ctx, cfg)
	if err != nil {
		return err
	}
	if cfg.endpoint != "" {
		// The same layout as the service's table, created the same way.
		if err := dynamo.Layout().EnsureTable(ctx, db, cfg.table); err != nil {
			return fmt.Errorf("ensure table: %w", err)
		}
	}
	api := &server{store: &store{db: db, table: cfg.table, secret: cfg.secret}}
	srv := &http.Server{
		Addr:              net.JoinHostPort("127.0.0.1", cfg.port),
		Handler:           api.routes(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Printf("baseline: serving on http://%s, table %s", ln.Addr(), cfg.table)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// newClient configures the SDK as the service does (bootstrap/wiring.go):
// the same retries, and static credentials for DynamoDB Local, so that both
// servers' calls cost the same.
func newClient(ctx context.Context, cfg config) (*dynamodb.Client, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.region)}
	if cfg.endpoint != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 4
			so.MaxBackoff = time.Second
		})
		if cfg.endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.endpoint)
			o.DisableValidateResponseChecksum = true
		}
	}), nil
}
