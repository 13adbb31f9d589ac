package apigw

import (
	"strconv"
	"time"

	"go.uber.org/zap"
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
func WithMetrics(m Metrics) Option { return func(r *Router) { r.metrics = &m } }

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

// emf returns the fields that make a request's log line an EMF object: the
// dimensions' and metrics' values at the root, and the _aws directive that
// says which is which.
func (m *Metrics) emf(now time.Time, status int, took time.Duration, cold bool) []zap.Field {
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	type directive struct {
		Namespace  string     `json:"Namespace"`
		Dimensions [][]string `json:"Dimensions"`
		Metrics    []metric   `json:"Metrics"`
	}
	directives := []directive{{
		Namespace:  m.Namespace,
		Dimensions: [][]string{{dimService, dimRoute, dimStatusClass}},
		Metrics:    []metric{{metricRequests, "Count"}, {metricLatency, "Milliseconds"}},
	}}
	fields := []zap.Field{
		zap.String(dimService, m.Service),
		zap.String(dimStatusClass, strconv.Itoa(status/100)+"xx"),
		zap.Int(metricRequests, 1),
		zap.Float64(metricLatency, float64(took.Microseconds())/1000),
	}
	if cold {
		directives = append(directives, directive{
			Namespace:  m.Namespace,
			Dimensions: [][]string{{dimService}},
			Metrics:    []metric{{metricCold, "Count"}},
		})
		fields = append(fields, zap.Int(metricCold, 1))
	}
	return append(fields, zap.Any("_aws", struct {
		Timestamp         int64       `json:"Timestamp"`
		CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
	}{now.UnixMilli(), directives}))
}
