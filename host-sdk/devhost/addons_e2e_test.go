package devhost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/addons"
	"github.com/quazzar/object-storage/host-sdk/devhost"
	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/internal/plugintest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/addon"
	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// adHost is a development host for the add-on lifecycle tests: plugins in
// a folder of its own (possibly empty), the add-on's settings given as
// initial settings (free ports, the scanner at its fastest), its log kept
// and printed when the test fails.
type adHost struct {
	*devhost.Server
	URL      string
	Plugins  string
	State    string
	Settings map[string]string
	logs     *baLog
}

func adStart(t testing.TB, plugins string, edit func(*devhost.Config)) *adHost {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state")
	set := devAddonSettings(t, state, map[string]string{settings.KeyScannerSpeed: "fastest", settings.KeyUsageInterval: "1s"})
	logs := &baLog{}
	cfg := devhost.DefaultConfig()
	cfg.Listen = testkit.FreeAddr(t)
	cfg.StateDir = state
	cfg.PluginsDir = plugins
	cfg.InitialSettings = map[string]map[string]string{addonID: set}
	cfg.UpgradeDeadline = 15 * time.Second
	cfg.CallWait = 30 * time.Second
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "host", Output: logs, JSONFormat: true, Level: hclog.Debug})
	cfg.Out = &testkit.Buffer{}
	if edit != nil {
		edit(&cfg)
	}
	s, err := devhost.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		require.NoError(t, s.Shutdown(ctx))
		if t.Failed() {
			t.Logf("host log:\n%s", logs.String())
		}
	})
	require.NoError(t, s.Start(context.Background()))
	<-s.Ready()
	return &adHost{Server: s, URL: s.PanelURL(), Plugins: plugins, State: state, Settings: set, logs: logs}
}

// post sends body to path and decodes the ActionResult.
func (h *adHost) post(t *testing.T, path string, body io.Reader) (int, shared.ActionResult) {
	t.Helper()
	resp, err := http.Post(h.URL+path, "application/octet-stream", body)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var res shared.ActionResult
	require.NoError(t, json.Unmarshal(raw, &res), "POST %s: %s", path, raw)
	return resp.StatusCode, res
}

// install posts a bundle to the install API.
func (h *adHost) install(t *testing.T, bundlePath, query string) (int, shared.ActionResult, time.Duration) {
	t.Helper()
	b, err := os.ReadFile(bundlePath)
	require.NoError(t, err)
	began := time.Now()
	status, res := h.post(t, "/api/addons/install"+query, bytes.NewReader(b))
	return status, res, time.Since(began)
}

func (h *adHost) addons(t *testing.T) map[string]addons.Info {
	t.Helper()
	resp, err := http.Get(h.URL + "/api/addons")
	require.NoError(t, err)
	defer resp.Body.Close()
	var list []addons.Info
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	out := map[string]addons.Info{}
	for _, a := range list {
		out[a.ID] = a
	}
	return out
}

// state is the add-on's state document, or false while it does not answer.
func (h *adHost) state(t testing.TB) (addon.StateDocument, bool) {
	resp, err := http.Get(h.URL + "/api/plugins/" + addonID + "/state")
	if err != nil {
		return addon.StateDocument{}, false
	}
	defer resp.Body.Close()
	var st addon.StateDocument
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
		return addon.StateDocument{}, false
	}
	return st, true
}

// waitMinIO waits until the add-on reports MinIO running and returns its
// status.
func (h *adHost) waitMinIO(t testing.TB) shared.Status {
	t.Helper()
	var st addon.StateDocument
	require.Eventually(t, func() bool {
		var ok bool
		st, ok = h.state(t)
		return ok && st.Status.State == shared.StateRunning
	}, 90*time.Second, 100*time.Millisecond, "MinIO did not run: %+v", st.Status)
	return st.Status
}

// action runs one of the add-on's page actions through the panel.
func (h *adHost) action(t *testing.T, name string, input any) shared.ActionResult {
	t.Helper()
	res, _ := h.tryAction(t, name, input)
	require.True(t, res.OK, "%s: %s", name, res.Message)
	return res
}

// tryAction runs an action through the panel and returns its result,
// failed or not, and the answer as sent.
func (h *adHost) tryAction(t testing.TB, name string, input any) (shared.ActionResult, []byte) {
	t.Helper()
	b, err := json.Marshal(input)
	require.NoError(t, err)
	resp, err := http.Post(h.URL+"/api/plugins/"+addonID+"/actions/"+name, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var res shared.ActionResult
	require.NoError(t, json.Unmarshal(raw, &res), "%s", raw)
	return res, raw
}

func (h *adHost) root(t testing.TB) *minio.Client {
	t.Helper()
	creds, err := envfile.Load(h.Settings[settings.KeyEnvFile])
	require.NoError(t, err)
	return h.client(t, creds.User, creds.Password)
}

func (h *adHost) client(t testing.TB, ak, sk string) *minio.Client {
	t.Helper()
	c, err := minio.New(h.Settings[settings.KeyS3Address], &minio.Options{Creds: credentials.NewStaticV4(ak, sk, ""), Region: "us-east-1"})
	require.NoError(t, err)
	return c
}

// load runs S3 GETs and PUTs with keep-alive on bucket until stopped,
// bounded in count and time, and counts requests, failures and the
// longest latency.
type load struct {
	requests, failures atomic.Int64
	longest            atomic.Int64 // nanoseconds
	lastErr            atomic.Value
	stop               chan struct{}
	wg                 sync.WaitGroup
}

func startLoad(t *testing.T, c *minio.Client, bucket string, workers int) *load {
	t.Helper()
	l := &load{stop: make(chan struct{})}
	payload := bytes.Repeat([]byte("x"), 64<<10)
	ctx := context.Background()
	_, err := c.PutObject(ctx, bucket, "load/seed", bytes.NewReader(payload), int64(len(payload)), minio.PutObjectOptions{})
	require.NoError(t, err)
	deadline := time.Now().Add(5 * time.Minute)
	for w := range workers {
		l.wg.Go(func() {
			for i := 0; i < 20000 && time.Now().Before(deadline); i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				began := time.Now()
				var err error
				if i%2 == 0 {
					_, err = c.PutObject(ctx, bucket, fmt.Sprintf("load/%d-%d", w, i%16), bytes.NewReader(payload), int64(len(payload)), minio.PutObjectOptions{})
				} else {
					var obj *minio.Object
					if obj, err = c.GetObject(ctx, bucket, "load/seed", minio.GetObjectOptions{}); err == nil {
						_, err = io.Copy(io.Discard, obj)
						obj.Close()
					}
				}
				took := time.Since(began)
				l.requests.Add(1)
				if err != nil {
					l.failures.Add(1)
					l.lastErr.Store(err.Error())
				}
				for {
					cur := l.longest.Load()
					if int64(took) <= cur || l.longest.CompareAndSwap(cur, int64(took)) {
						break
					}
				}
			}
		})
	}
	return l
}

func (l *load) finish() (requests, failures int64, longest time.Duration, lastErr any) {
	close(l.stop)
	l.wg.Wait()
	return l.requests.Load(), l.failures.Load(), time.Duration(l.longest.Load()), l.lastErr.Load()
}

func minioAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !bytes.Contains(b, []byte(") Z "))
}

// TestHotInstallUpgradeAndRollback: a host with no plugin gets the add-on
// hot-installed and used; then it is upgraded while S3 clients run GETs
// and PUTs and the state API is polled, and two broken versions (one that
// exits at start, one that never answers its health check) are rolled
// back: no S3 request fails, MinIO is never restarted.
func TestHotInstallUpgradeAndRollback(t *testing.T) {
	t.Parallel()
	h := adStart(t, filepath.Join(t.TempDir(), "plugins"), nil)
	require.Empty(t, h.addons(t))

	// Hot install: no host restart (the same server, the same listener).
	status, res, took := h.install(t, plugintest.Bundle(t, addonID, plugintest.Options{Version: "0.1.0"}), "")
	require.Equal(t, http.StatusOK, status, res.Message)
	t.Logf("hot install answered in %s", took)
	st := h.waitMinIO(t)
	minioPID := st.PID
	resp, err := http.Get(h.URL + "/storage/objects")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "the page appeared")
	h.action(t, "create_bucket", map[string]any{"name": "live", "visibility": "private"})
	key := h.action(t, "create_key", map[string]any{"name": "loader"})
	home := t.TempDir()
	file := filepath.Join(home, "hello.txt")
	require.NoError(t, os.WriteFile(file, []byte("hello"), 0o600))
	out, err := uiAWS(t, home, "http://"+h.Settings[settings.KeyS3Address], key.AccessKey, key.SecretKey, "s3", "cp", file, "s3://live/hello.txt")
	require.NoError(t, err, "%s", out)

	// Upgrade under load.
	l := startLoad(t, h.client(t, key.AccessKey, key.SecretKey), "live", 4)
	var polls, pollFailures atomic.Int64
	stopPoll := make(chan struct{})
	var pollWG sync.WaitGroup
	pollWG.Go(func() {
		for i := 0; i < 10000; i++ {
			select {
			case <-stopPoll:
				return
			case <-time.After(50 * time.Millisecond):
			}
			polls.Add(1)
			if _, ok := h.state(t); !ok {
				pollFailures.Add(1)
			}
		}
	})
	time.Sleep(time.Second)
	status, res, took = h.install(t, plugintest.Bundle(t, addonID, plugintest.Options{Version: "0.2.0"}), "")
	require.Equal(t, http.StatusOK, status, res.Message)
	upgradeTook := took
	require.Equal(t, "0.2.0", h.addons(t)[addonID].Version)
	require.Equal(t, launcher.StateRunning, h.addons(t)[addonID].State)
	require.Equal(t, minioPID, h.waitMinIO(t).PID, "MinIO was adopted, not restarted")

	// Broken versions are rolled back.
	var rollbacks []time.Duration
	for _, broken := range []struct{ version, marker string }{{"0.3.0", "exit_at_start"}, {"0.3.1", "hang_health"}} {
		status, res, took = h.install(t, plugintest.Bundle(t, addonID, plugintest.Options{
			Version: broken.version, Executable: "crasher", Files: map[string]string{broken.marker: "1"},
		}), "")
		require.Equal(t, http.StatusServiceUnavailable, status, "%s: %s", broken.marker, res.Message)
		require.Contains(t, res.Message, "0.2.0 was put back", broken.marker)
		rollbacks = append(rollbacks, took)
		a := h.addons(t)[addonID]
		require.Equal(t, "0.2.0", a.Version, broken.marker)
		require.Equal(t, minioPID, h.waitMinIO(t).PID, "%s: MinIO was never stopped", broken.marker)
		require.True(t, minioAlive(minioPID))
	}
	time.Sleep(time.Second)
	close(stopPoll)
	pollWG.Wait()
	requests, failures, longest, lastErr := l.finish()
	t.Logf("upgrade under load: %d S3 requests, %d failed, longest %s; state API polled %d times, %d unanswered; install call to new version answering: %s; rollbacks (exit at start, no health): %v",
		requests, failures, longest, polls.Load(), pollFailures.Load(), upgradeTook, rollbacks)
	require.Zero(t, failures, "S3 requests failed: %v", lastErr)
	require.Positive(t, requests)

	// Everything is still there.
	obj, err := h.root(t).GetObject(context.Background(), "live", "hello.txt", minio.GetObjectOptions{})
	require.NoError(t, err)
	b, err := io.ReadAll(obj)
	require.NoError(t, err)
	require.Equal(t, "hello", string(b))
}

// TestDisableEnableUninstallReinstall: while disabled or uninstalled no
// add-on or MinIO process is left; afterwards the same buckets, keys and
// objects are there.
func TestDisableEnableUninstallReinstall(t *testing.T) {
	t.Parallel()
	plugins := filepath.Join(t.TempDir(), "plugins")
	plugintest.Dir(t, plugins, addonID, plugintest.Options{})
	h := adStart(t, plugins, nil)
	minioPID := h.waitMinIO(t).PID
	h.action(t, "create_bucket", map[string]any{"name": "keep", "visibility": "private"})
	key := h.action(t, "create_key", map[string]any{"name": "keeper"})
	_, err := h.client(t, key.AccessKey, key.SecretKey).PutObject(context.Background(), "keep", "o.txt", strings.NewReader("kept"), 4, minio.PutObjectOptions{})
	require.NoError(t, err)
	check := func(why string) {
		h.waitMinIO(t)
		c := h.client(t, key.AccessKey, key.SecretKey)
		var obj *minio.Object
		require.EventuallyWithT(t, func(ct *assert.CollectT) {
			var err error
			obj, err = c.GetObject(context.Background(), "keep", "o.txt", minio.GetObjectOptions{})
			if !assert.NoError(ct, err) {
				return
			}
			_, err = obj.Stat()
			assert.NoError(ct, err)
		}, 30*time.Second, 200*time.Millisecond, why)
		b, err := io.ReadAll(obj)
		require.NoError(t, err)
		require.Equal(t, "kept", string(b), why)
	}
	gone := func(why string, pids ...int) {
		for _, pid := range pids {
			require.Eventually(t, func() bool { return !minioAlive(pid) }, 30*time.Second, 50*time.Millisecond, "%s: process %d is still there", why, pid)
		}
	}

	addonPID := h.addons(t)[addonID].PID
	status, res := h.post(t, "/api/addons/"+addonID+"/disable", nil)
	require.Equal(t, http.StatusOK, status, res.Message)
	gone("disabled", addonPID, minioPID)
	require.Equal(t, addons.StateDisabled, h.addons(t)[addonID].State)
	status, res = h.post(t, "/api/addons/"+addonID+"/enable", nil)
	require.Equal(t, http.StatusOK, status, res.Message)
	check("after enable")

	a := h.addons(t)[addonID]
	minioPID = h.waitMinIO(t).PID
	status, res = h.post(t, "/api/addons/"+addonID+"/uninstall?purge=wrong-id", nil)
	require.Equal(t, http.StatusBadRequest, status, "a purge needs the id typed again: %s", res.Message)
	// Uninstall and reinstall with the command line client, as scripts do.
	cli := func(args ...string) string {
		cmd := exec.Command(plugintest.Binary(t, "cloudos-dev"), args...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "cloudos-dev %v: %s", args, out)
		return string(out)
	}
	listen := strings.TrimPrefix(h.URL, "http://")
	require.Contains(t, cli("uninstall", "--listen", listen, addonID), "uninstalled")
	gone("uninstalled", a.PID, minioPID)
	require.Empty(t, h.addons(t))
	_, err = os.Stat(filepath.Join(plugins, addonID))
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = os.Stat(h.Settings[settings.KeyDataDir])
	require.NoError(t, err, "the data stays")

	require.Contains(t, cli("install", "--listen", listen, plugintest.Bundle(t, addonID, plugintest.Options{})), "is installed")
	check("after reinstall")

	// Uninstall with purge, the id typed again: the data, the root
	// credentials and the add-on's state are deleted, MinIO is gone.
	minioPID = h.waitMinIO(t).PID
	status, res = h.post(t, "/api/addons/"+addonID+"/uninstall?purge="+addonID, nil)
	require.Equal(t, http.StatusOK, status, res.Message)
	gone("purged", minioPID)
	for _, k := range []string{settings.KeyDataDir, settings.KeyEnvFile, settings.KeyStateDir} {
		_, err := os.Stat(h.Settings[k])
		require.ErrorIs(t, err, os.ErrNotExist, "%s deleted by the purge", k)
	}
	require.Empty(t, h.Addons.Settings(addonID), "the host forgot its settings")
}

// TestSettingsThroughTheHost: the Settings form's API applies a live
// setting without restarting MinIO, asks to confirm a restart for an
// address, then restarts MinIO on it; bad values are refused by field.
func TestSettingsThroughTheHost(t *testing.T) {
	t.Parallel()
	plugins := filepath.Join(t.TempDir(), "plugins")
	plugintest.Dir(t, plugins, addonID, plugintest.Options{})
	h := adStart(t, plugins, nil)
	pid := h.waitMinIO(t).PID
	send := func(values map[string]any) (int, shared.ActionResult) {
		b, err := json.Marshal(values)
		require.NoError(t, err)
		return h.post(t, "/api/addons/"+addonID+"/settings", bytes.NewReader(b))
	}
	values := map[string]any{}
	for k, v := range h.Settings {
		values[k] = v
	}

	values[settings.KeyUsageInterval] = "2s"
	status, res := send(values)
	require.Equal(t, http.StatusOK, status, res.Message)
	require.Contains(t, res.Message, "applied live")
	require.Equal(t, pid, h.waitMinIO(t).PID, "a live setting restarts nothing")

	for _, bad := range []struct{ key, value string }{
		{settings.KeyUsageInterval, "often"}, {settings.KeyS3Address, "nowhere"}, {settings.KeyScannerSpeed, "warp"}, {settings.KeyDataDir, "relative"},
	} {
		next := map[string]any{}
		for k, v := range values {
			next[k] = v
		}
		next[bad.key] = bad.value
		status, res := send(next)
		require.Equal(t, http.StatusBadRequest, status, "%s=%s: %s", bad.key, bad.value, res.Message)
		require.Contains(t, res.FieldErrors, bad.key, "%s=%s", bad.key, bad.value)
	}

	addr := testkit.FreeAddr(t)
	values[settings.KeyS3Address] = addr
	status, res = send(values)
	require.Equal(t, http.StatusConflict, status, res.Message)
	require.NotNil(t, res.Retry, "a restart is asked for, not done")
	require.Equal(t, "confirm_restart", res.Retry.Field)
	require.Contains(t, res.Message, "unavailable for about")
	require.Equal(t, pid, h.waitMinIO(t).PID)
	values["confirm_restart"] = true
	status, res = send(values)
	require.Equal(t, http.StatusOK, status, res.Message)
	st := h.waitMinIO(t)
	require.NotEqual(t, pid, st.PID, "MinIO restarted")
	require.Equal(t, addr, st.S3Address)
	got := h.Addons.Settings(addonID)
	require.Equal(t, addr, got[settings.KeyS3Address], "the host stored the new value")
	h.Settings[settings.KeyS3Address] = addr
	_, err := h.root(t).ListBuckets(context.Background())
	require.NoError(t, err, "MinIO answers on the new address")
}

// helloLines is hello-storage's Health detail, by line.
func helloLines(t *testing.T, h *adHost) []string {
	p, ok := h.Addons.Plugin("hello-storage")
	if !ok {
		return nil
	}
	c, err := p.Client()
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hr, err := c.Health(ctx, shared.HealthRequest{})
	if err != nil || hr.Detail == "" {
		return nil
	}
	return strings.Split(hr.Detail, "\n")
}

func hasLine(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestHelloStorageWaitsForItsProvider: hello-storage requires storage. In
// either folder order, and hot-installed before the add-on, it ends
// configured with its bucket and key; it waits until the add-on runs; it
// is told when the add-on is upgraded, and a call it makes meanwhile
// waits in the host and succeeds; uninstalling the add-on sends it back to
// waiting, reinstalling configures it again.
func TestHelloStorageWaitsForItsProvider(t *testing.T) {
	t.Parallel()
	for _, order := range [][2]string{{"a-hello", "b-storage"}, {"b-hello", "a-storage"}} {
		plugins := filepath.Join(t.TempDir(), "plugins")
		hello := plugintest.Dir(t, plugins, "hello-storage", plugintest.Options{})
		store := plugintest.Dir(t, plugins, addonID, plugintest.Options{})
		require.NoError(t, os.Rename(hello, filepath.Join(plugins, order[0])))
		require.NoError(t, os.Rename(store, filepath.Join(plugins, order[1])))
		h := adStart(t, plugins, nil)
		h.waitMinIO(t)
		running := time.Now()
		require.Eventually(t, func() bool { return hasLine(helloLines(t, h), "configured: bucket hello, key quazzar-") },
			60*time.Second, 50*time.Millisecond, "order %v: hello-storage not configured", order)
		t.Logf("order %v: hello-storage configured %s after the add-on's MinIO was seen running", order, time.Since(running))
		for _, e := range h.logs.Entries() {
			require.NotEqual(t, "error", e["@level"], "order %v: error logged: %v", order, e)
		}
	}

	// Hot-installed before its provider.
	h := adStart(t, filepath.Join(t.TempDir(), "plugins"), nil)
	status, res, _ := h.install(t, plugintest.Bundle(t, "hello-storage", plugintest.Options{}), "")
	require.Equal(t, http.StatusOK, status, res.Message)
	a := h.addons(t)["hello-storage"]
	require.Equal(t, addons.StateWaiting, a.State)
	require.Equal(t, "no installed plugin provides storage", a.Reason)
	status, res, _ = h.install(t, plugintest.Bundle(t, addonID, plugintest.Options{Version: "0.1.0"}), "")
	require.Equal(t, http.StatusOK, status, res.Message)
	require.Eventually(t, func() bool {
		a := h.addons(t)["hello-storage"]
		return a.State == addons.StateWaiting && strings.HasPrefix(a.Reason, "waiting for object-storage")
	}, 30*time.Second, 20*time.Millisecond, "hello-storage waits while MinIO starts")
	require.Eventually(t, func() bool { return hasLine(helloLines(t, h), "configured: ") }, 90*time.Second, 50*time.Millisecond)
	minioPID := h.waitMinIO(t).PID

	// The add-on upgraded: hello-storage is told, and its call waits.
	status, res, _ = h.install(t, plugintest.Bundle(t, addonID, plugintest.Options{Version: "0.2.0"}), "")
	require.Equal(t, http.StatusOK, status, res.Message)
	require.Eventually(t, func() bool {
		lines := helloLines(t, h)
		return hasLine(lines, "provider object-storage restarting") && hasLine(lines, "call while object-storage restarted: <nil>") &&
			hasLine(lines, "provider object-storage ready")
	}, 60*time.Second, 50*time.Millisecond, "hello-storage's lines: %q", helloLines(t, h))
	require.Equal(t, minioPID, h.waitMinIO(t).PID)
	st, ok := h.state(t)
	require.True(t, ok)
	var helloKey *shared.Key
	for i, k := range st.Keys {
		if k.Name == "hello-hello" {
			helloKey = &st.Keys[i]
		}
	}
	require.NotNil(t, helloKey, "hello-storage's key is still there")
	require.Equal(t, shared.KeyOn, helloKey.Status)

	// Uninstalled: back to waiting; reinstalled: configured again.
	status, res = h.post(t, "/api/addons/"+addonID+"/uninstall", nil)
	require.Equal(t, http.StatusOK, status, res.Message)
	require.Eventually(t, func() bool {
		a := h.addons(t)["hello-storage"]
		return a.State == addons.StateWaiting && a.Reason == "no installed plugin provides storage"
	}, 30*time.Second, 50*time.Millisecond)
	status, res, _ = h.install(t, plugintest.Bundle(t, addonID, plugintest.Options{Version: "0.2.0"}), "")
	require.Equal(t, http.StatusOK, status, res.Message)
	require.Eventually(t, func() bool {
		a := h.addons(t)["hello-storage"]
		return a.State == launcher.StateRunning
	}, 90*time.Second, 50*time.Millisecond, "hello-storage configured again")
}
