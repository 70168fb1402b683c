package buckets

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/miniotest"
	"github.com/quazzar/object-storage/shared"
)

func setup(t *testing.T) (*Manager, *minio.Client, *miniotest.Server) {
	t.Helper()
	srv := miniotest.Start(t)
	c, err := minio.New(srv.Address, &minio.Options{
		Creds:  credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""),
		Region: srv.Region,
	})
	require.NoError(t, err)
	return New(c), c, srv
}

// anon sends an unsigned request and returns the status code.
func anon(t *testing.T, method, url string, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func put(t *testing.T, c *minio.Client, bucket, key, body string) {
	t.Helper()
	_, err := c.PutObject(context.Background(), bucket, key, strings.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
	require.NoError(t, err)
}

func TestVisibilityAnonymousAccess(t *testing.T) {
	t.Parallel()
	m, c, srv := setup(t)
	ctx := context.Background()
	_, err := m.Create(ctx, "cdn", shared.Public, false)
	require.NoError(t, err)
	put(t, c, "cdn", "logo.png", "png-bytes")
	base := srv.Endpoint() + "/cdn"

	checkPublic := func() {
		require.Equal(t, 200, anon(t, "GET", base+"/logo.png", ""), "anonymous GET of a public object")
		require.Equal(t, 403, anon(t, "GET", base+"/", ""), "anonymous list of a public bucket")
		require.Equal(t, 403, anon(t, "GET", base+"?list-type=2", ""), "anonymous list v2 of a public bucket")
		require.Equal(t, 403, anon(t, "PUT", base+"/evil.txt", "x"), "anonymous PUT")
		require.Equal(t, 403, anon(t, "DELETE", base+"/logo.png", ""), "anonymous DELETE")
	}
	checkPrivate := func() {
		require.Equal(t, 403, anon(t, "GET", base+"/logo.png", ""), "anonymous GET of a private object")
		require.Equal(t, 403, anon(t, "PUT", base+"/evil.txt", "x"))
	}
	checkPublic()
	v, err := m.Visibility(ctx, "cdn")
	require.NoError(t, err)
	require.Equal(t, shared.Public, v)

	_, err = m.SetVisibility(ctx, "cdn", shared.Private, false)
	require.NoError(t, err)
	checkPrivate()
	p, err := c.GetBucketPolicy(ctx, "cdn")
	require.NoError(t, err)
	require.Empty(t, p, "a private bucket has no policy")

	_, err = m.SetVisibility(ctx, "cdn", shared.Public, false)
	require.NoError(t, err)
	checkPublic()

	_, err = m.Create(ctx, "vault", shared.Private, false)
	require.NoError(t, err)
	put(t, c, "vault", "secret.txt", "s")
	require.Equal(t, 403, anon(t, "GET", srv.Endpoint()+"/vault/secret.txt", ""))

	list, err := m.List(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	require.Equal(t, "cdn", list[0].Name)
	require.Equal(t, shared.Public, list[0].Visibility)
	require.Equal(t, shared.Private, list[1].Visibility)
}

func TestCustomPolicyKept(t *testing.T) {
	t.Parallel()
	m, c, _ := setup(t)
	ctx := context.Background()
	_, err := m.Create(ctx, "assets", shared.Private, false)
	require.NoError(t, err)
	custom := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::assets/*","arn:aws:s3:::assets"]}]}`
	require.NoError(t, c.SetBucketPolicy(ctx, "assets", custom))
	require.NoError(t, m.Refresh(ctx))

	list, err := m.List(ctx)
	require.NoError(t, err)
	require.Equal(t, shared.Custom, list[0].Visibility)

	_, err = m.SetVisibility(ctx, "assets", shared.Public, false)
	require.ErrorIs(t, err, shared.ErrConflict)
	require.Contains(t, err.Error(), "custom policy")
	after, err := c.GetBucketPolicy(ctx, "assets")
	require.NoError(t, err)
	require.Contains(t, after, "s3:ListBucket", "the custom policy is untouched")

	_, err = m.SetVisibility(ctx, "assets", shared.Public, true)
	require.NoError(t, err)
	after, err = c.GetBucketPolicy(ctx, "assets")
	require.NoError(t, err)
	require.Equal(t, shared.Public, Classify("assets", after))
}

func TestDelete(t *testing.T) {
	t.Parallel()
	m, c, _ := setup(t)
	ctx := context.Background()
	_, err := m.Create(ctx, "photos", shared.Private, false)
	require.NoError(t, err)
	put(t, c, "photos", "a.jpg", "aaa")

	_, err = m.Delete(ctx, "photos", false)
	require.ErrorIs(t, err, shared.ErrConflict)
	require.Equal(t, "bucket photos is not empty: empty it first via the console, the S3 API, or `mc rb --force`", err.Error())
	obj, err := c.GetObject(ctx, "photos", "a.jpg", minio.GetObjectOptions{})
	require.NoError(t, err)
	b, err := io.ReadAll(obj)
	require.NoError(t, err)
	require.Equal(t, "aaa", string(b), "object intact after a refused delete")

	// A versioned bucket with several versions and a delete marker.
	_, err = m.Create(ctx, "versioned", shared.Private, false)
	require.NoError(t, err)
	require.NoError(t, c.EnableVersioning(ctx, "versioned"))
	put(t, c, "versioned", "doc.txt", "v1")
	put(t, c, "versioned", "doc.txt", "v2")
	put(t, c, "versioned", "other.txt", "x")
	require.NoError(t, c.RemoveObject(ctx, "versioned", "other.txt", minio.RemoveObjectOptions{}))
	n, err := m.Delete(ctx, "versioned", true)
	require.NoError(t, err)
	require.Equal(t, 3, n, "three object versions removed")
	ok, err := c.BucketExists(ctx, "versioned")
	require.NoError(t, err)
	require.False(t, ok)

	_, err = m.Delete(ctx, "missing", false)
	require.ErrorIs(t, err, shared.ErrNotFound)
	_, err = m.Delete(ctx, "missing", true)
	require.ErrorIs(t, err, shared.ErrNotFound)
}

func TestCreateBadInput(t *testing.T) {
	t.Parallel()
	m, c, _ := setup(t)
	ctx := context.Background()
	_, err := m.Create(ctx, "photos", shared.Private, false)
	require.NoError(t, err)
	_, err = m.Create(ctx, "photos", shared.Private, false)
	require.ErrorIs(t, err, shared.ErrConflict)
	require.Equal(t, "name", shared.AsError(err).Field)

	for _, bad := range []struct {
		name string
		vis  shared.Visibility
	}{
		{"Bad_Name", shared.Private}, {"ok-name", "secret"}, {"ok-name", ""}, {"ok-name", shared.Custom},
		{"10.0.0.1", shared.Public}, {"x", shared.Public},
	} {
		_, err := m.Create(ctx, bad.name, bad.vis, false)
		require.ErrorIs(t, err, shared.ErrInvalidArgument, "%+v", bad)
	}
	bs, err := c.ListBuckets(ctx)
	require.NoError(t, err)
	require.Len(t, bs, 1, "bad input created nothing")
}

// TestRefreshDoesNotUndoChanges: a background refresh that read a policy
// before the add-on changed it must not put the old visibility back in the
// cache.
func TestRefreshDoesNotUndoChanges(t *testing.T) {
	t.Parallel()
	m, _, _ := setup(t)
	ctx := context.Background()
	for i := range 30 {
		_, err := m.Create(ctx, fmt.Sprintf("b%02d", i), shared.Private, false)
		require.NoError(t, err)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				_ = m.Refresh(ctx)
			}
		}
	}()
	want := shared.Private
	for range 20 {
		if want == shared.Private {
			want = shared.Public
		} else {
			want = shared.Private
		}
		_, err := m.SetVisibility(ctx, "b07", want, false)
		require.NoError(t, err)
		time.Sleep(15 * time.Millisecond) // let a refresh that started before finish
		list, err := m.List(ctx)
		require.NoError(t, err)
		require.Equal(t, want, list[7].Visibility, "the cache lost the change")
	}
	close(stop)
	<-done
}

// versions fills a new versioned bucket with n object versions (200 keys
// under four prefixes, several versions each) and four delete markers, and
// returns n.
func versions(t *testing.T, c *minio.Client, bucket string, n int) int {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, c.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}))
	require.NoError(t, c.EnableVersioning(ctx, bucket))
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			key := fmt.Sprintf("dir%d/obj%03d", i%4, i/4%50)
			_, err := c.PutObject(ctx, bucket, key, strings.NewReader("v"), 1, minio.PutObjectOptions{})
			errs <- err
		}()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	for d := range 4 {
		require.NoError(t, c.RemoveObject(ctx, bucket, fmt.Sprintf("dir%d/obj000", d), minio.RemoveObjectOptions{}))
	}
	return n
}

// TestForceDeleteManyVersions empties a bucket with more versions than one
// multi-delete call takes (1000), so that listing and removing overlap.
// Run with -race: the lister's counters are read after it has finished.
func TestForceDeleteManyVersions(t *testing.T) {
	t.Parallel()
	m, c, _ := setup(t)
	want := versions(t, c, "many", 1100)
	n, err := m.Delete(context.Background(), "many", true)
	require.NoError(t, err)
	require.Equal(t, want, n)
	ok, err := c.BucketExists(context.Background(), "many")
	require.NoError(t, err)
	require.False(t, ok)
}

// TestForceDeleteCancelled cancels a force delete at growing delays, so
// that the cancellation lands in the listing, in a removal and between
// them; each attempt must return (with an error or done), and retrying
// finishes the job.
func TestForceDeleteCancelled(t *testing.T) {
	t.Parallel()
	m, c, _ := setup(t)
	total := versions(t, c, "cancelled", 1100)
	removed := 0
	for delay := time.Millisecond; ; delay *= 2 {
		ctx, cancel := context.WithTimeout(context.Background(), delay)
		n, err := m.Delete(ctx, "cancelled", true)
		cancel()
		removed += n
		if err == nil {
			break
		}
		require.Less(t, delay, time.Minute, "force delete never finished: %v", err)
		require.ErrorIs(t, err, shared.ErrUnavailable, "a cancelled delete is unavailable, got %v", err)
	}
	require.GreaterOrEqual(t, removed, total, "every version was counted at least once over the attempts")
	ok, err := c.BucketExists(context.Background(), "cancelled")
	require.NoError(t, err)
	require.False(t, ok)
}

// TestListFromCacheAfterRefresh: once refreshed, the list is the cache:
// the Manager's own creates and deletes show at once, buckets made or
// removed behind its back at the next Refresh.
func TestListFromCacheAfterRefresh(t *testing.T) {
	t.Parallel()
	m, c, _ := setup(t)
	ctx := context.Background()
	require.NoError(t, c.MakeBucket(ctx, "made-elsewhere", minio.MakeBucketOptions{}))
	names := func() []string {
		t.Helper()
		list, err := m.List(ctx)
		require.NoError(t, err)
		var out []string
		for _, b := range list {
			require.False(t, b.CreatedAt.IsZero(), b.Name)
			out = append(out, b.Name)
		}
		return out
	}
	require.Equal(t, []string{"made-elsewhere"}, names(), "before a refresh, MinIO is asked")
	require.NoError(t, m.Refresh(ctx))

	_, err := m.Create(ctx, "ours", shared.Public, false)
	require.NoError(t, err)
	require.NoError(t, c.MakeBucket(ctx, "second-elsewhere", minio.MakeBucketOptions{}))
	require.NoError(t, c.RemoveBucket(ctx, "made-elsewhere"))
	require.Equal(t, []string{"made-elsewhere", "ours"}, names(), "own changes at once, others not yet")

	require.NoError(t, m.Refresh(ctx))
	require.Equal(t, []string{"ours", "second-elsewhere"}, names())
	_, err = m.Delete(ctx, "ours", false)
	require.NoError(t, err)
	require.Equal(t, []string{"second-elsewhere"}, names())
	list, err := m.List(ctx)
	require.NoError(t, err)
	require.Equal(t, shared.Private, list[0].Visibility)
}

// RefreshWith takes policies from MinIO's metadata export, and asks MinIO
// only for a bucket the export did not have.
func TestRefreshWithExportedPolicies(t *testing.T) {
	t.Parallel()
	m, c, srv := setup(t)
	ctx := context.Background()
	admin, err := minioadmin.New(minioadmin.Config{Endpoint: srv.Address, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Region: srv.Region})
	require.NoError(t, err)
	_, err = m.Create(ctx, "pub", shared.Public, false)
	require.NoError(t, err)
	_, err = m.Create(ctx, "priv", shared.Private, false)
	require.NoError(t, err)
	require.NoError(t, c.MakeBucket(ctx, "custom", minio.MakeBucketOptions{}))
	require.NoError(t, c.SetBucketPolicy(ctx, "custom", strings.Replace(PublicPolicy("custom"), `"s3:GetObject"`, `"s3:GetObject","s3:PutObject"`, 1)))

	exported, err := admin.ExportBucketMetadata(ctx)
	require.NoError(t, err)
	policies := map[string]string{}
	for name, files := range exported {
		policies[name] = string(files[minioadmin.FilePolicy])
	}
	require.NoError(t, c.MakeBucket(ctx, "late", minio.MakeBucketOptions{}))
	require.NoError(t, c.SetBucketPolicy(ctx, "late", PublicPolicy("late")))
	vis := func() map[string]shared.Visibility {
		list, err := m.List(ctx)
		require.NoError(t, err)
		out := map[string]shared.Visibility{}
		for _, b := range list {
			out[b.Name] = b.Visibility
		}
		return out
	}
	want := map[string]shared.Visibility{"pub": shared.Public, "priv": shared.Private, "custom": shared.Custom, "late": shared.Public}
	require.NoError(t, m.RefreshWith(ctx, m.Mark(), policies))
	require.Equal(t, want, vis(), "the export's policies, and the late bucket asked")
	require.NoError(t, m.Refresh(ctx))
	require.Equal(t, want, vis(), "the same as a call per bucket")

	// The export's word is taken without a call: a policy it says is
	// public shows public.
	policies["priv"] = PublicPolicy("priv")
	require.NoError(t, m.RefreshWith(ctx, m.Mark(), policies))
	require.Equal(t, shared.Public, vis()["priv"])

	// An export read before the add-on's own change does not undo it: the
	// mark is taken before the export.
	mark := m.Mark()
	stale := map[string]string{"pub": PublicPolicy("pub"), "priv": "", "custom": "", "late": ""}
	_, err = m.SetVisibility(ctx, "priv", shared.Private, false)
	require.NoError(t, err)
	_, err = m.SetVisibility(ctx, "pub", shared.Private, false)
	require.NoError(t, err)
	require.NoError(t, m.RefreshWith(ctx, mark, stale))
	got := vis()
	require.Equal(t, shared.Private, got["pub"], "changed by the add-on after the mark: kept")
	require.Equal(t, shared.Private, got["late"], "not changed by the add-on: the export's word")
}
