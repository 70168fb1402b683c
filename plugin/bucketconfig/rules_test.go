package bucketconfig

import (
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7/pkg/lifecycle"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestCheckRule(t *testing.T) {
	ok := shared.AddLifecycleRuleRequest{Name: "logs", Prefix: "app/", ExpireDays: 30}
	require.NoError(t, CheckRule(ok))
	require.NoError(t, CheckRule(shared.AddLifecycleRuleRequest{Name: "logs", KeepNewest: 3}), "keep the newest 3 noncurrent versions, no days")
	for _, c := range []struct {
		name  string
		req   shared.AddLifecycleRuleRequest
		field string
		want  string
	}{
		{"bucket name", shared.AddLifecycleRuleRequest{Name: "Logs", ExpireDays: 1}, "name", "uppercase"},
		{"nothing to do", shared.AddLifecycleRuleRequest{Name: "logs", Prefix: "x/"}, "expire_days", "the rule does nothing"},
		{"negative expiry", shared.AddLifecycleRuleRequest{Name: "logs", ExpireDays: -1}, "expire_days", "expire_days is -1: give 0 (none) or a positive number of days"},
		{"negative noncurrent", shared.AddLifecycleRuleRequest{Name: "logs", NoncurrentDays: -5}, "noncurrent_days", "noncurrent_days is -5"},
		{"negative keep", shared.AddLifecycleRuleRequest{Name: "logs", NoncurrentDays: 5, KeepNewest: -1}, "keep_newest", "positive number of versions"},
		{"negative abort", shared.AddLifecycleRuleRequest{Name: "logs", AbortMultipartDays: -2}, "abort_multipart_days", "abort_multipart_days is -2"},
		{"over 100 years", shared.AddLifecycleRuleRequest{Name: "logs", ExpireDays: 36501}, "expire_days", "at most 36500 days (100 years)"},
		{"too many kept", shared.AddLifecycleRuleRequest{Name: "logs", KeepNewest: 101}, "keep_newest", "at most 100 versions (S3's limit)"},
		{"leading slash", shared.AddLifecycleRuleRequest{Name: "logs", Prefix: "/logs/", ExpireDays: 1}, "prefix", "starts with /"},
		{"long prefix", shared.AddLifecycleRuleRequest{Name: "logs", Prefix: strings.Repeat("p", 1025), ExpireDays: 1}, "prefix", "at most 1024"},
		{"bad UTF-8", shared.AddLifecycleRuleRequest{Name: "logs", Prefix: "\xff", ExpireDays: 1}, "prefix", "UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := CheckRule(c.req)
			e := shared.AsError(err)
			require.Equal(t, shared.CodeInvalidArgument, e.Code)
			require.Equal(t, c.field, e.Field)
			require.Contains(t, e.Message, c.want)
		})
	}
}

func TestNewRuleAndDescribe(t *testing.T) {
	r := NewRule("quazzar-abc", shared.AddLifecycleRuleRequest{Name: "b", Prefix: "logs/", ExpireDays: 30, NoncurrentDays: 7, KeepNewest: 3, AbortMultipartDays: 2})
	d := Describe(r)
	require.Equal(t, shared.LifecycleRule{ID: "quazzar-abc", Enabled: true, Prefix: "logs/", ExpireDays: 30, NoncurrentDays: 7, KeepNewest: 3,
		Text: "Objects under logs/ are deleted 30 days after upload. Noncurrent versions under logs/ are deleted 7 days after they become noncurrent, keeping the newest 3."}, d,
		"no abort action in the rule: MinIO drops it")
	require.True(t, RuleIsEmpty(shared.AddLifecycleRuleRequest{AbortMultipartDays: 2}))
	require.False(t, RuleIsEmpty(shared.AddLifecycleRuleRequest{KeepNewest: 1}))
	// A rule read back from MinIO never has one, but one is described.
	abort := Describe(lifecycle.Rule{ID: "x", Status: "Enabled", AbortIncompleteMultipartUpload: lifecycle.AbortIncompleteMultipartUpload{DaysAfterInitiation: 2}})
	require.Equal(t, "Incomplete multipart uploads are aborted 2 days after they start.", abort.Text)

	for _, c := range []struct {
		name  string
		rule  lifecycle.Rule
		text  string
		other []string
	}{
		{"whole bucket, one day", NewRule("a", shared.AddLifecycleRuleRequest{ExpireDays: 1}), "All objects are deleted 1 day after upload.", nil},
		{"keep newest only", NewRule("a", shared.AddLifecycleRuleRequest{KeepNewest: 2}), "Noncurrent versions beyond the newest 2 are deleted when MinIO's scanner finds them.", nil},
		{"noncurrent only", NewRule("a", shared.AddLifecycleRuleRequest{NoncurrentDays: 9}), "Noncurrent versions are deleted 9 days after they become noncurrent.", nil},
		{"set elsewhere: old prefix, tags, date, transition, disabled", lifecycle.Rule{ID: "cli", Status: "Disabled", Prefix: "tmp/",
			RuleFilter:          lifecycle.Filter{Tag: lifecycle.Tag{Key: "env", Value: "dev"}},
			Expiration:          lifecycle.Expiration{Date: lifecycle.ExpirationDate{Time: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, DeleteMarker: true},
			Transition:          lifecycle.Transition{StorageClass: "COLD", Days: 10},
			DelMarkerExpiration: lifecycle.DelMarkerExpiration{Days: 4}},
			"Only objects tagged env=dev. Objects expire on 2027-01-01. Expired delete markers are removed. Delete markers are removed 4 days after they are made. Objects move to tier COLD after 10 days. The rule is disabled.",
			[]string{"only objects tagged env=dev", "objects expire on 2027-01-01", "expired delete markers are removed", "delete markers are removed 4 days after they are made", "objects move to tier COLD after 10 days"}},
		{"and filter with sizes", lifecycle.Rule{ID: "s", Status: "Enabled", Expiration: lifecycle.Expiration{Days: 3},
			RuleFilter: lifecycle.Filter{And: lifecycle.And{Prefix: "big/", ObjectSizeGreaterThan: 1 << 20, Tags: []lifecycle.Tag{{Key: "a", Value: "b"}}}}},
			"Objects under big/ are deleted 3 days after upload. Only objects tagged a=b. Only objects larger than 1.0 MiB.",
			[]string{"only objects tagged a=b", "only objects larger than 1.0 MiB"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Describe(c.rule)
			require.Equal(t, c.text, d.Text)
			require.Equal(t, c.other, d.Other)
		})
	}
	require.Equal(t, "tmp/", Describe(lifecycle.Rule{Prefix: "tmp/"}).Prefix)
}

func TestParseVersioning(t *testing.T) {
	require.NoError(t, ParseVersioning(shared.VersioningEnabled))
	require.NoError(t, ParseVersioning(shared.VersioningSuspended))
	for v, want := range map[shared.Versioning]string{
		"":         "state is required",
		"off":      "S3 has no way to turn versioning off once it was enabled: choose suspended",
		"disabled": "choose suspended",
		"paused":   `state "paused" is not known`,
	} {
		e := shared.AsError(ParseVersioning(v))
		require.Equal(t, "state", e.Field)
		require.Contains(t, e.Message, want)
	}
}

func TestCheckRetention(t *testing.T) {
	require.NoError(t, CheckRetention("", 0, "retention_mode", "retention_days"))
	require.NoError(t, CheckRetention(shared.RetentionGovernance, 30, "retention_mode", "retention_days"))
	require.NoError(t, CheckRetention(shared.RetentionCompliance, 36500, "retention_mode", "retention_days"))
	for _, c := range []struct {
		mode  shared.RetentionMode
		days  int
		field string
		want  string
	}{
		{"", 30, "retention_mode", "choose governance or compliance for the 30 days"},
		{"legal", 30, "retention_mode", `retention mode "legal" is not known`},
		{shared.RetentionGovernance, 0, "retention_days", "give at least 1 day"},
		{shared.RetentionGovernance, -3, "retention_days", "retention is -3 days"},
		{shared.RetentionCompliance, 36501, "retention_days", "at most 36500 (100 years); in compliance mode nobody, not even root, could delete those objects before then"},
	} {
		e := shared.AsError(CheckRetention(c.mode, c.days, "retention_mode", "retention_days"))
		require.Equal(t, c.field, e.Field, "%s %d", c.mode, c.days)
		require.Contains(t, e.Message, c.want)
	}
}
