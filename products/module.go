package products

import (
	"go.uber.org/fx"

	"github.com/lambdakit/lambdakit/kit/command"
)

// Module wires products into an fx application. It needs a
// kit.Repository[Product], a kit.Clock, kit.IDs, a *command.Bus and an
// *apigw.Router from the graph; bootstrap supplies them.
var Module = fx.Module("products",
	fx.Provide(NewHandlers),
	fx.Invoke(
		func(h *Handlers, bus *command.Bus) error { return h.Register(bus) },
		Routes,
	),
)
