package main

import (
	"fmt"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// maxSamples bounds the failed requests a tally keeps to show.
const maxSamples = 5

// tally is what one target did in one phase, every round merged.
type tally struct {
	all vegeta.Metrics
	ops [numOps]vegeta.Metrics
	// active is the time the target was under load: the sum of its
	// rounds' spans, first request sent to last response in.
	active time.Duration
	// rounds is each round's throughput, in order.
	rounds []float64
	// ok are 2xx and 3xx; clientErr 4xx; serverErr 5xx; other, requests
	// with no HTTP answer (refused, reset, timed out).
	ok, clientErr, serverErr, other uint64
	samples                         []string
	// cpu is what the target's server and the whole machine spent while
	// it was loaded; cpuUnknown is true where /proc cannot tell.
	cpu        cpuSpent
	cpuUnknown bool
}

func (t *tally) add(o op, r *vegeta.Result) {
	t.all.Add(r)
	t.ops[o].Add(r)
	switch {
	case r.Code == 0:
		t.other++
	case r.Code >= 500:
		t.serverErr++
	case r.Code >= 400:
		t.clientErr++
	default:
		t.ok++
		return
	}
	if len(t.samples) < maxSamples {
		t.samples = append(t.samples, fmt.Sprintf("%s %s: %d %s %.200s", r.Method, r.URL, r.Code, r.Error, r.Body))
	}
}

func (t *tally) addCPU(c cpuSpent, ok bool) {
	if !ok {
		t.cpuUnknown = true
		return
	}
	t.cpu.server += c.server
	t.cpu.machine += c.machine
}

// cpuPerRequest is the server's and the machine's CPU time per request.
func (t *tally) cpuPerRequest() (server, machine time.Duration, ok bool) {
	if t.cpuUnknown || t.all.Requests == 0 {
		return 0, 0, false
	}
	n := time.Duration(t.all.Requests)
	return t.cpu.server / n, t.cpu.machine / n, true
}

func (t *tally) close() {
	t.all.Close()
	for i := range t.ops {
		t.ops[i].Close()
	}
}

// throughput is successful requests per second under load.
func (t *tally) throughput() float64 {
	if t.active <= 0 {
		return 0
	}
	return float64(t.ok) / t.active.Seconds()
}

func (t *tally) p50() time.Duration { return t.all.Latencies.P50 }
func (t *tally) p99() time.Duration { return t.all.Latencies.P99 }

// cpuSpent is CPU time used during some rounds.
type cpuSpent struct {
	server, machine time.Duration
}

// cpuMeter measures the CPU time a round uses.
type cpuMeter struct {
	pid   int
	start cpuSpent
	ok    bool
}

func startCPU(pid int) cpuMeter {
	m := cpuMeter{pid: pid}
	var okServer, okMachine bool
	m.start.server, okServer = processCPU(pid)
	m.start.machine, okMachine = machineCPU()
	m.ok = okServer && okMachine
	return m
}

// stop returns the CPU time used since startCPU, and whether it is known.
func (m cpuMeter) stop() (cpuSpent, bool) {
	server, okServer := processCPU(m.pid)
	machine, okMachine := machineCPU()
	if !m.ok || !okServer || !okMachine {
		return cpuSpent{}, false
	}
	return cpuSpent{server: server - m.start.server, machine: machine - m.start.machine}, true
}
