// Package command is a typed command bus: each command type has one handler,
// and every command is validated (validator/v10 struct tags) before its
// handler runs, so handlers only ever see well-formed input.
package command

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/lambdakit/lambdakit/kit"
)

// Handler handles commands of type C and returns a result of type R.
type Handler[C, R any] interface {
	Handle(ctx context.Context, cmd C) (R, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc[C, R any] func(ctx context.Context, cmd C) (R, error)

// Handle calls f.
func (f HandlerFunc[C, R]) Handle(ctx context.Context, cmd C) (R, error) { return f(ctx, cmd) }

// Next is a handler with its types erased, as middleware sees it.
type Next func(ctx context.Context, cmd any) (any, error)

// Middleware wraps every handler on a bus, such as for logging or tracing.
// The command's name is its Go type name.
type Middleware func(name string, next Next) Next

// Bus routes each command to the handler registered for its type.
type Bus struct {
	validate   *validator.Validate
	middleware []Middleware

	mu       sync.RWMutex
	handlers map[reflect.Type]Next
}

// NewBus returns a bus that validates commands with the kit's validator and
// wraps handlers in middleware, outermost first.
func NewBus(middleware ...Middleware) *Bus {
	return &Bus{validate: NewValidator(), middleware: middleware, handlers: map[reflect.Type]Next{}}
}

// Register makes h the handler for commands of type C. Registering a second
// handler for the same type is an error: dispatch must be unambiguous.
func Register[C, R any](b *Bus, h Handler[C, R]) error {
	t := reflect.TypeFor[C]()
	_, byValue := any(*new(C)).(SelfValidator)
	if _, byPointer := any(new(C)).(SelfValidator); byPointer && !byValue {
		// The bus holds commands by value and would never call it.
		return fmt.Errorf("command: %s has Validate on a pointer receiver; declare it on the value", t)
	}
	next := Next(func(ctx context.Context, cmd any) (any, error) {
		return h.Handle(ctx, cmd.(C))
	})
	for i := len(b.middleware) - 1; i >= 0; i-- {
		next = b.middleware[i](t.Name(), next)
	}
	validated := func(ctx context.Context, cmd any) (any, error) {
		if err := b.Validate(cmd); err != nil {
			return nil, err
		}
		return next(ctx, cmd)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.handlers[t]; dup {
		return fmt.Errorf("command: %s already has a handler", t)
	}
	b.handlers[t] = validated
	return nil
}

// Dispatch validates cmd and runs its handler. A command that fails
// validation returns a *kit.ValidationError and never reaches the handler.
func Dispatch[R, C any](ctx context.Context, b *Bus, cmd C) (R, error) {
	var zero R
	t := reflect.TypeFor[C]()
	b.mu.RLock()
	h, ok := b.handlers[t]
	b.mu.RUnlock()
	if !ok {
		return zero, fmt.Errorf("command: no handler for %s", t)
	}
	res, err := h(ctx, cmd)
	if err != nil || res == nil { // nil only when R is an interface
		return zero, err
	}
	r, ok := res.(R)
	if !ok {
		return zero, fmt.Errorf("command: handler for %s returned %T, not %s", t, res, reflect.TypeFor[R]())
	}
	return r, nil
}

// SelfValidator is a command with rules that struct tags cannot express,
// such as "at least one of these fields". The bus calls Validate after the
// tags pass.
type SelfValidator interface {
	Validate() error
}

// Validate checks cmd's validate tags, reporting every failing field by its
// JSON name, and then the command's own Validate method if it has one.
func (b *Bus) Validate(cmd any) error {
	err := b.validate.Struct(cmd)
	var fields validator.ValidationErrors
	switch {
	case err == nil:
		if sv, ok := cmd.(SelfValidator); ok {
			return sv.Validate()
		}
		return nil
	case !errors.As(err, &fields):
		return fmt.Errorf("command: validate %T: %w", cmd, err)
	}
	out := &kit.ValidationError{Fields: make([]kit.FieldError, len(fields))}
	for i, f := range fields {
		out.Fields[i] = kit.FieldError{Field: f.Field(), Reason: reason(f)}
	}
	return out
}

// NewValidator returns the validator the bus uses: fields are named by their
// JSON tag, and the kit's own tags are registered.
//
// Kit tags: notblank (a string with something other than white space).
func NewValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			if q := f.Tag.Get("query"); q != "" {
				return q
			}
			return f.Name
		case "":
			return f.Name
		}
		return name
	})
	// Registering a tag on a new validator fails only for an empty tag name.
	_ = v.RegisterValidation("notblank", func(fl validator.FieldLevel) bool {
		return strings.TrimSpace(fl.Field().String()) != ""
	})
	return v
}

// reason explains a failed tag in words a client can act on.
func reason(f validator.FieldError) string {
	unit := "characters"
	if f.Kind() != reflect.String {
		unit = ""
	}
	switch f.Tag() {
	case "required":
		return "is required"
	case "notblank":
		return "must not be blank"
	case "max":
		if unit == "" {
			return "must be at most " + f.Param()
		}
		return "must be at most " + f.Param() + " " + unit
	case "min":
		if unit == "" {
			return "must be at least " + f.Param()
		}
		return "must be at least " + f.Param() + " " + unit
	case "required_without":
		return "is required when " + lowerFirst(f.Param()) + " is absent"
	case "printascii":
		return "must be visible ASCII characters"
	}
	return "failed the " + f.Tag() + " check"
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToLower(string(r)) + s[n:]
}
