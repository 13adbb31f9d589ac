package products

import (
	"context"
	"errors"
	"math"
	"slices"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
)

// summarize keeps a product's reviewCount and averageRating in step with
// its reviews. Each time a review is created, deleted or has its rating
// changed, it counts the product's reviews again, in pages of 100 from
// the product's own partition (strongly consistent), and writes the
// result as a derived write: no new version, no event.
//
// Counting again rather than adding the change makes the summary exact
// under redelivery and in any order: an event delivered twice, or late,
// finds the same reviews and writes the same summary. It costs a read of
// the product's reviews per review write, about 0.5 RCU per 100 reviews.
func summarize(storage kit.Storage) func(context.Context, event.Of[Review]) error {
	return func(ctx context.Context, e event.Of[Review]) error {
		if e.What() == event.Updated && !slices.Contains(e.Changed, "rating") {
			return nil
		}
		reviews := kit.RepositoryOf[Review](storage, e.ParentID)
		count, sum := 0, 0
		for token := ""; ; {
			page, err := reviews.List(ctx, kit.PageRequest{Size: 100, Token: token})
			if errors.Is(err, kit.ErrNotFound) {
				return nil // the product is gone, and its summary with it
			}
			if err != nil {
				return err //nolint:wrapcheck // the storage port's errors are the kit's
			}
			for _, r := range page.Items {
				count, sum = count+1, sum+r.Rating
			}
			if token = page.Next; token == "" {
				break
			}
		}
		patch := kit.Patch{Derived: true}
		if count == 0 {
			patch.Remove = []string{"reviewCount", "averageRating"}
		} else {
			patch.Set = map[string]any{"reviewCount": count, "averageRating": math.Round(float64(sum)/float64(count)*10) / 10}
		}
		_, err := kit.RepositoryOf[Product](storage, "").Update(ctx, e.ParentID, patch, kit.AnyVersion)
		if errors.Is(err, kit.ErrNotFound) {
			return nil
		}
		return err //nolint:wrapcheck // the storage port's errors are the kit's
	}
}
