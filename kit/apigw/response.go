package apigw

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// JSON returns a response with v encoded as its body.
func JSON(status int, v any) (Response, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return Response{}, fmt.Errorf("encode response: %w", err)
	}
	return Response{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

// NoContent returns a 204 response.
func NoContent() Response {
	return Response{StatusCode: http.StatusNoContent, Headers: map[string]string{}}
}
