package addon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/settings"
)

// TestManifestMatchesSettings: plugin.json declares exactly the settings
// the add-on takes, with the production defaults, and says "restart" for
// exactly those the add-on can only apply by restarting MinIO, so the
// host's settings form cannot promise what the add-on does not do.
func TestManifestMatchesSettings(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testkit.ModuleRoot(), "plugin.json"))
	require.NoError(t, err)
	var m struct {
		Settings []struct {
			Key, Default, Apply string
		}
	}
	require.NoError(t, json.Unmarshal(b, &m))
	defaults := settings.Defaults().Map()
	defaults[settings.KeyUsageInterval] = "30s"
	var keys []string
	for _, s := range m.Settings {
		keys = append(keys, s.Key)
		want, ok := defaults[s.Key]
		require.True(t, ok, "plugin.json declares %s, which the add-on does not take", s.Key)
		require.Equal(t, want, s.Default, "default of %s", s.Key)
		wantApply := "live"
		if slices.Contains(restartSettings, s.Key) {
			wantApply = "restart"
		}
		require.Equal(t, wantApply, s.Apply, "apply of %s", s.Key)
	}
	for k := range defaults {
		require.Contains(t, keys, k, "the add-on takes %s but plugin.json does not declare it", k)
	}
}
