package devhost_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

// Sizes and bounds of BenchmarkReplication. Every loop stops at its count
// or its time bound; the whole benchmark takes about five minutes on 2
// cores.
const (
	lagObjects     = 100 // 1 MiB uploads of the steady stream
	lagEvery       = 250 * time.Millisecond
	lagBound       = 3 * time.Minute // for the last copy to arrive
	lagPoll        = 50 * time.Millisecond
	drainObjects   = 1000
	drainSize      = 16 << 10
	drainBound     = 10 * time.Minute
	tputRounds     = 4
	tputObjects    = 24 // per round and bucket, 1 MiB each
	tputWorkers    = 4
	benchObjectMiB = 1
)

// BenchmarkReplication measures off-site copies between two development
// hosts on this machine, each with its own add-on and MinIO (run it with
// -benchtime 1x; BENCH_ALL=1 make bench does):
//
//   - lag-median-ms, lag-p99-ms: from the end of a 1 MiB upload on the
//     source to the object listed on the target, under a steady stream of
//     one upload every 250 ms (the target is polled every 50 ms);
//   - drain-1000-s: 1,000 objects uploaded while the target was down, from
//     the target answering again to all of them on it;
//   - tput-on-MBps, tput-off-MBps, tput-on/off: upload throughput of the
//     source (4 clients, 1 MiB objects) to a replicated bucket and to a
//     bucket that is not, in alternating rounds of one run.
func BenchmarkReplication(b *testing.B) {
	for b.Loop() {
		benchReplication(b)
	}
}

func benchReplication(b *testing.B) {
	src, dst := rpStartBoth(b)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	for _, name := range []string{"lag", "drain", "tput-on", "tput-off"} {
		src.do(b, "create_bucket", map[string]any{"name": name, "visibility": "private"})
	}
	for _, name := range []string{"lag", "drain", "tput-on"} {
		made := dst.do(b, "create_replica_target", map[string]any{"name": name + "-copy"})
		src.do(b, "replicate_bucket", map[string]any{"name": name, "token": made.Token})
	}
	srcS3, dstS3 := src.root(b), dst.root(b)
	payload := make([]byte, benchObjectMiB<<20)
	_, err := rand.Read(payload)
	require.NoError(b, err)

	// Lag under a steady stream.
	lags := benchLag(b, ctx, srcS3, dstS3, payload)
	slices.Sort(lags)
	b.ReportMetric(float64(lags[len(lags)/2].Milliseconds()), "lag-median-ms")
	b.ReportMetric(float64(lags[min(len(lags)-1, len(lags)*99/100)].Milliseconds()), "lag-p99-ms")
	b.ReportMetric(float64(len(lags)), "lag-objects")

	// Throughput with replication on and off, alternating rounds.
	var on, off time.Duration
	var onBytes, offBytes int64
	for r := range tputRounds {
		for _, bucket := range []string{"tput-on", "tput-off"} {
			took, n := benchUpload(b, ctx, srcS3, bucket, fmt.Sprintf("r%d", r), payload)
			if bucket == "tput-on" {
				on, onBytes = on+took, onBytes+n
			} else {
				off, offBytes = off+took, offBytes+n
			}
		}
	}
	onRate, offRate := float64(onBytes)/on.Seconds()/1e6, float64(offBytes)/off.Seconds()/1e6
	b.ReportMetric(onRate, "tput-on-MBps")
	b.ReportMetric(offRate, "tput-off-MBps")
	b.ReportMetric(onRate/offRate, "tput-on/off")

	// Drain 1,000 pending objects after the target returns.
	b.ReportMetric(benchDrain(b, ctx, src, dst).Seconds(), "drain-1000-s")
}

// benchLag uploads lagObjects objects, one every lagEvery, and returns
// each one's time from upload done to first listed on the target.
func benchLag(b *testing.B, ctx context.Context, srcS3, dstS3 *minio.Client, payload []byte) []time.Duration {
	var (
		mu   sync.Mutex
		done = map[string]time.Time{}
		seen = map[string]time.Time{}
	)
	stop := make(chan struct{})
	var watchErr atomic.Value
	var wg sync.WaitGroup
	wg.Go(func() {
		deadline := time.Now().Add(lagObjects*lagEvery + lagBound)
		for time.Now().Before(deadline) {
			select {
			case <-stop:
				return
			case <-time.After(lagPoll):
			}
			now := time.Now()
			for o := range dstS3.ListObjects(ctx, "lag-copy", minio.ListObjectsOptions{Prefix: "obj-", Recursive: true}) {
				if o.Err != nil {
					watchErr.Store(o.Err)
					break
				}
				mu.Lock()
				if _, ok := seen[o.Key]; !ok {
					seen[o.Key] = now
				}
				mu.Unlock()
			}
			mu.Lock()
			all := len(seen) >= lagObjects
			mu.Unlock()
			if all {
				return
			}
		}
	})
	tick := time.NewTicker(lagEvery)
	for i := range lagObjects {
		<-tick.C
		key := fmt.Sprintf("obj-%03d", i)
		_, err := srcS3.PutObject(ctx, "lag", key, bytes.NewReader(payload), int64(len(payload)), minio.PutObjectOptions{})
		require.NoError(b, err)
		mu.Lock()
		done[key] = time.Now()
		mu.Unlock()
	}
	tick.Stop()
	wg.Wait()
	close(stop)
	if err, ok := watchErr.Load().(error); ok {
		b.Logf("listing the target failed at least once: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var lags []time.Duration
	for k, d := range done {
		if s, ok := seen[k]; ok {
			lags = append(lags, max(0, s.Sub(d)))
		}
	}
	require.Len(b, lags, lagObjects, "every upload reached the target within %s", lagBound)
	return lags
}

// benchUpload uploads tputObjects objects with tputWorkers clients and
// returns the time it took and the bytes sent.
func benchUpload(b *testing.B, ctx context.Context, c *minio.Client, bucket, round string, payload []byte) (time.Duration, int64) {
	var (
		next   atomic.Int64
		failed atomic.Value
		wg     sync.WaitGroup
	)
	began := time.Now()
	for range tputWorkers {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < tputObjects; i = next.Add(1) - 1 {
				key := fmt.Sprintf("%s/%03d", round, i)
				if _, err := c.PutObject(ctx, bucket, key, bytes.NewReader(payload), int64(len(payload)), minio.PutObjectOptions{}); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(began)
	if err, ok := failed.Load().(error); ok {
		require.NoError(b, err)
	}
	return took, int64(tputObjects * len(payload))
}

// benchDrain stops the target, uploads drainObjects objects to bucket
// drain, waits for the source to report them pending, starts the target
// again, and returns the time from the target answering to all of them
// on it.
func benchDrain(b *testing.B, ctx context.Context, src, dst *rpNode) time.Duration {
	dst.stop(b)
	body := bytes.Repeat([]byte("d"), drainSize)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		fail atomic.Value
	)
	srcS3 := src.root(b)
	for range 8 {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < drainObjects; i = next.Add(1) - 1 {
				if _, err := srcS3.PutObject(ctx, "drain", fmt.Sprintf("d/%04d", i), bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{}); err != nil {
					fail.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, ok := fail.Load().(error); ok {
		require.NoError(b, err)
	}
	var r *shared.Replication
	for end := time.Now().Add(3 * time.Minute); time.Now().Before(end); time.Sleep(time.Second) {
		bs, ok := src.doc(b)
		if r = bs["drain"].Replication; ok && r != nil && r.PendingObjects == drainObjects && r.State == shared.ReplicationOffline {
			break
		}
	}
	require.NotNil(b, r)
	require.EqualValues(b, drainObjects, r.PendingObjects, "%+v", r)
	// The clock starts when the target's MinIO answers again, not when
	// its host is done starting.
	up := make(chan time.Time, 1)
	go func() {
		for end := time.Now().Add(5 * time.Minute); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			resp, err := http.Get(dst.s3URL() + "/minio/health/live")
			if err == nil {
				resp.Body.Close()
				up <- time.Now()
				return
			}
		}
		close(up)
	}()
	dst.restart(b)
	began, ok := <-up
	require.True(b, ok, "the target's MinIO answered")
	dstS3 := dst.root(b)
	for time.Since(began) < drainBound {
		n := 0
		for o := range dstS3.ListObjects(ctx, "drain-copy", minio.ListObjectsOptions{Prefix: "d/", Recursive: true}) {
			if o.Err == nil {
				n++
			}
		}
		if n == drainObjects {
			return time.Since(began)
		}
		time.Sleep(500 * time.Millisecond)
	}
	b.Fatalf("%d objects not on the target %s after it came back", drainObjects, drainBound)
	return 0
}
