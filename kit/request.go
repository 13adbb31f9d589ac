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

// WithRequestInfo returns a context that carries info.
func WithRequestInfo(ctx context.Context, info RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, info)
}

// RequestInfoFrom returns the request info the router put in ctx, or the
// zero value outside a request.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return info
}
