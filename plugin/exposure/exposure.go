// Package exposure publishes the S3 API on a public domain through the
// node's reverse proxy: the domain rule, the remembered domain (a small
// state file, so that the route comes back after a restart of the add-on or
// of the proxy) and the route kept in the proxy.
package exposure

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/internal/atomicfile"
	"github.com/quazzar/object-storage/shared"
)

// RouteID identifies the add-on's route in the node's reverse proxy.
const RouteID = "object-storage-s3"

// FileName is the state file, in the add-on's state folder.
const FileName = "exposure.json"

// Manager keeps the S3 API's route in the reverse proxy in line with the
// remembered domain.
type Manager struct {
	log hclog.Logger

	// op serialises the operations that change the route or the file
	// (Expose, Unexpose, Reconcile), so that the proxy and the file never
	// disagree after one of them.
	op sync.Mutex

	mu sync.Mutex // guards the fields below
	// path is the state file, "" until Open.
	path     string
	domain   string
	proxy    shared.ReverseProxy
	upstream string
}

// state is the file's content: nothing secret.
type state struct {
	Domain string `json:"domain"`
}

// New returns a manager that knows no domain until Open.
func New(log hclog.Logger) *Manager {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Manager{log: log}
}

// Open reads the remembered domain from stateDir (a missing file means not
// exposed; a damaged one is logged and ignored), takes upstream, the S3
// API's address the route points at, and puts the route back if the proxy
// lost it.
func (m *Manager) Open(ctx context.Context, stateDir, upstream string) {
	path := filepath.Join(stateDir, FileName)
	var st state
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		m.log.Warn("cannot read the exposure state", "path", path, "error", err)
	default:
		if err := json.Unmarshal(b, &st); err != nil {
			m.log.Warn("exposure state is damaged; ignoring it", "path", path, "error", err)
			st = state{}
		}
	}
	m.op.Lock()
	m.mu.Lock()
	m.path, m.domain, m.upstream = path, st.Domain, upstream
	m.mu.Unlock()
	m.op.Unlock()
	m.Reconcile(ctx)
}

// CheckDomain checks a domain for Expose and returns it in canonical form;
// errors are bound to the "domain" field.
func CheckDomain(domain string) (string, error) {
	return shared.CheckHostname("domain", domain)
}

// Domain is the exposed domain, "" when not exposed.
func (m *Manager) Domain() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.domain
}

// SetProxy gives the manager the node's reverse proxy (nil: the node has
// none) and puts the route back if it is missing.
func (m *Manager) SetProxy(ctx context.Context, p shared.ReverseProxy) {
	m.mu.Lock()
	m.proxy = p
	m.mu.Unlock()
	m.Reconcile(ctx)
}

// SetUpstream changes the address the route points at (the S3 address
// changed) and updates the route.
func (m *Manager) SetUpstream(ctx context.Context, upstream string) {
	m.mu.Lock()
	m.upstream = upstream
	m.mu.Unlock()
	m.Reconcile(ctx)
}

func (m *Manager) snapshot() (domain, upstream string, p shared.ReverseProxy, opened bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.domain, m.upstream, m.proxy, m.path != ""
}

var errNotOpen = shared.Errorf(shared.CodeUnavailable, "the add-on has not been configured by the host yet: try again in a few seconds")

// enabled returns the reverse proxy when the node has one enabled, or the
// not_enabled error the page shows.
func enabled(ctx context.Context, p shared.ReverseProxy) (shared.ReverseProxy, error) {
	if p == nil {
		return nil, shared.Errorf(shared.CodeNotEnabled, shared.ReverseProxyNotEnabled)
	}
	st, err := p.ProxyStatus(ctx, shared.ProxyStatusRequest{})
	if err != nil {
		return nil, err
	}
	if !st.Enabled {
		return nil, shared.Errorf(shared.CodeNotEnabled, shared.ReverseProxyNotEnabled)
	}
	return p, nil
}

func route(domain, upstream string) shared.Route {
	return shared.Route{ID: RouteID, Host: domain, Upstream: upstream}
}

// Expose routes https://<domain> to the S3 API and remembers it. Exposing
// the same domain again changes nothing; another domain replaces the route.
// On failure the proxy and the file are as they were.
func (m *Manager) Expose(ctx context.Context, domain string) (string, error) {
	d, err := CheckDomain(domain)
	if err != nil {
		return "", err
	}
	m.op.Lock()
	defer m.op.Unlock()
	prev, upstream, p, opened := m.snapshot()
	if p, err = enabled(ctx, p); err != nil {
		return "", err
	}
	if !opened {
		return "", errNotOpen
	}
	if _, err := p.AddRoute(ctx, shared.AddRouteRequest{Route: route(d, upstream)}); err != nil {
		return "", err
	}
	if err := m.save(d); err != nil {
		m.restore(p, prev, upstream)
		return "", err
	}
	m.log.Info("S3 API exposed", "domain", d, "upstream", upstream)
	return d, nil
}

// Unexpose removes the add-on's route, and only it.
func (m *Manager) Unexpose(ctx context.Context) error {
	m.op.Lock()
	defer m.op.Unlock()
	prev, upstream, p, opened := m.snapshot()
	p, err := enabled(ctx, p)
	if err != nil {
		return err
	}
	if !opened {
		return errNotOpen
	}
	if prev == "" {
		return shared.Errorf(shared.CodeNotFound, "the S3 API is not exposed: there is nothing to unexpose")
	}
	if _, err := p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: RouteID}); err != nil && !errors.Is(err, shared.ErrNotFound) {
		return err
	}
	if err := m.save(""); err != nil {
		m.restore(p, prev, upstream)
		return err
	}
	m.log.Info("S3 API no longer exposed", "domain", prev)
	return nil
}

// restore puts the route back as it was before a failed change.
func (m *Manager) restore(p shared.ReverseProxy, prev, upstream string) {
	ctx := context.Background()
	var err error
	if prev == "" {
		_, err = p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: RouteID})
		if errors.Is(err, shared.ErrNotFound) {
			err = nil
		}
	} else {
		_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: route(prev, upstream)})
	}
	if err != nil {
		m.log.Error("could not put the reverse proxy route back after a failed change", "domain", prev, "error", err)
	}
}

// save writes the file, then the domain in memory.
func (m *Manager) save(domain string) error {
	m.mu.Lock()
	path := m.path
	m.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return shared.Errorf(shared.CodeInternal, "save the exposure state: %w", err)
	}
	b, _ := json.Marshal(state{Domain: domain})
	if err := atomicfile.Write(path, b, 0o600); err != nil {
		return shared.Errorf(shared.CodeInternal, "save the exposure state: %w", err)
	}
	m.mu.Lock()
	m.domain = domain
	m.mu.Unlock()
	return nil
}

// Reconcile puts the remembered route back when the proxy lost it (the
// add-on or the proxy restarted) or holds it in another shape (an older
// version's route, a changed S3 address). It logs and returns when the
// proxy cannot be reached: the next round tries again.
func (m *Manager) Reconcile(ctx context.Context) {
	m.op.Lock()
	defer m.op.Unlock()
	domain, upstream, p, _ := m.snapshot()
	if domain == "" || p == nil {
		return
	}
	want := route(domain, upstream)
	routes, err := p.ListRoutes(ctx, shared.ListRoutesRequest{})
	if err != nil {
		m.log.Debug("cannot list the reverse proxy's routes", "error", err)
		return
	}
	for _, r := range routes.Routes {
		if r.ID == RouteID && r.Host == want.Host && r.Upstream == want.Upstream {
			return
		}
	}
	if _, err := enabled(ctx, p); err != nil {
		m.log.Warn("cannot put the S3 route back", "domain", domain, "error", err)
		return
	}
	if _, err := p.AddRoute(ctx, shared.AddRouteRequest{Route: want}); err != nil {
		m.log.Warn("cannot put the S3 route back", "domain", domain, "error", err)
		return
	}
	m.log.Info("S3 route put back in the reverse proxy", "domain", domain, "upstream", upstream)
}
