package keys

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/shared"
)

// setupWithKey is setup with one key, named app, made by the manager.
func setupWithKey(t *testing.T) (env, shared.CreateKeyResponse) {
	t.Helper()
	e := setup(t)
	k, err := e.m.Create(context.Background(), shared.CreateKeyRequest{Name: "app"})
	require.NoError(t, err)
	return e, k
}

// TestKeyCacheReplace: a list read from MinIO is installed with the
// add-on's own changes made after the read began applied on top.
func TestKeyCacheReplace(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	key := func(ak string) shared.Key { return shared.Key{AccessKey: ak, Name: ak, Managed: true} }
	read := func(aks ...string) map[string]shared.Key {
		m := map[string]shared.Key{}
		for _, ak := range aks {
			m[ak] = key(ak)
		}
		return m
	}
	cases := []struct {
		name string
		// before runs own changes and returns the change count at which
		// the read began (changes after it happened during the read).
		before func(c *keyCache) uint64
		read   map[string]shared.Key
		asOf   time.Time
		want   []string
		// pending is how many own changes the next read must still apply.
		pending int
	}{
		{"plain read", func(c *keyCache) uint64 { return c.seq }, read("a", "b"), t0, []string{"a", "b"}, 0},
		{"revoked during the read stays revoked", func(c *keyCache) uint64 {
			since := c.seq
			c.remove("a")
			return since
		}, read("a", "b"), t0, []string{"b"}, 1},
		{"created during the read stays listed", func(c *keyCache) uint64 {
			since := c.seq
			c.put(key("c"))
			return since
		}, read("a", "b"), t0, []string{"a", "b", "c"}, 1},
		{"revoked before the read: the read is right", func(c *keyCache) uint64 {
			c.remove("a")
			return c.seq
		}, read("b"), t0, []string{"b"}, 0},
		{"created before the read, revoked elsewhere since: the read is right", func(c *keyCache) uint64 {
			c.put(key("c"))
			return c.seq
		}, read("a"), t0, []string{"a"}, 0},
		{"an older read is ignored", func(c *keyCache) uint64 { return c.seq }, read("x"), t0.Add(-time.Minute), []string{"a", "b"}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newKeyCache()
			c.replace(0, t0.Add(-time.Second), read("a", "b"))
			since := tc.before(&c)
			c.replace(since, tc.asOf, tc.read)
			var got []string
			for _, k := range c.sorted() {
				got = append(got, k.AccessKey)
			}
			require.Equal(t, tc.want, got)
			require.Len(t, c.changes, tc.pending)
		})
	}
}

func TestRefreshWait(t *testing.T) {
	cases := []struct {
		interval, took time.Duration
		reported       bool
		want           time.Duration
	}{
		{30 * time.Second, 200 * time.Millisecond, false, 30 * time.Second},
		{30 * time.Second, 3 * time.Second, false, 30 * time.Second},
		{30 * time.Second, 5 * time.Second, false, 45 * time.Second},
		{time.Second, 500 * time.Millisecond, false, 4500 * time.Millisecond},
		{time.Second, 0, false, time.Second},
		// Changes made elsewhere reported: ten intervals, still at least
		// nine times the read.
		{30 * time.Second, 200 * time.Millisecond, true, 300 * time.Second},
		{time.Second, 2 * time.Second, true, 18 * time.Second},
	}
	for _, c := range cases {
		require.Equal(t, c.want, refreshWait(c.interval, c.took, c.reported), "interval %s, took %s, reported %v", c.interval, c.took, c.reported)
	}
}

// TestListIsCached: after the first list, creates and revokes through the
// manager show at once without asking MinIO for the list again.
func TestListIsCached(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	first, err := e.m.List(ctx)
	require.NoError(t, err)
	require.Empty(t, first.Keys)
	require.False(t, first.AsOf.IsZero(), "the first list reads MinIO")

	a, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "a"})
	require.NoError(t, err)
	b, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "b", Policy: ReadOnlyPolicy("photos")})
	require.NoError(t, err)
	calls := e.m.admin.Stats().Calls
	l, err := e.m.List(ctx)
	require.NoError(t, err)
	require.Equal(t, []shared.Key{a.Key, b.Key}, l.Keys, "created keys are listed at once, as created")
	require.Equal(t, first.AsOf, l.AsOf, "served from the cache")

	require.NoError(t, e.m.Revoke(ctx, a.Key.AccessKey))
	calls++ // the delete
	require.Equal(t, []shared.Key{b.Key}, list(t, e.m), "a revoked key is gone at once")
	require.Equal(t, calls, e.m.admin.Stats().Calls, "no list call after the first")

	// A refresh reads the same from MinIO.
	require.NoError(t, e.m.Refresh(ctx))
	l, err = e.m.List(ctx)
	require.NoError(t, err)
	require.True(t, l.AsOf.After(first.AsOf))
	require.Len(t, l.Keys, 1)
	require.Equal(t, b.Key.AccessKey, l.Keys[0].AccessKey)
	require.Contains(t, l.Keys[0].Policy, "arn:aws:s3:::photos/*")
}

// TestKeysChangedElsewhereShowAfterRefresh: a key revoked or made with
// root credentials outside the add-on (as mc does) shows after one
// refresh; its name is free for the add-on at once.
func TestKeysChangedElsewhereShowAfterRefresh(t *testing.T) {
	t.Parallel()
	e, ours := setupWithKey(t)
	ctx := context.Background()
	other := rootAdmin(t, e.srv)
	require.NoError(t, other.DeleteServiceAccount(ctx, ours.Key.AccessKey))
	_, err := other.AddServiceAccount(ctx, minioadmin.AddServiceAccountRequest{AccessKey: "made-by-mc", SecretKey: "a-secret-of-mc-1234", Name: "grafana"})
	require.NoError(t, err)

	require.Len(t, list(t, e.m), 1, "the cache has not seen it yet")
	require.NoError(t, e.m.Refresh(ctx))
	keys := list(t, e.m)
	require.Len(t, keys, 1)
	require.Equal(t, "made-by-mc", keys[0].AccessKey)
	require.False(t, keys[0].Managed)

	require.NoError(t, other.DeleteServiceAccount(ctx, "made-by-mc"))
	again, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "app"})
	require.NoError(t, err, "the name of a key revoked elsewhere is free")
	require.NoError(t, e.m.Refresh(ctx))
	keys = list(t, e.m)
	require.Len(t, keys, 1)
	require.Equal(t, again.Key.AccessKey, keys[0].AccessKey)
}

// TestRunRefreshesOnItsInterval: the background loop picks up a key
// revoked elsewhere, and stops with its context.
func TestRunRefreshesOnItsInterval(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.m.Run(ctx, func() time.Duration { return 100 * time.Millisecond }, nil, hclog.NewNullLogger())
	}()
	defer func() {
		cancel()
		<-done
	}()
	k, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "app"})
	require.NoError(t, err)
	require.NoError(t, e.m.admin.DeleteServiceAccount(ctx, k.Key.AccessKey))
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		l, err := e.m.List(ctx)
		assert.NoError(c, err)
		assert.Empty(c, l.Keys)
	}, 5*time.Minute, 50*time.Millisecond, "within the refresh wait (nine times the last refresh, which can take over ten seconds under -race on a busy machine)")
}

// TestRunReadsSoonAfterAReportedChange: with a long interval, a key revoked
// elsewhere stays listed until the change is reported (Changed); then it
// is gone within seconds, and a burst of reports costs one read.
func TestRunReadsSoonAfterAReportedChange(t *testing.T) {
	t.Parallel()
	e, k := setupWithKey(t)
	// Each read of the list decrypts MinIO's reply: one key derivation.
	reads := func() uint64 { return e.m.admin.Stats().KeyDerivations }
	made := reads()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.m.Run(ctx, func() time.Duration { return time.Hour }, nil, hclog.NewNullLogger())
	}()
	defer func() {
		cancel()
		<-done
	}()
	require.Eventually(t, func() bool { return reads() > made }, time.Minute, 20*time.Millisecond, "Run's first read")
	require.NoError(t, rootAdmin(t, e.srv).DeleteServiceAccount(ctx, k.Key.AccessKey))
	before := reads()
	time.Sleep(2 * changeSettle)
	require.Len(t, list(t, e.m), 1, "not reported: not read before the interval")
	require.Equal(t, before, reads())

	for range 20 {
		e.m.Changed()
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Empty(c, list(t, e.m))
	}, time.Minute, 20*time.Millisecond, "read soon after the report")
	time.Sleep(2 * changeSettle)
	require.Equal(t, before+1, reads(), "twenty reports, one read")
}

// TestRefreshRacingRevoke: a refresh that read the list from MinIO before
// a revoke through the add-on finished never lists the revoked key.
func TestRefreshRacingRevoke(t *testing.T) {
	t.Parallel()
	e, k := setupWithKey(t)
	ctx := context.Background()

	// The steps of refreshLocked, with a revoke between the read and the
	// install.
	e.m.mu.Lock()
	since := e.m.cache.seq
	e.m.mu.Unlock()
	asOf := time.Now()
	accounts, err := e.m.admin.ListServiceAccounts(ctx, "")
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	require.NoError(t, e.m.Revoke(ctx, k.Key.AccessKey))
	e.m.install(since, asOf, accounts)
	require.Empty(t, list(t, e.m), "the stale read does not bring the key back")
}

// TestFirstListsShareOneRead: a new manager's first lists, at the same
// time, read MinIO once.
func TestFirstListsShareOneRead(t *testing.T) {
	t.Parallel()
	e, _ := setupWithKey(t)
	ctx := context.Background()
	admin := rootAdmin(t, e.srv)
	fresh, err := New(admin, t.TempDir())
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := fresh.List(ctx)
			assert.NoError(t, err)
			assert.Len(t, l.Keys, 1)
		}()
	}
	wg.Wait()
	// One list, and one read of the key's embedded policy (the default
	// one), which this fresh state folder does not know: not one per caller.
	require.Equal(t, uint64(2), admin.Stats().Calls)
}

// TestConcurrentCacheUse: creates, revokes, lists and refreshes at the
// same time (run under -race). A key is listed as soon as its create
// returns, and never again once its revoke returned.
func TestConcurrentCacheUse(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	listed := func(ak string) (bool, error) {
		l, err := e.m.List(ctx)
		if err != nil {
			return false, err
		}
		for _, k := range l.Keys {
			if k.AccessKey == ak {
				return true, nil
			}
		}
		return false, nil
	}
	// Refreshes and lists run in a loop until the workers are done; a
	// refresh is an encrypted call, so they pause in between.
	stop := make(chan struct{})
	var bg sync.WaitGroup
	loop := func(pause time.Duration, f func() error) {
		bg.Add(1)
		go func() {
			defer bg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(pause):
				}
				if err := f(); ctx.Err() == nil {
					assert.NoError(t, err)
				}
			}
		}()
	}
	loop(50*time.Millisecond, func() error { return e.m.Refresh(ctx) })
	loop(time.Millisecond, func() error { _, err := e.m.List(ctx); return err })
	const workers, rounds = 4, 2
	var wg sync.WaitGroup
	kept := make([]string, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				k, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: fmt.Sprintf("w%d-r%d", w, r)})
				if !assert.NoError(t, err) {
					return
				}
				ok, err := listed(k.Key.AccessKey)
				assert.NoError(t, err)
				assert.True(t, ok, "listed once created")
				if r == rounds-1 {
					kept[w] = k.Key.AccessKey
					continue
				}
				assert.NoError(t, e.m.Revoke(ctx, k.Key.AccessKey))
				for range 5 {
					ok, err := listed(k.Key.AccessKey)
					assert.NoError(t, err)
					assert.False(t, ok, "never listed once revoked")
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	bg.Wait()
	require.NoError(t, e.m.Refresh(ctx))
	var got []string
	for _, k := range list(t, e.m) {
		got = append(got, k.AccessKey)
	}
	require.ElementsMatch(t, kept, got)
}
