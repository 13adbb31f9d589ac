package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
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
	fx.Invoke(warmTable),
	localTable,
)

func newDynamoClient(cfg Config) (*dynamodb.Client, error) {
	awsCfg, err := awsConfig(cfg)
	if err != nil {
		return nil, err
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

// warmBudget bounds the warm-up call. Nothing waits for it: it only keeps
// a call that will fail anyway from running on.
const warmBudget = 2 * time.Second

// warmTable, under Lambda, starts one call to the table while the rest of
// INIT runs, so that the first request finds a connection open: DNS, TCP
// and TLS take round trips that INIT's own work can overlap. Only over TLS:
// on a plain-HTTP endpoint such as DynamoDB Local there is no handshake to
// save, and on a function's fraction of a vCPU the call's own work would
// only compete with INIT's (measured: a few percent slower cold starts on
// loopback). INIT never waits for it, so a slow or unreachable store costs
// INIT nothing, and the requests that meet it answer 503 as ever.
func warmTable(cfg Config, client *dynamodb.Client, table dynamo.Table, log *zap.Logger) {
	if !cfg.InLambda {
		return
	}
	// Said during INIT, so that whoever reads the log knows whether a
	// "dynamodb warmed" line is still to come.
	tls := overTLS(client.Options())
	log.Debug("dynamodb warm-up", zap.Bool("started", tls))
	if !tls {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), warmBudget)
		defer cancel()
		start := time.Now()
		err := table.Warm(ctx)
		log.Debug("dynamodb warmed", zap.Duration("took", time.Since(start)), zap.Error(err))
	}()
}

// overTLS reports whether the client's calls go over HTTPS: AWS's own
// endpoints always do, an override says so in its scheme.
func overTLS(o dynamodb.Options) bool {
	return o.BaseEndpoint == nil || strings.HasPrefix(strings.ToLower(*o.BaseEndpoint), "https://")
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
