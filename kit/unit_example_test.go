package kit_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// Reply is a custom command: comment on a note and count the comment on
// the note.
type Reply struct {
	Note string `validate:"required"`
	Text string `validate:"required,max=200"`
}

// Replied is the custom event a Reply raises.
type Replied struct {
	Note    string `json:"note"`
	Comment string `json:"comment"`
}

// reply handles Reply: the comment's create, the note's count and the
// event commit together in one unit of work, or none of them does.
func reply(storage kit.Storage, ids kit.IDs) command.HandlerFunc[Reply, repotest.Comment] {
	return func(ctx context.Context, cmd Reply) (repotest.Comment, error) {
		c := repotest.Comment{ID: ids.NewID(), Note: cmd.Note, Text: cmd.Text}
		u := storage.Begin()
		u.Create(c, cmd.Note)
		u.Update(repotest.Note{}, "", cmd.Note, kit.Patch{Add: map[string]int64{"size": 1}}, kit.AnyVersion)
		u.Raise(Replied{Note: cmd.Note, Comment: c.ID})
		if err := u.Commit(ctx); err != nil {
			return repotest.Comment{}, err
		}
		return c, nil
	}
}

// TestCustomCommandWithAUnit is the example of a custom command
// that writes two entities and raises a custom event, on the memory
// adapter.
func TestCustomCommandWithAUnit(t *testing.T) {
	ctx := context.Background()
	tokens, _ := repotest.Codecs(t)
	storage := memory.NewStorage(tokens)
	bus := command.NewBus()
	if err := command.Register(bus, reply(storage, kit.IDFunc(func() string { return "c-1" }))); err != nil {
		t.Fatal(err)
	}
	// The service declares its custom event beside its entities'.
	catalog := repotest.Catalog(t)
	if err := event.Declare[Replied](catalog); err != nil {
		t.Fatal(err)
	}
	notes := kit.RepositoryOf[repotest.Note](storage, "")
	if _, err := notes.Create(ctx, repotest.Note{ID: "n-1", Name: "todo"}); err != nil {
		t.Fatal(err)
	}
	_, seen := storage.Changes(0)

	got, err := command.Dispatch[repotest.Comment](ctx, bus, Reply{Note: "n-1", Text: "done"})
	if err != nil {
		t.Fatal(err)
	}
	want := repotest.Comment{ID: "c-1", Note: "n-1", Text: "done"}
	if got != want {
		t.Errorf("the command returned %+v, want %+v", got, want)
	}
	stored, err := kit.RepositoryOf[repotest.Comment](storage, "n-1").Get(ctx, "c-1")
	if err != nil || stored.Entity != want {
		t.Errorf("the stored comment = %+v, %v; want %+v", stored.Entity, err, want)
	}
	note, err := notes.Get(ctx, "n-1")
	if err != nil || note.Entity.Size != 1 || note.Version != 2 {
		t.Errorf("the note = size %d v%d, %v; want size 1 at v2", note.Entity.Size, note.Version, err)
	}

	// What the event function derives from the store's stream.
	changes, seen := storage.Changes(seen)
	var raised []string
	for _, c := range changes {
		ev, ok, err := dynamo.Events{Schema: dynamo.Layout(), Catalog: catalog}.Event(c)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			raised = append(raised, ev.Metadata.Name+" "+string(ev.Payload))
		}
	}
	comment, _ := json.Marshal(want)
	wantRaised := []string{
		"CommentCreated " + string(comment),
		`NoteUpdated {"id":"n-1","name":"todo","size":1,"at":"0001-01-01T00:00:00Z"}`,
		`Replied {"note":"n-1","comment":"c-1"}`,
	}
	if !slices.Equal(raised, wantRaised) {
		t.Errorf("the command raised\n%q\nwant\n%q", raised, wantRaised)
	}

	// A reply to a missing note writes and raises nothing.
	_, err = command.Dispatch[repotest.Comment](ctx, bus, Reply{Note: "n-2", Text: "lost"})
	var ue *kit.UnitError
	if !errors.As(err, &ue) || !errors.Is(err, kit.ErrNotFound) {
		t.Errorf("a reply to a missing note: %v, want a unit error matching not found", err)
	}
	if changes, _ := storage.Changes(seen); len(changes) > 0 {
		t.Errorf("a refused reply wrote %d changes", len(changes))
	}
}
