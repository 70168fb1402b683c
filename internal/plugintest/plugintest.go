// Package plugintest builds this repository's plugins and hosts for tests:
// one go build per test binary, then plugin folders and bundles with
// manifests stamped as make build stamps them. Tests only.
package plugintest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/bundle"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/internal/testkit"
)

// Program is a main package of the repository, and the manifest template
// of the plugin it is ("" for a host).
type Program struct {
	Pkg      string
	Template string
}

// Programs are what tests run, by name (a plugin's name is its id).
var Programs = map[string]Program{
	"object-storage": {"./cmd/object-storage", "plugin.json"},
	"cloudos-dev":    {"./cmd/cloudos-dev", ""},
	"crasher":        {"./testdata/plugins/crasher", "testdata/plugins/crasher/plugin.json"},
	"wrongcookie":    {"./testdata/plugins/wrongcookie", "testdata/plugins/wrongcookie/plugin.json"},
	"backup-agent":   {"./testdata/plugins/backup-agent", "testdata/plugins/backup-agent/plugin.json"},
	"hello-storage":  {"./testdata/plugins/hello-storage", "testdata/plugins/hello-storage/plugin.json"},
	"testhost":       {"./testdata/hosts/testhost", ""},
}

var build struct {
	once sync.Once
	dir  string
	err  error
}

// Cleanup removes the built programs; call it from TestMain after m.Run.
func Cleanup() {
	if build.dir != "" {
		_ = os.RemoveAll(build.dir)
	}
}

// Binary returns the path of a program, building all of them (one go
// build) the first time in this test binary.
func Binary(t testing.TB, name string) string {
	t.Helper()
	build.once.Do(func() {
		build.dir, build.err = os.MkdirTemp("", "plugintest-bin-")
		if build.err != nil {
			return
		}
		// Stripped: smaller bundles pack and unpack faster under -race.
		args := []string{"build", "-ldflags=-s -w", "-o", build.dir + string(filepath.Separator)}
		for _, p := range Programs {
			args = append(args, p.Pkg)
		}
		cmd := exec.Command(GoTool(), args...)
		cmd.Dir = testkit.ModuleRoot()
		out, err := cmd.CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	})
	require.NoError(t, build.err)
	_, ok := Programs[name]
	require.True(t, ok, "unknown program %q", name)
	return filepath.Join(build.dir, filepath.Base(Programs[name].Pkg))
}

// GoTool is the go command.
func GoTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(os.Getenv("GOROOT"), "bin", "go")
}

// Options change a plugin as installed, for tests of upgrades and
// failures.
type Options struct {
	// Version replaces the manifest's version.
	Version string
	// Defaults replace the manifest's setting defaults, by key.
	Defaults map[string]string
	// Executable is another program to install as the plugin's executable
	// (a crasher in the add-on's clothes).
	Executable string
	// Files are extra files put beside the executable, by name.
	Files map[string]string
	// Edit changes the manifest last (before stamping).
	Edit func(m *manifest.Manifest)
}

// Dir installs plugin name into root/<id>: its executable, extra files,
// and its manifest stamped with the executable's checksum. It returns the
// folder.
func Dir(t testing.TB, root, name string, opts Options) string {
	t.Helper()
	prog, ok := Programs[name]
	require.True(t, ok && prog.Template != "", "%q is not a plugin", name)
	raw, err := os.ReadFile(filepath.Join(testkit.ModuleRoot(), prog.Template))
	require.NoError(t, err)
	var m manifest.Manifest
	require.NoError(t, json.Unmarshal(raw, &m))
	if opts.Version != "" {
		m.Version = opts.Version
	}
	defaults := map[string]string{}
	for k, v := range opts.Defaults {
		defaults[k] = v
	}
	for i, s := range m.Settings {
		if v, ok := defaults[s.Key]; ok {
			m.Settings[i].Default = v
			delete(defaults, s.Key)
		}
	}
	require.Empty(t, defaults, "settings the manifest of %s does not declare", name)
	if opts.Edit != nil {
		opts.Edit(&m)
	}
	dir := filepath.Join(root, m.ID)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	src := name
	if opts.Executable != "" {
		src = opts.Executable
	}
	exe := filepath.Join(dir, m.Executable)
	copyFile(t, Binary(t, src), exe, 0o755)
	for fname, content := range opts.Files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, fname), []byte(content), 0o644))
	}
	stamped, err := m.Stamp(exe)
	require.NoError(t, err)
	out, err := json.MarshalIndent(stamped, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, manifest.FileName), out, 0o644))
	return dir
}

// Bundle packs plugin name (with opts) as make bundle does and returns the
// .tar.gz's path, in a temporary folder of the test.
func Bundle(t testing.TB, name string, opts Options) string {
	t.Helper()
	dir := Dir(t, t.TempDir(), name, opts)
	m, err := manifest.Read(dir)
	require.NoError(t, err)
	out := filepath.Join(t.TempDir(), bundle.FileName(m))
	require.NoError(t, bundle.Pack(dir, out))
	return out
}

func copyFile(t testing.TB, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(to, b, mode))
}
