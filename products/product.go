// Package products is the products service: the Product entity, the commands
// that change it, their handlers, and the HTTP routes in front of them. It
// builds only on kit's ports; bootstrap chooses the adapters.
package products

import (
	"time"
)

// Kind is the entity kind products are stored under.
const Kind = "PRODUCT"

// Product is the stored entity. Attribute names are the API's field names,
// so a patch names fields the way clients do.
type Product struct {
	ID             string    `dynamodbav:"id"`
	Name           string    `dynamodbav:"name"`
	Description    string    `dynamodbav:"description,omitempty"`
	CreateDate     time.Time `dynamodbav:"createDate"`
	LastUpdateDate time.Time `dynamodbav:"lastUpdateDate"`
}

// Stored attribute names that updates patch.
const (
	attrName           = "name"
	attrDescription    = "description"
	attrLastUpdateDate = "lastUpdateDate"
)

// EntityKind implements kit.Entity.
func (Product) EntityKind() string { return Kind }

// EntityID implements kit.Entity.
func (p Product) EntityID() string { return p.ID }
