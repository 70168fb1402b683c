package shared

import (
	"context"
	"encoding/json"
	"net"
	"net/rpc"
	"testing"

	"github.com/stretchr/testify/require"
)

// recordingBackend is an in-test host backend: it records who called what.
type recordingBackend struct {
	caller, target, method string
	ctxCaller              string
}

func (b *recordingBackend) ProxyStatus(ctx context.Context, _ ProxyStatusRequest) (ProxyStatus, error) {
	b.ctxCaller = CallerOf(ctx)
	return ProxyStatus{Enabled: true}, nil
}
func (b *recordingBackend) AddRoute(ctx context.Context, req AddRouteRequest) (Route, error) {
	return req.Route, nil
}
func (b *recordingBackend) RemoveRoute(ctx context.Context, req RemoveRouteRequest) (RemoveRouteResponse, error) {
	return RemoveRouteResponse{}, Errorf(CodeNotFound, "no route %s", req.ID)
}
func (b *recordingBackend) ListRoutes(ctx context.Context, _ ListRoutesRequest) (ListRoutesResponse, error) {
	return ListRoutesResponse{Routes: []Route{{ID: "a", Host: "h.example.com", Upstream: "127.0.0.1:1"}}}, nil
}
func (b *recordingBackend) Forward(ctx context.Context, caller, target, method string, body []byte) ([]byte, error) {
	b.caller, b.target, b.method, b.ctxCaller = caller, target, method, CallerOf(ctx)
	if target == "missing" {
		return nil, Errorf(CodeNotEnabled, "plugin %s is not loaded", target)
	}
	var req CreateBucketRequest
	_ = json.Unmarshal(body, &req)
	return json.Marshal(Bucket{Name: req.Name, Visibility: req.Visibility})
}

func hostPair(t *testing.T, caller string, b HostAPIBackend) *HostAPIClient {
	t.Helper()
	srv := rpc.NewServer()
	require.NoError(t, srv.RegisterName("Host", NewHostAPIServer(caller, b)))
	c1, c2 := net.Pipe()
	go srv.ServeConn(c1)
	client := rpc.NewClient(c2)
	t.Cleanup(func() { client.Close() })
	return NewHostAPIClient(client)
}

func TestHostServicesRoundTrip(t *testing.T) {
	b := &recordingBackend{}
	h := hostPair(t, "backup-agent", b)
	ctx := context.Background()

	st, err := h.ProxyStatus(ctx, ProxyStatusRequest{})
	require.NoError(t, err)
	require.True(t, st.Enabled)
	r, err := h.AddRoute(ctx, AddRouteRequest{Route: Route{ID: "x", Host: "s3.example.com", Upstream: "127.0.0.1:9000"}})
	require.NoError(t, err)
	require.Equal(t, "s3.example.com", r.Host)
	_, err = h.RemoveRoute(ctx, RemoveRouteRequest{ID: "nope"})
	require.ErrorIs(t, err, ErrNotFound)
	routes, err := h.ListRoutes(ctx, ListRoutesRequest{})
	require.NoError(t, err)
	require.Len(t, routes.Routes, 1)

	bucket, err := h.Storage("object-storage").CreateBucket(ctx, CreateBucketRequest{Name: "backups", Visibility: Private})
	require.NoError(t, err)
	require.Equal(t, "backups", bucket.Name)
	require.Equal(t, "backup-agent", b.caller)
	require.Equal(t, "object-storage", b.target)
	require.Equal(t, "CreateBucket", b.method)
}

func TestHostServicesCallerCannotBeClaimed(t *testing.T) {
	b := &recordingBackend{}
	h := hostPair(t, "backup-agent", b)
	// The plugin claims to be another plugin: the host ignores it.
	ctx := WithCaller(context.Background(), "object-storage")
	_, err := h.Storage("object-storage").CreateBucket(ctx, CreateBucketRequest{Name: "x"})
	require.NoError(t, err)
	require.Equal(t, "backup-agent", b.caller)
	require.Equal(t, "backup-agent", b.ctxCaller)
	_, err = h.ProxyStatus(ctx, ProxyStatusRequest{})
	require.NoError(t, err)
	require.Equal(t, "backup-agent", b.ctxCaller)
}

func TestHostServicesRefusals(t *testing.T) {
	b := &recordingBackend{}
	h := hostPair(t, "backup-agent", b)
	ctx := context.Background()
	_, err := h.Storage("missing").ListBuckets(ctx, ListBucketsRequest{})
	require.ErrorIs(t, err, ErrNotEnabled)
	b.method = ""

	// Lifecycle and page methods of another plugin are not reachable.
	c := &PluginClient{rpc: h.c.rpc, target: "object-storage"}
	_, err = c.Shutdown(ctx, ShutdownRequest{StopServices: true})
	require.ErrorIs(t, err, ErrPermission)
	_, err = c.Action(ctx, ActionRequest{Action: "revoke_key"})
	require.ErrorIs(t, err, ErrPermission)
	require.Empty(t, b.method, "nothing reached the backend")
}
