package addon

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/supervisor"
	"github.com/quazzar/object-storage/plugin/topology"
	"github.com/quazzar/object-storage/shared"
)

// The drives tests run MinIO on tmpfs mounts: each is a filesystem of its
// own, as a real drive is. MinIO refuses several drives that are folders
// of the root filesystem ("drive not found") unless MINIO_CI_CD=1 turns
// its root-disk check off, and the add-on passes no MINIO_ variable of its
// own environment; tmpfs keeps the tests on MinIO's production path, and
// lets a test pull a drive out (a lazy unmount) and put a new empty one in
// its place.

// mountDrives mounts n tmpfs drives of size each.
func mountDrives(t *testing.T, n int, size string) []string {
	t.Helper()
	out := make([]string, n)
	for i := range out {
		out[i] = testkit.MountTmpfs(t, size)
	}
	return out
}

// topo reads the add-on's topology (the state API's "topology").
func topo(t *testing.T, f *fixture) shared.Topology {
	t.Helper()
	top, err := f.a.Topology(context.Background(), shared.TopologyRequest{})
	require.NoError(t, err)
	return top
}

// driveState is the state of a drive in a topology, "" when absent.
func driveState(top shared.Topology, path string) string {
	for _, n := range top.Nodes {
		for _, d := range n.Drives {
			if d.Path == path {
				return d.State
			}
		}
	}
	return ""
}

// waitDrives waits until MinIO reports every drive of paths in state, and
// returns how long that took.
func waitDrives(t *testing.T, f *fixture, state string, paths ...string) time.Duration {
	t.Helper()
	began := time.Now()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		top := topo(t, f)
		assert.True(c, top.FromMinIO)
		for _, p := range paths {
			assert.Equal(c, state, driveState(top, p), "drive %s", p)
		}
	}, 3*time.Minute, 250*time.Millisecond, "drives %v never %s", paths, state)
	return time.Since(began)
}

// objects writes count random files of varied sizes under a folder.
func objects(t *testing.T, count int) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	want := map[string][]byte{}
	for i := range count {
		b := make([]byte, 1+(i*37%300)<<10)
		_, _ = rand.Read(b)
		name := fmt.Sprintf("obj-%02d", i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
		want[name] = b
	}
	return dir, want
}

// readBack downloads the bucket with the AWS CLI and checks that every
// object is there, unchanged.
func readBack(t *testing.T, aws *awsClient, bucket string, want map[string][]byte) {
	t.Helper()
	dst := t.TempDir()
	aws.must("s3", "sync", "s3://"+bucket+"/", dst)
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(dst, name))
		require.NoError(t, err, "%s is lost", name)
		require.True(t, bytes.Equal(b, got), "%s came back changed", name)
	}
}

// TestFourDrives: MinIO runs one erasure set of 4 drives (tmpfs mounts);
// the page says parity 2, that 2 drives may fail before reads stop and 1
// before writes stop. Objects written with the AWS CLI; one drive pulled
// out: the page shows it offline, reads and writes keep working; a second
// one: reads still work, writes are refused, and the add-on says MinIO is
// degraded with MinIO's reason. New empty drives mounted in their place:
// MinIO formats and heals them, and every object reads back identical,
// with its parts on the new drives.
func TestFourDrives(t *testing.T) {
	t.Parallel()
	drives := mountDrives(t, 4, "64m")
	f := start(t, map[string]string{settings.KeyDataDirs: strings.Join(drives, ",")})
	waitDrives(t, f, shared.DriveOnline, drives...)
	top := topo(t, f)
	require.Equal(t, topology.ModeErasure, top.Mode)
	require.Equal(t, 2, top.Parity, "MinIO's default parity for 4 drives")
	require.Equal(t, [2]int{2, 1}, [2]int{top.ReadTolerance, top.WriteTolerance})
	require.Equal(t, []shared.TopologyPool{{Sets: 1, DrivesPerSet: 4}}, top.Pools)
	sec, ok := pageSection(t, f.a, "topology")
	require.True(t, ok, "the page shows the drives")
	require.Contains(t, sec.Description, "parity 2 (EC:2): in each set, up to 2 drives may fail before data becomes unreadable, and up to 1 drive before writes stop")
	require.Len(t, sec.Table.Rows, 4)

	aws := newAWS(t, f)
	require.True(t, act(t, f.a, "create_bucket", map[string]any{"name": "erasure", "visibility": "private"}).OK)
	src, want := objects(t, 24)
	aws.must("s3", "cp", "--recursive", src, "s3://erasure/")
	readBack(t, aws, "erasure", want)

	// One drive fails (a dead disk: see testkit.FailDrive).
	testkit.FailDrive(t, drives[1])
	took := waitDrives(t, f, shared.DriveOffline, drives[1])
	t.Logf("a pulled drive shows offline after %s", took.Round(100*time.Millisecond))
	notice, ok := pageSection(t, f.a, "drives-offline")
	require.True(t, ok, "the page warns about the drive")
	require.Contains(t, notice.Notice.Text, drives[1])
	readBack(t, aws, "erasure", want)
	one := filepath.Join(t.TempDir(), "with-one-down")
	require.NoError(t, os.WriteFile(one, []byte("written with a drive down"), 0o600))
	aws.must("s3", "cp", one, "s3://erasure/with-one-down")
	want["with-one-down"] = []byte("written with a drive down")

	// A second one: parity 2 keeps data readable, writes need 3 drives.
	testkit.FailDrive(t, drives[2])
	waitDrives(t, f, shared.DriveOffline, drives[2])
	readBack(t, aws, "erasure", want)
	out, err := aws.run("s3", "cp", one, "s3://erasure/with-two-down")
	require.Error(t, err, "a write with 2 of 4 drives down: %s", out)
	t.Logf("a write with two drives down: %s", strings.TrimSpace(out))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		st := f.a.conn.status()
		assert.Equal(c, shared.StateDegraded, st.State)
		assert.Contains(c, strings.ToLower(st.Message), "quorum")
	}, 2*time.Minute, 250*time.Millisecond, "the add-on says MinIO lost its write quorum")
	t.Logf("degraded: %s", f.a.conn.status().Message)

	// New empty drives where the failed ones were: MinIO heals them.
	for _, d := range drives[1:3] {
		testkit.Unmount(t, d) // the dead drive out
		testkit.MountTmpfsAt(t, d, "64m")
	}
	began := time.Now()
	sawHealing := false
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		top := topo(t, f)
		for _, d := range drives[1:3] {
			st := driveState(top, d)
			sawHealing = sawHealing || st == shared.DriveHealing
			assert.Equal(c, shared.DriveOnline, st, "drive %s", d)
			for name := range want {
				_, err := os.Stat(filepath.Join(d, "erasure", name, "xl.meta"))
				assert.NoError(c, err, "%s not healed onto %s yet", name, d)
			}
		}
	}, 5*time.Minute, 500*time.Millisecond, "MinIO never healed the new drives")
	t.Logf("two new drives healed in %s (healing seen on the page: %v)", time.Since(began).Round(time.Second), sawHealing)
	require.Eventually(t, func() bool { return f.a.conn.status().State == shared.StateRunning }, 2*time.Minute, 250*time.Millisecond)
	readBack(t, aws, "erasure", want)
	aws.must("s3", "cp", one, "s3://erasure/after-heal")
}

// TestDriveListChanges: the add-on remembers the drives MinIO was set up
// with. A changed list is refused with what changed, live and at start,
// and MinIO is not started on it (the new drive stays untouched). Drives
// added at the end are a new pool: asked to confirm in the settings form,
// added once confirmed; at start, refused until confirmed on the page
// (add_pool).
func TestDriveListChanges(t *testing.T) {
	t.Parallel()
	first, second, third := mountDrives(t, 4, "32m"), mountDrives(t, 4, "32m"), mountDrives(t, 4, "32m")
	other := testkit.MountTmpfs(t, "32m")
	f := start(t, map[string]string{settings.KeyDataDirs: strings.Join(first, ",")})
	ctx := context.Background()
	require.True(t, act(t, f.a, "create_bucket", map[string]any{"name": "kept", "visibility": "private"}).OK)
	pid := f.a.conn.sup.Status().PID
	stateDir := f.settings[settings.KeyStateDir]
	rec, ok, err := layout.Read(stateDir)
	require.NoError(t, err)
	require.True(t, ok, "the layout is recorded at the first start")
	require.Equal(t, first, rec.Local())

	with := func(drives []string) map[string]string {
		m := maps.Clone(f.settings)
		m[settings.KeyDataDirs] = strings.Join(drives, ",")
		return m
	}
	changed := append(slices.Clone(first[:3]), other)
	_, err = f.a.Configure(ctx, shared.ConfigureRequest{Settings: with(changed), ConfirmRestart: true})
	require.ErrorIs(t, err, shared.ErrConflict)
	require.ErrorContains(t, err, "missing: "+first[3]+"; new: "+other)
	require.ErrorContains(t, err, "Nothing was changed")
	require.Equal(t, pid, f.a.conn.sup.Status().PID, "MinIO untouched")

	grown := append(slices.Clone(first), second...)
	_, err = f.a.Configure(ctx, shared.ConfigureRequest{Settings: with(grown)})
	require.ErrorIs(t, err, shared.ErrNeedsRestart, "a new pool is confirmed first")
	require.ErrorContains(t, err, "as pool 2")
	require.Equal(t, pid, f.a.conn.sup.Status().PID)
	res, err := f.a.Configure(ctx, shared.ConfigureRequest{Settings: with(grown), ConfirmRestart: true})
	require.NoError(t, err)
	require.True(t, res.Restarted)
	f.waitRunning(t)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		top := topo(t, f)
		assert.True(c, top.FromMinIO)
		assert.Len(c, top.Pools, 2)
	}, time.Minute, 250*time.Millisecond)
	_, err = f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "after-growth", Visibility: shared.Private})
	require.NoError(t, err)
	bs, err := f.a.ListBuckets(ctx, shared.ListBucketsRequest{})
	require.NoError(t, err)
	require.Len(t, bs.Buckets, 2, "the first pool's bucket is still there")

	// At start: MinIO is not started on a changed list.
	_, err = f.a.Shutdown(ctx, shared.ShutdownRequest{StopServices: true})
	require.NoError(t, err)
	g := configured(t, with(append(slices.Clone(grown[:7]), other)))
	require.Eventually(t, func() bool { return g.a.conn.status().State == shared.StateFailed }, time.Minute, 50*time.Millisecond)
	st := g.a.conn.status()
	require.Contains(t, st.Message, "the drive list changed (missing: "+second[3]+"; new: "+other+")")
	require.Contains(t, st.Message, "so it was not started")
	require.Zero(t, st.PID)
	_, recorded, err := supervisor.ReadRecord(stateDir)
	require.NoError(t, err)
	require.False(t, recorded, "no MinIO process")
	require.NoDirExists(t, filepath.Join(other, ".minio.sys"), "MinIO never touched the new drive")
	rec, _, err = layout.Read(stateDir)
	require.NoError(t, err)
	require.Len(t, rec.Pools, 2, "the layout is as it was")
	_, err = g.a.Shutdown(ctx, shared.ShutdownRequest{StopServices: true})
	require.NoError(t, err)

	// At start with a third pool listed: waits for the page's confirmation.
	h := configured(t, with(append(slices.Clone(grown), third...)))
	require.Eventually(t, func() bool { return h.a.conn.status().State == shared.StateFailed }, time.Minute, 50*time.Millisecond)
	require.Contains(t, h.a.conn.status().Message, "confirm the new pool on the Object Storage page")
	sec, ok := pageSection(t, h.a, "pending-pool")
	require.True(t, ok, "the page offers the new pool")
	require.Len(t, sec.Table.Rows, 1)
	require.Len(t, sec.Table.Rows[0].Actions, 1)
	require.Contains(t, sec.Table.Rows[0].Actions[0].Confirm, "as pool 3")
	wrong := act(t, h.a, "add_pool", map[string]any{"drives": third[:2]})
	require.False(t, wrong.OK)
	require.Contains(t, wrong.FieldErrors, "drives")
	r := act(t, h.a, "add_pool", map[string]any{"drives": third})
	require.True(t, r.OK, r.Message)
	require.Contains(t, r.Message, "Pool 3 added")
	h.waitRunning(t)
	bs, err = h.a.ListBuckets(ctx, shared.ListBucketsRequest{})
	require.NoError(t, err)
	require.Len(t, bs.Buckets, 2)
	_, ok = pageSection(t, h.a, "pending-pool")
	require.False(t, ok)
}
