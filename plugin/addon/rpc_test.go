package addon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// rpcClient serves the add-on over the real net/rpc glue.
func rpcClient(t testing.TB, a *Addon) *shared.PluginClient {
	t.Helper()
	client, _ := plugin.TestPluginRPCConn(t, shared.PluginMap(a), nil)
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(shared.PluginName)
	require.NoError(t, err)
	return raw.(*shared.PluginClient)
}

func TestSecretAppearsInExactlyOneReply(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	c := rpcClient(t, f.a)
	ctx := context.Background()
	_, err := c.CreateBucket(ctx, shared.CreateBucketRequest{Name: "photos", Visibility: shared.Public})
	require.NoError(t, err)

	created, err := c.CreateKey(ctx, shared.CreateKeyRequest{Name: "backup-agent", Policy: keys.ReadOnlyPolicy("photos")})
	require.NoError(t, err)
	secret := created.SecretKey
	require.Len(t, secret, 40)
	viaAction, err := c.Action(ctx, shared.ActionRequest{Action: "create_key", Input: json.RawMessage(`{"name":"second","description":"","policy":"","expiry":""}`)})
	require.NoError(t, err)
	require.True(t, viaAction.OK, viaAction.Message)
	require.Len(t, viaAction.SecretKey, 40)
	require.Contains(t, viaAction.Modal.Values[1].Value, viaAction.SecretKey)

	rotated, err := c.RotateKey(ctx, shared.RotateKeyRequest{AccessKey: created.Key.AccessKey})
	require.NoError(t, err)
	require.Len(t, rotated.SecretKey, 40, "a rotation's answer carries the new secret")

	var replies []any
	add := func(v any, err error) {
		require.NoError(t, err)
		replies = append(replies, v)
	}
	add(c.ListKeys(ctx, shared.ListKeysRequest{}))
	add(c.ListBuckets(ctx, shared.ListBucketsRequest{}))
	add(c.Status(ctx, shared.StatusRequest{}))
	add(c.Endpoint(ctx, shared.EndpointRequest{}))
	add(c.Page(ctx, shared.PageRequest{}))
	add(c.Health(ctx, shared.HealthRequest{}))
	add(c.SetBucketVisibility(ctx, shared.SetBucketVisibilityRequest{Name: "photos", Visibility: shared.Private}))
	add(c.Action(ctx, shared.ActionRequest{Action: "create_key", Input: json.RawMessage(`{"name":"backup-agent"}`)}))
	add(c.Action(ctx, shared.ActionRequest{Action: "revoke_key", Input: json.RawMessage(`{"access_key":"quazzar-0000000000"}`)}))
	_, err = c.RevokeKey(ctx, shared.RevokeKeyRequest{AccessKey: "nope"})
	replies = append(replies, err.Error())
	for i, r := range replies {
		b, err := json.Marshal(r)
		require.NoError(t, err)
		require.NotContains(t, string(b), secret, "reply %d carries the secret", i)
		require.NotContains(t, string(b), viaAction.SecretKey, "reply %d carries the second secret", i)
		require.NotContains(t, string(b), rotated.SecretKey, "reply %d carries the rotated key's secret", i)
	}

	creds := f.a.conn.sup.Credentials()
	logs := f.logs.String()
	for _, s := range []string{secret, viaAction.SecretKey, rotated.SecretKey, creds.Password} {
		require.NotContains(t, logs, s, "log output carries a secret")
	}
	require.Contains(t, logs, created.Key.AccessKey, "the log does name the key (not a secret)")

	// Every file the add-on writes: env file and state dir. The state dir
	// holds MinIO's data too, whose temporary files come and go.
	files := testkit.ReadEachFile(t, 0, func(p string, b []byte) {
		require.NotContains(t, string(b), secret, "file %s carries the secret", p)
		require.NotContains(t, string(b), viaAction.SecretKey, "file %s carries the secret", p)
		require.NotContains(t, string(b), rotated.SecretKey, "file %s carries the secret", p)
	}, filepath.Dir(f.settings[settings.KeyEnvFile]), f.settings[settings.KeyStateDir])
	require.Positive(t, files)

	// MinIO keeps service-account secrets in its IAM store under the data
	// dir: the data dir is 0700 and owned by the user the add-on runs as.
	st, err := os.Stat(f.settings[settings.KeyDataDir])
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())
	require.Equal(t, uint32(os.Getuid()), st.Sys().(*syscall.Stat_t).Uid)
}

func TestConcurrentCreatesOverRPC(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	c := rpcClient(t, f.a)
	// Creates are serialised in the add-on and each costs argon2id on both
	// sides: under the race detector on a busy machine, 12 of them take
	// well over the default call deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const n = 12
	var wg sync.WaitGroup
	res := make([]shared.CreateKeyResponse, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = c.CreateKey(ctx, shared.CreateKeyRequest{Name: fmt.Sprintf("worker-%d", i)})
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range res {
		require.NoError(t, errs[i])
		require.False(t, seen[res[i].Key.AccessKey], "distinct keys")
		seen[res[i].Key.AccessKey] = true
		_, err := f.keyClient(t, res[i].Key.AccessKey, res[i].SecretKey).ListBuckets(ctx)
		require.NoError(t, err, "key %d works", i)
	}
	list, err := c.ListKeys(ctx, shared.ListKeysRequest{})
	require.NoError(t, err)
	require.Len(t, list.Keys, n)
	for _, k := range list.Keys {
		require.True(t, seen[k.AccessKey])
		require.True(t, strings.HasPrefix(k.Name, "worker-"))
	}
}
