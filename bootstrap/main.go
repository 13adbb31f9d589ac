// Command bootstrap is the service's two Lambda functions and its local
// server, wired by fx once, at cold start:
//
//   - the API function (make build's dist/lambda; function_api.go) serves
//     API Gateway events;
//   - the event function (dist/events, built with the lambdakit.events tag;
//     function_events.go) takes the table's stream, publishes the domain
//     events to EventBridge and runs the service's consumers;
//   - anywhere else (go run, make run; server.go) it serves the API over
//     HTTP on 127.0.0.1:$PORT and runs the event path beside it, reading the
//     local table's stream.
package main

import (
	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/lambdakit/lambdakit/bootstrap/app"
)

func main() {
	fx.New(
		fx.Provide(configFromEnv, newLogger),
		components(),
		fx.Invoke(serve),
	).Run()
}

// components is the service without its configuration, logger and
// transport: every port bound to its adapter. Tests start it with their own
// configuration and logger.
func components() fx.Option {
	return fx.Options(
		fx.WithLogger(func(log *zap.Logger) fxevent.Logger {
			l := &fxevent.ZapLogger{Logger: log}
			l.UseLogLevel(zapcore.DebugLevel) // wiring events are noise at info
			return l
		}),
		storage,
		service,
		app.Service(),
		eventPath,
	)
}
