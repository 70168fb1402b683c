package devhost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/devhost"
	"github.com/quazzar/object-storage/internal/plugintest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/addon"
	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// addonID is the object-storage add-on's plugin id.
const addonID = "object-storage"

// devAddonSettings are the add-on's settings as cloudos-dev lays them out
// under state (settings.UnderFolder), with the tools folder's MinIO, free
// loopback ports, and extra values overlaid.
func devAddonSettings(t testing.TB, state string, extra map[string]string) map[string]string {
	t.Helper()
	set, err := settings.UnderFolder(state)
	require.NoError(t, err)
	set.MinIOBinary = testkit.Require(t, "minio")
	set.S3Address = testkit.FreeAddr(t)
	set.ConsoleAddress = testkit.FreeAddr(t)
	m := set.Map()
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// uiHost is a running development host with the real add-on and a real
// MinIO, for the end-to-end tests of the page and its JSON API.
type uiHost struct {
	*devhost.Server
	URL       string // the panel's base URL
	S3Address string
	StateDir  string
	out       *testkit.Buffer
}

// uiStartHost builds the add-on into a temporary plugins folder (stamped
// manifest), starts the development host on free loopback ports with the
// scanner at its fastest and usage read every second, waits until MinIO is
// ready, and stops everything when the test ends. Its log goes to a file
// that is printed when the test fails.
func uiStartHost(t testing.TB) *uiHost {
	t.Helper()
	plugins := t.TempDir()
	uiBuildAddon(t, plugins)

	state := t.TempDir()
	logPath := filepath.Join(state, "devhost.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = logFile.Close()
		if t.Failed() {
			uiDumpLog(t, logPath)
			uiDumpLog(t, filepath.Join(state, "object-storage", "minio.log"))
		}
	})
	out := &testkit.Buffer{}
	set := devAddonSettings(t, state, map[string]string{settings.KeyScannerSpeed: "fastest", settings.KeyUsageInterval: "1s"})
	cfg := devhost.Config{
		Listen:     testkit.FreeAddr(t),
		StateDir:   state,
		PluginsDir: plugins,
		Settings:   map[string]map[string]string{addonID: set},
		Logger:     hclog.New(&hclog.LoggerOptions{Name: "cloudos-dev", Output: logFile, Level: hclog.Debug}),
		Out:        out,
	}
	s, err := devhost.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		require.NoError(t, s.Shutdown(ctx), "stop the development host")
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	require.NoError(t, s.Start(ctx))
	select {
	case <-s.Ready():
	case <-time.After(90 * time.Second):
		t.Fatalf("the development host did not print its panel and s3 lines within 90 s; it printed:\n%s", out.String())
	}
	s3 := set[settings.KeyS3Address]
	require.Contains(t, out.String(), "s3: http://"+s3, "MinIO is ready on the configured address")
	return &uiHost{Server: s, URL: s.PanelURL(), S3Address: s3, StateDir: state, out: out}
}

// uiBuildAddon installs the add-on into root/object-storage with its
// manifest stamped with the executable's checksum, as make build does.
func uiBuildAddon(t testing.TB, root string) { plugintest.Dir(t, root, addonID, plugintest.Options{}) }

func uiDumpLog(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	const max = 20000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	t.Logf("--- %s (last %d bytes) ---\n%s", path, len(b), b)
}

// uiRootClient is an S3 client with MinIO's root credentials, read from
// the env file the add-on wrote under the state folder.
func (h *uiHost) uiRootClient(t *testing.T) *minio.Client {
	t.Helper()
	creds, err := envfile.Load(filepath.Join(h.StateDir, "minio.env"))
	require.NoError(t, err)
	c, err := minio.New(h.S3Address, &minio.Options{Creds: credentials.NewStaticV4(creds.User, creds.Password, ""), Region: "us-east-1"})
	require.NoError(t, err)
	return c
}

// uiPut uploads an object of size bytes (a repeated letter) with the root
// credentials and returns its content.
func (h *uiHost) uiPut(t *testing.T, bucket, key string, size int) []byte {
	t.Helper()
	body := bytes.Repeat([]byte{'q'}, size)
	_, err := h.uiRootClient(t).PutObject(context.Background(), bucket, key, bytes.NewReader(body), int64(size), minio.PutObjectOptions{ContentType: "application/octet-stream"})
	require.NoError(t, err, "upload %s/%s", bucket, key)
	return body
}

// uiAPIAnswer is one answer of the JSON API.
type uiAPIAnswer struct {
	Status int
	Result shared.ActionResult
	Body   string
}

// uiPost sends body as the input of action, with extra request headers
// (header name → value), and decodes the result.
func (h *uiHost) uiPost(t *testing.T, action, body string, headers map[string]string) uiAPIAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.URL+"/api/plugins/"+addonID+"/actions/"+action, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := uiHTTP.Do(req)
	require.NoError(t, err, "POST %s", action)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	a := uiAPIAnswer{Status: resp.StatusCode, Body: string(raw)}
	require.Contains(t, resp.Header.Get("Content-Type"), "application/json", "POST %s: %s", action, raw)
	require.NoError(t, json.Unmarshal(raw, &a.Result), "POST %s answered: %s", action, raw)
	return a
}

// uiPostJSON marshals input and posts it.
func (h *uiHost) uiPostJSON(t *testing.T, action string, input any) uiAPIAnswer {
	t.Helper()
	b, err := json.Marshal(input)
	require.NoError(t, err)
	return h.uiPost(t, action, string(b), nil)
}

// uiGet fetches path from the panel and returns the status and body.
func (h *uiHost) uiGet(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := uiHTTP.Get(h.URL + path)
	require.NoError(t, err, "GET %s", path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(raw)
}

// uiState is GET /api/plugins/object-storage/state, decoded.
func (h *uiHost) uiState(t *testing.T) addon.StateDocument {
	t.Helper()
	status, body := h.uiGet(t, "/api/plugins/"+addonID+"/state")
	require.Equal(t, http.StatusOK, status, body)
	var st addon.StateDocument
	require.NoError(t, json.Unmarshal([]byte(body), &st), body)
	require.Empty(t, st.Problems, "the state has problems")
	return st
}

// uiSummary is what a failed action must not change: bucket names with
// their visibility, keys with their name and policy kind, the exposed
// domain. Usage is left out (the scanner changes it on its own).
func (h *uiHost) uiSummary(t *testing.T) []string {
	t.Helper()
	st := h.uiState(t)
	out := []string{"domain=" + st.Endpoint.Domain}
	for _, b := range st.Buckets {
		out = append(out, "bucket "+b.Name+" "+string(b.Visibility))
	}
	for _, k := range st.Keys {
		out = append(out, "key "+k.AccessKey+" "+k.Name+" "+string(k.PolicyKind)+" "+string(k.Status))
	}
	return out
}

var uiHTTP = &http.Client{Timeout: 60 * time.Second}

// uiAWS runs Debian's AWS CLI (the image's pip aws may come first on
// $PATH) against endpoint with a key, in a clean environment under home,
// and returns its combined output and error.
func uiAWS(t *testing.T, home, endpoint, accessKey, secret string, args ...string) (string, error) {
	t.Helper()
	exe := "/usr/bin/aws"
	if _, err := os.Stat(exe); err != nil {
		exe = testkit.Require(t, "aws")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, append([]string{"--endpoint-url", endpoint, "--region", "us-east-1"}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "aws-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "aws-credentials"),
		"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}
