// Package products is the products service: the Product entity and its
// reviews, declared for the kit's generic resources, which store them in
// one item collection and serve them over HTTP.
package products

import (
	"errors"
	"net/http"
	"time"

	"go.uber.org/fx"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/event"
	"github.com/lambdakit/lambdakit/kit/resource"
)

// Kind is the entity kind products are stored under.
const Kind = "PRODUCT"

// Product is an item of the catalogue. Its JSON names are its API fields
// and its stored attributes.
type Product struct {
	ID             string    `json:"id" kit:"id"`
	Name           string    `json:"name"`
	Description    string    `json:"description,omitempty"`
	Category       string    `json:"category,omitempty"`
	SKU            string    `json:"sku,omitempty" kit:"unique"`
	CreateDate     time.Time `json:"createDate" kit:"created"`
	LastUpdateDate time.Time `json:"lastUpdateDate" kit:"updated"`
	// ReviewCount and AverageRating summarize the product's reviews. The
	// event function keeps them (summarize), so they trail a review's write
	// by a moment; they are absent while there are no reviews.
	ReviewCount   int     `json:"reviewCount,omitempty" kit:"server"`
	AverageRating float64 `json:"averageRating,omitempty" kit:"server"`
}

// EntityKind implements kit.Entity.
func (Product) EntityKind() string { return Kind }

// EntityID implements kit.Entity.
func (p Product) EntityID() string { return p.ID }

// Indexes implements kit.Indexed: GET /products?category=lamps lists a
// category's products in id order.
func (Product) Indexes() []kit.Index { return []kit.Index{{By: []string{"category"}}} }

// ListShards implements kit.Sharded: writes spread over eight partitions of
// the listing index; products written before sharding stay listed from the
// unsharded one (Before) until a reshard moves them.
func (Product) ListShards() kit.Shards { return kit.Shards{Now: 8, Before: []int{1}} }

// CreateProduct is the body of POST /products.
type CreateProduct struct {
	Name        string `json:"name" validate:"required,notblank,max=200"`
	Description string `json:"description" validate:"max=2000"`
	Category    string `json:"category" validate:"omitempty,notblank,max=50"`
	SKU         string `json:"sku" validate:"omitempty,max=64,slug"`
}

// UpdateProduct is the body of PUT /products/{id}: the fields to change.
type UpdateProduct struct {
	Name        *string `json:"name" validate:"omitnil,notblank,max=200"`
	Description *string `json:"description" validate:"omitnil,max=2000"`
	Category    *string `json:"category" validate:"omitnil,omitzero,notblank,max=50"`
	SKU         *string `json:"sku" validate:"omitnil,omitzero,max=64,slug"`
}

// Register serves products, and their reviews under them, keeps each
// product's review summary, and lets callers mark a review helpful.
func Register(s *resource.Service) error {
	return errors.Join(
		resource.Serve[Product, CreateProduct, UpdateProduct](s, "/products"),
		resource.Serve[Review, CreateReview, UpdateReview](s, "/products/{id}/reviews"),
		event.Handle(s.Events, summarize(s.Storage)),
		resource.Declare[Vote](s),
		resource.Handle(s, "POST /products/{id}/reviews/{reviewId}/helpful",
			resource.Op{Summary: "Mark a review helpful", Status: http.StatusCreated, Problems: []error{errVoted}}, markHelpful(s)),
	)
}

// Module wires products into an fx application; bootstrap supplies the
// *resource.Service.
var Module = fx.Module("products", fx.Invoke(Register))
