package products

import (
	"github.com/lambdakit/lambdakit/kit"
)

// CreateProduct adds a product. The server assigns its id and dates.
type CreateProduct struct {
	Name        string `json:"name" validate:"required,notblank,max=200"`
	Description string `json:"description" validate:"max=2000"`
}

// GetProduct reads one product.
type GetProduct struct {
	ID string `json:"-" validate:"required"`
}

// UpdateProduct changes the fields it sets, and only those. An empty
// description clears it.
type UpdateProduct struct {
	ID          string      `json:"-" validate:"required"`
	Name        *string     `json:"name" validate:"omitnil,notblank,max=200"`
	Description *string     `json:"description" validate:"omitnil,max=2000"`
	IfMatch     kit.Version `json:"-"`
}

// Validate requires at least one field to change.
func (c UpdateProduct) Validate() error {
	if c.Name == nil && c.Description == nil {
		return &kit.ValidationError{Fields: []kit.FieldError{
			{Field: "name", Reason: "name or description is required"},
		}}
	}
	return nil
}

// DeleteProduct removes a product.
type DeleteProduct struct {
	ID      string      `json:"-" validate:"required"`
	IfMatch kit.Version `json:"-"`
}

// ListProducts reads one page of products in creation order.
type ListProducts struct {
	PageSize  int    `json:"-" query:"pageSize" validate:"min=1,max=100"`
	NextToken string `json:"-" query:"nextToken"`
}

// Deleted is the result of DeleteProduct.
type Deleted struct{}
