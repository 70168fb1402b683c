package bucketconfig

import (
	"context"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/lifecycle"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/miniotest"
	"github.com/quazzar/object-storage/shared"
)

func startManager(t *testing.T) (*Manager, *minio.Client, *minioadmin.Client) {
	t.Helper()
	s := miniotest.Start(t)
	s3, err := minio.New(s.Address, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: s.Region})
	require.NoError(t, err)
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: s.Address, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Region: s.Region})
	require.NoError(t, err)
	return New(s3, admin), s3, admin
}

func TestSettingsAgainstMinIO(t *testing.T) {
	t.Parallel()
	m, s3, admin := startManager(t)
	ctx := context.Background()
	require.NoError(t, s3.MakeBucket(ctx, "data", minio.MakeBucketOptions{}))

	s, err := m.Get(ctx, "data")
	require.NoError(t, err)
	require.Equal(t, Settings{Versioning: shared.VersioningOff, Lifecycle: []shared.LifecycleRule{}}, s)

	t.Run("quota", func(t *testing.T) {
		s, err := m.SetQuota(ctx, "data", 1<<20)
		require.NoError(t, err)
		require.EqualValues(t, 1<<20, s.Quota)
		c, ok := m.Cached("data")
		require.True(t, ok)
		require.EqualValues(t, 1<<20, c.Quota, "the cache has what was written")
		s, err = m.SetQuota(ctx, "data", 0)
		require.NoError(t, err)
		require.Zero(t, s.Quota)
		_, err = m.SetQuota(ctx, "missing", 1)
		require.ErrorIs(t, err, shared.ErrNotFound)
		require.EqualError(t, err, "bucket missing does not exist")
	})

	t.Run("versioning", func(t *testing.T) {
		s, err := m.SetVersioning(ctx, "data", shared.VersioningEnabled)
		require.NoError(t, err)
		require.Equal(t, shared.VersioningEnabled, s.Versioning)
		s, err = m.SetVersioning(ctx, "data", shared.VersioningSuspended)
		require.NoError(t, err)
		require.Equal(t, shared.VersioningSuspended, s.Versioning)
		v, err := s3.GetBucketVersioning(ctx, "data")
		require.NoError(t, err)
		require.Equal(t, "Suspended", v.Status, "S3 reports it")
		_, err = m.SetVersioning(ctx, "data", shared.VersioningOff)
		require.Equal(t, "state", shared.AsError(err).Field)
		_, err = m.SetVersioning(ctx, "missing", shared.VersioningEnabled)
		require.ErrorIs(t, err, shared.ErrNotFound)
	})

	t.Run("lifecycle: rules set elsewhere are kept", func(t *testing.T) {
		other := lifecycle.NewConfiguration()
		other.Rules = []lifecycle.Rule{{ID: "cli-rule", Status: "Enabled",
			RuleFilter: lifecycle.Filter{And: lifecycle.And{Prefix: "tmp/", Tags: []lifecycle.Tag{{Key: "env", Value: "dev"}}}},
			Expiration: lifecycle.Expiration{Days: 7}}}
		require.NoError(t, s3.SetBucketLifecycle(ctx, "data", other))

		rule, s, err := m.AddRule(ctx, shared.AddLifecycleRuleRequest{Name: "data", Prefix: "logs/", ExpireDays: 30, AbortMultipartDays: 2})
		require.NoError(t, err)
		require.Regexp(t, `^quazzar-[a-z0-9]{8}$`, rule.ID)
		require.Equal(t, "Objects under logs/ are deleted 30 days after upload.", rule.Text, "the abort part is not a rule (MinIO drops it)")
		require.Len(t, s.Lifecycle, 2)
		require.Equal(t, "cli-rule", s.Lifecycle[0].ID)
		require.Equal(t, []string{"only objects tagged env=dev"}, s.Lifecycle[0].Other, "the other rule keeps its tag filter")
		require.Contains(t, s.LifecycleXML, "<ID>cli-rule</ID>")
		cfg, err := s3.GetBucketLifecycle(ctx, "data")
		require.NoError(t, err)
		require.Len(t, cfg.Rules, 2)
		require.Equal(t, "env", cfg.Rules[0].RuleFilter.And.Tags[0].Key)

		_, err = m.DeleteRule(ctx, "data", "nope")
		e := shared.AsError(err)
		require.Equal(t, shared.CodeNotFound, e.Code)
		require.Equal(t, "id", e.Field)
		s, err = m.DeleteRule(ctx, "data", rule.ID)
		require.NoError(t, err)
		require.Len(t, s.Lifecycle, 1)
		s, err = m.DeleteRule(ctx, "data", "cli-rule")
		require.NoError(t, err)
		require.Empty(t, s.Lifecycle)
		require.Empty(t, s.LifecycleXML)
		_, err = s3.GetBucketLifecycle(ctx, "data")
		require.Equal(t, "NoSuchLifecycleConfiguration", minio.ToErrorResponse(err).Code, "the last rule removes the configuration")
		_, _, err = m.AddRule(ctx, shared.AddLifecycleRuleRequest{Name: "missing", ExpireDays: 1})
		require.ErrorIs(t, err, shared.ErrNotFound)
	})

	t.Run("object lock", func(t *testing.T) {
		_, err := m.SetRetention(ctx, "data", shared.RetentionGovernance, 7)
		e := shared.AsError(err)
		require.Equal(t, shared.CodeConflict, e.Code)
		require.Equal(t, NoLockMessage("data"), e.Message)

		require.NoError(t, s3.MakeBucket(ctx, "vault", minio.MakeBucketOptions{ObjectLocking: true}))
		require.NoError(t, m.InitRetention(ctx, "vault", shared.RetentionGovernance, 7))
		s, err := m.Read(ctx, "vault")
		require.NoError(t, err)
		require.True(t, s.ObjectLock)
		require.Equal(t, &shared.Retention{Mode: shared.RetentionGovernance, Days: 7}, s.Retention)
		require.Equal(t, shared.VersioningEnabled, s.Versioning, "object lock keeps versioning on")
		_, err = m.SetVersioning(ctx, "vault", shared.VersioningSuspended)
		require.ErrorIs(t, err, shared.ErrConflict)
		require.Contains(t, err.Error(), "object lock")
		s, err = m.SetRetention(ctx, "vault", shared.RetentionCompliance, 1)
		require.NoError(t, err)
		require.Equal(t, &shared.Retention{Mode: shared.RetentionCompliance, Days: 1}, s.Retention)
		s, err = m.SetRetention(ctx, "vault", "", 0)
		require.NoError(t, err)
		require.True(t, s.ObjectLock)
		require.Nil(t, s.Retention)
	})

	t.Run("refresh sees changes made elsewhere and forgets deleted buckets", func(t *testing.T) {
		require.NoError(t, admin.SetBucketQuota(ctx, "data", 5<<20))
		c, _ := m.Cached("data")
		require.Zero(t, c.Quota, "not seen before a refresh")
		require.NoError(t, m.Refresh(ctx, []string{"data"}))
		c, _ = m.Cached("data")
		require.EqualValues(t, 5<<20, c.Quota)
		_, ok := m.Cached("vault")
		require.False(t, ok, "a bucket not listed is forgotten")
	})
}

// TestAbortUploads: MinIO drops AbortIncompleteMultipartUpload from a
// lifecycle rule; the add-on relies on MinIO's node-wide stale-upload
// expiry instead, and lowers it when asked for less.
func TestAbortUploads(t *testing.T) {
	t.Parallel()
	m, s3, admin := startManager(t)
	ctx := context.Background()
	require.NoError(t, s3.MakeBucket(ctx, "data", minio.MakeBucketOptions{}))

	// What MinIO does with the S3 action: keeps the rule, drops the action.
	cfg := lifecycle.NewConfiguration()
	cfg.Rules = []lifecycle.Rule{{ID: "abort", Status: "Enabled", Expiration: lifecycle.Expiration{Days: 9},
		AbortIncompleteMultipartUpload: lifecycle.AbortIncompleteMultipartUpload{DaysAfterInitiation: 2}}}
	require.NoError(t, s3.SetBucketLifecycle(ctx, "data", cfg))
	back, err := s3.GetBucketLifecycle(ctx, "data")
	require.NoError(t, err)
	require.Zero(t, back.Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation, "the pinned MinIO keeps no abort action")

	msg, err := m.AbortUploadsWithin(ctx, 2)
	require.NoError(t, err)
	require.Contains(t, msg, "after 1 day by itself (its stale-upload expiry), within the 2 days asked")

	_, err = admin.SetConfigKV(ctx, "api stale_uploads_expiry=72h")
	require.NoError(t, err)
	msg, err = m.AbortUploadsWithin(ctx, 2)
	require.NoError(t, err)
	require.Contains(t, msg, "it was 3 days and is now 2 days")
	_, kvs, err := admin.GetConfigKV(ctx, "api")
	require.NoError(t, err)
	require.Equal(t, "48h", kvs[0].Values["stale_uploads_expiry"])

	// A request with only abort days adds no rule.
	rule, s, err := m.AddRule(ctx, shared.AddLifecycleRuleRequest{Name: "data", AbortMultipartDays: 1})
	require.NoError(t, err)
	require.Empty(t, rule.ID)
	require.Len(t, s.Lifecycle, 1)
}

// MinIO's metadata export, read by FromExport, says what the calls per
// bucket and setting say, for every kind of setting.
func TestExportReadsWhatTheCallsRead(t *testing.T) {
	t.Parallel()
	m, s3, admin := startManager(t)
	ctx := context.Background()
	for _, b := range []struct {
		name string
		lock bool
	}{{"plain", false}, {"quota", false}, {"versioned", false}, {"suspended", false}, {"locked-days", true}, {"locked-years", true}, {"locked-bare", true}, {"rules", false}} {
		require.NoError(t, s3.MakeBucket(ctx, b.name, minio.MakeBucketOptions{ObjectLocking: b.lock}))
	}
	_, err := m.SetQuota(ctx, "quota", 5<<20)
	require.NoError(t, err)
	_, err = m.SetVersioning(ctx, "versioned", shared.VersioningEnabled)
	require.NoError(t, err)
	_, err = m.SetVersioning(ctx, "suspended", shared.VersioningEnabled)
	require.NoError(t, err)
	_, err = m.SetVersioning(ctx, "suspended", shared.VersioningSuspended)
	require.NoError(t, err)
	_, err = m.SetRetention(ctx, "locked-days", shared.RetentionGovernance, 12)
	require.NoError(t, err)
	mode, years, unit := minio.Compliance, uint(2), minio.Years
	require.NoError(t, s3.SetObjectLockConfig(ctx, "locked-years", &mode, &years, &unit))
	other := lifecycle.NewConfiguration()
	other.Rules = []lifecycle.Rule{{ID: "cli-rule", Status: "Enabled",
		RuleFilter: lifecycle.Filter{And: lifecycle.And{Prefix: "tmp/", Tags: []lifecycle.Tag{{Key: "env", Value: "dev"}}}},
		Expiration: lifecycle.Expiration{Days: 7}}}
	require.NoError(t, s3.SetBucketLifecycle(ctx, "rules", other))
	_, _, err = m.AddRule(ctx, shared.AddLifecycleRuleRequest{Name: "rules", Prefix: "logs/", ExpireDays: 30})
	require.NoError(t, err)

	exported, err := admin.ExportBucketMetadata(ctx)
	require.NoError(t, err)
	names := []string{"plain", "quota", "versioned", "suspended", "locked-days", "locked-years", "locked-bare", "rules"}
	require.Len(t, exported, len(names), "every bucket is in the export")
	for _, name := range names {
		want, err := m.read(ctx, name)
		require.NoError(t, err)
		got, err := FromExport(exported[name])
		require.NoError(t, err, name)
		require.Equal(t, want, got, name)
	}
	// The settings are the ones set, not only the same both ways.
	got, _ := FromExport(exported["quota"])
	require.EqualValues(t, 5<<20, got.Quota)
	got, _ = FromExport(exported["suspended"])
	require.Equal(t, shared.VersioningSuspended, got.Versioning)
	got, _ = FromExport(exported["locked-years"])
	require.Equal(t, &shared.Retention{Mode: shared.RetentionCompliance, Days: 730}, got.Retention)
	got, _ = FromExport(exported["locked-bare"])
	require.True(t, got.ObjectLock)
	require.Nil(t, got.Retention)
	require.Equal(t, shared.VersioningEnabled, got.Versioning)
	got, _ = FromExport(exported["rules"])
	require.Len(t, got.Lifecycle, 2)

	t.Run("refresh from the export, with a bucket made since and a damaged file", func(t *testing.T) {
		require.NoError(t, s3.MakeBucket(ctx, "made-since", minio.MakeBucketOptions{}))
		require.NoError(t, admin.SetBucketQuota(ctx, "made-since", 1<<20))
		damaged := minioadmin.BucketMetadata{}
		for name, files := range exported {
			damaged[name] = files
		}
		damaged["quota"] = map[string][]byte{minioadmin.FileQuota: []byte("{")}
		before := admin.Calls()
		require.NoError(t, m.RefreshWith(ctx, m.Mark(), append(names, "made-since"), damaged))
		require.Less(t, admin.Calls()-before, uint64(3), "only the two buckets the export could not tell about are asked (one admin call each)")
		for name, quota := range map[string]uint64{"quota": 5 << 20, "made-since": 1 << 20, "plain": 0} {
			c, ok := m.Cached(name)
			require.True(t, ok, name)
			require.Equal(t, quota, c.Quota, name)
		}
	})

	t.Run("an export read before the add-on's own change does not undo it", func(t *testing.T) {
		mark := m.Mark()
		_, err := m.SetQuota(ctx, "plain", 7<<20)
		require.NoError(t, err)
		_, err = m.SetQuota(ctx, "quota", 0)
		require.NoError(t, err)
		require.NoError(t, m.RefreshWith(ctx, mark, names, exported)) // exported: plain without quota, quota with 5 MiB
		for name, quota := range map[string]uint64{"plain": 7 << 20, "quota": 0} {
			c, ok := m.Cached(name)
			require.True(t, ok, name)
			require.Equal(t, quota, c.Quota, name)
		}
	})
}

func TestFromExportRefusesDamage(t *testing.T) {
	t.Parallel()
	_, err := FromExport(map[string][]byte{minioadmin.FileVersioning: []byte("<Versioning")})
	require.ErrorContains(t, err, "versioning is not the expected XML")
	_, err = FromExport(map[string][]byte{minioadmin.FileObjectLock: []byte("<<")})
	require.ErrorContains(t, err, "object lock is not the expected XML")
	_, err = FromExport(map[string][]byte{minioadmin.FileLifecycle: []byte("<<")})
	require.ErrorContains(t, err, "lifecycle is not the expected XML")
	_, err = FromExport(map[string][]byte{minioadmin.FileQuota: []byte("[")})
	require.ErrorContains(t, err, "quota is not the expected JSON")
	s, err := FromExport(nil)
	require.NoError(t, err)
	require.Equal(t, Settings{Versioning: shared.VersioningOff, Lifecycle: []shared.LifecycleRule{}}, s, "no file: every setting off")
}
