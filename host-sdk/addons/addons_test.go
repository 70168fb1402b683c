package addons_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/addons"
	"github.com/quazzar/object-storage/host-sdk/bundle"
	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/internal/plugintest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/settings/settingstest"
	"github.com/quazzar/object-storage/shared"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

func fastPolicy() launcher.Policy {
	return launcher.Policy{
		StartTimeout: 30 * time.Second, ConfigureTimeout: 30 * time.Second,
		HealthInterval: 200 * time.Millisecond, HealthTimeout: 3 * time.Second, HealthMisses: 2,
		MaxFailures: 3, FailureWindow: 10 * time.Minute,
		BackoffMin: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond, ShutdownTimeout: 10 * time.Second,
	}
}

// start runs a manager over plugins (a folder) with a state folder of its
// own; it is shut down (with the services) when the test ends.
func start(t *testing.T, plugins string, edit func(*addons.Options)) *addons.Manager {
	t.Helper()
	logs := &testkit.Buffer{}
	opts := addons.Options{
		PluginsDir: plugins, StateDir: t.TempDir(), Policy: fastPolicy(),
		Logger:          hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug}),
		UpgradeDeadline: 10 * time.Second, CallWait: 5 * time.Second, Poll: 50 * time.Millisecond,
		InitialSettings: map[string]map[string]string{
			"object-storage": settingstest.Map(t, filepath.Join(t.TempDir(), "no-such-minio"), nil),
		},
	}
	if edit != nil {
		edit(&opts)
	}
	m, err := addons.New(opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, m.Shutdown(context.Background(), true))
		if t.Failed() {
			t.Logf("manager log:\n%s", logs.String())
		}
	})
	_ = m.Start(context.Background())
	return m
}

func install(t *testing.T, m *addons.Manager, path string, force bool) (addons.Info, error) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	return m.Install(context.Background(), f, force)
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func waitGone(t *testing.T, pid int) {
	t.Helper()
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
		return err != nil || bytes.Contains(b, []byte(") Z "))
	}, 10*time.Second, 20*time.Millisecond, "process %d still there", pid)
}

// TestStartLoadsAFolder: every plugin folder is read in order; a folder
// without plugin.json is skipped; a broken manifest is named, not fatal.
func TestStartLoadsAFolder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	plugintest.Dir(t, root, "object-storage", plugintest.Options{})
	plugintest.Dir(t, root, "crasher", plugintest.Options{})
	require.NoError(t, os.MkdirAll(filepath.Join(root, "empty"), 0o755))
	broken := filepath.Join(root, "broken")
	require.NoError(t, os.MkdirAll(broken, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(broken, manifest.FileName), []byte(`{"id":"broken"}`), 0o644))
	m, err := addons.New(addons.Options{PluginsDir: root, StateDir: t.TempDir(), Policy: fastPolicy(),
		InitialSettings: map[string]map[string]string{"object-storage": settingstest.Map(t, filepath.Join(t.TempDir(), "no-minio"), nil)}})
	require.NoError(t, err)
	err = m.Start(context.Background())
	require.ErrorContains(t, err, `field "name"`)
	require.ErrorContains(t, err, "broken")
	list := m.List()
	require.Len(t, list, 2)
	require.Equal(t, "crasher", list[0].ID)
	require.Equal(t, "object-storage", list[1].ID)
	require.Contains(t, []launcher.State{launcher.StateRunning, launcher.StateDegraded}, list[1].State)
	pids := []int{list[0].PID, list[1].PID}
	require.NoError(t, m.Shutdown(context.Background(), true))
	for _, pid := range pids {
		waitGone(t, pid)
	}
}

// member is one entry of a hand-made bundle.
type member struct {
	name, link string
	typ        byte
	mode       int64
	body       []byte
}

func tarGz(t *testing.T, members []member) string {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	for _, mb := range members {
		typ := mb.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		mode := mb.mode
		if mode == 0 {
			mode = 0o644
		}
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: mb.name, Linkname: mb.link, Typeflag: typ, Mode: mode, Size: int64(len(mb.body))}))
		_, err := tw.Write(mb.body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	path := filepath.Join(t.TempDir(), "bundle.tar.gz")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

// crasherMembers returns a bundle's members for the crasher at version
// 2.0.0, its manifest edited: read once, edited per call.
func crasherMembers(t *testing.T) func(edit func(m map[string]any)) []member {
	t.Helper()
	dir := plugintest.Dir(t, t.TempDir(), "crasher", plugintest.Options{Version: "2.0.0"})
	raw, err := os.ReadFile(filepath.Join(dir, manifest.FileName))
	require.NoError(t, err)
	exe, err := os.ReadFile(filepath.Join(dir, "crasher"))
	require.NoError(t, err)
	sum := sha256.Sum256(exe)
	return func(edit func(m map[string]any)) []member {
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		m["sha256"] = hex.EncodeToString(sum[:])
		if edit != nil {
			edit(m)
		}
		man, err := json.Marshal(m)
		require.NoError(t, err)
		return []member{{name: "plugin.json", body: man}, {name: "crasher", mode: 0o755, body: exe}}
	}
}

// TestInstallAndRefusals: a hot install into a host with no plugin, then
// bundles that must be refused, each with its reason; the running version
// keeps running, untouched, and nothing is left behind.
func TestInstallAndRefusals(t *testing.T) {
	t.Parallel()
	plugins := filepath.Join(t.TempDir(), "plugins")
	m := start(t, plugins, func(o *addons.Options) {
		o.Limits = bundle.Limits{MaxUncompressedBytes: 40 << 20}
	})
	require.Empty(t, m.List())
	info, err := install(t, m, plugintest.Bundle(t, "crasher", plugintest.Options{}), false)
	require.NoError(t, err)
	require.Equal(t, launcher.StateRunning, info.State)
	pid := info.PID
	require.True(t, alive(pid))

	big := make([]byte, 41<<20)
	crasherBundle := crasherMembers(t)
	cases := []struct {
		name    string
		members []member
		want    string
	}{
		{"bad checksum", func() []member {
			ms := crasherBundle(nil)
			ms[1].body = append(bytes.Clone(ms[1].body), 0)
			return ms
		}(), "plugin.json says"},
		{"bad manifest", crasherBundle(func(m map[string]any) { m["version"] = "2.x" }), `"2.x" is not a semantic version`},
		{"wrong protocol", crasherBundle(func(m map[string]any) { m["protocol_version"] = 99 }), "speaks protocol 99"},
		{"path escape", append(crasherBundle(nil), member{name: "../evil", body: []byte("x")}), `".." in its path`},
		{"symlink", append(crasherBundle(nil), member{name: "evil", typ: tar.TypeSymlink, link: "/etc/passwd"}), "symbolic link"},
		{"oversized", append(crasherBundle(nil), member{name: "padding", body: big}), "more than 40 MiB"},
		{"unknown capability", crasherBundle(func(m map[string]any) { m["requires"] = []string{"teleport"} }), `"teleport" names no capability`},
	}
	for _, c := range cases {
		_, err := install(t, m, tarGz(t, c.members), false)
		require.Error(t, err, c.name)
		require.ErrorIs(t, err, shared.ErrInvalidArgument, c.name)
		require.Contains(t, err.Error(), c.want, c.name)
	}
	// Same version, and a downgrade: refused without force.
	_, err = install(t, m, plugintest.Bundle(t, "crasher", plugintest.Options{}), false)
	require.ErrorIs(t, err, shared.ErrConflict)
	require.Contains(t, err.Error(), "same version")
	_, err = install(t, m, plugintest.Bundle(t, "crasher", plugintest.Options{Version: "0.9.0"}), false)
	require.ErrorIs(t, err, shared.ErrConflict)
	require.Contains(t, err.Error(), "older than")

	now, ok := m.Info("crasher")
	require.True(t, ok)
	require.Equal(t, pid, now.PID, "the running version was not touched")
	require.Equal(t, "1.0.0", now.Version)
	entries, err := os.ReadDir(plugins)
	require.NoError(t, err)
	require.Len(t, entries, 1, "nothing left in the plugins folder")
	staged, _ := os.ReadDir(plugins + ".staging")
	require.Empty(t, staged, "nothing left in the staging folder")

	// With force, the same version reinstalls.
	info, err = install(t, m, plugintest.Bundle(t, "crasher", plugintest.Options{}), true)
	require.NoError(t, err)
	require.NotEqual(t, pid, info.PID)
}

// TestDependencyCycleRefused: a plugin whose requirements would close a
// cycle is refused at install, naming both.
func TestDependencyCycleRefused(t *testing.T) {
	t.Parallel()
	m := start(t, filepath.Join(t.TempDir(), "plugins"), nil)
	a := plugintest.Bundle(t, "crasher", plugintest.Options{Edit: func(man *manifest.Manifest) {
		man.ID, man.Provides, man.Requires = "alpha", []string{"storage"}, []string{"page"}
	}})
	b := plugintest.Bundle(t, "crasher", plugintest.Options{Edit: func(man *manifest.Manifest) {
		man.ID, man.Provides, man.Requires = "beta", []string{"page"}, []string{"storage"}
		man.Page = &manifest.Page{Route: "/beta", Title: "Beta", Menu: "Test"}
	}})
	info, err := install(t, m, a, false)
	require.NoError(t, err)
	require.Equal(t, addons.StateWaiting, info.State)
	require.Equal(t, "no installed plugin provides page", info.Reason)
	_, err = install(t, m, b, false)
	require.ErrorIs(t, err, shared.ErrInvalidArgument)
	require.Contains(t, err.Error(), "dependency cycle")
	require.Contains(t, err.Error(), "alpha")
	require.Contains(t, err.Error(), "beta")
	require.Len(t, m.List(), 1)
}

// TestDisableEnableUninstall: disable stops the process and is kept across
// a host restart; enable starts it again; uninstall removes its folder.
func TestDisableEnableUninstall(t *testing.T) {
	t.Parallel()
	plugins := filepath.Join(t.TempDir(), "plugins")
	state := t.TempDir()
	m := start(t, plugins, func(o *addons.Options) { o.StateDir = state })
	info, err := install(t, m, plugintest.Bundle(t, "crasher", plugintest.Options{}), false)
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, m.Disable(ctx, "crasher"))
	waitGone(t, info.PID)
	now, _ := m.Info("crasher")
	require.Equal(t, addons.StateDisabled, now.State)
	require.Zero(t, now.PID)

	// A host restart keeps it disabled.
	require.NoError(t, m.Shutdown(ctx, true))
	m2 := start(t, plugins, func(o *addons.Options) { o.StateDir = state })
	now, _ = m2.Info("crasher")
	require.Equal(t, addons.StateDisabled, now.State)
	require.NoError(t, m2.Enable(ctx, "crasher"))
	now, _ = m2.Info("crasher")
	require.Equal(t, launcher.StateRunning, now.State)
	require.NotZero(t, now.PID)

	require.ErrorIs(t, m2.Uninstall(ctx, "nope", false), shared.ErrNotFound)
	require.NoError(t, m2.Uninstall(ctx, "crasher", false))
	waitGone(t, now.PID)
	_, ok := m2.Info("crasher")
	require.False(t, ok)
	_, err = os.Stat(filepath.Join(plugins, "crasher"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestSettingsChecks: values are checked against the manifest's types
// before the plugin sees them, naming the field.
func TestSettingsChecks(t *testing.T) {
	man, err := manifest.Read(plugintest.Dir(t, t.TempDir(), "object-storage", plugintest.Options{}))
	require.NoError(t, err)
	cases := []struct{ key, value string }{
		{"usage_interval", "soon"},
		{"usage_interval", "-5s"},
		{"s3_address", "nowhere"},
		{"s3_address", "127.0.0.1:99999"},
		{"data_dir", "relative/path"},
		{"scanner_speed", "ludicrous"},
		{"no_such_setting", "x"},
	}
	for _, c := range cases {
		err := addons.CheckSettings(man, map[string]string{c.key: c.value})
		require.ErrorIs(t, err, shared.ErrInvalidArgument, "%s=%s", c.key, c.value)
		require.Equal(t, c.key, shared.AsError(err).Field, "%s=%s", c.key, c.value)
	}
	require.NoError(t, addons.CheckSettings(man, map[string]string{"usage_interval": "5s", "scanner_speed": "fastest", "s3_address": "127.0.0.1:9100"}))
}

// TestSettingsSurviveRestartAndUpgrade: values taken through Configure are
// stored by the host, given to the plugin after a host restart, and kept
// across an upgrade (the crasher echoes its label in its Health).
func TestSettingsSurviveRestartAndUpgrade(t *testing.T) {
	t.Parallel()
	plugins := filepath.Join(t.TempDir(), "plugins")
	state := t.TempDir()
	ctx := context.Background()
	label := func(m *addons.Manager) string {
		p, ok := m.Plugin("crasher")
		require.True(t, ok)
		c, err := p.Client()
		require.NoError(t, err)
		h, err := c.Health(ctx, shared.HealthRequest{})
		require.NoError(t, err)
		return h.Detail
	}
	m := start(t, plugins, func(o *addons.Options) { o.StateDir = state })
	_, err := install(t, m, plugintest.Bundle(t, "crasher", plugintest.Options{}), false)
	require.NoError(t, err)
	_, err = m.Configure(ctx, "crasher", map[string]string{"label": "kept"}, false)
	require.NoError(t, err)
	require.Equal(t, "label=kept", label(m))
	_, err = m.Configure(ctx, "crasher", map[string]string{"exit_after": "soon"}, false)
	require.ErrorIs(t, err, shared.ErrInvalidArgument, "the plugin's own refusal comes back")
	require.Equal(t, "kept", m.Settings("crasher")["label"], "a refused change stores nothing")

	require.NoError(t, m.Shutdown(ctx, true))
	m2 := start(t, plugins, func(o *addons.Options) { o.StateDir = state })
	require.Equal(t, "label=kept", label(m2), "after a host restart")
	_, err = install(t, m2, plugintest.Bundle(t, "crasher", plugintest.Options{Version: "1.1.0"}), false)
	require.NoError(t, err)
	require.Equal(t, "label=kept", label(m2), "after an upgrade")
}

// cancelAtEnd cancels its context once the whole bundle (size bytes) has
// been read, as a browser tab closed right after its upload would.
type cancelAtEnd struct {
	r      io.Reader
	left   *int64
	cancel context.CancelFunc
}

func (c cancelAtEnd) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if *c.left -= int64(n); *c.left <= 0 {
		c.cancel()
	}
	return n, err
}

// TestInstallOutlivesItsCaller: once the bundle is received, an install
// runs to its end even if the caller goes away (the request's context is
// cancelled): the plugin runs and is installed, not half started.
func TestInstallOutlivesItsCaller(t *testing.T) {
	t.Parallel()
	m := start(t, filepath.Join(t.TempDir(), "plugins"), nil)
	f, err := os.Open(plugintest.Bundle(t, "crasher", plugintest.Options{}))
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	left := st.Size()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	info, err := m.Install(ctx, cancelAtEnd{r: f, left: &left, cancel: cancel}, false)
	require.Error(t, ctx.Err(), "the caller went away during the install")
	require.NoError(t, err)
	require.Equal(t, launcher.StateRunning, info.State)
	require.True(t, alive(info.PID))
	now, ok := m.Info("crasher")
	require.True(t, ok)
	require.Equal(t, launcher.StateRunning, now.State)
}
