// Package app is the service as a whole: the entity modules it serves and
// the generic resources they register on. bootstrap runs it over DynamoDB;
// the CDK stack reads its routes from Routes, so the API it deploys is the
// one the service registered and adding an entity changes nothing there.
package app

import (
	"fmt"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/resource"
	"github.com/lambdakit/lambdakit/products"
)

// Modules is every entity module the service serves. An entity joins the
// service by adding its Module here.
func Modules() fx.Option {
	return fx.Options(
		products.Module,
	)
}

// Service provides the *resource.Service the modules register on, from the
// graph's command bus, router, kit.Storage, kit.Clock and kit.IDs.
func Service() fx.Option {
	return fx.Options(
		fx.Provide(
			func() *command.Bus { return command.NewBus() },
			resource.NewService,
		),
		Modules(),
	)
}

// routesKey signs the tokens of the throwaway store Routes builds on; no
// token leaves it.
const routesKey = "app-routes-only-signing-key"

// Routes returns every route the service registers, as sorted "METHOD
// /path" patterns with {param} segments. It wires the service over the
// memory adapter, with no network and no configuration, and asks its
// router.
func Routes() ([]string, error) {
	tokens, err := cursor.New([]byte(routesKey))
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	var router *apigw.Router
	err = fx.New(
		fx.NopLogger,
		fx.Provide(
			func() kit.Storage { return memory.NewStorage(tokens) },
			func() kit.Clock { return kit.SystemClock{} },
			func(c kit.Clock) kit.IDs { return kit.UUIDv7{Clock: c} },
			func() *apigw.Router { return apigw.NewRouter(zap.NewNop()) },
		),
		Service(),
		fx.Populate(&router),
	).Err()
	if err != nil {
		return nil, fmt.Errorf("app: wire the service: %w", err)
	}
	return router.Routes(), nil
}
