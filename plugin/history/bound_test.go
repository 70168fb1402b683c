package history

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/store"
)

// fill records, on a fake clock, n series whose figures change at every
// refresh (the worst case): hourly refreshes for the part of the policy's
// hourly window before its raw window, then one refresh every step for
// the raw window and one hour more. It leaves the store in the steady
// state of a node that has run for longer than the hourly window.
func fill(tb testing.TB, h *History, n int, start time.Time, step time.Duration) time.Time {
	tb.Helper()
	p := h.Policy()
	names := make([]string, n)
	for i := range names {
		names[i] = BucketSeries(fmt.Sprintf("bucket-%04d", i))
	}
	points := make([]Point, n)
	v := uint64(1 << 30)
	record := func(at time.Time) {
		v += 600 << 10
		for i, s := range names {
			points[i] = Point{Series: s, Sample: Sample{At: at, Value: v + uint64(i)*4096}}
		}
		require.NoError(tb, h.Record(at, points))
	}
	at := start
	for end := start.Add(p.Hourly - p.Raw); at.Before(end); at = at.Add(time.Hour) {
		record(at)
	}
	for end := at.Add(p.Raw + time.Hour); at.Before(end); at = at.Add(step) {
		record(at)
	}
	return at
}

// TestFileSizeIsBounded: once a node has run past the hourly window, the
// file stops growing, since what expires frees the pages that new samples
// take (bbolt reuses them).
func TestFileSizeIsBounded(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	require.NoError(t, err)
	defer db.Close()
	h := New(db, Policy{Raw: 2 * time.Hour, Hourly: 24 * time.Hour})
	end := fill(t, h, 20, t0, time.Minute)
	first, err := db.Size()
	require.NoError(t, err)
	series, err := h.Series(BucketSeries("bucket-0007"), end)
	require.NoError(t, err)
	require.Len(t, series, 21+3*60, "one sample per hour of the day before, then every minute of the last 3 hours")

	end = fill(t, h, 20, end, time.Minute)
	second, err := db.Size()
	require.NoError(t, err)
	require.LessOrEqual(t, second, first+first/5, "a second full window does not grow the file (first %d, then %d bytes)", first, second)
	all, err := h.All(end)
	require.NoError(t, err)
	require.Len(t, all, 20)
}

// BenchmarkHistoryFile90Days1000Buckets fills a store as 90 days of
// samples of 1,000 buckets whose size changes at every refresh (every
// 30 s) leave it, and reports the file's size: the bound the README
// gives.
func BenchmarkHistoryFile90Days1000Buckets(b *testing.B) {
	for b.Loop() {
		db, err := store.Open(b.TempDir(), store.Options{NoSync: true})
		require.NoError(b, err)
		h := New(db, DefaultPolicy)
		fill(b, h, 1000, t0, 30*time.Second)
		size, err := db.Size()
		require.NoError(b, err)
		b.ReportMetric(float64(size)/(1<<20), "file-MiB")
		b.ReportMetric(float64(size)/1000/1024, "KiB/bucket")
		require.NoError(b, db.Close())
	}
}

// BenchmarkRecord1000Buckets is what history adds to one usage refresh of
// a node with 1,000 buckets and a drive: one transaction with a point per
// series, when every figure changed (worst case) and when none did (an
// idle node).
func BenchmarkRecord1000Buckets(b *testing.B) {
	for _, changing := range []bool{true, false} {
		name := "unchanged"
		if changing {
			name = "all-changed"
		}
		b.Run(name, func(b *testing.B) {
			db, err := store.Open(b.TempDir(), store.Options{})
			require.NoError(b, err)
			defer db.Close()
			h := New(db, DefaultPolicy)
			points := make([]Point, 1001)
			for i := range 1000 {
				points[i].Series = BucketSeries(fmt.Sprintf("bucket-%04d", i))
			}
			points[1000].Series = DriveSeries("/var/lib/quazzar/objects")
			at := t0
			v := uint64(1 << 30)
			for i := range points { // a node that has run: every series known
				points[i].At, points[i].Value = at, v+uint64(i)
			}
			require.NoError(b, h.Record(at, points))
			b.ReportAllocs()
			for b.Loop() {
				at = at.Add(30 * time.Second)
				if changing {
					v += 4096
				}
				for i := range points {
					points[i].At, points[i].Value = at, v+uint64(i)
				}
				require.NoError(b, h.Record(at, points))
			}
		})
	}
}
