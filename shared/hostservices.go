package shared

import "context"

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
