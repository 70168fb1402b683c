package buckets

import (
	"net/netip"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// ValidateName checks a bucket name against S3's naming rules before any
// call is made. Each rule has its own message, bound to the "name" field.
func ValidateName(name string) error {
	bad := func(format string, args ...any) error {
		return shared.FieldError("name", format, args...)
	}
	switch {
	case name == "":
		return bad("bucket name is required: 3–63 characters of lowercase letters, digits, dots and hyphens")
	case len(name) < 3:
		return bad("bucket name %q is too short: it must be at least 3 characters", name)
	case len(name) > 63:
		return bad("bucket name is too long (%d characters): it must be at most 63", len(name))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '-') {
			if r >= 'A' && r <= 'Z' {
				return bad("bucket name %q has an uppercase letter: use lowercase letters only", name)
			}
			return bad("bucket name %q has the character %q: only lowercase letters, digits, dots and hyphens are allowed", name, r)
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return bad("bucket name %q must start and end with a lowercase letter or a digit", name)
	}
	if strings.Contains(name, "..") {
		return bad("bucket name %q has two dots in a row: separate them with a letter or digit", name)
	}
	if strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return bad("bucket name %q has a dot next to a hyphen: S3 does not allow that", name)
	}
	if addr, err := netip.ParseAddr(name); err == nil && addr.Is4() {
		return bad("bucket name %q looks like an IP address: pick a name with letters", name)
	}
	for _, r := range reservedPrefixes {
		if strings.HasPrefix(name, r.affix) {
			return bad("bucket name %q starts with %q, which S3 reserves for %s: pick another name", name, r.affix, r.use)
		}
	}
	for _, r := range reservedSuffixes {
		if strings.HasSuffix(name, r.affix) {
			return bad("bucket name %q ends with %q, which S3 reserves for %s: pick another name", name, r.affix, r.use)
		}
	}
	return nil
}

// reserved is a start or end of a bucket name that S3 keeps for itself,
// with what it is kept for.
type reserved struct{ affix, use string }

// reservedPrefixes and reservedSuffixes are AWS's list for general purpose
// buckets (Amazon S3 User Guide, "General purpose bucket naming rules").
// "sthree-configurator" is covered by "sthree-".
var (
	reservedPrefixes = []reserved{
		{"xn--", "internationalized domain names"},
		{"sthree-", "its own use"},
		{"amzn-s3-demo-", "its documentation examples"},
	}
	reservedSuffixes = []reserved{
		{"-s3alias", "access point aliases"},
		{"--ol-s3", "Object Lambda access point aliases"},
		{".mrap", "Multi-Region Access Points"},
		{"--x-s3", "directory buckets"},
		{"--table-s3", "table buckets"},
	}
)

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
