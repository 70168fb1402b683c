package reverseproxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/internal/caddytest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/miniotest"
	"github.com/quazzar/object-storage/shared"
)

// newProxy drives caddy with the internal issuer.
func newProxy(t *testing.T, c *caddytest.Server, server string) *reverseproxy.Caddy {
	t.Helper()
	p, err := reverseproxy.New(reverseproxy.Config{AdminURL: c.AdminURL, Server: server, TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	return p
}

// echoServer is a plain HTTP upstream on 127.0.0.1 that answers its name
// and records the Host header and the request target it received.
type echoServer struct {
	*httptest.Server
	mu      sync.Mutex
	hosts   []string
	targets []string
}

func startEcho(t *testing.T, name string) *echoServer {
	e := &echoServer{}
	e.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.hosts = append(e.hosts, r.Host)
		e.targets = append(e.targets, r.RequestURI)
		e.mu.Unlock()
		_, _ = io.WriteString(w, name)
	}))
	t.Cleanup(e.Close)
	return e
}

// takeTargets returns the request targets received since the last call.
func (e *echoServer) takeTargets() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.targets
	e.targets = nil
	return out
}

func (e *echoServer) lastHost() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.hosts) == 0 {
		return ""
	}
	return e.hosts[len(e.hosts)-1]
}

func (e *echoServer) addr() string { return strings.TrimPrefix(e.URL, "http://") }

// get fetches url and returns status and body.
func get(ctx context.Context, c *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitBody polls url until it answers 200 with want: Caddy gets a route's
// certificate in the background after the route is added.
func waitBody(t *testing.T, c *http.Client, url, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		code, body, err := get(ctx, c, url)
		cancel()
		if err == nil && code == http.StatusOK && body == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never answered 200 %q; last: status %d body %q err %v", url, want, code, body, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// adminJSON reads a path of Caddy's admin API.
func adminJSON(t *testing.T, c *caddytest.Server, path string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(c.AdminURL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}

func routeIDs(t *testing.T, c *caddytest.Server) []string {
	t.Helper()
	code, b := adminJSON(t, c, "/config/apps/http/servers/"+c.ServerName+"/routes")
	require.Equal(t, http.StatusOK, code, string(b))
	var routes []struct {
		ID string `json:"@id"`
	}
	require.NoError(t, json.Unmarshal(b, &routes))
	ids := []string{}
	for _, r := range routes {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestCaddyRoutesWithMinIO(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cd := caddytest.Start(t)
	mn := miniotest.Start(t)
	static := startEcho(t, "static")
	other := startEcho(t, "other")
	p := newProxy(t, cd, "") // the only server
	client := cd.Client(t)

	st, err := p.ProxyStatus(ctx, shared.ProxyStatusRequest{})
	require.NoError(t, err)
	require.True(t, st.Enabled)

	// The S3 route goes in first: the server has no routes array yet and
	// Caddy has no tls app yet, so both are created.
	s3Host := "s3.localhost"
	got, err := p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "s3", Host: "S3.localhost", Upstream: mn.Address}})
	require.NoError(t, err)
	require.Equal(t, shared.Route{ID: "s3", Host: s3Host, Upstream: mn.Address}, got)

	// A route of the operator's, not ours, appended behind it.
	operatorRoute := `{"@id":"operator-site","match":[{"host":["site.localhost"]}],"handle":[{"handler":"static_response","body":"operator"}],"terminal":true}`
	resp, err := http.Post(cd.AdminURL+"/config/apps/http/servers/"+cd.ServerName+"/routes", "application/json", strings.NewReader(operatorRoute))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// A second route of ours, to a host outside .localhost: Caddy would get
	// its certificate from a public ACME CA (unreachable here) if our
	// internal TLS policy were not applied.
	staticHost := "static.example.net"
	_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "static", Host: staticHost, Upstream: static.addr()}})
	require.NoError(t, err)
	require.Equal(t, []string{"quazzar-static", "quazzar-s3", "operator-site"}, routeIDs(t, cd))

	waitBody(t, client, cd.URL(staticHost, "/"), "static")
	// Caddy passes the client's Host header through unchanged.
	require.Equal(t, fmt.Sprintf("%s:%d", staticHost, cd.HTTPSPort), static.lastHost())

	// Signed S3 requests through Caddy (SigV4 signs the Host header).
	s3, err := minio.New(fmt.Sprintf("%s:%d", s3Host, cd.HTTPSPort), &minio.Options{
		Creds:        credentials.NewStaticV4(mn.AccessKey, mn.SecretKey, ""),
		Secure:       true,
		Transport:    cd.Transport(t),
		Region:       mn.Region,
		BucketLookup: minio.BucketLookupPath,
	})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := s3.ListBuckets(ctx)
		return err == nil
	}, 30*time.Second, 100*time.Millisecond, "S3 through Caddy never answered")
	require.NoError(t, s3.MakeBucket(ctx, "through-caddy", minio.MakeBucketOptions{}))
	payload := bytes.Repeat([]byte("quazzar "), 4096)
	_, err = s3.PutObject(ctx, "through-caddy", "dir/obj.bin", bytes.NewReader(payload), int64(len(payload)), minio.PutObjectOptions{})
	require.NoError(t, err)
	obj, err := s3.GetObject(ctx, "through-caddy", "dir/obj.bin", minio.GetObjectOptions{})
	require.NoError(t, err)
	back, err := io.ReadAll(obj)
	require.NoError(t, err)
	require.Equal(t, payload, back)
	var keys []string
	for o := range s3.ListObjects(ctx, "through-caddy", minio.ListObjectsOptions{Recursive: true}) {
		require.NoError(t, o.Err)
		keys = append(keys, o.Key)
	}
	require.Equal(t, []string{"dir/obj.bin"}, keys)
	// A wrong secret is still refused: MinIO, not Caddy, checks signatures.
	bad, err := minio.New(fmt.Sprintf("%s:%d", s3Host, cd.HTTPSPort), &minio.Options{
		Creds: credentials.NewStaticV4(mn.AccessKey, "wrong-secret-123", ""), Secure: true,
		Transport: cd.Transport(t), Region: mn.Region, BucketLookup: minio.BucketLookupPath,
	})
	require.NoError(t, err)
	_, err = bad.ListBuckets(ctx)
	require.Equal(t, "SignatureDoesNotMatch", minio.ToErrorResponse(err).Code)

	list, err := p.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Equal(t, []shared.Route{
		{ID: "s3", Host: s3Host, Upstream: mn.Address},
		{ID: "static", Host: staticHost, Upstream: static.addr()},
	}, list.Routes)

	// Bad input changes nothing.
	_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "s3", Host: "127.0.0.1", Upstream: other.addr()}})
	require.ErrorIs(t, err, shared.ErrInvalidArgument)
	list2, err := p.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Equal(t, list.Routes, list2.Routes)

	// Replace the S3 route while the static route is being hammered: the
	// static route must not miss a request, and the routes keep their place.
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			code, body, err := get(rctx, client, cd.URL(staticHost, "/"))
			cancel()
			if err == nil && code == http.StatusOK && body == "static" {
				ok.Add(1)
			} else {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d body %q err %v", code, body, err))
			}
		}
	}()
	time.Sleep(200 * time.Millisecond)
	_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "s3", Host: s3Host, Upstream: other.addr()}})
	require.NoError(t, err)
	waitBody(t, client, cd.URL(s3Host, "/"), "other")
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	require.Zero(t, failed.Load(), "static route disturbed by the replace: %v", firstErr.Load())
	require.Positive(t, ok.Load())
	require.Equal(t, []string{"quazzar-static", "quazzar-s3", "operator-site"}, routeIDs(t, cd))
	code, body, err := get(ctx, client, cd.URL("site.localhost", "/"))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "operator", body)
	list, err = p.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Equal(t, other.addr(), list.Routes[0].Upstream)

	// A request whose SNI has a certificate but whose Host has no route:
	// Caddy answers 200 with an empty body (its default when no route matches).
	req, err := http.NewRequest(http.MethodGet, cd.URL(staticHost, "/"), nil)
	require.NoError(t, err)
	req.Host = "nowhere.localhost"
	resp, err = client.Do(req)
	require.NoError(t, err)
	unrouted, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Empty(t, unrouted)

	// Remove the S3 route: its hostname is no longer served at all (Caddy
	// has no certificate for it and fails the TLS handshake).
	_, err = p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: "s3"})
	require.NoError(t, err)
	require.Equal(t, []string{"quazzar-static", "operator-site"}, routeIDs(t, cd))
	code, _ = adminJSON(t, cd, "/id/quazzar-s3~tls")
	require.Equal(t, http.StatusNotFound, code, "the TLS policy of the removed route must go too")
	code, _ = adminJSON(t, cd, "/id/quazzar-static~tls")
	require.Equal(t, http.StatusOK, code)
	fresh := cd.Client(t) // no connection kept from before the removal
	_, _, err = get(ctx, fresh, cd.URL(s3Host, "/"))
	require.Error(t, err)
	require.Contains(t, err.Error(), "tls: internal error")
	waitBody(t, fresh, cd.URL(staticHost, "/"), "static")

	list, err = p.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Equal(t, []shared.Route{{ID: "static", Host: staticHost, Upstream: static.addr()}}, list.Routes)

	_, err = p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: "s3"})
	require.ErrorIs(t, err, shared.ErrNotFound)
	require.Contains(t, err.Error(), `"s3"`)
	_, err = p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: "site"}) // operator-site is not ours
	require.ErrorIs(t, err, shared.ErrNotFound)
}

func TestCaddyServerSelection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cd := caddytest.StartServers(t, "public", "internal")
	route := shared.Route{ID: "r", Host: "r.localhost", Upstream: "127.0.0.1:9"}

	cases := []struct {
		name    string
		server  string
		wantErr string
	}{
		{"ambiguous", "", "has 2 HTTP servers (internal, public)"},
		{"unknown", "nope", `no HTTP server named "nope" (it has: internal, public)`},
		{"named", "internal", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := newProxy(t, cd, tc.server)
			st, err := p.ProxyStatus(ctx, shared.ProxyStatusRequest{})
			_, addErr := p.AddRoute(ctx, shared.AddRouteRequest{Route: route})
			if tc.wantErr == "" {
				require.NoError(t, err)
				require.True(t, st.Enabled)
				require.NoError(t, addErr)
				code, b := adminJSON(t, cd, "/config/apps/http/servers/"+tc.server+"/routes/0/@id")
				require.Equal(t, http.StatusOK, code)
				require.JSONEq(t, `"quazzar-r"`, string(b))
				return
			}
			require.False(t, st.Enabled)
			for _, err := range []error{err, addErr} {
				require.ErrorIs(t, err, shared.ErrUnavailable)
				require.Contains(t, err.Error(), tc.wantErr)
			}
		})
	}
}

func TestCaddyIDPrefixSeparatesOwners(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cd := caddytest.Start(t)
	a, err := reverseproxy.New(reverseproxy.Config{AdminURL: cd.AdminURL, IDPrefix: "host-a.", TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	b, err := reverseproxy.New(reverseproxy.Config{AdminURL: cd.AdminURL, IDPrefix: "host-b.", TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	_, err = a.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "x", Host: "a.localhost", Upstream: "127.0.0.1:9"}})
	require.NoError(t, err)
	_, err = b.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "x", Host: "b.localhost", Upstream: "127.0.0.1:9"}})
	require.NoError(t, err)
	la, err := a.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Equal(t, []shared.Route{{ID: "x", Host: "a.localhost", Upstream: "127.0.0.1:9"}}, la.Routes)
	_, err = a.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: "x"})
	require.NoError(t, err)
	lb, err := b.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Equal(t, []shared.Route{{ID: "x", Host: "b.localhost", Upstream: "127.0.0.1:9"}}, lb.Routes)
}

func TestCaddyUnreachable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	admin := "http://" + testkit.FreeAddr(t) // nothing listens there
	p, err := reverseproxy.New(reverseproxy.Config{AdminURL: admin})
	require.NoError(t, err)

	st, err := p.ProxyStatus(ctx, shared.ProxyStatusRequest{})
	require.False(t, st.Enabled)
	errs := []error{err}
	_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "a", Host: "a.localhost", Upstream: "127.0.0.1:9000"}})
	errs = append(errs, err)
	_, err = p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: "a"})
	errs = append(errs, err)
	_, err = p.ListRoutes(ctx, shared.ListRoutesRequest{})
	errs = append(errs, err)
	for _, err := range errs {
		require.ErrorIs(t, err, shared.ErrUnavailable)
		require.Contains(t, err.Error(), "Caddy's admin API at "+admin+" is unreachable")
		require.Contains(t, err.Error(), "connection refused")
	}
}

// With the default issuer (ACME) no TLS policy of ours is kept: one left by
// an earlier run with the internal issuer is removed when the route is set.
func TestCaddyDefaultIssuerKeepsNoPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cd := caddytest.Start(t)
	route := shared.Route{ID: "x", Host: "x.localhost", Upstream: "127.0.0.1:9"}
	_, err := newProxy(t, cd, "").AddRoute(ctx, shared.AddRouteRequest{Route: route})
	require.NoError(t, err)
	code, b := adminJSON(t, cd, "/id/quazzar-x~tls")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"@id":"quazzar-x~tls","subjects":["x.localhost"],"issuers":[{"module":"internal"}]}`, string(b))

	acme, err := reverseproxy.New(reverseproxy.Config{AdminURL: cd.AdminURL})
	require.NoError(t, err)
	_, err = acme.AddRoute(ctx, shared.AddRouteRequest{Route: route})
	require.NoError(t, err)
	code, _ = adminJSON(t, cd, "/id/quazzar-x~tls")
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, []string{"quazzar-x"}, routeIDs(t, cd))
}

// TestCaddyAddAfterRemoveAll adds a route again after the last one was
// removed: the route and TLS policy arrays are then empty, and Caddy
// refuses an insert at index 0 of an empty array.
func TestCaddyAddAfterRemoveAll(t *testing.T) {
	t.Parallel()
	cd := caddytest.Start(t)
	p, err := reverseproxy.New(reverseproxy.Config{AdminURL: cd.AdminURL, TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	ctx := context.Background()
	r := shared.Route{ID: "s3", Host: "again.example.net", Upstream: "127.0.0.1:9"}
	for i := range 3 {
		_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: r})
		require.NoError(t, err, "add #%d", i)
		list, err := p.ListRoutes(ctx, shared.ListRoutesRequest{})
		require.NoError(t, err)
		require.Len(t, list.Routes, 1)
		_, err = p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: "s3"})
		require.NoError(t, err, "remove #%d", i)
	}
}

// TestCaddyDenyAllow: a route with Deny and Allow reads back the same,
// refuses denied paths in every spelling without forwarding them, forwards
// an allowed path as exactly that path, and forwards everything else as it
// came. A route of the old shape, or one changed by hand in Caddy, reads
// as one without refusals.
func TestCaddyDenyAllow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cd := caddytest.Start(t)
	up := startEcho(t, "upstream")
	p := newProxy(t, cd, "")
	host := "deny.localhost"
	want := shared.Route{ID: "d", Host: host, Upstream: up.addr(), Deny: []string{"/in", "/in/*"}, Allow: []string{"/in/ok"}}
	got, err := p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{
		ID: "d", Host: host, Upstream: up.addr(), Deny: []string{"/IN/*", "/in"}, Allow: []string{"/in/OK"},
	}})
	require.NoError(t, err)
	require.Equal(t, want, got, "stored normalised")
	list, err := p.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Equal(t, []shared.Route{want}, list.Routes, "read back as added")
	waitBody(t, cd.Client(t), cd.URL(host, "/"), "upstream")
	up.takeTargets()

	for _, method := range []string{http.MethodGet, http.MethodHead} {
		for _, target := range append(caddytest.PathVariants("/in/secret/x"), "/in", "/IN", "/in/", "/in.") {
			resp, body := cd.Raw(t, method, host, target)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s", method, target)
			if method == http.MethodGet {
				require.Equal(t, reverseproxy.Refusal, body, "%s %s", method, target)
			}
			require.Empty(t, up.takeTargets(), "%s %s reached the upstream", method, target)
		}
	}
	// An allowed path, however it is spelled, reaches the upstream as
	// exactly that path (the query kept).
	for target, arrives := range map[string]string{
		"/in/ok":                 "/in/ok",
		"/IN/Ok":                 "/in/ok",
		"//in/ok":                "/in/ok",
		"/in/x/../ok":            "/in/ok",
		"/in/secret/../../in/ok": "/in/ok",
		"/in/ok?x=1":             "/in/ok?x=1",
	} {
		resp, body := cd.Raw(t, http.MethodGet, host, target)
		require.Equal(t, http.StatusOK, resp.StatusCode, target)
		require.Equal(t, "upstream", body, target)
		require.Equal(t, []string{arrives}, up.takeTargets(), target)
	}
	// Everything else goes through as it was sent.
	for _, target := range []string{"/", "/inside/x", "/in-data/x", "/a/in/x", "/b/%2Fx//y", "/x?in=/in/"} {
		resp, _ := cd.Raw(t, http.MethodGet, host, target)
		require.Equal(t, http.StatusOK, resp.StatusCode, target)
		require.Equal(t, []string{target}, up.takeTargets(), target)
	}

	// Changed by hand in Caddy (the refusal now answers 200): the route no
	// longer reads as refusing anything.
	code, b := adminJSON(t, cd, "/id/quazzar-d/handle/0/routes/1/handle/0/status_code")
	require.Equal(t, http.StatusOK, code, string(b))
	require.JSONEq(t, "403", string(b))
	req, err := http.NewRequest(http.MethodPatch, cd.AdminURL+"/id/quazzar-d/handle/0/routes/1/handle/0/status_code", strings.NewReader("200"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	list, err = p.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Equal(t, []shared.Route{{ID: "d", Host: host, Upstream: up.addr()}}, list.Routes)

	// The old shape (no Deny): one reverse_proxy handler, as before.
	_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "d", Host: host, Upstream: up.addr()}})
	require.NoError(t, err)
	code, b = adminJSON(t, cd, "/id/quazzar-d/handle")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `[{"handler":"reverse_proxy","upstreams":[{"dial":"`+up.addr()+`"}]}]`, string(b))
	list, err = p.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Equal(t, []shared.Route{{ID: "d", Host: host, Upstream: up.addr()}}, list.Routes)
	resp, _ = cd.Raw(t, http.MethodGet, host, "/in/secret")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, []string{"/in/secret"}, up.takeTargets())
}

// Caddy replaces its admin listener after each config change: reads made
// while another client changes the config must not fail with a refused or
// reset connection.
func TestCaddyReadsDuringConfigChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cd := caddytest.Start(t)
	p, err := reverseproxy.New(reverseproxy.Config{AdminURL: cd.AdminURL})
	require.NoError(t, err)
	_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "r", Host: "r.localhost", Upstream: "127.0.0.1:9"}})
	require.NoError(t, err)

	done := make(chan struct{})
	changes := 0
	go func() { // another client changes the config, bounded in count and time
		defer close(done)
		client := &http.Client{Timeout: 5 * time.Second}
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; i < 150 && time.Now().Before(deadline); i++ {
			body := strings.NewReader(fmt.Sprintf(`"%dms"`, 1000+i))
			req, err := http.NewRequest(http.MethodPost, cd.AdminURL+"/config/apps/http/grace_period", body)
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					changes++
				}
			}
		}
	}()
	reads, failed := 0, []error{}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			_, err := p.ListRoutes(ctx, shared.ListRoutesRequest{})
			reads++
			if err != nil {
				failed = append(failed, err)
			}
		}
	}
	t.Logf("%d reads during %d config changes, %d failed", reads, changes, len(failed))
	require.Positive(t, changes, "the config was changed")
	require.Empty(t, failed)
}
