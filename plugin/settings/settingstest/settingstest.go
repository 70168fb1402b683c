// Package settingstest is the one test fixture for the add-on's settings:
// MinIO's data, env file and the add-on's state in a fresh temporary
// folder, S3 API and console on free loopback ports.
package settingstest

import (
	"path/filepath"
	"testing"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/settings"
)

// New returns settings for a test that runs the MinIO binary bin (a path,
// or a path that does not exist for tests of a missing binary). Its folders
// are under t.TempDir(), removed when the test ends.
func New(t testing.TB, bin string) settings.Settings {
	t.Helper()
	dir := t.TempDir()
	s := settings.Defaults()
	s.MinIOBinary = bin
	s.DataDir = filepath.Join(dir, "objects")
	s.EnvFile = filepath.Join(dir, "etc", "minio.env")
	s.StateDir = filepath.Join(dir, "state")
	s.S3Address = testkit.FreeAddr(t)
	s.ConsoleAddress = testkit.FreeAddr(t)
	if err := s.Validate(); err != nil {
		t.Fatalf("test settings: %v", err)
	}
	return s
}

// Map is New as the host passes settings (Configure), with extra values
// overlaid.
func Map(t testing.TB, bin string, extra map[string]string) map[string]string {
	t.Helper()
	m := New(t, bin).Map()
	for k, v := range extra {
		m[k] = v
	}
	return m
}
