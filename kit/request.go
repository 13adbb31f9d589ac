package kit

import "context"

// RequestInfo is what the transport knows about the request being served.
type RequestInfo struct {
	// RequestID is the API Gateway request id, or one made up locally.
	RequestID string
	// Stage is the API Gateway stage, such as "prod", or "local".
	Stage string
	// Caller identifies who signed the request: the IAM user or role ARN
	// that API Gateway verified, or "" when the request was not signed.
	Caller string
	// TraceID is the invocation's X-Ray trace id, or "" outside Lambda.
	TraceID string
}

type requestInfoKey struct{}

// requestInfoContext carries a RequestInfo. It is context.WithValue's
// valueCtx with the info inside it: one allocation per request rather than
// two, since WithValue would also put the info in an interface. Value
// answers the key with the context itself, a pointer, so reading the info
// back allocates nothing either.
type requestInfoContext struct {
	context.Context
	info RequestInfo
}

func (c *requestInfoContext) Value(key any) any {
	if key == (requestInfoKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// WithRequestInfo returns a context that carries info.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return &requestInfoContext{Context: ctx, info: info}
}

// RequestInfoFrom returns the request info the router put in ctx, or the
// zero value outside a request.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	if c, ok := ctx.Value(requestInfoKey{}).(*requestInfoContext); ok {
		return c.info
	}
	return RequestInfo{}
}
