package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/cursor"
)

// Config is the service's configuration, read from the environment once at
// cold start.
type Config struct {
	// TableName is the DynamoDB table (TABLE_NAME).
	TableName string
	// Region is the AWS region (AWS_REGION).
	Region string
	// Endpoint points the local server at DynamoDB Local
	// (DYNAMODB_ENDPOINT), which then creates its table if missing and needs
	// no credentials. The function build refuses it: a function reaches
	// another endpoint through the SDK's AWS_ENDPOINT_URL_DYNAMODB.
	Endpoint string
	// LogLevel is zap's level name (LOG_LEVEL).
	LogLevel string
	// Port is the local HTTP port (PORT); unused under Lambda.
	Port int
	// CursorSecret signs paging tokens (CURSOR_SECRET). Every instance of a
	// deployment must share it, or tokens fail across instances.
	CursorSecret []byte
	// RequestBudget bounds a request's time when the platform sets no
	// deadline (REQUEST_BUDGET, a Go duration); Lambda's deadline wins.
	RequestBudget time.Duration
	// Metrics is where per-request metrics go: the CloudWatch namespace
	// (POWERTOOLS_METRICS_NAMESPACE) and the service dimension
	// (POWERTOOLS_SERVICE_NAME), named as Powertools for Lambda names them;
	// both default to "lambdakit".
	Metrics apigw.Metrics
	// LocalCaller is the caller the local server simulates for a request
	// without an X-Caller header (LOCAL_CALLER), as if API Gateway had
	// verified it. Unused under Lambda, where only API Gateway says who
	// called.
	LocalCaller string
	// SwaggerUI is the directory of the swagger-ui-dist npm package the
	// local server's docs page loads (SWAGGER_UI_DIR; make run sets it).
	SwaggerUI string
	// InLambda is true when the Lambda runtime API is there to serve.
	InLambda bool
	// EventBusName is the EventBridge bus events are published to
	// (EVENT_BUS_NAME); without it, the local server logs each event as a
	// JSON line instead. The event function requires it.
	EventBusName string
	// DeadLetterURL is the SQS queue undecodable stream records go to
	// (DLQ_URL); without it they are logged. The event function requires it.
	DeadLetterURL string
}

// defaultMetricsName is the metrics namespace and service dimension when
// the environment names neither.
const defaultMetricsName = "lambdakit"

// defaultLocalCaller is the caller the local server simulates when
// LOCAL_CALLER names none: an IAM user in no real account.
const defaultLocalCaller = "arn:aws:iam::000000000000:user/local"

// devCursorSecret signs tokens when running locally without CURSOR_SECRET.
// It is public, so it is refused under Lambda.
const devCursorSecret = "lambdakit-local-development-only"

// loadConfig reads Config from getenv, filling local defaults.
func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		TableName:     getenv("TABLE_NAME"),
		Region:        getenv("AWS_REGION"),
		Endpoint:      getenv("DYNAMODB_ENDPOINT"),
		LogLevel:      getenv("LOG_LEVEL"),
		Port:          8080,
		CursorSecret:  []byte(getenv("CURSOR_SECRET")),
		RequestBudget: 10 * time.Second,
		SwaggerUI:     getenv("SWAGGER_UI_DIR"),
		LocalCaller:   cmp.Or(getenv("LOCAL_CALLER"), defaultLocalCaller),
		Metrics: apigw.Metrics{
			Namespace: cmp.Or(getenv("POWERTOOLS_METRICS_NAMESPACE"), defaultMetricsName),
			Service:   cmp.Or(getenv("POWERTOOLS_SERVICE_NAME"), defaultMetricsName),
		},
		InLambda:      getenv("AWS_LAMBDA_RUNTIME_API") != "",
		EventBusName:  getenv("EVENT_BUS_NAME"),
		DeadLetterURL: getenv("DLQ_URL"),
	}
	var errs []error
	if c.TableName == "" {
		if c.InLambda {
			errs = append(errs, errors.New("TABLE_NAME is required"))
		}
		c.TableName = "lambdakit"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if p := getenv("PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			errs = append(errs, fmt.Errorf("PORT %q is not a port number", p))
		}
		c.Port = n
	}
	if b := getenv("REQUEST_BUDGET"); b != "" {
		d, err := time.ParseDuration(b)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("REQUEST_BUDGET %q is not a positive duration", b))
		}
		c.RequestBudget = d
	}
	switch {
	case len(c.CursorSecret) == 0 && !c.InLambda:
		c.CursorSecret = []byte(devCursorSecret)
	case len(c.CursorSecret) < cursor.MinKeyLen:
		errs = append(errs, fmt.Errorf("CURSOR_SECRET must be at least %d bytes", cursor.MinKeyLen))
	}
	return c, errors.Join(errs...)
}

// configFromEnv is loadConfig over the process environment.
func configFromEnv() (Config, error) { return loadConfig(os.Getenv) }
