package main

import (
	"fmt"
	"math"
	"regexp"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// The service's metrics, as kit/apigw and the event function write them in
// CloudWatch's embedded metric format. The stack sets the namespace and the
// service dimension in both functions' environment
// (POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME), so the alarms
// and the dashboard ask for what the functions emit whatever the service's
// own defaults are.
const (
	// metricsNamespace is the service's default namespace: a local run and
	// every stage share it, and the service dimension tells them apart.
	metricsNamespace = "lambdakit"
	// metricsServicePrefix starts the service dimension; the stage ends it
	// (see serviceName).
	metricsServicePrefix = "lambdakit-"

	emfRequests    = "Requests"
	emfLatency     = "Latency"
	emfColdStart   = "ColdStart"
	dimService     = "service"
	dimRoute       = "route"
	dimStatusClass = "statusClass"

	// The event function's, each a Count with the service dimension only:
	// events EventBridge accepted, entries it refused (per entry and
	// attempt), and records that could not be decoded.
	emfEventsPublished  = "EventsPublished"
	emfEventPutFailures = "EventPutFailures"
	emfPoisonRecords    = "PoisonRecords"
)

// serviceName is the function's POWERTOOLS_SERVICE_NAME: one per stage, so
// that two stages in one account and region write separate metrics to the
// shared namespace instead of averaging into each other.
func serviceName(stage string) string { return metricsServicePrefix + stage }

// Defaults of AlarmSettings.
const (
	// defaultAPI5XXErrors tolerates a few server errors in 5 minutes: the
	// service answers 503 (with Retry-After) when DynamoDB is briefly
	// unavailable, and clients retry those.
	defaultAPI5XXErrors = 5
	// defaultFunctionErrors alarms on the first failed invocation: the
	// router turns every error and panic into a response, so an invocation
	// error is a timeout, a crash or a failed init, a bug each time.
	defaultFunctionErrors = 0
	// defaultFunctionThrottles alarms on the first throttle: the function
	// has no reserved concurrency, so a throttle means the account's
	// concurrency ran out and a request failed.
	defaultFunctionThrottles = 0
	// defaultAPILatencyP99Ms is one second at the 99th percentile: far
	// above a call of a few DynamoDB round trips, cold starts included,
	// and a tenth of the function's timeout, so it flags a slowdown long
	// before requests time out.
	defaultAPILatencyP99Ms = 1000
	// defaultEventIteratorAgeMs is five minutes: a healthy stream is read
	// within seconds, so five minutes means a record keeps failing or the
	// function cannot keep up, and the alarm still comes hours before
	// records grow old enough (eventMaxRecordAgeHours) to be sent to the
	// dead-letter queue unprocessed.
	defaultEventIteratorAgeMs = 5 * 60 * 1000
	// defaultDeadLetterMessages alarms on the first message: each is a
	// record, or a batch of them, whose events were not delivered.
	defaultDeadLetterMessages = 0
	// defaultEventPutFailures alarms on the first entry EventBridge
	// refused, even one a retry then delivered: refusals mean throttling
	// or a misconfigured bus, and a record retried often enough ends in
	// the dead-letter queue.
	defaultEventPutFailures = 0
)

// How alarms evaluate. Every alarm looks at 5-minute periods, the period
// the dashboard shows, so a graph shows what an alarm saw.
const (
	alarmPeriodMinutes = 5
	// An error or throttle count alarms in the period it happens: the
	// period's sum already smooths single events.
	errorEvaluationPeriods = 1
	// A p99 alarms when 2 of the last 3 periods are slow: one slow period
	// alone (a deploy's burst of cold starts) is not an incident.
	latencyEvaluationPeriods = 3
	latencyDatapointsToAlarm = 2
	// healthyStatusClass is the status class the per-route latency alarms
	// watch: 5xx answers are the 5XX alarm's, and 4xx answers end early.
	healthyStatusClass = "2xx"
)

// AlarmSettings are the thresholds of the stack's CloudWatch alarms. A zero
// field takes the default its comment names, so the zero AlarmSettings is
// the stack's standard monitoring. Every alarm fires when its metric is
// above (not at) the threshold; counts are whole numbers, so a threshold
// between 0 and 1, such as 0.5, fires on the first one.
type AlarmSettings struct {
	// API5XXErrors is the most 5XX answers the API stage may give in 5
	// minutes (API Gateway 5XXError, Sum). Default 5.
	API5XXErrors float64
	// FunctionErrors is the most failed invocations of the function in 5
	// minutes (Lambda Errors, Sum). Default 0: any error alarms.
	FunctionErrors float64
	// FunctionThrottles is the most throttled invocations of the function
	// in 5 minutes (Lambda Throttles, Sum). Default 0: any throttle alarms.
	FunctionThrottles float64
	// APILatencyP99Ms is the highest p99 of the stage's end-to-end latency
	// in milliseconds, per 5 minutes (API Gateway Latency, p99). Default
	// 1000.
	APILatencyP99Ms float64
	// RouteLatencyP99Ms, when set, adds one alarm per route on the p99 of
	// the service's own Latency metric (EMF, milliseconds) for the route's
	// 2xx answers, so a slow route shows by name. Default 0: no route
	// alarms, since APILatencyP99Ms already covers the API as a whole and
	// each alarm is billed.
	RouteLatencyP99Ms float64
	// EventIteratorAgeMs is the greatest age, in milliseconds, of the
	// last stream record the event function read, per 5 minutes (Lambda
	// IteratorAge, Maximum): how far the events lag behind the writes.
	// Default 300000 (5 minutes).
	EventIteratorAgeMs float64
	// DeadLetterMessages is the most messages the dead-letter queue may
	// hold (SQS ApproximateNumberOfMessagesVisible, Maximum). Default 0:
	// any message alarms.
	DeadLetterMessages float64
	// EventPutFailures is the most event entries EventBridge may refuse in
	// 5 minutes (the event function's EventPutFailures, EMF, Sum). Default
	// 0: any refusal alarms.
	EventPutFailures float64
}

// withDefaults fills the zero fields of a.
func (a AlarmSettings) withDefaults() AlarmSettings {
	if a.API5XXErrors == 0 {
		a.API5XXErrors = defaultAPI5XXErrors
	}
	if a.FunctionErrors == 0 {
		a.FunctionErrors = defaultFunctionErrors
	}
	if a.FunctionThrottles == 0 {
		a.FunctionThrottles = defaultFunctionThrottles
	}
	if a.APILatencyP99Ms == 0 {
		a.APILatencyP99Ms = defaultAPILatencyP99Ms
	}
	if a.EventIteratorAgeMs == 0 {
		a.EventIteratorAgeMs = defaultEventIteratorAgeMs
	}
	if a.DeadLetterMessages == 0 {
		a.DeadLetterMessages = defaultDeadLetterMessages
	}
	if a.EventPutFailures == 0 {
		a.EventPutFailures = defaultEventPutFailures
	}
	return a
}

// check refuses thresholds that would make an alarm meaningless: a negative
// one fires whenever the metric reports, zeros included.
func (a AlarmSettings) check() error {
	for _, f := range []struct {
		name  string
		value float64
	}{
		{"API5XXErrors", a.API5XXErrors},
		{"FunctionErrors", a.FunctionErrors},
		{"FunctionThrottles", a.FunctionThrottles},
		{"APILatencyP99Ms", a.APILatencyP99Ms},
		{"RouteLatencyP99Ms", a.RouteLatencyP99Ms},
		{"EventIteratorAgeMs", a.EventIteratorAgeMs},
		{"DeadLetterMessages", a.DeadLetterMessages},
		{"EventPutFailures", a.EventPutFailures},
	} {
		if math.IsNaN(f.value) || math.IsInf(f.value, 0) || f.value < 0 {
			return fmt.Errorf("alarms: %s = %v: want a number >= 0 (0 for the default)", f.name, f.value)
		}
	}
	return nil
}

// topicARNPattern is an SNS topic's ARN; a mistyped one would otherwise
// fail only at deploy time, or fail to parse in the CDK.
var topicARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

// checkTopicARN accepts an empty ARN (no actions), a token (resolved at
// deploy time), or a well-formed SNS topic ARN.
func checkTopicARN(arn string) error {
	if arn == "" || *awscdk.Token_IsUnresolved(jsii.String(arn)) || topicARNPattern.MatchString(arn) {
		return nil
	}
	return fmt.Errorf("alarm topic %q: want an SNS topic ARN, arn:aws:sns:REGION:ACCOUNT:NAME", arn)
}

// newAlarms defines the stack's alarms on s's API stage and functions, its
// dead-letter queue and the service's EMF metrics. With a topic ARN, every
// alarm notifies it on ALARM and on OK, so whoever was told of a problem is
// told of its end.
func newAlarms(stack awscdk.Stack, s *ServiceStack, stage string, settings AlarmSettings, topicARN string, routes []route) []awscloudwatch.Alarm {
	settings = settings.withDefaults()
	apiStage := s.API.DeploymentStage()
	sum := func(m awscloudwatch.Metric) awscloudwatch.Metric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Period: alarmPeriod()})
	}
	p99 := func(m awscloudwatch.Metric) awscloudwatch.Metric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("p99"), Period: alarmPeriod()})
	}
	maximum := func(m awscloudwatch.Metric) awscloudwatch.Metric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String("Maximum"), Period: alarmPeriod()})
	}

	alarms := []awscloudwatch.Alarm{
		newAlarm(stack, "Api5XXErrorsAlarm", sum(apiStage.MetricServerError(nil)), settings.API5XXErrors, errorEvaluationPeriods, errorEvaluationPeriods,
			"The API answered more 5XX than the threshold in 5 minutes: see the function's error log lines (level error) and the Lambda errors alarm."),
		newAlarm(stack, "FunctionErrorsAlarm", sum(s.Function.MetricErrors(nil)), settings.FunctionErrors, errorEvaluationPeriods, errorEvaluationPeriods,
			"Invocations of the service function failed (timeout, crash or failed init), more than the threshold in 5 minutes: see the function's log group."),
		newAlarm(stack, "FunctionThrottlesAlarm", sum(s.Function.MetricThrottles(nil)), settings.FunctionThrottles, errorEvaluationPeriods, errorEvaluationPeriods,
			"Lambda throttled the service function more than the threshold in 5 minutes: the account's concurrency is exhausted; requests failed."),
		newAlarm(stack, "ApiLatencyP99Alarm", p99(apiStage.MetricLatency(nil)), settings.APILatencyP99Ms, latencyEvaluationPeriods, latencyDatapointsToAlarm,
			"The API stage's p99 latency (ms) was above the threshold in 2 of 3 5-minute periods: see the dashboard's per-route latency and the X-Ray traces."),
		newAlarm(stack, "EventIteratorAgeAlarm", maximum(s.EventFunction.Metric(jsii.String("IteratorAge"), nil)), settings.EventIteratorAgeMs,
			errorEvaluationPeriods, errorEvaluationPeriods,
			"The event function is behind the table's stream by more than the threshold (ms): a record keeps failing or the function is throttled; see its log group. Records past the maximum record age go to the dead-letter queue unprocessed."),
		// SQS may stop reporting a queue's metrics once it has been idle
		// for hours, messages in it or not; ignoring missing data keeps the
		// alarm in ALARM until a datapoint shows the queue empty, instead
		// of sending an OK nobody earned.
		newAlarmWith(stack, "DeadLetterQueueAlarm", maximum(s.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(nil)), settings.DeadLetterMessages,
			errorEvaluationPeriods, errorEvaluationPeriods, awscloudwatch.TreatMissingData_IGNORE,
			"Stream records the event function could not handle are in the dead-letter queue: their events were not published. Read the messages (a batch's shard and sequence numbers, or an undecodable record) and the function's log group."),
		newAlarm(stack, "EventPutFailuresAlarm", emfMetric(stage, emfEventPutFailures, "Sum", nil), settings.EventPutFailures, errorEvaluationPeriods, errorEvaluationPeriods,
			"EventBridge refused more event entries than the threshold in 5 minutes (throttling, or a missing or misconfigured bus): see the event function's log group; records that keep failing end in the dead-letter queue."),
	}
	if settings.RouteLatencyP99Ms > 0 {
		// The route dimension is the route template, "METHOD /path", the
		// same string the service's router registered and writes.
		group := constructs.NewConstruct(stack, jsii.String("RouteLatencyP99Alarms"))
		for _, r := range routes {
			pattern := r.method + " " + r.path()
			m := emfMetric(stage, emfLatency, "p99", map[string]*string{
				dimRoute:       jsii.String(pattern),
				dimStatusClass: jsii.String(healthyStatusClass),
			})
			alarms = append(alarms, newAlarm(group, routeID(r), m, settings.RouteLatencyP99Ms, latencyEvaluationPeriods, latencyDatapointsToAlarm,
				fmt.Sprintf("The service's p99 latency (ms) of %s's 2xx answers was above the threshold in 2 of 3 5-minute periods.", pattern)))
		}
	}

	if topicARN != "" {
		topic := awssns.Topic_FromTopicArn(stack, jsii.String("AlarmTopic"), jsii.String(topicARN))
		action := awscloudwatchactions.NewSnsAction(topic)
		for _, a := range alarms {
			a.AddAlarmAction(action)
			a.AddOkAction(action)
		}
	}
	return alarms
}

// newAlarm is one alarm above threshold. Missing data does not breach: the
// API and the functions report nothing while idle, and an idle service is
// healthy.
func newAlarm(scope constructs.Construct, id string, metric awscloudwatch.IMetric, threshold float64,
	evaluationPeriods, datapoints int, description string,
) awscloudwatch.Alarm {
	return newAlarmWith(scope, id, metric, threshold, evaluationPeriods, datapoints, awscloudwatch.TreatMissingData_NOT_BREACHING, description)
}

// newAlarmWith is newAlarm with its own treatment of missing data.
func newAlarmWith(scope constructs.Construct, id string, metric awscloudwatch.IMetric, threshold float64,
	evaluationPeriods, datapoints int, missing awscloudwatch.TreatMissingData, description string,
) awscloudwatch.Alarm {
	return awscloudwatch.NewAlarm(scope, jsii.String(id), &awscloudwatch.AlarmProps{
		Metric:             metric,
		Threshold:          jsii.Number(threshold),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		EvaluationPeriods:  jsii.Number(evaluationPeriods),
		DatapointsToAlarm:  jsii.Number(datapoints),
		TreatMissingData:   missing,
		AlarmDescription:   jsii.String(description),
	})
}

// routeID is a construct ID for r: its method and path without slashes,
// which construct IDs may not hold. It depends on the route alone, so
// adding a route leaves the other routes' alarms in place.
func routeID(r route) string {
	id := r.method
	for _, p := range r.parts {
		id += "_" + p
	}
	return id
}

// alarmPeriod is the period of every alarm and dashboard graph.
func alarmPeriod() awscdk.Duration { return awscdk.Duration_Minutes(jsii.Number(alarmPeriodMinutes)) }

// emfMetric is one of the service's EMF metrics for stage: its service
// dimension plus dims.
func emfMetric(stage, name, statistic string, dims map[string]*string) awscloudwatch.Metric {
	all := map[string]*string{dimService: jsii.String(serviceName(stage))}
	for k, v := range dims {
		all[k] = v
	}
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String(metricsNamespace),
		MetricName:    jsii.String(name),
		DimensionsMap: &all,
		Statistic:     jsii.String(statistic),
		Period:        alarmPeriod(),
	})
}

// emfSearch is a SEARCH over the service's EMF metric name of stage across
// its routes and status classes, which CloudWatch keeps as one metric
// each. terms narrow it, such as statusClass="2xx". Dashboards may search;
// alarms may not, which is why the route alarms name each route.
func emfSearch(stage, name, statistic string, terms ...string) string {
	// A quoted value is an exact match; unquoted, service=lambdakit-prod
	// would partly match other stages' service names too.
	query := fmt.Sprintf(`{%s,%s,%s,%s} MetricName="%s" %s="%s"`,
		metricsNamespace, dimService, dimRoute, dimStatusClass, name, dimService, serviceName(stage))
	for _, t := range terms {
		query += " " + t
	}
	return fmt.Sprintf(`SEARCH('%s', '%s', %d)`, query, statistic, alarmPeriodMinutes*60)
}

// Dashboard layout: a row of four graphs for API Gateway and Lambda, a row
// of three for the service's own metrics, and a row of three for the event
// path, 24 units wide each.
const (
	graphHeight      = 6
	platformRowWidth = 6
	serviceRowWidth  = 8
	eventRowWidth    = 8
)

// newDashboard defines a small dashboard: what API Gateway and Lambda see
// of the service, then what the service itself reports in EMF, then the
// event path.
func newDashboard(stack awscdk.Stack, s *ServiceStack, stage string, settings AlarmSettings) awscloudwatch.Dashboard {
	settings = settings.withDefaults()
	apiStage := s.API.DeploymentStage()
	fn := s.Function
	stat := func(m awscloudwatch.Metric, statistic, label string) awscloudwatch.IMetric {
		return m.With(&awscloudwatch.MetricOptions{Statistic: jsii.String(statistic), Label: jsii.String(label), Period: alarmPeriod()})
	}
	emf := func(name, label string) awscloudwatch.IMetric {
		return emfMetric(stage, name, "Sum", nil).With(&awscloudwatch.MetricOptions{Label: jsii.String(label)})
	}
	graph := func(title string, width int, left, right []awscloudwatch.IMetric, annotations ...*awscloudwatch.HorizontalAnnotation) awscloudwatch.IWidget {
		props := &awscloudwatch.GraphWidgetProps{
			Title:  jsii.String(title),
			Width:  jsii.Number(width),
			Height: jsii.Number(graphHeight),
			Left:   &left,
		}
		if len(right) > 0 {
			props.Right = &right
		}
		if len(annotations) > 0 {
			props.LeftAnnotations = &annotations
		}
		return awscloudwatch.NewGraphWidget(props)
	}
	classes := make([]awscloudwatch.IMetric, 0, 3)
	for _, c := range []struct {
		class string
		color *string
	}{
		{"2xx", awscloudwatch.Color_GREEN()}, {"4xx", awscloudwatch.Color_ORANGE()}, {"5xx", awscloudwatch.Color_RED()},
	} {
		// SUM over the class's per-route metrics: one line per class.
		classes = append(classes, awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String("SUM(" + emfSearch(stage, emfRequests, "Sum", dimStatusClass+`="`+c.class+`"`) + ")"),
			Label:      jsii.String(c.class),
			Color:      c.color,
			Period:     alarmPeriod(),
		}))
	}

	// Dashboards are global to the account, and one of the same name is
	// overwritten: the region keeps the same stage of two regions apart.
	name := awscdk.Fn_Join(jsii.String("-"), &[]*string{stack.StackName(), awscdk.Aws_REGION()})
	dashboard := awscloudwatch.NewDashboard(stack, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{DashboardName: name})
	dashboard.AddWidgets(
		graph("API requests and errors", platformRowWidth, []awscloudwatch.IMetric{
			stat(apiStage.MetricCount(nil), "Sum", "Requests"),
			stat(apiStage.MetricClientError(nil), "Sum", "4XX"),
			stat(apiStage.MetricServerError(nil), "Sum", "5XX"),
		}, nil),
		graph("API latency (ms)", platformRowWidth, []awscloudwatch.IMetric{
			stat(apiStage.MetricLatency(nil), "p50", "p50"),
			stat(apiStage.MetricLatency(nil), "p99", "p99"),
		}, nil, &awscloudwatch.HorizontalAnnotation{
			Value: jsii.Number(settings.APILatencyP99Ms),
			Label: jsii.String("p99 alarm"),
		}),
		graph("Lambda errors and throttles", platformRowWidth, []awscloudwatch.IMetric{
			stat(fn.MetricErrors(nil), "Sum", "Errors"),
			stat(fn.MetricThrottles(nil), "Sum", "Throttles"),
		}, nil),
		graph("Lambda duration p99 (ms) and concurrency", platformRowWidth, []awscloudwatch.IMetric{
			stat(fn.MetricDuration(nil), "p99", "Duration p99"),
		}, []awscloudwatch.IMetric{
			stat(fn.Metric(jsii.String("ConcurrentExecutions"), nil), "Maximum", "Concurrent executions"),
		}),
	)
	dashboard.AddWidgets(
		graph("Service requests by status class", serviceRowWidth, classes, nil),
		graph("Service latency p99 (ms) by route and status class", serviceRowWidth, []awscloudwatch.IMetric{
			awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
				Expression: jsii.String(emfSearch(stage, emfLatency, "p99")),
				// Empty: each line is labeled by its route and class.
				Label:  jsii.String(""),
				Period: alarmPeriod(),
			}),
		}, nil),
		graph("Service cold starts", serviceRowWidth, []awscloudwatch.IMetric{
			emf(emfColdStart, "Cold starts"),
		}, nil),
	)
	events := s.EventFunction
	dashboard.AddWidgets(
		graph("Event stream iterator age (ms)", eventRowWidth, []awscloudwatch.IMetric{
			stat(events.Metric(jsii.String("IteratorAge"), nil), "Maximum", "Iterator age"),
		}, nil, &awscloudwatch.HorizontalAnnotation{
			Value: jsii.Number(settings.EventIteratorAgeMs),
			Label: jsii.String("iterator age alarm"),
		}),
		graph("Events published, refused puts, poison records", eventRowWidth, []awscloudwatch.IMetric{
			emf(emfEventsPublished, "Published"),
			emf(emfEventPutFailures, "Refused puts"),
			emf(emfPoisonRecords, "Poison records"),
		}, nil),
		graph("Event function errors and dead-letter messages", eventRowWidth, []awscloudwatch.IMetric{
			stat(events.MetricErrors(nil), "Sum", "Errors"),
		}, []awscloudwatch.IMetric{
			stat(s.DeadLetterQueue.MetricApproximateNumberOfMessagesVisible(nil), "Maximum", "Dead-letter messages"),
		}),
	)
	return dashboard
}
