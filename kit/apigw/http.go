package apigw

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// InvokeFunc is a Lambda handler of API Gateway proxy events, such as
// Router.Invoke.
type InvokeFunc func(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// maxLocalBody bounds what the local server reads of a body; the router
// rejects anything over MaxBodyBytes, and reading one byte more is enough to
// tell. API Gateway has its own limit in front of a deployed service.
const maxLocalBody = MaxBodyBytes + 1

// HeaderCaller names the request header a local server simulating a
// caller (WithCaller) takes the caller from.
const HeaderCaller = "X-Caller"

// HTTPOption configures HTTPHandler.
type HTTPOption func(*httpHandler)

type httpHandler struct {
	simulate bool
	caller   string
}

// WithCaller makes HTTPHandler simulate the caller API Gateway would have
// verified, for trying locally what depends on it: each request's caller
// is its X-Caller header (an empty one means an unsigned request), or
// caller when it has none. The caller goes where API Gateway puts it,
// requestContext.identity.userArn, and the header goes no further.
//
// Only the local server may do this. Behind API Gateway a header is
// whatever the client wrote, so the router, Lambda's handler, reads the
// caller from the request context alone.
func WithCaller(caller string) HTTPOption {
	return func(h *httpHandler) { h.simulate, h.caller = true, caller }
}

// HTTPHandler serves invoke over plain HTTP by building the event API
// Gateway would send for each request. It is for running locally; the
// request context names the stage "local" and has no caller unless
// WithCaller simulates one.
func HTTPHandler(invoke InvokeFunc, opts ...HTTPOption) http.Handler {
	var h httpHandler
	for _, o := range opts {
		o(&h)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, maxLocalBody))
		if err != nil && !errors.Is(err, io.EOF) {
			http.Error(w, "could not read the request body", http.StatusBadRequest)
			return
		}
		ev := Event(req, body)
		if h.simulate {
			ev.RequestContext.Identity.UserArn = h.caller
			if vs, ok := req.Header[HeaderCaller]; ok {
				ev.RequestContext.Identity.UserArn = vs[len(vs)-1]
			}
			delete(ev.Headers, HeaderCaller)
			delete(ev.MultiValueHeaders, HeaderCaller)
		}
		resp, err := invoke(req.Context(), ev)
		if err != nil {
			http.Error(w, "internal error", http.StatusBadGateway)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		for k, vs := range resp.MultiValueHeaders {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(resp.StatusCode)
		if resp.IsBase64Encoded {
			raw, _ := base64.StdEncoding.DecodeString(resp.Body)
			_, _ = w.Write(raw)
			return
		}
		_, _ = io.WriteString(w, resp.Body)
	})
}

// Event returns the API Gateway REST proxy event for req and its body. A
// body that is not UTF-8 travels base64-encoded, as API Gateway sends binary.
func Event(req *http.Request, body []byte) events.APIGatewayProxyRequest {
	ev := events.APIGatewayProxyRequest{
		HTTPMethod:                      req.Method,
		Path:                            req.URL.Path,
		Headers:                         map[string]string{},
		MultiValueHeaders:               map[string][]string{},
		QueryStringParameters:           map[string]string{},
		MultiValueQueryStringParameters: map[string][]string{},
		RequestContext: events.APIGatewayProxyRequestContext{
			RequestID:  newRequestID(),
			Stage:      "local",
			HTTPMethod: req.Method,
			Path:       req.URL.Path,
			Identity:   events.APIGatewayRequestIdentity{SourceIP: req.RemoteAddr},
		},
	}
	for k, vs := range req.Header {
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = vs
	}
	for k, vs := range req.URL.Query() {
		ev.QueryStringParameters[k] = vs[len(vs)-1]
		ev.MultiValueQueryStringParameters[k] = vs
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body = base64.StdEncoding.EncodeToString(body)
		ev.IsBase64Encoded = true
	}
	return ev
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
