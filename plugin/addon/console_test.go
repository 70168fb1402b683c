package addon

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/bucketconfig"
	"github.com/quazzar/object-storage/shared"
)

// settingsSummary is what a failed settings action must not change: each
// bucket's quota, versioning, object lock, retention and lifecycle rules.
func settingsSummary(t *testing.T, a *Addon) []string {
	t.Helper()
	bs, err := a.ListBuckets(context.Background(), shared.ListBucketsRequest{})
	require.NoError(t, err)
	var out []string
	for _, b := range bs.Buckets {
		var rules []string
		for _, r := range b.Lifecycle {
			rules = append(rules, r.ID)
		}
		sort.Strings(rules)
		out = append(out, fmt.Sprintf("%s quota=%d versioning=%s lock=%v retention=%v rules=%v", b.Name, b.Quota, b.Versioning, b.ObjectLock, b.Retention, rules))
	}
	return out
}

// TestConsoleActionsBadInput sends every bucket-settings action its bad
// inputs: each gets a clear message bound to its field (or saying what is
// wrong with the bucket), and nothing changes.
func TestConsoleActionsBadInput(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	a := f.a
	for _, in := range []map[string]any{
		{"name": "data", "visibility": "private"},
		{"name": "vault", "visibility": "private", "object_lock": true, "retention_mode": "governance", "retention_days": 1},
	} {
		r := act(t, a, "create_bucket", in)
		require.True(t, r.OK, r.Message)
	}
	r := act(t, a, "add_lifecycle_rule", map[string]any{"name": "data", "expire_days": 30})
	require.True(t, r.OK, r.Message)
	r = act(t, a, "set_quota", map[string]any{"name": "data", "bytes": "5MiB"})
	require.True(t, r.OK, r.Message)
	before := settingsSummary(t, a)

	cases := []struct {
		action string
		input  any
		field  string
		want   string
		code   shared.Code
	}{
		{"set_quota", map[string]any{"name": "", "bytes": 1}, "name", "required", shared.CodeInvalidArgument},
		{"set_quota", map[string]any{"name": "Data", "bytes": 1}, "name", "uppercase", shared.CodeInvalidArgument},
		{"set_quota", map[string]any{"name": "data"}, "bytes", "bytes is required", shared.CodeInvalidArgument},
		{"set_quota", map[string]any{"name": "data", "bytes": nil}, "bytes", "bytes is required", shared.CodeInvalidArgument},
		{"set_quota", map[string]any{"name": "data", "bytes": -5}, "bytes", "cannot be negative", shared.CodeInvalidArgument},
		{"set_quota", map[string]any{"name": "data", "bytes": 0.5}, "bytes", "not a whole number of bytes", shared.CodeInvalidArgument},
		{"set_quota", map[string]any{"name": "data", "bytes": "ten gigs"}, "bytes", "is not a size", shared.CodeInvalidArgument},
		{"set_quota", map[string]any{"name": "data", "bytes": ""}, "bytes", "bytes is required", shared.CodeInvalidArgument},
		{"set_quota", map[string]any{"name": "data", "bytes": true}, "bytes", "is not a size", shared.CodeInvalidArgument},
		{"set_quota", map[string]any{"name": "missing-bucket", "bytes": "1GiB"}, "", "bucket missing-bucket does not exist", shared.CodeNotFound},
		{"set_quota", map[string]any{"name": "data", "bytes": 1, "unit": "GiB"}, "", "unknown input field", shared.CodeInvalidArgument},

		{"set_versioning", map[string]any{"name": "data", "state": "off"}, "state", "S3 has no way to turn versioning off", shared.CodeInvalidArgument},
		{"set_versioning", map[string]any{"name": "data", "state": "disabled"}, "state", "choose suspended", shared.CodeInvalidArgument},
		{"set_versioning", map[string]any{"name": "data"}, "state", "state is required", shared.CodeInvalidArgument},
		{"set_versioning", map[string]any{"name": "data", "state": true}, "state", "must be a string", shared.CodeInvalidArgument},
		{"set_versioning", map[string]any{"name": "missing-bucket", "state": "enabled"}, "", "does not exist", shared.CodeNotFound},
		{"set_versioning", map[string]any{"name": "vault", "state": "suspended"}, "", "object lock, which keeps versioning on", shared.CodeConflict},

		{"add_lifecycle_rule", map[string]any{"name": "data"}, "expire_days", "the rule does nothing", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "data", "expire_days": -1}, "expire_days", "expire_days is -1", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "data", "noncurrent_days": -7}, "noncurrent_days", "noncurrent_days is -7", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "data", "noncurrent_days": 7, "keep_newest": -1}, "keep_newest", "keep_newest is -1", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "data", "abort_multipart_days": -2}, "abort_multipart_days", "abort_multipart_days is -2", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "data", "expire_days": 40000}, "expire_days", "100 years", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "data", "keep_newest": 500}, "keep_newest", "at most 100", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "data", "expire_days": "30"}, "expire_days", "must be a whole number", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "data", "expire_days": 1.5}, "expire_days", "must be a whole number", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "data", "prefix": "/logs/", "expire_days": 1}, "prefix", "starts with /", shared.CodeInvalidArgument},
		{"add_lifecycle_rule", map[string]any{"name": "missing-bucket", "expire_days": 1}, "", "bucket missing-bucket does not exist", shared.CodeNotFound},

		{"delete_lifecycle_rule", map[string]any{"name": "data"}, "id", "id is required", shared.CodeInvalidArgument},
		{"delete_lifecycle_rule", map[string]any{"name": "data", "id": "no-such-rule"}, "id", "has no lifecycle rule no-such-rule", shared.CodeNotFound},
		{"delete_lifecycle_rule", map[string]any{"name": "missing-bucket", "id": "x"}, "", "does not exist", shared.CodeNotFound},

		{"create_bucket", map[string]any{"name": "new1", "visibility": "private", "retention_mode": "governance", "retention_days": 7}, "retention_mode", "needs object lock", shared.CodeInvalidArgument},
		{"create_bucket", map[string]any{"name": "new1", "visibility": "private", "object_lock": true, "retention_mode": "compliance", "retention_days": 36501}, "retention_days", "100 years", shared.CodeInvalidArgument},
		{"create_bucket", map[string]any{"name": "new1", "visibility": "private", "object_lock": true, "retention_mode": "compliance", "retention_days": -1}, "retention_days", "at least 1 day", shared.CodeInvalidArgument},
		{"create_bucket", map[string]any{"name": "new1", "visibility": "private", "object_lock": true, "retention_mode": "governance"}, "retention_days", "at least 1 day", shared.CodeInvalidArgument},
		{"create_bucket", map[string]any{"name": "new1", "visibility": "private", "object_lock": true, "retention_days": 5}, "retention_mode", "choose governance or compliance", shared.CodeInvalidArgument},
		{"create_bucket", map[string]any{"name": "new1", "visibility": "private", "object_lock": true, "retention_mode": "legal", "retention_days": 5}, "retention_mode", "not known", shared.CodeInvalidArgument},
		{"create_bucket", map[string]any{"name": "new1", "visibility": "private", "object_lock": "yes"}, "object_lock", "true or false", shared.CodeInvalidArgument},

		{"set_retention", map[string]any{"name": "data", "mode": "governance", "days": 7}, "name", bucketconfig.NoLockMessage("data"), shared.CodeConflict},
		{"set_retention", map[string]any{"name": "vault", "mode": "compliance", "days": 40000}, "days", "100 years", shared.CodeInvalidArgument},
		{"set_retention", map[string]any{"name": "vault", "mode": "governance"}, "days", "at least 1 day", shared.CodeInvalidArgument},
		{"set_retention", map[string]any{"name": "missing-bucket", "mode": "governance", "days": 1}, "", "does not exist", shared.CodeNotFound},
	}
	for _, c := range cases {
		res := act(t, a, c.action, c.input)
		require.False(t, res.OK, "%s %v", c.action, c.input)
		require.Contains(t, res.Message, c.want, "%s %v", c.action, c.input)
		require.Equal(t, c.code, res.Code, "%s %v: %s", c.action, c.input, res.Message)
		if c.field != "" {
			require.Contains(t, res.FieldErrors, c.field, "%s %v: %s", c.action, c.input, res.Message)
		} else {
			require.Empty(t, res.FieldErrors, "%s %v", c.action, c.input)
		}
	}
	require.Equal(t, before, settingsSummary(t, a), "a failed action changes nothing")
	bs, err := a.ListBuckets(context.Background(), shared.ListBucketsRequest{})
	require.NoError(t, err)
	require.Len(t, bs.Buckets, 2, "no bucket made by a failed create_bucket")
}

func TestConsoleActionsGoodInput(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	a := f.a
	r := act(t, a, "create_bucket", map[string]any{"name": "data", "visibility": "private"})
	require.True(t, r.OK, r.Message)

	r = act(t, a, "set_quota", map[string]any{"name": "data", "bytes": "10GiB"})
	require.True(t, r.OK, r.Message)
	require.Equal(t, "Bucket data has a quota of 10.0 GiB. MinIO checks it against its scanner's figures, so it is enforced within about one scan cycle.", r.Message)
	r = act(t, a, "set_quota", map[string]any{"name": "data", "bytes": 1048576})
	require.True(t, r.OK, r.Message)
	r = act(t, a, "set_versioning", map[string]any{"name": "data", "state": "enabled"})
	require.True(t, r.OK, r.Message)
	r = act(t, a, "add_lifecycle_rule", map[string]any{"name": "data", "prefix": "logs/", "expire_days": 30, "noncurrent_days": 7, "keep_newest": 3, "abort_multipart_days": 2})
	require.True(t, r.OK, r.Message)
	require.Contains(t, r.Message, "Objects under logs/ are deleted 30 days after upload. Noncurrent versions under logs/ are deleted 7 days after they become noncurrent, keeping the newest 3.")
	r = act(t, a, "add_lifecycle_rule", map[string]any{"name": "data", "keep_newest": 1, "expire_days": nil})
	require.True(t, r.OK, r.Message, "null is an empty number field")

	bs, err := a.ListBuckets(context.Background(), shared.ListBucketsRequest{})
	require.NoError(t, err)
	b := bs.Buckets[0]
	require.EqualValues(t, 1<<20, b.Quota)
	require.Equal(t, shared.VersioningEnabled, b.Versioning)
	require.Len(t, b.Lifecycle, 2)
	id := b.Lifecycle[0].ID
	r = act(t, a, "delete_lifecycle_rule", map[string]any{"name": "data", "id": id})
	require.True(t, r.OK, r.Message)
	require.Equal(t, "Rule "+id+" deleted from bucket data.", r.Message)
	r = act(t, a, "set_versioning", map[string]any{"name": "data", "state": "suspended"})
	require.True(t, r.OK, r.Message)
	require.Contains(t, r.Message, "suspended")
	r = act(t, a, "set_quota", map[string]any{"name": "data", "bytes": 0})
	require.True(t, r.OK, r.Message)
	require.Equal(t, "Bucket data has no quota now.", r.Message)

	r = act(t, a, "create_bucket", map[string]any{"name": "vault", "visibility": "private", "object_lock": true, "retention_mode": "compliance", "retention_days": 1})
	require.True(t, r.OK, r.Message)
	require.Equal(t, "Bucket vault created (private, object lock: every new object is retained 1 days in compliance mode).", r.Message)
	r = act(t, a, "set_retention", map[string]any{"name": "vault", "mode": "", "days": 0})
	require.True(t, r.OK, r.Message)
	require.Contains(t, r.Message, "no default retention now")

	after := strings.Join(settingsSummary(t, a), "\n")
	require.Contains(t, after, "data quota=0 versioning=suspended lock=false retention=<nil> rules=[quazzar-")
	require.Contains(t, after, "vault quota=0 versioning=enabled lock=true retention=<nil> rules=[]")
}

// TestPluginsCannotChooseCompliance: compliance retention binds the node
// owner for good, so another plugin (a call the host forwards with its id)
// may ask for governance only; the owner's page may choose compliance.
func TestPluginsCannotChooseCompliance(t *testing.T) {
	a := New(nil)
	ctx := shared.WithCaller(context.Background(), "backup-agent")
	_, err := a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "vault", Visibility: shared.Private, ObjectLock: true,
		RetentionMode: shared.RetentionCompliance, RetentionDays: 30})
	require.ErrorIs(t, err, shared.ErrPermission)
	require.Contains(t, err.Error(), "plugin backup-agent may not choose compliance retention")
	_, err = a.SetBucketRetention(ctx, shared.SetBucketRetentionRequest{Name: "vault", Mode: shared.RetentionCompliance, Days: 30})
	require.ErrorIs(t, err, shared.ErrPermission)

	// Governance, and the owner's compliance, get past this check (and
	// stop at MinIO, which this add-on has not started).
	_, err = a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "vault", Visibility: shared.Private, ObjectLock: true,
		RetentionMode: shared.RetentionGovernance, RetentionDays: 30})
	require.ErrorIs(t, err, shared.ErrUnavailable)
	_, err = a.CreateBucket(context.Background(), shared.CreateBucketRequest{Name: "vault", Visibility: shared.Private, ObjectLock: true,
		RetentionMode: shared.RetentionCompliance, RetentionDays: 30})
	require.ErrorIs(t, err, shared.ErrUnavailable)
}
