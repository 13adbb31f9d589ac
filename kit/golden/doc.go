// Package golden runs an entity's handler tests from files: requests
// written as HTTP (case files), and the responses they must get (golden
// files), against every storage adapter.
//
// # Running cases
//
// Run runs every NAME.http under a directory against the service a
// Register function builds (an entity package's Register), once over the
// memory adapter and once over DynamoDB Local, and compares each response
// with NAME.golden.json:
//
//	var ddb *dynamotest.Server
//
//	func TestMain(m *testing.M) { dynamotest.Main(m, &ddb) }
//
//	func TestGolden(t *testing.T) { golden.Run(t, "../testdata/golden/orders", ddb, orders.Register) }
//
// Before each case the requests under seed/ run, in name order, at
// SeedTime; the case runs at CaseTime. Ids come in order,
// 00000000-0000-7000-8000-000000000001 and up, seeds first, so a case can
// name every id. A case answered 4xx or 5xx must leave the whole table,
// idempotency records included, as the seeds left it. Memory and Dynamo
// build the same service for other tests.
//
// # Updating golden files
//
// Assert compares output with a golden file. Run the tests with
// GOLDEN_UPDATE=1 in the environment to rewrite the files instead, then
// review the change with git diff:
//
//	GOLDEN_UPDATE=1 go test ./...
//
// # Case files
//
// A handler case is one file, NAME.http, that reads like the HTTP request
// it stands for; ParseCase turns it into the API Gateway REST proxy event
// (payload v1) the handler receives. A case writes only what it is about,
// and defaults fill in the rest of the event:
//
//	PUT /products/00000000-0000-7000-8000-000000000001
//	# A stale If-Match must not overwrite a newer version.
//	@resource /products/{id}
//	If-Match: "2"
//
//	{"name":"Rug"}
//
// and a case with no body, whose query repeats a parameter:
//
//	GET /products?pageSize=2&pageSize=3
//
// The lines up to the first empty line after the request line are the head:
//
//   - The request line, "METHOD /path?query", is the first line that is
//     not a comment, a directive or empty. The path is taken as written. The
//     query fills both query parameter maps: a repeated parameter keeps all
//     its values, in order, in the multi-value map, and its last value in
//     the other. Names and values are percent-decoded; "+" stays "+".
//   - "Name: value" lines are headers, with the name's case kept as written.
//     A repeated header keeps all its values in the multi-value map, and its
//     last value in the other.
//   - Lines starting with "#" are comments (in the head only: the body is
//     taken as it is).
//   - Lines starting with "@" are directives, for what varies between cases
//     yet is not part of an HTTP request (see below).
//
// After the empty line comes the body, byte for byte, blank lines and all;
// only the file's final newline is not part of it. A case without a body
// ends with its head and needs no empty line. An empty line that ends the
// file gives the case a body that is present but empty, as a client that
// sends Content-Type and no bytes does.
//
// Directives:
//
//   - @resource TEMPLATE, such as "@resource /products/{id}": the API
//     Gateway resource the path matched, in resource and
//     requestContext.resourcePath; each {name} segment becomes a path
//     parameter taken from the path. Without it the resource is the path
//     itself and there are no path parameters.
//   - @base-path PREFIX, such as "@base-path /prod": the prefix that
//     requestContext.path carries before the path when the API is called
//     through its stage or a custom domain's base path.
//   - @caller ARN, such as "@caller arn:aws:iam::123456789012:user/other":
//     the caller API Gateway verified (requestContext.identity.userArn)
//     is ARN instead of the fixed IAM user, so that a rule about callers
//     (one vote each, only the owner may change it) is a case. Seeds may
//     name theirs too.
//   - @anonymous: the request carries no caller, as an unsigned local
//     request does; otherwise requestContext.identity.userArn is a fixed
//     IAM user, or @caller's. A case has one of @caller and @anonymous at
//     most.
//   - @base64: the body is written base64-encoded, as API Gateway delivers
//     a binary body, and isBase64Encoded is true. It keeps bytes that are
//     not UTF-8 out of the file.
//
// Defaults, from one fixed client calling the stage "prod":
//
//   - headers Accept: application/json, Host: api.example.com and
//     User-Agent: golden-test, and Content-Type: application/json when the
//     case has a body; a header of the same name, in any case, replaces one;
//   - resource and requestContext.resourcePath: the path;
//     requestContext.httpMethod and requestContext.path: the method and path;
//   - requestContext.stage "prod", requestContext.requestId
//     "golden-request", requestContext.identity.sourceIp "203.0.113.7" and
//     requestContext.identity.userArn
//     "arn:aws:iam::123456789012:user/golden";
//   - no query or path parameters (null, not empty, as API Gateway sends),
//     and isBase64Encoded false.
package golden
