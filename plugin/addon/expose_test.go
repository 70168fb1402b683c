package addon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/internal/caddytest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/exposure"
	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

func randomHost(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "s3-" + hex.EncodeToString(b) + ".localhost"
}

// awsCLI returns Debian's AWS CLI (the image's pip aws may come first on
// $PATH).
func awsCLI(t *testing.T) string {
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	return testkit.Require(t, "aws")
}

func TestExposeThroughCaddy(t *testing.T) {
	t.Parallel()
	caddy := caddytest.Start(t)
	f := start(t, nil)
	proxy, err := reverseproxy.New(reverseproxy.Config{AdminURL: caddy.AdminURL, TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	f.a.SetReverseProxy(proxy)
	ctx := context.Background()
	domain := randomHost(t)

	ep, err := f.a.Expose(ctx, shared.ExposeRequest{Domain: strings.ToUpper(domain) + "."})
	require.NoError(t, err)
	require.Equal(t, domain, ep.Domain, "domain kept in canonical form")
	require.Equal(t, "https://"+domain, ep.PublicURL)
	_, err = f.a.Expose(ctx, shared.ExposeRequest{Domain: domain})
	require.NoError(t, err, "exposing again is idempotent")
	routes, err := proxy.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Len(t, routes.Routes, 1)
	require.Equal(t, f.settings[settings.KeyS3Address], routes.Routes[0].Upstream)

	// Buckets and a key made through the add-on.
	_, err = f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "cdn", Visibility: shared.Public})
	require.NoError(t, err)
	_, err = f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "vault", Visibility: shared.Private})
	require.NoError(t, err)
	root := f.rootClient(t)
	for _, b := range []string{"cdn", "vault"} {
		_, err = root.PutObject(ctx, b, "logo.png", strings.NewReader("png"), 3, minio.PutObjectOptions{})
		require.NoError(t, err)
	}
	key, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "aws-cli", Policy: keys.ReadWritePolicy("vault")})
	require.NoError(t, err)

	// Anonymous HTTPS GETs through the proxy.
	hc := caddy.Client(t)
	get := func(path string) int {
		resp, err := hc.Get(caddy.URL(domain, path))
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, 200, get("/cdn/logo.png"), "public object over HTTPS")
	require.Equal(t, 403, get("/vault/logo.png"), "private object over HTTPS")

	// The AWS CLI, signed requests through Caddy (SigV4 signs the Host).
	endpoint := "https://" + domain + ":" + strconv.Itoa(caddy.HTTPSPort)
	home := t.TempDir()
	local := filepath.Join(home, "upload.txt")
	require.NoError(t, os.WriteFile(local, []byte("hello through the proxy"), 0o600))
	aws := func(args ...string) string {
		cmd := exec.Command(awsCLI(t), append([]string{"--endpoint-url", endpoint, "--region", "us-east-1"}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+home, "AWS_ACCESS_KEY_ID="+key.Key.AccessKey,
			"AWS_SECRET_ACCESS_KEY="+key.SecretKey, "AWS_CA_BUNDLE="+caddy.RootCAPath(),
			"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "creds"))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "aws %v: %s", args, out)
		return string(out)
	}
	require.Contains(t, aws("s3", "ls", "s3://vault"), "logo.png")
	aws("s3", "cp", local, "s3://vault/upload.txt")
	aws("s3", "cp", "s3://vault/upload.txt", filepath.Join(home, "back.txt"))
	back, err := os.ReadFile(filepath.Join(home, "back.txt"))
	require.NoError(t, err)
	require.Equal(t, "hello through the proxy", string(back))

	// The add-on comes back: the exposure is remembered and re-applied.
	_, err = proxy.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: exposure.RouteID}) // the proxy lost it
	require.NoError(t, err)
	f.a.expo.Reconcile(ctx)
	require.Eventually(t, func() bool {
		resp, err := hc.Get(caddy.URL(domain, "/cdn/logo.png"))
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 20*time.Second, 100*time.Millisecond, "route re-applied after the proxy lost it")

	// Unexpose removes exactly that route.
	ep, err = f.a.Unexpose(ctx, shared.UnexposeRequest{})
	require.NoError(t, err)
	require.Empty(t, ep.Domain)
	routes, err = proxy.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Empty(t, routes.Routes)
	_, err = hc.Get(caddy.URL(domain, "/cdn/logo.png"))
	require.Error(t, err, "the hostname is no longer routed (no certificate, no route)")
	_, err = f.a.Unexpose(ctx, shared.UnexposeRequest{})
	require.ErrorIs(t, err, shared.ErrNotFound)
}

func TestExposeStateSurvivesRestart(t *testing.T) {
	t.Parallel()
	caddy := caddytest.Start(t)
	proxy, err := reverseproxy.New(reverseproxy.Config{AdminURL: caddy.AdminURL, TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	f := start(t, nil)
	f.a.SetReverseProxy(proxy)
	ctx := context.Background()
	domain := randomHost(t)
	_, err = f.a.Expose(ctx, shared.ExposeRequest{Domain: domain})
	require.NoError(t, err)
	_, err = proxy.RemoveRoute(ctx, shared.RemoveRouteRequest{ID: exposure.RouteID})
	require.NoError(t, err)

	// A new add-on process on the same state: it adopts MinIO and puts the
	// route back once it has the proxy.
	_, err = f.a.Shutdown(ctx, shared.ShutdownRequest{StopServices: false})
	require.NoError(t, err)
	logs := &testkit.Buffer{}
	next := New(hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug}))
	next.SetReverseProxy(proxy)
	_, err = next.Configure(ctx, shared.ConfigureRequest{Settings: f.settings})
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = next.Shutdown(context.Background(), shared.ShutdownRequest{StopServices: true}) })
	ok := assert.Eventually(t, func() bool {
		rs, err := proxy.ListRoutes(ctx, shared.ListRoutesRequest{})
		return err == nil && len(rs.Routes) == 1 && rs.Routes[0].Host == domain
	}, 60*time.Second, 100*time.Millisecond)
	require.True(t, ok, "route not re-applied: %s", logs.String())
	ep, err := next.Endpoint(ctx, shared.EndpointRequest{})
	require.NoError(t, err)
	require.Equal(t, domain, ep.Domain)
	require.True(t, next.conn.sup.Status().Adopted, "MinIO adopted, not restarted")
}

func TestExposeWithoutProxy(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	_, err := f.a.Expose(ctx, shared.ExposeRequest{Domain: "s3.example.com"})
	require.ErrorIs(t, err, shared.ErrNotEnabled)
	require.Equal(t, "Reverse Proxy is not enabled on this node", err.Error())
	f.a.SetReverseProxy(reverseproxy.Disabled{})
	_, err = f.a.Expose(ctx, shared.ExposeRequest{Domain: "s3.example.com"})
	require.Equal(t, "Reverse Proxy is not enabled on this node", err.Error())
	ep, _ := f.a.Endpoint(ctx, shared.EndpointRequest{})
	require.Empty(t, ep.Domain, "nothing stored")
	_, err = os.Stat(filepath.Join(f.settings[settings.KeyStateDir], "exposure.json"))
	require.ErrorIs(t, err, os.ErrNotExist, "nothing stored")
}

func TestExposeBadDomains(t *testing.T) {
	t.Parallel()
	caddy := caddytest.Start(t)
	proxy, err := reverseproxy.New(reverseproxy.Config{AdminURL: caddy.AdminURL, TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	f := start(t, nil)
	f.a.SetReverseProxy(proxy)
	ctx := context.Background()
	// The rule itself is shared.CheckHostname's, tested in shared; here:
	// the add-on applies it, binds the error to its field, adds nothing.
	for _, c := range []struct{ domain, want string }{
		{"", "required"}, {"192.0.2.10", "IP address"}, {"localhost", "localhost"}, {"s3", "full hostname"},
	} {
		_, err := f.a.Expose(ctx, shared.ExposeRequest{Domain: c.domain})
		require.ErrorIs(t, err, shared.ErrInvalidArgument, "%q", c.domain)
		require.Contains(t, err.Error(), c.want, "%q", c.domain)
		require.Equal(t, "domain", shared.AsError(err).Field)
	}
	routes, err := proxy.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Empty(t, routes.Routes, "no route added")
}
