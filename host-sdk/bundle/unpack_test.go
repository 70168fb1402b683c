package bundle_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/bundle"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/shared"
)

func TestUnpackAcceptsGoodBundles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		members func(t testing.TB) []member
		files   map[string]os.FileMode
	}{
		{"plugin.json and executable", goodMembers, map[string]os.FileMode{"plugin.json": 0o644, "hello": 0o755}},
		{"executable first", func(t testing.TB) []member {
			g := goodMembers(t)
			return []member{g[1], g[0]}
		}, map[string]os.FileMode{"plugin.json": 0o644, "hello": 0o755}},
		{"as tar -C dir . writes it", func(t testing.TB) []member {
			g := goodMembers(t)
			g[0].hdr.Name, g[1].hdr.Name = "./plugin.json", "./hello"
			return append([]member{entry(tar.TypeDir, "./", "")}, g...)
		}, map[string]os.FileMode{"plugin.json": 0o644, "hello": 0o755}},
		{"with a pax global header, as git archive writes it", func(t testing.TB) []member {
			global := member{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "abc123"}}}
			return append([]member{global}, goodMembers(t)...)
		}, map[string]os.FileMode{"plugin.json": 0o644, "hello": 0o755}},
		{"other files, modes normalised", func(t testing.TB) []member {
			g := goodMembers(t)
			g[1].hdr.Mode = 0o4777 // setuid and world-writable are not kept
			return append(g, file("LICENSE", 0o666, []byte("MIT")), file("helper", 0o700, fakeExe))
		}, map[string]os.FileMode{"plugin.json": 0o644, "hello": 0o755, "LICENSE": 0o644, "helper": 0o755}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root, parent := staging(t)
			u, err := bundle.Unpack(context.Background(), bytes.NewReader(archive(t, c.members(t)...)), parent, bundle.Limits{})
			require.NoError(t, err)
			require.Equal(t, parent, filepath.Dir(u.Dir))
			require.Equal(t, []string{"staging"}, entries(t, root))
			require.Equal(t, "hello", u.Manifest.ID)
			require.NoError(t, u.Manifest.VerifyExecutable(u.Dir))
			st, err := os.Stat(u.Dir)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o755), st.Mode().Perm())
			got := map[string]os.FileMode{}
			for _, name := range entries(t, u.Dir) {
				st, err := os.Lstat(filepath.Join(u.Dir, name))
				require.NoError(t, err)
				got[name] = st.Mode()
			}
			require.Equal(t, c.files, got)
			require.NoError(t, u.Remove())
			require.Empty(t, entries(t, parent))
		})
	}
}

func TestUnpackRefusesBadBundles(t *testing.T) {
	t.Parallel()
	withManifest := func(edit func(m map[string]any)) func(t testing.TB) []byte {
		return func(t testing.TB) []byte {
			return archive(t, file("plugin.json", 0o644, manifestJSON(t, edit)), file("hello", 0o755, fakeExe))
		}
	}
	withMembers := func(extra ...member) func(t testing.TB) []byte {
		return func(t testing.TB) []byte { return archive(t, append(goodMembers(t), extra...)...) }
	}
	cases := []struct {
		name   string
		data   func(t testing.TB) []byte
		limits bundle.Limits
		reason bundle.Reason
		want   string
	}{
		{"empty", func(testing.TB) []byte { return nil }, bundle.Limits{},
			bundle.ReasonFormat, "the archive is empty; send the bundle's .tar.gz file"},
		{"not gzip", func(testing.TB) []byte { return []byte("PK\x03\x04 a zip file, say") }, bundle.Limits{},
			bundle.ReasonFormat, "it is not a gzip file (gzip: invalid header); a bundle is the .tar.gz that make bundle writes"},
		{"gzip but not tar", func(t testing.TB) []byte { return gz(t, bytes.Repeat([]byte("not a tar header "), 100)) }, bundle.Limits{},
			bundle.ReasonFormat, "it is gzip but not a tar archive (archive/tar: invalid tar header)"},
		{"cut short", func(t testing.TB) []byte { b := archive(t, goodMembers(t)...); return b[:len(b)/2] }, bundle.Limits{},
			bundle.ReasonFormat, "the archive ends early: the upload was cut short or the file is incomplete; send the whole .tar.gz again"},
		{"corrupt gzip data", func(t testing.TB) []byte {
			b := archive(t, goodMembers(t)...)
			b[len(b)-8] ^= 0xff // the CRC-32 in the gzip trailer
			return b
		}, bundle.Limits{}, bundle.ReasonFormat, "its gzip data is corrupt (gzip: invalid checksum); send the bundle again, or pack it again with make bundle"},

		{"absolute path", withMembers(file("/etc/cron.d/evil", 0o644, nil)), bundle.Limits{},
			bundle.ReasonUnsafePath, `member "/etc/cron.d/evil" has an absolute path; put plugin.json and the executable at the archive's top level (make bundle does)`},
		{"dot-dot", withMembers(file("../evil", 0o644, nil)), bundle.Limits{},
			bundle.ReasonUnsafePath, `member "../evil" has a ".." in its path, which could escape the bundle's folder`},
		{"dot-dot inside", withMembers(file("a/../../evil", 0o644, nil)), bundle.Limits{},
			bundle.ReasonUnsafePath, `member "a/../../evil" has a ".." in its path, which could escape the bundle's folder`},
		{"dot-dot that stays inside", withMembers(file("a/../x", 0o644, nil)), bundle.Limits{},
			bundle.ReasonUnsafePath, `member "a/../x" has a ".." in its path, which could escape the bundle's folder`},
		{"backslash", withMembers(file(`..\evil`, 0o644, nil)), bundle.Limits{},
			bundle.ReasonUnsafePath, `member "..\\evil" has a backslash in its name`},
		{"top folder as a file", withMembers(file(".", 0o644, nil)), bundle.Limits{},
			bundle.ReasonUnsafePath, `member "." is not a file name`},

		{"file in a subfolder", withMembers(file("lib/helper.so", 0o644, nil)), bundle.Limits{},
			bundle.ReasonSubfolder, `member "lib/helper.so" is inside a folder, and bundles are flat; put plugin.json and the executable at the archive's top level`},
		{"folder", withMembers(entry(tar.TypeDir, "lib/", "")), bundle.Limits{},
			bundle.ReasonSubfolder, `member "lib/" is a folder, and bundles are flat`},
		{"everything in a folder", func(t testing.TB) []byte {
			g := goodMembers(t)
			g[0].hdr.Name, g[1].hdr.Name = "hello/plugin.json", "hello/hello"
			return archive(t, g...)
		}, bundle.Limits{}, bundle.ReasonSubfolder, `member "hello/plugin.json" is inside a folder, and bundles are flat`},

		{"symlink", withMembers(entry(tar.TypeSymlink, "evil", "/etc/passwd")), bundle.Limits{},
			bundle.ReasonNotRegular, `member "evil" is a symbolic link (to "/etc/passwd"); a bundle holds regular files only: pack the file itself`},
		{"symlink as the executable", func(t testing.TB) []byte {
			return archive(t, file("plugin.json", 0o644, manifestJSON(t, nil)), entry(tar.TypeSymlink, "hello", "/bin/sh"))
		}, bundle.Limits{}, bundle.ReasonNotRegular, `member "hello" is a symbolic link (to "/bin/sh")`},
		{"hard link", withMembers(entry(tar.TypeLink, "evil", "/etc/shadow")), bundle.Limits{},
			bundle.ReasonNotRegular, `member "evil" is a hard link (to "/etc/shadow")`},
		{"character device", withMembers(entry(tar.TypeChar, "null", "")), bundle.Limits{},
			bundle.ReasonNotRegular, `member "null" is a character device`},
		{"block device", withMembers(entry(tar.TypeBlock, "sda", "")), bundle.Limits{},
			bundle.ReasonNotRegular, `member "sda" is a block device`},
		{"FIFO", withMembers(entry(tar.TypeFifo, "pipe", "")), bundle.Limits{},
			bundle.ReasonNotRegular, `member "pipe" is a FIFO (named pipe)`},
		{"contiguous file type", withMembers(entry(tar.TypeCont, "cont", "")), bundle.Limits{},
			bundle.ReasonNotRegular, `member "cont" is a tar entry of type '7'`},
		{"sparse file", func(t testing.TB) []byte {
			return gz(t, append(paxSparseMember(t, "holes"), tarball(t, goodMembers(t)...)...))
		}, bundle.Limits{}, bundle.ReasonNotRegular, `member "holes" is a sparse file`},

		{"duplicate", withMembers(file("plugin.json", 0o644, manifestJSON(t, nil))), bundle.Limits{},
			bundle.ReasonDuplicate, `member "plugin.json" appears twice in the archive; pack each file once`},
		{"duplicate through ./", withMembers(file("./hello", 0o755, fakeExe)), bundle.Limits{},
			bundle.ReasonDuplicate, `member "hello" appears twice`},

		{"compressed over the limit", withMembers(), bundle.Limits{MaxCompressedBytes: 100},
			bundle.ReasonTooLarge, "the archive is larger than 100 bytes; a bundle holds a plugin's manifest and executable: check that this is the right file, or raise the host's bundle size limit"},
		{"uncompressed over the limit", withMembers(file("zeros", 0o644, make([]byte, 2<<20))), bundle.Limits{MaxUncompressedBytes: 1 << 20},
			bundle.ReasonTooLarge, "the archive unpacks to more than 1 MiB (a compression bomb?)"},
		{"bomb after the end of the tar", func(t testing.TB) []byte {
			return gz(t, append(tarball(t, goodMembers(t)...), make([]byte, 4<<20)...))
		}, bundle.Limits{MaxUncompressedBytes: 1 << 20}, bundle.ReasonTooLarge, "the archive unpacks to more than 1 MiB"},
		{"header over the default limit", func(t testing.TB) []byte {
			// Refused on its header: the 257 MiB it announces are never sent.
			var buf bytes.Buffer
			require.NoError(t, tar.NewWriter(&buf).WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "big", Mode: 0o644, Size: 257 << 20}))
			return gz(t, buf.Bytes())
		}, bundle.Limits{}, bundle.ReasonTooLarge, "the archive unpacks to more than 256 MiB"},
		{"too many members", withMembers(file("a", 0o644, nil), file("b", 0o644, nil)), bundle.Limits{MaxMembers: 3},
			bundle.ReasonTooManyMembers, "the archive has more than 3 members; put plugin.json and the executable at the archive's top level (make bundle does), and nothing else"},

		{"no plugin.json", func(t testing.TB) []byte { return archive(t, file("hello", 0o755, fakeExe)) }, bundle.Limits{},
			bundle.ReasonMissingManifest, "there is no plugin.json at the archive's top level; pack the stamped plugin.json beside the executable (make bundle does)"},
		{"plugin.json not JSON", func(t testing.TB) []byte {
			return archive(t, file("plugin.json", 0o644, []byte("{id: hello")), file("hello", 0o755, fakeExe))
		}, bundle.Limits{}, bundle.ReasonManifest, "bundle refused: plugin.json is not valid JSON"},
		{"bad version", withManifest(func(m map[string]any) { m["version"] = "1.x" }), bundle.Limits{},
			bundle.ReasonManifest, `bundle refused: plugin.json: field "version": "1.x" is not a semantic version like 1.2.3`},
		{"two bad fields, on one line", withManifest(func(m map[string]any) { m["version"] = "1.x"; delete(m, "name") }), bundle.Limits{},
			bundle.ReasonManifest, `plugin.json: field "name": is missing: give the plugin a name people read in the panel; plugin.json: field "version"`},
		{"executable is a path", withManifest(func(m map[string]any) { m["executable"] = "../hello" }), bundle.Limits{},
			bundle.ReasonManifest, `field "executable": "../hello" must be a file name in the plugin's folder, not a path`},
		{"unstamped", withManifest(func(m map[string]any) { m["sha256"] = "" }), bundle.Limits{},
			bundle.ReasonManifest, `field "sha256": is missing`},
		{"plugin.json too large", func(t testing.TB) []byte {
			return archive(t, file("plugin.json", 0o644, bytes.Repeat([]byte(" "), 1<<20+1)), file("hello", 0o755, fakeExe))
		}, bundle.Limits{}, bundle.ReasonManifest, "plugin.json is 1048577 bytes, more than a manifest's 1 MiB; pack the stamped plugin.json the build writes"},
		{"unknown protocol", withManifest(func(m map[string]any) { m["protocol_version"] = 99 }), bundle.Limits{},
			bundle.ReasonProtocol, `plugin "hello" speaks protocol 99 and this host speaks protocol 1; install a build of the plugin made with this host's SDK`},
		{"no executable", func(t testing.TB) []byte { return archive(t, file("plugin.json", 0o644, manifestJSON(t, nil))) }, bundle.Limits{},
			bundle.ReasonMissingExecutable, `plugin.json names the executable "hello" but the archive has no such file at its top level; pack the executable beside plugin.json`},
		{"executable not executable", func(t testing.TB) []byte {
			return archive(t, file("plugin.json", 0o644, manifestJSON(t, nil)), file("hello", 0o644, fakeExe))
		}, bundle.Limits{}, bundle.ReasonNotExecutable, `the executable "hello" is not marked executable (mode 0644); pack it with its executable bit set (chmod +x, then make bundle)`},
		{"bad checksum", func(t testing.TB) []byte {
			return archive(t, file("plugin.json", 0o644, manifestJSON(t, nil)), file("hello", 0o755, []byte("#!/bin/sh\nrm -rf /\n")))
		}, bundle.Limits{}, bundle.ReasonChecksum, `the executable "hello" has SHA-256 ` + sum([]byte("#!/bin/sh\nrm -rf /\n")) +
			` but plugin.json says ` + sum(fakeExe) + ` (executable does not match the sha256 in plugin.json): the bundle is damaged, or its plugin.json was not stamped for this build; pack it again with make bundle`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root, parent := staging(t)
			u, err := bundle.Unpack(context.Background(), bytes.NewReader(c.data(t)), parent, c.limits)
			require.Error(t, err)
			require.Zero(t, u)
			require.ErrorContains(t, err, c.want)
			require.True(t, strings.HasPrefix(err.Error(), "bundle refused: "), err.Error())
			require.ErrorIs(t, err, c.reason)
			var refusal *bundle.Error
			require.ErrorAs(t, err, &refusal)
			require.Equal(t, c.reason, refusal.Reason)
			require.ErrorIs(t, err, shared.ErrInvalidArgument)
			require.Equal(t, shared.CodeInvalidArgument, shared.CodeOf(err))
			require.Equal(t, err.Error(), shared.AsError(err).Message)
			require.Empty(t, entries(t, parent), "nothing is left behind")
			require.Equal(t, []string{"staging"}, entries(t, root), "nothing is written beside the folder")
		})
	}
}

func TestUnpackRefusalKeepsItsCause(t *testing.T) {
	t.Parallel()
	_, parent := staging(t)
	data := archive(t, file("plugin.json", 0o644, manifestJSON(t, nil)), file("hello", 0o755, []byte("other")))
	_, err := bundle.Unpack(context.Background(), bytes.NewReader(data), parent, bundle.Limits{})
	require.ErrorIs(t, err, manifest.ErrChecksumMismatch)
	var refusal *bundle.Error
	require.ErrorAs(t, err, &refusal)
	require.Equal(t, "hello", refusal.Member)

	data = archive(t, file("plugin.json", 0o644, manifestJSON(t, func(m map[string]any) { m["id"] = "Hello" })), file("hello", 0o755, fakeExe))
	_, err = bundle.Unpack(context.Background(), bytes.NewReader(data), parent, bundle.Limits{})
	var field *manifest.FieldError
	require.ErrorAs(t, err, &field)
	require.Equal(t, "id", field.Field)
}

// Failures that are not the bundle's (the source, ctx) are not refusals,
// and leave nothing behind either.
func TestUnpackHostFailuresAreNotRefusals(t *testing.T) {
	t.Parallel()
	broken := errors.New("connection reset by peer")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		data func(t testing.TB) []byte
		cut  int // bytes read before the source fails; -1 never fails
		want error
	}{
		{"source fails in the gzip header", context.Background(), func(t testing.TB) []byte { return archive(t, goodMembers(t)...) }, 4, broken},
		{"source fails in the data", context.Background(), func(t testing.TB) []byte {
			return archive(t, append(goodMembers(t), file("noise", 0o644, bytes.Repeat([]byte("abcdefghijklmnop"), 1<<14)))...)
		}, 200, broken},
		{"ctx done", canceled, func(t testing.TB) []byte { return archive(t, goodMembers(t)...) }, -1, context.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root, parent := staging(t)
			data := c.data(t)
			var r io.Reader = bytes.NewReader(data)
			if c.cut >= 0 {
				r = io.MultiReader(bytes.NewReader(data[:c.cut]), iotest.ErrReader(broken))
			}
			_, err := bundle.Unpack(c.ctx, r, parent, bundle.Limits{})
			require.ErrorIs(t, err, c.want)
			require.ErrorContains(t, err, "read the bundle: ")
			require.NotErrorIs(t, err, shared.ErrInvalidArgument)
			var refusal *bundle.Error
			require.False(t, errors.As(err, &refusal))
			require.Empty(t, entries(t, parent))
			require.Equal(t, []string{"staging"}, entries(t, root))
		})
	}
}

func TestUnpackCreatesItsParentFolder(t *testing.T) {
	t.Parallel()
	parent := filepath.Join(t.TempDir(), "plugins.staging")
	u, err := bundle.Unpack(context.Background(), bytes.NewReader(archive(t, goodMembers(t)...)), parent, bundle.Limits{})
	require.NoError(t, err)
	require.Equal(t, parent, filepath.Dir(u.Dir))
}
