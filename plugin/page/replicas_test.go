package page

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

// TestOffSiteCopies: a replicated bucket's cell says target, state,
// pending, failures and last copy, with Resync and Stop replicating; a
// replica says its source; the pairing form offers only buckets that can
// be paired; the receive form is always there.
func TestOffSiteCopies(t *testing.T) {
	s := baseState()
	s.Buckets = []shared.Bucket{
		{Name: "photos", Visibility: shared.Private, Versioning: shared.VersioningEnabled, Replication: &shared.Replication{
			Target: "https://s3.friend.example/photos-copy", State: shared.ReplicationOffline, StateText: "target offline: uploads here succeed and wait",
			PendingObjects: 20, PendingBytes: 160 << 10, Failed1h: 20, LastSuccess: now.Add(-3 * time.Minute), AsOf: now, ReplicateDeletes: true}},
		{Name: "copy", Visibility: shared.Private, ReplicaOf: &shared.ReplicaOf{Bucket: "docs", Endpoint: "https://s3.home.example", Since: now.Add(-time.Hour)}},
		{Name: "vault", Visibility: shared.Private, ObjectLock: true},
		{Name: "plain", Visibility: shared.Private},
	}
	p := build(t, s)
	bs := section(t, p, "buckets")

	photos := row(t, bs, "photos")
	cell := photos.Cells["replication"]
	require.Equal(t, "→ https://s3.friend.example/photos-copy · offline", cell.Text)
	require.Contains(t, cell.Hint, "target offline")
	require.Contains(t, cell.Hint, "20 objects (160.0 KiB) pending")
	require.Contains(t, cell.Hint, "20 failed in the last hour")
	require.Contains(t, cell.Hint, "last copy 3 min ago")
	require.Contains(t, actionLabels(photos), "Resync")
	require.Contains(t, actionLabels(photos), "Stop replicating")
	for _, a := range photos.Actions {
		if a.Action == ActionStopReplication {
			require.True(t, a.Danger)
			require.Contains(t, a.Confirm, "Both copies stay")
			require.JSONEq(t, `{"name":"photos"}`, string(a.Input))
		}
	}

	copyRow := row(t, bs, "copy")
	require.Equal(t, "replica of docs on https://s3.home.example", copyRow.Cells["replication"].Text)
	require.NotContains(t, actionLabels(copyRow), "Stop replicating")
	require.Equal(t, "—", row(t, bs, "plain").Cells["replication"].Text)

	form := section(t, p, "replicate").Form
	require.Equal(t, ActionReplicateBucket, form.Action)
	require.Equal(t, []shared.Option{{Value: "copy", Label: "copy"}, {Value: "plain", Label: "plain"}}, form.Fields[0].Options,
		"not the replicated bucket, nor the one with object lock")
	require.Equal(t, "true", form.Fields[3].Default, "deletes replicated by default")
	require.Equal(t, ActionCreateReplicaTarget, section(t, p, "receive-replicas").Form.Action)

	// Nothing left to pair: no pairing form, the receive form stays.
	s.Buckets = s.Buckets[:1]
	p = build(t, s)
	for _, sec := range p.Sections {
		require.NotEqual(t, "replicate", sec.ID)
	}
	section(t, p, "receive-replicas")
}

func TestTokenModal(t *testing.T) {
	r := shared.CreateReplicaTargetResponse{Bucket: "photos-copy", Token: "cloudos-pair-1e.abc", AccessKey: "quazzar-ABCDEFGHIJ", Endpoint: "https://s3.friend.example", Sealed: true}
	m := TokenModal(r)
	require.Equal(t, "cloudos-pair-1e.abc", m.Values[0].Value)
	require.True(t, m.Values[0].Copy)
	require.Contains(t, m.Warning, "shown once")
	require.Contains(t, m.Text, "give the passphrase separately")
	r.Sealed = false
	require.Contains(t, TokenModal(r).Text, "send it like a password")
}
