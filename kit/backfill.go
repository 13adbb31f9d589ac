package kit

// BackfillReport is what an adapter's Backfill did to one kind's stored
// items, after the kind declared a pattern or a unique field that items
// written before do not carry.
type BackfillReport struct {
	// Kind is the entity kind backfilled.
	Kind string
	// Items counts the items of the kind read.
	Items int
	// Keyed counts the items whose pattern keys were written: set where
	// missing or wrong, removed for patterns the item is not in.
	Keyed int
	// Claimed counts the unique values claimed for the items holding them.
	Claimed int
	// Conflicts are the unique values of items that another entity of the
	// kind had claimed first: left to that holder, for someone to resolve.
	Conflicts []UniqueConflict
}

// Wrote is how many writes the backfill made: 0 when every item already
// had its keys and claims, as on a second run.
func (r BackfillReport) Wrote() int { return r.Keyed + r.Claimed }

// UniqueConflict is a unique value that two entities hold: ID holds it
// unclaimed, Holder holds its claim.
type UniqueConflict struct {
	ID     string
	Field  string
	Value  string
	Holder string
}
