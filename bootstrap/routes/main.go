// Command routes prints the service's routes, one "METHOD /path" a line:
// what the local server answers and what the CDK stack deploys.
package main

import (
	"fmt"
	"os"

	"github.com/lambdakit/lambdakit/bootstrap/app"
)

func main() {
	routes, err := app.Routes()
	if err != nil {
		fmt.Fprintln(os.Stderr, "routes:", err)
		os.Exit(1)
	}
	for _, r := range routes {
		fmt.Println(r)
	}
}
