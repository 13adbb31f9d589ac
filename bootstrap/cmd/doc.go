// Package cmd holds the commands that are not part of the deployed service:
// tools run beside it. The Lambda function starts in bootstrap/main.go, and
// nothing under cmd is linked into it.
//
//	describe             prints the routes or the OpenAPI document (make routes, make openapi)
//	reshard              moves items into their kind's current shards after the number changed
//	backfill             gives old items the pattern keys and unique claims their kind declares now
//	load                 load-tests the service against baseline/httpserver (make load)
//	baseline/hello       the floor under any Go function (make bench-cold)
//	baseline/sdkfunc     GetItem by hand with the SDK: the floor for a function reading DynamoDB (make bench-cold)
//	baseline/httpserver  the products API by hand with net/http: the load test's yardstick
//
// The package itself is empty: it documents the directory.
package cmd
