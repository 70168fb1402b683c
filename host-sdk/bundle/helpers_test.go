package bundle_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

// fakeExe stands in for a plugin binary: Unpack checks it, never runs it.
var fakeExe = []byte("#!/bin/sh\necho a plugin\n")

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// goodManifest is a valid plugin.json for fakeExe, as a generic JSON
// object so that a case can break any field.
func goodManifest() map[string]any {
	return map[string]any{
		"id":               "hello",
		"name":             "Hello",
		"version":          "1.2.3",
		"executable":       "hello",
		"sha256":           sum(fakeExe),
		"protocol_version": shared.Handshake.ProtocolVersion,
		"provides":         []any{},
		"settings":         []any{},
	}
}

func manifestJSON(t testing.TB, edit func(m map[string]any)) []byte {
	t.Helper()
	m := goodManifest()
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

// member is one archive entry: a header (Size is filled from body for a
// regular file) and its data.
type member struct {
	hdr  tar.Header
	body []byte
}

func file(name string, mode int64, body []byte) member {
	return member{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode}, body: body}
}

func entry(typ byte, name, link string) member {
	return member{hdr: tar.Header{Typeflag: typ, Name: name, Linkname: link, Mode: 0o644}}
}

// goodMembers is a good bundle's members: plugin.json, then the executable.
func goodMembers(t testing.TB) []member {
	return []member{file("plugin.json", 0o644, manifestJSON(t, nil)), file("hello", 0o755, fakeExe)}
}

func tarball(t testing.TB, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		hdr := m.hdr
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(m.body))
		}
		require.NoError(t, tw.WriteHeader(&hdr))
		_, err := tw.Write(m.body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

func gz(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(raw)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func archive(t testing.TB, members ...member) []byte {
	return gz(t, tarball(t, members...))
}

// paxSparseMember is a member whose PAX header makes it a GNU sparse file
// (format 0.1) of a large logical size holding one byte of data. Go's
// tar writer will not write one, so its header is rewritten by hand.
func paxSparseMember(t testing.TB, name string) []byte {
	t.Helper()
	record := func(k, v string) string {
		// A PAX record is "<length> <key>=<value>\n", the length counting itself.
		body := fmt.Sprintf(" %s=%s\n", k, v)
		n := len(body) + 1
		for len(fmt.Sprint(n))+len(body) != n {
			n++
		}
		return fmt.Sprint(n) + body
	}
	pax := record("GNU.sparse.map", "0,1") + record("GNU.sparse.numblocks", "1") +
		record("GNU.sparse.size", fmt.Sprint(64<<20))
	raw := tarball(t, file("PaxHeaders/"+name, 0o644, []byte(pax)), file(name, 0o644, []byte{1}))
	raw[156] = tar.TypeXHeader
	// The header checksum: the sum of the block's bytes with the checksum
	// field read as spaces, in octal.
	copy(raw[148:156], "        ")
	var s int
	for _, b := range raw[:512] {
		s += int(b)
	}
	copy(raw[148:156], fmt.Sprintf("%06o\x00 ", s))
	return raw[:len(raw)-1024] // without the end-of-archive blocks
}

// entries lists a folder's names.
func entries(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := make([]string, 0, len(es))
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// staging is a parent folder for Unpack alone in a root folder, so that a
// test sees anything written beside it too.
func staging(t testing.TB) (root, parent string) {
	t.Helper()
	root = t.TempDir()
	parent = filepath.Join(root, "staging")
	require.NoError(t, os.Mkdir(parent, 0o755))
	return root, parent
}

// pluginDir writes a stamped plugin folder for fakeExe and returns it.
func pluginDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "hello")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello"), fakeExe, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "plugin.json"), manifestJSON(t, nil), 0o644))
	return dir
}
