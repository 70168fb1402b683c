package addon

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// TestS3ClientsWithAKey points the tools users point at a node (mc,
// s3cmd, rclone) at the S3 API with a key made by the add-on, the way the
// product page shows.
func TestS3ClientsWithAKey(t *testing.T) {
	t.Parallel()
	mc := testkit.Require(t, "mc")
	s3cmd := testkit.Require(t, "s3cmd")
	rclone := testkit.Require(t, "rclone")
	f := start(t, nil)
	ctx := context.Background()
	_, err := f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "photos", Visibility: shared.Private})
	require.NoError(t, err)
	key, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "tools", Policy: keys.ReadWritePolicy("photos")})
	require.NoError(t, err)
	ak, sk := key.Key.AccessKey, key.SecretKey
	addr := f.settings[settings.KeyS3Address]
	endpoint := "http://" + addr
	dir := t.TempDir()
	file := filepath.Join(dir, "logo.png")
	require.NoError(t, os.WriteFile(file, []byte("png bytes"), 0o600))
	run := func(env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		// The machine's own AWS_* variables (AWS_CA_BUNDLE is set on some)
		// must not leak into the clients.
		var base []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				base = append(base, kv)
			}
		}
		cmd.Env = append(append(base, "HOME="+dir), env...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s %v: %s", filepath.Base(name), args, out)
		return string(out)
	}

	// mc, exactly as the product page: alias set, then ls.
	cfg := filepath.Join(dir, "mc")
	run(nil, mc, "--config-dir", cfg, "alias", "set", "quazzar", endpoint, ak, sk)
	run(nil, mc, "--config-dir", cfg, "cp", file, "quazzar/photos/mc.png")
	require.Contains(t, run(nil, mc, "--config-dir", cfg, "ls", "quazzar/photos"), "mc.png")

	// s3cmd, path-style against the loopback address.
	s3 := []string{"--config=/dev/null", "--access_key=" + ak, "--secret_key=" + sk,
		"--host=" + addr, "--host-bucket=" + addr, "--no-ssl", "--region=us-east-1"}
	run(nil, s3cmd, append(s3, "put", file, "s3://photos/s3cmd.png")...)
	require.Contains(t, run(nil, s3cmd, append(s3, "ls", "s3://photos/")...), "s3cmd.png")

	// rclone, configured through its environment.
	env := []string{"RCLONE_CONFIG_Q_TYPE=s3", "RCLONE_CONFIG_Q_PROVIDER=Minio", "RCLONE_CONFIG_Q_ENDPOINT=" + endpoint,
		"RCLONE_CONFIG_Q_ACCESS_KEY_ID=" + ak, "RCLONE_CONFIG_Q_SECRET_ACCESS_KEY=" + sk, "RCLONE_CONFIG_Q_REGION=us-east-1", "RCLONE_CONFIG_Q_NO_CHECK_BUCKET=true"}
	run(env, rclone, "--config", filepath.Join(dir, "rclone.conf"), "copyto", file, "q:photos/rclone.png")
	listing := run(env, rclone, "--config", filepath.Join(dir, "rclone.conf"), "ls", "q:photos")
	for _, name := range []string{"mc.png", "s3cmd.png", "rclone.png"} {
		require.True(t, strings.Contains(listing, name), "rclone lists %s: %s", name, listing)
	}
}
