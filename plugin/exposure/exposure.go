// Package exposure publishes the S3 API on a public domain through the
// node's reverse proxy: the domain rule, the remembered domain (a small
// state file, so that the route comes back after a restart of the add-on or
// of the proxy) and the route kept in the proxy, which publishes the S3 API
// and keeps MinIO's own endpoints private.
package exposure

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
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
	// partial is the route as an older host stored it (without Deny and
	// Allow) the last time Reconcile put it back, so that it is not put
	// back again each round; zero otherwise. Guarded by op.
	partial shared.Route

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

// published says which of MinIO's paths the route keeps private: the
// domain publishes the S3 API only. Every endpoint of MinIO that is not S3
// is under /minio, a name MinIO refuses for a bucket, so refusing it never
// refuses an S3 request (a bucket such as "minio-data" is another path,
// and is forwarded).
var published = []struct {
	path    string
	forward bool
}{
	// Bucket-level requests on the bucket "minio": MinIO refuses the name,
	// so no S3 request has this path.
	{"/minio", false},
	// MinIO's own endpoints: admin API (/minio/admin), metrics
	// (/minio/v2/metrics, /minio/metrics/v3), KMS (/minio/kms), internode
	// and cluster bootstrap (/minio/peer, /minio/storage, /minio/lock,
	// /minio/bootstrap, /minio/grid), health. None of them is S3, and
	// whatever needs them (the add-on, mc admin, a Prometheus scraper)
	// reaches MinIO on its own address, never through the public domain.
	{"/minio/*", false},
	// Liveness and readiness: 200 or 503 with no body, answered without
	// credentials and saying nothing about buckets or data; what a load
	// balancer or an uptime check asks.
	{"/minio/health/live", true},
	{"/minio/health/ready", true},
}

func route(domain, upstream string) shared.Route {
	r := shared.Route{ID: RouteID, Host: domain, Upstream: upstream}
	for _, p := range published {
		if p.forward {
			r.Allow = append(r.Allow, p.path)
		} else {
			r.Deny = append(r.Deny, p.path)
		}
	}
	return r
}

// sameRoute reports whether the proxy's route a is b: Deny and Allow are
// compared as sets.
func sameRoute(a, b shared.Route) bool {
	set := func(s []string) []string { return slices.Compact(slices.Sorted(slices.Values(s))) }
	return a.ID == b.ID && a.Host == b.Host && a.Upstream == b.Upstream &&
		slices.Equal(set(a.Deny), set(b.Deny)) && slices.Equal(set(a.Allow), set(b.Allow))
}

// errNoRefusals is Expose's answer when the node's reverse proxy stored the
// route without its refused paths: a host older than the contract's Deny
// and Allow, which would publish MinIO's admin API on the domain.
var errNoRefusals = shared.Errorf(shared.CodeUnavailable, "the node's reverse proxy cannot keep MinIO's admin API private (the host is older than this add-on): update the host, then expose again")

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
	want := route(d, upstream)
	got, err := p.AddRoute(ctx, shared.AddRouteRequest{Route: want})
	if err != nil {
		return "", err
	}
	if !sameRoute(got, want) {
		m.restore(p, prev, upstream)
		return "", errNoRefusals
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
// version's route, which forwarded every path; a changed S3 address). It logs and returns when the
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
		if sameRoute(r, want) || sameRoute(r, m.partial) {
			return
		}
	}
	if _, err := enabled(ctx, p); err != nil {
		m.log.Warn("cannot put the S3 route back", "domain", domain, "error", err)
		return
	}
	got, err := p.AddRoute(ctx, shared.AddRouteRequest{Route: want})
	if err != nil {
		m.log.Warn("cannot put the S3 route back", "domain", domain, "error", err)
		return
	}
	if !sameRoute(got, want) {
		// An older host: the route works, MinIO's own endpoints stay
		// reachable at the domain. Say it once, not every round.
		m.partial = got
		m.log.Warn("the node's reverse proxy kept the S3 route without refusing MinIO's admin and internal paths (the host is older than this add-on): update the host", "domain", domain)
		return
	}
	m.partial = shared.Route{}
	m.log.Info("S3 route put back in the reverse proxy", "domain", domain, "upstream", upstream, "refused", want.Deny, "forwarded", want.Allow)
}
