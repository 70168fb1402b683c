package exposure_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/internal/caddytest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/exposure"
	"github.com/quazzar/object-storage/shared"
)

func host(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "s3-" + hex.EncodeToString(b) + ".localhost"
}

func proxyOf(t *testing.T) shared.ReverseProxy {
	caddy := caddytest.Start(t)
	p, err := reverseproxy.New(reverseproxy.Config{AdminURL: caddy.AdminURL, TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	return p
}

func routes(t *testing.T, p shared.ReverseProxy) []shared.Route {
	rs, err := p.ListRoutes(context.Background(), shared.ListRoutesRequest{})
	require.NoError(t, err)
	return rs.Routes
}

// s3Route is the route that publishes the S3 API of upstream at domain,
// and nothing else of MinIO's.
func s3Route(domain, upstream string) shared.Route {
	return shared.Route{
		ID: exposure.RouteID, Host: domain, Upstream: upstream,
		Deny:  []string{"/minio", "/minio/*"},
		Allow: []string{"/minio/health/live", "/minio/health/ready"},
	}
}

func TestExposeUnexposeAndReconcile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := proxyOf(t)
	dir := t.TempDir()
	m := exposure.New(nil)
	m.SetProxy(ctx, p)

	_, err := m.Expose(ctx, host(t))
	require.ErrorIs(t, err, shared.ErrUnavailable, "not opened yet: no state folder to remember it in")
	require.Empty(t, routes(t, p))

	m.Open(ctx, dir, "127.0.0.1:9000")
	d := host(t)
	got, err := m.Expose(ctx, d)
	require.NoError(t, err)
	require.Equal(t, d, got)
	require.Equal(t, []shared.Route{s3Route(d, "127.0.0.1:9000")}, routes(t, p))
	b, err := os.ReadFile(filepath.Join(dir, exposure.FileName))
	require.NoError(t, err)
	require.JSONEq(t, `{"domain":"`+d+`"}`, string(b))

	// The S3 address changes: the route follows.
	m.SetUpstream(ctx, "127.0.0.1:9100")
	require.Equal(t, "127.0.0.1:9100", routes(t, p)[0].Upstream)

	// The proxy loses the route, or holds an older shape: Reconcile puts
	// it back as it should be.
	_, err = p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: exposure.RouteID})
	require.NoError(t, err)
	m.Reconcile(ctx)
	require.Len(t, routes(t, p), 1)
	_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: exposure.RouteID, Host: d, Upstream: "127.0.0.1:1"}})
	require.NoError(t, err)
	m.Reconcile(ctx)
	require.Equal(t, []shared.Route{s3Route(d, "127.0.0.1:9100")}, routes(t, p))

	// A new manager on the same folder remembers the domain and puts the
	// route back.
	_, err = p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: exposure.RouteID})
	require.NoError(t, err)
	next := exposure.New(nil)
	next.SetProxy(ctx, p)
	next.Open(ctx, dir, "127.0.0.1:9100")
	require.Equal(t, d, next.Domain())
	require.Len(t, routes(t, p), 1)

	require.NoError(t, next.Unexpose(ctx))
	require.Empty(t, routes(t, p))
	require.Empty(t, next.Domain())
	require.ErrorIs(t, next.Unexpose(ctx), shared.ErrNotFound)
}

// TestUpgradeOldRoute: a node exposed by an older add-on has a route that
// forwards every path. The new add-on's first Open puts the route that
// refuses MinIO's own endpoints in its place, and leaves it alone after.
func TestUpgradeOldRoute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := proxyOf(t)
	dir := t.TempDir()
	d := host(t)
	old := shared.Route{ID: exposure.RouteID, Host: d, Upstream: "127.0.0.1:9000"}
	_, err := p.AddRoute(ctx, shared.AddRouteRequest{Route: old})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, exposure.FileName), []byte(`{"domain":"`+d+`"}`), 0o600))
	require.Equal(t, []shared.Route{old}, routes(t, p))

	m := exposure.New(nil)
	m.SetProxy(ctx, p)
	m.Open(ctx, dir, "127.0.0.1:9000")
	require.Equal(t, []shared.Route{s3Route(d, "127.0.0.1:9000")}, routes(t, p))

	// The same route, in whatever order the proxy lists Deny and Allow,
	// is not added again.
	counting := &reordered{countingProxy{ReverseProxy: p}}
	m.SetProxy(ctx, counting)
	m.Reconcile(ctx)
	require.Zero(t, counting.adds.Load())
}

// reordered lists Deny and Allow in reverse order.
type reordered struct{ countingProxy }

func (r *reordered) ListRoutes(ctx context.Context, req shared.ListRoutesRequest) (shared.ListRoutesResponse, error) {
	rs, err := r.countingProxy.ListRoutes(ctx, req)
	for _, route := range rs.Routes {
		slices.Reverse(route.Deny)
		slices.Reverse(route.Allow)
	}
	return rs, err
}

// countingProxy counts AddRoute calls.
type countingProxy struct {
	shared.ReverseProxy
	adds atomic.Int64
}

func (c *countingProxy) AddRoute(ctx context.Context, req shared.AddRouteRequest) (shared.Route, error) {
	c.adds.Add(1)
	return c.ReverseProxy.AddRoute(ctx, req)
}

// olderHost is the reverse proxy of a host that predates Deny and Allow:
// it stores and answers routes without them (its Route has no such
// fields, so JSON drops them on the way).
type olderHost struct{ countingProxy }

func (o *olderHost) AddRoute(ctx context.Context, req shared.AddRouteRequest) (shared.Route, error) {
	req.Route.Deny, req.Route.Allow = nil, nil
	return o.countingProxy.AddRoute(ctx, req)
}

// TestOlderHost: a host that cannot refuse paths gets no new exposure (it
// would publish MinIO's admin API), and an exposure it already has is kept
// as it is, put back once, with a warning.
func TestOlderHost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	real := proxyOf(t)
	p := &olderHost{countingProxy{ReverseProxy: real}}
	dir := t.TempDir()
	logs := &testkit.Buffer{}
	m := exposure.New(hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Warn}))
	m.SetProxy(ctx, p)
	m.Open(ctx, dir, "127.0.0.1:9000")

	_, err := m.Expose(ctx, host(t))
	require.ErrorIs(t, err, shared.ErrUnavailable)
	require.Contains(t, err.Error(), "update the host")
	require.Empty(t, routes(t, real), "nothing left exposed")
	require.Empty(t, m.Domain())

	// Exposed before the add-on was upgraded.
	d := host(t)
	_, err = real.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: exposure.RouteID, Host: d, Upstream: "127.0.0.1:1"}})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, exposure.FileName), []byte(`{"domain":"`+d+`"}`), 0o600))
	next := exposure.New(hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Warn}))
	next.SetProxy(ctx, p)
	adds := p.adds.Load()
	next.Open(ctx, dir, "127.0.0.1:9000")
	require.Equal(t, []shared.Route{{ID: exposure.RouteID, Host: d, Upstream: "127.0.0.1:9000"}}, routes(t, real), "kept working, on the current address")
	require.Equal(t, adds+1, p.adds.Load())
	require.Contains(t, logs.String(), "without refusing MinIO's admin and internal paths")
	for range 3 {
		next.Reconcile(ctx)
	}
	require.Equal(t, adds+1, p.adds.Load(), "not put back each round")
	require.Equal(t, 1, strings.Count(logs.String(), "without refusing"), "said once")
}

// TestFailedSaveChangesNothing: when the state file cannot be written, the
// route the proxy had is put back and the domain stays as it was.
func TestFailedSaveChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := proxyOf(t)
	dir := t.TempDir()
	m := exposure.New(nil)
	m.SetProxy(ctx, p)
	m.Open(ctx, dir, "127.0.0.1:9000")
	first := host(t)
	_, err := m.Expose(ctx, first)
	require.NoError(t, err)

	// The state file's place becomes a folder: the next save fails.
	path := filepath.Join(dir, exposure.FileName)
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.Mkdir(path, 0o700))
	_, err = m.Expose(ctx, host(t))
	require.Error(t, err)
	require.Equal(t, first, m.Domain())
	require.Equal(t, first, routes(t, p)[0].Host, "the previous route is back")
	require.Error(t, m.Unexpose(ctx))
	require.Equal(t, first, m.Domain())
	require.Len(t, routes(t, p), 1, "unexpose failed: the route stays")
}

func TestWithoutProxy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m := exposure.New(nil)
	m.Open(ctx, t.TempDir(), "127.0.0.1:9000")
	_, err := m.Expose(ctx, "s3.example.com")
	require.ErrorIs(t, err, shared.ErrNotEnabled)
	require.Equal(t, shared.ReverseProxyNotEnabled, err.Error())
	m.SetProxy(ctx, reverseproxy.Disabled{})
	_, err = m.Expose(ctx, "s3.example.com")
	require.Equal(t, shared.ReverseProxyNotEnabled, err.Error())
	_, err = m.Expose(ctx, "not a domain")
	require.ErrorIs(t, err, shared.ErrInvalidArgument, "bad input is refused before the proxy is asked")
	require.Equal(t, "domain", shared.AsError(err).Field)
	require.Empty(t, m.Domain())
}
