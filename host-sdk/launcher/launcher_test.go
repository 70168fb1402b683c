package launcher_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/internal/plugintest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/shared"
)

func TestLaunchRealAddon(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, t.TempDir(), "object-storage")
	settings := addonSettings(t)
	p := start(t, dir, launcher.Options{Policy: fastPolicy(), Settings: settings})

	info := p.Info()
	require.Equal(t, launcher.StateRunning, info.State)
	require.Equal(t, "object-storage", info.ID)
	require.NotZero(t, info.PID)
	require.True(t, alive(info.PID))
	require.Equal(t, os.Getpid(), parentOf(info.PID), "the plugin is a child of the host")

	client, err := p.Client()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := client.Status(ctx, shared.StatusRequest{})
	require.NoError(t, err)
	require.Equal(t, settings["s3_address"], st.S3Address, "the add-on got the host's settings")
	require.Equal(t, settings["console_address"], st.ConsoleAddress)
	h, err := client.Health(ctx, shared.HealthRequest{})
	require.NoError(t, err)
	require.False(t, h.OK, "MinIO is not installed: the add-on says it is not well")
	require.Contains(t, h.Detail, "not installed")
	require.Eventually(t, func() bool {
		i := p.Info()
		return i.State == launcher.StateDegraded && strings.Contains(i.Reason, "not installed")
	}, 10*time.Second, 50*time.Millisecond, "the host shows the plugin degraded, with its detail")
	_, err = p.Client()
	require.NoError(t, err, "a degraded plugin still takes calls")

	require.NoError(t, p.Stop(ctx, true))
	require.Equal(t, launcher.StateStopped, p.Info().State)
	require.Zero(t, p.Info().PID)
	waitGone(t, info.PID, 5*time.Second, "a stopped plugin is killed")
	_, err = p.Client()
	require.ErrorIs(t, err, shared.ErrUnavailable)
}

func TestTamperedBinaryIsNeverStarted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		tamper func(t *testing.T, exe, marker string)
	}{
		{"one byte appended", func(t *testing.T, exe, marker string) {
			f, err := os.OpenFile(exe, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.Write([]byte{0})
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}},
		{"replaced by a script", func(t *testing.T, exe, marker string) {
			require.NoError(t, os.WriteFile(exe, []byte("#!/bin/sh\ntouch '"+marker+"'\nsleep 60\n"), 0o755))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := pluginDir(t, t.TempDir(), "crasher")
			marker := filepath.Join(t.TempDir(), "started")
			tc.tamper(t, filepath.Join(dir, "crasher"), marker)

			p, err := launcher.New(dir, launcher.Options{Logger: testLogger(t), Policy: fastPolicy()})
			require.NoError(t, err)
			err = p.Start(context.Background())
			require.ErrorIs(t, err, manifest.ErrChecksumMismatch)
			require.ErrorContains(t, err, "refused to start plugin crasher")
			info := p.Info()
			require.Equal(t, launcher.StateFailed, info.State)
			require.Contains(t, info.Reason, "does not match")
			require.Zero(t, info.PID)
			require.NoFileExists(t, marker, "the tampered executable was run")
			require.NoError(t, p.Stop(context.Background(), true))
		})
	}
}

func TestNotOurPluginIsRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(t *testing.T, root string) string
		want  string
	}{
		{"wrong magic cookie", func(t *testing.T, root string) string {
			return pluginDir(t, root, "wrongcookie")
		}, "plugin exited before we could connect|Failed to read any lines from plugin's stdout"},
		{"not a plugin at all", func(t *testing.T, root string) string {
			return scriptPlugin(t, root, "#!/bin/sh\necho hello from a shell script\n")
		}, "Unrecognized remote plugin message: hello from a shell script"},
		{"never finishes its handshake", func(t *testing.T, root string) string {
			return scriptPlugin(t, root, "#!/bin/sh\nexec sleep 60\n")
		}, "timeout while waiting for plugin to start"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := tc.setup(t, t.TempDir())
			policy := fastPolicy()
			policy.StartTimeout = 2 * time.Second
			p, err := launcher.New(dir, launcher.Options{Logger: testLogger(t), Policy: policy})
			require.NoError(t, err)
			err = p.Start(context.Background())
			require.Error(t, err)
			require.Regexp(t, tc.want, err.Error())
			require.ErrorContains(t, err, "must be a Cloud OS plugin")
			require.Equal(t, launcher.StateFailed, p.Info().State)
			require.NoError(t, p.Stop(context.Background(), true))
		})
	}
}

// scriptPlugin installs a shell script as a plugin with a valid manifest.
func scriptPlugin(t *testing.T, root, script string) string {
	t.Helper()
	dir := filepath.Join(root, "crasher")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	exe := filepath.Join(dir, "crasher")
	require.NoError(t, os.WriteFile(exe, []byte(script), 0o755))
	require.NoError(t, manifest.StampFile(filepath.Join(testkit.ModuleRoot(), plugintest.Programs["crasher"].Template), exe, filepath.Join(dir, manifest.FileName)))
	return dir
}

func TestBadManifestIsRefused(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, t.TempDir(), "crasher")
	path := filepath.Join(dir, manifest.FileName)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	data = regexp.MustCompile(`"version": "[^"]*"`).ReplaceAll(data, []byte(`"version": "1.x"`))
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err = launcher.New(dir, launcher.Options{})
	require.ErrorContains(t, err, `plugin.json: field "version": "1.x" is not a semantic version like 1.2.3`)

	dir = pluginDir(t, t.TempDir(), "crasher")
	_, err = launcher.New(dir, launcher.Options{Settings: map[string]string{"exit_aftr": "1s"}})
	require.ErrorIs(t, err, shared.ErrInvalidArgument)
	require.ErrorContains(t, err, `no setting "exit_aftr"`)
}

func TestKilledAddonIsRestarted(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, t.TempDir(), "object-storage")
	settings := addonSettings(t)
	p := start(t, dir, launcher.Options{Policy: fastPolicy(), Settings: settings})

	old := p.Info().PID
	require.NoError(t, syscall.Kill(old, syscall.SIGKILL))
	seen := waitFor(t, p, 20*time.Second, "a restart", func(i launcher.Info) bool {
		return i.State == launcher.StateRunning && i.PID != old
	})
	info := seen[len(seen)-1]
	require.Equal(t, 1, info.Restarts)
	require.True(t, alive(info.PID))
	waitGone(t, old, 5*time.Second, "the killed process is reaped")
	for _, i := range seen {
		if i.State == launcher.StateRestarting {
			require.Contains(t, i.Reason, "signal: killed")
		}
	}

	client, err := p.Client()
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := client.Status(ctx, shared.StatusRequest{})
	require.NoError(t, err)
	require.Equal(t, settings["s3_address"], st.S3Address, "the restarted add-on was configured again")
}

func TestRestartKeepsLastAcceptedSettings(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, t.TempDir(), "crasher")
	p := start(t, dir, launcher.Options{Policy: fastPolicy(), Settings: map[string]string{"label": "first"}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	label := func() string {
		t.Helper()
		c, err := p.Client()
		require.NoError(t, err)
		h, err := c.Health(ctx, shared.HealthRequest{})
		require.NoError(t, err)
		return h.Detail
	}
	require.Equal(t, "label=first", label())

	_, err := p.Configure(ctx, shared.ConfigureRequest{Settings: map[string]string{"label": "second"}})
	require.NoError(t, err)
	require.Equal(t, "label=second", label())

	// Refused by the plugin: not kept.
	_, err = p.Configure(ctx, shared.ConfigureRequest{Settings: map[string]string{"label": "third", "exit_after": "soon"}})
	var se *shared.Error
	require.True(t, errors.As(err, &se), "got %v", err)
	require.Equal(t, "exit_after", se.Field)
	// Refused by the host: not declared in plugin.json.
	_, err = p.Configure(ctx, shared.ConfigureRequest{Settings: map[string]string{"lable": "third"}})
	require.ErrorIs(t, err, shared.ErrInvalidArgument)
	require.ErrorContains(t, err, `no setting "lable"`)

	old := p.Info().PID
	require.NoError(t, syscall.Kill(old, syscall.SIGKILL))
	waitFor(t, p, 20*time.Second, "a restart", func(i launcher.Info) bool {
		return i.State == launcher.StateRunning && i.PID != old
	})
	require.Equal(t, "label=second", label(), "the restarted plugin has the last accepted settings")
}

func TestPluginThatKeepsDyingEndsFailed(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, t.TempDir(), "crasher")
	p := start(t, dir, launcher.Options{Policy: fastPolicy(), Settings: map[string]string{"exit_after": "100ms", "exit_code": "7"}})
	seen := waitFor(t, p, 30*time.Second, "giving up", func(i launcher.Info) bool { return i.State == launcher.StateFailed })
	info := seen[len(seen)-1]
	require.Contains(t, info.Reason, "exited unexpectedly (exit status 7)")
	require.Contains(t, info.Reason, "failed 3 times within 10m0s")
	require.Equal(t, 2, info.Restarts)
	require.Zero(t, info.PID)
	_, err := p.Client()
	require.ErrorIs(t, err, shared.ErrUnavailable)
	require.ErrorContains(t, err, "plugin crasher is failed")

	// Once failed, it stays failed: no further restart.
	time.Sleep(500 * time.Millisecond)
	require.Equal(t, launcher.StateFailed, p.Info().State)
	require.Equal(t, 2, p.Info().Restarts)
}

func TestPluginThatStopsAnsweringIsRestarted(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t, t.TempDir(), "crasher")
	policy := fastPolicy()
	policy.HealthTimeout = 300 * time.Millisecond
	p := start(t, dir, launcher.Options{Policy: policy, Settings: map[string]string{"hang_health": "true"}})
	first := p.Info().PID
	seen := waitFor(t, p, 60*time.Second, "giving up", func(i launcher.Info) bool { return i.State == launcher.StateFailed })
	require.Contains(t, seen[len(seen)-1].Reason, "stopped answering health pings (2 missed in a row)")
	restarted := false
	for _, i := range seen {
		restarted = restarted || (i.State == launcher.StateRunning && i.PID != first)
	}
	require.True(t, restarted, "the hung plugin was restarted before the host gave up: %+v", seen)
	waitGone(t, first, 5*time.Second, "a hung plugin is killed")
}

func TestHostKilledLeavesNoPlugin(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		host func(t *testing.T) *exec.Cmd
	}{
		{"cloudos-dev with the add-on", func(t *testing.T) *exec.Cmd {
			root := t.TempDir()
			pluginDir(t, root, "object-storage")
			s := addonSettings(t)
			return exec.Command(binary(t, "cloudos-dev"), "--plugins", root, "--state-dir", t.TempDir(),
				"--minio-binary", s["minio_binary"], "--s3-address", s["s3_address"], "--console-address", s["console_address"],
				"--listen", testkit.FreeAddr(t))
		}},
		{"plugin watchdog alone", func(t *testing.T) *exec.Cmd {
			root := t.TempDir()
			pluginDir(t, root, "crasher")
			return exec.Command(binary(t, "testhost"), "-plugins", root, "-state", t.TempDir(), "-pdeathsig=false")
		}},
		{"parent-death signal alone", func(t *testing.T) *exec.Cmd {
			root := t.TempDir()
			pluginDir(t, root, "crasher")
			cmd := exec.Command(binary(t, "testhost"), "-plugins", root, "-state", t.TempDir())
			cmd.Env = append(os.Environ(), "CRASHER_NO_WATCHDOG=1")
			return cmd
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := tc.host(t)
			pid := startHost(t, cmd)
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			_ = cmd.Wait()
			waitGone(t, pid, 5*time.Second, "the plugin outlived its SIGKILLed host")
		})
	}
}

// TestDevHostStopsPluginsOnSignal: SIGINT or SIGTERM make cloudos-dev stop
// its plugins and exit cleanly.
func TestDevHostStopsPluginsOnSignal(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			pluginDir(t, root, "object-storage")
			s := addonSettings(t)
			cmd := exec.Command(binary(t, "cloudos-dev"), "--plugins", root, "--state-dir", t.TempDir(),
				"--minio-binary", s["minio_binary"], "--s3-address", s["s3_address"], "--console-address", s["console_address"],
				"--listen", testkit.FreeAddr(t))
			pid := startHost(t, cmd)
			require.NoError(t, cmd.Process.Signal(sig))
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				require.NoError(t, err, "cloudos-dev exits cleanly on %s", sig)
			case <-time.After(30 * time.Second):
				t.Fatalf("cloudos-dev did not exit within 30s of %s", sig)
			}
			require.False(t, alive(pid), "plugin %d outlived the host's shutdown", pid)
		})
	}
}

var pidRE = regexp.MustCompile(`pid (\d+)`)

// startHost starts a host program, waits until it says it is ready, and
// returns the pid of the plugin it printed, checked to be its child.
func startHost(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	cmd.Stderr = testWriter{t}
	// A host that is SIGKILLed cannot remove its plugins' socket folders:
	// keep them in the test's own temp folder.
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	short, err := os.MkdirTemp("", "h") // Unix socket paths are short
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(short) })
	cmd.Env = append(cmd.Env, "TMPDIR="+short)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := 0
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		t.Log("host:", lines.Text())
		if m := pidRE.FindStringSubmatch(lines.Text()); m != nil {
			pid, _ = strconv.Atoi(m[1])
		}
		if strings.HasPrefix(lines.Text(), "ready") {
			break
		}
	}
	require.NotZero(t, pid, "the host printed no plugin pid")
	require.True(t, alive(pid))
	require.Equal(t, cmd.Process.Pid, parentOf(pid), "pid %d is not the host's child", pid)
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return pid
}
