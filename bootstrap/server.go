//go:build !lambdakit.function

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/relay"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// This file is the build for people: `go run ./bootstrap` and `make run`.
// It serves locally, with the OpenAPI document and its docs page, and it
// still runs under Lambda. function.go is the build `make build` ships.

// awsConfig is the SDK's default configuration, so a developer's profiles,
// SSO sessions and shared files all work; with DYNAMODB_ENDPOINT it needs no
// credentials at all.
func awsConfig(cfg Config) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}
	if cfg.Endpoint != "" {
		// DynamoDB Local accepts any credentials; without this the SDK
		// would search the machine for real ones.
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load aws config: %w", err)
	}
	return awsCfg, nil
}

// pollEvery is how often the local event path reads the stream when it
// has nothing to do: events reach the log, the bus and the consumers
// within about that, as on Lambda, whose mapping polls a few times a
// second.
const pollEvery = 250 * time.Millisecond

// pollLocally runs the event path beside the local server, as the event
// source mapping runs the event function: it reads the table's stream
// from its start and hands it to the relay in batches.
func pollLocally(lc fx.Lifecycle, cfg Config, r *relay.Relay, client *dynamodb.Client, log *zap.Logger) error {
	awsCfg, err := awsConfig(cfg)
	if err != nil {
		return err
	}
	streams := dynamodbstreams.NewFromConfig(awsCfg, func(o *dynamodbstreams.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	lc.Append(fx.Hook{
		OnStart: func(start context.Context) error {
			out, err := client.DescribeTable(start, &dynamodb.DescribeTableInput{TableName: aws.String(cfg.TableName)})
			if err != nil {
				return fmt.Errorf("describe table: %w", err)
			}
			if out.Table.LatestStreamArn == nil {
				log.Warn("the table has no stream: no events", zap.String("table", cfg.TableName))
				close(done)
				return nil
			}
			stream := &relay.Stream{API: streams, ARN: *out.Table.LatestStreamArn}
			log.Info("event path", zap.String("stream", stream.ARN), zap.Bool("eventBridge", cfg.EventBusName != ""))
			go func() {
				defer close(done)
				_ = relay.Poll(ctx, stream, r.Handle, log, pollEvery)
			}()
			return nil
		},
		OnStop: func(stop context.Context) error {
			cancel()
			select {
			case <-done:
			case <-stop.Done():
			}
			return nil
		},
	})
	return nil
}

// localTable creates the table on a local endpoint.
var localTable = fx.Invoke(ensureLocalTable)

// ensureLocalTable creates the table on a local endpoint. Deployed tables
// belong to the CDK stack and are never created by the service.
func ensureLocalTable(lc fx.Lifecycle, cfg Config, client *dynamodb.Client, log *zap.Logger) {
	if cfg.Endpoint == "" {
		return
	}
	lc.Append(fx.StartHook(func(ctx context.Context) error {
		if err := dynamo.Layout().EnsureTable(ctx, client, cfg.TableName); err != nil {
			return err
		}
		log.Info("table ready", zap.String("table", cfg.TableName), zap.String("endpoint", cfg.Endpoint))
		return nil
	}))
}

// serve hands the router to Lambda, or to a local HTTP server with the
// event path beside it.
func serve(lc fx.Lifecycle, cfg Config, router *apigw.Router, svc *resource.Service, r *relay.Relay, client *dynamodb.Client, log *zap.Logger) error {
	if cfg.InLambda {
		lc.Append(fx.StartHook(func() {
			// lambda.Start never returns; it exits the process if the
			// runtime API goes away, which is how Lambda ends an instance.
			go lambda.Start(router.Invoke)
		}))
		return nil
	}
	handler, err := localHandler(router, svc, cfg.SwaggerUI, cfg.LocalCaller)
	if err != nil {
		return err
	}
	if err := pollLocally(lc, cfg, r, client, log); err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.Port)),
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
	}
	lc.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			ln, err := new(net.ListenConfig).Listen(ctx, "tcp", srv.Addr)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			log.Info("serving", zap.String("addr", "http://"+ln.Addr().String()))
			go func() {
				if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
					log.Error("server stopped", zap.Error(err))
				}
			}()
			return nil
		},
		OnStop: srv.Shutdown,
	})
	return nil
}
