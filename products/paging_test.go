package products_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/golden"
	"github.com/lambdakit/lambdakit/kit/repotest"
	"github.com/lambdakit/lambdakit/products"
)

// TestPagingThousandsMixedKinds pages through 1,000 products, created on 8
// goroutines and listed over 8 shards, that share a DynamoDB Local table
// with 1,000 items of another kind and 300 reviews in the products' own
// partitions, over the API: every page but the last is full, and every
// product appears exactly once, in id order, and nothing else.
func TestPagingThousandsMixedKinds(t *testing.T) {
	const count = 1000
	svc := golden.Dynamo(t, ddb, products.Register)
	router := svc.Router
	others := kit.RepositoryOf[repotest.Tag](svc.Storage, "")
	created := make(map[string]bool, count)
	var mu sync.Mutex
	repotest.Parallel(t, count, func(i int) error {
		if _, err := others.Create(context.Background(), repotest.Tag{ID: fmt.Sprintf("other-%04d", i)}); err != nil {
			return err
		}
		resp, err := router.Invoke(context.Background(), events.APIGatewayProxyRequest{
			HTTPMethod: "POST", Path: "/products", Body: fmt.Sprintf(`{"name":"product %d"}`, i),
		})
		if err != nil {
			return fmt.Errorf("create %d: %w", i, err)
		}
		if resp.StatusCode != 201 {
			return fmt.Errorf("create %d: %d %s", i, resp.StatusCode, resp.Body)
		}
		var p struct{ ID string }
		if err := json.Unmarshal([]byte(resp.Body), &p); err != nil {
			return err
		}
		mu.Lock()
		created[p.ID] = true
		mu.Unlock()
		for range map[bool]int{true: 3, false: 0}[i%10 == 0] {
			if resp, err := router.Invoke(context.Background(), events.APIGatewayProxyRequest{
				HTTPMethod: "POST", Path: "/products/" + p.ID + "/reviews", Body: `{"rating":5}`,
			}); err != nil {
				return fmt.Errorf("review of %d: %w", i, err)
			} else if resp.StatusCode != 201 {
				return fmt.Errorf("review of %d: %d %s", i, resp.StatusCode, resp.Body)
			}
		}
		return nil
	})

	for _, size := range []int{100, 7} {
		t.Run(fmt.Sprintf("pageSize=%d", size), func(t *testing.T) {
			seen, last := map[string]bool{}, ""
			token, pages := "", 0
			for {
				q := url.Values{"pageSize": {fmt.Sprint(size)}}
				if token != "" {
					q.Set("nextToken", token)
				}
				resp, err := router.Invoke(context.Background(), events.APIGatewayProxyRequest{
					HTTPMethod: "GET", Path: "/products", QueryStringParameters: map[string]string{"pageSize": q.Get("pageSize"), "nextToken": q.Get("nextToken")},
				})
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("page %d: %d %s", pages+1, resp.StatusCode, resp.Body)
				}
				pages++
				var page struct {
					Products  []struct{ ID string }
					NextToken string
				}
				if err := json.Unmarshal([]byte(resp.Body), &page); err != nil {
					t.Fatal(err)
				}
				if page.NextToken != "" && len(page.Products) != size {
					t.Fatalf("page %d has %d products before the end, want %d", pages, len(page.Products), size)
				}
				for _, p := range page.Products {
					if !created[p.ID] {
						t.Fatalf("page %d lists %s, which is not a product created here", pages, p.ID)
					}
					if seen[p.ID] {
						t.Fatalf("page %d repeats %s", pages, p.ID)
					}
					if p.ID <= last {
						t.Fatalf("page %d lists %s after %s: want creation (id) order across the 8 shards", pages, p.ID, last)
					}
					seen[p.ID], last = true, p.ID
				}
				if token = page.NextToken; token == "" {
					break
				}
			}
			if len(seen) != count {
				t.Errorf("listed %d products, want %d", len(seen), count)
			}
			if want := (count + size - 1) / size; pages != want {
				t.Errorf("%d pages, want %d", pages, want)
			}
		})
	}
}
