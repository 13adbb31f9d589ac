//go:build !lambdakit.function || lambdakit.events

package main

import (
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/lambdakit/lambdakit/kit/deadletter"
	"github.com/lambdakit/lambdakit/kit/relay"
)

// sendTimeout bounds one SendMessage call, as putTimeout does PutEvents.
const sendTimeout = 5 * time.Second

// deadLetters sends undecodable records to the SQS queue at url (the SDK's
// usual endpoint resolution applies, so AWS_ENDPOINT_URL_SQS can point it
// anywhere).
func deadLetters(awsCfg aws.Config, url string) relay.DeadLetters {
	client := sqs.NewFromConfig(awsCfg, func(o *sqs.Options) {
		o.HTTPClient = &http.Client{Timeout: sendTimeout}
	})
	return &deadletter.SQS{API: client, QueueURL: url}
}
