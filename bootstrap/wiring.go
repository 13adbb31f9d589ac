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
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// newLogger returns a JSON logger at the configured level.
func newLogger(cfg Config) (*zap.Logger, error) {
	level, err := zap.ParseAtomicLevel(cfg.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	zc := zap.NewProductionConfig()
	zc.Level = level
	zc.Sampling = nil // one line per request means every request
	log, err := zc.Build()
	if err != nil {
		return nil, fmt.Errorf("build logger: %w", err)
	}
	return log, nil
}

// storage provides the DynamoDB table every repository shares.
var storage = fx.Options(
	fx.Provide(newDynamoClient, newTable, newCursorCodec, newStorage),
	fx.Invoke(ensureLocalTable),
)

func newDynamoClient(cfg Config) (*dynamodb.Client, error) {
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}
	if cfg.Endpoint != "" {
		// DynamoDB Local accepts any credentials; without this the SDK
		// would search the machine for real ones.
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider("local", "local", "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		// Retries back off quickly enough that several fit in a request's
		// deadline, which bounds them all; once the SDK's retry quota is
		// spent during an outage, calls fail fast instead of piling up.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 4
			so.MaxBackoff = time.Second
		})
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			// DynamoDB Local's CRC32 headers do not always match what it
			// sends; the real service's do.
			o.DisableValidateResponseChecksum = true
		}
	}), nil
}

func newTable(client *dynamodb.Client, cfg Config) dynamo.Table {
	return dynamo.Table{API: client, Name: cfg.TableName, Schema: dynamo.Layout()}
}

func newCursorCodec(cfg Config) (*cursor.Codec, error) { return cursor.New(cfg.CursorSecret) }

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

// newStorage is the DynamoDB adapter every entity's repositories open on.
func newStorage(table dynamo.Table, tokens *cursor.Codec) kit.Storage {
	return dynamo.NewStorage(table, tokens)
}

// service provides what every module registers against.
var service = fx.Options(
	fx.Provide(
		func() kit.Clock { return kit.SystemClock{} },
		func(c kit.Clock) kit.IDs { return kit.UUIDv7{Clock: c} },
		func(cfg Config, log *zap.Logger, table dynamo.Table, clock kit.Clock) *apigw.Router {
			return apigw.NewRouter(log,
				apigw.WithBudget(cfg.RequestBudget),
				apigw.WithMetrics(cfg.Metrics),
				apigw.WithIdempotency(dynamo.NewIdempotency(table), clock))
		},
	),
)

// serve hands the router to Lambda, or to a local HTTP server.
func serve(lc fx.Lifecycle, cfg Config, router *apigw.Router, svc *resource.Service, log *zap.Logger) error {
	if cfg.InLambda {
		lc.Append(fx.StartHook(func() {
			// lambda.Start never returns; it exits the process if the
			// runtime API goes away, which is how Lambda ends an instance.
			go lambda.Start(router.Invoke)
		}))
		return nil
	}
	handler, err := localHandler(router, svc, cfg.SwaggerUI)
	if err != nil {
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
