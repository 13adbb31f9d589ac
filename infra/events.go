package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// The event path: the table's stream feeds the event function, which
// publishes domain events to the stage's bus and runs the in-service
// consumers; records that keep failing end in the dead-letter queue.
const (
	// eventFunctionMemoryMB matches the API function: CPU scales with
	// memory, and a full batch (Lambda caps it at 6 MB of JSON) is decoded,
	// turned into events and published in one invocation, so more CPU
	// drains a backlog faster. It runs once per batch, not per request, so
	// its share of the bill stays small.
	eventFunctionMemoryMB = 512
	// eventFunctionTimeoutSeconds leaves room for a full batch: about ten
	// PutEvents calls of ten entries, the review-summary writes, and the
	// function's own retries of refused entries, a few seconds in all. A
	// timeout fails the whole batch (then bisected and retried), and the
	// shard waits meanwhile, so it is not longer than that needs.
	eventFunctionTimeoutSeconds = 30

	// eventBatchSize is the DynamoDB stream default: a batch is at most
	// ten PutEvents calls, well within the timeout, and a failed record
	// costs a retry of the rest of its batch only.
	eventBatchSize = 100
	// eventRetryAttempts is how often a batch is retried after a failure.
	// With ReportBatchItemFailures each retry starts at the failed record,
	// so ten retries ride out a throttling episode of EventBridge or
	// DynamoDB; a record that fails ten times in a row is not transient,
	// and goes to the dead-letter queue instead of holding the shard.
	eventRetryAttempts = 10
	// eventMaxRecordAgeHours bounds how old a record may get before it is
	// sent to the dead-letter queue unprocessed. Lambda applies it to a
	// backlog too, not only to retries, so it is long enough for a
	// backlog of hours (throttling, a broken deploy) to catch up rather
	// than be shunted aside. The stream keeps records for 24 hours and the
	// dead-letter message only points at them (shard and sequence
	// numbers), so six hours leaves eighteen to read them back.
	eventMaxRecordAgeHours = 6
	// eventParallelizationFactor 1 is one batch per shard at a time: an
	// item's records, which share a partition key and so a shard, are
	// processed in commit order.
	eventParallelizationFactor = 1

	// deadLetterRetentionDays is SQS's maximum. The function's own
	// messages (undecodable records) carry the record itself; the
	// mapping's carry pointers to the stream, which expire after 24 hours,
	// but still say which records failed and why.
	deadLetterRetentionDays = 14
	// eventArchiveRetentionDays keeps the bus's events replayable for as
	// long as the function's logs last (logRetention), so an incident
	// investigated from the logs can be replayed for the same window.
	// Indefinite retention would grow with every write forever; a
	// consumer that needs the whole history rebuilds from the table.
	eventArchiveRetentionDays = 30
)

// eventDynamoActions are what the event function's review-summary consumer
// needs on the table: it reads a product and its reviews and writes the
// product's summary. It never creates or deletes items.
var eventDynamoActions = []string{
	"dynamodb:GetItem",
	"dynamodb:Query",
	"dynamodb:UpdateItem",
}

// newEventBus builds the stage's custom bus and its archive. The bus is
// named after the service (serviceName), as the events' Source is, so two
// stages in one account and region never share one. Neither is retained,
// even by a prod stack: a retained bus of a fixed name would make the
// next deploy of the stage fail on the name, and an archive replays only
// into its own bus. The table, which is retained, is the record of truth.
func newEventBus(stack awscdk.Stack, stage string) (awsevents.EventBus, awsevents.Archive) {
	name := serviceName(stage)
	bus := awsevents.NewEventBus(stack, jsii.String("EventBus"), &awsevents.EventBusProps{
		EventBusName: jsii.String(name),
		Description:  jsii.String("lambdakit service's domain events (Source " + name + ")"),
	})
	archive := bus.Archive(jsii.String("EventArchive"), &awsevents.BaseArchiveProps{
		ArchiveName: jsii.String(name),
		Description: jsii.String("Every domain event of " + name + ", for replays into its bus"),
		// The service's own events, by the Source it publishes with.
		EventPattern: &awsevents.EventPattern{Source: jsii.Strings(name)},
		Retention:    awscdk.Duration_Days(jsii.Number(eventArchiveRetentionDays)),
	})
	return bus, archive
}

// newDeadLetterQueue builds the queue where stream records that keep
// failing end: the event source mapping's on-failure destination, and the
// function's own destination for records it cannot decode. SQS-managed
// encryption needs no key policy nor KMS permissions for either writer.
func newDeadLetterQueue(stack awscdk.Stack, removal awscdk.RemovalPolicy) awssqs.Queue {
	return awssqs.NewQueue(stack, jsii.String("DeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(deadLetterRetentionDays)),
		RemovalPolicy:   removal,
	})
}

// eventResources are what the event function reads, writes and publishes
// to.
type eventResources struct {
	table  awsdynamodb.Table
	secret awssecretsmanager.Secret
	bus    awsevents.EventBus
	dlq    awssqs.Queue
}

// newEventFunction builds the event function and its role, written out
// like the API function's: its log group, the stream, the bus, the queue,
// the review summaries, and X-Ray.
func newEventFunction(stack awscdk.Stack, assetDir, stage, logLevel string, removal awscdk.RemovalPolicy, r eventResources) awslambda.Function {
	logs := awslogs.NewLogGroup(stack, jsii.String("EventFunctionLogs"), &awslogs.LogGroupProps{
		Retention:     logRetention,
		RemovalPolicy: removal,
	})
	role := awsiam.NewRole(stack, jsii.String("EventFunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("lambdakit event function: its log group, the table's stream and review summaries, the event bus, the dead-letter queue, X-Ray"),
	})
	logs.GrantWrite(role)
	// DescribeStream, GetRecords and GetShardIterator on the stream, which
	// the event source mapping reads with this role, and ListStreams, which
	// has no resource-level permissions.
	r.table.GrantStreamRead(role)
	r.bus.GrantPutEventsTo(role, nil)
	// SendMessage alone: the mapping's on-failure destination needs no
	// more, and the function sends to DLQ_URL, so it never looks the queue
	// up (GetQueueUrl) or reads its attributes.
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("DeadLetterSend"),
		Actions:   jsii.Strings("sqs:SendMessage"),
		Resources: &[]*string{r.dlq.QueueArn()},
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReviewSummaryAccess"),
		Actions:   jsii.Strings(eventDynamoActions...),
		Resources: &[]*string{r.table.TableArn()},
	}))

	env := functionEnv(stage, logLevel, r.table, r.secret)
	env["EVENT_BUS_NAME"] = r.bus.EventBusName()
	env["DLQ_URL"] = r.dlq.QueueUrl()
	return awslambda.NewFunction(stack, jsii.String("EventFunction"), &awslambda.FunctionProps{
		Description:  jsii.String("lambdakit events: publishes the table's changes to the event bus and runs the service's consumers"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String(bootstrapFile),
		// A prebuilt directory asset, like the API function's.
		Code:        awslambda.Code_FromAsset(jsii.String(assetDir), nil),
		MemorySize:  jsii.Number(eventFunctionMemoryMB),
		Timeout:     awscdk.Duration_Seconds(jsii.Number(eventFunctionTimeoutSeconds)),
		Role:        role,
		LogGroup:    logs,
		Tracing:     awslambda.Tracing_ACTIVE,
		Environment: &env,
	})
}

// newEventSourceMapping feeds the table's stream to fn. The function reports
// the records it could not handle (ReportBatchItemFailures), so a retry
// starts at the first of them; a batch that fails as a whole (a timeout, a
// crash) is split in two and retried, which isolates a record that crashes
// the function. After the retries, or past the maximum age, the batch's
// description goes to dlq and the shard moves on.
func newEventSourceMapping(stack awscdk.Stack, table awsdynamodb.Table, fn awslambda.Function, dlq awssqs.Queue) awslambda.EventSourceMapping {
	return awslambda.NewEventSourceMapping(stack, jsii.String("EventSourceMapping"), &awslambda.EventSourceMappingProps{
		Target:         fn,
		EventSourceArn: table.TableStreamArn(),
		// From the oldest record the stream holds: a mapping created after
		// the stream, or recreated, skips no write. Records it sees twice
		// are redeliveries, which the events' ids make harmless.
		StartingPosition:        awslambda.StartingPosition_TRIM_HORIZON,
		BatchSize:               jsii.Number(eventBatchSize),
		BisectBatchOnError:      jsii.Bool(true),
		ReportBatchItemFailures: jsii.Bool(true),
		RetryAttempts:           jsii.Number(eventRetryAttempts),
		MaxRecordAge:            awscdk.Duration_Hours(jsii.Number(eventMaxRecordAgeHours)),
		ParallelizationFactor:   jsii.Number(eventParallelizationFactor),
		OnFailure:               &queueDestination{queue: dlq},
	})
}

// queueDestination is an on-failure destination that only names its queue.
// CDK's SqsDlq would also grant the function sqs:GetQueueAttributes and
// sqs:GetQueueUrl, which neither the mapping nor the function uses; the
// event function's role grants sqs:SendMessage itself.
type queueDestination struct {
	queue awssqs.IQueue
}

// Bind is the destination's configuration, the queue's ARN.
func (d *queueDestination) Bind(awslambda.IEventSourceMapping, awslambda.IFunction) *awslambda.DlqDestinationConfig {
	return &awslambda.DlqDestinationConfig{Destination: d.queue.QueueArn()}
}
