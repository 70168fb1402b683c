package addon

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/history"
	"github.com/quazzar/object-storage/plugin/store"
	"github.com/quazzar/object-storage/plugin/usage"
)

// BenchmarkUsageRefreshHistory is one usage refresh of a node with 1,000
// buckets and a drive, with history off and on: the difference is what
// keeping history costs a refresh (time and allocations). The figures come
// from an in-process source, so that MinIO's own time (BenchmarkBuckets1000
// reports it) does not hide the difference; every bucket grows at every
// refresh (the worst case) or none does (an idle node).
func BenchmarkUsageRefreshHistory(b *testing.B) {
	for _, tc := range []struct {
		name    string
		history bool
		growing bool
	}{{"off", false, true}, {"on/all-growing", true, true}, {"on/idle", true, false}} {
		b.Run(tc.name, func(b *testing.B) {
			scan := time.Now()
			size := uint64(1 << 30)
			src := func(ctx context.Context) (usage.Snapshot, error) {
				scan = scan.Add(30 * time.Second)
				if tc.growing {
					size += 4096
				}
				snap := usage.Snapshot{ScannedAt: scan, Buckets: make(map[string]usage.Figures, 1000),
					Drives: []usage.Drive{{Path: "/var/lib/quazzar/objects", State: "ok", Total: 1 << 40, Used: size, Available: 1<<40 - size}}}
				for i := range 1000 {
					snap.Buckets[fmt.Sprintf("bucket-%04d", i)] = usage.Figures{Size: size + uint64(i), Objects: 10}
				}
				return snap, nil
			}
			p := usage.New(src, time.Hour, hclog.NewNullLogger())
			if tc.history {
				db, err := store.Open(b.TempDir(), store.Options{})
				require.NoError(b, err)
				b.Cleanup(func() { _ = db.Close() })
				p.SetRecorder(recorder(history.New(db, history.DefaultPolicy), hclog.NewNullLogger()))
			}
			ctx := context.Background()
			require.NoError(b, p.Refresh(ctx)) // a node that has run: every series known
			b.ReportAllocs()
			for b.Loop() {
				require.NoError(b, p.Refresh(ctx))
			}
		})
	}
}
