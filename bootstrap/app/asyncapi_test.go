package app_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/lambdakit/lambdakit/bootstrap/app"
	"github.com/lambdakit/lambdakit/kit/asyncapi/asyncapitest"
	"github.com/lambdakit/lambdakit/kit/golden"
)

// TestAsyncAPIDescribesEveryGoldenEvent checks the service's AsyncAPI
// document against the events the service really raises: every event of
// every golden case matches the schema of the message named as it is, and
// every event the service declares is raised by some case, so none of its
// messages goes unchecked.
func TestAsyncAPIDescribesEveryGoldenEvent(t *testing.T) {
	// unraised are the declared events no golden case raises, each with
	// why it cannot be; every other one must be raised.
	unraised := map[string]string{
		"VoteUpdated": "no operation changes a vote: it is created once, and goes with its product",
	}

	doc, err := app.AsyncAPI()
	if err != nil {
		t.Fatal(err)
	}
	v, err := asyncapitest.NewValidator(doc)
	if err != nil {
		t.Fatal(err)
	}
	declared := golden.Memory(t, app.Register).Service.Events.Names()
	if messages := messageNames(t, doc); !slices.Equal(messages, slices.Sorted(slices.Values(declared))) {
		t.Errorf("the document has messages %v, the service declares %v", messages, declared)
	}

	raised := map[string]int{}
	for _, dir := range goldenExchanges(t) {
		for _, ex := range dir.exchanges {
			for _, ev := range ex.Events {
				raised[ev.Metadata.Name]++
				if err := v.Validate(ev); err != nil {
					t.Errorf("%s/%s: %v", dir.name, ex.Name, err)
				}
			}
		}
	}
	for _, name := range declared {
		why, allowed := unraised[name]
		switch {
		case raised[name] == 0 && !allowed:
			t.Errorf("no golden case raises %s: add one, or list it in unraised with why none can", name)
		case raised[name] > 0 && allowed:
			t.Errorf("%s is listed as never raised (%s), but %d golden events are: drop it from unraised", name, why, raised[name])
		}
		t.Logf("%-16s raised %d times by golden cases", name, raised[name])
	}
	for name := range unraised {
		if !slices.Contains(declared, name) {
			t.Errorf("unraised lists %s, which the service does not declare", name)
		}
	}
}

// messageNames lists the names of a document's messages, sorted.
func messageNames(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		Components struct {
			Messages map[string]struct {
				Name string `json:"name"`
			} `json:"messages"`
		} `json:"components"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range d.Components.Messages {
		out = append(out, m.Name)
	}
	slices.Sort(out)
	return out
}
