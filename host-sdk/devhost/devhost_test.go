package devhost_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/devhost"
)

func TestAddonSettingsLiveUnderTheStateFolder(t *testing.T) {
	t.Parallel()
	state := t.TempDir()
	cfg := devhost.DefaultConfig()
	cfg.StateDir = state
	cfg.ScannerSpeed = "fast"
	got, err := cfg.AddonSettings()
	require.NoError(t, err)
	require.Equal(t, map[string]string{
		"minio_binary":    "minio",
		"data_dir":        filepath.Join(state, "objects"),
		"env_file":        filepath.Join(state, "minio.env"),
		"state_dir":       filepath.Join(state, "object-storage"),
		"s3_address":      "127.0.0.1:9000",
		"console_address": "127.0.0.1:9001",
		"scanner_speed":   "fast",
	}, got)

	cfg.StateDir = ".state"
	got, err = cfg.AddonSettings()
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(got["data_dir"]), "a relative --state-dir becomes absolute: %s", got["data_dir"])

	cfg.MinIOBinary = ".tools/bin/minio"
	got, err = cfg.AddonSettings()
	require.NoError(t, err)
	require.True(t, filepath.IsAbs(got["minio_binary"]), "a relative --minio-binary path becomes absolute (the add-on runs in its own folder): %s", got["minio_binary"])
}

func TestStartWithoutTheAddonSaysToBuild(t *testing.T) {
	t.Parallel()
	cfg := devhost.DefaultConfig()
	cfg.StateDir = filepath.Join(t.TempDir(), "state")
	cfg.PluginsDir = t.TempDir()
	var out bytes.Buffer
	cfg.Out = &out
	s, err := devhost.New(cfg)
	require.NoError(t, err)
	st, err := os.Stat(cfg.StateDir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	err = s.Start(context.Background())
	require.ErrorContains(t, err, "no object-storage plugin under "+cfg.PluginsDir+": run make build first")
	require.NoError(t, s.Shutdown(context.Background()))

	cfg.PluginsDir = filepath.Join(t.TempDir(), "missing")
	err = devhost.Run(context.Background(), cfg)
	require.ErrorContains(t, err, "read plugins folder")
}

func TestPanelOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"0.0.0.0:8080", ":8080", "192.0.2.1:8080", "example.com:80", "nonsense"} {
		cfg := devhost.DefaultConfig()
		cfg.StateDir = filepath.Join(t.TempDir(), "state")
		cfg.Listen = addr
		_, err := devhost.New(cfg)
		require.Error(t, err, addr)
		require.Contains(t, err.Error(), "--listen", addr)
	}
	for _, addr := range []string{"127.0.0.1:0", "[::1]:0", "localhost:0"} {
		cfg := devhost.DefaultConfig()
		cfg.StateDir = filepath.Join(t.TempDir(), "state")
		cfg.Listen = addr
		_, err := devhost.New(cfg)
		require.NoError(t, err, addr)
	}
}
