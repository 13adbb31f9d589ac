package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// target is one server under test and the traffic it gets.
type target struct {
	name    string
	pid     int // the server's process, whose CPU time the report shows
	traffic *traffic
	// client is shared by every round's attacker, so that connections
	// outlive rounds and a round does not start with a burst of dials.
	client *http.Client
}

func newTarget(name, base string, pid int, m mix, seed uint64, conns int) *target {
	return &target{
		name:    name,
		pid:     pid,
		traffic: newTraffic(base, m, seed),
		client: &http.Client{
			Timeout: 15 * time.Second, // past the servers' 10 s request budget
			Transport: &http.Transport{
				// No Proxy: the targets are on loopback, whatever
				// HTTP_PROXY says.
				DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
				MaxIdleConns:        conns,
				MaxIdleConnsPerHost: conns,
			},
		},
	}
}

// phase is one way of loading the targets, the same for each.
type phase struct {
	name string
	// rate is requests per second per target; 0 is as fast as the
	// workers can go (a closed loop: each sends its next request when
	// its last is answered).
	rate int
	// workers start the attack; vegeta adds workers up to maxWorkers
	// when all are busy and the rate needs more.
	workers, maxWorkers int
	// round is one turn of one target; total is each target's sum.
	round, total time.Duration
}

// rounds is how many rounds each target gets.
func (p phase) rounds() int {
	return max(1, int((p.total+p.round-1)/p.round))
}

// run drives every target for p.total, in rounds of p.round that take
// turns, and merges each target's rounds. Taking turns in short rounds
// spreads DynamoDB Local's warming (its JVM keeps getting faster) evenly
// over the targets instead of handing it to whichever runs second. With
// verbose, it prints a line per round, which shows how much rounds vary.
func (p phase) run(ctx context.Context, targets []*target, verbose io.Writer) ([]*tally, error) {
	tallies := make([]*tally, len(targets))
	for i := range tallies {
		tallies[i] = &tally{}
	}
	for i := range p.rounds() {
		for _, k := range turns(i, len(targets)) {
			round, err := p.attack(ctx, targets[k], tallies[k])
			if err != nil {
				return nil, err
			}
			if verbose != nil {
				fmt.Fprintf(verbose, "  %s round %d, %-8s %6d requests %7.1f ok req/s  p50 %s  p99 %s\n", p.name, i+1, targets[k].name,
					round.Requests, round.Throughput, ms(round.Latencies.P50), ms(round.Latencies.P99))
			}
		}
	}
	for _, t := range tallies {
		t.close()
	}
	return tallies, nil
}

// turns is the order of the targets in the i-th set of rounds: forward,
// then backward (A B, B A, A B, ...), so that neither target always runs
// right after the other, on a JVM the other has just warmed.
func turns(i, n int) []int {
	out := make([]int, n)
	for k := range out {
		out[k] = k
		if i%2 == 1 {
			out[k] = n - 1 - k
		}
	}
	return out
}

// attack runs one round against t, adds it to into and returns it alone.
func (p phase) attack(ctx context.Context, t *target, into *tally) (*vegeta.Metrics, error) {
	a := vegeta.NewAttacker(
		vegeta.Client(t.client),
		vegeta.Workers(uint64(p.workers)),
		vegeta.MaxWorkers(uint64(max(p.workers, p.maxWorkers))),
	)
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()
	pacer := vegeta.ConstantPacer{Freq: p.rate, Per: time.Second}
	cpu := startCPU(t.pid)
	var round vegeta.Metrics
	for r := range a.Attack(t.traffic.targeter(), pacer, p.round, p.name+" "+t.name) {
		into.add(t.traffic.observe(r), r)
		round.Add(r)
	}
	into.addCPU(cpu.stop())
	round.Close()
	// Throughput is over the time the target was loaded: the rounds'
	// own spans, not the phase's, which includes the other's rounds.
	into.active += round.Duration + round.Wait
	into.rounds = append(into.rounds, round.Throughput)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s, %s: %w", p.name, t.name, err)
	}
	return &round, nil
}

// seed creates n products at t before any measurement, so that reads have
// ids to read from the first request on.
func seed(ctx context.Context, t *target, n, workers int) error {
	a := vegeta.NewAttacker(vegeta.Client(t.client), vegeta.Workers(uint64(workers)), vegeta.MaxWorkers(uint64(workers)))
	stop := context.AfterFunc(ctx, func() { a.Stop() })
	defer stop()
	upTo := countPacer(n)
	creates := func(tgt *vegeta.Target) error { *tgt = t.traffic.create(); return nil }
	failed := 0
	var first string
	for r := range a.Attack(creates, upTo, 0, "seed "+t.name) {
		if t.traffic.observe(r); r.Code != http.StatusCreated {
			if failed++; first == "" {
				first = fmt.Sprintf("%d %s %s", r.Code, r.Error, r.Body)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("seed %s: %w", t.name, err)
	}
	if failed > 0 {
		return fmt.Errorf("seed %s: %d of %d creates failed, the first with %s", t.name, failed, n, first)
	}
	return nil
}

// countPacer sends its number of hits as fast as the workers take them,
// then stops.
type countPacer uint64

// Pace implements vegeta.Pacer.
func (c countPacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, hits >= uint64(c)
}

// Rate implements vegeta.Pacer: unbounded.
func (countPacer) Rate(time.Duration) float64 { return 0 }
