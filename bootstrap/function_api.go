//go:build lambdakit.function && !lambdakit.events

package main

import (
	"errors"

	"github.com/aws/aws-lambda-go/lambda"
	"go.uber.org/fx"

	"github.com/lambdakit/lambdakit/kit/apigw"
)

// This file is the API function `make build` ships (the Makefile's
// LAMBDA_TAGS include lambdakit.function): the Lambda function and nothing
// else; function.go holds what it shares with the event function. What
// only a developer's machine needs stays out of the binary, because every
// package in it is paid for at every cold start, in size and in package
// initialisation: the SDK's shared-config loader (profiles, SSO, STS,
// encoding/xml), the local HTTP server, and the OpenAPI document and docs
// page, whose html/template alone defeats the linker's dead-code
// elimination. server.go is the build for people.

// eventPath is nothing here: the API function publishes no events (the
// event function derives them from the table's stream), so neither the
// EventBridge nor the SQS client weighs on its cold start.
var eventPath = fx.Options()

// serve hands the router to Lambda.
func serve(lc fx.Lifecycle, cfg Config, router *apigw.Router) error {
	if !cfg.InLambda {
		return errors.New("this binary is the Lambda function (built with -tags lambdakit.function) " +
			"and AWS_LAMBDA_RUNTIME_API is not set; `make run` serves the API locally")
	}
	lc.Append(fx.StartHook(func() {
		// lambda.Start never returns; it exits the process if the runtime
		// API goes away, which is how Lambda ends an instance.
		go lambda.Start(router.Invoke)
	}))
	return nil
}
