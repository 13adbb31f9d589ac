package products

import (
	"context"
	"errors"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// Vote is one caller's mark that a review helped. Its id is derived from
// the review and the caller, so a second mark by the same caller is a
// conflict. It lives in the product's collection (children are one level
// deep) and goes with the product.
type Vote struct {
	ID       string `json:"id" kit:"id"`
	ReviewID string `json:"reviewId"`
	Caller   string `json:"caller"`
}

// EntityKind implements kit.Entity.
func (Vote) EntityKind() string { return "VOTE" }

// EntityID implements kit.Entity.
func (v Vote) EntityID() string { return v.ID }

// ParentKind implements kit.Child.
func (Vote) ParentKind() string { return Kind }

// MarkHelpful is POST /products/{id}/reviews/{reviewId}/helpful.
type MarkHelpful struct {
	ProductID string `path:"id"`
	ReviewID  string `path:"reviewId"`
	Caller    string `kit:"caller"`
}

var errVoted = kit.Errorf(kit.ErrConflict, "you have already marked this review helpful")

// markHelpful stores the caller's vote and adds it to the review's
// helpfulCount in one transaction: a derived write, so the author's
// If-Match still holds.
func markHelpful(s *resource.Service) func(context.Context, MarkHelpful) (kit.Versioned[Review], error) {
	return func(ctx context.Context, in MarkHelpful) (kit.Versioned[Review], error) {
		u := s.Storage.Begin()
		u.Create(Vote{ID: kit.NameID(in.ReviewID, in.Caller), ReviewID: in.ReviewID, Caller: in.Caller}, in.ProductID)
		u.Update(Review{}, in.ProductID, in.ReviewID, kit.Patch{Add: map[string]int64{"helpfulCount": 1}, Derived: true}, kit.AnyVersion)
		if err := u.Commit(ctx); errors.Is(kit.FailedAt(err, 0), kit.ErrConflict) {
			return kit.Versioned[Review]{}, errVoted
		} else if err != nil {
			return kit.Versioned[Review]{}, err
		}
		return kit.RepositoryOf[Review](s.Storage, in.ProductID).Get(ctx, in.ReviewID)
	}
}
