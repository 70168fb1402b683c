package bundle_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/bundle"
)

// FuzzUnpack: whatever the bytes, Unpack does not panic, writes nothing
// outside its parent folder, and leaves either nothing (a refusal) or one
// folder of regular files whose executable verifies. go test runs the
// seeds only; go test -fuzz FuzzUnpack ./host-sdk/bundle/ explores.
func FuzzUnpack(f *testing.F) {
	good := goodMembers(f)
	f.Add(archive(f, good...))
	f.Add(tarball(f, good...)) // not gzip
	f.Add(archive(f, append(good, file("../escape", 0o644, []byte("x")))...))
	f.Add(archive(f, append(good, file("/tmp/escape", 0o644, []byte("x")))...))
	f.Add(archive(f, append(good, entry(tar.TypeSymlink, "link", "../.."))...))
	f.Add(archive(f, append(good, entry(tar.TypeLink, "hard", "plugin.json"))...))
	f.Add(archive(f, append(good, entry(tar.TypeDir, "sub/", ""), file("sub/x", 0o644, nil))...))
	f.Add(archive(f, append(good, good[0])...))
	f.Add(gz(f, append(paxSparseMember(f, "holes"), tarball(f, good...)...)))
	f.Add([]byte{})

	limits := bundle.Limits{MaxCompressedBytes: 1 << 20, MaxUncompressedBytes: 1 << 20, MaxMembers: 16}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, parent := staging(t)
		u, err := bundle.Unpack(context.Background(), bytes.NewReader(data), parent, limits)
		require.Equal(t, []string{"staging"}, entries(t, root), "nothing is written beside the parent folder")
		if err != nil {
			var refusal *bundle.Error
			require.True(t, errors.As(err, &refusal), "a bundle's bytes can only be refused: %v", err)
			require.Empty(t, entries(t, parent))
			return
		}
		require.Equal(t, []string{filepath.Base(u.Dir)}, entries(t, parent))
		for _, name := range entries(t, u.Dir) {
			st, err := os.Lstat(filepath.Join(u.Dir, name))
			require.NoError(t, err)
			require.True(t, st.Mode().IsRegular(), "%s is %s", name, st.Mode())
		}
		require.NoError(t, u.Manifest.VerifyExecutable(u.Dir))
	})
}
