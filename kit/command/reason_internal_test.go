package command

import (
	"errors"
	"testing"

	"github.com/go-playground/validator/v10"
)

// A FieldError from validate.Var has no field name, so the translation
// starts with a bare space rather than "name ".
func TestReasonFromVar(t *testing.T) {
	b := NewBus()
	for _, tc := range []struct {
		value  any
		tag    string
		reason string
	}{
		{"", "required", "is required"},
		{" ", "notblank", "must not be blank"},
		{"abcd", "max=3", "must be at most 3 characters"},
		{7, "max=3", "must be at most 3"},
		{"é", "printascii", "must be visible ASCII characters"},
		{"nobody", "email", "must be a valid email address"},
		{"blue", "oneof=red green", "must be one of [red green]"},
		{"1", "semver", "failed the semver check"},
	} {
		t.Run(tc.tag, func(t *testing.T) {
			var fields validator.ValidationErrors
			if err := b.validate.Var(tc.value, tc.tag); !errors.As(err, &fields) || len(fields) != 1 {
				t.Fatalf("Var(%v, %q) = %v, want one field error", tc.value, tc.tag, err)
			}
			if fields[0].Field() != "" {
				t.Fatalf("Var's field is %q; this test needs it empty", fields[0].Field())
			}
			if got := b.reason(fields[0]); got != tc.reason {
				t.Errorf("reason = %q, want %q", got, tc.reason)
			}
		})
	}
}
