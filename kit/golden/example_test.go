package golden_test

import (
	"fmt"

	"github.com/lambdakit/lambdakit/kit/golden"
)

func ExampleParseCase() {
	ev, err := golden.ParseCase([]byte(`PUT /products/00000000-0000-7000-8000-000000000001
# A stale If-Match must not overwrite a newer version.
@resource /products/{id}
If-Match: "2"

{"name":"Rug"}
`))
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.HTTPMethod, ev.Path, ev.Resource, ev.PathParameters["id"])
	fmt.Println(ev.Headers["If-Match"], ev.Headers["Content-Type"], ev.RequestContext.Stage)
	fmt.Println(ev.Body)
	// Output:
	// PUT /products/00000000-0000-7000-8000-000000000001 /products/{id} 00000000-0000-7000-8000-000000000001
	// "2" application/json prod
	// {"name":"Rug"}
}
