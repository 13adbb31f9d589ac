package relay_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit/relay"
)

// lambdaSample is aws-lambda-go's sample DynamoDB event, as the module
// go.mod requires ships it: the JSON Lambda hands the function.
func lambdaSample(t *testing.T) []byte {
	t.Helper()
	dir, err := exec.CommandContext(t.Context(), "go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go").Output()
	if err != nil {
		t.Fatalf("find aws-lambda-go's module: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(dir)), "events", "testdata", "dynamodb-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// stamp makes each of the sample's new images look written by the kit,
// with an event stamp and a version, as an item of kind; the JSON is
// edited, so the records stay exactly as Lambda shapes them.
func stamp(t *testing.T, raw []byte, kind string) []byte {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc["Records"].([]any) {
		img := r.(map[string]any)["dynamodb"].(map[string]any)["NewImage"].(map[string]any)
		img["_type"] = map[string]any{"S": kind}
		img["_version"] = map[string]any{"N": "1"}
		img["_evt"] = map[string]any{"M": map[string]any{"id": map[string]any{"S": "sample-evt"}, "at": map[string]any{"S": "2016-12-01T01:27:00.000Z"}}}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLambdaSample feeds the relay aws-lambda-go's sample event, a record
// with every attribute type. Its images decode and convert back to the
// same JSON. As shipped, its items carry no event stamp, so, like any
// item the kit did not write with an event (an idempotency record, a
// counter), they raise nothing: nothing is published and nothing is
// dead-lettered. Stamped as items of a kind the catalog does not declare,
// they are poison, and go to the dead-letter queue as delivered.
func TestLambdaSample(t *testing.T) {
	t.Parallel()
	shipped := lambdaSample(t)
	tests := []struct {
		name    string
		payload []byte
		// poison says the records go to the dead-letter queue, with a
		// reason saying so.
		poison bool
	}{
		{name: "as shipped: no event", payload: shipped},
		{name: "stamped, of an undeclared kind: poison", payload: stamp(t, shipped, "Example"), poison: true},
		{name: "stamped, with no kind: poison", payload: stamp(t, shipped, ""), poison: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			var batch events.DynamoDBEvent
			if err := json.Unmarshal(tt.payload, &batch); err != nil {
				t.Fatal(err)
			}
			var raw struct{ Records []json.RawMessage }
			if err := json.Unmarshal(tt.payload, &raw); err != nil {
				t.Fatal(err)
			}
			if len(batch.Records) != 2 {
				t.Fatalf("%d records, want the sample's 2", len(batch.Records))
			}
			for i, rec := range batch.Records {
				c, err := relay.ChangeOf(rec)
				if err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				back := relay.RecordOf(c, rec.Change.SequenceNumber, rec.EventSourceArn)
				a, _ := json.Marshal(back.Change.NewImage)
				b, _ := json.Marshal(rec.Change.NewImage)
				if len(c.New) != len(rec.Change.NewImage) || !jsonEqual(t, string(a), string(b)) {
					t.Errorf("record %d's new image converted back\n%s\nwant\n%s", i, a, b)
				}
			}

			resp, err := f.relay.Handle(t.Context(), batch)
			if err != nil {
				t.Fatal(err)
			}

			if got := failedAt(t, resp); got != "" {
				t.Errorf("failed at %q", got)
			}
			if n := len(f.bus.Requests()); n != 0 {
				t.Errorf("%d PutEvents requests, want none", n)
			}
			letters := deadLetters(t, f)
			if !tt.poison {
				if len(letters) != 0 {
					t.Errorf("%d dead letters, want none", len(letters))
				}
				return
			}
			if len(letters) != 2 {
				t.Fatalf("%d dead letters, want 2", len(letters))
			}
			for i, dl := range letters {
				if !jsonEqual(t, dl.record, string(raw.Records[i])) {
					t.Errorf("dead letter %d's record\n%s\nwant as delivered\n%s", i, dl.record, raw.Records[i])
				}
				if !strings.Contains(dl.reason, "is not declared") || dl.seq != "1405400000000002063282832" ||
					!strings.HasPrefix(dl.arn, "arn:aws:dynamodb:us-east-1:123456789012:table/Example-Table/stream/") {
					t.Errorf("dead letter %d: reason %q, sequence number %q, ARN %q", i, dl.reason, dl.seq, dl.arn)
				}
			}
			if got := f.metric(t, "PoisonRecords"); got != 2 {
				t.Errorf("PoisonRecords %d, want 2", got)
			}
		})
	}
}
