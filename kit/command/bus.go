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

	"github.com/go-playground/locales/en"
	ut "github.com/go-playground/universal-translator"
	"github.com/go-playground/validator/v10"
	entranslations "github.com/go-playground/validator/v10/translations/en"

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
	validate *validator.Validate
	// reasons is registered on validate only: a FieldError is translated by
	// the validator that produced it, so the two must stay paired. It is
	// registered when a command first fails validation: registering costs
	// more than the rest of NewBus, at every cold start, and most requests
	// never need a reason. Only reason reads it, after the Once.
	reasonsOnce sync.Once
	reasons     ut.Translator
	middleware  []Middleware

	mu       sync.RWMutex
	handlers map[reflect.Type]entry
}

// entry is a command type's handler on the bus.
type entry struct {
	// next validates the command and runs the handler through the
	// middleware, with the types erased.
	next Next
	// typed, when no middleware wraps the handler, is the same as a
	// func(context.Context, C) (R, error), which Dispatch calls without
	// putting the command and its result in interfaces (an allocation
	// each, on every request); nil otherwise.
	typed any
}

// NewBus returns a bus that validates commands with the kit's validator and
// wraps handlers in middleware, outermost first.
//
// The first command that fails validation panics if the English reasons
// cannot be registered. That happens only when their fixed texts are
// malformed, a programming error that the package's reason tests catch, so
// it is not worth an error return that every caller would have to thread
// through.
func NewBus(middleware ...Middleware) *Bus {
	return &Bus{validate: NewValidator(), middleware: middleware, handlers: map[reflect.Type]entry{}}
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
	if err := refuseValidateFn(t, map[reflect.Type]bool{}); err != nil {
		return fmt.Errorf("command: %s: %w", t, err)
	}
	validate := b.validation(t, byValue)
	next := Next(func(ctx context.Context, cmd any) (any, error) {
		return h.Handle(ctx, cmd.(C))
	})
	for i := len(b.middleware) - 1; i >= 0; i-- {
		next = b.middleware[i](t.Name(), next)
	}
	e := entry{next: func(ctx context.Context, cmd any) (any, error) {
		if validate != nil {
			if err := validate(cmd); err != nil {
				return nil, err
			}
		}
		return next(ctx, cmd)
	}}
	if len(b.middleware) == 0 {
		e.typed = func(ctx context.Context, cmd C) (R, error) {
			if validate != nil {
				if err := validate(cmd); err != nil { // only here is cmd put in an interface
					var zero R
					return zero, err
				}
			}
			return h.Handle(ctx, cmd)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.handlers[t]; dup {
		return fmt.Errorf("command: %s already has a handler", t)
	}
	b.handlers[t] = e
	return nil
}

// validation returns what Validate does for commands of type t, worked
// out once: a struct whose fields carry no validate tag at any depth gives
// the validator nothing to check, so only its own Validate runs (when
// selfValidates). It returns nil when there is nothing to check at all.
func (b *Bus) validation(t reflect.Type, selfValidates bool) func(cmd any) error {
	switch {
	case t.Kind() != reflect.Struct || hasRules(t, map[reflect.Type]bool{}):
		return b.Validate
	case selfValidates:
		return func(cmd any) error { return cmd.(SelfValidator).Validate() } //nolint:wrapcheck // the command's own client-facing error
	}
	return nil
}

// hasRules reports whether the validator could find anything to check in
// struct type t: a validate tag on any field, or, since the validator
// walks into nested structs (through pointers and interfaces too), on any
// field of a struct or interface field. Slices and maps need a dive tag
// for the validator to enter them, and that tag is on the field.
func hasRules(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	for f := range t.Fields() {
		if f.Tag.Get("validate") != "" {
			return true
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.Interface:
			return true // what it holds is known only when it is validated
		case reflect.Struct:
			if hasRules(ft, seen) {
				return true
			}
		}
	}
	return false
}

// Dispatch validates cmd and runs its handler. A command that fails
// validation returns a *kit.ValidationError and never reaches the handler.
func Dispatch[R, C any](ctx context.Context, b *Bus, cmd C) (R, error) {
	var zero R
	t := reflect.TypeFor[C]()
	b.mu.RLock()
	e, ok := b.handlers[t]
	b.mu.RUnlock()
	if !ok {
		return zero, fmt.Errorf("command: no handler for %s", t)
	}
	if typed, ok := e.typed.(func(context.Context, C) (R, error)); ok {
		r, err := typed(ctx, cmd)
		if err != nil {
			return zero, err
		}
		return r, nil
	}
	res, err := e.next(ctx, cmd)
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
		out.Fields[i] = kit.FieldError{Field: f.Field(), Reason: b.reason(f)}
	}
	return out
}

// slugChars are the characters the slug tag allows.
const slugChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

// NewValidator returns a validator configured as the bus's: fields are named
// by their JSON tag, and the kit's own tags are registered. The bus adds its
// English reasons on top; a caller of NewValidator only gets the errors.
//
// Kit tags: notblank (a string with something other than white space);
// slug (ASCII letters, digits, '.', '_' and '-' only: codes such as SKUs).
func NewValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			return name
		}
		// A field a custom operation binds from the request is named as
		// the client sent it.
		for _, key := range []string{"query", "path", "header"} {
			if q, _, _ := strings.Cut(f.Tag.Get(key), ","); q != "" {
				return q
			}
		}
		return f.Name
	})
	// Registering a tag on a new validator fails only for an empty tag name.
	_ = v.RegisterValidation("notblank", func(fl validator.FieldLevel) bool {
		return strings.TrimSpace(fl.Field().String()) != ""
	})
	_ = v.RegisterValidation("slug", func(fl validator.FieldLevel) bool {
		return strings.Trim(fl.Field().String(), slugChars) == ""
	})
	return v
}

// registerReasons gives v the stock English translations, then replaces
// those for the tags whose reasons are already part of the HTTP contract:
// clients match on those strings, so their wording must not change.
func registerReasons(v *validator.Validate) (ut.Translator, error) {
	english := en.New()
	// GetTranslator cannot miss: english is both the fallback and the only
	// supported locale.
	trans, _ := ut.New(english, english).GetTranslator(english.Locale())
	if err := entranslations.RegisterDefaultTranslations(v, trans); err != nil {
		return nil, fmt.Errorf("command: register stock English reasons: %w", err)
	}
	for _, r := range contractReasons() {
		err := v.RegisterTranslation(r.tag, trans, func(trans ut.Translator) error {
			for key, text := range r.texts {
				// Keys are our own, so a clash means a duplicate in contractReasons.
				if err := trans.Add(key, text, false); err != nil {
					return fmt.Errorf("add %s: %w", key, err)
				}
			}
			return nil
		}, r.translate)
		if err != nil {
			return nil, fmt.Errorf("command: register reason for %s: %w", r.tag, err)
		}
	}
	return trans, nil
}

// contractReason is a tag's reason as clients already see it. Like the stock
// texts, {0} is the field, so reason strips every translation the same way.
type contractReason struct {
	tag string
	// texts maps translation keys to texts. Keys are prefixed so they never
	// collide with the stock keys, which stay registered but unused.
	texts map[string]string
	// key picks the text for f; nil means the only one.
	key func(f validator.FieldError) string
	// param rewrites the tag's parameter for {1}; nil means as written.
	param func(string) string
}

// contractReasons is a function, not a variable, so the table cannot be
// changed after start-up.
func contractReasons() []contractReason {
	// The unit matters to a client fixing a string; for anything else the
	// bare bound has always been enough.
	bySize := func(tag string) func(validator.FieldError) string {
		return func(f validator.FieldError) string {
			if f.Kind() == reflect.String {
				return "kit-" + tag + "-string"
			}
			return "kit-" + tag
		}
	}
	return []contractReason{
		{tag: "required", texts: map[string]string{"kit-required": "{0} is required"}},
		{tag: "notblank", texts: map[string]string{"kit-notblank": "{0} must not be blank"}},
		{tag: "slug", texts: map[string]string{"kit-slug": "{0} may hold only letters, digits, '.', '_' and '-'"}},
		{tag: "max", key: bySize("max"), texts: map[string]string{
			"kit-max-string": "{0} must be at most {1} characters",
			"kit-max":        "{0} must be at most {1}",
		}},
		{tag: "min", key: bySize("min"), texts: map[string]string{
			"kit-min-string": "{0} must be at least {1} characters",
			"kit-min":        "{0} must be at least {1}",
		}},
		// The parameter is the other field's Go name; lower-casing its first
		// letter is how the kit has always approximated its JSON name.
		{tag: "required_without", param: lowerFirst, texts: map[string]string{
			"kit-required_without": "{0} is required when {1} is absent",
		}},
		{tag: "printascii", texts: map[string]string{"kit-printascii": "{0} must be visible ASCII characters"}},
	}
}

// translate renders r for f. On failure it returns f.Error(), as the stock
// translations do, so reason has a single way to spot a missing translation.
func (r contractReason) translate(trans ut.Translator, f validator.FieldError) string {
	key := "kit-" + r.tag
	if r.key != nil {
		key = r.key(f)
	}
	param := f.Param()
	if r.param != nil {
		param = r.param(param)
	}
	msg, err := trans.T(key, f.Field(), param)
	if err != nil {
		return f.Error()
	}
	return msg
}

// reason explains a failed tag in words a client can act on. The field is
// reported beside the reason, so the reason leaves it out.
func (b *Bus) reason(f validator.FieldError) string {
	b.reasonsOnce.Do(func() {
		reasons, err := registerReasons(b.validate)
		if err != nil {
			panic(err)
		}
		b.reasons = reasons
	})
	msg := f.Translate(b.reasons)
	if msg == f.Error() {
		// No translation for the tag (or it failed): f.Error() would leak
		// the Go type's name, so keep the kit's generic wording.
		return "failed the " + f.Tag() + " check"
	}
	// From validate.Var the field is "", leaving a bare leading space.
	return strings.TrimPrefix(msg, f.Field()+" ")
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToLower(string(r)) + s[n:]
}

// Has reports whether b has a handler for commands of type C, so that a
// default handler can step aside for one registered before it.
func Has[C any](b *Bus) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.handlers[reflect.TypeFor[C]()]
	return ok
}

// refuseValidateFn finds validator's validateFn tag anywhere in t. The tag
// calls a method named in a string, and supporting it keeps every exported
// method of every type in a binary; the Lambda build leaves it out (the
// validator_novalidatefn build tag), where the tag would panic. Refusing it
// at registration makes the two builds agree, and a test catches it.
func refuseValidateFn(t reflect.Type, seen map[reflect.Type]bool) error {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	for f := range t.Fields() {
		for rule := range strings.FieldsFuncSeq(f.Tag.Get("validate"), func(r rune) bool { return r == ',' || r == '|' }) {
			if name, _, _ := strings.Cut(rule, "="); name == "validateFn" {
				return fmt.Errorf("field %s: the validateFn rule is not supported; give the command a Validate method instead", f.Name)
			}
		}
		if err := refuseValidateFn(f.Type, seen); err != nil {
			return err
		}
	}
	return nil
}
