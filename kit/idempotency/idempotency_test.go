package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/idempotency"
)

func TestValidKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"a", true},
		{"order-7f3a:retry_2", true},
		{strings.Repeat("k", 255), true},
		{"!~", true},
		{"", false},
		{strings.Repeat("k", 256), false},
		{"two words", false},
		{"tab\there", false},
		{"clé", false},
		{"nul\x00", false},
		{"del\x7f", false},
	} {
		if got := idempotency.ValidKey(tc.key); got != tc.want {
			t.Errorf("ValidKey(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
}

func TestScopedKeySeparatesCallersAndRoutes(t *testing.T) {
	base := idempotency.ScopedKey("arn:a", "POST /products", "k")
	for name, other := range map[string]string{
		"caller":        idempotency.ScopedKey("arn:b", "POST /products", "k"),
		"route":         idempotency.ScopedKey("arn:a", "POST /orders", "k"),
		"key":           idempotency.ScopedKey("arn:a", "POST /products", "k2"),
		"shifted parts": idempotency.ScopedKey("arn:aPOST /products", "", "k"),
	} {
		if other == base {
			t.Errorf("a different %s gives the same scoped key", name)
		}
	}
	if again := idempotency.ScopedKey("arn:a", "POST /products", "k"); again != base {
		t.Error("the scoped key is not stable")
	}
	if idempotency.Fingerprint("POST", "/products", []byte(`{"name":"a"}`)) ==
		idempotency.Fingerprint("POST", "/products", []byte(`{"name":"b"}`)) {
		t.Error("different bodies share a fingerprint")
	}
}

func TestClaimIsConsumedOnce(t *testing.T) {
	ctx := context.Background()
	if idempotency.ClaimFrom(ctx) != nil {
		t.Fatal("a bare context has a claim")
	}
	c := &idempotency.Claim{}
	ctx = idempotency.WithClaim(ctx, c)
	if idempotency.ClaimFrom(ctx) != c {
		t.Fatal("the claim is not in the context")
	}
	c.MarkWritten()
	if idempotency.ClaimFrom(ctx) != nil || !c.Written() {
		t.Error("a written claim is offered again")
	}
}

func TestErrKeyInUseIsAConflict(t *testing.T) {
	if !errors.Is(idempotency.ErrKeyInUse, kit.ErrConflict) || !idempotency.IsKeyInUse(idempotency.ErrKeyInUse) {
		t.Error("ErrKeyInUse must match kit.ErrConflict")
	}
}
