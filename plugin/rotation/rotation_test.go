package rotation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/store"
	"github.com/quazzar/object-storage/shared"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func TestDue(t *testing.T) {
	r := Rotation{Old: "old", New: "new", Started: t0, Deadline: t0.Add(24 * time.Hour)}
	for _, c := range []struct {
		name     string
		lastUsed time.Time
		tracked  bool
		now      time.Time
		due      bool
	}{
		{"just started", time.Time{}, true, t0, false},
		{"never used, an hour after the start", time.Time{}, true, t0.Add(time.Hour), true},
		{"used long before the start: the hour counts from the start", t0.Add(-72 * time.Hour), true, t0.Add(59 * time.Minute), false},
		{"used during the overlap", t0.Add(2 * time.Hour), true, t0.Add(2*time.Hour + 59*time.Minute), false},
		{"unused for an hour after its last use", t0.Add(2 * time.Hour), true, t0.Add(3 * time.Hour), true},
		{"not tracked: only the deadline", time.Time{}, false, t0.Add(23 * time.Hour), false},
		{"deadline", t0.Add(23*time.Hour + 59*time.Minute), true, t0.Add(24 * time.Hour), true},
		{"deadline passed while the add-on was down", time.Time{}, false, t0.Add(30 * 24 * time.Hour), true},
	} {
		due, why := Due(r, c.lastUsed, c.tracked, c.now)
		require.Equal(t, c.due, due, c.name)
		require.Equal(t, due, why != "", c.name)
	}
	// A deadline within the hour comes first.
	short := Rotation{Started: t0, Deadline: t0.Add(30 * time.Second)}
	due, why := Due(short, time.Time{}, true, t0.Add(30*time.Second))
	require.True(t, due)
	require.Contains(t, why, "deadline")
}

func TestParseOverlap(t *testing.T) {
	for in, want := range map[string]time.Duration{"": shared.DefaultRotationOverlap, "24h": 24 * time.Hour, "90m": 90 * time.Minute, "7d": 7 * 24 * time.Hour, "10s": 10 * time.Second} {
		got, err := ParseOverlap(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"soon", "5s", "-1h", "91d", "1d2"} {
		_, err := ParseOverlap(in)
		require.ErrorIs(t, err, shared.ErrInvalidArgument, in)
		require.Equal(t, "overlap", shared.AsError(err).Field, in)
	}
}

func TestSetSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, store.Options{NoSync: true})
	require.NoError(t, err)
	s, err := Open(db)
	require.NoError(t, err)
	a := Rotation{Old: "a-old", New: "a-new", Started: t0, Deadline: t0.Add(time.Hour)}
	b := Rotation{Old: "b-old", New: "b-new", Started: t0, Deadline: t0.Add(time.Minute)}
	require.NoError(t, s.Add(a))
	require.NoError(t, s.Add(b))
	require.NoError(t, db.Close())

	db, err = store.Open(dir, store.Options{NoSync: true})
	require.NoError(t, err)
	defer db.Close()
	s, err = Open(db)
	require.NoError(t, err)
	require.Equal(t, []Rotation{b, a}, s.All(), "by deadline")
	got, ok := s.Of("a-new")
	require.True(t, ok)
	require.Equal(t, a, got)
	require.NoError(t, s.Remove("a-old"))
	_, ok = s.Of("a-old")
	require.False(t, ok)
	require.Equal(t, []Rotation{b}, s.All())
}
