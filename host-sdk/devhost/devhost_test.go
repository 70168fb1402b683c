package devhost_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/devhost"
	"github.com/quazzar/object-storage/internal/testkit"
)

// TestStartWithNoPlugin: an empty or missing plugins folder is a host
// with no plugin, ready for an install; the panel answers.
func TestStartWithNoPlugin(t *testing.T) {
	t.Parallel()
	for _, plugins := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		cfg := devhost.DefaultConfig()
		cfg.Listen = testkit.FreeAddr(t)
		cfg.StateDir = filepath.Join(t.TempDir(), "state")
		cfg.PluginsDir = plugins
		out := &testkit.Buffer{}
		cfg.Out = out
		s, err := devhost.New(cfg)
		require.NoError(t, err)
		st, err := os.Stat(cfg.StateDir)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
		require.NoError(t, s.Start(context.Background()))
		select {
		case <-s.Ready():
		case <-time.After(30 * time.Second):
			t.Fatalf("no panel line: %s", out.String())
		}
		require.Contains(t, out.String(), "no plugin under "+plugins)
		require.Contains(t, out.String(), "panel: "+s.PanelURL()+"/")
		resp, err := http.Get(s.PanelURL() + "/")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NoError(t, s.Shutdown(context.Background()))
	}
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
