package apigw

import (
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Metrics names where a router's per-request metrics go in CloudWatch.
// They travel in the request's own log line, in CloudWatch's embedded
// metric format (EMF): one line per request stays one line, and no call to
// CloudWatch is made on the request path.
type Metrics struct {
	// Namespace is the CloudWatch namespace (Powertools'
	// POWERTOOLS_METRICS_NAMESPACE).
	Namespace string
	// Service is the service dimension (Powertools'
	// POWERTOOLS_SERVICE_NAME).
	Service string
}

// WithMetrics makes every request's log line carry, in EMF: Requests (a
// count) and Latency (milliseconds) by service, route template and status
// class, never the raw path, so that the number of metrics stays bounded;
// and ColdStart (a count) by service on an instance's first request.
func WithMetrics(m Metrics) Option { return func(r *Router) { r.metrics = newEMF(m) } }

// Names of the metric dimensions and metrics, as they appear at the log
// line's root.
const (
	dimService     = "service"
	dimRoute       = "route"
	dimStatusClass = "statusClass"
	metricRequests = "Requests"
	metricLatency  = "Latency"
	metricCold     = "ColdStart"
	// noRoute is the route dimension of a request no route matched: a
	// dimension value must not be empty.
	noRoute = "none"
)

// emf is what a router's metrics add to each request's log line, worked
// out when the router is made: only the status class, the latency and
// the timestamp differ from one request to the next.
type emf struct {
	service string
	// warm and cold are the _aws directives of an instance's later
	// requests and of its first, which also counts a cold start.
	warm, cold directives
}

func newEMF(m Metrics) *emf {
	requests := directive{
		namespace:  m.Namespace,
		dimensions: dimensionSets{{dimService, dimRoute, dimStatusClass}},
		metrics:    metricDefs{{metricRequests, "Count"}, {metricLatency, "Milliseconds"}},
	}
	coldStart := directive{
		namespace:  m.Namespace,
		dimensions: dimensionSets{{dimService}},
		metrics:    metricDefs{{metricCold, "Count"}},
	}
	return &emf{service: m.Service, warm: directives{requests}, cold: directives{requests, coldStart}}
}

// fields returns the fields that make a request's log line an EMF object:
// the dimensions' and metrics' values at the root, and the _aws directive
// that says which is which.
func (m *emf) fields(fields []zap.Field, now time.Time, status int, took time.Duration, cold bool) []zap.Field {
	fields = append(fields,
		zap.String(dimService, m.service),
		zap.String(dimStatusClass, statusClass(status)),
		zap.Int(metricRequests, 1),
		zap.Float64(metricLatency, float64(took.Microseconds())/1000),
	)
	aws := &awsObject{timestamp: now.UnixMilli(), directives: &m.warm}
	if cold {
		aws.directives = &m.cold
		fields = append(fields, zap.Int(metricCold, 1))
	}
	return append(fields, zap.Object("_aws", aws))
}

// statusClass is "2xx" for 200 to 299, and so on.
func statusClass(status int) string {
	switch status / 100 {
	case 1:
		return "1xx"
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	case 5:
		return "5xx"
	}
	return strconv.Itoa(status/100) + "xx"
}

// The _aws object and its parts write themselves to the log line's
// encoder, member by member: as reflected values, the encoder would run
// them through encoding/json on every request.
type (
	awsObject struct {
		timestamp  int64
		directives *directives
	}
	directives []directive
	directive  struct {
		namespace  string
		dimensions dimensionSets
		metrics    metricDefs
	}
	dimensionSets [][]string
	dimensionSet  []string
	metricDefs    []metricDef
	metricDef     struct{ name, unit string }
)

func (a *awsObject) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddInt64("Timestamp", a.timestamp)
	return enc.AddArray("CloudWatchMetrics", a.directives) //nolint:wrapcheck // the encoder's own error, as zap expects
}

func (ds *directives) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for i := range *ds {
		if err := enc.AppendObject(&(*ds)[i]); err != nil {
			return err //nolint:wrapcheck // the encoder's own error, as zap expects
		}
	}
	return nil
}

func (d *directive) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("Namespace", d.namespace)
	if err := enc.AddArray("Dimensions", &d.dimensions); err != nil {
		return err //nolint:wrapcheck // the encoder's own error, as zap expects
	}
	return enc.AddArray("Metrics", &d.metrics) //nolint:wrapcheck // the encoder's own error, as zap expects
}

func (s *dimensionSets) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for i := range *s {
		if err := enc.AppendArray((*dimensionSet)(&(*s)[i])); err != nil {
			return err //nolint:wrapcheck // the encoder's own error, as zap expects
		}
	}
	return nil
}

func (s *dimensionSet) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for _, name := range *s {
		enc.AppendString(name)
	}
	return nil
}

func (ms *metricDefs) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for i := range *ms {
		if err := enc.AppendObject(&(*ms)[i]); err != nil {
			return err //nolint:wrapcheck // the encoder's own error, as zap expects
		}
	}
	return nil
}

func (m *metricDef) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("Name", m.name)
	enc.AddString("Unit", m.unit)
	return nil
}
