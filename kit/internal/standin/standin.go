// Package standin is what the kit's service stand-ins (eventbridgetest,
// sqstest) share: a script of faults and delays played back one request
// at a time, so a test can make the real SDK client meet the failures the
// real service gives.
package standin

import (
	"net/http"
	"sync"
	"time"
)

// Fault is a request answered with an error instead of being handled.
type Fault struct {
	Status int
	Code   string
}

// Script holds the faults and delays still to play; a stand-in embeds it.
// It is safe for concurrent use.
type Script struct {
	mu     sync.Mutex
	faults []Fault
	delays []time.Duration
}

// FailRequests answers the next n requests with the HTTP status and the
// service's error code for it (such as 500 "InternalException"), accepting
// nothing of them.
func (s *Script) FailRequests(n, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, Fault{Status: status, Code: code})
	}
}

// Delay holds each of the next n requests for d before handling it. A
// client that gives up first (its timeout) gets no answer, and the request
// changes nothing: it is lost on the way in.
func (s *Script) Delay(n int, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.delays = append(s.delays, d)
	}
}

// NextFault takes the next scripted fault, if any.
func (s *Script) NextFault() (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return Fault{}, false
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f, true
}

// Hold plays the next scripted delay for r, if any: it reports false when
// the client gave up or the stand-in closed (done) first, and the request
// must then go unanswered.
func (s *Script) Hold(r *http.Request, done <-chan struct{}) bool {
	s.mu.Lock()
	var d time.Duration
	if len(s.delays) > 0 {
		d, s.delays = s.delays[0], s.delays[1:]
	}
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-done:
	}
	return false
}
