package kit_test

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/lambdakit/lambdakit/kit"
)

func TestIsUUID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"00000000-0000-7000-8000-000000000001", true},
		{"0190b5a4-1c2d-7e3f-9a4b-5c6d7e8f9a0b", true},
		{"ffffffff-ffff-ffff-ffff-ffffffffffff", true},
		{"123e4567-e89b-12d3-a456-426614174000", true}, // version 1: any version is fine
		{"", false},
		{"00000000-0000-7000-8000-00000000000", false},   // 35 characters
		{"00000000-0000-7000-8000-0000000000001", false}, // 37 characters
		{"0190B5A4-1C2D-7E3F-9A4B-5C6D7E8F9A0B", false},  // upper case
		{"0190b5a4-1c2d-7e3f-9a4b-5c6d7e8f9a0B", false},  // one upper-case digit
		{"0190b5a41c2d7e3f9a4b5c6d7e8f9a0b", false},      // no hyphens
		{"0190b5a4-1c2d-7e3f-9a4b-5c6d7e8f9a0g", false},  // not hex
		{"0190b5a4_1c2d-7e3f-9a4b-5c6d7e8f9a0b", false},  // wrong separator
		{"0190b5a41-c2d-7e3f-9a4b-5c6d7e8f9a0b", false},  // hyphen moved
		{"0190b5a4-1c2d-7e3f-9a4b-5c6d7e8f9a-b", false},  // hyphen where a digit goes
		{"{0190b5a4-1c2d-7e3f-9a4b-5c6d7e8f9a}", false},  // braces
		{"0190b5a4-1c2d-7e3f-9a4b-5c6d7e8f9aé", false},   // 36 bytes, multibyte
		{"0190b5a4-1c2d-7e3f-9a4b-5c6d7e8f9a0\x00", false},
		{"../../../../../../../../etc/passwd/x", false},
	} {
		if got := kit.IsUUID(tc.in); got != tc.want {
			t.Errorf("IsUUID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func fixedClock(t time.Time) kit.Clock { return kit.ClockFunc(func() time.Time { return t }) }

func uuidBytes(t *testing.T, id string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(b) != 16 {
		t.Fatalf("%q is not 16 hex bytes: %v", id, err)
	}
	return b
}

func TestUUIDv7Layout(t *testing.T) {
	for _, at := range []time.Time{
		time.Unix(0, 0),
		time.Date(2026, 11, 28, 15, 4, 5, 123e6, time.UTC),
		time.Date(2026, 11, 28, 15, 4, 5, 123999999, time.FixedZone("X", 3600)), // sub-millisecond part dropped
		time.UnixMilli(1<<48 - 1),                                               // the largest 48-bit timestamp
	} {
		gen := kit.UUIDv7{Clock: fixedClock(at)}
		seen := map[string]bool{}
		for range 50 {
			id := gen.NewID()
			if !kit.IsUUID(id) {
				t.Fatalf("NewID() = %q, not a UUID", id)
			}
			if seen[id] {
				t.Fatalf("NewID() repeated %q within one millisecond", id)
			}
			seen[id] = true
			b := uuidBytes(t, id)
			if v := b[6] >> 4; v != 7 {
				t.Errorf("%q has version %d, want 7", id, v)
			}
			if variant := b[8] >> 6; variant != 0b10 {
				t.Errorf("%q has variant bits %02b, want 10", id, variant)
			}
			var ms int64
			for _, c := range b[:6] {
				ms = ms<<8 | int64(c)
			}
			if ms != at.UnixMilli() {
				t.Errorf("%q embeds %d ms, want %d (clock %v)", id, ms, at.UnixMilli(), at)
			}
		}
	}
}

func TestUUIDv7OrderedByTime(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	prev := ""
	for _, step := range []time.Duration{0, time.Millisecond, 2 * time.Millisecond, time.Second, time.Hour, 24 * 365 * time.Hour} {
		id := kit.UUIDv7{Clock: fixedClock(start.Add(step))}.NewID()
		if prev != "" && id <= prev {
			t.Errorf("id at +%v = %q does not sort after %q", step, id, prev)
		}
		prev = id
	}
}

func TestFormatUUID(t *testing.T) {
	var b [16]byte
	for i := range b {
		b[i] = byte(0xf0 + i)
	}
	if got, want := kit.FormatUUID(b), "f0f1f2f3-f4f5-f6f7-f8f9-fafbfcfdfeff"; got != want {
		t.Errorf("FormatUUID = %q, want %q", got, want)
	}
	if got := kit.FormatUUID([16]byte{}); got != "00000000-0000-0000-0000-000000000000" || !kit.IsUUID(got) {
		t.Errorf("FormatUUID(zero) = %q", got)
	}
}

func TestSystemClockIsUTC(t *testing.T) {
	if loc := (kit.SystemClock{}).Now().Location(); loc != time.UTC {
		t.Errorf("SystemClock location = %v, want UTC", loc)
	}
}

func TestNameID(t *testing.T) {
	a := kit.NameID("00000000-0000-7000-8000-000000000003", "arn:aws:iam::1:user/a")
	if again := kit.NameID("00000000-0000-7000-8000-000000000003", "arn:aws:iam::1:user/a"); again != a {
		t.Errorf("NameID is not deterministic: %s, then %s", a, again)
	}
	if !kit.IsUUID(a) {
		t.Errorf("NameID = %q, not a UUID", a)
	}
	if b := uuidBytes(t, a); b[6]>>4 != 8 || b[8]>>6 != 0b10 {
		t.Errorf("NameID = %s: version %d, variant bits %02b; want version 8, RFC 9562 variant", a, b[6]>>4, b[8]>>6)
	}
	for name, other := range map[string]string{
		"another caller":     kit.NameID("00000000-0000-7000-8000-000000000003", "arn:aws:iam::1:user/b"),
		"another review":     kit.NameID("00000000-0000-7000-8000-000000000004", "arn:aws:iam::1:user/a"),
		"the parts swapped":  kit.NameID("arn:aws:iam::1:user/a", "00000000-0000-7000-8000-000000000003"),
		"the parts joined":   kit.NameID("00000000-0000-7000-8000-000000000003arn:aws:iam::1:user/a"),
		"a boundary shifted": kit.NameID("00000000-0000-7000-8000-000000000003a", "rn:aws:iam::1:user/a"),
	} {
		if other == a {
			t.Errorf("%s gives the same id %s", name, a)
		}
	}
}
