//go:build !lambdakit.function || lambdakit.events

package main

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/lambdakit/lambdakit/kit/relay"
)

// deadLetters sends undecodable records to the SQS queue at url.
func deadLetters(_ aws.Config, _ string) (relay.DeadLetters, error) {
	return nil, errors.New("DLQ_URL: pending kit/deadletter")
}
