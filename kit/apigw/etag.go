package apigw

import (
	"strconv"
	"strings"

	"github.com/lambdakit/lambdakit/kit"
)

// ETag returns the strong entity tag of a version.
func ETag(v kit.Version) string { return `"` + strconv.FormatInt(int64(v), 10) + `"` }

// IfMatch returns the version the request's If-Match header demands:
// AnyVersion when there is none or it is "*" (the write must find the
// entity either way). It takes one strong tag; a weak tag never matches
// under RFC 9110's strong comparison, so it yields a version no entity has.
// A header sent on several lines counts by its last, as LookupHeader reads
// it.
func (r *Request) IfMatch() (kit.Version, error) {
	h := strings.TrimSpace(r.Header("If-Match"))
	switch {
	case h == "" || h == "*":
		return kit.AnyVersion, nil
	case strings.Contains(h, ","):
		return 0, kit.Invalid("If-Match takes one entity tag or *")
	case strings.HasPrefix(h, "W/"):
		if _, ok := parseTag(h[2:]); !ok {
			return 0, kit.Invalid("If-Match is not an entity tag")
		}
		return neverMatches, nil
	}
	v, ok := parseTag(h)
	if !ok {
		return 0, kit.Invalid("If-Match is not an entity tag")
	}
	if v < 1 { // no entity is at version 0 or below, and 0 means AnyVersion
		return neverMatches, nil
	}
	return v, nil
}

// neverMatches is a version no entity reaches, for tags that cannot match.
const neverMatches = kit.Version(-1)

// NotModified reports whether the request's If-None-Match header matches
// the version, by the weak comparison RFC 9110 prescribes for it. A header
// sent on several lines counts by its last, as LookupHeader reads it.
func (r *Request) NotModified(v kit.Version) bool {
	h := strings.TrimSpace(r.Header("If-None-Match"))
	if h == "" {
		return false
	}
	if h == "*" {
		return true
	}
	for _, tag := range strings.Split(h, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if got, ok := parseTag(tag); ok && got == v {
			return true
		}
	}
	return false
}

func parseTag(s string) (kit.Version, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, false
	}
	// Strong comparison is character by character: only the exact form
	// ETag hands out ("3", not "03" or "+3") names a version.
	inner := s[1 : len(s)-1]
	n, err := strconv.ParseInt(inner, 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != inner {
		// A well-formed tag this service did not make can never match.
		return neverMatches, true
	}
	return kit.Version(n), true
}
