package kit_test

// Every test binary accepts -update, so that go test ./... -update works.
import _ "github.com/lambdakit/lambdakit/kit/golden"
