package addon

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/page"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// TestFullDisk: MinIO's data dir on a 64 MiB tmpfs, filled with the AWS
// CLI until MinIO refuses a write. The page shows the drive at its warning
// level and what a full disk means, the add-on keeps answering, every
// object accepted is still readable, and once objects are deleted writes
// work again. Nothing is lost.
func TestFullDisk(t *testing.T) {
	t.Parallel()
	data := testkit.MountTmpfs(t, "64m")
	f := start(t, map[string]string{settings.KeyDataDir: data})
	aws := newAWS(t, f)
	ctx := context.Background()
	require.True(t, act(t, f.a, "create_bucket", map[string]any{"name": "fill", "visibility": "private"}).OK)

	began := time.Now()
	const size = 4 << 20
	var stored []string
	var refusal string
	for i := 0; i < 40; i++ { // 64 MiB / 4 MiB = 16 fit at most
		name := fmt.Sprintf("blob-%02d", i)
		p := filepath.Join(aws.home, name)
		require.NoError(t, os.WriteFile(p, bytes.Repeat([]byte{byte('a' + i%26)}, size), 0o600))
		out, err := aws.run("s3", "cp", p, "s3://fill/"+name)
		if err != nil {
			refusal = out
			break
		}
		stored = append(stored, name)
	}
	t.Logf("filled in %s", time.Since(began).Round(time.Second))
	require.NotEmpty(t, refusal, "MinIO never refused a write on a 64 MiB drive")
	require.NotEmpty(t, stored)
	t.Logf("MinIO refused write %d on the 64 MiB tmpfs with: %s", len(stored)+1, refusal)

	var c shared.Capacity
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		var err error
		c, err = f.a.Capacity(ctx, shared.CapacityRequest{})
		if assert.NoError(ct, err) && assert.Len(ct, c.Drives, 1) {
			assert.Contains(ct, []shared.CapacityLevel{shared.CapacityWarning, shared.CapacityCritical}, c.Level, "%+v", c.Drives[0])
		}
	}, 30*time.Second, 500*time.Millisecond, "the drive reaches its warning level")
	require.Equal(t, data, c.Drives[0].Path)
	t.Logf("full drive as MinIO reports it: %d%% used, %d bytes free of %d", page.Percent(c.Drives[0].Used, c.Drives[0].Total), c.Drives[0].Free, c.Drives[0].Total)
	notice, ok := pageSection(t, f.a, "disk-warning-0")
	require.True(t, ok, "the page warns about the drive")
	require.Contains(t, notice.Notice.Text, page.DiskFullText)

	// The add-on keeps answering.
	h, err := f.a.Health(ctx, shared.HealthRequest{})
	require.NoError(t, err)
	require.True(t, h.OK, h.Detail)
	_, err = f.a.ListBuckets(ctx, shared.ListBucketsRequest{})
	require.NoError(t, err)

	// readAll downloads the bucket in one AWS CLI call and checks that
	// every object stored is there, unchanged.
	readAll := func() {
		t.Helper()
		back := t.TempDir()
		aws.must("s3", "sync", "s3://fill/", back)
		for _, name := range stored {
			b, err := os.ReadFile(filepath.Join(back, name))
			require.NoError(t, err, "%s is lost", name)
			require.Equal(t, size, len(b), name)
			require.Equal(t, bytes.Repeat(b[:1], size), b, "%s came back changed", name)
		}
	}
	readAll()
	t.Logf("read back at %s", time.Since(began).Round(time.Second))

	// Deleting makes room: writes work again.
	for _, name := range stored[len(stored)/2:] {
		require.NoError(t, f.rootClient(t).RemoveObject(ctx, "fill", name, minio.RemoveObjectOptions{}))
	}
	stored = stored[:len(stored)/2]
	again := filepath.Join(aws.home, "again")
	require.NoError(t, os.WriteFile(again, []byte("room again"), 0o600))
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		out, err := aws.run("s3", "cp", again, "s3://fill/again")
		assert.NoError(ct, err, out)
	}, 60*time.Second, time.Second, "writes work again after deleting")
	t.Logf("writable again at %s", time.Since(began).Round(time.Second))
	readAll()
}
