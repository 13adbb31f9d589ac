//go:build lambdakit.function

package main

import (
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.uber.org/fx"

	"github.com/lambdakit/lambdakit/kit/awsenv"
)

// This file is what both functions `make build` ships share (the Makefile's
// LAMBDA_TAGS include lambdakit.function; function_api.go and
// function_events.go are each function's own): the Lambda function and
// nothing else. What
// only a developer's machine needs stays out of the binary, because every
// package in it is paid for at every cold start, in size and in package
// initialisation: the SDK's shared-config loader (profiles, SSO, STS,
// encoding/xml), the local HTTP server, and the OpenAPI document and docs
// page, whose html/template alone defeats the linker's dead-code
// elimination. server.go is the build for people.

// awsConfig is what Lambda gives a function: its region, its role's
// credentials and any endpoint override, from the environment alone.
// AWS_ENDPOINT_URL_DYNAMODB points it at DynamoDB Local, as it would any
// function.
func awsConfig(cfg Config) (aws.Config, error) {
	if cfg.Endpoint != "" {
		return aws.Config{}, errors.New("DYNAMODB_ENDPOINT is for the local server, which creates its table; " +
			"point a function at another endpoint with AWS_ENDPOINT_URL_DYNAMODB")
	}
	awsCfg, err := awsenv.Config(os.Getenv)
	if err != nil {
		return aws.Config{}, err
	}
	return awsCfg, nil
}

// localTable is nothing here: a function never creates its table, which
// belongs to the CDK stack.
var localTable = fx.Options()
