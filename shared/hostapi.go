package shared

import (
	"context"
	"encoding/json"
	"net/rpc"
	"reflect"
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
//
// Deny keeps paths of the upstream private: the proxy answers a request
// for one of them with 403 itself and never forwards it. Allow lists the
// paths inside Deny that are forwarded all the same. A Deny pattern is an
// absolute path ("/internal") or a path prefix ending in "*"
// ("/internal/*"); an Allow entry is an exact path. Patterns are in normal
// form (no "//", "." or ".." segments, no '%', '?', '#', '{' or '}') and
// match regardless of case. A request is refused when its path matches a
// Deny pattern either as sent (percent-decoded) or normalised (dot segments
// resolved, repeated slashes merged), so that "//internal/x" or
// "/a/../internal/x" cannot slip past; an allowed request reaches the
// upstream with exactly the allowed path, whatever form it was sent in
// (its query string is kept). With Deny empty every path is forwarded and
// Allow must be empty too.
type Route struct {
	ID       string   `json:"id"`
	Host     string   `json:"host"`
	Upstream string   `json:"upstream"`
	Deny     []string `json:"deny,omitempty"`
	Allow    []string `json:"allow,omitempty"`
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

// HostAPI is what a plugin calls on the host (plugin → host; the other
// direction is Lifecycle, PageProvider and StorageModule), over go-plugin's
// broker: the node's reverse proxy, and other plugins' StorageModule.
type HostAPI interface {
	ReverseProxy
	// Storage is the StorageModule of another plugin, called through the
	// host, which attaches the calling plugin's id: a plugin cannot choose
	// the identity it calls with.
	Storage(pluginID string) StorageModule
}

// UsesHostAPI is implemented by plugins that call the host. The glue
// hands them over before the first Configure reaches the plugin.
type UsesHostAPI interface {
	SetHostAPI(HostAPI)
}

// ForwardCall is a plugin's call into another plugin, as sent to the host.
type ForwardCall struct {
	Target string `json:"target"`
	Method string `json:"method"`
	Body   []byte `json:"body"`
}

// ForwardableMethods are the StorageModule methods one plugin may call on
// another through the host: every StorageModule method except the page's
// (PageProvider), which are the host's own. Derived from the interfaces, so
// a method added to StorageModule is forwardable without a second list.
var ForwardableMethods = forwardableMethods()

func forwardableMethods() []string {
	page := reflect.TypeFor[PageProvider]()
	storage := reflect.TypeFor[StorageModule]()
	var out []string
	for i := range storage.NumMethod() {
		name := storage.Method(i).Name
		if _, isPage := page.MethodByName(name); !isPage {
			out = append(out, name)
		}
	}
	return out
}

// HostAPIBackend is the host's implementation of HostAPI, shared by every
// calling plugin: the glue (HostAPIServer) attaches the caller's id.
type HostAPIBackend interface {
	ReverseProxy
	// Forward calls method on the target plugin on behalf of caller and
	// returns its JSON reply.
	Forward(ctx context.Context, caller, target, method string, body []byte) ([]byte, error)
}

// HostAPIServer is the host-side net/rpc adapter of HostAPI: it serves
// HostAPIBackend to one plugin under the name "Host".
// The caller id is fixed by the host when it creates the server, and
// whatever the plugin puts in Args.Caller is ignored.
type HostAPIServer struct {
	caller  string
	backend HostAPIBackend
}

// NewHostAPIServer serves backend to the plugin whose id is caller.
func NewHostAPIServer(caller string, backend HostAPIBackend) *HostAPIServer {
	return &HostAPIServer{caller: caller, backend: backend}
}

func hostServe[Req, Resp any](s *HostAPIServer, a Args, r *Reply, f func(ReverseProxy, context.Context, Req) (Resp, error)) error {
	// The backend sees the caller the host knows, not what was sent.
	a.Caller = s.caller
	return serve(&PluginServer{impl: s.backend}, a, r, f)
}

func (s *HostAPIServer) ProxyStatus(a Args, r *Reply) error {
	return hostServe(s, a, r, ReverseProxy.ProxyStatus)
}
func (s *HostAPIServer) AddRoute(a Args, r *Reply) error {
	return hostServe(s, a, r, ReverseProxy.AddRoute)
}
func (s *HostAPIServer) RemoveRoute(a Args, r *Reply) error {
	return hostServe(s, a, r, ReverseProxy.RemoveRoute)
}
func (s *HostAPIServer) ListRoutes(a Args, r *Reply) error {
	return hostServe(s, a, r, ReverseProxy.ListRoutes)
}

// Forward carries a ForwardCall to the backend with the caller's id.
func (s *HostAPIServer) Forward(a Args, r *Reply) error {
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

// HostAPIClient is the plugin-side stub of HostAPI.
type HostAPIClient struct {
	c *PluginClient
}

// NewHostAPIClient wraps the net/rpc connection to the host's services.
func NewHostAPIClient(c *rpc.Client) *HostAPIClient {
	return &HostAPIClient{c: &PluginClient{rpc: c, service: "Host"}}
}

func (h *HostAPIClient) ProxyStatus(ctx context.Context, req ProxyStatusRequest) (ProxyStatus, error) {
	return call[ProxyStatusRequest, ProxyStatus](ctx, h.c, "ProxyStatus", req)
}
func (h *HostAPIClient) AddRoute(ctx context.Context, req AddRouteRequest) (Route, error) {
	return call[AddRouteRequest, Route](ctx, h.c, "AddRoute", req)
}
func (h *HostAPIClient) RemoveRoute(ctx context.Context, req RemoveRouteRequest) (RemoveRouteResponse, error) {
	return call[RemoveRouteRequest, RemoveRouteResponse](ctx, h.c, "RemoveRoute", req)
}
func (h *HostAPIClient) ListRoutes(ctx context.Context, req ListRoutesRequest) (ListRoutesResponse, error) {
	return call[ListRoutesRequest, ListRoutesResponse](ctx, h.c, "ListRoutes", req)
}

// Storage returns pluginID's StorageModule, reached through the host.
func (h *HostAPIClient) Storage(pluginID string) StorageModule {
	return &PluginClient{rpc: h.c.rpc, target: pluginID}
}

var _ HostAPI = (*HostAPIClient)(nil)
