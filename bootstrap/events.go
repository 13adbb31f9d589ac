//go:build !lambdakit.function || lambdakit.events

package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit/dynamo"
	kiteventbridge "github.com/lambdakit/lambdakit/kit/eventbridge"
	"github.com/lambdakit/lambdakit/kit/relay"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// eventPath provides the relay: what turns the table's stream into
// published and consumed events. The event function runs it under Lambda;
// the local server runs it beside the API.
var eventPath = fx.Options(fx.Provide(newRelay))

// putTimeout bounds one PutEvents call, so that a call that hangs is
// retried by the SDK rather than waited on until the invocation times out.
const putTimeout = 5 * time.Second

// newRelay publishes to the bus EVENT_BUS_NAME names (through the SDK's
// usual endpoint resolution, so AWS_ENDPOINT_URL_EVENTBRIDGE can point it
// anywhere), or, without one, to the log; and sends undecodable records to
// the queue DLQ_URL names, or to the log.
func newRelay(cfg Config, svc *resource.Service, log *zap.Logger) (*relay.Relay, error) {
	metrics := &relay.Metrics{Namespace: cfg.Metrics.Namespace, Service: cfg.Metrics.Service}
	r := &relay.Relay{
		Events:      dynamo.Events{Schema: dynamo.Layout(), Catalog: svc.Events},
		Publisher:   relay.Log{Log: log},
		DeadLetters: relay.LogDeadLetters{Log: log},
		Log:         log,
		Metrics:     metrics,
	}
	if cfg.EventBusName == "" && cfg.DeadLetterURL == "" {
		return r, nil
	}
	awsCfg, err := awsConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.EventBusName != "" {
		client := eventbridge.NewFromConfig(awsCfg, func(o *eventbridge.Options) {
			o.HTTPClient = &http.Client{Timeout: putTimeout}
		})
		p, err := kiteventbridge.New(client, cfg.EventBusName, cfg.Metrics.Service)
		if err != nil {
			return nil, fmt.Errorf("event bus: %w", err)
		}
		p.OnFailed = metrics.PutFailed
		r.Publisher = p
	}
	if cfg.DeadLetterURL != "" {
		r.DeadLetters = deadLetters(awsCfg, cfg.DeadLetterURL)
	}
	return r, nil
}
