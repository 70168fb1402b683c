package reverseproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/quazzar/object-storage/shared"
)

// DefaultIDPrefix starts the @id of every route this package adds to Caddy.
const DefaultIDPrefix = "quazzar-"

// TLSIssuerInternal makes Caddy issue the routes' certificates from its own
// local CA (development and tests, where no ACME CA is reachable).
const TLSIssuerInternal = "internal"

// Config says which Caddy to drive and how.
type Config struct {
	// AdminURL is Caddy's admin API, e.g. http://127.0.0.1:2019.
	AdminURL string
	// Server is the name of the HTTP server (apps.http.servers.<name>) the
	// routes go into. Empty means the only server in Caddy's config; with
	// several servers it must be set.
	Server string
	// IDPrefix starts the @id of each route (and of its TLS policy), so that
	// ours never clash with the other objects in Caddy's config and
	// ListRoutes can tell them apart. Empty means DefaultIDPrefix. Letters,
	// digits, '.', '_', ':' and '-'.
	IDPrefix string
	// TLSIssuer is empty for Caddy's automatic HTTPS defaults (public ACME
	// CAs: production), or TLSIssuerInternal for Caddy's local CA.
	TLSIssuer string
	// HTTPClient talks to the admin API; nil means a client with a 30 s
	// timeout and no kept-alive connections (Caddy drops them at each
	// config change). One given here should not keep connections alive
	// either.
	HTTPClient *http.Client
	// Logger; nil means no logs.
	Logger hclog.Logger
}

// Caddy is a shared.ReverseProxy that keeps each route as one @id-tagged
// route of one Caddy HTTP server, changed through the admin API one object
// at a time: Caddy applies each change gracefully and other routes are not
// touched.
//
// A route for host H to upstream U is, in Caddy's JSON:
//
//	{"@id": "<prefix><id>", "match": [{"host": ["H"]}],
//	 "handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": "U"}]}],
//	 "terminal": true}
//
// inserted first in the server's routes, so that a catch-all route of the
// operator does not shadow it. A route with Deny ["/in", "/in/*"] and Allow
// ["/in/ok"] has a subroute instead of the reverse_proxy handler:
//
//	{"handler": "subroute", "routes": [
//	  {"match": [{"path": ["/in/ok"]}],
//	   "handle": [{"handler": "rewrite", "uri": "/in/ok"}, <reverse_proxy to U>],
//	   "terminal": true},
//	  {"match": [{"path": ["/in", "/in/*"]},
//	             {"vars_regexp": {"{http.request.uri.path}": {"pattern": "(?i)^(?:/in$|/in/)"}}}],
//	   "handle": [{"handler": "static_response", "status_code": 403, "body": Refusal, …}],
//	   "terminal": true},
//	  {"handle": [<reverse_proxy to U>]}]}
//
// one route per allowed path, rewritten to exactly that path; the refusal
// matches the normalised path (Caddy's path matcher: case-insensitive,
// decoded, dot segments resolved, slashes merged) or the path as sent (the
// regexp), and everything else is forwarded as it came.
//
// With TLSIssuerInternal each route also has a TLS automation policy
// {"@id": "<prefix><id>~tls", "subjects": ["H"], "issuers": [{"module":
// "internal"}]} first in apps.tls.automation.policies.
type Caddy struct {
	admin     *url.URL
	server    string
	prefix    string
	tlsIssuer string
	client    *http.Client
	log       hclog.Logger
	mu        sync.Mutex // serializes our read-modify-write sequences
}

var _ shared.ReverseProxy = (*Caddy)(nil)

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)

// New checks cfg and returns a Caddy. It does not contact Caddy: a Caddy
// that is down now is reported by each call (shared.CodeUnavailable).
func New(cfg Config) (*Caddy, error) {
	u, err := url.Parse(cfg.AdminURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, shared.FieldError("admin_url", "Caddy admin URL %q must be an http(s) URL such as http://127.0.0.1:2019", cfg.AdminURL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	prefix := cfg.IDPrefix
	if prefix == "" {
		prefix = DefaultIDPrefix
	}
	if !prefixPattern.MatchString(prefix) {
		return nil, shared.FieldError("id_prefix", "route id prefix %q must be 1-64 characters of letters, digits, '.', '_', ':' and '-'", prefix)
	}
	switch cfg.TLSIssuer {
	case "", TLSIssuerInternal:
	default:
		return nil, shared.FieldError("tls_issuer", "TLS issuer %q is not supported: leave it empty for Caddy's automatic HTTPS (ACME) or use %q", cfg.TLSIssuer, TLSIssuerInternal)
	}
	if cfg.Server != "" && strings.ContainsAny(cfg.Server, "/?#") {
		return nil, shared.FieldError("server", "Caddy server name %q must not contain '/', '?' or '#'", cfg.Server)
	}
	client := cfg.HTTPClient
	if client == nil {
		// Caddy restarts its admin endpoint after each config change and
		// drops the connections it had: a kept-alive connection would fail
		// the next change with "connection reset by peer" (Go replays only
		// idempotent methods). Admin calls are rare: one connection each.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DisableKeepAlives = true
		client = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	log := cfg.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Caddy{admin: u, server: cfg.Server, prefix: prefix, tlsIssuer: cfg.TLSIssuer, client: client, log: log}, nil
}

func (c *Caddy) routeID(id string) string  { return c.prefix + id }
func (c *Caddy) policyID(id string) string { return c.prefix + id + "~tls" }

// ProxyStatus is enabled when Caddy's admin API answers and the HTTP server
// the routes go into is found. Otherwise it is not enabled, with the error
// (shared.CodeUnavailable) saying why.
func (c *Caddy) ProxyStatus(ctx context.Context, _ shared.ProxyStatusRequest) (shared.ProxyStatus, error) {
	if _, err := c.resolveServer(ctx); err != nil {
		return shared.ProxyStatus{Enabled: false}, err
	}
	return shared.ProxyStatus{Enabled: true}, nil
}

// AddRoute adds the route, or replaces the route with the same ID in place
// (its TLS policy first, then the route itself). It returns the route as
// stored (host in lower case).
func (c *Caddy) AddRoute(ctx context.Context, req shared.AddRouteRequest) (shared.Route, error) {
	r, err := ValidateRoute(req.Route)
	if err != nil {
		return shared.Route{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	server, err := c.resolveServer(ctx)
	if err != nil {
		return shared.Route{}, err
	}
	// The policy goes in before the route: once the route is in, Caddy
	// starts getting a certificate for its host with the policy it finds.
	if c.tlsIssuer == TLSIssuerInternal {
		policy := map[string]any{
			"@id":      c.policyID(r.ID),
			"subjects": []string{r.Host},
			"issuers":  []any{map[string]any{"module": "internal"}},
		}
		if err := c.upsertFirst(ctx, c.policyID(r.ID), []string{"apps", "tls", "automation", "policies"}, policy); err != nil {
			return shared.Route{}, shared.Errorf(shared.CodeOf(err), "add the TLS policy of route %q: %w", r.ID, err)
		}
	} else if err := c.deleteID(ctx, c.policyID(r.ID)); err != nil && !errors.Is(err, shared.ErrNotFound) {
		// A policy left by an earlier run with another issuer setting.
		return shared.Route{}, shared.Errorf(shared.CodeOf(err), "remove the old TLS policy of route %q: %w", r.ID, err)
	}
	if err := c.upsertFirst(ctx, c.routeID(r.ID), []string{"apps", "http", "servers", server, "routes"}, c.caddyRoute(r)); err != nil {
		return shared.Route{}, shared.Errorf(shared.CodeOf(err), "add route %q: %w", r.ID, err)
	}
	c.log.Info("reverse proxy route set", "id", r.ID, "host", r.Host, "upstream", r.Upstream, "deny", r.Deny, "allow", r.Allow, "server", server)
	return r, nil
}

// Refusal is the body of the proxy's own 403 for a denied path.
const Refusal = "Forbidden: this path is not published here; the reverse proxy refused it without forwarding it.\n"

// caddyRoute is r (valid) in Caddy's JSON, as the Caddy type's comment
// shows it.
func (c *Caddy) caddyRoute(r shared.Route) map[string]any {
	proxy := map[string]any{"handler": "reverse_proxy", "upstreams": []any{map[string]any{"dial": r.Upstream}}}
	handler := proxy
	if len(r.Deny) > 0 {
		var routes []any
		// Each allowed path is forwarded as exactly that path: the match
		// is on the normalised path, and what the client sent (dot
		// segments, doubled slashes, escapes) could mean something else
		// to the upstream.
		for _, p := range r.Allow {
			routes = append(routes, map[string]any{
				"match":    []any{map[string]any{"path": []string{p}}},
				"handle":   []any{map[string]any{"handler": "rewrite", "uri": p}, proxy},
				"terminal": true,
			})
		}
		// The path matcher compares the normalised path; the regexp on
		// the path as sent catches what normalising would move out of a
		// denied prefix ("/internal/x/../.." is "/" once normalised, but
		// the upstream receives it as sent).
		routes = append(routes,
			map[string]any{
				"match": []any{
					map[string]any{"path": r.Deny},
					map[string]any{"vars_regexp": map[string]any{"{http.request.uri.path}": map[string]any{"pattern": denyPattern(r.Deny)}}},
				},
				"handle": []any{map[string]any{
					"handler":     "static_response",
					"status_code": http.StatusForbidden,
					"headers":     map[string]any{"Content-Type": []string{"text/plain; charset=utf-8"}},
					"body":        Refusal,
				}},
				"terminal": true,
			},
			map[string]any{"handle": []any{proxy}},
		)
		handler = map[string]any{"handler": "subroute", "routes": routes}
	}
	return map[string]any{
		"@id":      c.routeID(r.ID),
		"match":    []any{map[string]any{"host": []string{r.Host}}},
		"handle":   []any{handler},
		"terminal": true,
	}
}

// denyPattern is a regular expression for the Deny patterns (valid, so
// without regexp metacharacters other than a final '*'), matching the start
// of a path regardless of case.
func denyPattern(deny []string) string {
	alts := make([]string, len(deny))
	for i, d := range deny {
		if prefix, ok := strings.CutSuffix(d, "*"); ok {
			alts[i] = regexp.QuoteMeta(prefix)
		} else {
			alts[i] = regexp.QuoteMeta(d) + "$"
		}
	}
	return "(?i)^(?:" + strings.Join(alts, "|") + ")"
}

// RemoveRoute removes exactly the route with that ID and its TLS policy.
// An unknown ID is shared.CodeNotFound.
func (c *Caddy) RemoveRoute(ctx context.Context, req shared.RemoveRouteRequest) (shared.RemoveRouteResponse, error) {
	if err := validateID(req.ID); err != nil {
		return shared.RemoveRouteResponse{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.deleteID(ctx, c.routeID(req.ID)); err != nil {
		if errors.Is(err, shared.ErrNotFound) {
			return shared.RemoveRouteResponse{}, shared.Errorf(shared.CodeNotFound, "no reverse proxy route with id %q: list the routes to see which exist", req.ID)
		}
		return shared.RemoveRouteResponse{}, shared.Errorf(shared.CodeOf(err), "remove route %q: %w", req.ID, err)
	}
	if err := c.deleteID(ctx, c.policyID(req.ID)); err != nil && !errors.Is(err, shared.ErrNotFound) {
		return shared.RemoveRouteResponse{}, shared.Errorf(shared.CodeOf(err), "route %q removed, but not its TLS policy: %w", req.ID, err)
	}
	c.log.Info("reverse proxy route removed", "id", req.ID)
	return shared.RemoveRouteResponse{}, nil
}

// ListRoutes returns the routes of the server that carry our prefix,
// sorted by ID. Routes added by anyone else are not listed.
func (c *Caddy) ListRoutes(ctx context.Context, _ shared.ListRoutesRequest) (shared.ListRoutesResponse, error) {
	server, err := c.resolveServer(ctx)
	if err != nil {
		return shared.ListRoutesResponse{}, err
	}
	var routes []json.RawMessage
	if err := c.get(ctx, configPath("apps", "http", "servers", server, "routes"), &routes); err != nil {
		return shared.ListRoutesResponse{}, err
	}
	out := []shared.Route{}
	for _, raw := range routes {
		var head struct {
			ID string `json:"@id"`
		}
		if json.Unmarshal(raw, &head) != nil {
			continue
		}
		id, ok := strings.CutPrefix(head.ID, c.prefix)
		if !ok || validateID(id) != nil {
			continue
		}
		out = append(out, c.readRoute(id, raw))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return shared.ListRoutesResponse{Routes: out}, nil
}

// caddyHandle is the part of a Caddy route that readRoute reads.
type caddyHandle struct {
	Match []struct {
		Host []string `json:"host"`
		Path []string `json:"path"`
	} `json:"match"`
	Handle []struct {
		Handler   string `json:"handler"`
		Upstreams []struct {
			Dial string `json:"dial"`
		} `json:"upstreams"`
		Routes []caddyHandle `json:"routes"` // of a subroute
	} `json:"handle"`
}

// readRoute reads one of our routes back from Caddy's JSON. Deny and Allow
// are read from the shape caddyRoute writes, and only kept when the route
// is exactly that shape: a route changed by hand in Caddy may no longer
// refuse what it says, so it reads as one without refusals, and a caller
// that compares it with what it wants puts it back.
func (c *Caddy) readRoute(id string, raw json.RawMessage) shared.Route {
	r := shared.Route{ID: id}
	var h caddyHandle
	if json.Unmarshal(raw, &h) != nil {
		return r
	}
	if len(h.Match) > 0 && len(h.Match[0].Host) > 0 {
		r.Host = h.Match[0].Host[0]
	}
	for _, hd := range h.Handle {
		if hd.Handler == "reverse_proxy" && len(hd.Upstreams) > 0 {
			r.Upstream = hd.Upstreams[0].Dial
		}
		if hd.Handler != "subroute" {
			continue
		}
		for _, sub := range hd.Routes {
			var path []string
			if len(sub.Match) > 0 {
				path = sub.Match[0].Path
			}
			for _, sh := range sub.Handle {
				switch {
				case sh.Handler == "reverse_proxy" && len(sh.Upstreams) > 0:
					r.Upstream = sh.Upstreams[0].Dial
				case sh.Handler == "rewrite" && len(path) == 1:
					r.Allow = append(r.Allow, path[0])
				case sh.Handler == "static_response":
					r.Deny = append(r.Deny, path...)
				}
			}
		}
	}
	if len(r.Deny) > 0 && !sameJSON(c.caddyRoute(r), raw) {
		r.Deny, r.Allow = nil, nil
	}
	return r
}

// sameJSON reports whether v and raw encode the same JSON value.
func sameJSON(v any, raw json.RawMessage) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var x, y any
	if json.Unmarshal(b, &x) != nil || json.Unmarshal(raw, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// resolveServer returns the configured server name after checking that it
// exists, or the only server of Caddy's config.
func (c *Caddy) resolveServer(ctx context.Context) (string, error) {
	var servers map[string]json.RawMessage
	if err := c.get(ctx, configPath("apps", "http", "servers"), &servers); err != nil {
		var e *shared.Error
		if errors.As(err, &e) && e.Code == shared.CodeUnavailable {
			return "", err
		}
		// Caddy answers 400 "invalid traversal path" when apps.http is missing.
		servers = nil
	}
	names := make([]string, 0, len(servers))
	for name := range servers {
		names = append(names, name)
	}
	sort.Strings(names)
	if c.server != "" {
		if _, ok := servers[c.server]; !ok {
			return "", shared.Errorf(shared.CodeUnavailable, "Caddy at %s has no HTTP server named %q (it has: %s): configure the name of an existing server", c.admin, c.server, listOrNone(names))
		}
		return c.server, nil
	}
	switch len(names) {
	case 0:
		return "", shared.Errorf(shared.CodeUnavailable, "Caddy at %s has no HTTP server (apps.http.servers is empty): add one to Caddy's config for the routes to go into", c.admin)
	case 1:
		return names[0], nil
	default:
		return "", shared.Errorf(shared.CodeUnavailable, "Caddy at %s has %d HTTP servers (%s): configure which one the routes go into", c.admin, len(names), listOrNone(names))
	}
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// upsertFirst replaces the object tagged id in place, or, when there is
// none, inserts item first in the array at path, creating the array (and
// missing objects above it) when needed.
func (c *Caddy) upsertFirst(ctx context.Context, id string, path []string, item any) error {
	err := c.do(ctx, http.MethodPatch, "/id/"+url.PathEscape(id), item, nil)
	if !errors.Is(err, shared.ErrNotFound) {
		return err
	}
	// Find the deepest existing level of path. Caddy answers null for a
	// missing last key and 400 for a missing key further up.
	for depth := len(path); depth >= 1; depth-- {
		var v json.RawMessage
		if err := c.get(ctx, configPath(path[:depth]...), &v); err != nil {
			if errors.Is(err, shared.ErrUnavailable) {
				return err
			}
			continue
		}
		if bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			continue
		}
		if depth == len(path) {
			// The array exists. PUT at index 0 inserts before element 0,
			// but Caddy refuses index 0 of an empty array (out of bounds):
			// POST appends, which is the same there.
			var items []json.RawMessage
			if json.Unmarshal(v, &items) == nil && len(items) == 0 {
				return c.do(ctx, http.MethodPost, configPath(path...), item, nil)
			}
			return c.do(ctx, http.MethodPut, configPath(path...)+"/0", item, nil)
		}
		// path[:depth] exists, path[depth] does not: PUT creates that key
		// with everything below it.
		var value any = []any{item}
		for i := len(path) - 1; i > depth; i-- {
			value = map[string]any{path[i]: value}
		}
		return c.do(ctx, http.MethodPut, configPath(path[:depth+1]...), value, nil)
	}
	return shared.Errorf(shared.CodeInternal, "Caddy's config has no %q to add to", strings.Join(path, "."))
}

func (c *Caddy) deleteID(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/id/"+url.PathEscape(id), nil, nil)
}

func configPath(keys ...string) string {
	esc := make([]string, len(keys))
	for i, k := range keys {
		esc[i] = url.PathEscape(k)
	}
	return "/config/" + strings.Join(esc, "/")
}

// adminAttempts bounds the tries of one admin call whose connection was
// refused or reset (at most 1 s of waiting between them).
const adminAttempts = 5

// retryable reports whether an admin call that failed with err may be sent
// again: a connection refused or reset while it was being opened never
// reached Caddy; one reset later may have, so only a GET, which changes
// nothing, is sent again then.
func retryable(method string, err error) bool {
	var op *net.OpError
	if errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial") {
		return true
	}
	return method == http.MethodGet && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF))
}

func (c *Caddy) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}

// do calls the admin API. A Caddy that does not answer is
// shared.CodeUnavailable, a 404 is shared.CodeNotFound, any other failure
// shared.CodeInternal with Caddy's own message.
func (c *Caddy) do(ctx context.Context, method, path string, body, out any) error {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return shared.Errorf(shared.CodeInternal, "encode the request to Caddy: %w", err)
		}
		payload = b
	}
	var resp *http.Response
	for attempt := 1; ; attempt++ {
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(payload)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.admin.String()+path, rd)
		if err != nil {
			return shared.Errorf(shared.CodeInternal, "build the request to Caddy: %w", err)
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err = c.client.Do(req)
		if err == nil {
			break
		}
		if attempt >= adminAttempts || !retryable(method, err) || ctx.Err() != nil {
			return shared.Errorf(shared.CodeUnavailable, "Caddy's admin API at %s is unreachable: %w; check that Caddy is running and that its admin address is the one configured", c.admin, err)
		}
		// Caddy replaces its admin listener after each config change; a
		// connection that arrives meanwhile is refused or reset.
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return shared.Errorf(shared.CodeUnavailable, "read Caddy's answer to %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		msg := strings.TrimSpace(string(raw))
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		code := shared.CodeInternal
		if resp.StatusCode == http.StatusNotFound {
			code = shared.CodeNotFound
		}
		return shared.Errorf(code, "Caddy refused %s %s (%s): %s", method, path, resp.Status, msg)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return shared.Errorf(shared.CodeInternal, "decode Caddy's answer to %s %s: %w", method, path, err)
		}
	}
	return nil
}
