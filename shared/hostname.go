package shared

import (
	"net/netip"
	"strings"
)

// CheckHostname is the one rule for a public hostname (the domain a plugin
// exposes, the host of a reverse-proxy route), used by plugins and by the
// host alike. It returns the name in canonical form: trimmed, lower case,
// without a trailing dot. A name is refused when it is empty, longer than
// 253 characters, an IP address, localhost, a single label (not a full
// name a certificate can be issued for), or has a label that is empty,
// longer than 63 characters, starts or ends with a hyphen, or holds
// anything but letters, digits and hyphens. Errors are bound to field.
func CheckHostname(field, name string) (string, error) {
	bad := func(format string, args ...any) error { return FieldError(field, format, args...) }
	d := strings.ToLower(strings.TrimSpace(name))
	d = strings.TrimSuffix(d, ".") // a fully qualified name is the same host
	switch {
	case d == "":
		return "", bad("%s is required: type a hostname such as s3.example.com", field)
	case len(d) > 253:
		return "", bad("%s is too long (%d characters): a hostname has at most 253", field, len(d))
	case d == "localhost":
		return "", bad("localhost cannot be exposed: type a public hostname such as s3.example.com")
	}
	if _, err := netip.ParseAddr(strings.Trim(d, "[]")); err == nil {
		return "", bad("%q is an IP address: type a hostname such as s3.example.com whose DNS points at this node", name)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", bad("%q is not a full hostname: use a name such as s3.example.com", name)
	}
	for _, l := range labels {
		switch {
		case l == "":
			return "", bad("%q has an empty label (two dots in a row)", name)
		case len(l) > 63:
			return "", bad("%q has a label of %d characters: each part between dots has at most 63", name, len(l))
		case l[0] == '-' || l[len(l)-1] == '-':
			return "", bad("%q has a label starting or ending with a hyphen", name)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", bad("%q has the character %q: use letters, digits and hyphens between dots", name, r)
			}
		}
	}
	return d, nil
}
