// Command hello is a baseline for the cold-start benchmark (bootstrap's
// BenchmarkColdStart): the smallest aws-lambda-go function that answers an
// API Gateway REST proxy event, a fixed 200. It reads no configuration and
// calls nothing, so its INIT and first invoke are what the Go runtime and
// aws-lambda-go cost before any work: the floor under every Go function.
// It is built with the same tags and flags as the service, so the
// difference is what the function does, not how it was built.
package main

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
)

func main() { lambda.Start(handle) }

// handle answers every event with a plain 200.
func handle(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return events.APIGatewayProxyResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": "text/plain"},
		Body:       "hello",
	}, nil
}
