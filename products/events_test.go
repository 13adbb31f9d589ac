package products_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/products"
)

// TestWritesThatDoNotHappenRaiseNothing covers the writes the golden cases
// cannot: a replayed Idempotency-Key (a 201 that writes nothing), and a
// PUT that loses an If-Match race after another PUT took its version.
func TestWritesThatDoNotHappenRaiseNothing(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			post := events.APIGatewayProxyRequest{HTTPMethod: "POST", Path: "/products", Body: `{"name":"Lamp"}`,
				Headers: map[string]string{"Idempotency-Key": "replay-me"}}
			first := svc.Invoke(t, post)
			if first.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", first.StatusCode, first.Body)
			}
			if got := svc.Events(t); len(got) != 1 || got[0].Metadata.Name != "ProductCreated" {
				t.Fatalf("the create raised %v, want one ProductCreated", got)
			}
			replay := svc.Invoke(t, post)
			if replay.StatusCode != http.StatusCreated || replay.Headers["Idempotent-Replayed"] != "true" {
				t.Fatalf("replay: %d %v", replay.StatusCode, replay.Headers)
			}
			if got := svc.Events(t); len(got) != 0 {
				t.Errorf("a replay raised %v, want nothing", got)
			}

			var p struct{ ID string }
			_ = json.Unmarshal([]byte(first.Body), &p)
			put := func(name string) events.APIGatewayProxyResponse {
				return svc.Invoke(t, events.APIGatewayProxyRequest{HTTPMethod: "PUT", Path: "/products/" + p.ID,
					Body: `{"name":"` + name + `"}`, Headers: map[string]string{"If-Match": `"1"`}})
			}
			if resp := put("Desk lamp"); resp.StatusCode != http.StatusOK {
				t.Fatalf("first PUT: %d", resp.StatusCode)
			}
			if resp := put("Floor lamp"); resp.StatusCode != http.StatusPreconditionFailed {
				t.Fatalf("second PUT with the same tag: %d, want 412", resp.StatusCode)
			}
			got := svc.Events(t)
			if len(got) != 1 || got[0].Metadata.Name != "ProductUpdated" || got[0].Metadata.Version != 2 {
				t.Errorf("two PUTs, one lost: raised %v, want the winner's ProductUpdated at version 2 alone", got)
			}
		})
	}
}

// TestReviewSummary runs the summary consumer on the events the service
// raises, as the event function does, in order, then all of them again
// and in reverse: the summary is exact however they are delivered.
func TestReviewSummary(t *testing.T) {
	for name, newService := range adapters() {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			ctx := context.Background()
			id := createProduct(t, svc, 0)
			var reviews []string
			for _, rating := range []string{"5", "4", "2"} {
				resp := svc.Invoke(t, request("POST", "/products/"+id+"/reviews", `{"rating":`+rating+`}`))
				var r struct{ ID string }
				_ = json.Unmarshal([]byte(resp.Body), &r)
				reviews = append(reviews, r.ID)
			}
			svc.Invoke(t, request("PUT", "/products/"+id+"/reviews/"+reviews[1], `{"rating":1}`))
			svc.Invoke(t, request("DELETE", "/products/"+id+"/reviews/"+reviews[2], ""))
			raised := svc.Events(t)
			tagBefore := svc.Invoke(t, request("GET", "/products/"+id, "")).Headers["ETag"]

			deliver := func(evs []event.Event) {
				for _, ev := range evs {
					if err := svc.Service.Events.Dispatch(ctx, ev); err != nil {
						t.Fatalf("consume %s: %v", ev.Metadata.Name, err)
					}
				}
			}
			check := func(when string) {
				t.Helper()
				v, err := kit.RepositoryOf[products.Product](svc.Storage, "").Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if v.Entity.ReviewCount != 2 || v.Entity.AverageRating != 3 || v.Version != 1 {
					t.Errorf("%s: %d reviews, average %v, version %d; want 2, 3 (5 and 1), and the version untouched",
						when, v.Entity.ReviewCount, v.Entity.AverageRating, v.Version)
				}
			}
			deliver(raised)
			check("in order")
			deliver(raised)
			check("delivered twice")
			reversed := slices.Clone(raised)
			slices.Reverse(reversed)
			deliver(reversed)
			check("in reverse")
			if got := svc.Events(t); len(got) != 0 {
				t.Errorf("the summary's derived writes raised %v, want nothing", got)
			}

			resp := svc.Invoke(t, request("GET", "/products/"+id, ""))
			if resp.Headers["ETag"] == tagBefore {
				t.Errorf("ETag %s unchanged by the summary: a cached copy would never see it", tagBefore)
			}
			stale := svc.Invoke(t, events.APIGatewayProxyRequest{HTTPMethod: "GET", Path: "/products/" + id,
				Headers: map[string]string{"If-None-Match": tagBefore}})
			if stale.StatusCode != http.StatusOK {
				t.Errorf("If-None-Match with the tag from before the summary: %d, want 200", stale.StatusCode)
			}
			upd := svc.Invoke(t, events.APIGatewayProxyRequest{HTTPMethod: "PUT", Path: "/products/" + id,
				Body: `{"name":"Renamed"}`, Headers: map[string]string{"If-Match": tagBefore}})
			if upd.StatusCode != http.StatusOK {
				t.Errorf("If-Match with the tag from before the summary: %d, want 200 (the summary is not the client's to race)", upd.StatusCode)
			}
			var body map[string]any
			_ = json.Unmarshal([]byte(upd.Body), &body)
			if body["reviewCount"] != 2.0 || body["averageRating"] != 3.0 {
				t.Errorf("the product shows %v, want reviewCount 2 and averageRating 3", body)
			}
		})
	}
}
