package products_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/kit/repotest"
)

// createProduct creates a product with count reviews and returns its id.
func createProduct(t *testing.T, svc *golden.Service, count int) string {
	t.Helper()
	resp := svc.Invoke(t, request("POST", "/products", `{"name":"Reviewed"}`))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create product: %d %s", resp.StatusCode, resp.Body)
	}
	id := resp.Headers["Location"][len("/products/"):]
	repotest.Parallel(t, count, func(i int) error {
		resp := svc.Invoke(t, request("POST", "/products/"+id+"/reviews", fmt.Sprintf(`{"rating":%d}`, i%5+1)))
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("review %d: %d %s", i, resp.StatusCode, resp.Body)
		}
		return nil
	})
	return id
}

// leftovers counts the items of a product's collection in the store.
// leftovers counts the items of the product's collection. Outbox items,
// which record each deleted item's last state for its event, do not count.
func leftovers(svc *golden.Service, id string) int {
	n := 0
	for _, line := range svc.Snapshot() {
		if strings.Contains(line, "PRODUCT#"+id) && !strings.Contains(line, dynamo.KindOutbox) {
			n++
		}
	}
	return n
}

func TestIncludeReviewsPagesOn(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			id := createProduct(t, svc, 25)
			resp := svc.Invoke(t, request("GET", "/products/"+id, ""))
			with := svc.Invoke(t, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/products/" + id,
				QueryStringParameters: map[string]string{"include": "reviews"}})
			var got struct {
				Name             string
				Reviews          []struct{ ID string }
				ReviewsNextToken string
			}
			if err := json.Unmarshal([]byte(with.Body), &got); err != nil || with.StatusCode != http.StatusOK {
				t.Fatalf("include: %d %s", with.StatusCode, with.Body)
			}
			if got.Name != "Reviewed" || len(got.Reviews) != 20 || got.ReviewsNextToken == "" {
				t.Fatalf("include gave %q with %d reviews, next %q; want 20 and a token", got.Name, len(got.Reviews), got.ReviewsNextToken)
			}
			if with.Headers["ETag"] != resp.Headers["ETag"] {
				t.Errorf("ETag with include %s, without %s: want the product's own", with.Headers["ETag"], resp.Headers["ETag"])
			}
			rest := svc.Invoke(t, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/products/" + id + "/reviews",
				QueryStringParameters: map[string]string{"nextToken": got.ReviewsNextToken}})
			var page struct {
				Reviews   []struct{ ID string }
				NextToken string
			}
			if err := json.Unmarshal([]byte(rest.Body), &page); err != nil || rest.StatusCode != http.StatusOK {
				t.Fatalf("the reviews after: %d %s", rest.StatusCode, rest.Body)
			}
			if len(page.Reviews) != 5 || page.NextToken != "" || page.Reviews[0].ID <= got.Reviews[19].ID {
				t.Errorf("the reviews after the included 20: %d, next %q, first %s after %s", len(page.Reviews), page.NextToken, page.Reviews[0].ID, got.Reviews[19].ID)
			}
		})
	}
}

func TestDeleteProductRemovesEveryReview(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			id := createProduct(t, svc, 150)
			other := createProduct(t, svc, 2)
			if n := leftovers(svc, id); n != 151 {
				t.Fatalf("%d items in the product's collection, want 151", n)
			}
			if resp := svc.Invoke(t, request("DELETE", "/products/"+id, "")); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("delete: %d %s", resp.StatusCode, resp.Body)
			}
			if n := leftovers(svc, id); n != 0 {
				t.Errorf("%d items of the product's collection remain after the 204", n)
			}
			if resp := svc.Invoke(t, request("GET", "/products/"+id+"/reviews", "")); resp.StatusCode != http.StatusNotFound {
				t.Errorf("reviews of a deleted product: %d, want 404", resp.StatusCode)
			}
			if n := leftovers(svc, other); n != 3 {
				t.Errorf("another product's collection has %d items, want 3", n)
			}
		})
	}
}

func TestReviewsRacingProductDelete(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			id := createProduct(t, svc, 0)
			evs := []events.APIGatewayProxyRequest{request("DELETE", "/products/"+id, "")}
			for i := range racers {
				evs = append(evs, request("POST", "/products/"+id+"/reviews", fmt.Sprintf(`{"rating":%d}`, i%5+1)))
			}
			created := 0
			for i, resp := range race(t, svc, evs) {
				switch {
				case i == 0 && resp.StatusCode != http.StatusNoContent:
					t.Errorf("delete: %d %s", resp.StatusCode, resp.Body)
				case i > 0 && resp.StatusCode == http.StatusCreated:
					created++
				case i > 0 && resp.StatusCode != http.StatusNotFound:
					t.Errorf("review %d: %d %s, want 201 or 404", i, resp.StatusCode, resp.Body)
				}
			}
			if n := leftovers(svc, id); n != 0 {
				t.Errorf("%d items remain after a delete that raced %d creates (%d created)", n, racers, created)
			}
			t.Logf("%d of %d racing reviews were created before the delete", created, racers)
		})
	}
}

func TestIdempotentReviewCreate(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			id := createProduct(t, svc, 0)
			ev := request("POST", "/products/"+id+"/reviews", `{"rating":5}`)
			ev.Headers = map[string]string{"Idempotency-Key": "review-once"}
			first, retry := svc.Invoke(t, ev), svc.Invoke(t, ev)
			if first.StatusCode != http.StatusCreated || retry.StatusCode != http.StatusCreated || retry.Body != first.Body ||
				retry.Headers["Location"] != first.Headers["Location"] || retry.Headers["Idempotent-Replayed"] != "true" {
				t.Errorf("first %d %v %s\nretry %d %v %s", first.StatusCode, first.Headers, first.Body, retry.StatusCode, retry.Headers, retry.Body)
			}
			list := svc.Invoke(t, request("GET", "/products/"+id+"/reviews", ""))
			if n := strings.Count(list.Body, `"rating"`); n != 1 {
				t.Errorf("%d reviews after a retried create, want 1", n)
			}
		})
	}
}
