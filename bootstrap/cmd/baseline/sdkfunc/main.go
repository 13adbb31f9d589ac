// Command sdkfunc is a baseline for the cold-start benchmark (bootstrap's
// BenchmarkColdStart): GET /products/{productId} written by hand, the way a
// careful user writes a Lambda function that reads DynamoDB without any
// framework. It is the floor for a function that reads DynamoDB, so it does
// what such a function must and nothing more:
//
//   - at init, config.LoadDefaultConfig and dynamodb.NewFromConfig, once,
//     as AWS recommends (clients are reused across invocations); the SDK
//     finds the region, credentials and endpoint in the environment
//     (AWS_REGION, AWS_ACCESS_KEY_ID…, AWS_ENDPOINT_URL_DYNAMODB) as it
//     does for the service;
//   - per invocation, one strongly consistent GetItem on TABLE_NAME with the
//     service's key (PK "PRODUCT#<id>", SK "PRODUCT"), answering like the
//     service: 200 with the product, 404 with the same problem+json body,
//     503 when DynamoDB fails.
//
// No router, validation, dependency injection, request logging or metrics:
// whatever the service spends over this is the price of those. It is built
// with the same tags and flags as the service.
package main

import (
	"context"
	"encoding/json"
	"log"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// product is the stored item's public attributes (the service stores them
// under their JSON names).
type product struct {
	ID             string `dynamodbav:"id" json:"id"`
	Name           string `dynamodbav:"name" json:"name"`
	Description    string `dynamodbav:"description,omitempty" json:"description,omitempty"`
	CreateDate     string `dynamodbav:"createDate" json:"createDate"`
	LastUpdateDate string `dynamodbav:"lastUpdateDate" json:"lastUpdateDate"`
}

// function holds what init builds once and every invocation reuses.
type function struct {
	db    *dynamodb.Client
	table string
}

func main() {
	// Init: configuration and the client, once per instance.
	table := os.Getenv("TABLE_NAME")
	if table == "" {
		log.Fatal("TABLE_NAME is required")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("load AWS config: %v", err)
	}
	f := &function{db: dynamodb.NewFromConfig(cfg), table: table}
	lambda.Start(f.handle)
}

// handle serves GET /products/{productId} with one GetItem.
func (f *function) handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	// The resource's one path parameter, whatever it is named: the
	// benchmark sends the service's own get route, {id} or {productId}.
	var id string
	for _, v := range req.PathParameters {
		id = v
	}
	if id == "" {
		return problem(http.StatusNotFound, "The resource does not exist."), nil
	}
	out, err := f.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(f.table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "PRODUCT#" + id},
			"SK": &types.AttributeValueMemberS{Value: "PRODUCT"},
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		log.Printf("get product %s: %v", id, err)
		resp := problem(http.StatusServiceUnavailable, "The service is temporarily unavailable. Retry later.")
		resp.Headers["Retry-After"] = "1"
		return resp, nil
	}
	if out.Item == nil {
		return problem(http.StatusNotFound, "The resource does not exist."), nil
	}
	var p product
	if err := attributevalue.UnmarshalMap(out.Item, &p); err != nil {
		log.Printf("decode product %s: %v", id, err)
		return problem(http.StatusInternalServerError, "The server could not handle the request."), nil
	}
	body, err := json.Marshal(p)
	if err != nil {
		log.Printf("encode product %s: %v", id, err)
		return problem(http.StatusInternalServerError, "The server could not handle the request."), nil
	}
	return events.APIGatewayProxyResponse{
		StatusCode: http.StatusOK,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

// problem is an RFC 9457 problem response of type about:blank, the body the
// service sends for the same status.
func problem(status int, detail string) events.APIGatewayProxyResponse {
	body, _ := json.Marshal(struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}{"about:blank", http.StatusText(status), status, detail})
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/problem+json"},
		Body:       string(body),
	}
}
