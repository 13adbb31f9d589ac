// Package app is the service as a whole: the entity modules it serves and
// the generic resources they register on. bootstrap runs it over DynamoDB;
// the CDK stack reads its routes from Routes, so the API it deploys is the
// one the service registered and adding an entity changes nothing there.
package app

import (
	"fmt"
	"reflect"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
	"github.com/lambdakit/lambdakit/kit/asyncapi"
	"github.com/lambdakit/lambdakit/kit/command"
	"github.com/lambdakit/lambdakit/kit/cursor"
	"github.com/lambdakit/lambdakit/kit/memory"
	"github.com/lambdakit/lambdakit/kit/openapi"
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

// Register registers every module Modules wires on svc, a service built
// elsewhere (a test harness's, over its own storage, clock and ids), as
// bootstrap's wiring registers them on its own: what runs there is the
// whole service, not one module.
func Register(svc *resource.Service) error {
	err := fx.New(
		fx.NopLogger,
		fx.Supply(svc),
		fx.Provide(
			func() *command.Bus { return svc.Bus },
			func() *apigw.Router { return svc.Router },
			func() kit.Storage { return svc.Storage },
			func() kit.Clock { return svc.Clock },
			func() kit.IDs { return svc.IDs },
		),
		Modules(),
	).Err()
	if err != nil {
		return fmt.Errorf("app: register the modules: %w", err)
	}
	return nil
}

// serviceName names the service in the text of its documents. It says
// nothing of the entities it serves, which the documents list themselves:
// adding one changes no text here.
const serviceName = "lambdakit"

// info names the service's API in its OpenAPI document.
func info() openapi.Info {
	return openapi.Info{
		Title:   serviceName,
		Version: "1.0.0",
		Description: "The " + serviceName + " service's API, served by API Gateway (REST) and Lambda from one DynamoDB table. " +
			"Every call is signed with SigV4 for execute-api. Errors are RFC 9457 problems.",
	}
}

// deployedName is the service's name in the default stage (make deploy
// without STAGE deploys prod): the stack names a stage's EventBridge bus
// lambdakit-<stage>, and the event function puts every event on it with
// that same name as its Source.
const deployedName = serviceName + "-prod"

// eventsInfo names the service's events in its AsyncAPI document. A
// document has one bus and one Source, and the committed one is for
// readers of every stage, so it names the default stage's and says how
// another stage's differ.
func eventsInfo() asyncapi.Info {
	return asyncapi.Info{
		Title:   serviceName,
		Version: "1.0.0",
		Description: "The domain events of the " + serviceName + " service's entities, raised by every create, update and delete " +
			"that commits and derived from the DynamoDB table's stream. The bus and Source named here are those of the prod stage, " +
			deployedName + "; a stage S puts its events on its own bus, " + serviceName + "-S, with Source " + serviceName + "-S " +
			"(the stack's EventBusName output names it). make run logs each event's DetailType and detail instead.",
		Bus:    deployedName,
		Source: deployedName,
	}
}

// offlineKey signs the tokens of the throwaway store Routes, OpenAPI and
// AsyncAPI build on; no token leaves it.
const offlineKey = "app-offline-only-signing-key"

// offline wires the service over the memory adapter, with no network and
// no configuration, for what can be read off it without serving.
func offline() (*resource.Service, error) {
	tokens, err := cursor.New([]byte(offlineKey))
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	var svc *resource.Service
	err = fx.New(
		fx.NopLogger,
		fx.Provide(
			func() kit.Storage { return memory.NewStorage(tokens) },
			func() kit.Clock { return kit.SystemClock{} },
			func(c kit.Clock) kit.IDs { return kit.UUIDv7{Clock: c} },
			func() *apigw.Router { return apigw.NewRouter(zap.NewNop()) },
		),
		Service(),
		fx.Populate(&svc),
	).Err()
	if err != nil {
		return nil, fmt.Errorf("app: wire the service: %w", err)
	}
	return svc, nil
}

// Routes returns every route the service registers, as sorted "METHOD
// /path" patterns with {param} segments.
func Routes() ([]string, error) {
	svc, err := offline()
	if err != nil {
		return nil, err
	}
	return svc.Router.Routes(), nil
}

// Kinds returns a zero value of every entity type the service serves or
// declares, in the order they were registered, for work over whole kinds
// (bootstrap/cmd/reshard, bootstrap/cmd/backfill).
func Kinds() ([]kit.Entity, error) {
	svc, err := offline()
	if err != nil {
		return nil, err
	}
	var out []kit.Entity
	for _, decl := range svc.Events.Entities() {
		if e, ok := reflect.Zero(decl.Type).Interface().(kit.Entity); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// OpenAPI returns the service's OpenAPI document, generated from what its
// modules registered. make openapi writes it to openapi.json beside this
// file, and a test keeps that file current.
func OpenAPI() ([]byte, error) {
	svc, err := offline()
	if err != nil {
		return nil, err
	}
	return Document(svc)
}

// Document is the OpenAPI document of a wired service.
func Document(svc *resource.Service) ([]byte, error) {
	doc, err := openapi.Document(info(), svc.Operations(), svc.Router.Routes())
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return doc, nil
}

// AsyncAPI returns the AsyncAPI document of the events the service raises,
// generated from the catalog its modules declared. make asyncapi writes it
// to asyncapi.json beside this file, and a test keeps that file current.
func AsyncAPI() ([]byte, error) {
	svc, err := offline()
	if err != nil {
		return nil, err
	}
	doc, err := asyncapi.Document(svc.Events, eventsInfo())
	if err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	return doc, nil
}
