package launcher

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAfterFailure(t *testing.T) {
	pol := DefaultPolicy() // 3 within 60 minutes, backoff 1 s doubling to 30 s
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	cases := []struct {
		name     string
		failures []time.Time
		kept     int
		giveUp   bool
		wait     time.Duration
	}{
		{"first failure", nil, 1, false, time.Second},
		{"second within the window", []time.Time{ago(time.Minute)}, 2, false, 2 * time.Second},
		{"third within the window gives up", []time.Time{ago(50 * time.Minute), ago(time.Minute)}, 3, true, 0},
		{"old failures leave the window", []time.Time{ago(61 * time.Minute), ago(90 * time.Minute)}, 1, false, time.Second},
		{"one old, one recent", []time.Time{ago(2 * time.Hour), ago(59 * time.Minute)}, 2, false, 2 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kept, giveUp, wait := afterFailure(c.failures, now, pol)
			require.Len(t, kept, c.kept)
			require.Equal(t, now, kept[len(kept)-1])
			require.Equal(t, c.giveUp, giveUp)
			require.Equal(t, c.wait, wait)
		})
	}
	// The backoff is capped.
	pol.MaxFailures = 100
	var fs []time.Time
	var wait time.Duration
	for range 10 {
		fs, _, wait = afterFailure(fs, now, pol)
	}
	require.Equal(t, pol.BackoffMax, wait)
}
