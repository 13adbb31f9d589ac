package memory

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/lambdakit/lambdakit/kit/idempotency"
)

// Idempotency keeps idempotency records in memory. It implements
// idempotency.Store; repositories made WithIdempotency commit claims to it.
type Idempotency struct {
	mu      sync.Mutex
	records map[string]idempotency.Record
}

var _ idempotency.Store = (*Idempotency)(nil)

// NewIdempotency returns an empty store.
func NewIdempotency() *Idempotency {
	return &Idempotency{records: map[string]idempotency.Record{}}
}

// Load implements idempotency.Store.
func (s *Idempotency) Load(_ context.Context, key string, now time.Time) (idempotency.Record, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.records[key]
	if !ok || !now.Before(rec.ExpiresAt) {
		return idempotency.Record{}, false, nil
	}
	return rec, true, nil
}

// Complete implements idempotency.Store.
func (s *Idempotency) Complete(_ context.Context, rec idempotency.Record) error {
	if rec.Response == nil {
		return errors.New("memory: complete needs a response")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.records[rec.Key]
	if !ok || stored.Fingerprint != rec.Fingerprint {
		return idempotency.ErrKeyInUse
	}
	stored.Response = rec.Response
	s.records[rec.Key] = stored
	return nil
}

// Put implements idempotency.Store.
func (s *Idempotency) Put(_ context.Context, rec idempotency.Record, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(rec, now)
}

func (s *Idempotency) putLocked(rec idempotency.Record, now time.Time) error {
	if old, ok := s.records[rec.Key]; ok && now.Before(old.ExpiresAt) {
		return idempotency.ErrKeyInUse
	}
	s.records[rec.Key] = rec
	return nil
}
