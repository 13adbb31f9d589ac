// Package memory is an in-process adapter of kit.Repository. It keeps the
// same contract as the DynamoDB adapter (the shared suite in kit/repotest
// holds both to it) and encodes entities the same way, so a patch or an
// omitted field behaves identically. It suits unit tests and demos; data
// lives as long as the process.
package memory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/idempotency"
)

type record struct {
	item    map[string]types.AttributeValue
	version kit.Version
}

// Repository stores entities of type T in memory. It is safe for concurrent
// use; each method holds one lock, which makes it as atomic as the
// DynamoDB adapter's single-item writes.
type Repository[T kit.Entity] struct {
	kind   string
	tokens *cursor.Codec
	idem   *Idempotency

	mu    sync.Mutex
	items map[string]record
}

var _ kit.Repository[kit.Entity] = (*Repository[kit.Entity])(nil)

// Option configures a Repository.
type Option func(*options)

type options struct{ idem *Idempotency }

// WithIdempotency makes creates commit the request's idempotency claim to
// store together with the entity.
func WithIdempotency(store *Idempotency) Option { return func(o *options) { o.idem = store } }

// NewRepository returns an empty repository that signs its paging tokens
// with tokens.
func NewRepository[T kit.Entity](tokens *cursor.Codec, opts ...Option) *Repository[T] {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	var zero T
	return &Repository[T]{kind: zero.EntityKind(), tokens: tokens, idem: o.idem, items: map[string]record{}}
}

// Get implements kit.Repository.
func (r *Repository[T]) Get(_ context.Context, id string) (kit.Versioned[T], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.items[id]
	if !ok {
		return kit.Versioned[T]{}, fmt.Errorf("%s %s: %w", r.kind, id, kit.ErrNotFound)
	}
	return r.decode(rec)
}

// Create implements kit.Repository.
func (r *Repository[T]) Create(ctx context.Context, entity T) (kit.Versioned[T], error) {
	item, err := attributevalue.MarshalMap(entity)
	if err != nil {
		return kit.Versioned[T]{}, fmt.Errorf("encode %s: %w", r.kind, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	id := entity.EntityID()
	if _, ok := r.items[id]; ok {
		return kit.Versioned[T]{}, fmt.Errorf("%s %s exists: %w", r.kind, id, kit.ErrConflict)
	}
	if claim := idempotency.ClaimFrom(ctx); claim != nil {
		if r.idem == nil {
			return kit.Versioned[T]{}, errors.New("memory: an idempotency claim needs a repository made WithIdempotency")
		}
		// The entity's lock is held, so claim and entity land together.
		r.idem.mu.Lock()
		err := r.idem.putLocked(claim.Record, claim.Now)
		r.idem.mu.Unlock()
		if err != nil {
			return kit.Versioned[T]{}, fmt.Errorf("%s %s: %w", r.kind, id, err)
		}
		claim.MarkWritten()
	}
	r.items[id] = record{item: item, version: 1}
	return kit.Versioned[T]{Entity: entity, Version: 1}, nil
}

// Update implements kit.Repository.
func (r *Repository[T]) Update(_ context.Context, id string, patch kit.Patch, expect kit.Version) (kit.Versioned[T], error) {
	set := make(map[string]types.AttributeValue, len(patch.Set))
	for name, value := range patch.Set {
		av, err := attributevalue.Marshal(value)
		if err != nil {
			return kit.Versioned[T]{}, fmt.Errorf("encode %s: %w", name, err)
		}
		set[name] = av
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, err := r.writable(id, expect)
	if err != nil {
		return kit.Versioned[T]{}, err
	}
	item := make(map[string]types.AttributeValue, len(rec.item)+len(set))
	for name, av := range rec.item {
		item[name] = av
	}
	for name, av := range set {
		item[name] = av
	}
	for _, name := range patch.Remove {
		delete(item, name)
	}
	next := record{item: item, version: rec.version + 1}
	v, err := r.decode(next)
	if err != nil {
		return v, err
	}
	r.items[id] = next
	return v, nil
}

// Delete implements kit.Repository.
func (r *Repository[T]) Delete(_ context.Context, id string, expect kit.Version) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, err := r.writable(id, expect); err != nil {
		return err
	}
	delete(r.items, id)
	return nil
}

// List implements kit.Repository in id order, like the DynamoDB index.
func (r *Repository[T]) List(_ context.Context, req kit.PageRequest) (kit.Page[T], error) {
	if req.Size < 1 {
		return kit.Page[T]{}, kit.Invalid("page size must be at least 1")
	}
	after := ""
	if req.Token != "" {
		var err error
		if after, err = r.tokens.Decode(r.kind, req.Token); err != nil {
			return kit.Page[T]{}, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := make([]string, 0, len(r.items))
	for id := range r.items {
		if id > after {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	page := kit.Page[T]{Items: make([]T, 0, min(len(ids), req.Size))}
	for _, id := range ids[:min(len(ids), req.Size)] {
		v, err := r.decode(r.items[id])
		if err != nil {
			return kit.Page[T]{}, err
		}
		page.Items = append(page.Items, v.Entity)
	}
	if len(ids) > req.Size {
		page.Next = r.tokens.Encode(r.kind, ids[req.Size-1])
	}
	return page, nil
}

// writable returns the record a write may change, with the adapter
// contract's errors for a missing item or a stale version.
func (r *Repository[T]) writable(id string, expect kit.Version) (record, error) {
	rec, ok := r.items[id]
	if !ok {
		return rec, fmt.Errorf("%s %s: %w", r.kind, id, kit.ErrNotFound)
	}
	if expect != kit.AnyVersion && expect != rec.version {
		return rec, fmt.Errorf("%s %s at version %d: %w", r.kind, id, rec.version, kit.ErrPreconditionFailed)
	}
	return rec, nil
}

func (r *Repository[T]) decode(rec record) (kit.Versioned[T], error) {
	v := kit.Versioned[T]{Version: rec.version}
	if err := attributevalue.UnmarshalMap(rec.item, &v.Entity); err != nil {
		return v, fmt.Errorf("decode %s: %w", r.kind, err)
	}
	return v, nil
}
