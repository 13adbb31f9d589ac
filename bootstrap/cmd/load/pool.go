package main

import (
	"math/rand/v2"
	"sync"
)

// pool holds the ids of the products a target has, for the requests that
// need one. Reads and updates lease an id until their response is in;
// a delete takes only an id nobody holds, out of the pool for good. So no
// request of the mix can meet a product another deleted under it: the
// traffic is valid, and any 4xx is a bug.
type pool struct {
	mu    sync.Mutex
	rng   *rand.Rand
	ids   []string
	at    map[string]int // index of each id in ids
	lease map[string]int // requests in flight per id
}

// takeTries bounds the search for an unleased id: with far more ids than
// requests in flight, the first try nearly always finds one.
const takeTries = 8

func newPool(seed uint64) *pool {
	return &pool{
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		at:    map[string]int{},
		lease: map[string]int{},
	}
}

// add puts a created product's id in the pool.
func (p *pool) add(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.at[id]; ok {
		return
	}
	p.at[id] = len(p.ids)
	p.ids = append(p.ids, id)
}

// acquire leases a random id, or reports that the pool is empty.
func (p *pool) acquire() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.ids) == 0 {
		return "", false
	}
	id := p.ids[p.rng.IntN(len(p.ids))]
	p.lease[id]++
	return id, true
}

// release ends a lease acquire made.
func (p *pool) release(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch n := p.lease[id]; {
	case n > 1:
		p.lease[id] = n - 1
	case n == 1:
		delete(p.lease, id)
	}
}

// take removes a random id that no request holds, for a delete, or reports
// that it found none.
func (p *pool) take() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range takeTries {
		if len(p.ids) == 0 {
			return "", false
		}
		i := p.rng.IntN(len(p.ids))
		id := p.ids[i]
		if p.lease[id] > 0 {
			continue
		}
		last := len(p.ids) - 1
		p.ids[i] = p.ids[last]
		p.at[p.ids[i]] = i
		p.ids = p.ids[:last]
		delete(p.at, id)
		return id, true
	}
	return "", false
}

// size is the number of ids in the pool.
func (p *pool) size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ids)
}
