// Command infra is the AWS CDK app that deploys the service of bootstrap/app:
// one DynamoDB table, the API's Lambda function behind an IAM-authorized
// REST API whose methods are the service's routes, and the event function
// that publishes the table's stream to an EventBridge bus, watched by
// CloudWatch alarms and a dashboard.
//
// The CDK CLI runs it (cdk.json: go run .). Context values:
//
//	-c stage=NAME       deployment stage, default prod; dev makes data deletable
//	-c asset=DIR        directory holding the bootstrap binary, default ../dist/lambda
//	-c eventsAsset=DIR  directory holding the event function's, default ../dist/events
//	-c logLevel=L       the service's LOG_LEVEL, default info
//	-c alarmTopic=ARN   SNS topic the alarms notify on ALARM and OK, default none
//	-c patternIndexes=N how many pattern indexes the table has, default all; a
//	                    table deployed without them gets them one deploy at a
//	                    time, N=1, 2, ... (ServiceStackProps.PatternIndexes)
//
// Alarm thresholds are AlarmSettings' defaults; a stack that needs others
// sets ServiceStackProps.Alarms here.
package main

import (
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	service "github.com/lambdakit/lambdakit/bootstrap/app"
)

// defaultAssetDir and defaultEventsAssetDir are where the root Makefile's
// build target writes the two binaries, relative to infra/ where the CDK
// CLI runs the app.
const (
	defaultAssetDir       = "../dist/lambda"
	defaultEventsAssetDir = "../dist/events"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "infra:", err)
		jsii.Close()
		os.Exit(1)
	}
	jsii.Close()
}

func run() error {
	app := awscdk.NewApp(nil)
	stage, err := contextString(app, "stage", ProdStage)
	if err != nil {
		return err
	}
	asset, err := contextString(app, "asset", defaultAssetDir)
	if err != nil {
		return err
	}
	eventsAsset, err := contextString(app, "eventsAsset", defaultEventsAssetDir)
	if err != nil {
		return err
	}
	logLevel, err := contextString(app, "logLevel", defaultLogLevel)
	if err != nil {
		return err
	}
	alarmTopic, err := contextString(app, "alarmTopic", "")
	if err != nil {
		return err
	}
	patternIndexes, err := contextInt(app, "patternIndexes", 0)
	if err != nil {
		return err
	}
	// The routes come from the service itself, so the API deploys exactly
	// what the binary serves, whatever entities it has.
	routes, err := service.Routes()
	if err != nil {
		return fmt.Errorf("service routes: %w", err)
	}
	// No Env: the stack is environment-agnostic, so synth needs no account
	// or credentials, and deploy targets whatever account and region the
	// CLI's profile points at.
	if _, err := NewServiceStack(app, StackName(stage), &ServiceStackProps{
		AssetDir:       asset,
		EventsAssetDir: eventsAsset,
		Stage:          stage,
		LogLevel:       logLevel,
		Routes:         routes,
		AlarmTopicARN:  alarmTopic,
		PatternIndexes: patternIndexes,
	}); err != nil {
		return err
	}
	AddComplianceChecks(app)
	app.Synth(nil)
	return nil
}

// contextString reads a string context value (-c key=value), or def when it
// is unset.
func contextString(app awscdk.App, key, def string) (string, error) {
	switch v := app.Node().TryGetContext(jsii.String(key)).(type) {
	case nil:
		return def, nil
	case string:
		if v == "" {
			return def, nil
		}
		return v, nil
	default:
		return "", fmt.Errorf("context %s: want a string, got %T", key, v)
	}
}

// contextInt reads a whole number context value: a string from the command
// line (-c key=2), or a number from cdk.json; def when it is unset.
func contextInt(app awscdk.App, key string, def int) (int, error) {
	switch v := app.Node().TryGetContext(jsii.String(key)).(type) {
	case nil:
		return def, nil
	case string:
		if v == "" {
			return def, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("context %s: want a whole number, got %q", key, v)
		}
		return n, nil
	case float64:
		if v != math.Trunc(v) {
			return 0, fmt.Errorf("context %s: want a whole number, got %v", key, v)
		}
		return int(v), nil
	default:
		return 0, fmt.Errorf("context %s: want a whole number, got %T", key, v)
	}
}
