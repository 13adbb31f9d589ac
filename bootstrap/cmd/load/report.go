package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The targets the service is held to at saturation, against the baseline.
const (
	minThroughputRatio = 0.9
	maxP99Ratio        = 1.2
)

func printWarmup(out io.Writer, targets []*target, tallies []*tally) {
	parts := make([]string, len(targets))
	for i, t := range targets {
		parts[i] = fmt.Sprintf("%s %d requests (%d 4xx, %d 5xx, %d other errors)",
			t.name, tallies[i].all.Requests, tallies[i].clientErr, tallies[i].serverErr, tallies[i].other)
	}
	fmt.Fprintf(out, "\nwarm-up, not reported: %s\n", strings.Join(parts, "; "))
}

func printPhase(out io.Writer, p phase, m mix, svc, base *tally) {
	load := fmt.Sprintf("%d req/s per target", p.rate)
	if p.rate == 0 {
		load = fmt.Sprintf("%d workers per target, each sending as soon as answered", p.workers)
	}
	fmt.Fprintf(out, "\n== %s: %s; %v per target in %d rounds of %v, taking turns\n",
		p.name, load, p.round*time.Duration(p.rounds()), p.rounds(), p.round)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\trequests\tok req/s\tp50\tp99\t4xx\t5xx\tother\t")
	for _, row := range []struct {
		name string
		t    *tally
	}{{"service", svc}, {"baseline", base}} {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%d\t%d\t%d\t\n", row.name, row.t.all.Requests, row.t.throughput(),
			ms(row.t.p50()), ms(row.t.p99()), row.t.clientErr, row.t.serverErr, row.t.other)
	}
	fmt.Fprintf(tw, "service/baseline\t\t%s\t%s\t%s\t\t\t\t\n", ratio(svc.throughput(), base.throughput()),
		ratio(float64(svc.p50()), float64(base.p50())), ratio(float64(svc.p99()), float64(base.p99())))
	_ = tw.Flush()
	printSpread(out, svc, base)
	printCPU(out, svc, base)
	printOps(out, m, svc, base)
	for _, row := range []struct {
		name string
		t    *tally
	}{{"service", svc}, {"baseline", base}} {
		for _, s := range row.t.samples {
			fmt.Fprintf(out, "  %s failed: %s\n", row.name, s)
		}
	}
}

// printSpread shows how the throughput ratio varies from one pair of
// rounds to the next (the two rounds of a pair run back to back): the
// noise a ratio for the whole phase should be read against.
func printSpread(out io.Writer, svc, base *tally) {
	n := min(len(svc.rounds), len(base.rounds))
	if n < 2 {
		return
	}
	ratios := make([]float64, 0, n)
	for i := range n {
		if base.rounds[i] > 0 {
			ratios = append(ratios, svc.rounds[i]/base.rounds[i])
		}
	}
	if len(ratios) < 2 {
		return
	}
	slices.Sort(ratios)
	k := len(ratios)
	median := (ratios[(k-1)/2] + ratios[k/2]) / 2
	fmt.Fprintf(out, "  ok req/s ratio round by round: min %.2fx, median %.2fx, max %.2fx (%d pairs)\n",
		ratios[0], median, ratios[k-1], k)
}

// printCPU shows the CPU time each server spends per request, and the
// whole machine's (DynamoDB Local and the load generator included): with
// the same DynamoDB calls, a difference is the kit's request path.
func printCPU(out io.Writer, svc, base *tally) {
	svcServer, svcMachine, ok1 := svc.cpuPerRequest()
	baseServer, baseMachine, ok2 := base.cpuPerRequest()
	if !ok1 || !ok2 {
		return
	}
	fmt.Fprintf(out, "  CPU per request: server %s vs %s (%s), whole machine %s vs %s (%s)\n",
		us(svcServer), us(baseServer), ratio(float64(svcServer), float64(baseServer)),
		us(svcMachine), us(baseMachine), ratio(float64(svcMachine), float64(baseMachine)))
}

func us(d time.Duration) string { return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond)) }

// printOps breaks latency down by op, which shows where a gap comes from.
func printOps(out io.Writer, m mix, svc, base *tally) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  by op\trequests\tservice p50\tp99\tbaseline p50\tp99\tp50 ratio\tp99 ratio\t")
	for o := range numOps {
		s, b := &svc.ops[o], &base.ops[o]
		if m[o] == 0 {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d / %d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", o, s.Requests, b.Requests,
			ms(s.Latencies.P50), ms(s.Latencies.P99), ms(b.Latencies.P50), ms(b.Latencies.P99),
			ratio(float64(s.Latencies.P50), float64(b.Latencies.P50)), ratio(float64(s.Latencies.P99), float64(b.Latencies.P99)))
	}
	_ = tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// check is one target the service is held to.
type check struct {
	ok   bool
	text string
}

// evaluate holds the service (tallies[0]) to its targets against the
// baseline (tallies[1]).
func evaluate(fixed, saturated []*tally) []check {
	svcFixed, svcSat, baseSat := fixed[0], saturated[0], saturated[1]
	fiveXX := svcFixed.serverErr + svcSat.serverErr
	unanswered := svcFixed.other + svcSat.other
	tput := svcSat.throughput() / max(baseSat.throughput(), 1e-9)
	p99 := float64(svcSat.p99()) / max(float64(baseSat.p99()), 1)
	var fourXX uint64
	for _, t := range append(fixed, saturated...) {
		fourXX += t.clientErr
	}
	return []check{
		{fiveXX == 0 && unanswered == 0, fmt.Sprintf(
			"service: 0 5xx and every request answered (5xx: %d, unanswered: %d)", fiveXX, unanswered)},
		{tput >= minThroughputRatio, fmt.Sprintf(
			"saturation throughput: service %.2fx the baseline's (%.1f vs %.1f ok req/s), target >= %.2fx",
			tput, svcSat.throughput(), baseSat.throughput(), minThroughputRatio)},
		{p99 <= maxP99Ratio, fmt.Sprintf(
			"saturation p99: service %.2fx the baseline's (%s vs %s), target <= %.2fx",
			p99, ms(svcSat.p99()), ms(baseSat.p99()), maxP99Ratio)},
		{fourXX == 0, fmt.Sprintf(
			"no 4xx from either server: the traffic is valid, so a 4xx is a bug (4xx: %d)", fourXX)},
	}
}

// printChecks prints PASS or FAIL for each check and reports whether all
// passed.
func printChecks(out io.Writer, checks []check) bool {
	fmt.Fprintln(out, "\nchecks (relative figures: everything shares the same cores):")
	all := true
	for _, c := range checks {
		verdict := "PASS"
		if !c.ok {
			verdict, all = "FAIL", false
		}
		fmt.Fprintf(out, "  %s  %s\n", verdict, c.text)
	}
	return all
}
