package minioadmin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/miniotest"
	"github.com/quazzar/object-storage/shared"
)

// startMinIO runs a real MinIO and returns an admin client for its root
// user.
func startMinIO(t testing.TB) (*miniotest.Server, *Client) {
	t.Helper()
	s := miniotest.Start(t)
	c, err := New(Config{Endpoint: s.Address, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Region: s.Region})
	require.NoError(t, err)
	return s, c
}

func s3Client(t testing.TB, s *miniotest.Server, accessKey, secretKey string) *minio.Client {
	t.Helper()
	mc, err := minio.New(s.Address, &minio.Options{Creds: credentials.NewStaticV4(accessKey, secretKey, ""), Region: s.Region})
	require.NoError(t, err)
	return mc
}

// calls runs f and returns how many admin HTTP calls it made.
func calls(c *Client, f func()) uint64 {
	before := c.Calls()
	f()
	return c.Calls() - before
}

const readPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::shared/*"]}]}`

func TestServiceAccountLifecycle(t *testing.T) {
	t.Parallel()
	s, c := startMinIO(t)
	ctx := context.Background()

	root := s3Client(t, s, s.AccessKey, s.SecretKey)
	require.NoError(t, root.MakeBucket(ctx, "shared", minio.MakeBucketOptions{}))
	_, err := root.PutObject(ctx, "shared", "hello.txt", strings.NewReader("hello"), 5, minio.PutObjectOptions{})
	require.NoError(t, err)

	// Create: MinIO decrypts our request and we decrypt its reply.
	expiry := time.Now().Add(24 * time.Hour).Truncate(time.Second).UTC()
	var cred Credentials
	n := calls(c, func() {
		cred, err = c.AddServiceAccount(ctx, AddServiceAccountRequest{
			AccessKey:   "quazzar-abcdefghij",
			SecretKey:   "s3cr3t-Value-0123456789",
			Name:        "backup-agent",
			Description: "nightly backups",
			Policy:      []byte(readPolicy),
			Expiration:  expiry,
		})
	})
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "create is one admin call")
	require.Equal(t, "quazzar-abcdefghij", cred.AccessKey)
	require.Equal(t, "s3cr3t-Value-0123456789", cred.SecretKey)
	require.True(t, expiry.Equal(cred.Expiration), "expiry %s, got %s", expiry, cred.Expiration)

	want := ServiceAccount{
		AccessKey: "quazzar-abcdefghij", ParentUser: s.AccessKey, Status: StatusOn,
		Name: "backup-agent", Description: "nightly backups", ImpliedPolicy: false,
	}
	checkAccount := func(t *testing.T, got ServiceAccount, want ServiceAccount) {
		t.Helper()
		require.True(t, expiry.Equal(got.Expiration), "expiry %s, got %s", expiry, got.Expiration)
		got.Expiration = time.Time{}
		require.Equal(t, want, got)
	}

	var list []ServiceAccount
	require.EqualValues(t, 1, calls(c, func() { list, err = c.ListServiceAccounts(ctx, "") }))
	require.NoError(t, err)
	require.Len(t, list, 1)
	checkAccount(t, list[0], want)

	var info ServiceAccountInfo
	require.EqualValues(t, 1, calls(c, func() { info, err = c.InfoServiceAccount(ctx, cred.AccessKey) }))
	require.NoError(t, err)
	checkAccount(t, info.ServiceAccount, want)
	require.JSONEq(t, readPolicy, info.Policy)

	// The access key works on S3, limited by its embedded policy.
	sa := s3Client(t, s, cred.AccessKey, cred.SecretKey)
	requireGet(t, sa, "hello")
	_, err = sa.PutObject(ctx, "shared", "nope.txt", strings.NewReader("x"), 1, minio.PutObjectOptions{})
	require.Equal(t, "AccessDenied", minio.ToErrorResponse(err).Code, "the embedded policy allows reads only: %v", err)

	// Update with KeepPolicy: new labels, the policy survives (two calls:
	// read the policy, then update).
	n = calls(c, func() {
		err = c.UpdateServiceAccount(ctx, cred.AccessKey, UpdateServiceAccountRequest{
			Name: "backup-agent-2", Description: "renamed", KeepPolicy: true,
		})
	})
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	info, err = c.InfoServiceAccount(ctx, cred.AccessKey)
	require.NoError(t, err)
	want.Name, want.Description = "backup-agent-2", "renamed"
	checkAccount(t, info.ServiceAccount, want)
	require.JSONEq(t, readPolicy, info.Policy)

	// Update resending the policy explicitly, and disabling the key.
	require.NoError(t, c.UpdateServiceAccount(ctx, cred.AccessKey, UpdateServiceAccountRequest{Policy: []byte(readPolicy), Status: StatusOff}))
	info, err = c.InfoServiceAccount(ctx, cred.AccessKey)
	require.NoError(t, err)
	want.Status = StatusOff
	checkAccount(t, info.ServiceAccount, want)
	require.JSONEq(t, readPolicy, info.Policy)
	_, err = sa.GetObject(ctx, "shared", "hello.txt", minio.GetObjectOptions{})
	require.NoError(t, err) // GetObject is lazy; the request happens on read
	requireS3Refused(t, sa)
	require.NoError(t, c.UpdateServiceAccount(ctx, cred.AccessKey, UpdateServiceAccountRequest{Policy: []byte(readPolicy), Status: StatusOn}))
	requireGet(t, sa, "hello")

	// MinIO's trap, documented on UpdateServiceAccountRequest.Policy: an
	// update without a policy drops the embedded one.
	require.NoError(t, c.UpdateServiceAccount(ctx, cred.AccessKey, UpdateServiceAccountRequest{Description: "policy dropped"}))
	info, err = c.InfoServiceAccount(ctx, cred.AccessKey)
	require.NoError(t, err)
	require.True(t, info.ImpliedPolicy)

	// Delete: gone from list and info, and its S3 requests fail.
	require.EqualValues(t, 1, calls(c, func() { err = c.DeleteServiceAccount(ctx, cred.AccessKey) }))
	require.NoError(t, err)
	list, err = c.ListServiceAccounts(ctx, "")
	require.NoError(t, err)
	require.Empty(t, list)
	_, err = c.InfoServiceAccount(ctx, cred.AccessKey)
	require.ErrorIs(t, err, shared.ErrNotFound)
	requireS3Refused(t, sa)
}

func requireGet(t *testing.T, mc *minio.Client, want string) {
	t.Helper()
	obj, err := mc.GetObject(context.Background(), "shared", "hello.txt", minio.GetObjectOptions{})
	require.NoError(t, err)
	defer obj.Close()
	got, err := io.ReadAll(obj)
	require.NoError(t, err)
	require.Equal(t, want, string(got))
}

func requireS3Refused(t *testing.T, mc *minio.Client) {
	t.Helper()
	obj, err := mc.GetObject(context.Background(), "shared", "hello.txt", minio.GetObjectOptions{})
	require.NoError(t, err)
	defer obj.Close()
	_, err = io.ReadAll(obj)
	require.Error(t, err)
	code := minio.ToErrorResponse(err).Code
	require.Contains(t, []string{"InvalidAccessKeyId", "AccessDenied"}, code, "S3 request with a disabled or deleted key: %v", err)
}

func TestErrorMapping(t *testing.T) {
	t.Parallel()
	s, c := startMinIO(t)
	ctx := context.Background()
	_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-taken00000", SecretKey: "secret-secret-1"})
	require.NoError(t, err)

	wrongSecret, err := New(Config{Endpoint: s.Address, AccessKey: s.AccessKey, SecretKey: "not-the-root-secret"})
	require.NoError(t, err)
	unknownUser, err := New(Config{Endpoint: s.Address, AccessKey: "nobody", SecretKey: "not-the-root-secret"})
	require.NoError(t, err)
	nobodyHome, err := New(Config{Endpoint: testkit.FreeAddr(t), AccessKey: s.AccessKey, SecretKey: s.SecretKey})
	require.NoError(t, err)

	cases := []struct {
		name      string
		call      func() error
		want      shared.Code
		field     string
		msg       string // part of the message
		minioCall bool   // the request reaches MinIO
	}{
		{"info unknown key", func() error { _, err := c.InfoServiceAccount(ctx, "quazzar-unknown000"); return err },
			shared.CodeNotFound, "", "service account", true},
		{"update unknown key", func() error {
			return c.UpdateServiceAccount(ctx, "quazzar-unknown000", UpdateServiceAccountRequest{Name: "x"})
		}, shared.CodeNotFound, "", "quazzar-unknown000", true},
		{"delete unknown key", func() error { return c.DeleteServiceAccount(ctx, "quazzar-unknown000") },
			shared.CodeNotFound, "", "not found", true},
		{"bad policy", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-badpolicy0", SecretKey: "secret-secret-1",
				Policy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}`)})
			return err
		}, shared.CodeInvalidArgument, "", "invalid Effect Maybe", true},
		{"unknown action in policy", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-badpolicy1", SecretKey: "secret-secret-1",
				Policy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Teleport"],"Resource":["arn:aws:s3:::b/*"]}]}`)})
			return err
		}, shared.CodeInvalidArgument, "", "s3:Teleport", true},
		{"access key taken", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-taken00000", SecretKey: "secret-secret-2"})
			return err
		}, shared.CodeConflict, "", "already taken", true},
		{"bad config value", func() error { _, err := c.SetConfigKV(ctx, "scanner speed=warp"); return err },
			shared.CodeInvalidArgument, "", "warp", true},
		{"wrong secret key", func() error { _, err := wrongSecret.ServerInfo(ctx); return err },
			shared.CodePermission, "", "signature", true},
		{"wrong secret key, encrypted call", func() error { _, err := wrongSecret.ListServiceAccounts(ctx, ""); return err },
			shared.CodePermission, "", "root credentials", true},
		{"unknown access key", func() error { _, err := unknownUser.DataUsageInfo(ctx); return err },
			shared.CodePermission, "", "Access Key", true},
		{"MinIO not running", func() error { _, err := nobodyHome.ServerInfo(ctx); return err },
			shared.CodeUnavailable, "", "not reachable", false},
		{"policy not JSON", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-badpolicy2", SecretKey: "secret-secret-1", Policy: []byte(`{"Version":`)})
			return err
		}, shared.CodeInvalidArgument, "policy", "not valid JSON", false},
		{"bad name", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-badname000", SecretKey: "secret-secret-1", Name: "9 lives"})
			return err
		}, shared.CodeInvalidArgument, "name", "must be at most 32 characters", false},
		{"expiry in the past", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-expired000", SecretKey: "secret-secret-1", Expiration: time.Now().Add(-time.Hour)})
			return err
		}, shared.CodeInvalidArgument, "expiration", "less than 15 minutes", false},
		{"expiry beyond a year", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-expired001", SecretKey: "secret-secret-1", Expiration: time.Now().Add(366 * 24 * time.Hour)})
			return err
		}, shared.CodeInvalidArgument, "expiration", "more than 365 days", false},
		{"policy too large", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-bigpolicy0", SecretKey: "secret-secret-1",
				Policy: []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + strings.Repeat("b", 4096) + `/*"]}]}`)})
			return err
		}, shared.CodeInvalidArgument, "policy", "at most 4096", false},
		{"root access key", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: s.AccessKey, SecretKey: "secret-secret-1"})
			return err
		}, shared.CodeInvalidArgument, "access_key", "root user", false},
		{"secret too short", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-tiny000000", SecretKey: "shrt5"})
			return err
		}, shared.CodeInvalidArgument, "", "between 8 and 40", true},
		{"unknown parent user", func() error {
			_, err := c.AddServiceAccount(ctx, AddServiceAccountRequest{AccessKey: "quazzar-orphan0000", SecretKey: "secret-secret-1", TargetUser: "ghost"})
			return err
		}, shared.CodeNotFound, "", "ghost does not exist", true},
		{"unknown config subsystem", func() error { _, _, err := c.GetConfigKV(ctx, "warpdrive"); return err },
			shared.CodeInvalidArgument, "", "unknown subsystem", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			require.Equal(t, tc.want, shared.CodeOf(err), "error: %v", err)
			require.Equal(t, tc.field, shared.AsError(err).Field)
			require.Contains(t, err.Error(), tc.msg)
			require.NotContains(t, err.Error(), s.SecretKey)
			require.NotContains(t, err.Error(), "secret-secret")
			require.NotContains(t, err.Error(), "shrt5", "no secret key in errors")
			var re *ResponseError
			require.Equal(t, tc.minioCall && tc.want != shared.CodeUnavailable, errors.As(err, &re), "MinIO's answer is the cause")
		})
	}
	// Nothing was created by the refused requests.
	list, err := c.ListServiceAccounts(ctx, "")
	require.NoError(t, err)
	require.Len(t, list, 1)
}

func TestSetConfigKVAppliesLive(t *testing.T) {
	t.Parallel()
	s, c := startMinIO(t)
	ctx := context.Background()
	pid := s.Cmd.Process.Pid
	before, err := c.ServerInfo(ctx)
	require.NoError(t, err)
	require.Equal(t, "online", before.Mode)
	require.Len(t, before.Servers, 1)
	require.NotEmpty(t, before.Servers[0].Version)

	cases := []struct {
		set, key, field, want string
		live                  bool
	}{
		{"scanner speed=fastest", "scanner", "speed", "fastest", true},
		{"api cluster_deadline=20s", "api", "cluster_deadline", "20s", true},
		{"scanner speed=slow", "scanner", "speed", "slow", true},
		// The region (subsystem "site"; "region" is its legacy name) is not
		// dynamic: saved, applied only after a restart, so the running
		// configuration still has no region.
		{"site region=eu-west-1", "site", "region", "", false},
	}
	for _, tc := range cases {
		live, err := c.SetConfigKV(ctx, tc.set)
		require.NoError(t, err, tc.set)
		require.Equal(t, tc.live, live, tc.set)
		text, kvs, err := c.GetConfigKV(ctx, tc.key)
		require.NoError(t, err)
		require.Len(t, kvs, 1, text)
		require.Equal(t, tc.key, kvs[0].SubSys)
		require.Equal(t, tc.want, kvs[0].Values[tc.field], text)
	}

	// Same process, never restarted: pid alive and uptime kept growing.
	require.Equal(t, pid, s.Cmd.Process.Pid)
	require.NoError(t, syscall.Kill(pid, 0), "MinIO process %d still running", pid)
	after, err := c.ServerInfo(ctx)
	require.NoError(t, err)
	require.GreaterOrEqual(t, after.Servers[0].Uptime, before.Servers[0].Uptime)
	// Requests signed for us-east-1 still work: the region change waits
	// for a restart.
	require.NotEqual(t, "eu-west-1", after.Region)
}

func TestDataUsageInfoAfterScan(t *testing.T) {
	t.Parallel()
	s, c := startMinIO(t)
	ctx := context.Background()
	live, err := c.SetConfigKV(ctx, "scanner speed=fastest")
	require.NoError(t, err)
	require.True(t, live)

	root := s3Client(t, s, s.AccessKey, s.SecretKey)
	require.NoError(t, root.MakeBucket(ctx, "usage", minio.MakeBucketOptions{}))
	require.NoError(t, root.MakeBucket(ctx, "empty", minio.MakeBucketOptions{}))
	require.NoError(t, root.MakeBucket(ctx, "versioned", minio.MakeBucketOptions{}))
	require.NoError(t, root.EnableVersioning(ctx, "versioned"))
	for _, n := range []int{100, 200} { // two versions of one object
		_, err := root.PutObject(ctx, "versioned", "doc", bytes.NewReader(make([]byte, n)), int64(n), minio.PutObjectOptions{})
		require.NoError(t, err)
	}
	sizes := []int{512 << 10, 256 << 10, 256 << 10} // 1 MiB in all
	for i, n := range sizes {
		_, err := root.PutObject(ctx, "usage", "obj-"+string(rune('a'+i)), bytes.NewReader(make([]byte, n)), int64(n), minio.PutObjectOptions{})
		require.NoError(t, err)
	}

	// MinIO's scanner starts a minute after boot: nothing is scanned yet.
	u, err := c.DataUsageInfo(ctx)
	require.NoError(t, err)
	_, scanned := u.Buckets["usage"]
	require.False(t, scanned, "bucket scanned before the scanner ran: %+v", u)

	deadline := time.Now().Add(4 * time.Minute)
	for {
		n := calls(c, func() { u, err = c.DataUsageInfo(ctx) })
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "one admin call per refresh")
		if u.Buckets["usage"].Objects == uint64(len(sizes)) && u.Buckets["versioned"].Objects > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scanner did not report 3 objects in bucket usage within 4 minutes; last figures: %+v", u)
		}
		time.Sleep(time.Second)
	}
	require.Equal(t, BucketUsage{Size: 1 << 20, Objects: 3}, u.Buckets["usage"])
	require.Equal(t, BucketUsage{Size: 300, Objects: 1, Versions: 2}, u.Buckets["versioned"])
	require.Equal(t, BucketUsage{}, u.Buckets["empty"])
	require.Contains(t, u.Buckets, "empty")
	require.EqualValues(t, 4, u.Objects)
	require.EqualValues(t, 1<<20+300, u.Size)
	require.False(t, u.LastUpdate.IsZero())
	require.WithinDuration(t, time.Now(), u.LastUpdate, 5*time.Minute)
}

func TestBucketQuotaAndDrives(t *testing.T) {
	t.Parallel()
	s, c := startMinIO(t)
	ctx := context.Background()
	root := s3Client(t, s, s.AccessKey, s.SecretKey)
	require.NoError(t, root.MakeBucket(ctx, "backups", minio.MakeBucketOptions{}))

	q, err := c.BucketQuota(ctx, "backups")
	require.NoError(t, err)
	require.Zero(t, q, "a new bucket has no quota")
	require.EqualValues(t, 1, calls(c, func() { err = c.SetBucketQuota(ctx, "backups", 1<<20) }))
	require.NoError(t, err)
	q, err = c.BucketQuota(ctx, "backups")
	require.NoError(t, err)
	require.EqualValues(t, 1<<20, q)
	require.NoError(t, c.SetBucketQuota(ctx, "backups", 5<<30))
	q, err = c.BucketQuota(ctx, "backups")
	require.NoError(t, err)
	require.EqualValues(t, 5<<30, q, "a quota is changed in place")
	require.NoError(t, c.SetBucketQuota(ctx, "backups", 0))
	q, err = c.BucketQuota(ctx, "backups")
	require.NoError(t, err)
	require.Zero(t, q, "0 removes the quota")

	_, err = c.BucketQuota(ctx, "missing")
	require.ErrorIs(t, err, shared.ErrNotFound)
	require.ErrorIs(t, c.SetBucketQuota(ctx, "missing", 1<<20), shared.ErrNotFound)

	info, err := c.ServerInfo(ctx)
	require.NoError(t, err)
	require.Len(t, info.Servers, 1)
	require.Len(t, info.Servers[0].Drives, 1)
	d := info.Servers[0].Drives[0]
	require.Equal(t, s.DataDir, d.Path)
	require.Equal(t, "ok", d.State)
	require.Positive(t, d.Total)
	require.Positive(t, d.Available)
	require.LessOrEqual(t, d.Used+d.Available, d.Total)
	require.Equal(t, [3]int{0, 0, 0}, [3]int{d.PoolIndex, d.SetIndex, d.DiskIndex}, "the one drive is the first of the first set of the first pool")
	require.Nil(t, d.Heal)
	require.Equal(t, "Erasure", info.Backend.Type, "%+v", info.Backend)
	require.Equal(t, []int{1}, info.Backend.Sets)
	require.Equal(t, []int{1}, info.Backend.DrivesPerSet)
	require.Zero(t, info.Backend.StandardParity, "a single drive has no parity")
	require.Equal(t, 1, info.Backend.OnlineDrives)
}
