package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestPoolLeases(t *testing.T) {
	p := newPool(1)
	if _, ok := p.acquire(); ok {
		t.Fatal("acquire from an empty pool succeeded")
	}
	p.add("a")
	p.add("a") // a duplicate is one id
	if p.size() != 1 {
		t.Fatalf("size %d after adding one id twice, want 1", p.size())
	}
	id, ok := p.acquire()
	if !ok || id != "a" {
		t.Fatalf("acquire = %q, %v; want a", id, ok)
	}
	if id, ok := p.take(); ok {
		t.Fatalf("take returned %q while a request holds it", id)
	}
	p.release("a")
	if id, ok := p.take(); !ok || id != "a" {
		t.Fatalf("take after release = %q, %v; want a", id, ok)
	}
	if id, ok := p.acquire(); ok {
		t.Fatalf("acquire returned %q, which a delete took", id)
	}
	p.release("never leased") // harmless
}

// TestPoolNeverDeletesUnderARequest races readers, deleters and creators:
// no id is taken while a reader holds it, and none is read once taken.
func TestPoolNeverDeletesUnderARequest(t *testing.T) {
	p := newPool(7)
	const ids = 50
	held := make([]atomic.Int32, ids*10)
	var taken sync.Map
	for i := range ids {
		p.add(fmt.Sprint(i))
	}
	var next atomic.Int32
	next.Store(ids)
	index := func(id string) int {
		var n int
		_, _ = fmt.Sscan(id, &n)
		return n
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				switch (w + i) % 5 {
				case 0: // delete
					if id, ok := p.take(); ok {
						if n := held[index(id)].Load(); n != 0 {
							t.Errorf("took %s while %d requests held it", id, n)
						}
						taken.Store(id, true)
					}
				case 1: // create
					if n := next.Add(1); int(n) < len(held) {
						p.add(fmt.Sprint(n))
					}
				default: // read or update
					if id, ok := p.acquire(); ok {
						held[index(id)].Add(1)
						if _, gone := taken.Load(id); gone {
							t.Errorf("acquired %s after a delete took it", id)
						}
						held[index(id)].Add(-1)
						p.release(id)
					}
				}
			}
		}()
	}
	wg.Wait()
}
