package products_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/lambdakit/lambdakit/kit/dynamo"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/products"
)

func TestHelpfulGolden(t *testing.T) {
	golden.Run(t, "../testdata/golden/helpful", ddb, products.Register)
}

// votes counts the vote items stored under the product, outbox items
// (which record deleted items' last state for their events) aside.
func votes(svc *golden.Service, productID string) int {
	n := 0
	for _, line := range svc.Snapshot() {
		if strings.Contains(line, "PRODUCT#"+productID) && strings.Contains(line, "VOTE#") && !strings.Contains(line, dynamo.KindOutbox) {
			n++
		}
	}
	return n
}

// TestProductDeleteRemovesVotes: votes live in their product's collection,
// so deleting the product leaves none behind, on either adapter.
func TestProductDeleteRemovesVotes(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			id := createProduct(t, svc, 2)
			other := createProduct(t, svc, 1)
			var page struct{ Reviews []struct{ ID string } }
			if err := json.Unmarshal([]byte(svc.Invoke(t, request("GET", "/products/"+id+"/reviews", "")).Body), &page); err != nil || len(page.Reviews) != 2 {
				t.Fatalf("the product's reviews: %v %v", page, err)
			}
			mark := func(product, review, caller string) {
				t.Helper()
				ev := request("POST", "/products/"+product+"/reviews/"+review+"/helpful", "")
				ev.RequestContext.Identity.UserArn = caller
				if resp := svc.Invoke(t, ev); resp.StatusCode != http.StatusCreated {
					t.Fatalf("mark %s helpful as %s: %d %s", review, caller, resp.StatusCode, resp.Body)
				}
			}
			for _, r := range page.Reviews {
				mark(id, r.ID, "arn:aws:iam::1:user/a")
				mark(id, r.ID, "arn:aws:iam::1:user/b")
			}
			var otherPage struct{ Reviews []struct{ ID string } }
			_ = json.Unmarshal([]byte(svc.Invoke(t, request("GET", "/products/"+other+"/reviews", "")).Body), &otherPage)
			mark(other, otherPage.Reviews[0].ID, "arn:aws:iam::1:user/a")
			if n := votes(svc, id); n != 4 {
				t.Fatalf("%d vote items under the product, want 4", n)
			}
			if resp := svc.Invoke(t, request("DELETE", "/products/"+id, "")); resp.StatusCode != http.StatusNoContent {
				t.Fatalf("delete: %d %s", resp.StatusCode, resp.Body)
			}
			if n := votes(svc, id); n != 0 {
				t.Errorf("%d vote items remain after the product's delete", n)
			}
			if n := votes(svc, other); n != 1 {
				t.Errorf("another product has %d vote items, want its 1", n)
			}
		})
	}
}
