package products

import (
	"time"

	"github.com/lambdakit/lambdakit/kit"
)

// Review is a customer's review of a product. It lives in its product's
// item collection, is listed with it and is deleted with it. Its author,
// the verified caller who wrote it, is its owner: nobody else may change
// or delete it.
type Review struct {
	ID             string    `json:"id" kit:"id"`
	ProductID      string    `json:"productId" kit:"parent"`
	Rating         int       `json:"rating"`
	Comment        string    `json:"comment,omitempty"`
	Author         string    `json:"author,omitempty" kit:"owner"`
	CreateDate     time.Time `json:"createDate" kit:"created"`
	LastUpdateDate time.Time `json:"lastUpdateDate" kit:"updated"`
	HelpfulCount   int       `json:"helpfulCount,omitempty" kit:"server"`
}

// EntityKind implements kit.Entity.
func (Review) EntityKind() string { return "REVIEW" }

// EntityID implements kit.Entity.
func (r Review) EntityID() string { return r.ID }

// Indexes implements kit.Indexed: GET /reviews?author=ARN lists an
// author's reviews of every product, newest first.
func (Review) Indexes() []kit.Index {
	return []kit.Index{{By: []string{"author"}, Descending: true}}
}

// ParentKind implements kit.Child.
func (Review) ParentKind() string { return Kind }

// CreateReview is the body of POST /products/{id}/reviews.
type CreateReview struct {
	Rating  *int   `json:"rating" validate:"required,min=1,max=5"`
	Comment string `json:"comment" validate:"max=2000"`
}

// UpdateReview is the body of PUT /products/{id}/reviews/{reviewId}.
type UpdateReview struct {
	Rating  *int    `json:"rating" validate:"omitnil,min=1,max=5"`
	Comment *string `json:"comment" validate:"omitnil,max=2000"`
}
