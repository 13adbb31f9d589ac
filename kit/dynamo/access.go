package dynamo

import (
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/lambdakit/lambdakit/kit"
)

// Accesses reads each kind's kit.Access, and how to decode its items, once
// and keeps them: storage looks them up on every call, and reading struct
// tags each time would cost more than the call. The memory adapter shares
// it.
type Accesses struct {
	m     sync.Map // reflect.Type -> accessEntry
	plans sync.Map // reflect.Type -> *decodePlan, nil for a type Decode leaves to attributevalue
}

type accessEntry struct {
	a   kit.Access
	err error
}

// Of returns the access of prototype's kind.
func (c *Accesses) Of(prototype kit.Entity) (kit.Access, error) {
	t := reflect.TypeOf(prototype)
	if e, ok := c.m.Load(t); ok {
		return e.(accessEntry).a, e.(accessEntry).err
	}
	a, err := kit.AccessOf(prototype)
	c.m.Store(t, accessEntry{a, err})
	return a, err
}

// PatternPartition is the partition key, on its pattern index, of the
// entities of kind whose pattern ix fields hold values (in ix.By's
// order). Values are quoted, so no two lists of values share a key.
func PatternPartition(kind string, ix kit.Index, values []string) string {
	var b strings.Builder
	b.WriteString(kind)
	b.WriteByte('#')
	b.WriteString(ix.Name())
	for _, v := range values {
		b.WriteByte('=')
		b.WriteString(strconv.Quote(v))
	}
	return b.String()
}

// Position is an entity's place in a kind-wide listing: its id, and for a
// child its parent's id after it, since a child's id is unique only within
// its parent.
func Position(id, parent string) string {
	if parent == "" {
		return id
	}
	return id + "/" + parent
}

// sortTime is the form a time takes in a sort key: fixed width, so that
// text order is time order (the stored RFC 3339 text drops trailing zeros).
const sortTime = "2006-01-02T15:04:05.000000000Z"

// PatternKeys works out an item's places in its kind's pattern indexes:
// the key attributes to set, and those to remove for the patterns the item
// is not in (one of their By fields has no value). item holds the entity's
// attributes; position is Position of its id. Both adapters keep the same
// keys with it.
func (s Schema) PatternKeys(a kit.Access, kind, position string, item map[string]types.AttributeValue) (set map[string]types.AttributeValue, remove []string) {
	for i := range a.Indexes {
		if set == nil {
			set = map[string]types.AttributeValue{}
		}
		remove = s.patternKey(a, i, kind, position, item, set, remove)
	}
	return set, remove
}

// patternKey puts the item's keys in pattern i into set, or appends their
// names to remove when the item is not in it, and returns remove.
func (s Schema) patternKey(a kit.Access, i int, kind, position string, item, set map[string]types.AttributeValue, remove []string) []string {
	ix, keys := a.Indexes[i], s.Patterns[i].Keys
	values, ok := patternValues(ix, item)
	if !ok {
		return append(remove, keys.PartitionKey, keys.SortKey)
	}
	set[keys.PartitionKey] = str(PatternPartition(kind, ix, values))
	set[keys.SortKey] = str(PatternSort(a, ix, item, position))
	return remove
}

// PatternSort is an item's sort key in pattern ix: its position, after the
// Sort field's value when the pattern has one.
func PatternSort(a kit.Access, ix kit.Index, item map[string]types.AttributeValue, position string) string {
	if ix.Sort == "" {
		return position
	}
	v := stringAttr(item, ix.Sort)
	if a.IsTime(ix.Sort) {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			v = t.UTC().Format(sortTime)
		}
	}
	return v + "|" + position
}

// patternValues are the item's values of ix's fields, or ok false if one
// has none: the item is not in the pattern.
func patternValues(ix kit.Index, item map[string]types.AttributeValue) ([]string, bool) {
	values := make([]string, len(ix.By))
	for j, f := range ix.By {
		v, isStr := item[f].(*types.AttributeValueMemberS)
		if !isStr || v.Value == "" {
			return nil, false
		}
		values[j] = v.Value
	}
	return values, true
}

// patchKnows reports whether a patch decides every field that pattern ix's
// key is made of (sets or removes it), so that its new key is known
// without reading the item; touches, whether it changes any of them.
func patchKnows(ix kit.Index, patch kit.Patch) (knows, touches bool) {
	fields := ix.By
	if ix.Sort != "" {
		fields = append(fields[:len(fields):len(fields)], ix.Sort)
	}
	knows = true
	for _, f := range fields {
		_, set := patch.Set[f]
		decided := set || containsString(patch.Remove, f)
		knows = knows && decided
		touches = touches || decided
	}
	return knows, touches
}

func containsString(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// UniqueKey is the key of the uniqueness item of value in a unique field
// of kind: one item per value, whose existence is the claim.
func (s Schema) UniqueKey(kind, field, value string) map[string]types.AttributeValue {
	k := "UNIQUE#" + kind + "#" + field + "#" + value
	return map[string]types.AttributeValue{s.Keys.PartitionKey: str(k), s.Keys.SortKey: str(k)}
}

// UniqueItem is the uniqueness item of value in field, held by entity id.
func (s Schema) UniqueItem(kind, field, value, id string) map[string]types.AttributeValue {
	item := s.UniqueKey(kind, field, value)
	item[AttrType] = str(KindUnique)
	item[AttrHolder] = str(id)
	return item
}

// UniqueValues are the item's values of the kind's unique fields, by
// field; a field without one is left out.
func UniqueValues(a kit.Access, item map[string]types.AttributeValue) map[string]string {
	var out map[string]string
	for _, f := range a.Unique {
		if v := stringAttr(item, f); v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[f] = v
		}
	}
	return out
}
