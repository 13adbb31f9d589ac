//go:build lambdakit.function && lambdakit.events

package main

import (
	"errors"

	"github.com/aws/aws-lambda-go/lambda"
	"go.uber.org/fx"

	"github.com/lambdakit/lambdakit/kit/relay"
)

// This file is the event function (make build's dist/events: LAMBDA_TAGS
// and lambdakit.events). Its event source mapping feeds it the table's
// stream; it needs the bus and the dead-letter queue to be named.

// serve hands the relay to Lambda.
func serve(lc fx.Lifecycle, cfg Config, r *relay.Relay) error {
	switch {
	case !cfg.InLambda:
		return errors.New("this binary is the event function (built with -tags lambdakit.events) " +
			"and AWS_LAMBDA_RUNTIME_API is not set; `make run` runs the event path locally")
	case cfg.EventBusName == "" || cfg.DeadLetterURL == "":
		return errors.New("the event function needs EVENT_BUS_NAME and DLQ_URL")
	}
	lc.Append(fx.StartHook(func() {
		go lambda.Start(r.Handle)
	}))
	return nil
}
