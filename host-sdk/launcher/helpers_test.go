package launcher_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/internal/plugintest"
	"github.com/quazzar/object-storage/plugin/settings/settingstest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

// binary returns a program built by plugintest.
func binary(t testing.TB, name string) string { return plugintest.Binary(t, name) }

// pluginDir installs plugin name into root/<name> with a stamped manifest.
func pluginDir(t testing.TB, root, name string) string {
	return plugintest.Dir(t, root, name, plugintest.Options{})
}

// addonSettings point the add-on at temporary folders, free ports and a
// MinIO binary that does not exist, so that no MinIO is started.
func addonSettings(t testing.TB) map[string]string {
	t.Helper()
	return settingstest.Map(t, filepath.Join(t.TempDir(), "no-such-minio"), nil)
}

// fastPolicy restarts quickly so that tests of the restart policy are short.
func fastPolicy() launcher.Policy {
	return launcher.Policy{
		StartTimeout:     30 * time.Second,
		ConfigureTimeout: 30 * time.Second,
		HealthInterval:   200 * time.Millisecond,
		HealthTimeout:    3 * time.Second,
		HealthMisses:     2,
		MaxFailures:      3,
		FailureWindow:    10 * time.Minute,
		BackoffMin:       50 * time.Millisecond,
		BackoffMax:       200 * time.Millisecond,
		ShutdownTimeout:  10 * time.Second,
	}
}

// testLogger writes the launcher's logs to the test log.
func testLogger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: "host", Output: testWriter{t}, Level: hclog.Debug})
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// start starts a plugin and stops it when the test ends.
func start(t testing.TB, dir string, opts launcher.Options) *launcher.Plugin {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	p, err := launcher.New(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Stop(context.Background(), true) })
	require.NoError(t, p.Start(context.Background()))
	return p
}

// waitFor waits for cond on the plugin's Info, and returns every Info seen
// on the way, the last one satisfying cond.
func waitFor(t testing.TB, p *launcher.Plugin, within time.Duration, what string, cond func(launcher.Info) bool) []launcher.Info {
	t.Helper()
	deadline := time.After(within)
	var seen []launcher.Info
	for {
		changed := p.Changed()
		info := p.Info()
		seen = append(seen, info)
		if cond(info) {
			return seen
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("plugin %s: %s did not happen within %s; states seen: %+v", p.ID(), what, within, seen)
		}
	}
}

// alive reports whether pid is a live process (a zombie is not).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return false
	}
	state := s[i+2]
	return state != 'Z' && state != 'X'
}

// parentOf returns the parent pid of pid, or 0.
func parentOf(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	var state string
	var ppid int
	if _, err := fmt.Sscanf(s[i+2:], "%s %d", &state, &ppid); err != nil {
		return 0
	}
	return ppid
}

// waitGone waits until pid is no live process.
func waitGone(t testing.TB, pid int, within time.Duration, why string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still alive after %s: %s", pid, within, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
