package command_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/command"
)

type createThing struct {
	Name        string `json:"name" validate:"required,notblank,max=200"`
	Description string `json:"description" validate:"max=10"`
	Size        int    `json:"size" validate:"min=1,max=5"`
	Token       string `json:"-" query:"nextToken" validate:"max=3"`
	Plain       string `validate:"max=2"`
}

type thing struct{ Name string }

// counter is a handler that counts its calls and echoes the name.
type counter struct{ calls atomic.Int32 }

func (c *counter) Handle(_ context.Context, cmd createThing) (thing, error) {
	c.calls.Add(1)
	return thing{Name: "made " + cmd.Name}, nil
}

func valid() createThing { return createThing{Name: "chair", Size: 1} }

func newBus(t *testing.T, mw ...command.Middleware) (*command.Bus, *counter) {
	t.Helper()
	bus := command.NewBus(mw...)
	h := &counter{}
	if err := command.Register[createThing, thing](bus, h); err != nil {
		t.Fatal(err)
	}
	return bus, h
}

func TestDispatchReturnsHandlerResult(t *testing.T) {
	bus, h := newBus(t)
	got, err := command.Dispatch[thing](context.Background(), bus, valid())
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "made chair" || h.calls.Load() != 1 {
		t.Errorf("Dispatch = %+v after %d calls", got, h.calls.Load())
	}
}

func TestDispatchPassesContextAndError(t *testing.T) {
	type key struct{}
	bus := command.NewBus()
	sentinel := errors.New("handler failed")
	err := command.Register(bus, command.HandlerFunc[createThing, thing](func(ctx context.Context, _ createThing) (thing, error) {
		if ctx.Value(key{}) != "v" {
			return thing{}, errors.New("context not passed")
		}
		return thing{Name: "partial"}, fmt.Errorf("wrapped: %w", sentinel)
	}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := command.Dispatch[thing](context.WithValue(context.Background(), key{}, "v"), bus, valid())
	if !errors.Is(err, sentinel) {
		t.Fatalf("Dispatch error = %v, want the handler's", err)
	}
	if got != (thing{}) {
		t.Errorf("Dispatch returned %+v with an error, want the zero result", got)
	}
}

func TestValidationFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  createThing
		want map[string]string // field → reason
	}{
		{"missing name", createThing{Size: 1}, map[string]string{"name": "is required"}},
		{"blank name", createThing{Name: " \t\n ", Size: 1}, map[string]string{"name": "must not be blank"}},
		{"every field", createThing{Name: "", Description: "eleven char", Size: 9, Token: "abcd", Plain: "abc"}, map[string]string{
			"name":        "is required",
			"description": "must be at most 10 characters",
			"size":        "must be at most 5",
			"nextToken":   "must be at most 3 characters",
			"Plain":       "must be at most 2 characters",
		}},
		{"size below min", createThing{Name: "x", Size: 0}, map[string]string{"size": "must be at least 1"}},
		{"name too long", createThing{Name: strings.Repeat("n", 201), Size: 1}, map[string]string{"name": "must be at most 200 characters"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bus, h := newBus(t)
			_, err := command.Dispatch[thing](context.Background(), bus, tc.cmd)
			if !errors.Is(err, kit.ErrInvalid) {
				t.Fatalf("Dispatch error = %v, want ErrInvalid", err)
			}
			var verr *kit.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Dispatch error %T is not a *kit.ValidationError", err)
			}
			got := map[string]string{}
			for _, f := range verr.Fields {
				if _, dup := got[f.Field]; dup {
					t.Errorf("field %q reported twice", f.Field)
				}
				got[f.Field] = f.Reason
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields = %v, want %v", got, tc.want)
			}
			if n := h.calls.Load(); n != 0 {
				t.Errorf("the handler ran %d times for an invalid command", n)
			}
		})
	}
}

func TestMaxCountsCharacters(t *testing.T) {
	for _, tc := range []struct {
		name    string
		value   string
		wantErr bool
	}{
		{"200 three-byte runes", strings.Repeat("€", 200), false},
		{"200 four-byte runes", strings.Repeat("😀", 200), false},
		{"201 three-byte runes", strings.Repeat("€", 201), true},
		{"200 ASCII", strings.Repeat("a", 200), false},
		{"201 ASCII", strings.Repeat("a", 201), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bus, h := newBus(t)
			cmd := valid()
			cmd.Name = tc.value
			_, err := command.Dispatch[thing](context.Background(), bus, cmd)
			if (err != nil) != tc.wantErr {
				t.Fatalf("%d bytes, %d runes: error = %v, want error %v", len(tc.value), len([]rune(tc.value)), err, tc.wantErr)
			}
			if tc.wantErr != (h.calls.Load() == 0) {
				t.Errorf("handler calls = %d", h.calls.Load())
			}
		})
	}
}

func TestNotBlank(t *testing.T) {
	v := command.NewValidator()
	type cmd struct {
		S string `json:"s" validate:"notblank"`
	}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"", false}, {" ", false}, {"\t\r\n", false}, {"\u00a0\u2003", false},
		{"x", true}, {" x ", true}, {".", true}, {"é", true},
	} {
		if err := v.Struct(cmd{S: tc.in}); (err == nil) != tc.ok {
			t.Errorf("notblank(%q) error = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func TestRegisterDuplicate(t *testing.T) {
	bus, _ := newBus(t)
	err := command.Register[createThing, thing](bus, &counter{})
	if err == nil {
		t.Fatal("a second handler for createThing was accepted")
	}
	if !strings.Contains(err.Error(), "createThing") {
		t.Errorf("error %q does not name the command", err)
	}
	// A different result type is still the same command.
	err = command.Register(bus, command.HandlerFunc[createThing, string](func(context.Context, createThing) (string, error) { return "", nil }))
	if err == nil {
		t.Error("a handler for createThing with another result type was accepted")
	}
}

func TestDispatchWithoutHandler(t *testing.T) {
	type unknown struct{ X string }
	bus, _ := newBus(t)
	if _, err := command.Dispatch[thing](context.Background(), bus, unknown{}); err == nil || !strings.Contains(err.Error(), "no handler") {
		t.Errorf("Dispatch of an unregistered command: %v", err)
	}
	if _, err := command.Dispatch[thing](context.Background(), bus, &createThing{Name: "x", Size: 1}); err == nil {
		t.Error("a pointer to a registered command type found its handler")
	}
}

func TestWrongResultTypeIsAnError(t *testing.T) {
	bus, h := newBus(t)
	var got string
	var err error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Dispatch panicked: %v", p)
			}
		}()
		got, err = command.Dispatch[string](context.Background(), bus, valid())
	}()
	if err == nil {
		t.Fatalf("Dispatch[string] of a thing handler = %q, want an error", got)
	}
	if got != "" {
		t.Errorf("Dispatch returned %q with its error", got)
	}
	if h.calls.Load() != 1 {
		t.Errorf("handler calls = %d, want 1", h.calls.Load())
	}
}

// ranged must cover the whole range, a rule tags cannot express.
type ranged struct {
	From int `json:"from" validate:"min=0"`
	To   int `json:"to" validate:"min=0"`

	calls *atomic.Int32
}

func (r ranged) Validate() error {
	r.calls.Add(1)
	if r.From > r.To {
		return &kit.ValidationError{Fields: []kit.FieldError{{Field: "to", Reason: "must not be before from"}}}
	}
	return nil
}

func TestSelfValidator(t *testing.T) {
	for _, tc := range []struct {
		name          string
		from, to      int
		wantField     string
		wantValidates int32
	}{
		{"passes", 1, 2, "", 1},
		{"own rule fails", 3, 2, "to", 1},
		{"tags fail first", -1, 2, "from", 0}, // Validate runs only after the tags pass
	} {
		t.Run(tc.name, func(t *testing.T) {
			bus := command.NewBus()
			var handled atomic.Int32
			err := command.Register(bus, command.HandlerFunc[ranged, int](func(context.Context, ranged) (int, error) {
				handled.Add(1)
				return 1, nil
			}))
			if err != nil {
				t.Fatal(err)
			}
			validates := &atomic.Int32{}
			_, err = command.Dispatch[int](context.Background(), bus, ranged{From: tc.from, To: tc.to, calls: validates})
			if got := validates.Load(); got != tc.wantValidates {
				t.Errorf("Validate ran %d times, want %d", got, tc.wantValidates)
			}
			if tc.wantField == "" {
				if err != nil || handled.Load() != 1 {
					t.Errorf("Dispatch = %v, handled %d times", err, handled.Load())
				}
				return
			}
			var verr *kit.ValidationError
			if !errors.As(err, &verr) || len(verr.Fields) != 1 || verr.Fields[0].Field != tc.wantField {
				t.Errorf("Dispatch error = %v, want a ValidationError on %q", err, tc.wantField)
			}
			if handled.Load() != 0 {
				t.Error("the handler ran for an invalid command")
			}
		})
	}
}

func TestBusValidateDirectly(t *testing.T) {
	bus := command.NewBus()
	if err := bus.Validate(valid()); err != nil {
		t.Errorf("Validate(valid) = %v", err)
	}
	err := bus.Validate(createThing{})
	var verr *kit.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Validate(zero) = %v", err)
	}
	// Not a struct: an error, but not one that blames the client.
	if err := bus.Validate(42); err == nil || errors.Is(err, kit.ErrInvalid) {
		t.Errorf("Validate(42) = %v, want a non-client error", err)
	}
}

func TestMiddlewareOrder(t *testing.T) {
	var trace []string
	mw := func(label string) command.Middleware {
		return func(name string, next command.Next) command.Next {
			return func(ctx context.Context, cmd any) (any, error) {
				trace = append(trace, label+">"+name)
				res, err := next(ctx, cmd)
				trace = append(trace, label+"<")
				return res, err
			}
		}
	}
	bus := command.NewBus(mw("outer"), mw("inner"))
	err := command.Register(bus, command.HandlerFunc[createThing, thing](func(_ context.Context, c createThing) (thing, error) {
		trace = append(trace, "handler")
		return thing{Name: c.Name}, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := command.Dispatch[thing](context.Background(), bus, valid()); err != nil {
		t.Fatal(err)
	}
	want := []string{"outer>createThing", "inner>createThing", "handler", "inner<", "outer<"}
	if !reflect.DeepEqual(trace, want) {
		t.Errorf("trace = %v, want %v", trace, want)
	}
}

func TestMiddlewareCanShortCircuitAndRewrite(t *testing.T) {
	var names []string
	deny := errors.New("denied")
	bus := command.NewBus(func(name string, next command.Next) command.Next {
		names = append(names, name)
		return func(ctx context.Context, cmd any) (any, error) {
			if c, ok := cmd.(createThing); ok && c.Name == "forbidden" {
				return nil, deny
			}
			return next(ctx, cmd)
		}
	})
	h := &counter{}
	if err := command.Register[createThing, thing](bus, h); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{"createThing"}) {
		t.Errorf("middleware saw names %v at Register", names)
	}
	cmd := valid()
	cmd.Name = "forbidden"
	if _, err := command.Dispatch[thing](context.Background(), bus, cmd); !errors.Is(err, deny) {
		t.Errorf("Dispatch = %v, want the middleware's error", err)
	}
	if h.calls.Load() != 0 {
		t.Error("the handler ran behind a middleware that refused")
	}
}

// pointerValidated declares Validate on its pointer, which the bus, holding
// commands by value, could never call.
type pointerValidated struct{}

func (*pointerValidated) Validate() error { return nil }

func TestRegisterRefusesPointerValidate(t *testing.T) {
	err := command.Register(command.NewBus(), command.HandlerFunc[pointerValidated, int](func(context.Context, pointerValidated) (int, error) {
		return 0, nil
	}))
	if err == nil || !strings.Contains(err.Error(), "pointer receiver") {
		t.Fatalf("Register = %v, want an error about the pointer receiver", err)
	}
}

func TestInterfaceResultMayBeNil(t *testing.T) {
	bus := command.NewBus()
	if err := command.Register(bus, command.HandlerFunc[createThing, fmt.Stringer](func(context.Context, createThing) (fmt.Stringer, error) {
		return nil, nil
	})); err != nil {
		t.Fatal(err)
	}
	got, err := command.Dispatch[fmt.Stringer](context.Background(), bus, valid())
	if err != nil || got != nil {
		t.Fatalf("Dispatch = %v, %v; want nil, nil", got, err)
	}
}

// reasons has one failing field per case in TestReasons, named so that no
// expected reason contains any field's name.
type reasons struct {
	Nick     string   `json:"nick" validate:"required"`
	Bio      string   `json:"bio" validate:"notblank"`
	Motto    string   `json:"motto" validate:"max=3"`
	Qty      int      `json:"qty" validate:"max=5"`
	Code     string   `json:"code" validate:"min=4"`
	Score    float64  `json:"score" validate:"min=1.5"`
	Tags     []string `json:"tags" validate:"max=2"`
	Ref      *string  `json:"ref" validate:"omitnil,max=2"`
	Pin      string   `json:"pin" validate:"required_without=OtherPin"`
	OtherPin string   `json:"otherPin"`
	Handle   string   `json:"handle" validate:"printascii"`
	SKU      string   `json:"sku" validate:"omitempty,slug"`
	Contact  string   `json:"contact" validate:"email"`
	Colour   string   `json:"colour" validate:"oneof=red green"`
	Token    string   `json:"token" validate:"uuid"`
	Rank     int      `json:"rank" validate:"gte=18"`
	Initials string   `json:"initials" validate:"gte=2"`
	Stars    int      `json:"stars" validate:"lte=5"`
	Flag     string   `json:"flag" validate:"lte=1"`
	Zip      string   `json:"zip" validate:"len=4"`
	Homepage string   `json:"homepage" validate:"url"`
}

// validReasons passes every tag in reasons.
func validReasons() reasons {
	return reasons{
		Nick: "n", Bio: "b", Code: "abcd", Score: 2, Pin: "1", Handle: "h",
		Contact: "a@example.com", Colour: "red", Token: "0b5f1b3c-3f1e-4f8a-9c57-2f0e7a1d9e11",
		Rank: 18, Initials: "ab", Zip: "1234", Homepage: "https://example.com", SKU: "LAMP-42_b.1",
	}
}

func TestReasons(t *testing.T) {
	for _, tc := range []struct {
		field, reason string
		spoil         func(*reasons)
	}{
		// The published contract: these must never change wording.
		{"nick", "is required", func(r *reasons) { r.Nick = "" }},
		{"bio", "must not be blank", func(r *reasons) { r.Bio = " \t" }},
		{"motto", "must be at most 3 characters", func(r *reasons) { r.Motto = "four" }},
		{"qty", "must be at most 5", func(r *reasons) { r.Qty = 6 }},
		{"code", "must be at least 4 characters", func(r *reasons) { r.Code = "abc" }},
		{"score", "must be at least 1.5", func(r *reasons) { r.Score = 1 }},
		{"tags", "must be at most 2", func(r *reasons) { r.Tags = []string{"a", "b", "c"} }},
		{"ref", "must be at most 2 characters", func(r *reasons) { s := "abc"; r.Ref = &s }},
		{"pin", "is required when otherPin is absent", func(r *reasons) { r.Pin = "" }},
		{"handle", "must be visible ASCII characters", func(r *reasons) { r.Handle = "é" }},
		{"sku", "may hold only letters, digits, '.', '_' and '-'", func(r *reasons) { r.SKU = "LAMP 42" }},
		// Everything else is validator's stock English, less the field name.
		{"contact", "must be a valid email address", func(r *reasons) { r.Contact = "nobody" }},
		{"colour", "must be one of [red green]", func(r *reasons) { r.Colour = "blue" }},
		{"token", "must be a valid UUID", func(r *reasons) { r.Token = "0b5f1b3c" }},
		{"rank", "must be 18 or greater", func(r *reasons) { r.Rank = 17 }},
		{"initials", "must be at least 2 characters in length", func(r *reasons) { r.Initials = "a" }},
		{"stars", "must be 5 or less", func(r *reasons) { r.Stars = 6 }},
		{"flag", "must be at most 1 character in length", func(r *reasons) { r.Flag = "ab" }},
		{"zip", "must be 4 characters in length", func(r *reasons) { r.Zip = "123" }},
		{"homepage", "must be a valid URL", func(r *reasons) { r.Homepage = "example" }},
	} {
		t.Run(tc.field, func(t *testing.T) {
			cmd := validReasons()
			tc.spoil(&cmd)
			var verr *kit.ValidationError
			if err := command.NewBus().Validate(cmd); !errors.As(err, &verr) {
				t.Fatalf("Validate = %v, want a *kit.ValidationError", err)
			}
			want := []kit.FieldError{{Field: tc.field, Reason: tc.reason}}
			if !reflect.DeepEqual(verr.Fields, want) {
				t.Errorf("fields = %+v, want %+v", verr.Fields, want)
			}
			for _, f := range verr.Fields {
				if strings.Contains(f.Reason, "failed the") || strings.Contains(f.Reason, f.Field) {
					t.Errorf("reason %q is the generic one or repeats the field %q", f.Reason, f.Field)
				}
			}
		})
	}
}

// TestFirstReasonsRace fails validation on a new bus from several
// goroutines at once: the reasons are registered when the first is needed,
// once, and every caller gets them (run with -race, as make test does).
func TestFirstReasonsRace(t *testing.T) {
	bus := command.NewBus()
	cmd := validReasons()
	cmd.Bio = " "
	got := make([]string, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			var verr *kit.ValidationError
			if errors.As(bus.Validate(cmd), &verr) && len(verr.Fields) == 1 {
				got[i] = verr.Fields[0].Reason
			}
		})
	}
	wg.Wait()
	for i, r := range got {
		if r != "must not be blank" {
			t.Errorf("caller %d got reason %q, want %q", i, r, "must not be blank")
		}
	}
}

func TestValidReasonsPasses(t *testing.T) {
	if err := command.NewBus().Validate(validReasons()); err != nil {
		t.Fatalf("Validate(validReasons()) = %v", err)
	}
}

func TestUntranslatedTagKeepsGenericReason(t *testing.T) {
	// semver has no stock English translation; the raw FieldError text
	// would leak the Go type's name to the client.
	type cmd struct {
		Version string `json:"version" validate:"semver"`
	}
	var verr *kit.ValidationError
	if err := command.NewBus().Validate(cmd{Version: "one"}); !errors.As(err, &verr) {
		t.Fatalf("Validate = %v, want a *kit.ValidationError", err)
	}
	want := []kit.FieldError{{Field: "version", Reason: "failed the semver check"}}
	if !reflect.DeepEqual(verr.Fields, want) {
		t.Errorf("fields = %+v, want %+v", verr.Fields, want)
	}
}

// box is a generic command: each instantiation is its own command type, as
// resource.Delete[Product] and resource.Delete[Review] are.
type box[T any] struct{ V T }

// TestHas checks that Has reports exactly the command types that have a
// handler: resource.Serve relies on it to keep a handler a service
// registered first, so a false positive would leave an operation with no
// handler and a false negative would fail Serve with a duplicate.
func TestHas(t *testing.T) {
	type sameFields createThing // identical fields, another type
	bus, h := newBus(t)         // registers createThing
	if err := command.Register(bus, command.HandlerFunc[box[int], int](
		func(_ context.Context, b box[int]) (int, error) { return b.V, nil })); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		has  bool
		want bool
	}{
		{"createThing", command.Has[createThing](bus), true},
		{"box[int]", command.Has[box[int]](bus), true},
		{"*createThing", command.Has[*createThing](bus), false},
		{"sameFields", command.Has[sameFields](bus), false},
		{"thing, a result type", command.Has[thing](bus), false},
		{"box[string]", command.Has[box[string]](bus), false},
		{"any", command.Has[any](bus), false},
	} {
		if tc.has != tc.want {
			t.Errorf("Has[%s] = %v, want %v", tc.name, tc.has, tc.want)
		}
	}
	// Has agrees with Register: a type it reports cannot take a second
	// handler, and one it does not report can take a first.
	if err := command.Register[createThing, thing](bus, &counter{}); err == nil {
		t.Error("Register of a second createThing handler succeeded")
	}
	if err := command.Register(bus, command.HandlerFunc[box[string], string](
		func(_ context.Context, b box[string]) (string, error) { return b.V, nil })); err != nil {
		t.Errorf("Register of box[string]: %v", err)
	}
	if !command.Has[box[string]](bus) {
		t.Error("Has[box[string]] = false after Register")
	}
	// Handlers are per bus, and asking runs nothing.
	if command.Has[createThing](command.NewBus()) {
		t.Error("Has reports createThing on a fresh bus")
	}
	if n := h.calls.Load(); n != 0 {
		t.Errorf("Has ran the handler %d times", n)
	}
}

type (
	fnDirect struct {
		A string `validate:"required,validateFn"`
	}
	fnParam struct {
		A string `validate:"omitempty,validateFn=Check"`
	}
	fnAlternative struct {
		A string `validate:"email|validateFn"`
	}
	fnInner struct {
		B string `validate:"validateFn"`
	}
	fnNested struct {
		Inner fnInner
	}
	fnInSlice struct {
		Items []*fnInner `validate:"dive"`
	}
	fnFree struct {
		Name string  `validate:"required,max=10"`
		Next *fnFree // a cycle must end the walk
		Tags map[string][]fnFree
	}
)

// TestRegisterRefusesValidateFn keeps the local and Lambda builds alike:
// the Lambda build leaves validator's validateFn out, so a command using it
// must fail at registration in every build, not at run time in one.
func TestRegisterRefusesValidateFn(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr string
	}{
		{"direct", register[fnDirect](), "field A"},
		{"with a method name", register[fnParam](), "field A"},
		{"in an alternative", register[fnAlternative](), "field A"},
		{"in a nested struct", register[fnNested](), "field B"},
		{"in a slice's elements", register[fnInSlice](), "field B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil || !strings.Contains(tt.err.Error(), "validateFn") || !strings.Contains(tt.err.Error(), tt.wantErr) {
				t.Errorf("Register = %v, want an error about validateFn in %s", tt.err, tt.wantErr)
			}
		})
	}
}

func TestRegisterWalksCyclesWithoutValidateFn(t *testing.T) {
	if err := register[fnFree](); err != nil {
		t.Errorf("Register = %v, want nil", err)
	}
}

// register registers a handler for C on a new bus.
func register[C any]() error {
	return command.Register(command.NewBus(), command.HandlerFunc[C, int](func(context.Context, C) (int, error) { return 0, nil }))
}

type (
	untagged struct {
		ID    string `json:"-"`
		Count int
	}
	tagged struct {
		Name string `json:"name" validate:"required"`
	}
	nestedRules struct {
		Inner tagged `json:"inner"`
	}
	pointedRules struct {
		Inner *tagged `json:"inner"`
	}
	heldRules struct {
		Inner any `json:"inner"`
	}
	selfOnly struct {
		ok bool
	}
)

func (s selfOnly) Validate() error {
	if !s.ok {
		return kit.Invalid("not ok")
	}
	return nil
}

// TestValidationFollowsTheCommandsShape checks every shape of command the
// bus plans its validation for at registration, with and without
// middleware (which takes the untyped path): rules at any depth, through a
// pointer or an interface, are checked; a command with none passes; a
// command with only its own Validate has it run.
func TestValidationFollowsTheCommandsShape(t *testing.T) {
	type tc struct {
		name     string
		dispatch func(*command.Bus) error
		wantErr  bool
	}
	cases := []tc{
		{"no rules", func(b *command.Bus) error { return dispatch(b, untagged{ID: "x"}) }, false},
		{"nested rules broken", func(b *command.Bus) error { return dispatch(b, nestedRules{}) }, true},
		{"nested rules kept", func(b *command.Bus) error { return dispatch(b, nestedRules{Inner: tagged{Name: "n"}}) }, false},
		{"rules behind a pointer broken", func(b *command.Bus) error { return dispatch(b, pointedRules{Inner: &tagged{}}) }, true},
		{"rules behind a nil pointer", func(b *command.Bus) error { return dispatch(b, pointedRules{}) }, false},
		{"rules in an interface broken", func(b *command.Bus) error { return dispatch(b, heldRules{Inner: tagged{}}) }, true},
		{"rules in an interface kept", func(b *command.Bus) error { return dispatch(b, heldRules{Inner: tagged{Name: "n"}}) }, false},
		{"own Validate fails", func(b *command.Bus) error { return dispatch(b, selfOnly{}) }, true},
		{"own Validate passes", func(b *command.Bus) error { return dispatch(b, selfOnly{ok: true}) }, false},
	}
	passThrough := func(_ string, next command.Next) command.Next { return next }
	for _, mw := range [][]command.Middleware{nil, {passThrough}} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/middleware=%d", c.name, len(mw)), func(t *testing.T) {
				bus := command.NewBus(mw...)
				for _, err := range []error{
					register2[untagged](bus), register2[nestedRules](bus), register2[pointedRules](bus),
					register2[heldRules](bus), register2[selfOnly](bus),
				} {
					if err != nil {
						t.Fatal(err)
					}
				}
				err := c.dispatch(bus)
				if c.wantErr != errors.Is(err, kit.ErrInvalid) || (!c.wantErr && err != nil) {
					t.Errorf("Dispatch = %v, want an invalid-input error: %v", err, c.wantErr)
				}
			})
		}
	}
}

// register2 registers a handler for C on bus that answers 1.
func register2[C any](bus *command.Bus) error {
	return command.Register(bus, command.HandlerFunc[C, int](func(context.Context, C) (int, error) { return 1, nil }))
}

// dispatch dispatches cmd and checks that the handler's result came back
// when it succeeded.
func dispatch[C any](bus *command.Bus, cmd C) error {
	n, err := command.Dispatch[int](context.Background(), bus, cmd)
	if err == nil && n != 1 {
		return fmt.Errorf("Dispatch = %d, want the handler's 1", n)
	}
	return err
}
