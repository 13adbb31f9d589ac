package apigw

import (
	"context"
	"fmt"
	"maps"
	"time"

	"go.uber.org/zap"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/idempotency"
)

// HeaderIdempotencyKey is the request header that makes a POST idempotent.
const HeaderIdempotencyKey = "Idempotency-Key"

// HeaderReplayed marks a response replayed for a repeated key.
const HeaderReplayed = "Idempotent-Replayed"

// WithIdempotency makes every POST that carries an Idempotency-Key happen
// at most once per caller, route and key, remembering responses in store
// for idempotency.TTL. clock dates the records.
func WithIdempotency(store idempotency.Store, clock kit.Clock) Option {
	return func(r *Router) { r.idem, r.clock = store, clock }
}

// serveIdempotent runs the route's handler at most once for the request's
// key. A repeat of a
// finished request replays its response; a repeat while it is in flight is
// a conflict; the same key with another request is unprocessable.
func (rt *Router) serveIdempotent(ctx context.Context, req *Request, route *route, key string) (Response, error) {
	if !idempotency.ValidKey(key) {
		return Response{}, kit.Invalid("%s must be 1 to 255 visible ASCII characters", HeaderIdempotencyKey)
	}
	body, err := req.Body()
	if err != nil {
		return Response{}, err
	}
	now := rt.clock.Now()
	info := kit.RequestInfoFrom(ctx)
	// The fingerprint takes the path within the API: one request sent
	// through two base paths (a custom domain's mapping, the stage) is one.
	claim := &idempotency.Claim{
		Record: idempotency.Record{
			Key:         idempotency.ScopedKey(info.Caller, route.pattern, key),
			Fingerprint: idempotency.Fingerprint(req.Event.HTTPMethod, req.Path(), body),
			ExpiresAt:   now.Add(idempotency.TTL),
		},
		Now: now,
	}
	if resp, ok, err := rt.replay(ctx, claim.Record, now); ok || err != nil {
		return resp, err
	}
	resp, err := route.handler(idempotency.WithClaim(ctx, claim), req)
	if idempotency.IsKeyInUse(err) {
		// Another request with this key won the race; if it has finished,
		// its response is the answer to this one too.
		if resp, ok, rerr := rt.replay(ctx, claim.Record, now); ok || rerr != nil {
			return resp, rerr
		}
		return Response{}, err
	}
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Failures are not remembered: a retry runs again. (Had a
		// repository already committed the claim, its record stays in
		// flight, and retries get 409 until it expires.)
		return resp, err
	}
	rec := claim.Record
	rec.Response = &idempotency.Response{Status: resp.StatusCode, Headers: maps.Clone(resp.Headers), Body: resp.Body}
	if claim.Written() {
		err = rt.idem.Complete(ctx, rec)
	} else {
		err = rt.idem.Put(ctx, rec, now)
	}
	if err != nil {
		// The work is done and its answer is right; only a replay of it
		// is lost, and a retry will see the key as in progress.
		rt.log.Error("idempotency record not completed", zap.String("requestId", info.RequestID), zap.Error(err))
	}
	return resp, nil
}

// replay answers from a stored record, if there is one for this key.
func (rt *Router) replay(ctx context.Context, want idempotency.Record, now time.Time) (Response, bool, error) {
	rec, ok, err := rt.idem.Load(ctx, want.Key, now)
	switch {
	case err != nil:
		return Response{}, false, fmt.Errorf("load idempotency key: %w", err)
	case !ok:
		return Response{}, false, nil
	case rec.Fingerprint != want.Fingerprint:
		return Response{}, false, kit.Errorf(kit.ErrUnprocessable,
			"this %s was used with a different request", HeaderIdempotencyKey)
	case rec.Response == nil:
		return Response{}, false, idempotency.ErrKeyInUse
	}
	headers := maps.Clone(rec.Response.Headers)
	if headers == nil {
		headers = map[string]string{}
	}
	headers[HeaderReplayed] = "true"
	return Response{StatusCode: rec.Response.Status, Headers: headers, Body: rec.Response.Body}, true, nil
}
