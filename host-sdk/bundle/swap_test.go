package bundle_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/bundle"
)

func TestSwap(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		installed bool // a version is in place before the swap
		keep      bool // Commit, else Rollback
		want      string
	}{
		{"install, kept", false, true, "new"},
		{"install, rolled back", false, false, ""},
		{"upgrade, kept", true, true, "new"},
		{"upgrade, rolled back", true, false, "old"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			plugins, stage := filepath.Join(root, "plugins"), filepath.Join(root, "plugins.staging")
			dest := filepath.Join(plugins, "hello")
			newDir := filepath.Join(stage, ".bundle-1")
			require.NoError(t, os.MkdirAll(newDir, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(newDir, "version"), []byte("new"), 0o644))
			if c.installed {
				require.NoError(t, os.MkdirAll(dest, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(dest, "version"), []byte("old"), 0o644))
			} else {
				require.NoError(t, os.MkdirAll(plugins, 0o755))
			}

			s, err := bundle.Swap(newDir, dest)
			require.NoError(t, err)
			require.Equal(t, "new", readVersion(t, dest))
			if c.installed {
				require.Equal(t, "old", readVersion(t, s.Old()))
				require.Equal(t, stage, filepath.Dir(s.Old()), "the old version waits in the staging folder, not among the plugins")
			} else {
				require.Empty(t, s.Old())
			}
			require.Equal(t, []string{"hello"}, entries(t, plugins))

			if c.keep {
				require.NoError(t, s.Commit())
			} else {
				require.NoError(t, s.Rollback())
			}
			require.Equal(t, c.want, readVersion(t, dest))
			require.Empty(t, entries(t, stage), "nothing is left in the staging folder")
		})
	}
}

func TestSwapFailureChangesNothing(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	newDir := filepath.Join(root, "staging", ".bundle-1")
	require.NoError(t, os.MkdirAll(newDir, 0o755))
	dest := filepath.Join(root, "no-such-plugins-folder", "hello")
	_, err := bundle.Swap(newDir, dest)
	require.ErrorContains(t, err, "move "+newDir+" into place at "+dest)
	require.ErrorContains(t, err, "the staging folder must be on the same filesystem as the plugins folder")
	require.DirExists(t, newDir)
	require.NoDirExists(t, dest)
}

func readVersion(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "version"))
	if os.IsNotExist(err) {
		return ""
	}
	require.NoError(t, err)
	return string(b)
}
