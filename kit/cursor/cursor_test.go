package cursor_test

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/cursor"
)

// base64url is the alphabet of RawURLEncoding, the only one tokens use.
const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

var testKey = []byte("cursor-test-signing-key-32-bytes")

func newCodec(t testing.TB, key []byte) *cursor.Codec {
	t.Helper()
	c, err := cursor.New(key)
	if err != nil {
		t.Fatalf("New(%d-byte key): %v", len(key), err)
	}
	return c
}

func TestRoundTrip(t *testing.T) {
	c := newCodec(t, testKey)
	for _, tc := range []struct{ scope, position string }{
		{"PRODUCT", "00000000-0000-7000-8000-000000000001"},
		{"PRODUCT", "x"},
		{"PRODUCT", "ab"},
		{"PRODUCT", "abc"},
		{"", "position with no scope"},
		{"OTHER", "ünïcödé ✓ and \x00 bytes"},
		{"PRODUCT", strings.Repeat("p", 1000)},
	} {
		token := c.Encode(tc.scope, tc.position)
		if strings.ContainsAny(token, "=+/") {
			t.Errorf("Encode(%q, %q) = %q: not unpadded base64url", tc.scope, tc.position, token)
		}
		got, err := c.Decode(tc.scope, token)
		if err != nil {
			t.Errorf("Decode(%q, Encode(%q)) error: %v", tc.scope, tc.position, err)
			continue
		}
		if got != tc.position {
			t.Errorf("Decode(%q, Encode(%q)) = %q", tc.scope, tc.position, got)
		}
		if again := c.Encode(tc.scope, tc.position); again != token {
			t.Errorf("Encode is not deterministic: %q then %q", token, again)
		}
	}
}

func TestNewKeyLength(t *testing.T) {
	for _, tc := range []struct {
		n       int
		wantErr bool
	}{
		{0, true},
		{1, true},
		{cursor.MinKeyLen - 1, true},
		{cursor.MinKeyLen, false},
		{cursor.MinKeyLen + 1, false},
		{64, false},
	} {
		c, err := cursor.New(make([]byte, tc.n))
		if (err != nil) != tc.wantErr {
			t.Errorf("New(%d-byte key) error = %v, want error %v", tc.n, err, tc.wantErr)
		}
		if tc.wantErr && c != nil {
			t.Errorf("New(%d-byte key) returned a codec with its error", tc.n)
		}
	}
}

func TestNewCopiesKey(t *testing.T) {
	key := append([]byte(nil), testKey...)
	c := newCodec(t, key)
	token := c.Encode("PRODUCT", "p1")
	for i := range key {
		key[i] = 0
	}
	if _, err := c.Decode("PRODUCT", token); err != nil {
		t.Fatalf("changing the caller's key slice broke the codec: %v", err)
	}
}

func TestTamperEveryCharacter(t *testing.T) {
	c := newCodec(t, testKey)
	// Positions of 1..3 bytes cover every remainder of the length mod 3, so
	// the last character carries 2, 4 or 6 bits.
	for _, position := range []string{"a", "ab", "abc", "00000000-0000-7000-8000-000000000001"} {
		token := c.Encode("PRODUCT", position)
		for i := range len(token) {
			for _, r := range base64url {
				if byte(r) == token[i] {
					continue
				}
				tampered := token[:i] + string(r) + token[i+1:]
				got, err := c.Decode("PRODUCT", tampered)
				if !errors.Is(err, kit.ErrInvalid) {
					t.Fatalf("position %q: token %q with index %d changed to %q decoded to %q, %v; want ErrInvalid",
						position, token, i, r, got, err)
				}
				if got != "" {
					t.Fatalf("a failed Decode returned position %q", got)
				}
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	c := newCodec(t, testKey)
	token := c.Encode("PRODUCT", "00000000-0000-7000-8000-000000000001")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	// A token with '-' or '_' in it differs in the standard alphabet.
	urlOnly := urlOnlyToken(t, c)
	urlOnlyRaw, err := base64.RawURLEncoding.DecodeString(urlOnly)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decode("PRODUCT", urlOnly); err != nil {
		t.Fatalf("the untouched token does not decode: %v", err)
	}
	otherKey := newCodec(t, []byte("another-signing-key-of-32-bytes!"))
	longPosition := strings.Repeat("p", cursor.MaxTokenLen) // encodes to more than MaxTokenLen

	for _, tc := range []struct {
		name, scope, token string
		codec              *cursor.Codec
	}{
		{name: "empty", scope: "PRODUCT", token: ""},
		{name: "wrong scope", scope: "OTHER", token: token},
		{name: "scope prefix", scope: "PRODUC", token: token},
		{name: "wrong key", scope: "PRODUCT", token: token, codec: otherKey},
		{name: "over long", scope: "PRODUCT", token: c.Encode("PRODUCT", longPosition)},
		{name: "over long garbage", scope: "PRODUCT", token: strings.Repeat("A", cursor.MaxTokenLen+1)},
		{name: "padded", scope: "PRODUCT", token: base64.URLEncoding.EncodeToString(raw)},
		{name: "standard alphabet", scope: "PRODUCT", token: base64.RawStdEncoding.EncodeToString(urlOnlyRaw)},
		{name: "standard padded", scope: "PRODUCT", token: base64.StdEncoding.EncodeToString(urlOnlyRaw)},
		{name: "truncated", scope: "PRODUCT", token: token[:len(token)-1]},
		{name: "newline inside", scope: "PRODUCT", token: token[:10] + "\n" + token[10:]},
		{name: "carriage return inside", scope: "PRODUCT", token: token[:10] + "\r" + token[10:]},
		{name: "space inside", scope: "PRODUCT", token: token[:10] + " " + token[10:]},
		{name: "appended", scope: "PRODUCT", token: token + "A"},
		{name: "tag only", scope: "PRODUCT", token: base64.RawURLEncoding.EncodeToString(raw[len(raw)-16:])},
		{name: "not base64", scope: "PRODUCT", token: "not a token!"},
		{name: "empty position", scope: "PRODUCT", token: c.Encode("PRODUCT", "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			codec := c
			if tc.codec != nil {
				codec = tc.codec
			}
			got, err := codec.Decode(tc.scope, tc.token)
			if !errors.Is(err, kit.ErrInvalid) {
				t.Fatalf("Decode(%q, %.40q) = %q, %v; want ErrInvalid", tc.scope, tc.token, got, err)
			}
			if got != "" {
				t.Errorf("a failed Decode returned position %q", got)
			}
		})
	}
}

// urlOnlyToken returns a token that has a character only base64url uses.
func urlOnlyToken(t *testing.T, c *cursor.Codec) string {
	t.Helper()
	for i := range 1000 {
		if token := c.Encode("PRODUCT", strconv.Itoa(i)); strings.ContainsAny(token, "-_") {
			return token
		}
	}
	t.Fatal("no token with - or _ among 1000 positions")
	return ""
}

func TestTokenLengthBoundary(t *testing.T) {
	c := newCodec(t, testKey)
	// The longest position whose token fits MaxTokenLen decodes; one more
	// byte pushes the token past it.
	n := base64.RawURLEncoding.DecodedLen(cursor.MaxTokenLen) - 16
	fits := strings.Repeat("p", n)
	token := c.Encode("PRODUCT", fits)
	if len(token) > cursor.MaxTokenLen {
		t.Fatalf("token of %d bytes is longer than MaxTokenLen", len(token))
	}
	if got, err := c.Decode("PRODUCT", token); err != nil || got != fits {
		t.Errorf("Decode of a %d-character token: %v", len(token), err)
	}
	tooLong := c.Encode("PRODUCT", fits+"p")
	if len(tooLong) <= cursor.MaxTokenLen {
		t.Fatalf("token of %d bytes is not over MaxTokenLen", len(tooLong))
	}
	if _, err := c.Decode("PRODUCT", tooLong); !errors.Is(err, kit.ErrInvalid) {
		t.Errorf("Decode of a %d-character token: %v, want ErrInvalid", len(tooLong), err)
	}
}

func TestScopeAndPositionStayApart(t *testing.T) {
	c := newCodec(t, testKey)
	// The tag of ("ab", "c") must not also sign ("a", "bc").
	raw, err := base64.RawURLEncoding.DecodeString(c.Encode("ab", "c"))
	if err != nil {
		t.Fatal(err)
	}
	moved := base64.RawURLEncoding.EncodeToString(append([]byte("bc"), raw[1:]...))
	if got, err := c.Decode("a", moved); err == nil {
		t.Errorf(`the tag of ("ab", "c") verified ("a", %q)`, got)
	}
	if got, err := c.Decode("a", c.Encode("ab", "c")); err == nil {
		t.Errorf(`a token for scope "ab" decoded in scope "a" as %q`, got)
	}
}

func TestErrInvalidToken(t *testing.T) {
	if !errors.Is(cursor.ErrInvalidToken, kit.ErrInvalid) {
		t.Fatal("ErrInvalidToken does not match kit.ErrInvalid")
	}
	var ke *kit.Error
	if !errors.As(cursor.ErrInvalidToken, &ke) || !strings.Contains(ke.Detail, "nextToken") {
		t.Errorf("ErrInvalidToken = %#v, want a kit.Error naming nextToken", cursor.ErrInvalidToken)
	}
}
