package addon

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/page"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// mcAs runs mc with a key as the alias "node" (MC_HOST_node), in a
// config folder of the test's own, and returns its output and error.
func mcAs(t *testing.T, f *fixture, ak, sk string, args ...string) (string, error) {
	t.Helper()
	mc := testkit.Require(t, "mc")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, mc, append([]string{"--config-dir", filepath.Join(t.TempDir(), "mc"), "--no-color"}, args...)...)
	cmd.Env = append(os.Environ(), "MC_HOST_node=http://"+ak+":"+sk+"@"+f.settings[settings.KeyS3Address])
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// createKey runs the page's create_key action and returns the result.
func createKey(t *testing.T, f *fixture, input map[string]any) shared.ActionResult {
	t.Helper()
	b, _ := json.Marshal(input)
	res, err := f.a.Action(context.Background(), shared.ActionRequest{Action: page.ActionCreateKey, Input: b})
	require.NoError(t, err)
	require.True(t, res.OK, res.Message)
	return res
}

func keyNamed(t *testing.T, f *fixture, access string) shared.Key {
	t.Helper()
	list, err := f.a.ListKeys(context.Background(), shared.ListKeysRequest{})
	require.NoError(t, err)
	for _, k := range list.Keys {
		if k.AccessKey == access {
			return k
		}
	}
	t.Fatalf("key %s not listed", access)
	return shared.Key{}
}

// TestDefaultKeyCannotAdminister: a key made without a policy (the page's
// default) has S3 on every bucket and no admin API: it cannot read the
// server's info nor mint keys that would outlive it.
func TestDefaultKeyCannotAdminister(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	_, err := f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "root-made", Visibility: shared.Private})
	require.NoError(t, err)
	res := createKey(t, f, map[string]any{"name": "app"})
	k := keyNamed(t, f, res.AccessKey)
	require.Equal(t, shared.PolicyAllBuckets, k.PolicyKind)
	require.False(t, k.Admin)

	c := f.keyClient(t, res.AccessKey, res.SecretKey)
	for _, bucket := range []string{"root-made", "app-made"} {
		if bucket == "app-made" {
			require.NoError(t, c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}), "the key creates buckets")
		}
		_, err := c.PutObject(ctx, bucket, "o.txt", bytes.NewReader([]byte("hi")), 2, minio.PutObjectOptions{})
		require.NoError(t, err, "write in %s", bucket)
		obj, err := c.GetObject(ctx, bucket, "o.txt", minio.GetObjectOptions{})
		require.NoError(t, err)
		_, err = obj.Stat()
		require.NoError(t, err, "read in %s", bucket)
		require.NoError(t, c.RemoveObject(ctx, bucket, "o.txt", minio.RemoveObjectOptions{}), "delete in %s", bucket)
	}
	require.NoError(t, c.RemoveBucket(ctx, "app-made"), "the key deletes buckets")

	out, err := mcAs(t, f, res.AccessKey, res.SecretKey, "admin", "info", "node")
	require.Error(t, err, "mc admin info with a default key: %s", out)
	require.Contains(t, out, "Access Denied")
	out, err = mcAs(t, f, res.AccessKey, res.SecretKey, "admin", "user", "svcacct", "add", "node", res.AccessKey)
	require.Error(t, err, "mc admin user svcacct add with a default key: %s", out)
	require.Contains(t, out, "Access Denied")
	require.NoError(t, f.mustRefreshKeys(ctx))
	list, err := f.a.ListKeys(ctx, shared.ListKeysRequest{})
	require.NoError(t, err)
	require.Len(t, list.Keys, 1, "no key was minted")
}

func (f *fixture) mustRefreshKeys(ctx context.Context) error {
	svc, err := f.a.conn.services()
	if err != nil {
		return err
	}
	return svc.keys.Refresh(ctx)
}

var mcAccessKey = regexp.MustCompile(`Access Key:\s*(\S+)`)

// TestAdministratorKeyAndTheKeysItMakes: an administrator key is an
// explicit choice and flagged; a key it mints with mc shows as made
// outside this page, is revocable from the page, and revoking the
// administrator key offers it too.
func TestAdministratorKeyAndTheKeysItMakes(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	admin := createKey(t, f, map[string]any{"name": "ops", "admin": true})
	k := keyNamed(t, f, admin.AccessKey)
	require.True(t, k.Admin)
	require.Equal(t, shared.PolicyInherited, k.PolicyKind)

	out, err := mcAs(t, f, admin.AccessKey, admin.SecretKey, "admin", "info", "node")
	require.NoError(t, err, "mc admin info with an administrator key: %s", out)

	mint := func() string {
		time.Sleep(1100 * time.Millisecond) // first seen strictly after the admin key's creation second
		out, err := mcAs(t, f, admin.AccessKey, admin.SecretKey, "admin", "user", "svcacct", "add", "node", admin.AccessKey)
		require.NoError(t, err, "mc admin user svcacct add with an administrator key: %s", out)
		m := mcAccessKey.FindStringSubmatch(out)
		require.NotNil(t, m, out)
		require.NoError(t, f.mustRefreshKeys(ctx))
		return m[1]
	}
	minted := mint()
	m := keyNamed(t, f, minted)
	require.False(t, m.Managed, "made outside this page")
	require.False(t, m.FirstSeen.IsZero())
	require.Contains(t, keyNamed(t, f, admin.AccessKey).MayHaveCreated, minted)

	// The page flags the administrator key and offers both revocations.
	p, err := f.a.Page(ctx, shared.PageRequest{})
	require.NoError(t, err)
	var adminRow, mintedRow shared.Row
	for _, s := range p.Sections {
		if s.ID == "keys" {
			for _, r := range s.Table.Rows {
				switch r.ID {
				case admin.AccessKey:
					adminRow = r
				case minted:
					mintedRow = r
				}
			}
		}
	}
	require.Equal(t, "administrator", adminRow.Cells["policy"].Text)
	require.Equal(t, "created outside this page", mintedRow.Cells["created"].Text)
	require.Contains(t, mintedRow.Actions[0].Confirm, minted)

	// Revoking the minted key alone works.
	res, err := f.a.Action(ctx, shared.ActionRequest{Action: page.ActionRevokeKey, Input: mintedRow.Actions[0].Input})
	require.NoError(t, err)
	require.True(t, res.OK, res.Message)
	require.NotContains(t, keysOf(t, f), minted)

	// Another one; then the administrator key with it, as the page offers.
	minted = mint()
	p, err = f.a.Page(ctx, shared.PageRequest{})
	require.NoError(t, err)
	var offer *shared.RowAction
	for _, s := range p.Sections {
		if s.ID == "keys" {
			for _, r := range s.Table.Rows {
				for i, a := range r.Actions {
					if r.ID == admin.AccessKey && a.Action == page.ActionRevokeKey && strings.HasPrefix(a.Label, "Revoke with") {
						offer = &r.Actions[i]
					}
				}
			}
		}
	}
	require.NotNil(t, offer, "revoking the administrator key offers the keys it may have made")
	require.Contains(t, offer.Confirm, minted)
	res, err = f.a.Action(ctx, shared.ActionRequest{Action: page.ActionRevokeKey, Input: offer.Input})
	require.NoError(t, err)
	require.True(t, res.OK, res.Message)
	require.NotContains(t, keysOf(t, f), minted)
	require.NotContains(t, keysOf(t, f), admin.AccessKey)
	out, err = mcAs(t, f, admin.AccessKey, admin.SecretKey, "admin", "info", "node")
	require.Error(t, err, "the revoked administrator key no longer works: %s", out)
}

func keysOf(t *testing.T, f *fixture) []string {
	t.Helper()
	require.NoError(t, f.mustRefreshKeys(context.Background()))
	list, err := f.a.ListKeys(context.Background(), shared.ListKeysRequest{})
	require.NoError(t, err)
	var out []string
	for _, k := range list.Keys {
		out = append(out, k.AccessKey)
	}
	return out
}

// TestPluginsCannotMakeAdministratorKeys: a call on another plugin's
// behalf (the host attaches its id) is refused an administrator key, a
// policy beyond S3, and revoking keys it could not have made.
func TestPluginsCannotMakeAdministratorKeys(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := shared.WithCaller(context.Background(), "backup-agent")
	_, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "sneaky", Admin: true})
	require.ErrorIs(t, err, shared.ErrPermission)
	_, err = f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "sneaky", Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"],"Resource":["arn:aws:s3:::*"]}]}`})
	require.ErrorIs(t, err, shared.ErrPermission)
	own, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "agent", Policy: ""})
	require.NoError(t, err)
	require.Equal(t, shared.PolicyAllBuckets, own.Key.PolicyKind, "a plugin's key without a policy gets S3 on every bucket, no administration")
	admin := createKey(t, f, map[string]any{"name": "ops", "admin": true})
	_, err = f.a.RevokeKey(ctx, shared.RevokeKeyRequest{AccessKey: admin.AccessKey})
	require.ErrorIs(t, err, shared.ErrPermission, "a plugin cannot revoke an administrator key")
	_, err = f.a.RevokeKey(ctx, shared.RevokeKeyRequest{AccessKey: own.Key.AccessKey, AlsoRevoke: []string{admin.AccessKey}})
	require.ErrorIs(t, err, shared.ErrPermission)
	require.Contains(t, keysOf(t, f), own.Key.AccessKey, "a refused call revokes nothing")
	_, err = f.a.RevokeKey(ctx, shared.RevokeKeyRequest{AccessKey: own.Key.AccessKey})
	require.NoError(t, err)
}
