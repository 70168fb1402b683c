package reverseproxy_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/shared"
)

func TestValidateRoute(t *testing.T) {
	ok := shared.Route{ID: "object-storage:expose", Host: "S3.Example.com", Upstream: "127.0.0.1:9000"}
	cases := []struct {
		name  string
		edit  func(r *shared.Route)
		field string // "" means valid
	}{
		{"valid", func(r *shared.Route) {}, ""},
		{"upstream hostname", func(r *shared.Route) { r.Upstream = "minio.internal:9000" }, ""},
		{"upstream ipv6", func(r *shared.Route) { r.Upstream = "[::1]:9000" }, ""},
		{"single label host", func(r *shared.Route) { r.Host = "intranet" }, "host"},
		{"localhost host", func(r *shared.Route) { r.Host = "localhost" }, "host"},
		{"upstream single label", func(r *shared.Route) { r.Upstream = "minio:9000" }, ""},
		{"empty id", func(r *shared.Route) { r.ID = "" }, "id"},
		{"id with slash", func(r *shared.Route) { r.ID = "a/b" }, "id"},
		{"id with tilde", func(r *shared.Route) { r.ID = "a~tls" }, "id"},
		{"id too long", func(r *shared.Route) { r.ID = strings.Repeat("a", 129) }, "id"},
		{"empty host", func(r *shared.Route) { r.Host = "" }, "host"},
		{"ipv4 host", func(r *shared.Route) { r.Host = "10.0.0.1" }, "host"},
		{"ipv6 host", func(r *shared.Route) { r.Host = "::1" }, "host"},
		{"host with port", func(r *shared.Route) { r.Host = "s3.example.com:443" }, "host"},
		{"trailing dot is the same host", func(r *shared.Route) { r.Host = "s3.example.com." }, ""},
		{"underscore", func(r *shared.Route) { r.Host = "s3_x.example.com" }, "host"},
		{"wildcard", func(r *shared.Route) { r.Host = "*.example.com" }, "host"},
		{"label hyphen end", func(r *shared.Route) { r.Host = "s3-.example.com" }, "host"},
		{"label too long", func(r *shared.Route) { r.Host = strings.Repeat("a", 64) + ".com" }, "host"},
		{"host 254 chars", func(r *shared.Route) { r.Host = strings.Repeat(strings.Repeat("a", 62)+".", 4) + "ab" }, "host"},
		{"upstream without port", func(r *shared.Route) { r.Upstream = "127.0.0.1" }, "upstream"},
		{"upstream port zero", func(r *shared.Route) { r.Upstream = "127.0.0.1:0" }, "upstream"},
		{"upstream port too big", func(r *shared.Route) { r.Upstream = "127.0.0.1:65536" }, "upstream"},
		{"upstream no host", func(r *shared.Route) { r.Upstream = ":9000" }, "upstream"},
		{"upstream url", func(r *shared.Route) { r.Upstream = "http://127.0.0.1:9000" }, "upstream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			got, err := reverseproxy.ValidateRoute(r)
			if tc.field == "" {
				require.NoError(t, err)
				require.Equal(t, strings.TrimSuffix(strings.ToLower(r.Host), "."), got.Host)
				return
			}
			require.Error(t, err)
			var e *shared.Error
			require.True(t, errors.As(err, &e))
			require.Equal(t, shared.CodeInvalidArgument, e.Code)
			require.Equal(t, tc.field, e.Field, e.Message)
		})
	}
	// 253 characters is still a hostname.
	long := strings.Repeat(strings.Repeat("a", 62)+".", 4) + "a"
	require.Len(t, long, 253)
	_, err := reverseproxy.ValidateRoute(shared.Route{ID: "x", Host: long, Upstream: "127.0.0.1:1"})
	require.NoError(t, err)
}

func TestValidateRouteDenyAllow(t *testing.T) {
	base := shared.Route{ID: "x", Host: "s3.example.com", Upstream: "127.0.0.1:9000"}
	many := make([]string, reverseproxy.MaxPaths+1)
	for i := range many {
		many[i] = fmt.Sprintf("/p%d", i)
	}
	cases := []struct {
		name              string
		deny, allow       []string
		field             string   // "" means valid
		wantDeny, wantAll []string // when valid
	}{
		{"none", nil, nil, "", nil, nil},
		{"empty lists read as none", []string{}, []string{}, "", nil, nil},
		{"exact and prefix", []string{"/in/*", "/in"}, []string{"/in/ok"}, "", []string{"/in", "/in/*"}, []string{"/in/ok"}},
		{"lower case, sorted, once", []string{"/IN/*", "/in/*", "/a"}, []string{"/In/OK", "/in/ok"}, "", []string{"/a", "/in/*"}, []string{"/in/ok"}},
		{"everything", []string{"/*"}, []string{"/health"}, "", []string{"/*"}, []string{"/health"}},
		{"trailing slash kept", []string{"/in/"}, nil, "", []string{"/in/"}, nil},
		{"rfc 3986 characters", []string{"/a-b_c.d~e!$&'()+,;=:@/*"}, nil, "", []string{"/a-b_c.d~e!$&'()+,;=:@/*"}, nil},
		{"relative", []string{"in/*"}, nil, "deny", nil, nil},
		{"empty pattern", []string{""}, nil, "deny", nil, nil},
		{"star inside", []string{"/in/*/x"}, nil, "deny", nil, nil},
		{"glob", []string{"/in/[ab]"}, nil, "deny", nil, nil},
		{"placeholder", []string{"/{http.request.host}/*"}, nil, "deny", nil, nil},
		{"percent", []string{"/in%2Fx"}, nil, "deny", nil, nil},
		{"query", []string{"/in?x=1"}, nil, "deny", nil, nil},
		{"space", []string{"/in x"}, nil, "deny", nil, nil},
		{"backslash", []string{`/in\x`}, nil, "deny", nil, nil},
		{"doubled slash", []string{"//in/*"}, nil, "deny", nil, nil},
		{"dot segment", []string{"/in/./x"}, nil, "deny", nil, nil},
		{"dot dot segment", []string{"/in/../x"}, nil, "deny", nil, nil},
		{"trailing dot", []string{"/in."}, nil, "deny", nil, nil},
		{"too long", []string{"/" + strings.Repeat("a", reverseproxy.MaxPathLength)}, nil, "deny", nil, nil},
		{"too many", many, nil, "deny", nil, nil},
		{"allow without deny", nil, []string{"/in/ok"}, "allow", nil, nil},
		{"allow outside deny", []string{"/in/*"}, []string{"/out"}, "allow", nil, nil},
		{"allow a prefix", []string{"/in/*"}, []string{"/in/ok/*"}, "allow", nil, nil},
		{"allow not normal", []string{"/in/*"}, []string{"/in//ok"}, "allow", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			r.Deny, r.Allow = tc.deny, tc.allow
			got, err := reverseproxy.ValidateRoute(r)
			if tc.field == "" {
				require.NoError(t, err)
				require.Equal(t, tc.wantDeny, got.Deny)
				require.Equal(t, tc.wantAll, got.Allow)
				return
			}
			require.Error(t, err)
			e := shared.AsError(err)
			require.Equal(t, shared.CodeInvalidArgument, e.Code)
			require.Equal(t, tc.field, e.Field, e.Message)
		})
	}
}

func TestPathMatches(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"/minio", "/minio", true},
		{"/minio", "/MINIO", true},
		{"/minio", "/minio/", false},
		{"/minio/*", "/minio/admin/v3/info", true},
		{"/minio/*", "/minio", false},
		{"/minio/*", "/minio-data/x", false},
		{"/minio*", "/minio-data/x", true},
		{"/*", "/", true},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, reverseproxy.PathMatches(tc.pattern, tc.path), "%s ~ %s", tc.pattern, tc.path)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	cases := []struct {
		name  string
		cfg   reverseproxy.Config
		field string
	}{
		{"no url", reverseproxy.Config{}, "admin_url"},
		{"not a url", reverseproxy.Config{AdminURL: "127.0.0.1:2019"}, "admin_url"},
		{"ftp", reverseproxy.Config{AdminURL: "ftp://127.0.0.1:2019"}, "admin_url"},
		{"bad prefix", reverseproxy.Config{AdminURL: "http://127.0.0.1:2019", IDPrefix: "a/b"}, "id_prefix"},
		{"bad issuer", reverseproxy.Config{AdminURL: "http://127.0.0.1:2019", TLSIssuer: "letsencrypt"}, "tls_issuer"},
		{"bad server", reverseproxy.Config{AdminURL: "http://127.0.0.1:2019", Server: "a/b"}, "server"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := reverseproxy.New(tc.cfg)
			var e *shared.Error
			require.True(t, errors.As(err, &e), "error %v", err)
			require.Equal(t, tc.field, e.Field)
		})
	}
	_, err := reverseproxy.New(reverseproxy.Config{AdminURL: "http://127.0.0.1:2019/"})
	require.NoError(t, err)
}

func TestDisabled(t *testing.T) {
	ctx := context.Background()
	var p shared.ReverseProxy = reverseproxy.Disabled{}
	st, err := p.ProxyStatus(ctx, shared.ProxyStatusRequest{})
	require.NoError(t, err)
	require.False(t, st.Enabled)

	_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "a", Host: "a.example.com", Upstream: "127.0.0.1:9000"}})
	requireNotEnabled(t, err)
	_, err = p.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: "a"})
	requireNotEnabled(t, err)

	list, err := p.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Empty(t, list.Routes)
}

func requireNotEnabled(t *testing.T, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, "Reverse Proxy is not enabled on this node", err.Error())
	require.Equal(t, shared.CodeNotEnabled, shared.CodeOf(err))
	require.ErrorIs(t, err, shared.ErrNotEnabled)
}
