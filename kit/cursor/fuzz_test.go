package cursor_test

import (
	"errors"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
)

// FuzzDecode holds Decode to its contract for any token: it never panics, a
// token it accepts is exactly the one Encode makes for that position, and
// every other token is ErrInvalid.
func FuzzDecode(f *testing.F) {
	c := newCodec(f, testKey)
	f.Add(c.Encode("PRODUCT", "00000000-0000-7000-8000-000000000001"))
	f.Add(c.Encode("PRODUCT", "a"))
	f.Add(c.Encode("PRODUCT", "ab"))
	f.Add(c.Encode("OTHER", "abc"))
	f.Add(c.Encode("PRODUCT", ""))
	f.Add("")
	f.Add("====")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Add("not a token!")
	f.Fuzz(func(t *testing.T, token string) {
		position, err := c.Decode("PRODUCT", token)
		if err != nil {
			if !errors.Is(err, kit.ErrInvalid) {
				t.Fatalf("Decode(%q) error %v is not ErrInvalid", token, err)
			}
			if position != "" {
				t.Fatalf("Decode(%q) failed but returned position %q", token, position)
			}
			return
		}
		if position == "" {
			t.Fatalf("Decode(%q) accepted an empty position", token)
		}
		if again := c.Encode("PRODUCT", position); again != token {
			t.Fatalf("Decode(%q) = %q, which encodes to %q", token, position, again)
		}
	})
}
