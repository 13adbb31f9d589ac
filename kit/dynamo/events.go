package dynamo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
)

// How a write carries its event. A create or an update stamps the item
// itself with AttrEvent (the event's id, time and origin), in the same
// write, and the table's stream shows the item before and after: the
// event is derived from the two images, at no extra write. A delete leaves
// no item to stamp, and a custom event has no item at all, so each is an
// outbox item (KindOutbox) put in the same transaction as the write. The
// stream's INSERT of an outbox item is the event; its REMOVE, when its TTL
// runs out, is nothing.
const (
	// AttrEvent holds the event of the item's last write.
	AttrEvent = "_evt"
	// KindOutbox marks outbox items.
	KindOutbox = "_EVENT"
	// OutboxTTL is how long outbox items stay: long enough for the
	// stream's 24 hours, after which they are of no use.
	OutboxTTL = 48 * time.Hour
)

// Outbox item attributes.
const (
	attrMeta    = "meta"    // the event's metadata, as JSON
	attrImage   = "image"   // a deleted entity's last item
	attrPayload = "payload" // a custom event's payload, as JSON
	attrSubject = "subject" // the deleted item's sort key
)

// Stamps makes what a write carries of its event: the stamp on its item,
// or the metadata of an outbox item. The memory adapter shares it, so both
// adapters raise the same events.
type Stamps struct {
	Clock kit.Clock
	IDs   kit.IDs
}

// Stamp is the event a write carries on its item, as AttrEvent, and its id.
func (s Stamps) Stamp(ctx context.Context) (id string, av types.AttributeValue) {
	id = s.IDs.NewID()
	o := originOf(ctx)
	m := map[string]types.AttributeValue{
		"id": str(id),
		"at": str(event.FormatTime(s.Clock.Now())),
	}
	for name, v := range map[string]string{"by": o.Caller, "req": o.RequestID, "trace": o.TraceID, "cause": o.CauseID} {
		if v != "" {
			m[name] = str(v)
		}
	}
	return id, &types.AttributeValueMemberM{Value: m}
}

func originOf(ctx context.Context) event.Origin {
	info := kit.RequestInfoFrom(ctx)
	return event.Origin{Caller: info.Caller, RequestID: info.RequestID, TraceID: info.TraceID, CauseID: event.CauseFrom(ctx)}
}

// Raised is the metadata of an event raised now, by ctx's request, without
// an entity's part.
func (s Stamps) Raised(ctx context.Context, name string) event.Metadata {
	o := originOf(ctx)
	return event.Metadata{ID: s.IDs.NewID(), Name: name, OccurredAt: event.FormatTime(s.Clock.Now()),
		Caller: o.Caller, RequestID: o.RequestID, TraceID: o.TraceID, CauseID: o.CauseID}
}

// Outbox is the outbox item of an event: meta, and either the deleted
// entity's last item (image) or a custom event's payload. A deleted
// entity's outbox item lives in the entity's own partition, so that the
// stream, which keeps the order of a partition's changes, delivers it
// after the entity's earlier events; its sort key (_EVENT#id) sorts after
// every entity's, out of every listing and sweep. A custom event's has a
// partition of its own.
func Outbox(schema Schema, now time.Time, meta event.Metadata, image map[string]types.AttributeValue, payload []byte) (map[string]types.AttributeValue, error) {
	m, err := json.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("encode event metadata: %w", err)
	}
	k := schema.Keys
	item := map[string]types.AttributeValue{
		k.PartitionKey:      str(KindOutbox + "#" + meta.ID),
		k.SortKey:           str(KindOutbox),
		AttrType:            str(KindOutbox),
		attrMeta:            str(string(m)),
		schema.TTLAttribute: &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(OutboxTTL).Unix(), 10)},
	}
	if image != nil {
		item[k.PartitionKey] = image[k.PartitionKey]
		item[k.SortKey] = str(KindOutbox + "#" + meta.ID)
		item[attrSubject] = image[k.SortKey]
		item[attrImage] = &types.AttributeValueMemberM{Value: image}
	}
	if payload != nil {
		item[attrPayload] = str(string(payload))
	}
	return item, nil
}

// Deleted is the metadata of the event that deleting an item at version
// raises. The event function fills in the entity's part (name, kind, ids)
// from the item the outbox holds.
func (s Stamps) Deleted(ctx context.Context, version kit.Version) event.Metadata {
	meta := s.Raised(ctx, "")
	meta.Version = int64(version) + 1
	return meta
}

func versionOf(item map[string]types.AttributeValue) (kit.Version, error) {
	n, ok := item[AttrVersion].(*types.AttributeValueMemberN)
	if !ok {
		return 0, errors.New("dynamo: item without a version")
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("decode version: %w", err)
	}
	return kit.Version(v), nil
}

// Change is one item's change as the table's stream reports it: what was
// written (INSERT, MODIFY or REMOVE) and the item's images before and after.
type Change struct {
	Op       string
	Old, New map[string]types.AttributeValue
}

// The stream's names of what happened to an item.
const (
	ChangeInsert = "INSERT"
	ChangeModify = "MODIFY"
	ChangeRemove = "REMOVE"
)

// ErrUndecodable is a change whose event cannot be built: an item of an
// undeclared kind, or one the entity's type cannot decode. Retrying it
// cannot help.
var ErrUndecodable = errors.New("undecodable change")

// Events turns a stream's changes into the domain events they carry.
type Events struct {
	Schema  Schema
	Catalog *event.Catalog
}

// Event returns the event a change carries, or ok false for a change that
// carries none (an idempotency record, a reshard, an outbox item expiring,
// a counter a consumer maintains). An error matches ErrUndecodable.
func (d Events) Event(c Change) (ev event.Event, ok bool, err error) {
	switch {
	case c.Op == ChangeInsert && kindOf(c.New) == KindOutbox:
		ev, err = d.fromOutbox(c.New)
		return ev, err == nil, err
	case c.Op == ChangeRemove || c.New[AttrEvent] == nil || kindOf(c.New) == KindOutbox:
		return event.Event{}, false, nil
	case c.Op == ChangeInsert:
		ev, err = d.fromItem(c.New, nil)
		return ev, err == nil, err
	case c.Op == ChangeModify && stampID(c.New) != stampID(c.Old):
		ev, err = d.fromItem(c.New, c.Old)
		return ev, err == nil, err
	}
	return event.Event{}, false, nil
}

func kindOf(item map[string]types.AttributeValue) string {
	s, _ := item[AttrType].(*types.AttributeValueMemberS)
	if s == nil {
		return ""
	}
	return s.Value
}

func stampID(item map[string]types.AttributeValue) string {
	m, _ := item[AttrEvent].(*types.AttributeValueMemberM)
	if m == nil {
		return ""
	}
	return stringAttr(m.Value, "id")
}

func undecodable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUndecodable, fmt.Sprintf(format, args...))
}

// entity decodes an item of a declared kind and renders its payload.
func (d Events) entity(item map[string]types.AttributeValue) (event.Entity, kit.Entity, json.RawMessage, error) {
	kind := kindOf(item)
	decl, ok := d.Catalog.Entity(kind)
	if !ok {
		return decl, nil, nil, undecodable("kind %q is not declared", kind)
	}
	e, err := DecodeEntity(decl.Type, item)
	if err != nil {
		return decl, nil, nil, undecodable("%s: %v", kind, err)
	}
	view, err := decl.View(e)
	if err != nil {
		return decl, nil, nil, undecodable("%s view: %v", kind, err)
	}
	return decl, e, view, nil
}

// parentOf reads a child's parent id from its partition key.
func (d Events) parentOf(decl event.Entity, item map[string]types.AttributeValue) string {
	if decl.ParentKind == "" {
		return ""
	}
	return strings.TrimPrefix(stringAttr(item, d.Schema.Keys.PartitionKey), decl.ParentKind+"#")
}

// fromItem is the Created (old nil) or Updated event a stamped item
// carries.
func (d Events) fromItem(item, old map[string]types.AttributeValue) (event.Event, error) {
	decl, e, view, err := d.entity(item)
	if err != nil {
		return event.Event{}, err
	}
	v, err := versionOf(item)
	if err != nil {
		return event.Event{}, undecodable("%v", err)
	}
	stamp, _ := item[AttrEvent].(*types.AttributeValueMemberM)
	if stamp == nil {
		return event.Event{}, undecodable("%s item without its event", decl.Kind)
	}
	s := stamp.Value
	meta := event.Metadata{
		ID: stringAttr(s, "id"), OccurredAt: stringAttr(s, "at"),
		Kind: decl.Kind, EntityID: e.EntityID(), ParentID: d.parentOf(decl, item), Version: int64(v),
		Caller: stringAttr(s, "by"), RequestID: stringAttr(s, "req"), TraceID: stringAttr(s, "trace"), CauseID: stringAttr(s, "cause"),
	}
	meta.Name = decl.Name(event.Created)
	if old != nil {
		meta.Name = decl.Name(event.Updated)
		_, _, before, err := d.entity(old)
		if err != nil {
			return event.Event{}, err
		}
		if meta.Changed, err = changed(before, view); err != nil {
			return event.Event{}, undecodable("%s: %v", decl.Kind, err)
		}
	}
	return event.Event{Metadata: meta, Payload: view}, nil
}

// changed lists the members of after that differ from before, or that
// before lacks, in after's order, then those only before has.
func changed(before, after json.RawMessage) ([]string, error) {
	b, err := members(before)
	if err != nil {
		return nil, err
	}
	a, err := members(after)
	if err != nil {
		return nil, err
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range a {
		seen[m.name] = true
		if v, ok := lookup(b, m.name); !ok || !jsonEqual(v, m.value) {
			out = append(out, m.name)
		}
	}
	for _, m := range b {
		if !seen[m.name] {
			out = append(out, m.name)
		}
	}
	return out, nil
}

type rawMember struct {
	name  string
	value json.RawMessage
}

// members reads a JSON object's members in their order.
func members(obj json.RawMessage) ([]rawMember, error) {
	dec := json.NewDecoder(strings.NewReader(string(obj)))
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("read view: %w", err)
	}
	var out []rawMember
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("read view: %w", err)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("read view: %w", err)
		}
		out = append(out, rawMember{tok.(string), v})
	}
	return out, nil
}

func lookup(ms []rawMember, name string) (json.RawMessage, bool) {
	i := slices.IndexFunc(ms, func(m rawMember) bool { return m.name == name })
	if i < 0 {
		return nil, false
	}
	return ms[i].value, true
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// fromOutbox is the event an outbox item records.
func (d Events) fromOutbox(item map[string]types.AttributeValue) (event.Event, error) {
	var meta event.Metadata
	if err := json.Unmarshal([]byte(stringAttr(item, attrMeta)), &meta); err != nil {
		return event.Event{}, undecodable("outbox metadata: %v", err)
	}
	if image, ok := item[attrImage].(*types.AttributeValueMemberM); ok {
		decl, e, view, err := d.entity(image.Value)
		if err != nil {
			return event.Event{}, err
		}
		meta.Name, meta.Kind, meta.EntityID = decl.Name(event.Deleted), decl.Kind, e.EntityID()
		meta.ParentID = d.parentOf(decl, image.Value)
		return event.Event{Metadata: meta, Payload: view}, nil
	}
	payload, ok := item[attrPayload].(*types.AttributeValueMemberS)
	if !ok || !json.Valid([]byte(payload.Value)) {
		return event.Event{}, undecodable("outbox item %s without a payload", meta.ID)
	}
	return event.Event{Metadata: meta, Payload: json.RawMessage(payload.Value)}, nil
}
