package resource_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/kit/idempotency"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/resource"
)

var ddb *dynamotest.Server

func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }

// Story is served; Kudo, one per caller and story, is declared: stored,
// with events, and no routes. Kudos counts them, and only the service
// writes it.
type Story struct {
	ID      string    `json:"id" kit:"id"`
	Title   string    `json:"title"`
	Kudos   int       `json:"kudos,omitempty" kit:"server"`
	Created time.Time `json:"createdAt" kit:"created"`
}

func (Story) EntityKind() string { return "STORY" }
func (s Story) EntityID() string { return s.ID }

type CreateStory struct {
	Title string `json:"title" validate:"required"`
}

type UpdateStory struct {
	Title *string `json:"title"`
}

type Kudo struct {
	ID      string `json:"id" kit:"id"`
	StoryID string `json:"storyId"`
	Caller  string `json:"caller"`
}

func (Kudo) EntityKind() string { return "KUDO" }
func (k Kudo) EntityID() string { return k.ID }
func (Kudo) ParentKind() string { return "STORY" }

// GiveKudo is the custom operation's input.
type GiveKudo struct {
	StoryID string `path:"id"`
	Caller  string `kit:"caller"`
}

var errGiven = kit.Errorf(kit.ErrConflict, "you have given this story kudos already")

func giveKudo(s *resource.Service) func(context.Context, GiveKudo) (kit.Versioned[Story], error) {
	return func(ctx context.Context, in GiveKudo) (kit.Versioned[Story], error) {
		u := s.Storage.Begin()
		u.Create(Kudo{ID: kit.NameID(in.StoryID, in.Caller), StoryID: in.StoryID, Caller: in.Caller}, in.StoryID)
		u.Update(Story{}, "", in.StoryID, kit.Patch{Add: map[string]int64{"kudos": 1}, Derived: true}, kit.AnyVersion)
		if err := u.Commit(ctx); errors.Is(kit.FailedAt(err, 0), kit.ErrConflict) {
			return kit.Versioned[Story]{}, errGiven
		} else if err != nil {
			return kit.Versioned[Story]{}, err
		}
		return kit.RepositoryOf[Story](s.Storage, "").Get(ctx, in.StoryID)
	}
}

func serveStories(s *resource.Service) error {
	return errors.Join(
		resource.Serve[Story, CreateStory, UpdateStory](s, "/stories"),
		resource.Declare[Kudo](s),
		resource.Handle(s, "POST /stories/{id}/kudos",
			resource.Op{Summary: "Give a story kudos", Status: http.StatusCreated, Problems: []error{errGiven}}, giveKudo(s)),
	)
}

func as(ev events.APIGatewayProxyRequest, caller string) events.APIGatewayProxyRequest {
	ev.RequestContext.Identity.UserArn = caller
	return ev
}

// TestHandle runs a custom operation on both adapters: it answers with
// the entity exactly as the generic GET renders it, ETag included, maps
// its unit's failures and its own errors to their statuses, and raises
// only the events of what it wrote.
func TestHandle(t *testing.T) {
	for name, newService := range map[string]func(*testing.T) *golden.Service{
		"memory": func(t *testing.T) *golden.Service { return golden.Memory(t, serveStories) },
		"dynamo": func(t *testing.T) *golden.Service { return golden.Dynamo(t, ddb, serveStories) },
	} {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			want(t, svc, call("POST", "/stories", `{"title":"Tide"}`), http.StatusCreated)
			svc.Events(t)
			kudos := "/stories/" + id(1) + "/kudos"
			first := want(t, svc, as(call("POST", kudos, ""), "arn:aws:iam::1:user/a"), http.StatusCreated)
			got := want(t, svc, call("GET", "/stories/"+id(1), ""), http.StatusOK)
			if first.Body != got.Body || first.Headers["ETag"] != got.Headers["ETag"] || first.Headers["ETag"] != `"1.1"` {
				t.Errorf("the operation answered %s %s; GET answers %s %s; want the same, at \"1.1\"",
					first.Headers["ETag"], first.Body, got.Headers["ETag"], got.Body)
			}
			if b := object(t, first.Body); b["kudos"] != 1.0 {
				t.Errorf("kudos = %v, want 1", b["kudos"])
			}
			evs := svc.Events(t)
			if len(evs) != 1 || evs[0].Metadata.Name != "KudoCreated" || evs[0].Metadata.Caller != "arn:aws:iam::1:user/a" {
				t.Errorf("events %+v, want one KudoCreated by the caller (the count is a derived write)", evs)
			}
			again := want(t, svc, as(call("POST", kudos, ""), "arn:aws:iam::1:user/a"), http.StatusConflict)
			if !strings.Contains(again.Body, `"detail":"You have given this story kudos already."`) {
				t.Errorf("a second kudo: %s, want the operation's own detail", again.Body)
			}
			second := want(t, svc, as(call("POST", kudos, ""), "arn:aws:iam::1:user/b"), http.StatusCreated)
			if b := object(t, second.Body); b["kudos"] != 2.0 || second.Headers["ETag"] != `"1.2"` {
				t.Errorf("another caller: kudos %v at %s, want 2 at \"1.2\"", b["kudos"], second.Headers["ETag"])
			}
			before := svc.Snapshot()
			for _, tc := range []struct {
				name   string
				ev     events.APIGatewayProxyRequest
				status int
			}{
				{"no caller", call("POST", kudos, ""), http.StatusUnauthorized},
				{"a missing story", as(call("POST", "/stories/"+id(99)+"/kudos", ""), "arn:aws:iam::1:user/c"), http.StatusNotFound},
				{"a malformed id", as(call("POST", "/stories/nope/kudos", ""), "arn:aws:iam::1:user/c"), http.StatusNotFound},
				{"a body", as(call("POST", kudos, "{}"), "arn:aws:iam::1:user/c"), http.StatusBadRequest},
			} {
				resp := want(t, svc, tc.ev, tc.status)
				if resp.Headers["Content-Type"] != "application/problem+json" {
					t.Errorf("%s: %v, want a problem", tc.name, resp.Headers)
				}
			}
			if after := svc.Snapshot(); !slices.Equal(before, after) {
				t.Errorf("refused requests changed the store:\nbefore %v\nafter  %v", before, after)
			}
			if evs := svc.Events(t); len(evs) != 1 {
				t.Errorf("events %+v, want only the second caller's KudoCreated", evs)
			}
		})
	}
}

// watched counts how the router settles each Idempotency-Key: Complete
// after a handler's write committed the key's record, Put when none did.
type watched struct {
	idempotency.Store
	puts, completes atomic.Int32
}

func (w *watched) Put(ctx context.Context, rec idempotency.Record, now time.Time) error {
	w.puts.Add(1)
	return w.Store.Put(ctx, rec, now) //nolint:wrapcheck // a pass-through
}

func (w *watched) Complete(ctx context.Context, rec idempotency.Record) error {
	w.completes.Add(1)
	return w.Store.Complete(ctx, rec) //nolint:wrapcheck // a pass-through
}

// transactions records DynamoDB's write transactions: each one's items'
// partition keys.
type transactions struct {
	dynamo.API
	mu  sync.Mutex
	pks [][]string
}

func (tr *transactions) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	var pks []string
	for _, it := range in.TransactItems {
		var key map[string]types.AttributeValue
		switch {
		case it.Put != nil:
			key = it.Put.Item
		case it.Update != nil:
			key = it.Update.Key
		case it.ConditionCheck != nil:
			key = it.ConditionCheck.Key
		case it.Delete != nil:
			key = it.Delete.Key
		}
		pk, _ := key[dynamo.Layout().Keys.PartitionKey].(*types.AttributeValueMemberS)
		sk, _ := key[dynamo.Layout().Keys.SortKey].(*types.AttributeValueMemberS)
		if pk != nil && sk != nil {
			pks = append(pks, pk.Value+"|"+sk.Value)
		}
	}
	tr.mu.Lock()
	tr.pks = append(tr.pks, pks)
	tr.mu.Unlock()
	return tr.API.TransactWriteItems(ctx, in, opts...) //nolint:wrapcheck // a pass-through
}

// TestHandleIdempotencyCommitsWithTheUnit: a custom operation whose
// handler commits a unit of work, knowing nothing of idempotency, is
// idempotent: the unit writes the key's record in its own transaction
// (the router then completes that record rather than putting one), and a
// retry gets the first response with nothing written again.
func TestHandleIdempotencyCommitsWithTheUnit(t *testing.T) {
	tokens, err := cursor.New([]byte(golden.TokenKey))
	if err != nil {
		t.Fatal(err)
	}
	clock := kit.ClockFunc(func() time.Time { return golden.SeedTime })
	for _, name := range []string{"memory", "dynamo"} {
		t.Run(name, func(t *testing.T) {
			var storage kit.Storage
			var store *watched
			var tx *transactions
			if name == "memory" {
				m := memory.NewStorage(tokens)
				storage, store = m, &watched{Store: m.Idempotency()}
			} else {
				table := ddb.NewTable(t)
				tx = &transactions{API: table.API}
				table.API = tx
				storage, store = dynamo.NewStorage(table, tokens), &watched{Store: dynamo.NewIdempotency(table)}
			}
			router := apigw.NewRouter(zap.NewNop(), apigw.WithIdempotency(store, clock))
			s := resource.NewService(command.NewBus(), router, storage, clock, kit.UUIDv7{Clock: clock})
			if err := serveStories(s); err != nil {
				t.Fatal(err)
			}
			invoke := func(ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
				t.Helper()
				ev.RequestContext.Path = ev.Path
				resp, err := router.Invoke(context.Background(), ev)
				if err != nil {
					t.Fatal(err)
				}
				return resp
			}
			created := invoke(call("POST", "/stories", `{"title":"Tide"}`))
			story := created.Headers["Location"][len("/stories/"):]
			if tx != nil {
				tx.pks = nil
			}
			kudo := as(call("POST", "/stories/"+story+"/kudos", ""), "arn:aws:iam::1:user/a")
			kudo.Headers = map[string]string{"Idempotency-Key": "kudo-1"}
			first, retry := invoke(kudo), invoke(kudo)
			if first.StatusCode != http.StatusCreated || retry.StatusCode != http.StatusCreated || retry.Body != first.Body ||
				retry.Headers["ETag"] != first.Headers["ETag"] || retry.Headers["Idempotent-Replayed"] != "true" {
				t.Fatalf("first %d %v %s\nretry %d %v %s\nwant the first response replayed",
					first.StatusCode, first.Headers, first.Body, retry.StatusCode, retry.Headers, retry.Body)
			}
			if p, c := store.puts.Load(), store.completes.Load(); p != 0 || c != 1 {
				t.Errorf("the router put %d records and completed %d: want the unit to have written the one it completed", p, c)
			}
			got, err := kit.RepositoryOf[Story](storage, "").Get(context.Background(), story)
			if err != nil || got.Entity.Kudos != 1 {
				t.Errorf("kudos %d (%v) after a request and its retry, want 1", got.Entity.Kudos, err)
			}
			if tx == nil {
				return
			}
			// One transaction: the story's check, the kudo, the count and
			// the key's record.
			if len(tx.pks) != 1 {
				t.Fatalf("%d write transactions %v, want the unit's one", len(tx.pks), tx.pks)
			}
			var kinds []string
			for _, pk := range tx.pks[0] {
				kind, _, _ := strings.Cut(pk, "#")
				kinds = append(kinds, kind)
			}
			slices.Sort(kinds)
			if want := []string{"IDEMPOTENCY", "STORY", "STORY"}; !slices.Equal(kinds, want) {
				t.Errorf("the transaction's items %v: want the kudo and the count (both in the story's partition) and the key's record", tx.pks[0])
			}
		})
	}
}

// Retitle binds every source a custom operation's input may name.
type Retitle struct {
	ID      string      `path:"id"`
	Slug    string      `path:"slug,text"`
	DryRun  bool        `query:"dryRun"`
	Limit   int         `query:"limit" default:"3" validate:"min=1,max=5"`
	Note    string      `header:"X-Note" validate:"max=5"`
	IfMatch kit.Version `header:"If-Match"`
	Title   string      `json:"title" validate:"required,max=20"`
	Ignored string      `json:"-"`
}

// Touch has an optional body.
type Touch struct {
	ID    string `path:"id"`
	Title string `json:"title"`
}

// Ping takes nothing and answers nothing.
type Ping struct{}

// TestHandleBindsTheRequest: path, query, header, If-Match and body fields
// each come from their place, strictly, and are validated by the bus under
// the names the client used.
func TestHandleBindsTheRequest(t *testing.T) {
	var seen Retitle
	var touched []Touch
	pings := 0
	svc := golden.Memory(t, func(s *resource.Service) error {
		return errors.Join(
			resource.Serve[Story, CreateStory, UpdateStory](s, "/stories"),
			resource.Handle(s, "PUT /stories/{id}/title/{slug}", resource.Op{Summary: "Retitle a story"},
				func(ctx context.Context, in Retitle) (kit.Versioned[Story], error) {
					seen = in
					return kit.RepositoryOf[Story](s.Storage, "").Update(ctx, in.ID, kit.Patch{Set: map[string]any{"title": in.Title}}, in.IfMatch)
				}),
			resource.Handle(s, "POST /stories/{id}/touch", resource.Op{Summary: "Touch a story", OptionalBody: true},
				func(ctx context.Context, in Touch) (kit.Versioned[Story], error) {
					touched = append(touched, in)
					return kit.RepositoryOf[Story](s.Storage, "").Get(ctx, in.ID)
				}),
			resource.HandleNoContent(s, "POST /ping", resource.Op{Summary: "Ping"},
				func(context.Context, Ping) error { pings++; return nil }),
		)
	})
	want(t, svc, call("POST", "/stories", `{"title":"Tide"}`), http.StatusCreated)
	path := "/stories/" + id(1) + "/title/any%20text"
	put := func(body string, query, headers map[string]string) events.APIGatewayProxyRequest {
		ev := withQuery(call("PUT", path, body), query)
		ev.Headers = headers
		return ev
	}
	resp := want(t, svc, put(`{"title":"Ebb"}`, map[string]string{"dryRun": "true"}, map[string]string{"x-note": "hi", "If-Match": `"1"`}), http.StatusOK)
	wantSeen := Retitle{ID: id(1), Slug: "any%20text", DryRun: true, Limit: 3, Note: "hi", IfMatch: 1, Title: "Ebb"}
	if seen != wantSeen {
		t.Errorf("the handler saw %+v, want %+v", seen, wantSeen)
	}
	if b := object(t, resp.Body); b["title"] != "Ebb" || resp.Headers["ETag"] != `"2"` {
		t.Errorf("answered %s %s, want the retitled story at \"2\"", resp.Headers["ETag"], resp.Body)
	}
	for _, tc := range []struct {
		name   string
		ev     events.APIGatewayProxyRequest
		status int
		field  string // the field a 400 names, if any
	}{
		{"stale If-Match", put(`{"title":"Flow"}`, nil, map[string]string{"If-Match": `"1"`}), http.StatusPreconditionFailed, ""},
		{"If-Match not a tag", put(`{"title":"Flow"}`, nil, map[string]string{"If-Match": `1`}), http.StatusBadRequest, ""},
		{"query not an integer", put(`{"title":"Flow"}`, map[string]string{"limit": "x"}, nil), http.StatusBadRequest, "limit"},
		{"query out of bounds", put(`{"title":"Flow"}`, map[string]string{"limit": "9"}, nil), http.StatusBadRequest, "limit"},
		{"header too long", put(`{"title":"Flow"}`, nil, map[string]string{"X-Note": "far too long"}), http.StatusBadRequest, "X-Note"},
		{"body field fails", put(`{"title":""}`, nil, nil), http.StatusBadRequest, "title"},
		{"unknown body field", put(`{"title":"Flow","id":"x"}`, nil, nil), http.StatusBadRequest, "id"},
		{"a path field in the body", put(`{"title":"Flow","ID":"x"}`, nil, nil), http.StatusBadRequest, "ID"},
		{"body required", put(``, nil, nil), http.StatusBadRequest, ""},
		{"a missing story", withQuery(call("PUT", "/stories/"+id(9)+"/title/x", `{"title":"Flow"}`), nil), http.StatusNotFound, ""},
		{"a malformed id", call("PUT", "/stories/nope/title/x", `{"title":"Flow"}`), http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := want(t, svc, tc.ev, tc.status)
			if tc.field == "" {
				return
			}
			fields := fieldErrors(t, resp)
			if len(fields) != 1 || fields[0].Field != tc.field {
				t.Errorf("400 names %+v, want %s", fields, tc.field)
			}
		})
	}
	want(t, svc, call("POST", "/stories/"+id(1)+"/touch", ""), http.StatusOK)
	want(t, svc, call("POST", "/stories/"+id(1)+"/touch", `{"title":"x"}`), http.StatusOK)
	if w := []Touch{{ID: id(1)}, {ID: id(1), Title: "x"}}; !slices.Equal(touched, w) {
		t.Errorf("touched %+v, want %+v", touched, w)
	}
	if resp := want(t, svc, call("POST", "/ping", ""), http.StatusNoContent); resp.Body != "" || pings != 1 {
		t.Errorf("ping: %q, %d pings", resp.Body, pings)
	}
}

// Inputs that cannot be bound.
type (
	notStruct  string
	untagged   struct{ ID string }
	twoSources struct {
		ID string `path:"id" query:"id"`
	}
	pathAndJSON struct {
		ID string `path:"id" json:"id"`
	}
	unbound   struct{}
	strayPath struct {
		ID    string `path:"id"`
		Other string `path:"other"`
	}
	intPath struct {
		ID int `path:"id"`
	}
	badOpt struct {
		ID string `path:"id,uuid"`
	}
	embeds struct {
		CreateStory
		ID string `path:"id"`
	}
	versionElsewhere struct {
		ID string      `path:"id"`
		V  kit.Version `header:"X-Version"`
	}
	structQuery struct {
		ID string    `path:"id"`
		Q  time.Time `query:"q"`
	}
	intHeader struct {
		ID string `path:"id"`
		N  int    `header:"X-N"`
	}
	twoCallers struct {
		ID   string `path:"id"`
		A, B string `kit:"caller"`
	}
	otherRole struct {
		ID string `path:"id"`
		At string `kit:"created"`
	}
	hidden struct {
		ID     string `path:"id"`
		secret string `query:"secret"` //nolint:unused // Handle must refuse it
	}
	fine struct {
		ID string `path:"id"`
	}
)

func noop[C any](context.Context, C) (kit.Versioned[Story], error) {
	return kit.Versioned[Story]{}, nil
}

// TestHandleRefusesDeclarations: what cannot work fails at registration,
// with an error that says why.
func TestHandleRefusesDeclarations(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		register   func(s *resource.Service) error
	}{
		{"input not a struct", "is not a struct", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[notStruct])
		}},
		{"untagged field", "tag it path, query, header, json", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[untagged])
		}},
		{"two sources", "one of path, query, header, kit or json", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[twoSources])
		}},
		{"path and json", "one of path, query, header, kit or json", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[pathAndJSON])
		}},
		{"a parameter nobody binds", "has no field for {id}", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[unbound])
		}},
		{"a path field the pattern lacks", "the path has no {other}", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[strayPath])
		}},
		{"an integer path field", "a path parameter is a string", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[intPath])
		}},
		{"an unknown path option", `path option "uuid"`, func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[badOpt])
		}},
		{"an embedded struct", "embeds", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[embeds])
		}},
		{"a version from another header", "a kit.Version comes from If-Match", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[versionElsewhere])
		}},
		{"a struct query", "a query parameter is a string, an integer or a boolean", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[structQuery])
		}},
		{"an integer header", "a header is a string", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[intHeader])
		}},
		{"two callers", `kit:"caller", on one string field`, func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[twoCallers])
		}},
		{"another kit role", `kit:"caller", on one string field`, func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[otherRole])
		}},
		{"an unexported field", "is unexported", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[hidden])
		}},
		{"a malformed pattern", `pattern "POST stories/{id}"`, func(s *resource.Service) error {
			return resource.Handle(s, "POST stories/{id}", resource.Op{}, noop[fine])
		}},
		{"an unknown method", `pattern "FETCH /stories/{id}/x"`, func(s *resource.Service) error {
			return resource.Handle(s, "FETCH /stories/{id}/x", resource.Op{}, noop[fine])
		}},
		{"a parameter twice", "{id} is in the path twice", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x/{id}", resource.Op{}, noop[fine])
		}},
		{"a problem that is not a kit.Error", "is not a client-facing *kit.Error", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{Problems: []error{kit.ErrConflict}}, noop[fine])
		}},
		{"a status without an entity", "does not carry an entity", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{Status: http.StatusNoContent}, noop[fine])
		}},
		{"no content at another status", "answers 204, not 200", func(s *resource.Service) error {
			return resource.HandleNoContent(s, "POST /stories/{id}/x", resource.Op{Status: http.StatusOK},
				func(context.Context, fine) error { return nil })
		}},
		{"an entity nobody serves", "serve or declare it first", func(s *resource.Service) error {
			return resource.Handle(s, "POST /stories/{id}/x", resource.Op{},
				func(context.Context, fine) (kit.Versioned[Kudo], error) { return kit.Versioned[Kudo]{}, nil })
		}},
		{"a command that has a handler", "already has a handler", func(s *resource.Service) error {
			return errors.Join(resource.Handle(s, "POST /stories/{id}/x", resource.Op{}, noop[fine]),
				resource.Handle(s, "POST /stories/{id}/y", resource.Op{}, noop[fine]))
		}},
		{"a route another has", `conflicts with "GET /stories/{id}"`, func(s *resource.Service) error {
			return resource.Handle(s, "GET /stories/{storyId}", resource.Op{},
				func(context.Context, struct {
					ID string `path:"storyId"`
				}) (kit.Versioned[Story], error) {
					return kit.Versioned[Story]{}, nil
				})
		}},
		{"a child declared before its parent", "serve or declare STORY before its child KUDO", func(*resource.Service) error {
			return resource.Declare[Kudo](resource.NewService(command.NewBus(), apigw.NewRouter(zap.NewNop()), nil, nil, nil))
		}},
		{"a kind declared twice", "KUDO is served or declared already", func(s *resource.Service) error {
			return errors.Join(resource.Declare[Kudo](s), resource.Declare[Kudo](s))
		}},
		{"a declared kind without an id", `has no field tagged kit:"id"`, func(s *resource.Service) error {
			return resource.Declare[noID](s)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			golden.Memory(t, func(s *resource.Service) error {
				if err := resource.Serve[Story, CreateStory, UpdateStory](s, "/stories"); err != nil {
					return err
				}
				err = tc.register(s)
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// TestCaller: the verified caller, or 401.
func TestCaller(t *testing.T) {
	got, err := resource.Caller(kit.WithRequestInfo(context.Background(), kit.RequestInfo{Caller: "arn:aws:iam::1:user/a"}))
	if got != "arn:aws:iam::1:user/a" || err != nil {
		t.Errorf("Caller = %q, %v", got, err)
	}
	if _, err := resource.Caller(context.Background()); !errors.Is(err, kit.ErrUnauthenticated) || !errors.Is(err, resource.ErrNoCaller) {
		t.Errorf("Caller without one = %v, want ErrNoCaller (401)", err)
	}
}

// TestDeclaredKindHasEvents: a declared kind's writes raise its events,
// rendered as the API would show it, and it has no routes.
func TestDeclaredKindHasEvents(t *testing.T) {
	svc := golden.Memory(t, serveStories)
	for _, r := range svc.Router.Routes() {
		if strings.Contains(r, "kudo") && r != "POST /stories/{id}/kudos" {
			t.Errorf("a declared kind got a route: %s", r)
		}
	}
	want(t, svc, call("POST", "/stories", `{"title":"Tide"}`), http.StatusCreated)
	svc.Events(t)
	u := svc.Storage.Begin()
	u.Create(Kudo{ID: kit.NameID("x"), StoryID: id(1), Caller: "c"}, id(1))
	if err := u.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := svc.Events(t)
	if len(evs) != 1 || evs[0].Metadata.Name != "KudoCreated" || evs[0].Metadata.ParentID != id(1) {
		t.Fatalf("events %+v, want KudoCreated under the story", evs)
	}
	var payload map[string]any
	if err := json.Unmarshal(evs[0].Payload, &payload); err != nil || payload["storyId"] != id(1) || len(payload) != 3 {
		t.Errorf("payload %s (%v), want the kudo's three fields", evs[0].Payload, err)
	}
	// Deleting the story takes its kudos with it.
	want(t, svc, call("DELETE", "/stories/"+id(1), ""), http.StatusNoContent)
	if _, err := kit.RepositoryOf[Kudo](svc.Storage, id(1)).Get(context.Background(), kit.NameID("x")); !errors.Is(err, kit.ErrNotFound) {
		t.Errorf("the kudo after its story's delete: %v, want not found", err)
	}
}
