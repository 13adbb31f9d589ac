package products

import (
	"context"
	"fmt"
	"time"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/command"
)

// Handlers carries out product commands against a repository.
type Handlers struct {
	repo  kit.Repository[Product]
	clock kit.Clock
	ids   kit.IDs
}

// NewHandlers returns handlers that store products in repo, stamp them with
// clock and name new ones with ids.
func NewHandlers(repo kit.Repository[Product], clock kit.Clock, ids kit.IDs) *Handlers {
	return &Handlers{repo: repo, clock: clock, ids: ids}
}

// Register puts every product command on the bus.
func (h *Handlers) Register(bus *command.Bus) error {
	for _, err := range []error{
		command.Register(bus, command.HandlerFunc[CreateProduct, kit.Versioned[Product]](h.Create)),
		command.Register(bus, command.HandlerFunc[GetProduct, kit.Versioned[Product]](h.Get)),
		command.Register(bus, command.HandlerFunc[UpdateProduct, kit.Versioned[Product]](h.Update)),
		command.Register(bus, command.HandlerFunc[DeleteProduct, Deleted](h.Delete)),
		command.Register(bus, command.HandlerFunc[ListProducts, kit.Page[Product]](h.List)),
	} {
		if err != nil {
			return fmt.Errorf("products: %w", err)
		}
	}
	return nil
}

// now is the clock's time at the millisecond precision the API shows, so
// what is stored and what is returned are the same instant.
func (h *Handlers) now() time.Time { return h.clock.Now().UTC().Truncate(time.Millisecond) }

// Create stores a new product.
func (h *Handlers) Create(ctx context.Context, c CreateProduct) (kit.Versioned[Product], error) {
	now := h.now()
	return h.repo.Create(ctx, Product{
		ID:             h.ids.NewID(),
		Name:           c.Name,
		Description:    c.Description,
		CreateDate:     now,
		LastUpdateDate: now,
	})
}

// Get reads a product. Product ids are UUIDs, so any other id is simply not
// found, without a trip to the store.
func (h *Handlers) Get(ctx context.Context, c GetProduct) (kit.Versioned[Product], error) {
	if !kit.IsUUID(c.ID) {
		return kit.Versioned[Product]{}, notFound(c.ID)
	}
	return h.repo.Get(ctx, c.ID)
}

// Update patches the fields the command sets, and lastUpdateDate.
func (h *Handlers) Update(ctx context.Context, c UpdateProduct) (kit.Versioned[Product], error) {
	if !kit.IsUUID(c.ID) {
		return kit.Versioned[Product]{}, notFound(c.ID)
	}
	patch := kit.Patch{Set: map[string]any{attrLastUpdateDate: h.now()}}
	if c.Name != nil {
		patch.Set[attrName] = *c.Name
	}
	switch {
	case c.Description == nil:
	case *c.Description == "":
		patch.Remove = append(patch.Remove, attrDescription)
	default:
		patch.Set[attrDescription] = *c.Description
	}
	return h.repo.Update(ctx, c.ID, patch, c.IfMatch)
}

// Delete removes a product.
func (h *Handlers) Delete(ctx context.Context, c DeleteProduct) (Deleted, error) {
	if !kit.IsUUID(c.ID) {
		return Deleted{}, notFound(c.ID)
	}
	return Deleted{}, h.repo.Delete(ctx, c.ID, c.IfMatch)
}

// List reads one page of products.
func (h *Handlers) List(ctx context.Context, c ListProducts) (kit.Page[Product], error) {
	return h.repo.List(ctx, kit.PageRequest{Size: c.PageSize, Token: c.NextToken})
}

func notFound(id string) error {
	return fmt.Errorf("product %q: %w", id, kit.ErrNotFound)
}
