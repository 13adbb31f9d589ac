// Package benchtest helps benchmarks compare a measured call with a
// baseline taken in the same run.
package benchtest

import (
	"testing"
	"time"
)

// Interleave times base and meas alternately, call by call, in one
// benchmark loop, and reports each as its own metric (NAME-ns/op) and their
// ratio (MEASURED/BASELINE). Separate sub-benchmarks would not do: go test
// runs every count of one before the next, so anything that drifts during a
// run (DynamoDB Local's JVM keeps getting faster as it warms) would favour
// whichever ran second. Alternating gives both the same conditions.
func Interleave(b *testing.B, baseline, measured string, base, meas func() error) {
	b.Helper()
	var tb, tm time.Duration
	n := 0
	for b.Loop() {
		start := time.Now()
		if err := base(); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := meas(); err != nil {
			b.Fatal(err)
		}
		tb += mid.Sub(start)
		tm += time.Since(mid)
		n++
	}
	if n == 0 || tb == 0 {
		return
	}
	b.ReportMetric(float64(tb.Nanoseconds())/float64(n), baseline+"-ns/op")
	b.ReportMetric(float64(tm.Nanoseconds())/float64(n), measured+"-ns/op")
	b.ReportMetric(float64(tm)/float64(tb), measured+"/"+baseline)
}
