package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/lambdakit/lambdakit/kit/dynamo"
)

// Stages with a special meaning. Any other stage name is deployable and is
// treated like ProdStage: only DevStage opts into throwaway resources.
const (
	// ProdStage is the default stage: stateful resources are retained and
	// the table is deletion-protected.
	ProdStage = "prod"
	// DevStage marks a throwaway stack: destroying it deletes its data.
	DevStage = "dev"
)

// Sizing and limits of the deployment. They are constants, not props, so the
// tests pin what is deployed.
const (
	// functionMemoryMB is the function's memory; CPU scales with it.
	functionMemoryMB = 512
	// functionTimeoutSeconds stays well under API Gateway's 29 s integration
	// timeout, so a slow call ends as the service's own error, not a 504.
	functionTimeoutSeconds = 10
	// throttleRate and throttleBurst cap the whole stage (requests per second
	// and bucket size) so a runaway client cannot drain the account's Lambda
	// concurrency or DynamoDB budget.
	throttleRate  = 100
	throttleBurst = 200
	// cursorSecretLength is the generated HMAC key's length, three times
	// cursor.MinKeyLen.
	cursorSecretLength = 48
	// logRetention keeps function and access logs long enough to investigate
	// an incident without keeping them forever.
	logRetention = awslogs.RetentionDays_ONE_MONTH
	// defaultLogLevel is LOG_LEVEL when the props leave it empty.
	defaultLogLevel = "info"
	// bootstrapFile is the executable the provided.al2023 runtime starts.
	bootstrapFile = "bootstrap"
)

// dynamoActions are exactly the actions the calls of kit/dynamo need, and
// no more. The transactions have no action of their own: IAM authorizes
// each item by its per-item action. TransactWriteItems items are Puts
// (creates, idempotency claims), Updates and Deletes (of children), and
// ConditionChecks (a child's parent exists), which need ConditionCheckItem;
// TransactGetItems (a child read with its parent) needs GetItem. The
// collection sweep is transactions too: deletes and their events' outbox
// puts.
var dynamoActions = []string{
	"dynamodb:ConditionCheckItem",
	"dynamodb:DeleteItem",
	"dynamodb:GetItem",
	"dynamodb:PutItem",
	"dynamodb:Query",
	"dynamodb:UpdateItem",
}

// httpMethods are the verbs a route may use: API Gateway's, except ANY,
// which would let through verbs the service never registered.
var httpMethods = []string{"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"}

// literalPart and variablePart are the path segments API Gateway accepts
// (CDK checks the same characters), so a route it cannot serve fails synth
// with its pattern instead of failing deep inside jsii or at deploy time.
// Greedy parameters ({name+}) are left out: the service's router has none.
var (
	literalPart  = regexp.MustCompile(`^[A-Za-z0-9._:$-]+$`)
	variablePart = regexp.MustCompile(`^\{([A-Za-z0-9_-]+)\}$`)
)

// stagePattern keeps stage names valid in stack names, API Gateway stage
// names and resource names alike.
var stagePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)

// ServiceStackProps configures NewServiceStack.
type ServiceStackProps struct {
	awscdk.StackProps
	// AssetDir is the directory holding the bootstrap binary that make build
	// writes (linux/arm64). Only its contents are uploaded.
	AssetDir string
	// EventsAssetDir is the same for the event function's binary, which
	// make build writes next to the API's.
	EventsAssetDir string
	// Stage names the deployment. It defaults to ProdStage; DevStage makes
	// the table, the secret and the log groups deletable with the stack.
	Stage string
	// LogLevel is the service's LOG_LEVEL; it defaults to "info".
	LogLevel string
	// Routes are the service's routes, "METHOD /path" patterns with {param}
	// segments, as app.Routes returns them. The API has one method per
	// route and nothing else, so a request the service would not route is
	// refused by API Gateway before it costs an invocation.
	Routes []string
	// Alarms sets the thresholds of the stack's CloudWatch alarms; its zero
	// value takes the defaults AlarmSettings documents.
	Alarms AlarmSettings
	// AlarmTopicARN is an SNS topic, in the stack's region, that every
	// alarm notifies when it goes to ALARM and back to OK. Empty, the
	// alarms only show in the console and on the dashboard.
	AlarmTopicARN string
	// PatternIndexes is how many of the layout's pattern indexes
	// (dynamo.Layout().Patterns: GSI2, GSI3, ...) the table has, from the
	// first; 0 means all of them. CloudFormation adds or deletes at most
	// one global secondary index per update of a table, so a table
	// deployed without them gets them one deploy at a time: 1, 2, then 0.
	PatternIndexes int
}

// StackName is the CloudFormation stack name of a stage, so stages of the
// same account and region never collide.
func StackName(stage string) string {
	return "LambdakitProducts-" + stage
}

// ServiceStack is the deployed service: the table, the function, the API,
// the secret the function signs paging tokens with, the event path (the
// table's stream, the event function, its bus and dead-letter queue), and
// the alarms and dashboard that watch them.
type ServiceStack struct {
	awscdk.Stack
	// Table is the single table, laid out by dynamo.Layout.
	Table awsdynamodb.Table
	// Indexes are Table's global secondary indexes: the listing index,
	// then the pattern indexes ServiceStackProps.PatternIndexes asks for.
	Indexes []dynamo.Index
	// Function runs the service binary.
	Function awslambda.Function
	// API is the REST API in front of Function.
	API awsapigateway.RestApi
	// Methods are API's methods, one per route in the order of
	// ServiceStackProps.Routes, all AWS_IAM-authorized.
	Methods []awsapigateway.Method
	// Secret holds CURSOR_SECRET, the paging-token signing key.
	Secret awssecretsmanager.Secret
	// EventBus is the stage's custom bus, where the event function
	// publishes the service's domain events.
	EventBus awsevents.EventBus
	// EventArchive keeps EventBus's events for replays.
	EventArchive awsevents.Archive
	// DeadLetterQueue receives the stream records the event function could
	// not handle.
	DeadLetterQueue awssqs.Queue
	// EventFunction turns the table's stream records into domain events,
	// publishes them to EventBus and runs the service's consumers.
	EventFunction awslambda.Function
	// EventSourceMapping feeds the table's stream to EventFunction.
	EventSourceMapping awslambda.EventSourceMapping
	// Alarms are the stack's CloudWatch alarms: the API's 5XX errors, the
	// function's errors and throttles, the API's p99 latency, the event
	// function's iterator age, the dead-letter queue's depth and the
	// refused event puts, then, when AlarmSettings.RouteLatencyP99Ms is
	// set, one per route in the order of ServiceStackProps.Routes.
	Alarms []awscloudwatch.Alarm
	// Dashboard graphs the API, the function, the service's own EMF
	// metrics and the event path.
	Dashboard awscloudwatch.Dashboard
}

// NewServiceStack defines the service's stack in scope. It fails when the
// stage name is invalid, AssetDir or EventsAssetDir holds no bootstrap
// binary, Routes is
// empty or holds a pattern API Gateway cannot serve, an alarm threshold is
// negative, AlarmTopicARN is not an SNS topic's ARN, or PatternIndexes is
// not a number of the layout's pattern indexes, because such a stack would
// only fail later, at deploy time, or serve nothing.
func NewServiceStack(scope constructs.Construct, id string, props *ServiceStackProps) (*ServiceStack, error) {
	if props == nil {
		props = &ServiceStackProps{}
	}
	stage := props.Stage
	if stage == "" {
		stage = ProdStage
	}
	if !stagePattern.MatchString(stage) {
		return nil, fmt.Errorf("stage %q: want lower-case letters, digits and dashes, starting with a letter, at most 20", stage)
	}
	if err := checkAsset("function", "asset", props.AssetDir); err != nil {
		return nil, err
	}
	if err := checkAsset("event function", "eventsAsset", props.EventsAssetDir); err != nil {
		return nil, err
	}
	routes, err := parseRoutes(props.Routes)
	if err != nil {
		return nil, err
	}
	if err := props.Alarms.check(); err != nil {
		return nil, err
	}
	if err := checkTopicARN(props.AlarmTopicARN); err != nil {
		return nil, err
	}
	indexes, err := tableIndexes(props.PatternIndexes)
	if err != nil {
		return nil, err
	}
	logLevel := props.LogLevel
	if logLevel == "" {
		logLevel = defaultLogLevel
	}

	stack := awscdk.NewStack(scope, jsii.String(id), &props.StackProps)
	awscdk.Tags_Of(stack).Add(jsii.String("project"), jsii.String("lambdakit"), nil)
	awscdk.Tags_Of(stack).Add(jsii.String("stage"), jsii.String(stage), nil)

	// Data outlives a prod stack: deleting the stack (or replacing a
	// resource) leaves the table, the secret, the logs and the dead-letter
	// queue behind. Only a dev stack may take them along.
	removal := awscdk.RemovalPolicy_RETAIN
	if stage == DevStage {
		removal = awscdk.RemovalPolicy_DESTROY
	}

	s := &ServiceStack{Stack: stack, Indexes: indexes}
	s.Table = newTable(stack, removal, indexes)
	s.Secret = newCursorSecret(stack, removal)
	s.Function = newFunction(stack, props.AssetDir, stage, logLevel, removal, s.Table, indexes, s.Secret)
	s.API, s.Methods = newAPI(stack, stage, removal, s.Function, routes)
	s.EventBus, s.EventArchive = newEventBus(stack, stage)
	s.DeadLetterQueue = newDeadLetterQueue(stack, removal)
	s.EventFunction = newEventFunction(stack, props.EventsAssetDir, stage, logLevel, removal, eventResources{
		table: s.Table, secret: s.Secret, bus: s.EventBus, dlq: s.DeadLetterQueue,
	})
	s.EventSourceMapping = newEventSourceMapping(stack, s.Table, s.EventFunction, s.DeadLetterQueue)
	s.Alarms = newAlarms(stack, s, stage, props.Alarms, props.AlarmTopicARN, routes)
	s.Dashboard = newDashboard(stack, s, stage, props.Alarms)
	suppressFindings(s)

	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("Base URL of the service's API (append a route's path); calls must be SigV4-signed for execute-api"),
		Value:       s.API.Url(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("TableName"), &awscdk.CfnOutputProps{
		Description: jsii.String("DynamoDB table holding every entity"),
		Value:       s.Table.TableName(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("EventBusName"), &awscdk.CfnOutputProps{
		Description: jsii.String("EventBridge bus the service publishes its domain events to (Source: the service name)"),
		Value:       s.EventBus.EventBusName(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("EventBusArn"), &awscdk.CfnOutputProps{
		Description: jsii.String("ARN of the event bus, for rules and cross-account targets"),
		Value:       s.EventBus.EventBusArn(),
	})
	awscdk.NewCfnOutput(stack, jsii.String("DeadLetterQueueUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("SQS queue of the stream records the event function could not handle"),
		Value:       s.DeadLetterQueue.QueueUrl(),
	})
	return s, nil
}

// checkAsset makes sure dir, the asset of the function named fn, holds a
// regular bootstrap file; contextKey is main's context value that sets it.
func checkAsset(fn, contextKey, dir string) error {
	if dir == "" {
		return fmt.Errorf("%s: asset directory is empty: pass the directory holding the bootstrap binary", fn)
	}
	path := filepath.Join(dir, bootstrapFile)
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s asset: %w (run make build first, or pass -c %s=DIR)", fn, err, contextKey)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s asset: %s is not a regular file", fn, path)
	}
	return nil
}

// tableIndexes are the table's global secondary indexes: the layout's
// listing index and its first n pattern indexes, or all of them for 0.
func tableIndexes(n int) ([]dynamo.Index, error) {
	layout := dynamo.Layout()
	switch {
	case n == 0:
		return layout.Indexes(), nil
	case n < 0 || n > len(layout.Patterns):
		return nil, fmt.Errorf("pattern indexes: %d; the layout has %d (-c patternIndexes=1 to %d, or 0 for all)", n, len(layout.Patterns), len(layout.Patterns))
	}
	return layout.Indexes()[:1+n], nil
}

// newTable builds the single table from dynamo.Layout, the same definition
// the service creates its local tables from, so the two cannot drift, with
// the global secondary indexes of indexes.
func newTable(stack awscdk.Stack, removal awscdk.RemovalPolicy, indexes []dynamo.Index) awsdynamodb.Table {
	layout := dynamo.Layout()
	table := awsdynamodb.NewTable(stack, jsii.String("Table"), &awsdynamodb.TableProps{
		PartitionKey: stringAttr(layout.Keys.PartitionKey),
		SortKey:      stringAttr(layout.Keys.SortKey),
		BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
		PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
			PointInTimeRecoveryEnabled: jsii.Bool(true),
		},
		DeletionProtection:  jsii.Bool(removal == awscdk.RemovalPolicy_RETAIN),
		RemovalPolicy:       removal,
		TimeToLiveAttribute: jsii.String(layout.TTLAttribute),
		// The event function derives each event from a record's images:
		// the new one is the entity's state, the old one tells which
		// fields an update changed and what a delete removed.
		Stream: awsdynamodb.StreamViewType_NEW_AND_OLD_IMAGES,
	})
	// Every index projects every attribute, as CreateTableInput's do: a
	// listing reads its items from the index alone.
	for _, idx := range indexes {
		table.AddGlobalSecondaryIndex(&awsdynamodb.GlobalSecondaryIndexProps{
			IndexName:      jsii.String(idx.Name),
			PartitionKey:   stringAttr(idx.Keys.PartitionKey),
			SortKey:        stringAttr(idx.Keys.SortKey),
			ProjectionType: awsdynamodb.ProjectionType_ALL,
		})
	}
	return table
}

// stringAttr is a string key attribute; the layout has no other kind.
func stringAttr(name string) *awsdynamodb.Attribute {
	return &awsdynamodb.Attribute{Name: jsii.String(name), Type: awsdynamodb.AttributeType_STRING}
}

// newCursorSecret generates the HMAC key that signs paging tokens. One key
// per stack keeps tokens valid across every instance of the function.
func newCursorSecret(stack awscdk.Stack, removal awscdk.RemovalPolicy) awssecretsmanager.Secret {
	return awssecretsmanager.NewSecret(stack, jsii.String("CursorSecret"), &awssecretsmanager.SecretProps{
		Description: jsii.String("HMAC key signing the service API's paging tokens (CURSOR_SECRET)"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(cursorSecretLength),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
		RemovalPolicy: removal,
	})
}

// newFunction builds the Lambda function and its role. The role is written
// out by hand instead of using AWSLambdaBasicExecutionRole, whose logs
// permissions cover every log group of the account.
func newFunction(stack awscdk.Stack, assetDir, stage, logLevel string, removal awscdk.RemovalPolicy,
	table awsdynamodb.Table, indexes []dynamo.Index, secret awssecretsmanager.Secret,
) awslambda.Function {
	logs := awslogs.NewLogGroup(stack, jsii.String("FunctionLogs"), &awslogs.LogGroupProps{
		Retention:     logRetention,
		RemovalPolicy: removal,
	})
	role := awsiam.NewRole(stack, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("lambdakit service function: its log group, its table and indexes, X-Ray"),
	})
	logs.GrantWrite(role)

	// The table and each index it has: listings query the listing index
	// and the pattern indexes, and nothing else.
	resources := []*string{table.TableArn()}
	for _, idx := range indexes {
		resources = append(resources, jsii.String(*table.TableArn()+"/index/"+idx.Name))
	}
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ServiceTableAccess"),
		Actions:   jsii.Strings(dynamoActions...),
		Resources: &resources,
	}))

	env := functionEnv(stage, logLevel, table, secret)
	fn := awslambda.NewFunction(stack, jsii.String("Function"), &awslambda.FunctionProps{
		Description:  jsii.String("lambdakit service: every route of its API"),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String(bootstrapFile),
		// A prebuilt directory asset: synth needs neither Docker nor Go
		// cross-compilation, only the binary make build left behind.
		Code:        awslambda.Code_FromAsset(jsii.String(assetDir), nil),
		MemorySize:  jsii.Number(functionMemoryMB),
		Timeout:     awscdk.Duration_Seconds(jsii.Number(functionTimeoutSeconds)),
		Role:        role,
		LogGroup:    logs,
		Tracing:     awslambda.Tracing_ACTIVE,
		Environment: &env,
	})
	return fn
}

// functionEnv is the environment both functions share: the table, the
// cursor key, the log level and where the EMF metrics go.
func functionEnv(stage, logLevel string, table awsdynamodb.Table, secret awssecretsmanager.Secret) map[string]*string {
	return map[string]*string{
		"TABLE_NAME": table.TableName(),
		"LOG_LEVEL":  jsii.String(logLevel),
		// A {{resolve:secretsmanager:...}} dynamic reference:
		// CloudFormation fills it in at deploy time, so the key is in
		// neither the template nor the cloud assembly.
		"CURSOR_SECRET": secret.SecretValue().UnsafeUnwrap(),
		// Where the service's EMF metrics go, named here rather than left
		// to the service's defaults, so the alarms and the dashboard
		// (alarms.go) read the metrics the functions write.
		"POWERTOOLS_METRICS_NAMESPACE": jsii.String(metricsNamespace),
		"POWERTOOLS_SERVICE_NAME":      jsii.String(serviceName(stage)),
	}
}

// newAPI builds the REST API in front of fn: an IAM-authorized method per
// route, a throttled stage, JSON access logs.
func newAPI(stack awscdk.Stack, stage string, removal awscdk.RemovalPolicy, fn awslambda.Function,
	routes []route,
) (awsapigateway.RestApi, []awsapigateway.Method) {
	accessLogs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     logRetention,
		RemovalPolicy: removal,
	})
	api := awsapigateway.NewRestApi(stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		// The name predates other entities; it stays so that existing
		// stages keep the API they have.
		RestApiName: jsii.String("lambdakit-products-" + stage),
		Description: jsii.String("lambdakit service API, SigV4 (AWS_IAM) authorized"),
		// Regional: callers are AWS principals signing requests, usually
		// in the same region; an edge distribution would add nothing.
		EndpointTypes: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		// Execution logging (LoggingLevel below) needs the account-level
		// API Gateway CloudWatch role. The stack sets it so a fresh account
		// works. The role is retained even by a dev stack because the
		// setting is shared by every API of the account and region.
		CloudWatchRole:              jsii.Bool(true),
		CloudWatchRoleRemovalPolicy: awscdk.RemovalPolicy_RETAIN,
		DefaultMethodOptions: &awsapigateway.MethodOptions{
			AuthorizationType: awsapigateway.AuthorizationType_IAM,
		},
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(stage),
			ThrottlingRateLimit:  jsii.Number(throttleRate),
			ThrottlingBurstLimit: jsii.Number(throttleBurst),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat())),
			TracingEnabled:       jsii.Bool(true),
			// Full request/response logging would write product data and
			// signed headers to CloudWatch; errors are enough.
			DataTraceEnabled: jsii.Bool(false),
			LoggingLevel:     awsapigateway.MethodLoggingLevel_ERROR,
		},
	})
	// RestApi always adds an "Endpoint" output with a generated name; the
	// stack's own ApiUrl output replaces it.
	api.Node().TryRemoveChild(jsii.String("Endpoint"))

	// Proxy integration: the service routes and answers. Test invocations
	// from the console are not allowed, so the function grants API Gateway
	// exactly the deployed methods, one permission per route.
	integration := awsapigateway.NewLambdaIntegration(fn, &awsapigateway.LambdaIntegrationOptions{
		Proxy:           jsii.Bool(true),
		AllowTestInvoke: jsii.Bool(false),
	})
	return api, addRoutes(api.Root(), routes, integration)
}

// route is one of the service's routes, parsed.
type route struct {
	method string
	// parts are the path's segments, a literal or "{name}" each; "/" has
	// none.
	parts []string
}

// path is the route's resource path, as API Gateway writes it.
func (r route) path() string { return "/" + strings.Join(r.parts, "/") }

// parseRoutes checks the service's route patterns against what API Gateway
// can serve. Besides each pattern on its own, that is: no route twice, and
// at most one variable segment under any resource, since API Gateway
// cannot tell /a/{x} from /a/{y} apart while the service's router can.
func parseRoutes(patterns []string) ([]route, error) {
	if len(patterns) == 0 {
		return nil, errors.New("routes: none given, so the API would have no methods (main passes app.Routes())")
	}
	routes := make([]route, 0, len(patterns))
	seen := map[string]string{}
	// variables holds, for each resource path with a variable child, that
	// child and the pattern that introduced it.
	type variable struct{ part, pattern string }
	variables := map[string]variable{}
	for _, pattern := range patterns {
		r, err := parseRoute(pattern)
		if err != nil {
			return nil, err
		}
		key := r.method + " " + r.path()
		if first, ok := seen[key]; ok {
			return nil, fmt.Errorf("route %q: %q already defines %s", pattern, first, key)
		}
		seen[key] = pattern
		for i, part := range r.parts {
			if !strings.HasPrefix(part, "{") {
				continue
			}
			parent := route{parts: r.parts[:i]}.path()
			v, ok := variables[parent]
			if ok && v.part != part {
				return nil, fmt.Errorf("route %q: %s has the variable child %s (from %q) and API Gateway allows only one per resource; name the parameter alike in both",
					pattern, parent, v.part, v.pattern)
			}
			if !ok {
				variables[parent] = variable{part, pattern}
			}
		}
		routes = append(routes, r)
	}
	return routes, nil
}

// parseRoute parses one "METHOD /path" pattern.
func parseRoute(pattern string) (route, error) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok || !slices.Contains(httpMethods, method) {
		return route{}, fmt.Errorf("route %q: want \"METHOD /path\", METHOD one of %s", pattern, strings.Join(httpMethods, " "))
	}
	if !strings.HasPrefix(path, "/") {
		return route{}, fmt.Errorf("route %q: the path must start with /", pattern)
	}
	r := route{method: method}
	if path == "/" {
		return r, nil
	}
	params := map[string]bool{}
	for part := range strings.SplitSeq(path[1:], "/") {
		switch {
		case part == "":
			return route{}, fmt.Errorf("route %q: empty path segment (a doubled or trailing /)", pattern)
		case strings.HasPrefix(part, "{") || strings.HasSuffix(part, "}"):
			m := variablePart.FindStringSubmatch(part)
			if m == nil {
				return route{}, fmt.Errorf("route %q: parameter %s: want {name}, the name of letters, digits, _ and -", pattern, part)
			}
			if params[m[1]] {
				return route{}, fmt.Errorf("route %q: parameter %s appears twice", pattern, part)
			}
			params[m[1]] = true
		case !literalPart.MatchString(part):
			return route{}, fmt.Errorf("route %q: segment %q: want letters, digits and . _ - : $", pattern, part)
		}
		r.parts = append(r.parts, part)
	}
	return r, nil
}

// addRoutes adds one method per route under root, with one resource per
// path segment, created by the first route that needs it and shared by the
// rest. Construct IDs are the path parts and the verb, so a method's
// logical ID depends on its route alone: adding routes leaves the existing
// methods in place.
func addRoutes(root awsapigateway.IResource, routes []route, integration awsapigateway.Integration) []awsapigateway.Method {
	resources := map[string]awsapigateway.IResource{"/": root}
	methods := make([]awsapigateway.Method, 0, len(routes))
	for _, r := range routes {
		res := root
		for i, part := range r.parts {
			path := route{parts: r.parts[:i+1]}.path()
			next, ok := resources[path]
			if !ok {
				next = res.AddResource(jsii.String(part), nil)
				resources[path] = next
			}
			res = next
		}
		methods = append(methods, res.AddMethod(jsii.String(r.method), integration, &awsapigateway.MethodOptions{
			AuthorizationType: awsapigateway.AuthorizationType_IAM,
		}))
	}
	return methods
}

// accessLogFormat is the stage's access log line: one JSON object with who
// called (the IAM principal), what, and how it went.
func accessLogFormat() string {
	fields := map[string]*string{
		"requestId":          awsapigateway.AccessLogField_ContextRequestId(),
		"extendedRequestId":  awsapigateway.AccessLogField_ContextExtendedRequestId(),
		"requestTime":        awsapigateway.AccessLogField_ContextRequestTime(),
		"ip":                 awsapigateway.AccessLogField_ContextIdentitySourceIp(),
		"caller":             awsapigateway.AccessLogField_ContextIdentityCaller(),
		"userArn":            awsapigateway.AccessLogField_ContextIdentityUserArn(),
		"userAgent":          awsapigateway.AccessLogField_ContextIdentityUserAgent(),
		"httpMethod":         awsapigateway.AccessLogField_ContextHttpMethod(),
		"resourcePath":       awsapigateway.AccessLogField_ContextResourcePath(),
		"path":               awsapigateway.AccessLogField_ContextPath(),
		"protocol":           awsapigateway.AccessLogField_ContextProtocol(),
		"status":             awsapigateway.AccessLogField_ContextStatus(),
		"responseLength":     awsapigateway.AccessLogField_ContextResponseLength(),
		"responseLatency":    awsapigateway.AccessLogField_ContextResponseLatency(),
		"integrationStatus":  awsapigateway.AccessLogField_ContextIntegrationStatus(),
		"integrationLatency": awsapigateway.AccessLogField_ContextIntegrationLatency(),
		"errorMessage":       awsapigateway.AccessLogField_ContextErrorMessage(),
		"xrayTraceId":        awsapigateway.AccessLogField_ContextXrayTraceId(),
	}
	b, err := json.Marshal(fields)
	if err != nil { // a map of strings always marshals
		panic(err)
	}
	return string(b)
}
