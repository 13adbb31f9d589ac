package kit

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Index declares an access pattern beyond the id: the entities of a kind
// whose fields By hold the values a listing asks for, in the order of
// field Sort. Adapters keep each entity's place in it on every write (an
// entity without a value for every By field is left out: the index is
// sparse) and answer a PageRequest whose Where names exactly the By
// fields.
type Index struct {
	// By names the fields, by JSON name, whose values select the listing.
	// They are strings.
	By []string
	// Sort names the field, a string or a time.Time, that orders the
	// listing; "" orders it by id, which is creation order for the kit's
	// UUIDv7 ids.
	Sort string
	// Descending lists the greatest first: newest first, by id or time.
	Descending bool
}

// Name names the pattern by its fields, as a listing's query does:
// "category", or "author+rating".
func (ix Index) Name() string { return strings.Join(ix.By, "+") }

// Indexed is an entity with access patterns beyond its id. Indexes must
// work on the zero value and return the same patterns every time: a
// pattern's place among them picks the index it is stored on, so a kind
// appends new patterns and never reorders them. Items stored before a
// pattern (or a unique field) was declared are not in it until the
// storage's Backfill gives them its keys (see BackfillReport).
type Indexed interface {
	Entity
	Indexes() []Index
}

// MaxIndexes is how many patterns one kind may declare: the number of
// generic pattern indexes the table has. Every kind shares them.
const MaxIndexes = 3

// Access is what storage needs to know of a kind beyond its keys: its
// declared patterns, its unique fields and its owner field. AccessOf
// reads it from the entity's declaration.
type Access struct {
	// Indexes are the kind's patterns, in declaration order.
	Indexes []Index
	// Unique names the fields, by JSON name, that no two entities of the
	// kind may share a value of (kit:"unique"). An empty value is no value.
	Unique []string
	// Owner names the field that holds the verified caller who created
	// the entity (kit:"owner"), or is "". Only that caller may change or
	// delete it.
	Owner string
	// times names the fields, by JSON name, that are times: their stored
	// text does not sort, and a sort key rewrites it.
	times map[string]bool
}

// Guard is the caller a write to the kind must be made by, or "" when the
// write is not guarded: the kind has no owner, or the write is derived
// (the service's own). A guarded write with no verified caller in ctx is
// refused before anything is read or written: fail closed. Both adapters
// guard with it.
func (a Access) Guard(ctx context.Context, kind string, derived bool) (string, error) {
	if a.Owner == "" || derived {
		return "", nil
	}
	caller := RequestInfoFrom(ctx).Caller
	if caller == "" {
		return "", NoCaller(kind)
	}
	return caller, nil
}

// IsTime reports whether the field of that JSON name is a time.Time.
func (a Access) IsTime(name string) bool { return a.times[name] }

// Guards reports whether the kind has anything that storage keeps beyond
// the entity's own item and its listing: a pattern, a unique field or an
// owner.
func (a Access) Guards() bool { return len(a.Indexes) > 0 || len(a.Unique) > 0 || a.Owner != "" }

// Match returns the pattern whose By fields are exactly where's keys, or
// the unique field when where names that one field alone, and reports
// which it found. A match of neither is an *Error of kind ErrInvalid that
// names what the kind supports.
func (a Access) Match(where map[string]string) (index int, unique string, err error) {
	for i, ix := range a.Indexes {
		if len(ix.By) == len(where) && all(ix.By, func(f string) bool { _, ok := where[f]; return ok }) {
			return i, "", nil
		}
	}
	if len(where) == 1 {
		for _, f := range a.Unique {
			if _, ok := where[f]; ok {
				return -1, f, nil
			}
		}
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for f := range where {
			if !yield(f) {
				return
			}
		}
	})
	return -1, "", Errorf(ErrInvalid, "no listing by %s: %s", strings.Join(names, " and "), a.Supported())
}

// Supported says which listings a kind serves beyond the plain one, for a
// client who asked for another: "list by category, or by sku".
func (a Access) Supported() string {
	var ways []string
	for _, ix := range a.Indexes {
		ways = append(ways, strings.Join(ix.By, " and "))
	}
	ways = append(ways, a.Unique...)
	if len(ways) == 0 {
		return "this listing takes no filter"
	}
	return "list by " + strings.Join(ways, ", or by ")
}

func all[T any](s []T, f func(T) bool) bool {
	for _, v := range s {
		if !f(v) {
			return false
		}
	}
	return true
}

// AccessOf reads a kind's access from its declaration: Indexes, if it is
// Indexed, and its kit:"unique" and kit:"owner" fields. It refuses a
// declaration storage cannot keep: an unknown or non-string field in a
// pattern, more than MaxIndexes patterns, two patterns of the same
// fields, a unique field or an owner that is not a string, two owners, or
// a unique field on a Child (its uniqueness would have to be swept with
// the parent's collection).
func AccessOf(prototype Entity) (Access, error) {
	t := reflect.TypeOf(prototype)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	a := Access{times: map[string]bool{}}
	types := map[string]reflect.Type{}
	if t.Kind() == reflect.Struct {
		for _, f := range reflect.VisibleFields(t) {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || f.Anonymous || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			types[name] = f.Type
			if f.Type == reflect.TypeFor[time.Time]() {
				a.times[name] = true
			}
			for _, role := range strings.Split(f.Tag.Get("kit"), ",") {
				switch role {
				case "unique":
					a.Unique = append(a.Unique, name)
				case "owner":
					if a.Owner != "" {
						return Access{}, fmt.Errorf("kit: %s has two owners, %s and %s", t, a.Owner, name)
					}
					a.Owner = name
				default:
					continue
				}
				if f.Type.Kind() != reflect.String {
					return Access{}, fmt.Errorf("kit: %s.%s: a kit:%q field must be a string", t, name, role)
				}
			}
		}
	}
	if _, child := prototype.(Child); child && len(a.Unique) > 0 {
		return Access{}, fmt.Errorf("kit: %s.%s: a child kind cannot have a unique field", t, a.Unique[0])
	}
	ixd, ok := prototype.(Indexed)
	if !ok {
		return a, nil
	}
	a.Indexes = ixd.Indexes()
	if len(a.Indexes) > MaxIndexes {
		return Access{}, fmt.Errorf("kit: %s declares %d patterns; the table holds %d a kind", t, len(a.Indexes), MaxIndexes)
	}
	seen := map[string]bool{}
	for _, ix := range a.Indexes {
		if len(ix.By) == 0 {
			return Access{}, fmt.Errorf("kit: %s: a pattern needs at least one field", t)
		}
		key := strings.Join(slices.Sorted(slices.Values(ix.By)), "+")
		if seen[key] {
			return Access{}, fmt.Errorf("kit: %s has two patterns by %s", t, ix.Name())
		}
		seen[key] = true
		for _, f := range ix.By {
			switch typ, ok := types[f]; {
			case !ok:
				return Access{}, fmt.Errorf("kit: %s: pattern %s: no field %q", t, ix.Name(), f)
			case typ.Kind() != reflect.String:
				return Access{}, fmt.Errorf("kit: %s: pattern %s: field %q is a %s; a pattern's fields are strings", t, ix.Name(), f, typ)
			}
		}
		if ix.Sort != "" {
			if typ, ok := types[ix.Sort]; !ok || (typ.Kind() != reflect.String && !a.times[ix.Sort]) {
				return Access{}, fmt.Errorf("kit: %s: pattern %s sorts by %q, which is not a string or time field", t, ix.Name(), ix.Sort)
			}
		}
	}
	return a, nil
}

// The errors both adapters give for a kind's access, so that a client
// reads the same problem from either.

// Taken is the conflict of a unique value that another entity of kind
// holds: a 409 whose problem names the field.
func Taken(kind, field string) error {
	noun := strings.ToLower(kind)
	return &Error{Kind: ErrConflict, Detail: fmt.Sprintf("another %s has this %s", noun, field),
		Fields: []FieldError{{Field: field, Reason: "is taken by another " + noun}}}
}

// NotOwner is a guarded write by a caller who does not own the entity.
func NotOwner(kind string) error {
	return Errorf(ErrForbidden, "only the caller who created this %s may change or delete it", strings.ToLower(kind))
}

// NoCaller is a guarded write with no verified caller: refused, since
// nobody could be shown to own the entity.
func NoCaller(kind string) error {
	return Errorf(ErrForbidden, "changing a %s needs a verified caller", strings.ToLower(kind))
}
