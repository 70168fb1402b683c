package devhost_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/devhost"
	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/internal/caddytest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/addon"
	"github.com/quazzar/object-storage/shared"
)

// baDomain is a fresh *.localhost name: Debian's libnss-myhostname
// resolves it to ::1 and 127.0.0.1 without /etc/hosts.
func baDomain(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return "s3-" + hex.EncodeToString(b) + ".localhost"
}

// baAWSCLI is Debian's AWS CLI: the image's pip aws comes first on $PATH.
func baAWSCLI(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	return testkit.Require(t, "aws")
}

// baAction posts one page action through the panel's JSON API and returns
// the HTTP status and the result.
func baAction(t *testing.T, s *devhost.Server, action string, input any) (int, shared.ActionResult) {
	t.Helper()
	body, err := json.Marshal(input)
	require.NoError(t, err)
	resp, err := http.Post(s.PanelURL()+"/api/plugins/"+addonID+"/actions/"+action, "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	var res shared.ActionResult
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&res), "action %s", action)
	return resp.StatusCode, res
}

// baOK posts an action that must succeed.
func baOK(t *testing.T, s *devhost.Server, action string, input any) shared.ActionResult {
	t.Helper()
	status, res := baAction(t, s, action, input)
	require.Equal(t, http.StatusOK, status, "action %s: %+v", action, res)
	require.True(t, res.OK, "action %s: %+v", action, res)
	return res
}

// baState is GET /api/plugins/object-storage/state.
func baState(t *testing.T, s *devhost.Server) addon.StateDocument {
	t.Helper()
	resp, err := http.Get(s.PanelURL() + "/api/plugins/" + addonID + "/state")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var st addon.StateDocument
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st
}

// TestExposeThroughHostWithCaddy drives exposure the way a user does: the
// panel's JSON API, the add-on, the host services over the broker, the
// development host's Caddy provider, a real Caddy with its internal CA;
// then S3 clients reach MinIO over HTTPS at the exposed name.
func TestExposeThroughHostWithCaddy(t *testing.T) {
	t.Parallel()
	caddy := caddytest.Start(t)
	plugins := t.TempDir()
	baInstall(t, plugins, baAddon, nil)
	s, _ := baStart(t, plugins, func(c *devhost.Config) {
		c.ReverseProxyAdmin = caddy.AdminURL
		c.ReverseProxyTLSIssuer = reverseproxy.TLSIssuerInternal
	})
	baWaitRunning(t, s)
	proxy, err := reverseproxy.New(reverseproxy.Config{AdminURL: caddy.AdminURL, TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	ctx := context.Background()
	routes := func() []shared.Route {
		rs, err := proxy.ListRoutes(ctx, shared.ListRoutesRequest{})
		require.NoError(t, err)
		return rs.Routes
	}

	// Bad domains: a clear error on the field, no route added.
	label63 := strings.Repeat("a", 63)
	bad := []struct{ domain, want string }{
		{"", "required"},
		{"127.0.0.1", "IP address"},
		{"localhost", "localhost"},
		{strings.Repeat("a", 64) + ".example.com", "at most 63"},
		{"my_bucket.example.com", "character '_'"},
		{strings.Join([]string{label63, label63, label63, label63[:62]}, "."), "at most 253"},
	}
	for _, b := range bad {
		status, res := baAction(t, s, "expose", map[string]string{"domain": b.domain})
		require.Equal(t, http.StatusBadRequest, status, "%q: %+v", b.domain, res)
		require.Equal(t, shared.CodeInvalidArgument, res.Code, "%q", b.domain)
		require.Contains(t, res.FieldErrors["domain"], b.want, "%q: %+v", b.domain, res)
	}
	require.Empty(t, routes(), "no route for a bad domain")

	// Expose; the state and Caddy show it.
	domain := baDomain(t)
	res := baOK(t, s, "expose", map[string]string{"domain": domain})
	require.Equal(t, "The S3 API is exposed at https://"+domain+".", res.Message)
	st := baState(t, s)
	require.Equal(t, domain, st.Endpoint.Domain)
	require.Equal(t, "https://"+domain, st.Endpoint.PublicURL)
	rs := routes()
	require.Len(t, rs, 1)
	require.Equal(t, domain, rs[0].Host)
	require.Equal(t, st.Status.S3Address, rs[0].Upstream)

	// A public and a private bucket, and a key on both, through the API.
	baOK(t, s, "create_bucket", map[string]string{"name": "cdn", "visibility": "public"})
	baOK(t, s, "create_bucket", map[string]string{"name": "vault", "visibility": "private"})
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket","s3:GetBucketLocation"],` +
		`"Resource":["arn:aws:s3:::cdn","arn:aws:s3:::cdn/*","arn:aws:s3:::vault","arn:aws:s3:::vault/*"]}]}`
	key := baOK(t, s, "create_key", map[string]string{"name": "aws-cli", "policy": policy})
	require.NotEmpty(t, key.AccessKey)
	require.NotEmpty(t, key.SecretKey)

	// The AWS CLI over HTTPS at the exposed name: SigV4 signs the Host
	// header, so this also shows that Caddy passes it through. The name
	// resolves to ::1 first; Caddy listens on 127.0.0.1 only and the CLI
	// falls back to it.
	endpoint := "https://" + domain + ":" + strconv.Itoa(caddy.HTTPSPort)
	home := t.TempDir()
	aws := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(baAWSCLI(t), append([]string{"--endpoint-url", endpoint, "--region", "us-east-1"}, args...)...)
		cmd.Env = append(os.Environ(), "HOME="+home,
			"AWS_ACCESS_KEY_ID="+key.AccessKey, "AWS_SECRET_ACCESS_KEY="+key.SecretKey,
			"AWS_CA_BUNDLE="+caddy.RootCAPath(),
			"AWS_CONFIG_FILE="+filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "aws %v: %s", args, out)
		return string(out)
	}
	public := filepath.Join(home, "logo.txt")
	private := filepath.Join(home, "secret.txt")
	require.NoError(t, os.WriteFile(public, []byte("public through the proxy"), 0o600))
	require.NoError(t, os.WriteFile(private, []byte("private through the proxy"), 0o600))
	aws("s3", "cp", public, "s3://cdn/logo.txt")
	aws("s3", "cp", private, "s3://vault/secret.txt")
	require.Contains(t, aws("s3", "ls", "s3://vault"), "secret.txt")
	require.Contains(t, aws("s3", "ls", "s3://cdn"), "logo.txt")
	back := filepath.Join(home, "back.txt")
	aws("s3", "cp", "s3://vault/secret.txt", back)
	got, err := os.ReadFile(back)
	require.NoError(t, err)
	require.Equal(t, "private through the proxy", string(got))

	// Anonymous HTTPS: the public object is served, the private one is not.
	hc := caddy.Client(t)
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := hc.Get(caddy.URL(domain, path))
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	status, body := get("/cdn/logo.txt")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "public through the proxy", body)
	status, body = get("/vault/secret.txt")
	require.Equal(t, http.StatusForbidden, status)
	require.NotContains(t, body, "private through the proxy")

	// Unexpose: the name is no longer routed, and only our route went.
	res = baOK(t, s, "unexpose", map[string]string{})
	require.Equal(t, "The S3 API is no longer exposed.", res.Message)
	require.Empty(t, baState(t, s).Endpoint.Domain)
	require.Empty(t, routes())
	// Today the TLS handshake fails (no certificate policy for the name);
	// if Caddy answered anyway, the answer must not come from MinIO.
	resp, err := hc.Get(caddy.URL(domain, "/cdn/logo.txt"))
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Empty(t, resp.Header.Get("X-Amz-Request-Id"), "after Unexpose MinIO still answered at %s (%s)", domain, resp.Status)
		require.NotContains(t, string(body), "public through the proxy", "after Unexpose %s still serves the object", domain)
	}
	status, res = baAction(t, s, "unexpose", map[string]string{})
	require.Equal(t, http.StatusNotFound, status, "%+v", res)
	require.Equal(t, shared.CodeNotFound, res.Code)
}

// TestExposeThroughHostWithoutProxy: a host started without
// --reverse-proxy-admin has no reverse proxy, and the page says so in
// exactly the product's words; nothing is stored.
func TestExposeThroughHostWithoutProxy(t *testing.T) {
	t.Parallel()
	plugins := t.TempDir()
	baInstall(t, plugins, baAddon, nil)
	var stateDir string
	s, _ := baStart(t, plugins, func(c *devhost.Config) {
		c.ReverseProxyAdmin = ""
		stateDir = c.StateDir
	})
	baWaitRunning(t, s)

	status, res := baAction(t, s, "expose", map[string]string{"domain": baDomain(t)})
	require.Equal(t, http.StatusServiceUnavailable, status, "%+v", res)
	require.False(t, res.OK)
	require.Equal(t, shared.CodeNotEnabled, res.Code)
	require.Equal(t, "Reverse Proxy is not enabled on this node", res.Message)

	st := baState(t, s)
	require.Empty(t, st.Endpoint.Domain, "nothing stored")
	require.Empty(t, st.Endpoint.PublicURL)
	entries, err := os.ReadDir(filepath.Join(stateDir, "object-storage"))
	require.NoError(t, err)
	for _, e := range entries {
		require.NotContains(t, e.Name(), "expos", "no exposure kept in the add-on's state")
	}

	status, res = baAction(t, s, "unexpose", map[string]string{})
	require.Equal(t, http.StatusServiceUnavailable, status, "%+v", res)
	require.Equal(t, "Reverse Proxy is not enabled on this node", res.Message)
}

// TestExposePublishesOnlyS3: through the exposed domain, S3 works as
// before (AWS CLI with a key, a presigned GET, an anonymous GET of a public
// object, a bucket whose name starts with "minio"), MinIO's liveness and
// readiness answer, and every other /minio/… path, in any spelling, is
// refused by the proxy itself: even the root credentials cannot use the
// admin API there.
func TestExposePublishesOnlyS3(t *testing.T) {
	t.Parallel()
	mc := testkit.Require(t, "mc")
	caddy := caddytest.Start(t)
	plugins := t.TempDir()
	baInstall(t, plugins, baAddon, nil)
	s, _ := baStart(t, plugins, func(c *devhost.Config) {
		c.ReverseProxyAdmin = caddy.AdminURL
		c.ReverseProxyTLSIssuer = reverseproxy.TLSIssuerInternal
	})
	st := baWaitRunning(t, s)
	ctx := context.Background()

	domain := baDomain(t)
	baOK(t, s, "expose", map[string]string{"domain": domain})
	proxy, err := reverseproxy.New(reverseproxy.Config{AdminURL: caddy.AdminURL})
	require.NoError(t, err)
	rs, err := proxy.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	require.Len(t, rs.Routes, 1)
	require.Equal(t, []string{"/minio", "/minio/*"}, rs.Routes[0].Deny)
	require.Equal(t, []string{"/minio/health/live", "/minio/health/ready"}, rs.Routes[0].Allow)

	baOK(t, s, "create_bucket", map[string]string{"name": "cdn", "visibility": "public"})
	baOK(t, s, "create_bucket", map[string]string{"name": "minio-data", "visibility": "private"})
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],` +
		`"Resource":["arn:aws:s3:::cdn","arn:aws:s3:::cdn/*","arn:aws:s3:::minio-data","arn:aws:s3:::minio-data/*"]}]}`
	key := baOK(t, s, "create_key", map[string]string{"name": "app", "policy": policy})

	// The AWS CLI with the key, over HTTPS at the domain.
	port := strconv.Itoa(caddy.HTTPSPort)
	endpoint := "https://" + domain + ":" + port
	home := t.TempDir()
	aws := func(args ...string) string {
		t.Helper()
		out, err := uiAWS(t, home, endpoint, key.AccessKey, key.SecretKey, append([]string{"--ca-bundle", caddy.RootCAPath()}, args...)...)
		require.NoError(t, err, "aws %v: %s", args, out)
		return out
	}
	file := filepath.Join(home, "report.txt")
	require.NoError(t, os.WriteFile(file, []byte("only S3 through the proxy"), 0o600))
	aws("s3", "cp", file, "s3://minio-data/report.txt")
	aws("s3", "cp", file, "s3://cdn/report.txt")
	require.Contains(t, aws("s3", "ls", "s3://minio-data"), "report.txt")
	aws("s3", "cp", "s3://minio-data/report.txt", filepath.Join(home, "back.txt"))
	back, err := os.ReadFile(filepath.Join(home, "back.txt"))
	require.NoError(t, err)
	require.Equal(t, "only S3 through the proxy", string(back))

	// A presigned GET and an anonymous GET of the public object.
	s3, err := minio.New(domain+":"+port, &minio.Options{
		Creds: credentials.NewStaticV4(key.AccessKey, key.SecretKey, ""), Secure: true,
		Transport: caddy.Transport(t), Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	require.NoError(t, err)
	signed, err := s3.PresignedGetObject(ctx, "minio-data", "report.txt", 5*time.Minute, nil)
	require.NoError(t, err)
	hc := caddy.Client(t)
	for _, u := range []string{signed.String(), caddy.URL(domain, "/cdn/report.txt")} {
		resp, err := hc.Get(u)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", u, body)
		require.Equal(t, "only S3 through the proxy", string(body), u)
	}

	// Liveness and readiness come from MinIO, also when the path is
	// spelled to mean something else to MinIO once forwarded as sent.
	for _, target := range []string{"/minio/health/live", "/minio/health/ready", "/minio/admin/v3/info/../../../health/live"} {
		resp, _ := caddy.Raw(t, http.MethodGet, domain, target)
		require.Equal(t, http.StatusOK, resp.StatusCode, target)
		require.Contains(t, resp.Header.Values("Server"), "MinIO", target)
	}

	// Everything else under /minio is refused by Caddy: no answer of
	// MinIO's (it sends Server: MinIO and X-Amz-Request-Id on every one).
	for _, p := range []string{"/minio/admin/v3/info", "/minio/v2/metrics/cluster", "/minio/bootstrap/v1/verify", "/minio/kms/v1/key/list", "/minio/metrics/v3", "/minio/peer/v1/x"} {
		for _, target := range caddytest.PathVariants(p) {
			for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
				resp, body := caddy.Raw(t, method, domain, target)
				require.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s", method, target)
				require.NotContains(t, resp.Header.Values("Server"), "MinIO", "%s %s", method, target)
				require.Empty(t, resp.Header.Get("X-Amz-Request-Id"), "%s %s", method, target)
				if method != http.MethodHead {
					require.Equal(t, reverseproxy.Refusal, body, "%s %s", method, target)
				}
			}
		}
	}

	// mc with an administrator key made on the page: S3 works at the
	// domain, the admin API does not (it does on MinIO's own address).
	admin := baOK(t, s, "create_key", map[string]any{"name": "ops", "admin": true})
	creds := struct{ User, Password string }{admin.AccessKey, admin.SecretKey}
	mcDir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(mcDir, "certs", "CAs"), 0o700))
	ca, err := os.ReadFile(caddy.RootCAPath())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(mcDir, "certs", "CAs", "caddy.crt"), ca, 0o600))
	runMC := func(args ...string) (string, error) {
		t.Helper()
		mctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(mctx, mc, append([]string{"--config-dir", mcDir}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + mcDir,
			"MC_HOST_public=https://" + creds.User + ":" + creds.Password + "@" + domain + ":" + port,
			"MC_HOST_local=http://" + creds.User + ":" + creds.Password + "@" + st.S3Address}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := runMC("ls", "public/minio-data")
	require.NoError(t, err, "mc ls through the proxy: %s", out)
	require.Contains(t, out, "report.txt")
	out, err = runMC("admin", "info", "local")
	require.NoError(t, err, "mc admin info on MinIO's own address: %s", out)
	out, err = runMC("admin", "info", "public")
	require.Error(t, err, "mc admin info through the proxy must fail: %s", out)
	require.Contains(t, out, "the reverse proxy refused it", "refused by the proxy, not unreachable: %s", out)
}
