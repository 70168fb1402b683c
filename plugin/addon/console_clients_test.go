package addon

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/bucketconfig"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// awsClient runs Debian's AWS CLI against the fixture's MinIO with one
// key, in a clean environment under its own home.
type awsClient struct {
	t        *testing.T
	exe      string
	endpoint string
	home     string
	ak, sk   string
}

// newAWS makes a key (all buckets, no administration) and an AWS CLI that
// uses it.
func newAWS(t *testing.T, f *fixture) *awsClient {
	t.Helper()
	r := act(t, f.a, "create_key", map[string]any{"name": "aws-cli"})
	require.True(t, r.OK, r.Message)
	return &awsClient{t: t, exe: awsCLI(t), endpoint: "http://" + f.settings[settings.KeyS3Address], home: t.TempDir(), ak: r.AccessKey, sk: r.SecretKey}
}

// run runs the AWS CLI and returns its output and error, bounded to a
// minute.
func (c *awsClient) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.exe, append([]string{"--endpoint-url", c.endpoint, "--region", "us-east-1", "--output", "json"}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + c.home, "LANG=C.UTF-8",
		"AWS_CONFIG_FILE=" + filepath.Join(c.home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(c.home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + c.ak, "AWS_SECRET_ACCESS_KEY=" + c.sk, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// must runs the AWS CLI and fails the test when it fails.
func (c *awsClient) must(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	require.NoError(c.t, err, "aws %v: %s", args, out)
	return out
}

// file writes a local file of n bytes and returns its path.
func (c *awsClient) file(name string, n int) string {
	c.t.Helper()
	p := filepath.Join(c.home, name)
	require.NoError(c.t, os.WriteFile(p, bytes.Repeat([]byte{'q'}, n), 0o600))
	return p
}

func pageSection(t *testing.T, a *Addon, id string) (shared.Section, bool) {
	t.Helper()
	p, err := a.Page(context.Background(), shared.PageRequest{})
	require.NoError(t, err)
	for _, s := range p.Sections {
		if s.ID == id {
			return s, true
		}
	}
	return shared.Section{}, false
}

// TestQuotaRefusesUploads: a 1 MiB quota, 600 KiB uploads with the AWS
// CLI until one is refused with MinIO's quota error (MinIO checks the quota
// against its scanner's figures, so the refusal lags the upload that
// passed the quota by about a scan cycle: the test logs that lag); the
// page says the bucket is full; a higher quota lets uploads through.
func TestQuotaRefusesUploads(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	aws := newAWS(t, f)
	r := act(t, f.a, "create_bucket", map[string]any{"name": "backups", "visibility": "private"})
	require.True(t, r.OK, r.Message)
	r = act(t, f.a, "set_quota", map[string]any{"name": "backups", "bytes": "1MiB"})
	require.True(t, r.OK, r.Message)
	file := aws.file("part.bin", 600<<10)

	var passed time.Time // when the bytes uploaded first went past the quota
	var refusal string
	uploaded := 0
	deadline := time.Now().Add(3 * time.Minute)
	for i := 0; i < 200 && time.Now().Before(deadline); i++ {
		out, err := aws.run("s3", "cp", file, "s3://backups/part-"+string(rune('a'+i%26))+strings.Repeat("x", i/26))
		if err != nil {
			refusal = out
			break
		}
		uploaded += 600 << 10
		if passed.IsZero() && uploaded > 1<<20 {
			passed = time.Now()
		}
		time.Sleep(time.Second)
	}
	require.NotEmpty(t, refusal, "no upload was refused within 3 minutes (%d bytes uploaded)", uploaded)
	lag := time.Since(passed)
	t.Logf("quota refusal lag: the first refusal came %s after the upload that passed the 1 MiB quota (%d uploads of 600 KiB accepted)", lag.Round(time.Second), uploaded/(600<<10))
	require.Contains(t, refusal, "XMinioAdminBucketQuotaExceeded", "the client sees MinIO's quota error")
	require.Contains(t, refusal, "Bucket quota exceeded")

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		s, ok := pageSection(t, f.a, "full-buckets")
		if !assert.True(c, ok, "no full-buckets notice yet") {
			return
		}
		assert.Contains(c, s.Notice.Text, "Bucket backups is full")
	}, 60*time.Second, time.Second, "the page says which bucket is full")
	bs, ok := pageSection(t, f.a, "buckets")
	require.True(t, ok)
	require.Equal(t, "full: uploads are refused", bs.Table.Rows[0].Cells["quota"].Hint)

	r = act(t, f.a, "set_quota", map[string]any{"name": "backups", "bytes": "100MiB"})
	require.True(t, r.OK, r.Message)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		out, err := aws.run("s3", "cp", file, "s3://backups/after-raise")
		assert.NoError(c, err, out)
	}, 30*time.Second, time.Second, "a higher quota lets uploads through")
}

// TestVersioningWithTheAWSCLI: enabled from the page keeps both versions
// of an overwritten object; suspended is what S3 reports.
func TestVersioningWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	aws := newAWS(t, f)
	require.True(t, act(t, f.a, "create_bucket", map[string]any{"name": "docs", "visibility": "private"}).OK)
	r := act(t, f.a, "set_versioning", map[string]any{"name": "docs", "state": "enabled"})
	require.True(t, r.OK, r.Message)
	aws.must("s3", "cp", aws.file("v1.txt", 10), "s3://docs/report.txt")
	aws.must("s3", "cp", aws.file("v2.txt", 20), "s3://docs/report.txt")
	var versions struct {
		Versions []struct {
			Key      string
			IsLatest bool
			Size     int
		}
	}
	require.NoError(t, json.Unmarshal([]byte(aws.must("s3api", "list-object-versions", "--bucket", "docs")), &versions))
	require.Len(t, versions.Versions, 2, "the overwrite kept the first version")
	for _, v := range versions.Versions {
		require.Equal(t, v.Size == 20, v.IsLatest)
	}

	r = act(t, f.a, "set_versioning", map[string]any{"name": "docs", "state": "suspended"})
	require.True(t, r.OK, r.Message)
	var status struct{ Status string }
	require.NoError(t, json.Unmarshal([]byte(aws.must("s3api", "get-bucket-versioning", "--bucket", "docs")), &status))
	require.Equal(t, "Suspended", status.Status)
	bs, err := f.a.ListBuckets(context.Background(), shared.ListBucketsRequest{})
	require.NoError(t, err)
	require.Equal(t, shared.VersioningSuspended, bs.Buckets[0].Versioning)
}

// TestLifecycleWithTheAWSCLI: a rule set with the AWS CLI is shown and
// survives a rule added from the page, and the page's rule is what
// get-bucket-lifecycle-configuration returns.
func TestLifecycleWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	aws := newAWS(t, f)
	require.True(t, act(t, f.a, "create_bucket", map[string]any{"name": "logs", "visibility": "private"}).OK)
	aws.must("s3api", "put-bucket-lifecycle-configuration", "--bucket", "logs", "--lifecycle-configuration",
		`{"Rules":[{"ID":"cli-rule","Filter":{"And":{"Prefix":"tmp/","Tags":[{"Key":"env","Value":"dev"}]}},"Status":"Enabled","Expiration":{"Days":7}}]}`)

	require.EventuallyWithT(t, func(c *assert.CollectT) {
		s, ok := pageSection(t, f.a, "lifecycle")
		if assert.True(c, ok) && assert.Len(c, s.Table.Rows, 1) {
			assert.Equal(c, "Objects under tmp/ are deleted 7 days after upload. Only objects tagged env=dev.", s.Table.Rows[0].Cells["rule"].Text)
		}
	}, 60*time.Second, time.Second, "a rule set elsewhere shows on the page within the settings refresh")

	r := act(t, f.a, "add_lifecycle_rule", map[string]any{"name": "logs", "prefix": "app/", "expire_days": 30, "abort_multipart_days": 2})
	require.True(t, r.OK, r.Message)
	require.Contains(t, r.Message, "Objects under app/ are deleted 30 days after upload.")
	require.Contains(t, r.Message, "Incomplete multipart uploads: MinIO aborts them on every bucket after 1 day by itself")
	var got struct {
		Rules []struct {
			ID     string
			Status string
			Filter struct {
				Prefix string
				And    struct {
					Prefix string
					Tags   []struct{ Key, Value string }
				}
			}
			Expiration                     struct{ Days int }
			AbortIncompleteMultipartUpload struct{ DaysAfterInitiation int }
		}
	}
	lc := aws.must("s3api", "get-bucket-lifecycle-configuration", "--bucket", "logs")
	require.NoError(t, json.Unmarshal([]byte(lc), &got))
	require.Len(t, got.Rules, 2, lc)
	cli, page := got.Rules[0], got.Rules[1]
	require.Equal(t, "cli-rule", cli.ID)
	require.Equal(t, "tmp/", cli.Filter.And.Prefix)
	require.Equal(t, []struct{ Key, Value string }{{"env", "dev"}}, cli.Filter.And.Tags, "the rule set elsewhere is kept as it was")
	require.Equal(t, 7, cli.Expiration.Days)
	require.Regexp(t, `^quazzar-`, page.ID)
	require.Equal(t, "Enabled", page.Status)
	require.Equal(t, "app/", page.Filter.Prefix)
	require.Equal(t, 30, page.Expiration.Days)
	require.Zero(t, page.AbortIncompleteMultipartUpload.DaysAfterInitiation, "MinIO keeps no abort action: the add-on does not pretend it does")
	s, ok := pageSection(t, f.a, "lifecycle")
	require.True(t, ok)
	require.Len(t, s.Table.Rows, 2)
	raw, ok := pageSection(t, f.a, "lifecycle-raw")
	require.True(t, ok)
	require.Contains(t, raw.Notice.Code, "<ID>cli-rule</ID>")
}

// TestLifecycleRemovesVersions: MinIO's scanner applies a rule made on the
// page. The pinned MinIO has no knob that shortens lifecycle days for
// tests (ExpectedExpiryTime always counts whole days), so the rule keeps
// the newest noncurrent version with no days, which the scanner applies
// as soon as it finds the object.
func TestLifecycleRemovesVersions(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	aws := newAWS(t, f)
	for _, b := range []string{"churn", "control"} { // control: the same without the rule
		require.True(t, act(t, f.a, "create_bucket", map[string]any{"name": b, "visibility": "private"}).OK)
		require.True(t, act(t, f.a, "set_versioning", map[string]any{"name": b, "state": "enabled"}).OK)
	}
	r := act(t, f.a, "add_lifecycle_rule", map[string]any{"name": "churn", "keep_newest": 1})
	require.True(t, r.OK, r.Message)
	for i := 1; i <= 4; i++ {
		aws.must("s3", "cp", aws.file("v.txt", i), "s3://churn/doc.txt")
		aws.must("s3", "cp", aws.file("v.txt", i), "s3://control/doc.txt")
	}
	versions := func(bucket string) int {
		var v struct{ Versions []json.RawMessage }
		require.NoError(t, json.Unmarshal([]byte(aws.must("s3api", "list-object-versions", "--bucket", bucket)), &v))
		return len(v.Versions)
	}
	count := func() int { return versions("churn") }
	// MinIO may apply the rule while the uploads go on (its scanner at
	// the fastest speed, or on the write): at the end, the current version
	// and one noncurrent version are left.
	require.Eventually(t, func() bool { return count() == 2 }, 3*time.Minute, 2*time.Second,
		"MinIO deletes the noncurrent versions beyond the newest one")
	require.Equal(t, 4, versions("control"), "without the rule every version stays")
	back := filepath.Join(aws.home, "back.txt")
	aws.must("s3", "cp", "s3://churn/doc.txt", back)
	b, err := os.ReadFile(back)
	require.NoError(t, err)
	require.Len(t, b, 4, "the current version is the last upload")
}

// lockPolicy lets a key read, write and delete object versions of two
// buckets, without s3:BypassGovernanceRetention: a normal key.
const lockPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion","s3:PutObject",` +
	`"s3:DeleteObject","s3:DeleteObjectVersion","s3:ListBucket","s3:ListBucketVersions","s3:GetObjectRetention"],` +
	`"Resource":["arn:aws:s3:::vault","arn:aws:s3:::vault/*","arn:aws:s3:::plain","arn:aws:s3:::plain/*"]}]}`

// TestObjectLockWithTheAWSCLI: a governance-retained version cannot be
// deleted by a normal key, which deletes versions of an unlocked bucket
// (MinIO answers "Object is WORM protected", and AccessDenied to its
// attempt to bypass the retention); a key with full S3 access (the default) can bypass
// governance with the bypass header, nobody can bypass compliance, not
// even root; a bucket made without object lock cannot get it later.
func TestObjectLockWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	full := newAWS(t, f)
	r := act(t, f.a, "create_key", map[string]any{"name": "normal", "policy": lockPolicy})
	require.True(t, r.OK, r.Message)
	normal := &awsClient{t: t, exe: full.exe, endpoint: full.endpoint, home: t.TempDir(), ak: r.AccessKey, sk: r.SecretKey}
	r = act(t, f.a, "create_bucket", map[string]any{"name": "vault", "visibility": "private", "object_lock": true, "retention_mode": "governance", "retention_days": 1})
	require.True(t, r.OK, r.Message)
	require.True(t, act(t, f.a, "create_bucket", map[string]any{"name": "plain", "visibility": "private"}).OK)
	require.True(t, act(t, f.a, "set_versioning", map[string]any{"name": "plain", "state": "enabled"}).OK)

	put := func(c *awsClient, bucket, key string) string {
		var out struct{ VersionId string }
		require.NoError(t, json.Unmarshal([]byte(c.must("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", c.file("dump", 100))), &out))
		require.NotEmpty(t, out.VersionId)
		return out.VersionId
	}
	v := put(normal, "vault", "db.dump")
	var ret struct{ Retention struct{ Mode string } }
	require.NoError(t, json.Unmarshal([]byte(normal.must("s3api", "get-object-retention", "--bucket", "vault", "--key", "db.dump")), &ret))
	require.Equal(t, "GOVERNANCE", ret.Retention.Mode, "the default retention applies to new objects")

	normal.must("s3api", "delete-object", "--bucket", "plain", "--key", "x", "--version-id", put(normal, "plain", "x"))
	// MinIO says the version is protected (InvalidRequest, "Object is WORM
	// protected"), and refuses a bypass with AccessDenied.
	out, err := normal.run("s3api", "delete-object", "--bucket", "vault", "--key", "db.dump", "--version-id", v)
	require.Error(t, err, "a retained version was deleted: %s", out)
	require.Contains(t, out, "Object is WORM protected")
	out, err = normal.run("s3api", "delete-object", "--bucket", "vault", "--key", "db.dump", "--version-id", v, "--bypass-governance-retention")
	require.Error(t, err, "a normal key bypassed governance: %s", out)
	require.Contains(t, out, "AccessDenied")
	normal.must("s3api", "head-object", "--bucket", "vault", "--key", "db.dump", "--version-id", v)

	// A key with full S3 access (s3:*, the default of a key made without a
	// policy) is told the version is protected, and may bypass governance.
	out, err = full.run("s3api", "delete-object", "--bucket", "vault", "--key", "db.dump", "--version-id", v)
	require.Error(t, err, out)
	require.Contains(t, out, "Object is WORM protected")
	full.must("s3api", "delete-object", "--bucket", "vault", "--key", "db.dump", "--version-id", v, "--bypass-governance-retention")

	// Compliance: nobody, not even root with the bypass header.
	r = act(t, f.a, "create_bucket", map[string]any{"name": "ledger", "visibility": "private", "object_lock": true, "retention_mode": "compliance", "retention_days": 1})
	require.True(t, r.OK, r.Message)
	cv := put(full, "ledger", "entry")
	out, err = full.run("s3api", "delete-object", "--bucket", "ledger", "--key", "entry", "--version-id", cv, "--bypass-governance-retention")
	require.Error(t, err, "compliance bypassed: %s", out)
	err = f.rootClient(t).RemoveObject(context.Background(), "ledger", "entry", minio.RemoveObjectOptions{VersionID: cv, GovernanceBypass: true})
	require.Error(t, err, "root deleted a version under compliance retention")

	r = act(t, f.a, "set_retention", map[string]any{"name": "plain", "mode": "governance", "days": 1})
	require.False(t, r.OK)
	require.Equal(t, shared.CodeConflict, r.Code)
	require.Equal(t, bucketconfig.NoLockMessage("plain"), r.Message)
	out, err = full.run("s3api", "put-object-lock-configuration", "--bucket", "plain", "--object-lock-configuration",
		`{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}`)
	require.Error(t, err, "S3 turned object lock on for an existing bucket: %s", out)
	t.Logf("MinIO refuses object lock on an existing bucket with: %s", strings.TrimSpace(out))
}
