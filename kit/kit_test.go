package kit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit"
)

var kinds = []error{
	kit.ErrNotFound, kit.ErrConflict, kit.ErrPreconditionFailed, kit.ErrInvalid,
	kit.ErrUnprocessable, kit.ErrUnavailable, kit.ErrTooLarge,
}

func TestValidationError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fields []kit.FieldError
		want   string
	}{
		{"none", nil, "invalid input: "},
		{"one", []kit.FieldError{{Field: "name", Reason: "is required"}}, "invalid input: name: is required"},
		{"two", []kit.FieldError{
			{Field: "name", Reason: "is required"},
			{Field: "description", Reason: "must be at most 2000 characters"},
		}, "invalid input: name: is required; description: must be at most 2000 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error = &kit.ValidationError{Fields: tc.fields}
			if got := err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
			if !errors.Is(err, kit.ErrInvalid) {
				t.Error("ValidationError is not ErrInvalid")
			}
			wrapped := fmt.Errorf("create: %w", err)
			if !errors.Is(wrapped, kit.ErrInvalid) {
				t.Error("a wrapped ValidationError is not ErrInvalid")
			}
			var got *kit.ValidationError
			if !errors.As(wrapped, &got) || len(got.Fields) != len(tc.fields) {
				t.Errorf("errors.As lost the fields: %#v", got)
			}
			for _, other := range kinds {
				if !errors.Is(other, kit.ErrInvalid) && errors.Is(err, other) {
					t.Errorf("ValidationError matches %v", other)
				}
			}
		})
	}
}

func TestErrorfUnwrapsToKind(t *testing.T) {
	for i, kind := range kinds {
		t.Run(kind.Error(), func(t *testing.T) {
			err := kit.Errorf(kind, "item %q at %d", "x", 3)
			if !errors.Is(err, kind) {
				t.Errorf("Errorf(%v) does not match its kind", kind)
			}
			if !errors.Is(fmt.Errorf("outer: %w", err), kind) {
				t.Errorf("wrapped Errorf(%v) does not match its kind", kind)
			}
			for j, other := range kinds {
				if j != i && errors.Is(err, other) {
					t.Errorf("Errorf(%v) also matches %v", kind, other)
				}
			}
			var ke *kit.Error
			if !errors.As(err, &ke) {
				t.Fatalf("Errorf returned %T, want *kit.Error", err)
			}
			if !errors.Is(ke.Kind, kind) || ke.Detail != `item "x" at 3` {
				t.Errorf("Errorf = %#v", ke)
			}
			if want := kind.Error() + `: item "x" at 3`; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	err := kit.Invalid("field %s is %d", "a", 7)
	if !errors.Is(err, kit.ErrInvalid) {
		t.Fatal("Invalid is not ErrInvalid")
	}
	var ke *kit.Error
	if !errors.As(err, &ke) || ke.Detail != "field a is 7" || !errors.Is(ke.Kind, kit.ErrInvalid) {
		t.Errorf("Invalid = %#v", err)
	}
	if got, want := err.Error(), "invalid input: field a is 7"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestRequestInfo(t *testing.T) {
	if got := kit.RequestInfoFrom(context.Background()); got != (kit.RequestInfo{}) {
		t.Errorf("RequestInfoFrom(background) = %+v, want zero", got)
	}
	info := kit.RequestInfo{RequestID: "req-1", Stage: "prod", Caller: "arn:aws:iam::123456789012:user/alice"}
	ctx := kit.WithRequestInfo(context.Background(), info)
	if got := kit.RequestInfoFrom(ctx); got != info {
		t.Errorf("RequestInfoFrom = %+v, want %+v", got, info)
	}
	// Derived contexts keep it; a nested one replaces it.
	child, cancel := context.WithCancel(ctx)
	defer cancel()
	if got := kit.RequestInfoFrom(child); got != info {
		t.Errorf("RequestInfoFrom(child) = %+v, want %+v", got, info)
	}
	inner := kit.RequestInfo{RequestID: "req-2", Stage: "local"}
	if got := kit.RequestInfoFrom(kit.WithRequestInfo(child, inner)); got != inner {
		t.Errorf("RequestInfoFrom(nested) = %+v, want %+v", got, inner)
	}
	// The context passes on everything else: other values, and its
	// parent's cancellation.
	type seenKey struct{}
	parent, stop := context.WithCancel(context.WithValue(context.Background(), seenKey{}, "seen"))
	withInfo := kit.WithRequestInfo(parent, info)
	if withInfo.Value(seenKey{}) != "seen" {
		t.Errorf("Value(seenKey) = %v through the info context, want the parent's", withInfo.Value(seenKey{}))
	}
	derived, cancelDerived := context.WithCancel(withInfo)
	defer cancelDerived()
	stop()
	select {
	case <-derived.Done():
	case <-time.After(time.Minute):
		t.Fatal("a context derived from the info context missed its parent's cancel")
	}
	if !errors.Is(withInfo.Err(), context.Canceled) || !errors.Is(derived.Err(), context.Canceled) {
		t.Errorf("after the parent's cancel: %v, %v", withInfo.Err(), derived.Err())
	}
	// A value stored under an unrelated key of the same type is not it.
	type otherKey struct{}
	if got := kit.RequestInfoFrom(context.WithValue(context.Background(), otherKey{}, info)); got != (kit.RequestInfo{}) {
		t.Errorf("RequestInfoFrom found info under another key: %+v", got)
	}
}

func TestFuncAdapters(t *testing.T) {
	at := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	if got := kit.ClockFunc(func() time.Time { return at }).Now(); !got.Equal(at) {
		t.Errorf("ClockFunc.Now() = %v", got)
	}
	n := 0
	ids := kit.IDFunc(func() string { n++; return fmt.Sprint("id-", n) })
	if a, b := ids.NewID(), ids.NewID(); a != "id-1" || b != "id-2" {
		t.Errorf("IDFunc.NewID() = %q, %q", a, b)
	}
}

func TestFailedAt(t *testing.T) {
	taken := &kit.UnitError{Index: 0, Op: "create VOTE 1", Err: fmt.Errorf("exists: %w", kit.ErrConflict)}
	for _, tc := range []struct {
		name  string
		err   error
		index int
		want  error // what the result must match; nil: the result is nil
	}{
		{"the operation", taken, 0, kit.ErrConflict},
		{"the operation, wrapped", fmt.Errorf("commit: %w", taken), 0, kit.ErrConflict},
		{"another operation", taken, 1, nil},
		{"a conflict that is no operation's", kit.Errorf(kit.ErrConflict, "a request with this Idempotency-Key is in progress"), 0, nil},
		{"no error", nil, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := kit.FailedAt(tc.err, tc.index)
			switch {
			case tc.want == nil && got != nil:
				t.Errorf("FailedAt = %v, want nil", got)
			case tc.want != nil && !errors.Is(got, tc.want):
				t.Errorf("FailedAt = %v, want it to match %v", got, tc.want)
			}
		})
	}
}
