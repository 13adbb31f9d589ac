// Command bootstrap is the service: under Lambda (provided.al2023) it serves
// API Gateway events; anywhere else it serves the same router over HTTP on
// 127.0.0.1:$PORT. fx wires every port to its adapter once, at cold start.
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
	)
}
