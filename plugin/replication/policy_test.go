package replication

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/shared"
)

func TestStateOf(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	recent, old := now.Add(-10*time.Second), now.Add(-2*LagAfter)
	cases := []struct {
		name string
		f    Figures
		want shared.ReplicationState
	}{
		{"nothing pending", Figures{Online: true}, shared.ReplicationHealthy},
		{"fresh uploads on their way", Figures{Online: true, Pending: 5, OldestPending: recent}, shared.ReplicationHealthy},
		{"a version waited too long", Figures{Online: true, Pending: 5, OldestPending: old}, shared.ReplicationLagging},
		{"just at the threshold", Figures{Online: true, Pending: 1, OldestPending: now.Add(-LagAfter)}, shared.ReplicationHealthy},
		{"failed versions, failing now", Figures{Online: true, Pending: 3, Failed: 3, OldestPending: recent, FailedLastMinute: 2}, shared.ReplicationFailing},
		{"failed versions being retried after a return", Figures{Online: true, Pending: 3, Failed: 3, OldestPending: old}, shared.ReplicationLagging},
		{"failures a while ago, nothing failed left", Figures{Online: true, FailedLastMinute: 4}, shared.ReplicationHealthy},
		{"target offline", Figures{Online: false, Pending: 20, Failed: 20, OldestPending: recent, FailedLastMinute: 20}, shared.ReplicationOffline},
		{"offline with nothing pending", Figures{}, shared.ReplicationOffline},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.want, StateOf(c.f, now))
			require.NotEmpty(t, StateText(StateOf(c.f, now)))
		})
	}
}

func TestSuccessMarkObserve(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	cases := []struct {
		name    string
		mark    successMark
		arn     string
		count   uint64
		want    successMark
		changed bool
	}{
		{"first sight, unknown time", successMark{}, "arn1", 7, successMark{ARN: "arn1", Count: 7}, true},
		{"the count grew: a copy now", successMark{ARN: "arn1", Count: 7, At: t0}, "arn1", 9, successMark{ARN: "arn1", Count: 9, At: t1}, true},
		{"no change", successMark{ARN: "arn1", Count: 9, At: t0}, "arn1", 9, successMark{ARN: "arn1", Count: 9, At: t0}, false},
		{"MinIO restarted: counts start again, time kept", successMark{ARN: "arn1", Count: 9, At: t0}, "arn1", 2, successMark{ARN: "arn1", Count: 2, At: t0}, true},
		{"paired again: another target", successMark{ARN: "arn1", Count: 9, At: t0}, "arn2", 3, successMark{ARN: "arn2", Count: 3}, true},
		{"set up here at 0, first copies", successMark{ARN: "arn1"}, "arn1", 1, successMark{ARN: "arn1", Count: 1, At: t1}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, changed := c.mark.observe(c.arn, c.count, t1)
			require.Equal(t, c.want, got)
			require.Equal(t, c.changed, changed)
		})
	}
}

// TestTargetPolicy: the key's policy names one bucket and its objects,
// only S3 actions, and passes the add-on's own key checks (no admin).
func TestTargetPolicy(t *testing.T) {
	p := TargetPolicy("photos-copy")
	var doc struct {
		Version   string
		Statement []struct {
			Effect   string
			Action   []string
			Resource []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(p), &doc))
	require.Equal(t, "2012-10-17", doc.Version)
	require.Len(t, doc.Statement, 2)
	require.Equal(t, []string{"arn:aws:s3:::photos-copy"}, doc.Statement[0].Resource)
	require.Equal(t, BucketActions, doc.Statement[0].Action)
	require.Equal(t, []string{"arn:aws:s3:::photos-copy/*"}, doc.Statement[1].Resource)
	require.Equal(t, ObjectActions, doc.Statement[1].Action)
	for _, st := range doc.Statement {
		require.Equal(t, "Allow", st.Effect)
		for _, a := range st.Action {
			require.Regexp(t, `^s3:[A-Za-z]+$`, a, "no wildcard, nothing beyond S3")
		}
	}
	require.False(t, keys.GrantsAdmin(p))
	got, err := keys.CheckCreate(shared.CreateKeyRequest{Name: "replica-photos-copy", Policy: p}, time.Now())
	require.NoError(t, err)
	require.JSONEq(t, p, got)
}
