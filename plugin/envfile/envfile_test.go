package envfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/shared"
)

func testLogger() (hclog.Logger, *testkit.Buffer) {
	buf := &testkit.Buffer{}
	return hclog.New(&hclog.LoggerOptions{Output: buf, Level: hclog.Trace}), buf
}

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    []Entry
		errLine string
	}{
		{"plain", "A=1\nB=two\n", []Entry{{"A", "1", 1}, {"B", "two", 2}}, ""},
		{"export, comments, blanks", "# c\n\nexport A=1\n  B=2  \n", []Entry{{"A", "1", 3}, {"B", "2", 4}}, ""},
		{"quotes", "A=\"x y\"\nB='z'\nC=\"unbalanced\n", []Entry{{"A", "x y", 1}, {"B", "z", 2}, {"C", "\"unbalanced", 3}}, ""},
		{"value with =", "A=b=c\n", []Entry{{"A", "b=c", 1}}, ""},
		{"no equals", "A=1\nsecretvalue\n", nil, "line 2"},
		{"bad key", "\n\nA B=1\n", nil, "line 3"},
		{"empty key", "=x\n", nil, "line 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse("f.env", []byte(tc.in))
			if tc.errLine != "" {
				require.Error(t, err)
				require.ErrorIs(t, err, shared.ErrInvalidArgument)
				require.Contains(t, err.Error(), tc.errLine)
				require.NotContains(t, err.Error(), "secretvalue")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestGenerateIsStrongAndRandom(t *testing.T) {
	a, err := Generate()
	require.NoError(t, err)
	b, err := Generate()
	require.NoError(t, err)
	require.NotEqual(t, a.Password, b.Password)
	require.NotEqual(t, a.User, b.User)
	require.GreaterOrEqual(t, len(a.Password), MinPasswordLength)
	require.True(t, strings.HasPrefix(a.User, "quazzar-"))
	require.NotContains(t, a.String(), a.Password)
	require.NotContains(t, a.GoString(), a.Password)
}

func TestEnsureFirstBootThenReuse(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "etc", "quazzar", "minio.env")
	log, buf := testLogger()

	c, created, err := Ensure(path, filepath.Join(dir, "data"), log)
	require.NoError(t, err)
	require.True(t, created)
	require.GreaterOrEqual(t, len(c.Password), MinPasswordLength)

	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	dst, err := os.Stat(filepath.Dir(path))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), dst.Mode().Perm())
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left behind")

	before, err := os.ReadFile(path)
	require.NoError(t, err)
	c2, created, err := Ensure(path, filepath.Join(dir, "data"), log)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, c, c2)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
	require.NotContains(t, buf.String(), c.Password)
}

func TestEnsureTightensLoosePermissions(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "minio.env")
	require.NoError(t, os.WriteFile(path, []byte("MINIO_ROOT_USER=admin\nMINIO_ROOT_PASSWORD=supersecretpassword\n"), 0o600))
	require.NoError(t, os.Chmod(path, 0o644))
	log, buf := testLogger()

	c, created, err := Ensure(path, filepath.Join(dir, "data"), log)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, "admin", c.User)
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	require.Contains(t, buf.String(), "[WARN]")
	require.Contains(t, buf.String(), "tightened to 0600")
	require.NotContains(t, buf.String(), "supersecretpassword")
}

func TestEnsureRefusesBadFiles(t *testing.T) {
	cases := []struct {
		name    string
		content string
		want    string
	}{
		{"malformed line", "MINIO_ROOT_USER=admin\nthis is not an assignment\nMINIO_ROOT_PASSWORD=supersecretpassword\n", "line 2"},
		{"no password", "MINIO_ROOT_USER=admin\n", "no MINIO_ROOT_PASSWORD"},
		{"no user", "export MINIO_ROOT_PASSWORD=supersecretpassword\n", "no MINIO_ROOT_USER"},
		{"short password", "MINIO_ROOT_USER=admin\nMINIO_ROOT_PASSWORD=short\n", "line 2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "minio.env")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o644))
			log, _ := testLogger()
			_, _, err := Ensure(path, filepath.Join(dir, "data"), log)
			require.Error(t, err)
			require.ErrorIs(t, err, shared.ErrInvalidArgument)
			require.Contains(t, err.Error(), tc.want)
			require.Contains(t, err.Error(), path)
			require.NotContains(t, err.Error(), "supersecretpassword")
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			require.Equal(t, tc.content, string(got), "file left as it is")
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o644), st.Mode().Perm(), "a refused file is not touched at all")
		})
	}
}

func TestEnsureRefusesMissingFileBesideExistingData(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	require.NoError(t, os.MkdirAll(filepath.Join(data, ".minio.sys"), 0o700))
	path := filepath.Join(dir, "minio.env")
	log, _ := testLogger()
	_, _, err := Ensure(path, data, log)
	require.ErrorIs(t, err, shared.ErrConflict)
	require.Contains(t, err.Error(), "already holds MinIO data")
	_, err = os.Stat(path)
	require.ErrorIs(t, err, os.ErrNotExist, "no credentials generated")
}

func TestWriteNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "minio.env")
	require.NoError(t, os.WriteFile(path, []byte("keep"), 0o600))
	err := Write(path, Credentials{User: "u", Password: "p"})
	require.ErrorIs(t, err, shared.ErrConflict)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "keep", string(got))
}
