package command_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
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
