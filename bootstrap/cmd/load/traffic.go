package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// op is one kind of request in the mix.
type op int

const (
	opGet op = iota
	opList
	opCreate
	opUpdate
	opDelete
	numOps
)

func (o op) String() string {
	switch o {
	case opGet:
		return "get"
	case opList:
		return "list"
	case opCreate:
		return "create"
	case opUpdate:
		return "update"
	case opDelete:
		return "delete"
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// mix is the weight of each op: an op's share of requests is its weight
// over the sum.
type mix [numOps]int

// defaultMix is read-heavy, as a catalogue is: half the requests read one
// product and 15% list a page; creates outnumber deletes so the pool of
// products only grows.
func defaultMix() mix {
	return mix{opGet: 50, opList: 15, opCreate: 15, opUpdate: 10, opDelete: 10}
}

func (m mix) total() int {
	n := 0
	for _, w := range m {
		n += w
	}
	return n
}

// pick maps u, from 0 to total()-1, to an op, each taking a range as wide
// as its weight.
func (m mix) pick(u int) op {
	for o, w := range m {
		if u < w {
			return op(o)
		}
		u -= w
	}
	return opCreate
}

func (m mix) String() string {
	parts := make([]string, 0, numOps)
	for o, w := range m {
		parts = append(parts, fmt.Sprintf("%d%% %s", w*100/m.total(), op(o)))
	}
	return strings.Join(parts, ", ")
}

// listPageSize is the page every list request asks for: the API's default.
const listPageSize = 20

// traffic makes one target's requests and learns from their responses: the
// ids that creates return feed the pool that reads, updates and deletes
// draw from.
type traffic struct {
	base   string // the target's URL, "http://127.0.0.1:port"
	pool   *pool
	mix    mix
	header http.Header // read-only, shared by every request with a body

	mu  sync.Mutex // guards rng: vegeta's workers call the targeter at once
	rng *rand.Rand
	n   atomic.Uint64 // numbers the products' names
}

func newTraffic(base string, m mix, seed uint64) *traffic {
	return &traffic{
		base:   base,
		pool:   newPool(seed),
		mix:    m,
		header: http.Header{"Content-Type": []string{"application/json"}},
		rng:    rand.New(rand.NewPCG(seed, ^seed)),
	}
}

// targeter is the vegeta.Targeter of the mix. It never fails: with no id
// to spare, a request that needs one becomes a create.
func (t *traffic) targeter() vegeta.Targeter {
	return func(tgt *vegeta.Target) error {
		*tgt = t.next()
		return nil
	}
}

func (t *traffic) roll() op {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mix.pick(t.rng.IntN(t.mix.total()))
}

// collection is the resource the traffic drives: products, the one the
// hand-written baseline serves too.
const collection = "/products"

// next is the next request of the mix.
func (t *traffic) next() vegeta.Target {
	switch t.roll() {
	case opGet:
		if id, ok := t.pool.acquire(); ok {
			return vegeta.Target{Method: http.MethodGet, URL: t.base + collection + "/" + id}
		}
	case opList:
		return vegeta.Target{Method: http.MethodGet, URL: fmt.Sprintf("%s%s?pageSize=%d", t.base, collection, listPageSize)}
	case opUpdate:
		if id, ok := t.pool.acquire(); ok {
			body := fmt.Sprintf(`{"name":"Load product %d, renamed"}`, t.n.Add(1))
			return vegeta.Target{Method: http.MethodPut, URL: t.base + collection + "/" + id, Body: []byte(body), Header: t.header}
		}
	case opDelete:
		if id, ok := t.pool.take(); ok {
			return vegeta.Target{Method: http.MethodDelete, URL: t.base + collection + "/" + id}
		}
	}
	return t.create()
}

func (t *traffic) create() vegeta.Target {
	body := fmt.Sprintf(`{"name":"Load product %d","description":"Made by the load test"}`, t.n.Add(1))
	return vegeta.Target{Method: http.MethodPost, URL: t.base + collection, Body: []byte(body), Header: t.header}
}

// observe learns from a response to one of next's requests (releasing
// its lease, pooling a created id) and returns the request's op.
func (t *traffic) observe(r *vegeta.Result) op {
	o, id := t.classify(r.Method, r.URL)
	switch o {
	case opGet, opUpdate:
		t.pool.release(id)
	case opCreate:
		if r.Code == http.StatusCreated {
			var p struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(r.Body, &p) == nil && p.ID != "" {
				t.pool.add(p.ID)
			}
		}
	}
	return o
}

// classify tells a request's op, and its product's id, from its method
// and URL, as next made them.
func (t *traffic) classify(method, url string) (op, string) {
	path := strings.TrimPrefix(url, t.base)
	id, item := strings.CutPrefix(path, collection+"/")
	switch {
	case method == http.MethodPost:
		return opCreate, ""
	case method == http.MethodPut:
		return opUpdate, id
	case method == http.MethodDelete:
		return opDelete, id
	case item:
		return opGet, id
	}
	return opList, ""
}
