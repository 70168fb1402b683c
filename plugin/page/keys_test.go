package page

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/topology"
	"github.com/quazzar/object-storage/shared"
)

func keyRow(t *testing.T, p shared.Page, ak string) shared.Row {
	t.Helper()
	for _, r := range section(t, p, "keys").Table.Rows {
		if r.ID == ak {
			return r
		}
	}
	t.Fatalf("no row for key %s", ak)
	return shared.Row{}
}

func actionNames(r shared.Row) []string {
	var out []string
	for _, a := range r.Actions {
		out = append(out, a.Action+":"+a.Label)
	}
	return out
}

func TestKeysOverTheirLife(t *testing.T) {
	s := baseState()
	s.Tracking, s.TrackingSince = true, now.Add(-200*24*time.Hour)
	deadline := now.Add(5 * time.Hour)
	s.Keys = []shared.Key{
		{Name: "app", AccessKey: "used", Status: shared.KeyOn, Managed: true, CreatedAt: now.Add(-24 * time.Hour), Owner: "backup-agent",
			Description: "nightly", LastUsed: now.Add(-3 * time.Minute), LastOperation: "PutObject", LastSource: "10.0.0.7",
			Requests24h: 12, Bytes24h: 2048, Errors24h: 1, Expiry: now.Add(12 * 24 * time.Hour)},
		{Name: "idle", AccessKey: "never", Status: shared.KeyOn, Managed: true, CreatedAt: now.Add(-24 * time.Hour), Expiry: now.Add(3 * 24 * time.Hour)},
		{Name: "old", AccessKey: "stale", Status: shared.KeyOff, Managed: true, CreatedAt: now.Add(-400 * 24 * time.Hour), LastUsed: now.Add(-91 * 24 * time.Hour)},
		{Name: "gone", AccessKey: "expired", Status: shared.KeyExpired, Managed: true, CreatedAt: now.Add(-30 * 24 * time.Hour), Expiry: now.Add(-2 * time.Hour)},
		{Name: "ci", AccessKey: "rot-old", Status: shared.KeyRotating, Managed: true, LastUsed: now.Add(-time.Minute),
			Rotation: &shared.KeyRotation{Role: shared.RotationOld, Peer: "rot-new", Started: now, Deadline: deadline}},
		{Name: "ci", AccessKey: "rot-new", Status: shared.KeyRotating, Managed: true,
			Rotation: &shared.KeyRotation{Role: shared.RotationNew, Peer: "rot-old", Started: now, Deadline: deadline}},
	}
	p := build(t, s)

	used := keyRow(t, p, "used")
	require.Equal(t, "last used 3 minutes ago (PutObject from 10.0.0.7)", used.Cells["last_used"].Text)
	require.Equal(t, "12 requests, 2.0 KiB in 24 h; 1 refused", used.Cells["last_used"].Hint)
	require.Equal(t, "owner: backup-agent · nightly", used.Cells["name"].Hint)
	require.Equal(t, "2026-12-11 12:00 UTC", used.Cells["expiry"].Text)
	require.Equal(t, "in 12 days", used.Cells["expiry"].Hint)
	require.Equal(t, "on", used.Cells["status"].Text)
	require.Equal(t, []string{"revoke_key:Revoke", "set_key_status:Disable", "rotate_key:Rotate"}, actionNames(used))

	never := keyRow(t, p, "never")
	require.Equal(t, NeverUsed, never.Cells["last_used"].Text)
	require.Equal(t, "2026-12-02 12:00 UTC — expires soon", never.Cells["expiry"].Text, "expiring within 7 days is flagged")
	require.Contains(t, never.Cells["expiry"].Hint, "in 3 days")

	stale := keyRow(t, p, "stale")
	require.Equal(t, "last used 91 days ago — unused for 90 days", stale.Cells["last_used"].Text)
	require.Equal(t, "disabled", stale.Cells["status"].Text)
	require.Equal(t, []string{"revoke_key:Revoke", "set_key_status:Enable", "rotate_key:Rotate"}, actionNames(stale))
	require.JSONEq(t, `{"access_key":"stale","enabled":true}`, string(stale.Actions[1].Input))

	expired := keyRow(t, p, "expired")
	require.Equal(t, "expired", expired.Cells["status"].Text, "expired is not disabled")
	require.Equal(t, "expired 2 hours ago", expired.Cells["expiry"].Hint)
	require.Equal(t, []string{"revoke_key:Revoke"}, actionNames(expired))

	old, nu := keyRow(t, p, "rot-old"), keyRow(t, p, "rot-new")
	require.Equal(t, "rotating: replaced by rot-new", old.Cells["status"].Text)
	require.Equal(t, "works until 2026-11-29 17:00 UTC (in 5 hours), or until unused for an hour, then revoked", old.Cells["status"].Hint)
	require.Equal(t, "rotating: replaces rot-old", nu.Cells["status"].Text)
	require.Equal(t, "rot-old is revoked by 2026-11-29 17:00 UTC (in 5 hours)", nu.Cells["status"].Hint)
	require.Equal(t, []string{"revoke_key:Revoke", "set_key_status:Disable"}, actionNames(nu), "no second rotation while one runs")

	exp := section(t, p, "keys-expiring")
	require.Contains(t, exp.Notice.Text, "never (idle) in 3 days")
	require.NotContains(t, exp.Notice.Text, "expired")
	require.Contains(t, section(t, p, "keys-unused").Notice.Text, "stale (old)")

	edit := section(t, p, "edit-key")
	require.Equal(t, ActionUpdateKey, edit.Form.Action)
	require.Len(t, edit.Form.Fields[0].Options, len(s.Keys))
	require.Equal(t, "All buckets, read and write (the default)", edit.Form.Fields[1].Templates[0].Label)

	// A cluster's node sees only the requests it answered: no "never
	// used", no "unused for 90 days", and the table says so.
	cs := s
	cs.Topology.Mode = topology.ModeCluster
	p = build(t, cs)
	require.Equal(t, NeverUsedHere, keyRow(t, p, "never").Cells["last_used"].Text)
	require.Equal(t, "last used 91 days ago", keyRow(t, p, "stale").Cells["last_used"].Text)
	require.Contains(t, section(t, p, "keys").Description, ClusterLastUse)
	for _, sec := range p.Sections {
		require.NotEqual(t, "keys-unused", sec.ID, "a cluster's node does not flag unused keys")
	}

	// Not tracked: never a wrong "never used".
	s.Tracking, s.TrackingProblem = false, "MinIO did not take the audit webhook"
	p = build(t, s)
	for _, ak := range []string{"used", "never", "stale"} {
		c := keyRow(t, p, ak).Cells["last_used"]
		require.Equal(t, NotTracked, c.Text, ak)
		require.Equal(t, s.TrackingProblem, c.Hint)
	}
	for _, sec := range p.Sections {
		require.NotEqual(t, "keys-unused", sec.ID, "unused keys are not flagged without tracking")
	}
}

func TestUnused(t *testing.T) {
	day := 24 * time.Hour
	for _, c := range []struct {
		name   string
		k      shared.Key
		since  time.Time
		unused bool
	}{
		{"used 89 days ago", shared.Key{LastUsed: now.Add(-89 * day)}, now.Add(-300 * day), false},
		{"used 90 days ago", shared.Key{LastUsed: now.Add(-90 * day)}, now.Add(-300 * day), true},
		{"never used, made 100 days ago, tracked for 200", shared.Key{CreatedAt: now.Add(-100 * day)}, now.Add(-200 * day), true},
		{"never used, made 100 days ago, tracked for 10", shared.Key{CreatedAt: now.Add(-100 * day)}, now.Add(-10 * day), false},
		{"made elsewhere, first seen 95 days ago", shared.Key{FirstSeen: now.Add(-95 * day)}, now.Add(-95 * day), true},
		{"never used, made yesterday", shared.Key{CreatedAt: now.Add(-day)}, now.Add(-300 * day), false},
	} {
		require.Equal(t, c.unused, Unused(c.k, c.since, now), c.name)
	}
}
