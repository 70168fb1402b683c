package addon

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// percentiles returns the median and the 99th percentile of durations.
func percentiles(d []time.Duration) (median, p99 time.Duration) {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2], s[(len(s)*99)/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// timeCalls runs f n times and returns each call's duration.
func timeCalls(b *testing.B, n int, f func() error) []time.Duration {
	out := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		require.NoError(b, f())
		out = append(out, time.Since(t0))
	}
	return out
}

// BenchmarkBuckets1000 lists 1,000 buckets through the RPC and refreshes
// their usage, and renders the page with 1,000 buckets and 200 keys.
func BenchmarkBuckets1000(b *testing.B) {
	f := start(b, map[string]string{settings.KeyUsageInterval: "1h"})
	ctx := context.Background()
	svc, err := f.a.conn.services()
	require.NoError(b, err)
	makeBuckets(b, svc.s3, 1000)
	require.NoError(b, svc.buckets.Refresh(ctx))
	c := rpcClient(b, f.a)
	for b.Loop() {
		list, err := c.ListBuckets(ctx, shared.ListBucketsRequest{})
		require.NoError(b, err)
		require.Len(b, list.Buckets, 1000)
	}
	durs := timeCalls(b, 200, func() error { _, err := c.ListBuckets(ctx, shared.ListBucketsRequest{}); return err })
	med, p99 := percentiles(durs)
	b.ReportMetric(ms(med), "list-median-ms")
	b.ReportMetric(ms(p99), "list-p99-ms")

	before := svc.admin.Calls()
	t0 := time.Now()
	require.NoError(b, svc.usage.Refresh(ctx))
	b.ReportMetric(ms(time.Since(t0)), "usage-refresh-ms")
	b.ReportMetric(float64(svc.admin.Calls()-before), "usage-refresh-admin-calls")
}

// BenchmarkKeys measures creating a key, listing 200 keys, and how much of
// each is the admin body encryption's key derivation (argon2id).
func BenchmarkKeys(b *testing.B) {
	f := start(b, map[string]string{settings.KeyUsageInterval: "1h"})
	ctx := context.Background()
	svc, err := f.a.conn.services()
	require.NoError(b, err)
	c := rpcClient(b, f.a)
	i := 0
	create := func() error {
		i++
		_, err := c.CreateKey(ctx, shared.CreateKeyRequest{Name: fmt.Sprintf("bench-%d", i)})
		return err
	}
	for b.Loop() {
		require.NoError(b, create())
	}
	s0 := svc.admin.Stats()
	durs := timeCalls(b, 30, create)
	s1 := svc.admin.Stats()
	med, _ := percentiles(durs)
	var total time.Duration
	for _, d := range durs {
		total += d
	}
	b.ReportMetric(ms(med), "create-median-ms")
	b.ReportMetric(float64(s1.KeyDerivations-s0.KeyDerivations)/30, "create-kdf-per-call")
	b.ReportMetric(100*float64(s1.KeyDerivationTime-s0.KeyDerivationTime)/float64(total), "create-client-kdf-%")

	for i < 200 {
		require.NoError(b, create())
	}
	list, err := c.ListKeys(ctx, shared.ListKeysRequest{})
	require.NoError(b, err)
	require.Len(b, list.Keys, 200)
	s0 = svc.admin.Stats()
	durs = timeCalls(b, 50, func() error { _, err := c.ListKeys(ctx, shared.ListKeysRequest{}); return err })
	s1 = svc.admin.Stats()
	med, p99 := percentiles(durs)
	total = 0
	for _, d := range durs {
		total += d
	}
	b.ReportMetric(ms(med), "list200-median-ms")
	b.ReportMetric(ms(p99), "list200-p99-ms")
	b.ReportMetric(float64(s1.KeyDerivations-s0.KeyDerivations)/50, "list-kdf-per-call")
	b.ReportMetric(100*float64(s1.KeyDerivationTime-s0.KeyDerivationTime)/float64(total), "list-client-kdf-%")

	makeBuckets(b, svc.s3, 1000)
	require.NoError(b, svc.buckets.Refresh(ctx))
	durs = timeCalls(b, 20, func() error { _, err := c.Page(ctx, shared.PageRequest{}); return err })
	med, p99 = percentiles(durs)
	b.ReportMetric(ms(med), "page-1000b-200k-median-ms")
	b.ReportMetric(ms(p99), "page-1000b-200k-p99-ms")
}

func makeBuckets(b *testing.B, s3 *minio.Client, n int) {
	ctx := context.Background()
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			require.NoError(b, s3.MakeBucket(ctx, fmt.Sprintf("bench-%04d", i), minio.MakeBucketOptions{}))
		}()
	}
	wg.Wait()
}
