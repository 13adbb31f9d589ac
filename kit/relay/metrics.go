package relay

import (
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// The event function's CloudWatch metrics, in the namespace and with the
// service dimension of Metrics.
const (
	// MetricPublished counts the events of a batch published before the first
	// that was not (EventBridge may also have taken some after it, which
	// the retried batch publishes again).
	MetricPublished = "EventsPublished"
	// MetricPutFailures counts entries EventBridge refused, per attempt.
	MetricPutFailures = "EventPutFailures"
	// MetricPoison counts records sent to the dead-letter queue undecoded.
	MetricPoison = "PoisonRecords"
)

// Metrics names where the relay's metrics go. They travel in each batch's
// log line in CloudWatch's embedded metric format, as the router's do.
type Metrics struct {
	Namespace string
	Service   string
	// putFailures accumulates the publisher's refused entries until the
	// batch's line reports them.
	putFailures atomic.Int64
}

// PutFailed counts n entries that EventBridge refused; the publisher calls
// it.
func (m *Metrics) PutFailed(n int) { m.putFailures.Add(int64(n)) }

func (m *Metrics) emf(now time.Time, counts map[string]int) []zap.Field {
	type metric struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	type directive struct {
		Namespace  string     `json:"Namespace"`
		Dimensions [][]string `json:"Dimensions"`
		Metrics    []metric   `json:"Metrics"`
	}
	counts[MetricPutFailures] = int(m.putFailures.Swap(0))
	names := []string{MetricPublished, MetricPutFailures, MetricPoison}
	d := directive{Namespace: m.Namespace, Dimensions: [][]string{{"service"}}}
	fields := []zap.Field{zap.String("service", m.Service)}
	for _, n := range names {
		d.Metrics = append(d.Metrics, metric{n, "Count"})
		fields = append(fields, zap.Int(n, counts[n]))
	}
	return append(fields, zap.Any("_aws", map[string]any{
		"Timestamp":         now.UnixMilli(),
		"CloudWatchMetrics": []directive{d},
	}))
}
