package exposure_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/internal/caddytest"
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
	require.Equal(t, []shared.Route{{ID: exposure.RouteID, Host: d, Upstream: "127.0.0.1:9000"}}, routes(t, p))
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
	require.Equal(t, "127.0.0.1:9100", routes(t, p)[0].Upstream)

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
