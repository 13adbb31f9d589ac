package products_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
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
	"github.com/lambdakit/lambdakit/kit/repotest"
	"github.com/lambdakit/lambdakit/products"
)

var ddb *dynamotest.Server

func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }

// goldenDir holds one API Gateway event per case (NAME.event.json) and the
// response it must get (NAME.golden.json).
const goldenDir = "../testdata/golden/products"

// Fixed inputs that make every response deterministic.
var (
	seedTime = time.Date(2026, 11, 28, 15, 4, 5, 123e6, time.UTC)
	caseTime = seedTime.Add(time.Hour)
	tokenKey = []byte("golden-test-cursor-signing-key")
)

// seeds are created through the API before every case, at seedTime, with
// ids ...0001 to ...0003; a case that creates gets ...0004.
var seeds = []string{
	`{"name":"Chair","description":"Oak, four legs"}`,
	`{"name":"Desk"}`,
	`{"name":"Lamp","description":"Warm white"}`,
}

// service is the products API over one fresh store.
type service struct {
	router *apigw.Router
	repo   kit.Repository[products.Product]
	clock  *fixedClock
}

type fixedClock struct{ now time.Time }

func (c *fixedClock) Now() time.Time { return c.now }

// sequence hands out ids 00000000-0000-7000-8000-000000000001 and up, safely
// from racing requests.
type sequence struct{ n atomic.Int64 }

func (s *sequence) NewID() string {
	return fmt.Sprintf("00000000-0000-7000-8000-%012d", s.n.Add(1))
}

// store is one adapter's storage: the product repository and the
// idempotency records that commit with it.
type store struct {
	repo kit.Repository[products.Product]
	idem idempotency.Store
}

func newService(t testing.TB, s store) *service {
	t.Helper()
	clock := &fixedClock{now: seedTime}
	bus := command.NewBus()
	if err := products.NewHandlers(s.repo, clock, &sequence{}).Register(bus); err != nil {
		t.Fatal(err)
	}
	router := apigw.NewRouter(zap.NewNop(), apigw.WithIdempotency(s.idem, clock))
	products.Routes(router, bus)
	return &service{router: router, repo: s.repo, clock: clock}
}

// adapters are the stores every golden case runs against.
func adapters(t *testing.T) map[string]func(t *testing.T) store {
	tokens, err := cursor.New(tokenKey)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]func(t *testing.T) store{
		"memory": func(*testing.T) store {
			idem := memory.NewIdempotency()
			return store{memory.NewRepository[products.Product](tokens, memory.WithIdempotency(idem)), idem}
		},
		"dynamo": func(t *testing.T) store {
			table := ddb.NewTable(t)
			// Items of another kind share the table: products must
			// never list or touch them.
			others := dynamo.NewRepository[repotest.Tag](table, tokens)
			for i := range 5 {
				if _, err := others.Create(context.Background(), repotest.Tag{ID: fmt.Sprintf("other-%d", i)}); err != nil {
					t.Fatal(err)
				}
			}
			return store{dynamo.NewRepository[products.Product](table, tokens), dynamo.NewIdempotency(table)}
		},
	}
}

func TestGolden(t *testing.T) {
	events, err := filepath.Glob(filepath.Join(goldenDir, "*.event.json"))
	if err != nil || len(events) == 0 {
		t.Fatalf("no golden cases in %s (%v)", goldenDir, err)
	}
	for name, newStore := range adapters(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			for _, path := range events {
				name := strings.TrimSuffix(filepath.Base(path), ".event.json")
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					runGolden(t, newService(t, newStore(t)), path)
				})
			}
		})
	}
}

func runGolden(t *testing.T, svc *service, eventPath string) {
	for _, body := range seeds {
		resp := svc.invoke(t, events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/products", Body: body})
		if resp.StatusCode != 201 {
			t.Fatalf("seed %s: %d %s", body, resp.StatusCode, resp.Body)
		}
	}
	before := snapshot(t, svc.repo)

	var ev events.APIGatewayProxyRequest
	readJSON(t, eventPath, &ev)
	svc.clock.now = caseTime
	got := render(t, svc.invoke(t, ev))

	golden.Assert(t, strings.TrimSuffix(eventPath, ".event.json")+".golden.json", got)

	// A request that fails must leave the store exactly as it was.
	var status struct{ StatusCode int }
	_ = json.Unmarshal(got, &status)
	if status.StatusCode >= 400 {
		if after := snapshot(t, svc.repo); !slices.Equal(before, after) {
			t.Errorf("a %d response changed the store:\nbefore %v\nafter  %v", status.StatusCode, before, after)
		}
	}
}

func (s *service) invoke(t *testing.T, ev events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	if ev.RequestContext.Path == "" {
		ev.RequestContext.Path = ev.Path
	}
	resp, err := s.router.Invoke(context.Background(), ev)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return resp
}

// render turns a response into stable, readable JSON: headers sorted, and a
// JSON body embedded as JSON rather than as a string.
func render(t *testing.T, resp events.APIGatewayProxyResponse) []byte {
	t.Helper()
	out := struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       any               `json:"body"`
	}{StatusCode: resp.StatusCode, Headers: resp.Headers}
	if resp.Body != "" {
		var v any
		if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
			t.Fatalf("body is not JSON: %q", resp.Body)
		}
		out.Body = v
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// snapshot lists every product with its version, through the port.
func snapshot(t *testing.T, repo kit.Repository[products.Product]) []string {
	t.Helper()
	var out []string
	token := ""
	for {
		page, err := repo.List(context.Background(), kit.PageRequest{Size: 100, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Items {
			v, err := repo.Get(context.Background(), p.ID)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%+v@v%d", v.Entity, v.Version))
		}
		if token = page.Next; token == "" {
			return out
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
