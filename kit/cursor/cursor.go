// Package cursor makes paging tokens that clients carry but cannot forge.
//
// A token is base64url(position || tag), where tag is an HMAC-SHA256 of the
// listing's scope and the position. Changing any character, or presenting a
// token issued for another listing, fails verification, so a bad token is a
// client error and never a query over an attacker-chosen key.
package cursor

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/lambdakit/lambdakit/kit"
)

// tagSize is the truncated HMAC length: 128 bits is far beyond guessing.
const tagSize = 16

// MaxTokenLen bounds the tokens Decode will look at, so a huge query string
// costs nothing to reject.
const MaxTokenLen = 2048

// MinKeyLen is the shortest signing key New accepts.
const MinKeyLen = 16

// ErrInvalidToken is returned for any token that fails to decode or verify.
// It matches kit.ErrInvalid, so the router answers 400.
var ErrInvalidToken = kit.Invalid("the nextToken is not one this listing issued")

// Codec signs and verifies tokens with one secret key.
type Codec struct {
	key []byte
}

// New returns a Codec for key, which must be at least MinKeyLen bytes.
func New(key []byte) (*Codec, error) {
	if len(key) < MinKeyLen {
		return nil, errors.New("cursor: signing key must be at least 16 bytes")
	}
	return &Codec{key: append([]byte(nil), key...)}, nil
}

// Encode returns a token for position within scope.
func (c *Codec) Encode(scope, position string) string {
	buf := make([]byte, 0, len(position)+tagSize)
	buf = append(buf, position...)
	buf = append(buf, c.tag(scope, position)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

// Decode verifies token against scope and returns the non-empty position it
// carries.
func (c *Codec) Decode(scope, token string) (string, error) {
	// The decoder skips CR and LF; only the exact string Encode made may
	// verify, so anything outside the alphabet is refused first.
	if len(token) > MaxTokenLen || strings.ContainsFunc(token, notBase64URL) {
		return "", ErrInvalidToken
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) <= tagSize {
		return "", ErrInvalidToken
	}
	position, tag := string(raw[:len(raw)-tagSize]), raw[len(raw)-tagSize:]
	if !hmac.Equal(tag, c.tag(scope, position)) {
		return "", ErrInvalidToken
	}
	return position, nil
}

func notBase64URL(r rune) bool {
	switch {
	case 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '-', r == '_':
		return false
	}
	return true
}

func (c *Codec) tag(scope, position string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(scope))
	m.Write([]byte{0}) // keeps ("ab","c") and ("a","bc") apart
	m.Write([]byte(position))
	return m.Sum(nil)[:tagSize]
}
