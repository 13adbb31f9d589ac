// Package memory is an in-process adapter of kit.Storage. It keeps the same
// contract as the DynamoDB adapter (the shared suite in kit/repotest holds
// both to it), lays items out under the same keys, and encodes entities
// with the DynamoDB adapter's own codec, so a patch, an omitted field or an
// item collection behaves identically. It suits unit tests and demos; data
// lives as long as the process.
package memory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/idempotency"
)

type record struct {
	kind     string
	item     map[string]types.AttributeValue
	version  kit.Version
	listKey  string // the listing index's sort key; "" when not listed
	listPart string // the listing index's partition: the kind, or a shard of it
}

// table is the data every Storage over the same store shares: partitions
// by partition key, items by sort key, as in the DynamoDB table.
type table struct {
	mu    sync.Mutex
	parts map[string]map[string]record
	idem  *Idempotency
}

// Storage keeps entities of every kind in memory. It implements
// kit.Storage and is safe for concurrent use; each call holds one lock,
// which makes it as atomic as the DynamoDB adapter's writes and
// transactions.
type Storage struct {
	tokens *cursor.Codec
	data   *table
}

var _ kit.Storage = (*Storage)(nil)

// NewStorage returns an empty store that signs its paging tokens with
// tokens. Its Idempotency store commits claims with the entities.
func NewStorage(tokens *cursor.Codec) *Storage {
	return &Storage{tokens: tokens, data: &table{parts: map[string]map[string]record{}, idem: NewIdempotency()}}
}

// WithTokens returns a Storage over the same data whose tokens are signed
// with another key, as a second deployment with another secret would be.
func (s *Storage) WithTokens(tokens *cursor.Codec) *Storage {
	return &Storage{tokens: tokens, data: s.data}
}

// Idempotency returns the store's idempotency records.
func (s *Storage) Idempotency() *Idempotency { return s.data.idem }

// Snapshot lists every item with its version, in key order, so tests can
// tell that a request wrote nothing.
func (s *Storage) Snapshot() []string {
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	var out []string
	for _, pk := range slices.Sorted(maps.Keys(s.data.parts)) {
		part := s.data.parts[pk]
		for _, sk := range slices.Sorted(maps.Keys(part)) {
			rec := part[sk]
			out = append(out, fmt.Sprintf("%s|%s v%d %s", pk, sk, rec.version, dynamo.Describe(rec.item)))
		}
	}
	return out
}

// NewRepository returns the repository of T, an entity that is not a
// kit.Child, in a new store of its own.
func NewRepository[T kit.Entity](tokens *cursor.Codec) kit.Repository[T] {
	return kit.RepositoryOf[T](NewStorage(tokens), "")
}

// Open implements kit.Storage.
func (s *Storage) Open(prototype kit.Entity, parent string) kit.Repository[kit.Entity] {
	r := &repository{s: s, typ: reflect.TypeOf(prototype), kind: prototype.EntityKind(), shards: kit.ShardsOf(prototype)}
	if c, ok := prototype.(kit.Child); ok {
		r.parentKind, r.parent = c.ParentKind(), parent
		_, r.listed = prototype.(kit.Listed)
	}
	return r
}

// repository is one kind, or one kind of child within one parent's
// collection, as in the DynamoDB adapter.
type repository struct {
	s          *Storage
	typ        reflect.Type
	kind       string
	parentKind string
	parent     string
	listed     bool
	shards     kit.Shards
}

func (r *repository) child() bool { return r.parentKind != "" }

func (r *repository) scoped() error {
	if r.child() && r.parent == "" {
		return fmt.Errorf("memory: %s is a child of %s: open it with the parent's id", r.kind, r.parentKind)
	}
	return nil
}

func (r *repository) key(id string) (pk, sk string) {
	if r.child() {
		return r.parentKind + "#" + r.parent, r.childPrefix() + id
	}
	return r.kind + "#" + id, r.kind
}

func (r *repository) childPrefix() string { return r.parentKind + "#" + r.kind + "#" }

func (r *repository) scope() string {
	if r.child() && r.parent != "" {
		return r.kind + "@" + r.parentKind + "#" + r.parent
	}
	return r.kind
}

// parentExists is true for entities that are not children. The lock must
// be held.
func (r *repository) parentExists() error {
	if !r.child() {
		return nil
	}
	if _, ok := r.s.data.parts[r.parentKind+"#"+r.parent][r.parentKind]; !ok {
		return fmt.Errorf("%s %s: %w", r.parentKind, r.parent, kit.ErrNotFound)
	}
	return nil
}

// lookup returns the item for id after checking its parent. The lock must
// be held.
func (r *repository) lookup(id string) (record, error) {
	if err := r.parentExists(); err != nil {
		return record{}, err
	}
	pk, sk := r.key(id)
	rec, ok := r.s.data.parts[pk][sk]
	if !ok {
		return rec, fmt.Errorf("%s %s: %w", r.kind, id, kit.ErrNotFound)
	}
	return rec, nil
}

func (r *repository) put(id string, rec record) {
	pk, sk := r.key(id)
	part := r.s.data.parts[pk]
	if part == nil {
		part = map[string]record{}
		r.s.data.parts[pk] = part
	}
	part[sk] = rec
}

// Get implements kit.Repository.
func (r *repository) Get(_ context.Context, id string) (kit.Versioned[kit.Entity], error) {
	if err := r.scoped(); err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	r.s.data.mu.Lock()
	defer r.s.data.mu.Unlock()
	rec, err := r.lookup(id)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	return r.decode(rec)
}

// Create implements kit.Repository.
func (r *repository) Create(ctx context.Context, entity kit.Entity) (kit.Versioned[kit.Entity], error) {
	if err := r.scoped(); err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	if t := reflect.TypeOf(entity); t != r.typ {
		return kit.Versioned[kit.Entity]{}, fmt.Errorf("memory: %s repository given a %s", r.typ, t)
	}
	item, err := dynamo.EncodeEntity(entity)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, fmt.Errorf("encode %s: %w", r.kind, err)
	}
	id := entity.EntityID()
	r.s.data.mu.Lock()
	defer r.s.data.mu.Unlock()
	if err := r.parentExists(); err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	if _, err := r.lookup(id); err == nil {
		return kit.Versioned[kit.Entity]{}, fmt.Errorf("%s %s exists: %w", r.kind, id, kit.ErrConflict)
	}
	if claim := idempotency.ClaimFrom(ctx); claim != nil {
		// The store's lock is held, so claim and entity land together.
		idem := r.s.data.idem
		idem.mu.Lock()
		err := idem.putLocked(claim.Record, claim.Now)
		idem.mu.Unlock()
		if err != nil {
			return kit.Versioned[kit.Entity]{}, fmt.Errorf("%s %s: %w", r.kind, id, err)
		}
		claim.MarkWritten()
	}
	rec := record{kind: r.kind, item: item, version: 1}
	if !r.child() {
		rec.listKey = id
	} else if r.listed {
		rec.listKey = r.parent + "/" + id
	}
	if rec.listKey != "" {
		rec.listPart = kit.Partition(r.kind, rec.listKey, r.shards.Now)
	}
	r.put(id, rec)
	return kit.Versioned[kit.Entity]{Entity: entity, Version: 1}, nil
}

// Update implements kit.Repository.
func (r *repository) Update(_ context.Context, id string, patch kit.Patch, expect kit.Version) (kit.Versioned[kit.Entity], error) {
	if err := r.scoped(); err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	set := make(map[string]types.AttributeValue, len(patch.Set))
	for name, value := range patch.Set {
		av, err := dynamo.EncodeValue(value)
		if err != nil {
			return kit.Versioned[kit.Entity]{}, fmt.Errorf("encode %s: %w", name, err)
		}
		set[name] = av
	}
	r.s.data.mu.Lock()
	defer r.s.data.mu.Unlock()
	rec, err := r.writable(id, expect)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	item := maps.Clone(rec.item)
	maps.Copy(item, set)
	for _, name := range patch.Remove {
		delete(item, name)
	}
	next := rec
	next.item, next.version = item, rec.version+1
	v, err := r.decode(next)
	if err != nil {
		return v, err
	}
	r.put(id, next)
	return v, nil
}

// Delete implements kit.Repository. As in the DynamoDB adapter, deleting an
// entity that is not a child deletes its whole collection, and so does a
// Delete that finds no entity.
func (r *repository) Delete(_ context.Context, id string, expect kit.Version) error {
	if err := r.scoped(); err != nil {
		return err
	}
	r.s.data.mu.Lock()
	defer r.s.data.mu.Unlock()
	_, err := r.writable(id, expect)
	if errors.Is(err, kit.ErrPreconditionFailed) || (err != nil && r.child()) {
		return err
	}
	pk, sk := r.key(id)
	if r.child() {
		delete(r.s.data.parts[pk], sk)
		return nil
	}
	delete(r.s.data.parts, pk)
	return err
}

// List implements kit.Repository in id order, like the DynamoDB queries.
func (r *repository) List(_ context.Context, req kit.PageRequest) (kit.Page[kit.Entity], error) {
	if req.Size < 1 {
		return kit.Page[kit.Entity]{}, kit.Invalid("page size must be at least 1")
	}
	after := ""
	if req.Token != "" {
		var err error
		if after, err = r.s.tokens.Decode(r.scope(), req.Token); err != nil {
			return kit.Page[kit.Entity]{}, err
		}
	}
	r.s.data.mu.Lock()
	defer r.s.data.mu.Unlock()
	if r.child() && r.parent != "" {
		if err := r.parentExists(); err != nil {
			return kit.Page[kit.Entity]{}, err
		}
		return r.collection(after, req.Size)
	}
	if r.child() && !r.listed {
		return kit.Page[kit.Entity]{}, fmt.Errorf("memory: %s is not kit.Listed: list it within a parent", r.kind)
	}
	// As in the DynamoDB adapter, the listing reads the partitions of its
	// layouts, and so finds an item written under another layout only
	// while that layout is still declared.
	parts := map[string]bool{}
	for _, p := range r.shards.Partitions(r.kind) {
		parts[p] = true
	}
	var found []entry
	for _, part := range r.s.data.parts {
		for _, rec := range part {
			if rec.kind == r.kind && parts[rec.listPart] && rec.listKey > after {
				found = append(found, entry{rec.listKey, rec})
			}
		}
	}
	return r.page(found, req.Size)
}

// entry is a record at its place in a listing.
type entry struct {
	position string
	rec      record
}

// collection lists this kind within the parent's partition, after the id
// after. The lock must be held.
func (r *repository) collection(after string, size int) (kit.Page[kit.Entity], error) {
	pk, _ := r.key("")
	var found []entry
	for sk, rec := range r.s.data.parts[pk] {
		if id, ok := strings.CutPrefix(sk, r.childPrefix()); ok && id > after {
			found = append(found, entry{id, rec})
		}
	}
	return r.page(found, size)
}

// page sorts entries by position and returns the first size of them, with
// a token when there are more.
func (r *repository) page(found []entry, size int) (kit.Page[kit.Entity], error) {
	slices.SortFunc(found, func(a, b entry) int { return strings.Compare(a.position, b.position) })
	page := kit.Page[kit.Entity]{Items: make([]kit.Entity, 0, min(len(found), size))}
	for _, e := range found[:min(len(found), size)] {
		v, err := r.decode(e.rec)
		if err != nil {
			return kit.Page[kit.Entity]{}, err
		}
		page.Items = append(page.Items, v.Entity)
	}
	if len(found) > size {
		page.Next = r.s.tokens.Encode(r.scope(), found[size-1].position)
	}
	return page, nil
}

// GetWith implements kit.Storage.
func (s *Storage) GetWith(_ context.Context, prototype kit.Entity, id string, child kit.Child, size int) (kit.Versioned[kit.Entity], kit.Page[kit.Entity], error) {
	if err := kit.CheckGetWith(prototype, child, size); err != nil {
		return kit.Versioned[kit.Entity]{}, kit.Page[kit.Entity]{}, err
	}
	parent := s.Open(prototype, "").(*repository)
	children := s.Open(child, id).(*repository)
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	rec, err := parent.lookup(id)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, kit.Page[kit.Entity]{}, err
	}
	v, err := parent.decode(rec)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, kit.Page[kit.Entity]{}, err
	}
	page, err := children.collection("", size)
	return v, page, err
}

// writable returns the record a write may change, with the adapter
// contract's errors for a missing item or a stale version. The lock must
// be held.
func (r *repository) writable(id string, expect kit.Version) (record, error) {
	rec, err := r.lookup(id)
	if err != nil {
		return rec, err
	}
	if expect != kit.AnyVersion && expect != rec.version {
		return rec, fmt.Errorf("%s %s at version %d: %w", r.kind, id, rec.version, kit.ErrPreconditionFailed)
	}
	return rec, nil
}

func (r *repository) decode(rec record) (kit.Versioned[kit.Entity], error) {
	e, err := dynamo.DecodeEntity(r.typ, rec.item)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, fmt.Errorf("decode %s: %w", r.kind, err)
	}
	return kit.Versioned[kit.Entity]{Entity: e, Version: rec.version}, nil
}

// Reshard moves every listed item of prototype's kind to its shard under
// kit.Shards.Now, as the DynamoDB adapter's Reshard does, and returns how
// many it moved.
func (s *Storage) Reshard(_ context.Context, prototype kit.Entity) (int, error) {
	r := s.Open(prototype, "").(*repository)
	parts := map[string]bool{}
	for _, p := range r.shards.Partitions(r.kind) {
		parts[p] = true
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	moved := 0
	for _, part := range s.data.parts {
		for sk, rec := range part {
			if rec.kind != r.kind || !parts[rec.listPart] {
				continue
			}
			if to := kit.Partition(r.kind, rec.listKey, r.shards.Now); to != rec.listPart {
				rec.listPart = to
				part[sk] = rec
				moved++
			}
		}
	}
	return moved, nil
}
