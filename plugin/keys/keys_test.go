package keys

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/miniotest"
	"github.com/quazzar/object-storage/shared"
)

type env struct {
	m    *Manager
	srv  *miniotest.Server
	root *minio.Client
}

func setup(t *testing.T) env {
	t.Helper()
	srv := miniotest.Start(t)
	m, err := New(rootAdmin(t, srv), t.TempDir())
	require.NoError(t, err)
	return env{m: m, srv: srv, root: client(t, srv, srv.AccessKey, srv.SecretKey)}
}

// rootAdmin is an admin client of srv with its root credentials: the
// manager's, or another tool's (mc, the console) in tests of changes made
// behind the manager's back.
func rootAdmin(t *testing.T, srv *miniotest.Server) *minioadmin.Client {
	t.Helper()
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Address, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Region: srv.Region})
	require.NoError(t, err)
	return admin
}

func client(t *testing.T, srv *miniotest.Server, ak, sk string) *minio.Client {
	t.Helper()
	c, err := minio.New(srv.Address, &minio.Options{Creds: credentials.NewStaticV4(ak, sk, ""), Region: srv.Region})
	require.NoError(t, err)
	return c
}

// list returns the manager's list of keys, failing the test on an error.
func list(t *testing.T, m *Manager) []shared.Key {
	t.Helper()
	l, err := m.List(context.Background())
	require.NoError(t, err)
	return l.Keys
}

func s3code(err error) string { return minio.ToErrorResponse(err).Code }

func TestReadOnlyPolicyKey(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	for _, b := range []string{"photos", "other"} {
		require.NoError(t, e.root.MakeBucket(ctx, b, minio.MakeBucketOptions{}))
		_, err := e.root.PutObject(ctx, b, "a.jpg", strings.NewReader("img"), 3, minio.PutObjectOptions{})
		require.NoError(t, err)
	}
	res, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "photo-reader", Policy: ReadOnlyPolicy("photos")})
	require.NoError(t, err)
	require.True(t, IsManaged(res.Key.AccessKey))
	require.Len(t, res.SecretKey, 40)
	require.Equal(t, shared.PolicyCustom, res.Key.PolicyKind)
	c := client(t, e.srv, res.Key.AccessKey, res.SecretKey)

	obj, err := c.GetObject(ctx, "photos", "a.jpg", minio.GetObjectOptions{})
	require.NoError(t, err)
	b, err := io.ReadAll(obj)
	require.NoError(t, err, "GET on photos")
	require.Equal(t, "img", string(b))
	n := 0
	for o := range c.ListObjects(ctx, "photos", minio.ListObjectsOptions{}) {
		require.NoError(t, o.Err, "list on photos")
		n++
	}
	require.Equal(t, 1, n)

	_, err = c.PutObject(ctx, "photos", "new.jpg", strings.NewReader("x"), 1, minio.PutObjectOptions{})
	require.Equal(t, "AccessDenied", s3code(err), "PUT on photos: %v", err)
	err = c.RemoveObject(ctx, "photos", "a.jpg", minio.RemoveObjectOptions{})
	require.Equal(t, "AccessDenied", s3code(err), "DELETE on photos: %v", err)
	_, err = c.StatObject(ctx, "other", "a.jpg", minio.StatObjectOptions{})
	require.Equal(t, "AccessDenied", s3code(err), "GET on other: %v", err)
	for o := range c.ListObjects(ctx, "other", minio.ListObjectsOptions{}) {
		require.Equal(t, "AccessDenied", s3code(o.Err), "list on other")
	}
	_, err = c.PutObject(ctx, "other", "x", strings.NewReader("x"), 1, minio.PutObjectOptions{})
	require.Equal(t, "AccessDenied", s3code(err))

	keys := list(t, e.m)
	require.Len(t, keys, 1)
	require.Equal(t, "photo-reader", keys[0].Name)
	require.Equal(t, shared.PolicyCustom, keys[0].PolicyKind)
	require.Contains(t, keys[0].Policy, "arn:aws:s3:::photos/*")
	require.False(t, keys[0].CreatedAt.IsZero())
}

func TestInheritedKeyAndRevoke(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	full, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "trusted-app", Description: "CI"})
	require.NoError(t, err)
	require.Equal(t, shared.PolicyAllBuckets, full.Key.PolicyKind)
	require.False(t, full.Key.Admin)
	other, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "second"})
	require.NoError(t, err)

	c := client(t, e.srv, full.Key.AccessKey, full.SecretKey)
	require.NoError(t, c.MakeBucket(ctx, "made-by-key", minio.MakeBucketOptions{}), "a key with no policy has S3 on every bucket")
	_, err = c.PutObject(ctx, "made-by-key", "o", strings.NewReader("x"), 1, minio.PutObjectOptions{})
	require.NoError(t, err)
	require.NoError(t, c.RemoveObject(ctx, "made-by-key", "o", minio.RemoveObjectOptions{}))
	require.NoError(t, c.RemoveBucket(ctx, "made-by-key"))

	require.NoError(t, e.m.Revoke(ctx, full.Key.AccessKey))
	_, err = c.ListBuckets(ctx)
	require.Equal(t, "InvalidAccessKeyId", s3code(err), "revoked key: %v", err)
	_, err = client(t, e.srv, other.Key.AccessKey, other.SecretKey).ListBuckets(ctx)
	require.NoError(t, err, "the other key still works")

	err = e.m.Revoke(ctx, full.Key.AccessKey)
	require.ErrorIs(t, err, shared.ErrNotFound, "revoking twice")
	err = e.m.Revoke(ctx, "quazzar-ZZZZZZZZZZ")
	require.ErrorIs(t, err, shared.ErrNotFound)
	err = e.m.Revoke(ctx, e.srv.AccessKey)
	require.Error(t, err, "the root user is not a key")
	_, err = client(t, e.srv, e.srv.AccessKey, e.srv.SecretKey).ListBuckets(ctx)
	require.NoError(t, err, "root still works")

	keys := list(t, e.m)
	require.Len(t, keys, 1)
	require.Equal(t, other.Key.AccessKey, keys[0].AccessKey)
	for _, k := range keys {
		require.NotContains(t, fmt.Sprintf("%+v", k), other.SecretKey)
	}
}

func TestCreateBadInput(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	_, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "taken"})
	require.NoError(t, err)
	policy := func(p string) shared.CreateKeyRequest { return shared.CreateKeyRequest{Name: "ok", Policy: p} }
	cases := []struct {
		name  string
		req   shared.CreateKeyRequest
		field string
		code  shared.Code
	}{
		{"empty name", shared.CreateKeyRequest{}, "name", shared.CodeInvalidArgument},
		{"long name", shared.CreateKeyRequest{Name: strings.Repeat("a", 33)}, "name", shared.CodeInvalidArgument},
		{"name with space", shared.CreateKeyRequest{Name: "my key"}, "name", shared.CodeInvalidArgument},
		{"duplicate", shared.CreateKeyRequest{Name: "taken"}, "name", shared.CodeConflict},
		{"not json", policy("{nope"), "policy", shared.CodeInvalidArgument},
		{"no version", policy(`{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::a/*"]}]}`), "policy", shared.CodeInvalidArgument},
		{"unknown effect", policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Perhaps","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::a/*"]}]}`), "policy", shared.CodeInvalidArgument},
		{"oversized", policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::` + strings.Repeat("b", 4096) + `"]}]}`), "policy", shared.CodeInvalidArgument},
		{"minio refuses", policy(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:NoSuchAction"],"Resource":["arn:aws:s3:::a/*"]}]}`), "policy", shared.CodeInvalidArgument},
		{"expiry too soon", shared.CreateKeyRequest{Name: "ok", Expiry: time.Now().Add(5 * time.Minute)}, "expiry", shared.CodeInvalidArgument},
		{"expiry too far", shared.CreateKeyRequest{Name: "ok", Expiry: time.Now().Add(400 * 24 * time.Hour)}, "expiry", shared.CodeInvalidArgument},
		{"description too long", shared.CreateKeyRequest{Name: "ok", Description: strings.Repeat("d", 257)}, "description", shared.CodeInvalidArgument},
	}
	for _, c := range cases {
		_, err := e.m.Create(ctx, c.req)
		require.Error(t, err, c.name)
		se := shared.AsError(err)
		require.Equal(t, c.code, se.Code, "%s: %v", c.name, err)
		require.Equal(t, c.field, se.Field, "%s: %v", c.name, err)
		require.NotEmpty(t, se.Message)
	}
	keys := list(t, e.m)
	require.Len(t, keys, 1, "bad input created no key")

	// An expiry inside the window works and is listed.
	exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	res, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "temp", Expiry: exp})
	require.NoError(t, err)
	keys = list(t, e.m)
	for _, k := range keys {
		if k.AccessKey == res.Key.AccessKey {
			require.WithinDuration(t, exp, k.Expiry, time.Second)
		}
	}
}

func TestConcurrentCreates(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	results := make([]shared.CreateKeyResponse, 20)
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.m.Create(ctx, shared.CreateKeyRequest{Name: fmt.Sprintf("app-%02d", i)})
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, r := range results {
		require.NoError(t, errs[i])
		require.False(t, seen[r.Key.AccessKey])
		seen[r.Key.AccessKey] = true
		_, err := client(t, e.srv, r.Key.AccessKey, r.SecretKey).ListBuckets(ctx)
		require.NoError(t, err, "key %d works", i)
	}
	keys := list(t, e.m)
	require.Len(t, keys, 20)
}

// TestOtherServiceAccountsListedNotRevoked: a service account of the root
// user made outside the add-on (console, mc) is listed as not managed and
// cannot be revoked from here.
func TestOtherServiceAccountsListedAndRevocable(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	_, err := e.m.admin.AddServiceAccount(ctx, minioadmin.AddServiceAccountRequest{
		AccessKey: "grafana-made-by-mc", SecretKey: "a-secret-of-mc-1234", Name: "grafana",
	})
	require.NoError(t, err)
	ours, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: "grafana"})
	require.NoError(t, err, "names only need to be unique among the add-on's keys")

	keys := list(t, e.m)
	require.Len(t, keys, 2)
	require.Equal(t, ours.Key.AccessKey, keys[0].AccessKey, "the add-on's keys come first")
	require.True(t, keys[0].Managed)
	require.Equal(t, "grafana-made-by-mc", keys[1].AccessKey)
	require.False(t, keys[1].Managed)

	require.True(t, keys[1].Admin, "a key made elsewhere without a policy inherits root: administrator")
	require.False(t, keys[1].FirstSeen.IsZero())
	require.NoError(t, e.m.Revoke(ctx, "grafana-made-by-mc"), "keys made elsewhere are revocable here")
	_, err = client(t, e.srv, "grafana-made-by-mc", "a-secret-of-mc-1234").ListBuckets(ctx)
	require.Equal(t, "InvalidAccessKeyId", s3code(err), "the revoked key no longer works: %v", err)
	_, err = client(t, e.srv, ours.Key.AccessKey, ours.SecretKey).ListBuckets(ctx)
	require.NoError(t, err, "ours still works")
}

// TestRestartKeepsPolicies: a new manager on the same state dir (a
// restarted add-on) lists its keys' policies without reading each one
// from MinIO again: one encrypted call for the whole list.
func TestRestartKeepsPolicies(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	for i := range 5 {
		_, err := e.m.Create(ctx, shared.CreateKeyRequest{Name: fmt.Sprintf("k%d", i), Policy: ReadOnlyPolicy("photos")})
		require.NoError(t, err)
	}
	admin := rootAdmin(t, e.srv)
	restarted, err := New(admin, filepath.Dir(e.m.metaPath))
	require.NoError(t, err)
	keys := list(t, restarted)
	require.Len(t, keys, 5)
	for _, k := range keys {
		require.Equal(t, shared.PolicyCustom, k.PolicyKind)
		require.Contains(t, k.Policy, "arn:aws:s3:::photos/*")
		require.False(t, k.CreatedAt.IsZero())
	}
	require.Equal(t, uint64(1), admin.Stats().Calls, "one list call, no per-key reads")

	// The first format of keys.json (creation times only) still loads.
	old := `{"quazzar-AAAAAAAAAA":"2026-11-29T12:00:00Z"}`
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys.json"), []byte(old), 0o600))
	_, err = New(admin, dir)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "keys.json"), []byte("{nope"), 0o600))
	_, err = New(admin, dir)
	require.ErrorContains(t, err, "damaged")
}
