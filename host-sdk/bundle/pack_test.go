package bundle_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/bundle"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/internal/testkit"
)

func TestPackThenUnpackRoundTrips(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t)
	out := filepath.Join(t.TempDir(), "bundles", "hello-1.2.3.tar.gz")
	require.NoError(t, bundle.Pack(dir, out))

	want, err := manifest.Read(dir)
	require.NoError(t, err)
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	_, parent := staging(t)
	u, err := bundle.Unpack(context.Background(), f, parent, bundle.Limits{})
	require.NoError(t, err)
	require.Equal(t, want, u.Manifest)
	require.NoError(t, u.Manifest.VerifyExecutable(u.Dir))
	exe, err := os.ReadFile(u.Manifest.ExecutablePath(u.Dir))
	require.NoError(t, err)
	require.Equal(t, fakeExe, exe)
}

// The add-on's own manifest template, stamped as make build stamps it,
// packs under the name make bundle gives it and unpacks.
func TestPackStampedRepositoryManifest(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "object-storage")
	require.NoError(t, os.Mkdir(dir, 0o755))
	exe := filepath.Join(dir, "object-storage")
	require.NoError(t, os.WriteFile(exe, fakeExe, 0o755))
	require.NoError(t, manifest.StampFile(filepath.Join(testkit.ModuleRoot(), "plugin.json"), exe, filepath.Join(dir, "plugin.json")))
	m, err := manifest.Read(dir)
	require.NoError(t, err)
	require.Equal(t, "object-storage-"+m.Version+".tar.gz", bundle.FileName(m))

	out := filepath.Join(t.TempDir(), bundle.FileName(m))
	require.NoError(t, bundle.Pack(dir, out))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	_, parent := staging(t)
	u, err := bundle.Unpack(context.Background(), bytes.NewReader(data), parent, bundle.Limits{})
	require.NoError(t, err)
	require.Equal(t, m, u.Manifest)
	require.Equal(t, []string{"object-storage", "plugin.json"}, entries(t, u.Dir))
}

// The same files give the same bytes, whatever their times; members are
// plugin.json first, flat, with their modes and nothing of the machine.
func TestPackIsDeterministic(t *testing.T) {
	t.Parallel()
	dir := pluginDir(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), []byte("read me"), 0o640))
	first := filepath.Join(t.TempDir(), "a.tar.gz")
	require.NoError(t, bundle.Pack(dir, first))
	later := time.Now().Add(time.Hour)
	for _, name := range entries(t, dir) {
		require.NoError(t, os.Chtimes(filepath.Join(dir, name), later, later))
	}
	second := filepath.Join(t.TempDir(), "b.tar.gz")
	require.NoError(t, bundle.Pack(dir, second))
	a, err := os.ReadFile(first)
	require.NoError(t, err)
	b, err := os.ReadFile(second)
	require.NoError(t, err)
	require.Equal(t, a, b)

	zr, err := gzip.NewReader(bytes.NewReader(a))
	require.NoError(t, err)
	require.True(t, zr.ModTime.IsZero())
	tr := tar.NewReader(zr)
	type got struct {
		name       string
		mode       int64
		uid, gid   int
		user, grp  string
		unixTime   int64
		typeflag   byte
		sizeOfBody int64
	}
	var members []got
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		members = append(members, got{hdr.Name, hdr.Mode, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname, hdr.ModTime.Unix(), hdr.Typeflag, hdr.Size})
	}
	require.Equal(t, []got{
		{"plugin.json", 0o644, 0, 0, "", "", 0, tar.TypeReg, int64(len(manifestJSON(t, nil)))},
		{"README", 0o640, 0, 0, "", "", 0, tar.TypeReg, 7},
		{"hello", 0o755, 0, 0, "", "", 0, tar.TypeReg, int64(len(fakeExe))},
	}, members)
}

func TestPackRefusesWhatAHostWouldRefuse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		edit func(t *testing.T, dir string)
		want string
	}{
		{"unstamped manifest", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "plugin.json"), manifestJSON(t, func(m map[string]any) { m["sha256"] = "" }), 0o644))
		}, `field "sha256": is missing: the build writes the executable's SHA-256 here`},
		{"executable changed since the stamp", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "hello"), []byte("rebuilt"), 0o755))
		}, manifest.ErrChecksumMismatch.Error()},
		{"executable not executable", func(t *testing.T, dir string) {
			require.NoError(t, os.Chmod(filepath.Join(dir, "hello"), 0o644))
		}, "the executable hello is not marked executable: chmod +x it"},
		{"a subfolder", func(t *testing.T, dir string) {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "lib"), 0o755))
		}, "lib is not a regular file (d---------); a bundle holds plugin.json and regular files beside it only: move it out of the plugin folder"},
		{"a symlink", func(t *testing.T, dir string) {
			require.NoError(t, os.Symlink("hello", filepath.Join(dir, "alias")))
		}, "alias is not a regular file (L---------)"},
		{"no manifest", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "plugin.json")))
		}, "read plugin manifest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := pluginDir(t)
			c.edit(t, dir)
			outDir := t.TempDir()
			err := bundle.Pack(dir, filepath.Join(outDir, "hello.tar.gz"))
			require.ErrorContains(t, err, c.want)
			require.Empty(t, entries(t, outDir), "no bundle and no temporary file")
		})
	}
}
