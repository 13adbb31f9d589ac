package main

import (
	"io"
	"testing"
	"time"
)

func TestShortKeepsExplicitFlags(t *testing.T) {
	o, err := parseOptions([]string{"-short", "-round", "1s"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.round != time.Second || o.duration != 4*time.Second || o.warmup != 2*time.Second || o.seed != 50 || o.rate != 200 {
		t.Errorf("-short -round 1s gave %+v", o)
	}
	if _, err := parseOptions([]string{"-workers", "0"}, io.Discard); err == nil {
		t.Error("-workers 0 was accepted")
	}
}

func TestEvaluateHoldsTheTargets(t *testing.T) {
	at := func(okPerSec float64, p99 time.Duration, fiveXX uint64) *tally {
		tl := &tally{ok: uint64(okPerSec * 10), serverErr: fiveXX, active: 10 * time.Second}
		tl.all.Latencies.P99 = p99
		return tl
	}
	base := at(100, 10*time.Millisecond, 0)
	for _, tc := range []struct {
		name string
		svc  *tally
		want []bool
	}{
		{"on par", at(100, 10*time.Millisecond, 0), []bool{true, true, true, true}},
		{"at the limits", at(90, 12*time.Millisecond, 0), []bool{true, true, true, true}},
		{"slow and 5xx", at(89, 13*time.Millisecond, 1), []bool{false, false, false, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checks := evaluate([]*tally{at(10, 0, 0), at(10, 0, 0)}, []*tally{tc.svc, base})
			for i, c := range checks {
				if c.ok != tc.want[i] {
					t.Errorf("check %d (%s): ok %v, want %v", i, c.text, c.ok, tc.want[i])
				}
			}
		})
	}
}
