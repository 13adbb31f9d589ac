package kit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"
)

// UUIDv7 generates RFC 9562 version 7 UUIDs: 48 bits of Unix milliseconds
// then 74 random bits. Being time-ordered, they make "list in id order" read
// as "list in creation order" without a second sort key.
type UUIDv7 struct {
	Clock Clock
}

// NewID returns a new UUID in its canonical 36-character form.
func (u UUIDv7) NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails on supported platforms.
	ms := uint64(u.Clock.Now().UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[:6], ts[2:])
	b[6] = 0x70 | b[6]&0x0f // version 7
	b[8] = 0x80 | b[8]&0x3f // RFC 9562 variant
	return FormatUUID(b)
}

// NameID returns the UUID that parts name: the same parts always give the
// same id, and different parts (or the same text split differently) give
// different ones. It is for an entity there may be only one of per
// combination, such as one vote per review and caller: a second create of
// the id is a conflict, in the same write, whatever the concurrency. The
// id is an RFC 9562 version 8 UUID made of the first 122 bits of a SHA-256
// of the parts, so IsUUID holds and it never equals a UUIDv7 the kit
// hands out. It sorts by its hash, not by time.
func NameID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		// Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
		h.Write([]byte(strconv.Itoa(len(p)) + ":" + p))
	}
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = 0x80 | b[6]&0x0f // version 8
	b[8] = 0x80 | b[8]&0x3f // RFC 9562 variant
	return FormatUUID(b)
}

// FormatUUID renders 16 bytes as a lower-case hyphenated UUID.
func FormatUUID(b [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// IsUUID reports whether s is a lower-case hyphenated UUID of any version.
// Ids from outside are checked with it before they reach storage.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isLowerHex(c) {
				return false
			}
		}
	}
	return true
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// SystemClock is the wall clock in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
