package devhost_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/internal/plugintest"
	"github.com/quazzar/object-storage/shared"
)

// TestNothingLostAcrossCrashesAndUpgrade is the newcomer's story: a bucket,
// a key and an object; then the add-on is killed, upgraded, and MinIO is
// killed. S3 clients never notice the first two (MinIO is adopted, same
// pid), and nothing stored or configured is lost after any of them.
func TestNothingLostAcrossCrashesAndUpgrade(t *testing.T) {
	t.Parallel()
	h := uiStartHost(t)
	ctx := context.Background()
	addon := func() *shared.PluginClient {
		p, ok := h.Addons.Plugin(addonID)
		require.True(t, ok)
		c, err := p.Client()
		require.NoError(t, err)
		return c
	}
	_, err := addon().CreateBucket(ctx, shared.CreateBucketRequest{Name: "photos", Visibility: shared.Private})
	require.NoError(t, err)
	key, err := addon().CreateKey(ctx, shared.CreateKeyRequest{Name: "app", Policy: readWrite("photos")})
	require.NoError(t, err)
	s3, err := minio.New(h.S3Address, &minio.Options{Creds: credentials.NewStaticV4(key.Key.AccessKey, key.SecretKey, ""), Region: "us-east-1"})
	require.NoError(t, err)
	_, err = s3.PutObject(ctx, "photos", "a.txt", strings.NewReader("kept"), 4, minio.PutObjectOptions{})
	require.NoError(t, err)
	st, err := addon().Status(ctx, shared.StatusRequest{})
	require.NoError(t, err)
	minioPID := st.PID

	// A client reads the object in a loop the whole time.
	var reads, failures atomic.Int64
	var lastErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			obj, err := s3.GetObject(ctx, "photos", "a.txt", minio.GetObjectOptions{})
			if err == nil {
				var b []byte
				b, err = io.ReadAll(obj)
				if err == nil && string(b) != "kept" {
					err = io.ErrUnexpectedEOF
				}
			}
			reads.Add(1)
			if err != nil {
				failures.Add(1)
				lastErr.Store(err.Error())
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Cleanup(func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	})
	adopted := func(why string) {
		t.Helper()
		require.Eventually(t, func() bool {
			p, _ := h.Addons.Plugin(addonID)
			c, err := p.Client()
			if err != nil {
				return false
			}
			st, err := c.Status(ctx, shared.StatusRequest{})
			return err == nil && st.State == shared.StateRunning && st.Adopted && st.PID == minioPID
		}, 60*time.Second, 100*time.Millisecond, "%s: MinIO pid %d not adopted", why)
	}

	// 1. The add-on is killed: the host restarts it and it adopts MinIO.
	p, _ := h.Addons.Plugin(addonID)
	oldPID := p.Info().PID
	require.NoError(t, syscall.Kill(oldPID, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		i := p.Info()
		return i.State == launcher.StateRunning && i.PID != 0 && i.PID != oldPID
	}, 60*time.Second, 100*time.Millisecond, "the host did not restart the add-on")
	adopted("after the add-on was killed")

	// 2. The add-on is upgraded: a bundle of a new version, installed
	// through the host. A bundle whose executable is not the one its
	// manifest names is refused before anything stops.
	tampered := plugintest.Bundle(t, addonID, plugintest.Options{Version: "0.1.1-upgrade"})
	tamper(t, tampered)
	_, err = h.Addons.Install(ctx, openFile(t, tampered), false)
	require.ErrorContains(t, err, "bundle refused")
	require.Equal(t, launcher.StateRunning, p.Info().State)

	info, err := h.Addons.Install(ctx, openFile(t, plugintest.Bundle(t, addonID, plugintest.Options{Version: "0.1.1-upgrade"})), false)
	require.NoError(t, err)
	require.Equal(t, "0.1.1-upgrade", info.Version)
	adopted("after the upgrade")
	require.Zero(t, failures.Load(), "S3 reads failed while the add-on was killed and upgraded: %v", lastErr.Load())

	// Everything is still there, through the new version.
	bs, err := addon().ListBuckets(ctx, shared.ListBucketsRequest{})
	require.NoError(t, err)
	require.Len(t, bs.Buckets, 1)
	ks, err := addon().ListKeys(ctx, shared.ListKeysRequest{})
	require.NoError(t, err)
	require.Len(t, ks.Keys, 1)
	require.Equal(t, key.Key.AccessKey, ks.Keys[0].AccessKey)
	require.Equal(t, shared.PolicyCustom, ks.Keys[0].PolicyKind)

	// 3. MinIO is killed: the add-on restarts it; data and keys survive.
	require.NoError(t, syscall.Kill(minioPID, syscall.SIGKILL))
	require.Eventually(t, func() bool {
		st, err := addon().Status(ctx, shared.StatusRequest{})
		return err == nil && st.State == shared.StateRunning && st.PID != minioPID && st.Restarts >= 1
	}, 90*time.Second, 100*time.Millisecond, "MinIO was not restarted")
	before := failures.Load()
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	require.Equal(t, before, failures.Load(), "reads fail after MinIO came back: %v", lastErr.Load())
	require.Greater(t, reads.Load(), int64(20))
	obj, err := s3.GetObject(ctx, "photos", "a.txt", minio.GetObjectOptions{})
	require.NoError(t, err)
	got, err := io.ReadAll(obj)
	require.NoError(t, err, "the same key still works and the object is there")
	require.Equal(t, "kept", string(got))
}

func readWrite(bucket string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]}]}`
}

func openFile(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// tamper rewrites a bundle with its executable's last byte changed, so
// that it no longer matches the manifest's checksum.
func tamper(t *testing.T, path string) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("tar", "-xzf", path, "-C", dir)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	exe := filepath.Join(dir, addonID)
	b, err := os.ReadFile(exe)
	require.NoError(t, err)
	b[len(b)-1] ^= 0xff
	require.NoError(t, os.WriteFile(exe, b, 0o755))
	cmd = exec.Command("tar", "-czf", path, "-C", dir, "plugin.json", addonID)
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}
