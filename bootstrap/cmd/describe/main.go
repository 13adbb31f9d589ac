// Command describe prints what the service is, read off its wiring with no
// network and no configuration:
//
//	describe routes    every route, one "METHOD /path" a line: what the
//	                   local server answers and what the CDK stack deploys
//	describe openapi   the OpenAPI document
//	describe asyncapi  the AsyncAPI document of the events it raises
package main

import (
	"fmt"
	"os"

	"github.com/lambdakit/lambdakit/bootstrap/app"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "describe:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: describe routes|openapi|asyncapi")
	}
	switch args[0] {
	case "routes":
		routes, err := app.Routes()
		if err != nil {
			return err
		}
		for _, r := range routes {
			fmt.Println(r)
		}
		return nil
	case "openapi":
		return write(app.OpenAPI())
	case "asyncapi":
		return write(app.AsyncAPI())
	}
	return fmt.Errorf("unknown %q: want routes, openapi or asyncapi", args[0])
}

// write prints a generated document to stdout.
func write(doc []byte, err error) error {
	if err != nil {
		return err
	}
	if _, err := os.Stdout.Write(doc); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
