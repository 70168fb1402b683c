package addon

import (
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/plugin/atomicfile"
	"github.com/quazzar/object-storage/shared"
)

// RouteID identifies the add-on's route in the node's reverse proxy.
const RouteID = "object-storage-s3"

// exposure is the public domain the S3 API is exposed on, kept in the state
// dir so that it is re-applied when the add-on or the proxy comes back.
type exposure struct {
	Domain string `json:"domain"`
	path   string
}

func loadExposure(stateDir string, log hclog.Logger) *exposure {
	e := &exposure{path: filepath.Join(stateDir, "exposure.json")}
	b, err := os.ReadFile(e.path)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			log.Warn("cannot read the exposure state", "path", e.path, "error", err)
		}
		return e
	}
	if err := json.Unmarshal(b, e); err != nil {
		log.Warn("exposure state is damaged; ignoring it", "path", e.path, "error", err)
		e.Domain = ""
	}
	return e
}

func (e *exposure) save(domain string) error {
	if err := os.MkdirAll(filepath.Dir(e.path), 0o700); err != nil {
		return err
	}
	b, _ := json.Marshal(exposure{Domain: domain})
	if err := atomicfile.Write(e.path, b, 0o600); err != nil {
		return err
	}
	e.Domain = domain
	return nil
}

// ValidateDomain checks a domain for Expose and returns it in canonical
// form (lowercase, without a trailing dot).
func ValidateDomain(domain string) (string, error) {
	bad := func(format string, args ...any) error { return shared.FieldError("domain", format, args...) }
	d := strings.ToLower(strings.TrimSpace(domain))
	d = strings.TrimSuffix(d, ".") // a fully qualified name is the same host
	switch {
	case d == "":
		return "", bad("domain is required: type the hostname to expose, such as s3.example.com")
	case len(d) > 253:
		return "", bad("domain is too long (%d characters): a hostname has at most 253", len(d))
	case d == "localhost":
		return "", bad("localhost cannot be exposed: type a public hostname such as s3.example.com")
	}
	if _, err := netip.ParseAddr(strings.Trim(d, "[]")); err == nil {
		return "", bad("%q is an IP address: type a hostname such as s3.example.com whose DNS points at this node", domain)
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", bad("domain %q is not a full hostname: use a name such as s3.example.com", domain)
	}
	for _, l := range labels {
		switch {
		case l == "":
			return "", bad("domain %q has an empty label (two dots in a row)", domain)
		case len(l) > 63:
			return "", bad("domain %q has a label of %d characters: each part between dots has at most 63", domain, len(l))
		case l[0] == '-' || l[len(l)-1] == '-':
			return "", bad("domain %q has a label starting or ending with a hyphen", domain)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", bad("domain %q has the character %q: use letters, digits and hyphens between dots", domain, r)
			}
		}
	}
	return d, nil
}

// SetReverseProxy gives the add-on the node's reverse proxy (a host
// service); nil means the node has none.
func (a *Addon) SetReverseProxy(p shared.ReverseProxy) {
	a.mu.Lock()
	a.host = p
	a.mu.Unlock()
	a.reapplyExposure(context.Background())
}

// SetHostAPI is called by the glue with the host's services; the
// add-on uses the reverse proxy.
func (a *Addon) SetHostAPI(h shared.HostAPI) { a.SetReverseProxy(h) }

var _ shared.UsesHostAPI = (*Addon)(nil)

// ensureExposure puts the route back when the proxy lost it (the proxy
// restarted with its own configuration).
func (a *Addon) ensureExposure(ctx context.Context) {
	a.mu.Lock()
	expo, p := a.expo, a.host
	a.mu.Unlock()
	if expo == nil || expo.Domain == "" || p == nil {
		return
	}
	routes, err := p.ListRoutes(ctx, shared.ListRoutesRequest{})
	if err != nil {
		return // proxy away: try again next round
	}
	for _, r := range routes.Routes {
		if r.ID == RouteID && r.Host == expo.Domain {
			return
		}
	}
	a.log.Info("the reverse proxy lost the S3 route; adding it again", "domain", expo.Domain)
	a.reapplyExposure(ctx)
}

// proxy returns the reverse proxy when the node has one enabled.
func (a *Addon) proxy(ctx context.Context) (shared.ReverseProxy, error) {
	a.mu.Lock()
	p := a.host
	a.mu.Unlock()
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

// Expose routes https://<domain> to the S3 API through the node's reverse
// proxy, and remembers it. Exposing the same domain again changes nothing;
// another domain replaces the route.
func (a *Addon) Expose(ctx context.Context, req shared.ExposeRequest) (shared.Endpoint, error) {
	domain, err := ValidateDomain(req.Domain)
	if err != nil {
		return shared.Endpoint{}, err
	}
	p, err := a.proxy(ctx)
	if err != nil {
		return shared.Endpoint{}, err
	}
	a.mu.Lock()
	upstream, expo := a.set.S3Address, a.expo
	a.mu.Unlock()
	if expo == nil {
		return shared.Endpoint{}, shared.Errorf(shared.CodeUnavailable, "the add-on has not been configured by the host yet")
	}
	if _, err := p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: RouteID, Host: domain, Upstream: upstream}}); err != nil {
		return shared.Endpoint{}, err
	}
	a.mu.Lock()
	err = expo.save(domain)
	a.mu.Unlock()
	if err != nil {
		return shared.Endpoint{}, err
	}
	a.log.Info("S3 API exposed", "domain", domain, "upstream", upstream)
	return a.Endpoint(ctx, shared.EndpointRequest{})
}

// Unexpose removes the add-on's route, and only it.
func (a *Addon) Unexpose(ctx context.Context, req shared.UnexposeRequest) (shared.Endpoint, error) {
	p, err := a.proxy(ctx)
	if err != nil {
		return shared.Endpoint{}, err
	}
	a.mu.Lock()
	expo := a.expo
	a.mu.Unlock()
	if expo == nil || expo.Domain == "" {
		return shared.Endpoint{}, shared.Errorf(shared.CodeNotFound, "the S3 API is not exposed: there is nothing to unexpose")
	}
	if _, err := p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: RouteID}); err != nil && !errors.Is(err, shared.ErrNotFound) {
		return shared.Endpoint{}, err
	}
	a.mu.Lock()
	err = expo.save("")
	a.mu.Unlock()
	if err != nil {
		return shared.Endpoint{}, err
	}
	a.log.Info("S3 API no longer exposed")
	return a.Endpoint(ctx, shared.EndpointRequest{})
}

// reapplyExposure puts the remembered route back (add-on restart, proxy
// restart); AddRoute replaces a route with the same id, so it is
// idempotent.
func (a *Addon) reapplyExposure(ctx context.Context) {
	a.mu.Lock()
	expo, upstream := a.expo, a.set.S3Address
	a.mu.Unlock()
	if expo == nil || expo.Domain == "" {
		return
	}
	p, err := a.proxy(ctx)
	if err != nil {
		a.log.Warn("cannot re-apply the exposure", "domain", expo.Domain, "error", err)
		return
	}
	if _, err := p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: RouteID, Host: expo.Domain, Upstream: upstream}}); err != nil {
		a.log.Warn("cannot re-apply the exposure", "domain", expo.Domain, "error", err)
	}
}
