package main

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

const testBase = "http://127.0.0.1:1"

func TestMixPick(t *testing.T) {
	m := mix{opGet: 2, opList: 1, opCreate: 0, opUpdate: 1, opDelete: 1}
	var got []op
	for u := range m.total() {
		got = append(got, m.pick(u))
	}
	if want := []op{opGet, opGet, opList, opUpdate, opDelete}; !slices.Equal(got, want) {
		t.Errorf("picks %v, want %v", got, want)
	}
	if s := defaultMix().String(); s != "50% get, 15% list, 15% create, 10% update, 10% delete" {
		t.Errorf("default mix reads %q", s)
	}
}

// TestTargeterFollowsTheMix draws many requests from a well-stocked pool:
// each op's share is its weight's, within sampling error, and every
// request is one the API accepts.
func TestTargeterFollowsTheMix(t *testing.T) {
	tr := newTraffic(testBase, defaultMix(), 3)
	for i := range 1000 {
		tr.pool.add(fmt.Sprintf("id-%d", i))
	}
	next := tr.targeter()
	const n = 20000
	var count [numOps]int
	for range n {
		var tgt vegeta.Target
		if err := next(&tgt); err != nil {
			t.Fatal(err)
		}
		o, id := tr.classify(tgt.Method, tgt.URL)
		count[o]++
		checkRequest(t, o, id, tgt)
		// Answer it as the API would, so that leases end and creates
		// stock the pool that deletes empty.
		answer := &vegeta.Result{Method: tgt.Method, URL: tgt.URL, Code: http.StatusOK}
		if o == opCreate {
			answer.Code, answer.Body = http.StatusCreated, fmt.Appendf(nil, `{"id":"id-new-%d"}`, count[o])
		}
		tr.observe(answer)
	}
	m := defaultMix()
	for o := range numOps {
		want := float64(m[o]) / float64(m.total())
		if got := float64(count[o]) / n; math.Abs(got-want) > 0.015 {
			t.Errorf("%s: %.3f of requests, want %.3f", o, got, want)
		}
	}
}

func checkRequest(t *testing.T, o op, id string, tgt vegeta.Target) {
	t.Helper()
	switch o {
	case opCreate, opUpdate:
		var body map[string]string
		if err := json.Unmarshal(tgt.Body, &body); err != nil || strings.TrimSpace(body["name"]) == "" ||
			tgt.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%s %s: body %s, header %v; want JSON with a name", tgt.Method, tgt.URL, tgt.Body, tgt.Header)
		}
	case opList:
		if tgt.URL != testBase+collection+"?pageSize=20" {
			t.Fatalf("list URL %s", tgt.URL)
		}
	}
	if (o == opGet || o == opUpdate || o == opDelete) && !strings.HasPrefix(id, "id-") {
		t.Fatalf("%s of %q, not an id from the pool", o, id)
	}
}

// TestObserveFeedsThePool checks the loop between requests and pool:
// a created product becomes readable, a read's lease ends with its
// response, and an empty pool makes creates.
func TestObserveFeedsThePool(t *testing.T) {
	tr := newTraffic(testBase, mix{opGet: 1}, 4)
	first := tr.next()
	if first.Method != http.MethodPost {
		t.Fatalf("with an empty pool, a get became %s %s, want a create", first.Method, first.URL)
	}
	tr.observe(&vegeta.Result{Method: first.Method, URL: first.URL, Code: http.StatusCreated, Body: []byte(`{"id":"p1","name":"x"}`)})
	get := tr.next()
	if get.Method != http.MethodGet || get.URL != testBase+collection+"/p1" {
		t.Fatalf("next = %s %s, want GET of the created product", get.Method, get.URL)
	}
	if _, ok := tr.pool.take(); ok {
		t.Fatal("a delete took p1 while the GET was in flight")
	}
	tr.observe(&vegeta.Result{Method: get.Method, URL: get.URL, Code: http.StatusOK})
	if id, ok := tr.pool.take(); !ok || id != "p1" {
		t.Fatalf("take after the GET's response = %q, %v; want p1", id, ok)
	}
	tr.observe(&vegeta.Result{Method: http.MethodPost, URL: testBase + collection, Code: http.StatusServiceUnavailable, Body: []byte(`{"id":"no"}`)})
	if tr.pool.size() != 0 {
		t.Error("a failed create added an id")
	}
}

func TestTurnsAlternate(t *testing.T) {
	var got []int
	for i := range 4 {
		got = append(got, turns(i, 2)...)
	}
	if want := []int{0, 1, 1, 0, 0, 1, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("turns %v, want %v", got, want)
	}
	if p := (phase{round: 5 * time.Second, total: 30 * time.Second}); p.rounds() != 6 {
		t.Errorf("30s in 5s rounds is %d rounds, want 6", p.rounds())
	}
}

func TestTallyCountsByClass(t *testing.T) {
	var tl tally
	for _, code := range []uint16{200, 201, 204, 404, 503, 0} {
		tl.add(opGet, &vegeta.Result{Code: code, Latency: time.Millisecond, Timestamp: time.Now()})
	}
	tl.active = 2 * time.Second
	tl.close()
	if tl.ok != 3 || tl.clientErr != 1 || tl.serverErr != 1 || tl.other != 1 || len(tl.samples) != 3 {
		t.Errorf("ok %d, 4xx %d, 5xx %d, other %d, %d samples; want 3, 1, 1, 1, 3", tl.ok, tl.clientErr, tl.serverErr, tl.other, len(tl.samples))
	}
	if got := tl.throughput(); got != 1.5 {
		t.Errorf("throughput %.2f, want 3 ok over 2s = 1.5", got)
	}
}
