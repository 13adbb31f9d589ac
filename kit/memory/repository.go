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
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/idempotency"
)

type record struct {
	kind     string
	item     map[string]types.AttributeValue
	evt      types.AttributeValue // the last write's event stamp (dynamo.AttrEvent)
	version  kit.Version
	revision int64  // derived writes (kit.Patch.Derived)
	listKey  string // the listing index's sort key; "" when not listed
	listPart string // the listing index's partition: the kind, or a shard of it
	// patterns are the item's pattern index keys (dynamo.Schema.PatternKeys).
	patterns map[string]types.AttributeValue
}

// table is the data every Storage over the same store shares: partitions
// by partition key, items by sort key, as in the DynamoDB table.
type table struct {
	mu      sync.Mutex
	parts   map[string]map[string]record
	idem    *Idempotency
	changes []dynamo.Change // the stream: every item change, in commit order
}

// Storage keeps entities of every kind in memory. It implements
// kit.Storage and is safe for concurrent use; each call holds one lock,
// which makes it as atomic as the DynamoDB adapter's writes and
// transactions.
type Storage struct {
	tokens   *cursor.Codec
	data     *table
	stamps   dynamo.Stamps
	accesses *dynamo.Accesses
}

var _ kit.Storage = (*Storage)(nil)

// Option configures a Storage.
type Option func(*Storage)

// WithEventClock sets the clock that dates the events writes raise.
func WithEventClock(c kit.Clock) Option { return func(s *Storage) { s.stamps.Clock = c } }

// WithEventIDs sets where events' ids come from; UUIDv7s by default.
func WithEventIDs(ids kit.IDs) Option { return func(s *Storage) { s.stamps.IDs = ids } }

// NewStorage returns an empty store that signs its paging tokens with
// tokens. Its Idempotency store commits claims with the entities.
func NewStorage(tokens *cursor.Codec, opts ...Option) *Storage {
	s := &Storage{tokens: tokens, data: &table{parts: map[string]map[string]record{}, idem: NewIdempotency()},
		stamps: dynamo.Stamps{Clock: kit.SystemClock{}}, accesses: &dynamo.Accesses{}}
	for _, o := range opts {
		o(s)
	}
	if s.stamps.IDs == nil {
		s.stamps.IDs = kit.UUIDv7{Clock: s.stamps.Clock}
	}
	return s
}

// WithTokens returns a Storage over the same data whose tokens are signed
// with another key, as a second deployment with another secret would be.
func (s *Storage) WithTokens(tokens *cursor.Codec) *Storage {
	return &Storage{tokens: tokens, data: s.data, stamps: s.stamps, accesses: s.accesses}
}

// Changes returns the store's stream from position from on, as DynamoDB
// Streams would show the same writes, and the position after them.
func (s *Storage) Changes(from int) ([]dynamo.Change, int) {
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	from = min(max(from, 0), len(s.data.changes))
	return slices.Clone(s.data.changes[from:]), len(s.data.changes)
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
	r.access, r.accessErr = s.accesses.Of(prototype)
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
	// parentInUnit is a child's repository within a unit of work that
	// stages an operation on the parent too: that operation's own
	// condition stands for the parent's check, as in the DynamoDB
	// adapter's transaction, whatever order the two were staged in.
	parentInUnit bool
	// releasing are the uniqueness items a unit of work gives up, which
	// its other operations may claim.
	releasing map[string]bool
	access    kit.Access
	accessErr error
}

func (r *repository) child() bool { return r.parentKind != "" }

func (r *repository) scoped() error {
	if r.accessErr != nil {
		return r.accessErr
	}
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

// parentExists is true for entities that are not children, and for
// children whose unit of work stages their parent. The lock must be held.
func (r *repository) parentExists() error {
	if !r.child() || r.parentInUnit {
		return nil
	}
	var buf [keyBuffer]byte
	pk := append(append(append(buf[:0], r.parentKind...), '#'), r.parent...)
	if _, ok := r.s.data.parts[string(pk)][r.parentKind]; !ok {
		return fmt.Errorf("%s %s: %w", r.parentKind, r.parent, kit.ErrNotFound)
	}
	return nil
}

// keyBuffer is the room on the stack for a key that a read looks up: a
// map indexed by string(bytes) makes no string, so a read's keys cost no
// allocation while they fit.
const keyBuffer = 128

// lookup returns the item for id after checking its parent. The lock must
// be held.
func (r *repository) lookup(id string) (record, error) {
	if err := r.parentExists(); err != nil {
		return record{}, err
	}
	var pkBuf, skBuf [keyBuffer]byte
	pk, sk := r.appendKey(pkBuf[:0], skBuf[:0], id)
	rec, ok := r.s.data.parts[string(pk)][string(sk)]
	if !ok {
		return rec, fmt.Errorf("%s %s: %w", r.kind, id, kit.ErrNotFound)
	}
	return rec, nil
}

// appendKey appends key(id) to pk and sk.
func (r *repository) appendKey(pk, sk []byte, id string) ([]byte, []byte) {
	if r.child() {
		pk = append(append(append(pk, r.parentKind...), '#'), r.parent...)
		sk = append(append(sk, r.childPrefix()...), id...)
		return pk, sk
	}
	return append(append(append(pk, r.kind...), '#'), id...), append(sk, r.kind...)
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
	values := dynamo.UniqueValues(r.access, item)
	if err := r.checkValues(id, nil, values); err != nil {
		return kit.Versioned[kit.Entity]{}, err
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
	rec := r.newRecord(id, item)
	_, rec.evt = r.s.stamps.Stamp(ctx)
	r.put(id, rec)
	r.s.data.changes = append(r.s.data.changes, dynamo.Change{Op: dynamo.ChangeInsert, New: r.image(id, rec)})
	r.applyValues(id, nil, values)
	return kit.Versioned[kit.Entity]{Entity: entity, Version: 1}, nil
}

// newRecord is a new entity's record, at version 1, with its place in the
// listing index.
func (r *repository) newRecord(id string, item map[string]types.AttributeValue) record {
	rec := record{kind: r.kind, item: item, version: 1}
	rec.patterns, _ = dynamo.Layout().PatternKeys(r.access, r.kind, dynamo.Position(id, r.parent), item)
	if !r.child() {
		rec.listKey = id
	} else if r.listed {
		rec.listKey = r.parent + "/" + id
	}
	if rec.listKey != "" {
		rec.listPart = kit.Partition(r.kind, rec.listKey, r.shards.Now)
	}
	return rec
}

// Update implements kit.Repository.
func (r *repository) Update(ctx context.Context, id string, patch kit.Patch, expect kit.Version) (kit.Versioned[kit.Entity], error) {
	if err := r.scoped(); err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	set, err := dynamo.EncodeSet(patch)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	caller, err := r.guard(ctx, patch.Derived)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	r.s.data.mu.Lock()
	defer r.s.data.mu.Unlock()
	rec, err := r.writable(id, expect, caller)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	next, err := r.patched(ctx, id, rec, set, patch)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	old, values := dynamo.UniqueValues(r.access, rec.item), dynamo.UniqueValues(r.access, next.item)
	if err := r.checkValues(id, old, values); err != nil {
		return kit.Versioned[kit.Entity]{}, err
	}
	v, err := r.decode(next)
	if err != nil {
		return v, err
	}
	r.commitUpdate(id, rec, next)
	r.applyValues(id, old, values)
	return v, nil
}

// guard is the caller a write of this kind must be made by (kit.Access.Guard).
func (r *repository) guard(ctx context.Context, derived bool) (string, error) {
	return r.access.Guard(ctx, r.kind, derived)
}

// checkValues refuses new unique values (those of next not in old) that
// another entity holds. The lock must be held.
func (r *repository) checkValues(id string, old, next map[string]string) error {
	for _, f := range r.access.Unique {
		v := next[f]
		if v == "" || v == old[f] {
			continue
		}
		pk, sk := uniqueKey(r.kind, f, v)
		if holder, ok := r.s.data.parts[pk][sk]; ok && holderOf(holder) != id && !r.releasing[pk] {
			return kit.Taken(r.kind, f)
		}
	}
	return nil
}

// applyValues releases the unique values of old that next does not have
// and claims those of next that old does not, as uniqueness items under
// the DynamoDB adapter's keys. It returns what it replaced, for a unit's
// undo. The lock must be held.
func (r *repository) applyValues(id string, old, next map[string]string) []undo {
	var undos []undo
	for _, f := range r.access.Unique {
		before, after := old[f], next[f]
		if before == after {
			continue
		}
		if before != "" {
			pk, sk := uniqueKey(r.kind, f, before)
			if rec, ok := r.s.data.parts[pk][sk]; ok && holderOf(rec) == id {
				undos = append(undos, undo{pk: pk, sk: sk, rec: rec, existed: true})
				delete(r.s.data.parts[pk], sk)
			}
		}
		if after != "" {
			pk, sk := uniqueKey(r.kind, f, after)
			rec, existed := r.s.data.parts[pk][sk]
			undos = append(undos, undo{pk: pk, sk: sk, rec: rec, existed: existed})
			if r.s.data.parts[pk] == nil {
				r.s.data.parts[pk] = map[string]record{}
			}
			r.s.data.parts[pk][sk] = record{kind: dynamo.KindUnique, item: map[string]types.AttributeValue{dynamo.AttrHolder: &types.AttributeValueMemberS{Value: id}}}
		}
	}
	return undos
}

func uniqueKey(kind, field, value string) (pk, sk string) {
	key := dynamo.Layout().UniqueKey(kind, field, value)
	return key[dynamo.AttrPK].(*types.AttributeValueMemberS).Value, key[dynamo.AttrSK].(*types.AttributeValueMemberS).Value
}

func holderOf(rec record) string {
	s, _ := rec.item[dynamo.AttrHolder].(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

// patched is rec with the patch applied, at the next version, stamped
// with the write's event. The lock must be held.
func (r *repository) patched(ctx context.Context, id string, rec record, set map[string]types.AttributeValue, patch kit.Patch) (record, error) {
	item := maps.Clone(rec.item)
	maps.Copy(item, set)
	for _, name := range patch.Remove {
		delete(item, name)
	}
	for name, n := range patch.Add {
		var have int64
		if av, ok := item[name].(*types.AttributeValueMemberN); ok {
			var err error
			if have, err = strconv.ParseInt(av.Value, 10, 64); err != nil {
				return rec, fmt.Errorf("add to %s: %w", name, err)
			}
		} else if item[name] != nil {
			return rec, fmt.Errorf("add to %s: not a number", name)
		}
		item[name] = &types.AttributeValueMemberN{Value: strconv.FormatInt(have+n, 10)}
	}
	next := rec
	next.item = item
	next.patterns, _ = dynamo.Layout().PatternKeys(r.access, r.kind, dynamo.Position(id, r.parent), item)
	if patch.Derived {
		next.revision++
		return next, nil
	}
	next.version = rec.version + 1
	_, next.evt = r.s.stamps.Stamp(ctx)
	return next, nil
}

// commitUpdate stores next in place of rec. The lock must be held.
func (r *repository) commitUpdate(id string, rec, next record) {
	r.put(id, next)
	r.s.data.changes = append(r.s.data.changes, dynamo.Change{Op: dynamo.ChangeModify, Old: r.image(id, rec), New: r.image(id, next)})
}

// image is the item as DynamoDB would hold it, keys and kit attributes
// included: what the stream shows.
func (r *repository) image(id string, rec record) map[string]types.AttributeValue {
	pk, sk := r.key(id)
	return fullImage(pk, sk, rec)
}

func fullImage(pk, sk string, rec record) map[string]types.AttributeValue {
	s := dynamo.Layout()
	item := maps.Clone(rec.item)
	item[s.Keys.PartitionKey] = &types.AttributeValueMemberS{Value: pk}
	item[s.Keys.SortKey] = &types.AttributeValueMemberS{Value: sk}
	item[dynamo.AttrType] = &types.AttributeValueMemberS{Value: rec.kind}
	item[dynamo.AttrVersion] = &types.AttributeValueMemberN{Value: strconv.FormatInt(int64(rec.version), 10)}
	if rec.evt != nil {
		item[dynamo.AttrEvent] = rec.evt
	}
	if rec.revision != 0 {
		item[dynamo.AttrRevision] = &types.AttributeValueMemberN{Value: strconv.FormatInt(rec.revision, 10)}
	}
	if rec.listPart != "" {
		item[s.ListIndex.Keys.PartitionKey] = &types.AttributeValueMemberS{Value: rec.listPart}
		item[s.ListIndex.Keys.SortKey] = &types.AttributeValueMemberS{Value: rec.listKey}
	}
	maps.Copy(item, rec.patterns)
	return item
}

// deleted records the deletion of rec, at pk and sk, as an outbox item
// in the stream, as the DynamoDB adapter's transaction writes it, and
// returns the event's id. The lock must be held.
func (s *Storage) deleted(ctx context.Context, pk, sk string, rec record) (string, error) {
	meta := s.stamps.Deleted(ctx, rec.version)
	box, err := dynamo.Outbox(dynamo.Layout(), s.stamps.Clock.Now(), meta, fullImage(pk, sk, rec), nil)
	if err != nil {
		return "", err
	}
	s.data.changes = append(s.data.changes, dynamo.Change{Op: dynamo.ChangeInsert, New: box})
	return meta.ID, nil
}

// sweep deletes every item of partition pk, each with its event naming
// ctx's cause. The lock must be held.
func (s *Storage) sweep(ctx context.Context, pk string) error {
	part := s.data.parts[pk]
	for _, sk := range slices.Sorted(maps.Keys(part)) {
		if _, err := s.deleted(ctx, pk, sk, part[sk]); err != nil {
			return err
		}
	}
	delete(s.data.parts, pk)
	return nil
}

// Delete implements kit.Repository. As in the DynamoDB adapter, deleting an
// entity that is not a child deletes its whole collection, each item with
// its event, and so does a Delete that finds no entity.
func (r *repository) Delete(ctx context.Context, id string, expect kit.Version) error {
	if err := r.scoped(); err != nil {
		return err
	}
	caller, err := r.guard(ctx, false)
	if err != nil {
		return err
	}
	r.s.data.mu.Lock()
	defer r.s.data.mu.Unlock()
	rec, err := r.writable(id, expect, caller)
	if errors.Is(err, kit.ErrPreconditionFailed) || errors.Is(err, kit.ErrForbidden) || (err != nil && r.child()) {
		return err
	}
	pk, sk := r.key(id)
	if err == nil {
		cause, derr := r.s.deleted(ctx, pk, sk, rec)
		if derr != nil {
			return derr
		}
		delete(r.s.data.parts[pk], sk)
		r.applyValues(id, dynamo.UniqueValues(r.access, rec.item), nil)
		ctx = event.WithCause(ctx, cause)
	}
	if r.child() {
		return nil
	}
	if serr := r.s.sweep(ctx, pk); serr != nil {
		return serr
	}
	return err
}

// List implements kit.Repository in id order, like the DynamoDB queries.
func (r *repository) List(_ context.Context, req kit.PageRequest) (kit.Page[kit.Entity], error) {
	if req.Size < 1 {
		return kit.Page[kit.Entity]{}, kit.Invalid("page size must be at least 1")
	}
	if r.accessErr != nil {
		return kit.Page[kit.Entity]{}, r.accessErr
	}
	if len(req.Where) > 0 {
		return r.listWhere(req)
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

// listWhere lists by a declared pattern or finds a unique value's holder,
// as the DynamoDB adapter's queries do.
func (r *repository) listWhere(req kit.PageRequest) (kit.Page[kit.Entity], error) {
	i, unique, err := r.access.Match(req.Where)
	switch {
	case err != nil:
		return kit.Page[kit.Entity]{}, err
	case r.child() && r.parent != "":
		return kit.Page[kit.Entity]{}, kit.Invalid("a listing by %s is of every %s, not of one collection",
			strings.Join(slices.Sorted(maps.Keys(req.Where)), " and "), strings.ToLower(r.kind))
	case unique != "":
		if req.Token != "" {
			return kit.Page[kit.Entity]{}, kit.Invalid("nextToken: a lookup by %s has one page", unique)
		}
		r.s.data.mu.Lock()
		defer r.s.data.mu.Unlock()
		pk, sk := uniqueKey(r.kind, unique, req.Where[unique])
		page := kit.Page[kit.Entity]{Items: []kit.Entity{}}
		holder, ok := r.s.data.parts[pk][sk]
		if !ok {
			return page, nil
		}
		rec, err := r.lookup(holderOf(holder))
		if err != nil {
			return page, nil //nolint:nilerr // a claim whose holder is gone holds nothing
		}
		v, err := r.decode(rec)
		if err != nil {
			return kit.Page[kit.Entity]{}, err
		}
		page.Items = append(page.Items, v.Entity)
		return page, nil
	}
	ix, keys := r.access.Indexes[i], dynamo.Layout().Patterns[i].Keys
	values := make([]string, len(ix.By))
	for j, f := range ix.By {
		values[j] = req.Where[f]
	}
	partition := dynamo.PatternPartition(r.kind, ix, values)
	after := ""
	if req.Token != "" {
		if after, err = r.s.tokens.Decode(partition, req.Token); err != nil {
			return kit.Page[kit.Entity]{}, err
		}
	}
	r.s.data.mu.Lock()
	defer r.s.data.mu.Unlock()
	var found []entry
	for _, part := range r.s.data.parts {
		for _, rec := range part {
			pk, _ := rec.patterns[keys.PartitionKey].(*types.AttributeValueMemberS)
			if rec.kind != r.kind || pk == nil || pk.Value != partition {
				continue
			}
			position := rec.patterns[keys.SortKey].(*types.AttributeValueMemberS).Value
			if after == "" || (ix.Descending && position < after) || (!ix.Descending && position > after) {
				found = append(found, entry{position, rec})
			}
		}
	}
	return r.pageAt(found, req.Size, partition, ix.Descending)
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
	return r.pageAt(found, size, r.scope(), false)
}

// pageAt sorts entries by position, the greatest first if descending, and
// returns the first size of them, with a token of the listing scope when
// there are more.
func (r *repository) pageAt(found []entry, size int, scope string, descending bool) (kit.Page[kit.Entity], error) {
	slices.SortFunc(found, func(a, b entry) int {
		if descending {
			a, b = b, a
		}
		return strings.Compare(a.position, b.position)
	})
	page := kit.Page[kit.Entity]{Items: make([]kit.Entity, 0, min(len(found), size))}
	for _, e := range found[:min(len(found), size)] {
		v, err := r.decode(e.rec)
		if err != nil {
			return kit.Page[kit.Entity]{}, err
		}
		page.Items = append(page.Items, v.Entity)
	}
	if len(found) > size {
		page.Next = r.s.tokens.Encode(scope, found[size-1].position)
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
func (r *repository) writable(id string, expect kit.Version, caller string) (record, error) {
	rec, err := r.lookup(id)
	if err != nil {
		return rec, err
	}
	if caller != "" {
		if s, _ := rec.item[r.access.Owner].(*types.AttributeValueMemberS); s == nil || s.Value != caller {
			return rec, kit.NotOwner(r.kind)
		}
	}
	if expect != kit.AnyVersion && expect != rec.version {
		return rec, fmt.Errorf("%s %s at version %d: %w", r.kind, id, rec.version, kit.ErrPreconditionFailed)
	}
	return rec, nil
}

func (r *repository) decode(rec record) (kit.Versioned[kit.Entity], error) {
	e, err := r.s.accesses.Decode(r.typ, rec.item)
	if err != nil {
		return kit.Versioned[kit.Entity]{}, fmt.Errorf("decode %s: %w", r.kind, err)
	}
	return kit.Versioned[kit.Entity]{Entity: e, Version: rec.version, Revision: rec.revision}, nil
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
