package apigw

import (
	"strconv"
	"strings"

	"github.com/lambdakit/lambdakit/kit"
)

// ETag returns the strong entity tag of a version.
func ETag(v kit.Version) string { return `"` + strconv.FormatInt(int64(v), 10) + `"` }

// Tag returns the strong entity tag of an entity at a version and a
// revision (kit.Versioned): "3" until the entity's first derived write,
// "3.7" after its seventh. The revision is there so that If-None-Match
// sees a changed derived field (a review summary); If-Match reads only the
// version, so a derived write, which clients cannot make, never fails a
// client's write with 412.
func Tag(v kit.Version, revision int64) string {
	if revision == 0 {
		return ETag(v)
	}
	return `"` + strconv.FormatInt(int64(v), 10) + "." + strconv.FormatInt(revision, 10) + `"`
}

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
// the entity tag (as Tag makes it), by the weak comparison RFC 9110
// prescribes for it. A header sent on several lines counts by its last, as
// LookupHeader reads it.
func (r *Request) NotModified(etag string) bool {
	h := strings.TrimSpace(r.Header("If-None-Match"))
	if h == "" {
		return false
	}
	if h == "*" {
		return true
	}
	for _, tag := range strings.Split(h, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == etag {
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
	// Tag hands out ("3" or "3.7", not "03" or "+3") names a version.
	inner, rev, revised := strings.Cut(s[1:len(s)-1], ".")
	n, err := strconv.ParseInt(inner, 10, 64)
	if revised {
		r, rerr := strconv.ParseInt(rev, 10, 64)
		if rerr != nil || r < 1 || strconv.FormatInt(r, 10) != rev {
			return neverMatches, true
		}
	}
	if err != nil || strconv.FormatInt(n, 10) != inner {
		// A well-formed tag this service did not make can never match.
		return neverMatches, true
	}
	return kit.Version(n), true
}
