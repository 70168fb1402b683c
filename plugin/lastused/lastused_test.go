package lastused

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/store"
)

var t0 = time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC)

func newAt(now *time.Time, max int) *Table {
	t := New(max)
	t.now = func() time.Time { return *now }
	return t
}

func TestRecordUseAndRefusal(t *testing.T) {
	now := t0
	tab := newAt(&now, 0)
	_, ok := tab.Usage("quazzar-AAAAAAAAAA")
	require.False(t, ok, "never used")

	tab.Record(Event{AccessKey: "quazzar-AAAAAAAAAA", Authenticated: true, Time: t0.Add(-3 * time.Minute), Operation: "PutObject", Source: "10.0.0.7", Status: 200, Bytes: 100})
	tab.Record(Event{AccessKey: "quazzar-AAAAAAAAAA", Authenticated: true, Time: t0.Add(-5 * time.Minute), Operation: "GetObject", Source: "10.0.0.8", Status: 200, Bytes: 50})
	// A refused request (a disabled key names no key in MinIO's entry:
	// the claimed one) is an error, not a use.
	tab.Record(Event{AccessKey: "quazzar-AAAAAAAAAA", Time: t0.Add(-time.Minute), Operation: "GetObject", Source: "10.0.0.9", Status: 403})
	u, ok := tab.Usage("quazzar-AAAAAAAAAA")
	require.True(t, ok)
	require.Equal(t, Usage{LastUsed: t0.Add(-3 * time.Minute), LastOperation: "PutObject", LastSource: "10.0.0.7",
		Requests24h: 2, Bytes24h: 150, Errors24h: 1}, u, "the latest use wins whatever the order events arrive in")

	// 24 hours later the counts are gone, the last use stays.
	now = t0.Add(25 * time.Hour)
	u, _ = tab.Usage("quazzar-AAAAAAAAAA")
	require.Equal(t, Usage{LastUsed: t0.Add(-3 * time.Minute), LastOperation: "PutObject", LastSource: "10.0.0.7"}, u)

	// A slot is reused a day later.
	tab.Record(Event{AccessKey: "quazzar-AAAAAAAAAA", Authenticated: true, Time: now, Operation: "ListBuckets", Status: 200})
	u, _ = tab.Usage("quazzar-AAAAAAAAAA")
	require.EqualValues(t, 1, u.Requests24h)
	require.Equal(t, "ListBuckets", u.LastOperation)
}

func TestWhichKeysAreFollowed(t *testing.T) {
	now := t0
	tab := newAt(&now, 3)
	use := func(ak string, authenticated bool) Event {
		return Event{AccessKey: ak, Authenticated: authenticated, Time: now, Operation: "GetObject", Status: 200}
	}
	tab.Record(use("claimed", false), use("", true))
	require.Equal(t, Stats{Dropped: 2}, tab.Stats(), "an unknown key that MinIO did not authenticate, and no key, start nothing")

	tab.SetKnown([]string{"known"})
	tab.Record(use("known", false))
	tab.Record(use("a", true), use("b", true), use("c", true))
	require.Equal(t, Stats{Events: 3, Dropped: 3, Keys: 3}, tab.Stats(), "the bound stops new unknown keys")
	tab.SetKnown([]string{"known", "a"})
	require.Equal(t, 2, tab.Stats().Keys, "keys no longer listed are dropped")
	tab.Record(use("c", true))
	require.Equal(t, 3, tab.Stats().Keys)
	tab.Forget("a")
	_, ok := tab.Usage("a")
	require.False(t, ok)

	// A future time is taken as now.
	tab.Record(Event{AccessKey: "known", Authenticated: true, Time: now.Add(time.Hour), Status: 200})
	u, _ := tab.Usage("known")
	require.Equal(t, now, u.LastUsed)
	// Text is clipped.
	long := fmt.Sprintf("%0100d", 1)
	tab.Record(Event{AccessKey: "known", Authenticated: true, Time: now, Operation: long, Source: long, Status: 200})
	u, _ = tab.Usage("known")
	require.Len(t, u.LastOperation, maxText)
	require.Len(t, u.LastSource, maxText)
}

func TestSaveAndLoad(t *testing.T) {
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	require.NoError(t, err)
	defer db.Close()
	now := t0
	tab := newAt(&now, 0)
	tab.Record(Event{AccessKey: "k1", Authenticated: true, Time: t0, Operation: "PutObject", Source: "127.0.0.1", Status: 200, Bytes: 7},
		Event{AccessKey: "k2", Authenticated: true, Time: t0, Operation: "GetObject", Status: 200})
	require.NoError(t, tab.Save(db))
	require.NoError(t, tab.Save(db), "nothing changed: nothing written")
	tab.Forget("k2")
	require.NoError(t, tab.Save(db))

	again := newAt(&now, 0)
	again.since = t0.Add(time.Hour)
	require.NoError(t, again.Load(db))
	require.Equal(t, tab.Since(), again.Since(), "tracking began at the first start that saved")
	u, ok := again.Usage("k1")
	require.True(t, ok)
	require.Equal(t, Usage{LastUsed: t0, LastOperation: "PutObject", LastSource: "127.0.0.1", Requests24h: 1, Bytes24h: 7}, u)
	_, ok = again.Usage("k2")
	require.False(t, ok, "a forgotten key is removed from the store")
}

// TestMemoryIsBounded: 100,000 events of as many keys leave the table at
// its bound (the default: 10,000 keys).
func TestMemoryIsBounded(t *testing.T) {
	now := t0
	tab := newAt(&now, 0)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 100000 {
		tab.Record(Event{AccessKey: fmt.Sprintf("key-%d", i), Authenticated: true, Time: now, Operation: "GetObject", Source: "10.0.0.1", Status: 200, Bytes: 1})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	st := tab.Stats()
	require.Equal(t, DefaultMaxKeys, st.Keys)
	require.EqualValues(t, 100000-DefaultMaxKeys, st.Dropped)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("heap grew by %d KiB for %d keys followed", grew>>10, st.Keys)
	require.Less(t, grew, int64(24<<20), "10,000 keys take well under 24 MiB")
}
