// Package idempotency makes a retried create happen at most once. The router
// claims an Idempotency-Key before the handler runs; the repository that
// creates the entity writes the claim in the same transaction as the entity,
// so two requests with one key can never both create; the router then
// stores the response so that retries replay it.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/lambdakit/lambdakit/kit"
)

// TTL is how long a key is remembered.
const TTL = 24 * time.Hour

// ErrKeyInUse means another request holds the key: it is in flight, or it
// was done with a different request. It matches kit.ErrConflict.
var ErrKeyInUse = kit.Errorf(kit.ErrConflict, "a request with this Idempotency-Key is in progress")

// Response is what a completed request answered, kept for replays.
type Response struct {
	Status  int
	Headers map[string]string
	Body    string
}

// Record is one remembered key.
type Record struct {
	// Key is the scoped key: a hash of the caller, the route and the
	// client's key, so one caller cannot reach another's record.
	Key string
	// Fingerprint identifies the request the key was first used with.
	Fingerprint string
	// ExpiresAt is when the record stops counting.
	ExpiresAt time.Time
	// Response is nil while the request is in flight.
	Response *Response
}

// Store keeps records. The DynamoDB and memory adapters implement it next to
// their repositories, because a claim must commit with the entity.
type Store interface {
	// Load returns the live record for key, or ok false if there is none
	// (or it has expired).
	Load(ctx context.Context, key string, now time.Time) (rec Record, ok bool, err error)
	// Complete stores the response of the record's request.
	Complete(ctx context.Context, rec Record) error
	// Put stores a completed record unless a live one exists, for requests
	// whose handler created nothing through a repository. It returns
	// ErrKeyInUse if the key is taken.
	Put(ctx context.Context, rec Record, now time.Time) error
}

// Claim is a key the current request holds but has not yet written.
// Repositories that create an entity while a claim is in the context write
// the claim's record, still without a response, atomically with the entity
// and mark the claim written.
type Claim struct {
	Record  Record
	Now     time.Time
	written bool
}

// MarkWritten records that an adapter committed the claim.
func (c *Claim) MarkWritten() { c.written = true }

// Written reports whether an adapter committed the claim.
func (c *Claim) Written() bool { return c.written }

type claimKey struct{}

// WithClaim returns a context carrying c.
func WithClaim(ctx context.Context, c *Claim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// ClaimFrom returns the claim in ctx that is not yet written, or nil. A
// request's first create consumes it; later creates in the same request are
// plain creates.
func ClaimFrom(ctx context.Context) *Claim {
	c, _ := ctx.Value(claimKey{}).(*Claim)
	if c == nil || c.written {
		return nil
	}
	return c
}

// ScopedKey hashes the caller, the route and the client's key into the key
// records are stored under.
func ScopedKey(caller, route, key string) string {
	return digest(caller, route, key)
}

// Fingerprint identifies a request by its method, path and body. The path
// is the one within the API, without the prefix the client's URL had (a
// stage, a custom domain's base path), so that the same request retried
// through another prefix is the same request.
func Fingerprint(method, path string, body []byte) string {
	return digest(method, path, string(body))
}

func digest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p) // length-prefixed: no two splits collide
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ValidKey reports whether key is 1 to 255 visible ASCII characters.
func ValidKey(key string) bool {
	if len(key) < 1 || len(key) > 255 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// IsKeyInUse reports whether err is a lost race for a key.
func IsKeyInUse(err error) bool { return errors.Is(err, ErrKeyInUse) }
