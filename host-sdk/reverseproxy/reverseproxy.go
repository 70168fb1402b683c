// Package reverseproxy is the node's reverse proxy as the host offers it to
// plugins (shared.ReverseProxy), backed by a running Caddy that it drives
// route by route through Caddy's JSON admin API.
package reverseproxy

import (
	"context"
	"net"
	"regexp"
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

// ValidateRoute checks a route and returns it normalized (host in lower
// case). Errors are shared.FieldError on "id", "host" or "upstream".
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
	return shared.Route{ID: r.ID, Host: host, Upstream: r.Upstream}, nil
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
