package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/dynamo/dynamotest"
)

// faultBudget is the request deadline in these tests, and slack what may
// pass beyond it: enough for a loaded machine, small next to a hang.
const (
	faultBudget = 2 * time.Second
	slack       = 1500 * time.Millisecond
)

// wiredRouter starts the service's real wiring (components) against
// endpoint and returns its router and what it logged.
func wiredRouter(t *testing.T, endpoint string, start bool) (*apigw.Router, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.InfoLevel)
	cfg := Config{
		TableName: "faults", Region: "us-east-1", Endpoint: endpoint, LogLevel: "info",
		CursorSecret: []byte("faults-test-cursor-signing-key"), RequestBudget: faultBudget,
	}
	var router *apigw.Router
	app := fxtest.New(t, fx.Supply(cfg, zap.New(core)), components(), fx.Populate(&router))
	if start {
		app.RequireStart()
		t.Cleanup(app.RequireStop)
	}
	return router, logs
}

func get(t *testing.T, r *apigw.Router, path string) (events.APIGatewayProxyResponse, time.Duration) {
	t.Helper()
	start := time.Now()
	resp, err := r.Invoke(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: path})
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	return resp, time.Since(start)
}

// create makes one of the sample entity and returns its path.
func create(t *testing.T, r *apigw.Router, s sample) string {
	t.Helper()
	resp, err := r.Invoke(context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: s.create.Path, Body: s.createBody})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s %v", resp.StatusCode, resp.Body, err)
	}
	var e struct{ ID string }
	if err := json.Unmarshal([]byte(resp.Body), &e); err != nil || e.ID == "" {
		t.Fatalf("create answered %s (%v)", resp.Body, err)
	}
	item, _ := fill(s.get.Path, e.ID)
	return item
}

// check503 asserts a clean, bounded 503 problem that names nothing internal.
func check503(t *testing.T, resp events.APIGatewayProxyResponse, took time.Duration) {
	t.Helper()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" ||
		resp.Headers["Content-Type"] != "application/problem+json" {
		t.Fatalf("got %d %v %s, want a 503 problem with Retry-After", resp.StatusCode, resp.Headers, resp.Body)
	}
	for _, leak := range []string{"dynamo", "Dynamo", "faults", "127.0.0.1", "operation error", "connect"} {
		if strings.Contains(resp.Body, leak) {
			t.Errorf("503 body leaks %q: %s", leak, resp.Body)
		}
	}
	if took > faultBudget+slack {
		t.Errorf("503 took %v, over the %v budget by more than %v", took, faultBudget, slack)
	}
}

// warmEmulator makes a few reads and writes of the faults table before the
// requests that must succeed within faultBudget: a freshly started
// DynamoDB Local answers its first requests to a new table several times
// slower than the rest (its JVM warming), which on a loaded machine
// exceeded the budget and failed the test on the emulator's start-up, not
// on the service. Reads alone left the first write, a create, slow enough
// to fail it on a machine loaded by other test runs.
func warmEmulator(t *testing.T, srv *dynamotest.Server) {
	t.Helper()
	table := dynamo.Table{API: srv.Client(), Name: "faults", Schema: dynamo.Layout()}
	key := map[string]types.AttributeValue{
		dynamo.AttrPK: &types.AttributeValueMemberS{Value: "#warm-write"},
		dynamo.AttrSK: &types.AttributeValueMemberS{Value: "#warm-write"},
	}
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := table.Warm(ctx)
		if err == nil {
			_, err = srv.Client().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("faults"), Item: key})
		}
		if err == nil {
			_, err = srv.Client().DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("faults"), Key: key})
		}
		cancel()
		if err != nil {
			t.Fatalf("warm DynamoDB Local: %v", err)
		}
	}
}

// TestStoreOutageAndRecovery stops DynamoDB Local under a running service:
// requests get bounded 503s, the process keeps serving, and once DynamoDB
// is back requests succeed with no restart.
func TestStoreOutageAndRecovery(t *testing.T) {
	// Read the cases first: warmEmulator warms DynamoDB Local for the
	// requests that follow it at once.
	s := sampleEntity(t)
	srv, err := dynamotest.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	router, logs := wiredRouter(t, srv.Endpoint(), true)
	warmEmulator(t, srv)
	t.Cleanup(func() {
		if t.Failed() {
			for _, e := range logs.All() {
				t.Logf("log: %s %v", e.Message, e.ContextMap())
			}
		}
	})
	item := create(t, router, s)
	if resp, _ := get(t, router, item); resp.StatusCode != http.StatusOK {
		t.Fatalf("get before the outage: %d", resp.StatusCode)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	var worst time.Duration
	for range 5 {
		resp, took := get(t, router, item)
		check503(t, resp, took)
		worst = max(worst, took)
	}
	t.Logf("store down: 5 requests, slowest 503 in %v (budget %v)", worst, faultBudget)
	if n := logs.FilterMessage("request").FilterField(zap.Int("status", 503)).Len(); n != 5 {
		t.Errorf("%d request log lines with status 503, want 5", n)
	}
	for _, e := range logs.FilterMessage("request").FilterField(zap.Int("status", 503)).All() {
		if e.ContextMap()["error"] == nil {
			t.Errorf("a 503 was logged without its cause: %v", e.ContextMap())
		}
	}

	// DynamoDB Local keeps nothing across a restart, so the table comes back
	// empty, as after a restore; what matters is the same process serving.
	if err := srv.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := dynamo.Layout().EnsureTable(context.Background(), srv.Client(), "faults"); err != nil {
		t.Fatal(err)
	}
	warmEmulator(t, srv)
	item = create(t, router, s)
	if resp, _ := get(t, router, item); resp.StatusCode != http.StatusOK {
		t.Errorf("get after recovery: %d %s", resp.StatusCode, resp.Body)
	}
}

// TestStoreHangsIsBounded points the service at an endpoint that accepts
// connections and never answers: the deadline, not the SDK, ends the wait.
func TestStoreHangsIsBounded(t *testing.T) {
	ln, err := new(net.ListenConfig).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = conn.Close() })
		}
	}()
	// Not started: starting creates the table, which would hang too. fx
	// wires everything, routes included, before start.
	router, _ := wiredRouter(t, "http://"+ln.Addr().String(), false)
	missing, _ := fill(sampleEntity(t).get.Path, "00000000-0000-7000-8000-000000000001")
	resp, took := get(t, router, missing)
	check503(t, resp, took)
	t.Logf("store hangs: 503 in %v (budget %v)", took, faultBudget)
}
