// Package reverseproxy is the node's reverse proxy as the host offers it to
// plugins (shared.ReverseProxy), backed by a running Caddy that it drives
// route by route through Caddy's JSON admin API.
package reverseproxy

import (
	"context"
	"net"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// Disabled is the reverse proxy of a node that has none: its status is not
// enabled, and every change is refused with shared.ReverseProxyNotEnabled.
type Disabled struct{}

var _ shared.ReverseProxy = Disabled{}

func (Disabled) ProxyStatus(context.Context, shared.ProxyStatusRequest) (shared.ProxyStatus, error) {
	return shared.ProxyStatus{Enabled: false}, nil
}

func (Disabled) AddRoute(context.Context, shared.AddRouteRequest) (shared.Route, error) {
	return shared.Route{}, notEnabled()
}

func (Disabled) RemoveRoute(context.Context, shared.RemoveRouteRequest) (shared.RemoveRouteResponse, error) {
	return shared.RemoveRouteResponse{}, notEnabled()
}

// ListRoutes of a disabled proxy is empty: there is nothing routed.
func (Disabled) ListRoutes(context.Context, shared.ListRoutesRequest) (shared.ListRoutesResponse, error) {
	return shared.ListRoutesResponse{Routes: []shared.Route{}}, nil
}

func notEnabled() error {
	return shared.Errorf(shared.CodeNotEnabled, shared.ReverseProxyNotEnabled)
}

var (
	idPattern    = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	labelPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
)

// ValidateRoute checks a route and returns it normalized (host, Deny and
// Allow in lower case; Deny and Allow sorted, without repetitions). Errors
// are shared.FieldError on "id", "host", "upstream", "deny" or "allow".
func ValidateRoute(r shared.Route) (shared.Route, error) {
	if err := validateID(r.ID); err != nil {
		return shared.Route{}, err
	}
	host, err := shared.CheckHostname("host", r.Host)
	if err != nil {
		return shared.Route{}, err
	}
	if err := validateUpstream(r.Upstream); err != nil {
		return shared.Route{}, err
	}
	deny, err := validatePaths("deny", r.Deny, true)
	if err != nil {
		return shared.Route{}, err
	}
	allow, err := validatePaths("allow", r.Allow, false)
	if err != nil {
		return shared.Route{}, err
	}
	for _, a := range allow {
		if !slices.ContainsFunc(deny, func(d string) bool { return PathMatches(d, a) }) {
			return shared.Route{}, shared.FieldError("allow", "allowed path %q is not inside any denied pattern: Allow only lists exceptions to Deny (every other path is forwarded anyway)", a)
		}
	}
	return shared.Route{ID: r.ID, Host: host, Upstream: r.Upstream, Deny: deny, Allow: allow}, nil
}

// Limits of a route's Deny and Allow lists.
const (
	MaxPaths      = 32
	MaxPathLength = 256
)

// pathChars are the characters of a path pattern: RFC 3986's path
// characters without '%' (percent-encoding is matched decoded) and '*'
// (only as the last character of a prefix pattern).
var pathChars = regexp.MustCompile(`^/[A-Za-z0-9\-._~!$&'()+,;=:@/]*$`)

// validatePaths checks the Deny (prefixes allowed) or Allow list of a
// route and returns it in lower case, sorted, without repetitions; nil
// when empty.
func validatePaths(field string, paths []string, prefixes bool) ([]string, error) {
	if len(paths) > MaxPaths {
		return nil, shared.FieldError(field, "a route takes at most %d %s paths, not %d", MaxPaths, field, len(paths))
	}
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if err := validatePath(field, p, prefixes); err != nil {
			return nil, err
		}
		out = append(out, strings.ToLower(p))
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func validatePath(field, p string, prefix bool) error {
	rule := "must be an absolute path such as /internal"
	if prefix {
		rule += ", or a prefix ending in * such as /internal/*"
	}
	body := p
	if prefix {
		body = strings.TrimSuffix(p, "*")
	}
	// The path without a trailing slash (kept by the matching) must be
	// its own normal form: the proxy compares normalised paths.
	bare := body
	if len(bare) > 1 {
		bare = strings.TrimSuffix(bare, "/")
	}
	switch {
	case len(p) > MaxPathLength:
		return shared.FieldError(field, "%s path %q is longer than %d characters", field, p, MaxPathLength)
	case !pathChars.MatchString(body):
		return shared.FieldError(field, "%s path %q %s, of letters, digits and -._~!$&'()+,;=:@/ (no %%, ?, #, {, }, spaces; * only at the end of a prefix)", field, p, rule)
	case path.Clean(bare) != bare:
		return shared.FieldError(field, "%s path %q is not in normal form (no //, . or .. segments): write %q", field, p, path.Clean(bare))
	case strings.HasSuffix(bare, "."):
		return shared.FieldError(field, "%s path %q must not end with '.': the proxy ignores trailing dots when it matches", field, p)
	}
	return nil
}

// PathMatches reports whether a Deny pattern matches a path (in normal
// form), regardless of case: the pattern is the path itself, or a prefix
// of it when it ends in '*'.
func PathMatches(pattern, p string) bool {
	pattern, p = strings.ToLower(pattern), strings.ToLower(p)
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(p, prefix)
	}
	return p == pattern
}

func validateID(id string) error {
	if !idPattern.MatchString(id) {
		return shared.FieldError("id", "route id %q must be 1-128 characters of letters, digits, '.', '_', ':' and '-'", id)
	}
	return nil
}

// validateUpstream accepts host:port with a non-empty host (a hostname or
// an IP, IPv6 in brackets) and a port 1-65535.
func validateUpstream(u string) error {
	const rule = "must be host:port of a plain-HTTP server, e.g. 127.0.0.1:9000"
	host, port, err := net.SplitHostPort(u)
	if err != nil {
		return shared.FieldError("upstream", "upstream %q %s: %v", u, rule, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return shared.FieldError("upstream", "upstream %q %s (port %q is not 1-65535)", u, rule, port)
	}
	if host == "" {
		return shared.FieldError("upstream", "upstream %q %s (the host is missing)", u, rule)
	}
	if net.ParseIP(host) == nil {
		if !validUpstreamHost(host) {
			return shared.FieldError("upstream", "upstream %q %s (%q is neither an IP nor a hostname)", u, rule, host)
		}
	}
	return nil
}

// validUpstreamHost accepts a name the proxy can dial: dot-separated DNS
// labels, where single labels (a container name, localhost) are fine.
func validUpstreamHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.ToLower(h), ".") {
		if !labelPattern.MatchString(label) {
			return false
		}
	}
	return true
}
