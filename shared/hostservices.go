package shared

import (
	"context"
	"encoding/json"
	"net/rpc"
	"slices"
)

// ReverseProxy is the node's reverse proxy as the host offers it to
// plugins: routes from a public hostname to a local upstream, with TLS
// terminated by the proxy.
type ReverseProxy interface {
	ProxyStatus(ctx context.Context, req ProxyStatusRequest) (ProxyStatus, error)
	AddRoute(ctx context.Context, req AddRouteRequest) (Route, error)
	RemoveRoute(ctx context.Context, req RemoveRouteRequest) (RemoveRouteResponse, error)
	ListRoutes(ctx context.Context, req ListRoutesRequest) (ListRoutesResponse, error)
}

// ReverseProxyNotEnabled is the exact message the page shows when the node
// has no reverse proxy.
const ReverseProxyNotEnabled = "Reverse Proxy is not enabled on this node"

type ProxyStatusRequest struct{}

type ProxyStatus struct {
	Enabled bool `json:"enabled"`
}

// Route sends HTTPS traffic for Host to Upstream (host:port, plain HTTP).
// ID is chosen by the caller and identifies the route for replace/remove.
type Route struct {
	ID       string `json:"id"`
	Host     string `json:"host"`
	Upstream string `json:"upstream"`
}

// AddRouteRequest adds the route, or replaces the route with the same ID.
type AddRouteRequest struct {
	Route Route `json:"route"`
}

type RemoveRouteRequest struct {
	ID string `json:"id"`
}

type RemoveRouteResponse struct{}

type ListRoutesRequest struct{}

type ListRoutesResponse struct {
	Routes []Route `json:"routes"`
}

// HostServices is what the host offers each plugin, over go-plugin's
// broker: the node's reverse proxy, and other plugins' StorageModule.
type HostServices interface {
	ReverseProxy
	// Storage is the StorageModule of another plugin, called through the
	// host, which attaches the calling plugin's id: a plugin cannot choose
	// the identity it calls with.
	Storage(pluginID string) StorageModule
}

// HostAware is implemented by plugins that use host services. The glue
// hands them over before the first Configure reaches the plugin.
type HostAware interface {
	SetHostServices(HostServices)
}

// ForwardCall is a plugin's call into another plugin, as sent to the host.
type ForwardCall struct {
	Target string `json:"target"`
	Method string `json:"method"`
	Body   []byte `json:"body"`
}

// ForwardableMethods are the StorageModule methods one plugin may call on
// another through the host. Lifecycle and page methods are the host's own.
var ForwardableMethods = []string{
	"Status", "Endpoint", "ListBuckets", "CreateBucket", "SetBucketVisibility", "DeleteBucket",
	"ListKeys", "CreateKey", "RevokeKey", "Expose", "Unexpose",
}

// HostBackend is the host's side of the services, for one calling plugin
// or for all: the glue (HostRPCServer) attaches the caller's id.
type HostBackend interface {
	ReverseProxy
	// Forward calls method on the target plugin on behalf of caller and
	// returns its JSON reply.
	Forward(ctx context.Context, caller, target, method string, body []byte) ([]byte, error)
}

// HostRPCServer serves HostBackend to one plugin under the name "Host".
// The caller id is fixed by the host when it creates the server, and
// whatever the plugin puts in Args.Caller is ignored.
type HostRPCServer struct {
	caller  string
	backend HostBackend
}

// NewHostRPCServer serves backend to the plugin whose id is caller.
func NewHostRPCServer(caller string, backend HostBackend) *HostRPCServer {
	return &HostRPCServer{caller: caller, backend: backend}
}

func hostServe[Req, Resp any](s *HostRPCServer, a Args, r *Reply, f func(ReverseProxy, context.Context, Req) (Resp, error)) error {
	// The backend sees the caller the host knows, not what was sent.
	a.Caller = s.caller
	return serve(&RPCServer{impl: s.backend}, a, r, f)
}

func (s *HostRPCServer) ProxyStatus(a Args, r *Reply) error {
	return hostServe(s, a, r, ReverseProxy.ProxyStatus)
}
func (s *HostRPCServer) AddRoute(a Args, r *Reply) error {
	return hostServe(s, a, r, ReverseProxy.AddRoute)
}
func (s *HostRPCServer) RemoveRoute(a Args, r *Reply) error {
	return hostServe(s, a, r, ReverseProxy.RemoveRoute)
}
func (s *HostRPCServer) ListRoutes(a Args, r *Reply) error {
	return hostServe(s, a, r, ReverseProxy.ListRoutes)
}

// Forward carries a ForwardCall to the backend with the caller's id.
func (s *HostRPCServer) Forward(a Args, r *Reply) error {
	var fc ForwardCall
	if err := json.Unmarshal(a.Body, &fc); err != nil {
		r.Err = Errorf(CodeInvalidArgument, "malformed forwarded call: %v", err)
		return nil
	}
	if !slices.Contains(ForwardableMethods, fc.Method) {
		r.Err = Errorf(CodePermission, "plugin %s may not call %s on another plugin", s.caller, fc.Method)
		return nil
	}
	ctx, cancel := context.WithDeadline(context.Background(), a.Deadline)
	defer cancel()
	out, err := s.backend.Forward(WithCaller(ctx, s.caller), s.caller, fc.Target, fc.Method, fc.Body)
	if err != nil {
		r.Err = AsError(err)
		return nil
	}
	r.Body = out
	return nil
}

// HostClient is a plugin's handle on the host's services.
type HostClient struct {
	c *Client
}

// NewHostClient wraps the net/rpc connection to the host's services.
func NewHostClient(c *rpc.Client) *HostClient {
	return &HostClient{c: &Client{rpc: c, service: "Host"}}
}

func (h *HostClient) ProxyStatus(ctx context.Context, req ProxyStatusRequest) (ProxyStatus, error) {
	return call[ProxyStatusRequest, ProxyStatus](ctx, h.c, "ProxyStatus", req)
}
func (h *HostClient) AddRoute(ctx context.Context, req AddRouteRequest) (Route, error) {
	return call[AddRouteRequest, Route](ctx, h.c, "AddRoute", req)
}
func (h *HostClient) RemoveRoute(ctx context.Context, req RemoveRouteRequest) (RemoveRouteResponse, error) {
	return call[RemoveRouteRequest, RemoveRouteResponse](ctx, h.c, "RemoveRoute", req)
}
func (h *HostClient) ListRoutes(ctx context.Context, req ListRoutesRequest) (ListRoutesResponse, error) {
	return call[ListRoutesRequest, ListRoutesResponse](ctx, h.c, "ListRoutes", req)
}

// Storage returns pluginID's StorageModule, reached through the host.
func (h *HostClient) Storage(pluginID string) StorageModule {
	return &Client{rpc: h.c.rpc, target: pluginID}
}

var _ HostServices = (*HostClient)(nil)
