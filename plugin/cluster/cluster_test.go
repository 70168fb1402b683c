package cluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/shared"
)

const pass = "correct horse battery"

func invitation(t *testing.T) Invitation {
	t.Helper()
	id, err := NewID()
	require.NoError(t, err)
	lay, err := Plan(id, "10.0.0.1:9000", []string{"/mnt/a"}, []layout.Node{{Address: "10.0.0.2:9000", Drives: []string{"/mnt/a"}}})
	require.NoError(t, err)
	return Invitation{Cluster: id, Creator: "10.0.0.1:9000", Region: "us-east-1", Pools: lay.Pools, RootUser: "quazzar-root", RootPassword: "very-secret-password-123"}
}

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	inv := invitation(t)
	tok, err := Seal(inv, pass)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(tok, TokenPrefix+inv.Cluster+"."), tok)
	require.NotContains(t, tok, inv.RootPassword)
	require.NotContains(t, inv.String(), inv.RootPassword)

	id, err := Peek(tok)
	require.NoError(t, err)
	require.Equal(t, inv.Cluster, id)
	got, err := Open(" "+tok+"\n", pass)
	require.NoError(t, err)
	require.Equal(t, inv.RootPassword, got.RootPassword)
	require.Equal(t, inv.Pools, got.Pools)

	again, err := Seal(inv, pass)
	require.NoError(t, err)
	require.NotEqual(t, tok, again, "fresh salt and nonce every time")
}

func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	inv := invitation(t)
	tok, err := Seal(inv, pass)
	require.NoError(t, err)
	other := invitation(t)
	otherTok, err := Seal(other, pass)
	require.NoError(t, err)
	_, body, _ := strings.Cut(strings.TrimPrefix(otherTok, TokenPrefix), ".")
	// One character changed to another base64 character (a flipped bit
	// could make it no base64 at all, a different refusal).
	flipped := []byte(tok)
	if flipped[len(flipped)-5] == 'A' {
		flipped[len(flipped)-5] = 'B'
	} else {
		flipped[len(flipped)-5] = 'A'
	}

	cases := []struct {
		name, token, passphrase, field, msg string
	}{
		{"wrong passphrase", tok, "not the passphrase at all", "passphrase", "the passphrase does not open this join token"},
		{"a changed character", string(flipped), pass, "passphrase", "or the token was changed"},
		{"another cluster's body under this id", TokenPrefix + inv.Cluster + "." + body, pass, "passphrase", "does not open"},
		{"cut short", tok[:len(TokenPrefix)+20], pass, "token", "cut short or garbled"},
		{"not base64", TokenPrefix + inv.Cluster + ".!!!!", pass, "token", "cut short or garbled"},
		{"not a token", "hello", pass, "token", "not a join token"},
		{"a key's secret pasted by mistake", "quazzar-ABCDEFGHIJ", pass, "token", "not a join token"},
		{"another version", "qzc2." + strings.TrimPrefix(tok, TokenPrefix), pass, "token", "another version"},
		{"a bad id", TokenPrefix + "X." + body, pass, "token", "not a join token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.token, tc.passphrase)
			require.ErrorIs(t, err, shared.ErrInvalidArgument)
			require.Equal(t, tc.field, shared.AsError(err).Field)
			require.Contains(t, err.Error(), tc.msg)
			require.NotContains(t, err.Error(), inv.RootPassword)
		})
	}
	_, err = Seal(inv, "short")
	require.ErrorContains(t, err, "at least 12 characters")
}

func TestParseNodesAndPlan(t *testing.T) {
	t.Parallel()
	nodes, err := ParseNodes([]string{"10.0.0.2:9000\n 10.0.0.3:9000 /mnt/x,/mnt/y \n\n", "10.0.0.4:9000"}, []string{"/mnt/a", "/mnt/b"})
	require.NoError(t, err)
	require.Equal(t, []layout.Node{
		{Address: "10.0.0.2:9000", Drives: []string{"/mnt/a", "/mnt/b"}},
		{Address: "10.0.0.3:9000", Drives: []string{"/mnt/x", "/mnt/y"}},
		{Address: "10.0.0.4:9000", Drives: []string{"/mnt/a", "/mnt/b"}},
	}, nodes)
	lay, err := Plan("c123456789012", "10.0.0.1:9000", []string{"/mnt/a", "/mnt/b"}, nodes)
	require.NoError(t, err)
	require.Equal(t, "10.0.0.1:9000", lay.Pools[0].Nodes[0].Address, "this node first")
	require.Equal(t, []string{"/mnt/a", "/mnt/b"}, lay.Local())
	require.Len(t, lay.Endpoints(), 8)

	_, err = ParseNodes([]string{"127.0.0.1:9000"}, nil)
	require.ErrorContains(t, err, "loopback")
	for _, tc := range []struct {
		self  string
		nodes []layout.Node
		msg   string
	}{
		{"127.0.0.1:9000", nodes, "other nodes cannot reach"},
		{"10.0.0.1:9000", nil, "at least one other node"},
		{"10.0.0.1:9000", []layout.Node{{Address: "10.0.0.2:9000", Drives: []string{"/a"}}, {Address: "10.0.0.2:9000", Drives: []string{"/a"}}}, "twice"},
		{"10.0.0.1:9000", []layout.Node{{Address: "10.0.0.1:9000", Drives: []string{"/other"}}, {Address: "10.0.0.2:9000", Drives: []string{"/a"}}}, "its drives are /mnt/a"},
		{"10.0.0.1:9000", []layout.Node{{Address: "10.0.0.2:9000", Drives: []string{"rel"}}}, "not an absolute path"},
	} {
		_, err := Plan("c123456789012", tc.self, []string{"/mnt/a"}, tc.nodes)
		require.ErrorContains(t, err, tc.msg)
		require.Equal(t, "nodes", shared.AsError(err).Field)
	}
}

func TestCheckEmptyAndClear(t *testing.T) {
	t.Parallel()
	d1, d2 := t.TempDir(), t.TempDir()
	for _, d := range []string{d1, d2} {
		require.NoError(t, os.MkdirAll(filepath.Join(d, ".minio.sys", "config", "iam", "service-accounts"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(d, ".minio.sys", "format.json"), []byte("{}"), 0o600))
		require.NoError(t, os.Mkdir(filepath.Join(d, "lost+found"), 0o700))
	}
	require.NoError(t, CheckEmpty([]string{d1, d2, filepath.Join(d1, "missing")}), "an empty deployment (format, empty IAM folders) may be cleared")

	require.NoError(t, os.Mkdir(filepath.Join(d2, "photos"), 0o700))
	err := CheckEmpty([]string{d1, d2})
	require.ErrorIs(t, err, shared.ErrConflict)
	require.ErrorContains(t, err, "holds buckets (photos)")
	require.ErrorContains(t, Clear([]string{d1, d2}), "holds buckets", "Clear checks first")
	require.FileExists(t, filepath.Join(d1, ".minio.sys", "format.json"), "and clears nothing when refused")
	require.NoError(t, os.Remove(filepath.Join(d2, "photos")))

	key := filepath.Join(d1, ".minio.sys", "config", "iam", "service-accounts", "quazzar-AAAAAAAAAA", "identity.json")
	require.NoError(t, os.MkdirAll(key, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(key, "xl.meta"), []byte("x"), 0o600))
	require.ErrorContains(t, CheckEmpty([]string{d1, d2}), "access keys")
	require.NoError(t, os.RemoveAll(filepath.Join(d1, ".minio.sys", "config", "iam", "service-accounts", "quazzar-AAAAAAAAAA")))

	require.NoError(t, Clear([]string{d1, d2}))
	for _, d := range []string{d1, d2} {
		require.NoDirExists(t, filepath.Join(d, ".minio.sys"))
		require.DirExists(t, filepath.Join(d, "lost+found"), "only MinIO's folder goes")
	}
}
