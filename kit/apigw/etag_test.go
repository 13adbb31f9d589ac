package apigw_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/lambdakit/lambdakit/kit"
	"github.com/lambdakit/lambdakit/kit/apigw"
)

func withHeader(name, value string) *apigw.Request {
	return &apigw.Request{Event: events.APIGatewayProxyRequest{Headers: map[string]string{name: value}}}
}

func TestETag(t *testing.T) {
	for _, tc := range []struct {
		v    kit.Version
		want string
	}{{1, `"1"`}, {3, `"3"`}, {1234567890123, `"1234567890123"`}} {
		if got := apigw.ETag(tc.v); got != tc.want {
			t.Errorf("ETag(%d) = %s, want %s", tc.v, got, tc.want)
		}
		// What ETag hands out, If-Match accepts as that version.
		if got, err := withHeader("If-Match", apigw.ETag(tc.v)).IfMatch(); err != nil || got != tc.v {
			t.Errorf("IfMatch(ETag(%d)) = %d, %v", tc.v, got, err)
		}
	}
}

func TestIfMatch(t *testing.T) {
	const (
		exactly = iota
		never   // a version no entity has: neither AnyVersion nor a real one
		invalid
	)
	for _, tc := range []struct {
		header string
		absent bool
		want   int
		v      kit.Version
	}{
		{absent: true, want: exactly, v: kit.AnyVersion},
		{header: "", want: exactly, v: kit.AnyVersion},
		{header: "  ", want: exactly, v: kit.AnyVersion},
		{header: "*", want: exactly, v: kit.AnyVersion},
		{header: " * ", want: exactly, v: kit.AnyVersion},
		{header: `"3"`, want: exactly, v: 3},
		{header: ` "3" `, want: exactly, v: 3},
		{header: `"1"`, want: exactly, v: 1},
		{header: `"9223372036854775807"`, want: exactly, v: 9223372036854775807},
		{header: `W/"3"`, want: never},
		{header: `W/"abc"`, want: never},
		{header: `"0"`, want: never},
		{header: `"-5"`, want: never},
		{header: `"-0"`, want: never},
		{header: `"abc"`, want: never},
		{header: `""`, want: never},
		{header: `"3.0"`, want: never},
		{header: `"03"`, want: never}, // strong comparison is by character
		{header: `"+3"`, want: never},
		{header: `"99999999999999999999"`, want: never},
		{header: `"1", "2"`, want: invalid},
		{header: `"3",`, want: invalid},
		{header: `*, "3"`, want: invalid},
		{header: `3`, want: invalid},
		{header: `garbage`, want: invalid},
		{header: `"3`, want: invalid},
		{header: `3"`, want: invalid},
		{header: `"`, want: invalid},
		{header: `W/`, want: invalid},
		{header: `W/3`, want: invalid},
		{header: `w/"3"`, want: invalid},
		{header: `**`, want: invalid},
	} {
		r := &apigw.Request{}
		if !tc.absent {
			r = withHeader("if-match", tc.header)
		}
		got, err := r.IfMatch()
		switch tc.want {
		case exactly:
			if err != nil || got != tc.v {
				t.Errorf("IfMatch(%q) = %d, %v; want %d", tc.header, got, err, tc.v)
			}
		case never:
			if err != nil {
				t.Errorf("IfMatch(%q) error %v, want a version that never matches", tc.header, err)
			}
			if got == kit.AnyVersion || got >= 1 {
				t.Errorf("IfMatch(%q) = %d, which matches an entity", tc.header, got)
			}
		case invalid:
			if !errors.Is(err, kit.ErrInvalid) {
				t.Errorf("IfMatch(%q) = %d, %v; want ErrInvalid", tc.header, got, err)
			}
			var ke *kit.Error
			if err != nil && !errors.As(err, &ke) {
				t.Errorf("IfMatch(%q) error %T has no client detail", tc.header, err)
			}
		}
	}
}

func TestIfMatchFromMultiValueHeaders(t *testing.T) {
	r := &apigw.Request{Event: events.APIGatewayProxyRequest{MultiValueHeaders: map[string][]string{"If-Match": {`"7"`}}}}
	if got, err := r.IfMatch(); err != nil || got != 7 {
		t.Errorf("IfMatch = %d, %v; want 7", got, err)
	}
}

func TestNotModified(t *testing.T) {
	for _, tc := range []struct {
		header string
		v      kit.Version
		rev    int64
		want   bool
	}{
		{"", 3, 0, false},
		{"   ", 3, 0, false},
		{"*", 3, 0, true},
		{`"3"`, 3, 0, true},
		{`"3"`, 4, 0, false},
		{`W/"3"`, 3, 0, true},
		{` W/"3" `, 3, 0, true},
		{`"1", "2", "3"`, 3, 0, true},
		{`"1","3"`, 3, 0, true},
		{`"1", W/"3"`, 3, 0, true},
		{`"1", "2"`, 3, 0, false},
		{`W/"1", W/"2"`, 3, 0, false},
		{`"abc", "3"`, 3, 0, true},
		{`garbage, "3"`, 3, 0, true},
		{`garbage`, 3, 0, false},
		{`3`, 3, 0, false},
		{`"0"`, 1, 0, false},
		{`"-1"`, 1, 0, false},
		{`,,,`, 3, 0, false},
		// A derived write (a new revision) changes the tag: a cached copy
		// from before it is stale.
		{`"3.2"`, 3, 2, true},
		{`"3"`, 3, 2, false},
		{`"3.1"`, 3, 2, false},
		{`"3.2"`, 3, 0, false},
	} {
		if got := withHeader("If-None-Match", tc.header).NotModified(apigw.Tag(tc.v, tc.rev)); got != tc.want {
			t.Errorf("NotModified(%q, v%d.%d) = %v, want %v", tc.header, tc.v, tc.rev, got, tc.want)
		}
	}
}

// TestIfMatchReadsTheVersionOfARevisedTag lets a client write with the tag
// it read even after derived writes it cannot make: If-Match compares
// versions only.
func TestIfMatchReadsTheVersionOfARevisedTag(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   kit.Version
	}{
		{`"3.7"`, 3},
		{`"3.1"`, 3},
		{`"3.0"`, -1},
		{`"3.07"`, -1},
		{`"3."`, -1},
		{`"3.x"`, -1},
	} {
		if got, err := withHeader("If-Match", tc.header).IfMatch(); err != nil || got != tc.want {
			t.Errorf("IfMatch(%s) = %d, %v; want %d", tc.header, got, err, tc.want)
		}
	}
	if got := apigw.Tag(3, 7); got != `"3.7"` {
		t.Errorf("Tag(3, 7) = %s", got)
	}
	if got := apigw.Tag(3, 0); got != `"3"` {
		t.Errorf("Tag(3, 0) = %s", got)
	}
}
