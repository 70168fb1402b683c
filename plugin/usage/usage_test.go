package usage

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/require"
)

// The source here is a pure function: the poller's caching is tested on
// its own; the real scanner is exercised by the add-on's tests.
func TestPollerCaches(t *testing.T) {
	scan := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	calls := 0
	fail := false
	src := func(ctx context.Context) (Snapshot, error) {
		calls++
		if fail {
			return Snapshot{}, errors.New("down")
		}
		return Snapshot{ScannedAt: scan, Buckets: map[string]Figures{"photos": {Size: 1 << 20, Objects: 3}}}, nil
	}
	p := New(src, time.Hour, hclog.NewNullLogger())
	var recorded []Snapshot
	p.SetRecorder(func(s Snapshot, fetched time.Time) { recorded = append(recorded, s) })
	require.False(t, p.Usage("photos").Scanned, "nothing before the first refresh")
	require.NoError(t, p.Refresh(context.Background()))
	require.Len(t, recorded, 1, "a fresh snapshot is recorded")
	u := p.Usage("photos")
	require.True(t, u.Scanned)
	require.Equal(t, uint64(1<<20), u.Size)
	require.Equal(t, uint64(3), u.Objects)
	require.Equal(t, scan, u.ScannedAt)
	require.False(t, p.Usage("fresh").Scanned, "a bucket not swept yet")

	fail = true
	require.Error(t, p.Refresh(context.Background()))
	require.Len(t, recorded, 1, "a failed refresh records nothing")
	require.True(t, p.Usage("photos").Scanned, "a failed refresh keeps the last figures")
	_, _, err := p.Snapshot()
	require.Error(t, err)
	require.Equal(t, 2, calls)

	require.False(t, Snapshot{Buckets: map[string]Figures{"x": {}}}.Usage("x").Scanned, "no scan time: not scanned")
}

func TestPollerRunAndInterval(t *testing.T) {
	got := make(chan struct{}, 10)
	src := func(ctx context.Context) (Snapshot, error) {
		got <- struct{}{}
		return Snapshot{}, nil
	}
	p := New(src, time.Hour, hclog.NewNullLogger())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go p.Run(ctx)
	<-got // immediate first refresh
	p.SetInterval(10 * time.Millisecond)
	<-got
	<-got
}
