package addon

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/settings/settingstest"
	"github.com/quazzar/object-storage/shared"
)

type fixture struct {
	a        *Addon
	settings map[string]string
	logs     *testkit.Buffer
}

// start configures a real add-on on a real MinIO in a temporary folder and
// waits until it is running. It is stopped when the test ends.
func start(t testing.TB, extra map[string]string) *fixture {
	t.Helper()
	bin := testkit.Require(t, "minio")
	set := settingstest.Map(t, bin, map[string]string{
		settings.KeyScannerSpeed:  "fastest",
		settings.KeyUsageInterval: "1s",
	})
	for k, v := range extra {
		set[k] = v
	}
	f := configured(t, set)
	f.waitRunning(t)
	return f
}

// configured configures a real add-on with the settings set (MinIO starts
// in the background), stopped when the test ends.
func configured(t testing.TB, set map[string]string) *fixture {
	t.Helper()
	logs := &testkit.Buffer{}
	a := New(hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug}))
	_, err := a.Configure(context.Background(), shared.ConfigureRequest{Settings: set})
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_, _ = a.Shutdown(ctx, shared.ShutdownRequest{StopServices: true})
	})
	return &fixture{a: a, settings: set, logs: logs}
}

func (f *fixture) waitRunning(t testing.TB) {
	t.Helper()
	// The bound allows for MinIO starting beside the package's other
	// parallel tests on 2 shared cores; the log is read when it fails
	// (an argument of Eventually would be read before it waits).
	if !assert.Eventually(t, func() bool {
		_, err := f.a.conn.services()
		return err == nil
	}, 3*time.Minute, 50*time.Millisecond) {
		require.FailNow(t, "add-on never became ready", "status: %+v\nlog:\n%s", f.a.conn.status(), f.logs.String())
	}
}

// keyReadsSettled waits until the reads of the key list that the add-on
// made at its start are over, and returns the admin client's count of key
// derivations then (each read decrypts MinIO's reply: one derivation), so
// that a test can count from there. A read of its own waits for one in
// progress (reads take turns), and one still waiting for it (the loop's
// first) runs right after and shows within the quiet spell. A fixed 3 s
// wait was too short under -race on 2 busy cores.
func keyReadsSettled(t *testing.T, svc *services) uint64 {
	t.Helper()
	require.NoError(t, svc.keys.Refresh(context.Background()))
	derivations := func() uint64 { return svc.admin.Stats().KeyDerivations }
	require.Eventually(t, func() bool {
		d := derivations()
		time.Sleep(5 * time.Second)
		return derivations() == d
	}, 2*time.Minute, 10*time.Millisecond, "no key derivation for 5 s")
	return derivations()
}

func (f *fixture) rootClient(t *testing.T) *minio.Client {
	t.Helper()
	svc, err := f.a.conn.services()
	require.NoError(t, err)
	return svc.s3
}

func (f *fixture) keyClient(t *testing.T, ak, sk string) *minio.Client {
	t.Helper()
	c, err := minio.New(f.settings[settings.KeyS3Address], &minio.Options{Creds: credentials.NewStaticV4(ak, sk, ""), Region: "us-east-1"})
	require.NoError(t, err)
	return c
}

func TestUsageMatchesAfterScan(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	_, err := f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "photos", Visibility: shared.Private})
	require.NoError(t, err)
	list, err := f.a.ListBuckets(ctx, shared.ListBucketsRequest{})
	require.NoError(t, err)
	require.Len(t, list.Buckets, 1)
	require.False(t, list.Buckets[0].Usage.Scanned, "a fresh bucket is not scanned yet")
	require.Contains(t, pageText(t, f), "not scanned yet")

	c := f.rootClient(t)
	sizes := []int{512 << 10, 256 << 10, 256 << 10} // 1 MiB in all
	for i, n := range sizes {
		_, err := c.PutObject(ctx, "photos", "obj-"+string(rune('a'+i)), bytes.NewReader(make([]byte, n)), int64(n), minio.PutObjectOptions{})
		require.NoError(t, err)
	}
	var b shared.Bucket
	require.Eventually(t, func() bool {
		list, err := f.a.ListBuckets(ctx, shared.ListBucketsRequest{})
		require.NoError(t, err)
		b = list.Buckets[0]
		return b.Usage.Scanned && b.Usage.Objects == 3
	}, 3*time.Minute, 500*time.Millisecond, "scanner never reported the 3 objects")
	require.Equal(t, uint64(1<<20), b.Usage.Size)
	require.False(t, b.Usage.ScannedAt.IsZero())
}

func pageText(t *testing.T, f *fixture) string {
	t.Helper()
	p, err := f.a.Page(context.Background(), shared.PageRequest{})
	require.NoError(t, err)
	var sb strings.Builder
	for _, s := range p.Sections {
		if s.Table != nil {
			for _, r := range s.Table.Rows {
				for _, c := range r.Cells {
					sb.WriteString(c.Text + " " + c.Hint + "\n")
				}
			}
		}
	}
	return sb.String()
}

// TestLiveSettingsKeepConnections changes the scanner speed while a client
// is mid-download on a keep-alive connection: the download completes on the
// same connection and MinIO's pid does not change. A region change is
// refused until confirmed.
func TestLiveSettingsKeepConnections(t *testing.T) {
	t.Parallel()
	f := start(t, map[string]string{settings.KeyScannerSpeed: "slow"})
	ctx := context.Background()
	_, err := f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "big", Visibility: shared.Public})
	require.NoError(t, err)
	const size = 8 << 20
	_, err = f.rootClient(t).PutObject(ctx, "big", "blob", bytes.NewReader(make([]byte, size)), size, minio.PutObjectOptions{})
	require.NoError(t, err)
	pid := f.a.conn.sup.Status().PID
	require.NotZero(t, pid)

	var conns int
	var mu sync.Mutex
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		conns++
		mu.Unlock()
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	hc := &http.Client{Transport: tr}
	url := "http://" + f.settings[settings.KeyS3Address] + "/big/blob"
	resp, err := hc.Get(url)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode)
	buf := make([]byte, 1<<20)
	_, err = io.ReadFull(resp.Body, buf) // first MiB read, the rest pending
	require.NoError(t, err)

	next := copyMap(f.settings)
	next[settings.KeyScannerSpeed] = "fastest"
	res, err := f.a.Configure(ctx, shared.ConfigureRequest{Settings: next})
	require.NoError(t, err)
	require.Contains(t, res.AppliedLive, settings.KeyScannerSpeed)
	require.False(t, res.Restarted)

	rest, err := io.Copy(io.Discard, resp.Body)
	require.NoError(t, err, "the download completes")
	require.Equal(t, int64(size-(1<<20)), rest)
	resp.Body.Close()
	resp, err = hc.Get(url) // same keep-alive connection
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, 1, conns, "one connection served both downloads")
	require.Equal(t, pid, f.a.conn.sup.Status().PID, "MinIO was not restarted")
	svc, _ := f.a.conn.services()
	_, kvs, err := svc.admin.GetConfigKV(ctx, "scanner")
	require.NoError(t, err)
	require.Contains(t, kvs[0].Values["speed"], "fastest")

	// Region: needs a restart; nothing changes until confirmed.
	region := copyMap(next)
	region[settings.KeyRegion] = "eu-west-1"
	_, err = f.a.Configure(ctx, shared.ConfigureRequest{Settings: region})
	require.ErrorIs(t, err, shared.ErrNeedsRestart)
	require.Contains(t, err.Error(), "region")
	require.Equal(t, pid, f.a.conn.sup.Status().PID)
	ep, _ := f.a.Endpoint(ctx, shared.EndpointRequest{})
	require.Equal(t, "us-east-1", ep.Region)

	res, err = f.a.Configure(ctx, shared.ConfigureRequest{Settings: region, ConfirmRestart: true})
	require.NoError(t, err)
	require.True(t, res.Restarted)
	require.NotEqual(t, pid, f.a.conn.sup.Status().PID)
	ep, _ = f.a.Endpoint(ctx, shared.EndpointRequest{})
	require.Equal(t, "eu-west-1", ep.Region)
	f.waitRunning(t)
	list, err := f.a.ListBuckets(ctx, shared.ListBucketsRequest{})
	require.NoError(t, err, "the add-on works in the new region")
	require.Len(t, list.Buckets, 1)
}

func copyMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestNotInstalledStillAnswers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := New(hclog.NewNullLogger())
	set := settingstest.Map(t, filepath.Join(dir, "no-such-minio"), nil)
	_, err := a.Configure(context.Background(), shared.ConfigureRequest{Settings: set})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		st, _ := a.Status(context.Background(), shared.StatusRequest{})
		return st.State == shared.StateNotInstalled
	}, 10*time.Second, 20*time.Millisecond)
	st, _ := a.Status(context.Background(), shared.StatusRequest{})
	require.Equal(t, settings.InstallCommand, st.InstallCommand)
	p, err := a.Page(context.Background(), shared.PageRequest{})
	require.NoError(t, err)
	require.Equal(t, settings.InstallCommand, p.Banner.Code)
	_, err = a.ListBuckets(context.Background(), shared.ListBucketsRequest{})
	require.ErrorIs(t, err, shared.ErrUnavailable)
	require.Contains(t, err.Error(), "not installed")
	_, err = a.CreateBucket(context.Background(), shared.CreateBucketRequest{Name: "Bad"})
	require.ErrorIs(t, err, shared.ErrInvalidArgument, "bad input is still reported as such")
	_, err = os.Stat(set[settings.KeyEnvFile])
	require.ErrorIs(t, err, os.ErrNotExist, "no credentials are made for a MinIO that is not there")
}
