package products_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit/golden"
)

// These tests race real requests against each adapter, DynamoDB Local
// included, and check the invariants the kit promises under concurrency.

const racers = 8

func post(body, key, caller string) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/products", Body: body,
		Headers: map[string]string{"Idempotency-Key": key}}
	ev.RequestContext.Identity.UserArn = caller
	return ev
}

// race invokes every event at once and returns the responses in order.
func race(t *testing.T, svc *golden.Service, evs []events.APIGatewayProxyRequest) []events.APIGatewayProxyResponse {
	t.Helper()
	out := make([]events.APIGatewayProxyResponse, len(evs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, ev := range evs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, err := svc.Router.Invoke(context.Background(), ev)
			if err != nil {
				t.Errorf("invoke: %v", err)
			}
			out[i] = resp
		}()
	}
	close(start)
	wg.Wait()
	return out
}

func TestConcurrentPutsOneWinner(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			created := svc.Invoke(t, events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/products", Body: `{"name":"Racer"}`})
			var p struct{ ID string }
			if err := json.Unmarshal([]byte(created.Body), &p); err != nil {
				t.Fatal(err)
			}
			evs := make([]events.APIGatewayProxyRequest, racers)
			for i := range evs {
				evs[i] = events.APIGatewayProxyRequest{HTTPMethod: "PUT", Path: "/products/" + p.ID,
					Headers: map[string]string{"If-Match": created.Headers["ETag"]},
					Body:    fmt.Sprintf(`{"name":"writer %d"}`, i)}
			}
			winner := -1
			for i, resp := range race(t, svc, evs) {
				switch resp.StatusCode {
				case http.StatusOK:
					if winner >= 0 {
						t.Fatalf("writers %d and %d both got 200", winner, i)
					}
					winner = i
				case http.StatusPreconditionFailed:
				default:
					t.Fatalf("writer %d: %d %s", i, resp.StatusCode, resp.Body)
				}
			}
			if winner < 0 {
				t.Fatal("no writer got 200")
			}
			got := svc.Invoke(t, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/products/" + p.ID})
			var stored struct{ Name string }
			if err := json.Unmarshal([]byte(got.Body), &stored); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf("writer %d", winner); stored.Name != want || got.Headers["ETag"] != `"2"` {
				t.Errorf("stored %q at %s, want the winner's %q at \"2\"", stored.Name, got.Headers["ETag"], want)
			}
		})
	}
}

func TestIdempotentCreate(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			t.Run("retry replays the first response", func(t *testing.T) {
				svc := newService(t)
				first := svc.Invoke(t, post(`{"name":"Once"}`, "k-1", "arn:aws:iam::1:user/a"))
				retry := svc.Invoke(t, post(`{"name":"Once"}`, "k-1", "arn:aws:iam::1:user/a"))
				if first.StatusCode != 201 || retry.StatusCode != 201 {
					t.Fatalf("statuses %d, %d, want 201, 201", first.StatusCode, retry.StatusCode)
				}
				if retry.Body != first.Body || retry.Headers["Location"] != first.Headers["Location"] || retry.Headers["ETag"] != first.Headers["ETag"] {
					t.Errorf("replay differs:\nfirst %v %s\nretry %v %s", first.Headers, first.Body, retry.Headers, retry.Body)
				}
				if first.Headers["Idempotent-Replayed"] != "" || retry.Headers["Idempotent-Replayed"] != "true" {
					t.Errorf("Idempotent-Replayed: first %q, retry %q", first.Headers["Idempotent-Replayed"], retry.Headers["Idempotent-Replayed"])
				}
				if n := countProducts(t, svc); n != 1 {
					t.Errorf("%d products, want 1", n)
				}
			})
			t.Run("same key with another body is 422", func(t *testing.T) {
				svc := newService(t)
				svc.Invoke(t, post(`{"name":"Once"}`, "k-1", ""))
				other := svc.Invoke(t, post(`{"name":"Twice"}`, "k-1", ""))
				if other.StatusCode != http.StatusUnprocessableEntity || other.Headers["Content-Type"] != "application/problem+json" {
					t.Errorf("got %d %s, want a 422 problem", other.StatusCode, other.Body)
				}
				if n := countProducts(t, svc); n != 1 {
					t.Errorf("%d products, want 1", n)
				}
			})
			t.Run("keys are scoped to the caller", func(t *testing.T) {
				svc := newService(t)
				a := svc.Invoke(t, post(`{"name":"Mine"}`, "shared", "arn:aws:iam::1:user/a"))
				b := svc.Invoke(t, post(`{"name":"Mine"}`, "shared", "arn:aws:iam::1:user/b"))
				if a.StatusCode != 201 || b.StatusCode != 201 || a.Body == b.Body || b.Headers["Idempotent-Replayed"] != "" {
					t.Errorf("caller b got caller a's response: %d %s / %d %s", a.StatusCode, a.Body, b.StatusCode, b.Body)
				}
				if n := countProducts(t, svc); n != 2 {
					t.Errorf("%d products, want 2", n)
				}
			})
			t.Run("a rejected request does not use up its key", func(t *testing.T) {
				svc := newService(t)
				bad := svc.Invoke(t, post(`{"name":""}`, "k-2", ""))
				good := svc.Invoke(t, post(`{"name":"Fixed"}`, "k-2", ""))
				if bad.StatusCode != 400 || good.StatusCode != 201 {
					t.Errorf("statuses %d, %d, want 400, 201", bad.StatusCode, good.StatusCode)
				}
			})
			t.Run("concurrent duplicates create one product", func(t *testing.T) {
				svc := newService(t)
				evs := make([]events.APIGatewayProxyRequest, racers)
				for i := range evs {
					evs[i] = post(`{"name":"Rush"}`, "k-race", "arn:aws:iam::1:user/a")
				}
				var original string
				var conflicts, replays int
				for i, resp := range race(t, svc, evs) {
					switch {
					case resp.StatusCode == http.StatusConflict:
						conflicts++
					case resp.StatusCode == http.StatusCreated && resp.Headers["Idempotent-Replayed"] == "":
						if original != "" {
							t.Fatalf("request %d created a second product", i)
						}
						original = resp.Body
					case resp.StatusCode == http.StatusCreated:
						replays++
					default:
						t.Fatalf("request %d: %d %s", i, resp.StatusCode, resp.Body)
					}
				}
				if n := countProducts(t, svc); n != 1 {
					t.Errorf("%d products after %d racing duplicates, want 1", n, racers)
				}
				if original == "" {
					t.Error("no request created the product")
				}
				t.Logf("%d racing duplicates: 1 created, %d replayed, %d conflicts", racers, replays, conflicts)
			})
		})
	}
}

// TestSKURaces races writers for one SKU, through the router, on each
// adapter: creates, then updates of two products; exactly one holds it, and
// no uniqueness item is left without the product that holds it.
func TestSKURaces(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			evs := make([]events.APIGatewayProxyRequest, racers)
			for i := range evs {
				evs[i] = post(fmt.Sprintf(`{"name":"racer %d","sku":"RACE-1"}`, i), "", tester)
				delete(evs[i].Headers, "Idempotency-Key")
			}
			created, conflicts := 0, 0
			for i, resp := range race(t, svc, evs) {
				switch resp.StatusCode {
				case http.StatusCreated:
					created++
				case http.StatusConflict:
					conflicts++
				default:
					t.Fatalf("create %d: %d %s", i, resp.StatusCode, resp.Body)
				}
			}
			if created != 1 || conflicts != racers-1 {
				t.Errorf("%d racing creates of one SKU: %d created, %d conflicts; want 1 and %d", racers, created, conflicts, racers-1)
			}
			ids := make([]string, 2)
			for i := range ids {
				resp := svc.Invoke(t, request("POST", "/products", fmt.Sprintf(`{"name":"holder %d","sku":"OWN-%d"}`, i, i)))
				var p struct{ ID string }
				if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || resp.StatusCode != http.StatusCreated {
					t.Fatalf("create: %d %s", resp.StatusCode, resp.Body)
				}
				ids[i] = p.ID
			}
			// Two products race to take one SKU by update, round after round.
			const rounds = 5
			for round := range rounds {
				sku := fmt.Sprintf("TAKEN-%d", round)
				updates := []events.APIGatewayProxyRequest{
					request("PUT", "/products/"+ids[0], `{"sku":"`+sku+`"}`),
					request("PUT", "/products/"+ids[1], `{"sku":"`+sku+`"}`),
				}
				won := map[string]bool{}
				for i, resp := range race(t, svc, updates) {
					switch resp.StatusCode {
					case http.StatusOK:
						won[ids[i]] = true
					case http.StatusConflict:
					default:
						t.Fatalf("round %d, update %d: %d %s", round, i, resp.StatusCode, resp.Body)
					}
				}
				if len(won) != 1 {
					t.Errorf("round %d: products that took the SKU: %v, want exactly one", round, won)
				}
				find := request("GET", "/products", "")
				find.QueryStringParameters = map[string]string{"sku": sku}
				list := svc.Invoke(t, find)
				var page struct{ Products []struct{ ID, SKU string } }
				if err := json.Unmarshal([]byte(list.Body), &page); err != nil || len(page.Products) != 1 || !won[page.Products[0].ID] {
					t.Errorf("round %d: GET ?sku=%s: %d %s, want the winner", round, sku, list.StatusCode, list.Body)
				}
			}
			t.Logf("%d racing creates: %d created, %d conflicts; %d rounds of two racing updates: one holder each", racers, created, conflicts, rounds)
		})
	}
}
