package addon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/pairing"
	"github.com/quazzar/object-storage/shared"
)

// TestReplicationActionsBadInput sends each off-site copy action its bad
// inputs: each is refused with its field and a clear message, and nothing
// is configured (no remote target, no rule, versioning untouched, no
// bucket or key made).
func TestReplicationActionsBadInput(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	a := f.a
	ctx := context.Background()
	require.True(t, act(t, a, "create_bucket", map[string]any{"name": "photos", "visibility": "private"}).OK)

	good := pairing.Target{Endpoint: "http://" + f.settings["s3_address"], Region: "us-east-1", Bucket: "copy",
		AccessKey: "quazzar-NOSUCHKEY0", SecretKey: "not-a-real-secret-not-a-real-secret-1234"}
	plain, err := pairing.Encode(good, "")
	require.NoError(t, err)
	sealed, err := pairing.Encode(good, "correct horse")
	require.NoError(t, err)
	down := good
	down.Endpoint = "http://" + testkit.FreeAddr(t)
	unreachable, err := pairing.Encode(down, "")
	require.NoError(t, err)

	cases := []badInput{
		{"create_replica_target", map[string]any{"name": ""}, "name", "required"},
		{"create_replica_target", map[string]any{"name": "Copy"}, "name", "uppercase"},
		{"create_replica_target", map[string]any{"name": "copy", "passphrase": "short"}, "passphrase", "8 to 1024"},
		{"create_replica_target", map[string]any{"name": 7}, "name", "must be a string"},
		{"create_replica_target", map[string]any{"name": "copy", "token": "x"}, "", "unknown input field"},
		{"replicate_bucket", map[string]any{"name": "photos"}, "token", "token is required"},
		{"replicate_bucket", map[string]any{"name": "", "token": plain}, "name", "required"},
		{"replicate_bucket", map[string]any{"name": "photos", "token": "AKIA-not-a-token"}, "token", "not a Cloud OS pairing token"},
		{"replicate_bucket", map[string]any{"name": "photos", "token": plain[:len(plain)-12]}, "token", "garbled"},
		{"replicate_bucket", map[string]any{"name": "photos", "token": sealed}, "passphrase", "protected by a passphrase"},
		{"replicate_bucket", map[string]any{"name": "photos", "token": sealed, "passphrase": "wrong horse"}, "passphrase", "does not open"},
		{"replicate_bucket", map[string]any{"name": "photos", "token": plain, "passphrase": "correct horse"}, "passphrase", "not protected"},
		{"replicate_bucket", map[string]any{"name": "photos", "token": plain, "replicate_deletes": "yes"}, "replicate_deletes", "true or false"},
		{"replicate_bucket", map[string]any{"name": "missing-bucket", "token": plain}, "name", "does not exist"},
		{"replicate_bucket", map[string]any{"name": "photos", "token": unreachable}, "", "unreachable"},
		{"resync_bucket", map[string]any{"name": ""}, "name", "required"},
		{"resync_bucket", map[string]any{"name": "photos"}, "name", "not replicated"},
		{"resync_bucket", map[string]any{"name": "missing-bucket"}, "name", "does not exist"},
		{"stop_replication", map[string]any{"name": "BAD"}, "name", "uppercase"},
		{"stop_replication", map[string]any{"name": "photos"}, "name", "not replicated"},
		{"stop_replication", map[string]any{"name": "photos", "force": true}, "", "unknown input field"},
	}
	requireRefused(t, a, cases)
	// A key the target does not know; a real token whose bucket was
	// deleted since.
	res := act(t, a, "replicate_bucket", map[string]any{"name": "photos", "token": plain})
	require.False(t, res.OK)
	require.Contains(t, res.Message, "refused the token's key")
	require.Contains(t, res.FieldErrors, "token")
	made := act(t, a, "create_replica_target", map[string]any{"name": "gone"})
	require.True(t, made.OK, made.Message)
	require.True(t, act(t, a, "delete_bucket", map[string]any{"name": "gone", "force": true}).OK)
	res = act(t, a, "replicate_bucket", map[string]any{"name": "photos", "token": made.Token})
	require.False(t, res.OK)
	require.Contains(t, res.Message, "bucket gone does not exist on the target")
	require.Contains(t, res.FieldErrors, "token")

	// Versioning suspended on the target bucket.
	suspended := act(t, a, "create_replica_target", map[string]any{"name": "suspended"})
	require.True(t, suspended.OK, suspended.Message)
	require.True(t, act(t, a, "set_versioning", map[string]any{"name": "suspended", "state": "suspended"}).OK)
	res = act(t, a, "replicate_bucket", map[string]any{"name": "photos", "token": suspended.Token})
	require.False(t, res.OK)
	require.Contains(t, res.Message, "versioning is off on bucket suspended of the target")
	// A key that may not write replicas (made by hand, not by a token):
	// refused by the probe, before versioning or anything else is set.
	limited := act(t, a, "create_bucket", map[string]any{"name": "limited", "visibility": "private"})
	require.True(t, limited.OK)
	require.True(t, act(t, a, "set_versioning", map[string]any{"name": "limited", "state": "enabled"}).OK)
	weak := act(t, a, "create_key", map[string]any{"name": "weak", "policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketVersioning"],"Resource":["arn:aws:s3:::limited"]}]}`})
	require.True(t, weak.OK, weak.Message)
	forged, err := pairing.Encode(pairing.Target{Endpoint: good.Endpoint, Region: "us-east-1", Bucket: "limited", AccessKey: weak.AccessKey, SecretKey: weak.SecretKey}, "")
	require.NoError(t, err)
	res = act(t, a, "replicate_bucket", map[string]any{"name": "photos", "token": forged})
	require.False(t, res.OK)
	require.Contains(t, res.Message, "may not do what replication needs on bucket limited")
	require.Contains(t, res.Message, "s3:PutObject was refused")
	require.Contains(t, res.FieldErrors, "token")

	svc, err := a.conn.services()
	require.NoError(t, err)
	ts, err := svc.admin.ListRemoteTargets(ctx, "")
	require.NoError(t, err)
	require.Empty(t, ts, "no remote target")
	cfg, err := svc.s3.GetBucketReplication(ctx, "photos")
	require.NoError(t, err)
	require.True(t, cfg.Empty(), "no rule")
	v, err := svc.s3.GetBucketVersioning(ctx, "photos")
	require.NoError(t, err)
	require.False(t, v.Enabled(), "versioning not left on by a refusal before the target was set")
	bs, err := a.ListBuckets(ctx, shared.ListBucketsRequest{})
	require.NoError(t, err)
	require.Len(t, bs.Buckets, 3, "photos, suspended and limited: no replica bucket made by a refused action")
	ks, err := a.ListKeys(ctx, shared.ListKeysRequest{})
	require.NoError(t, err)
	require.Len(t, ks.Keys, 3, "the keys of buckets gone and suspended, and the weak one")
	for _, b := range []string{"suspended", "limited"} {
		n := 0
		for o := range svc.s3.ListObjects(ctx, b, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
			require.NoError(t, o.Err)
			n++
		}
		require.Zero(t, n, "nothing written into target bucket %s", b)
	}
}

// TestReplicateWithinOneNode runs the whole pairing on one MinIO, from
// bucket photos to bucket copy: the token, the objects (existing ones by
// the resync), the state, the labels, the key's reach, resync and stop.
func TestReplicateWithinOneNode(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	a := f.a
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := f.rootClient(t)
	_, err := a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "photos", Visibility: shared.Private})
	require.NoError(t, err)
	for i := range 3 {
		_, err := c.PutObject(ctx, "photos", fmt.Sprintf("before/%d", i), strings.NewReader("old"), 3, minio.PutObjectOptions{})
		require.NoError(t, err)
	}

	res := act(t, a, "create_replica_target", map[string]any{"name": "copy", "passphrase": "correct horse"})
	require.True(t, res.OK, res.Message)
	require.True(t, strings.HasPrefix(res.Token, pairing.SealedPrefix))
	require.NotNil(t, res.Modal)
	require.Contains(t, res.Modal.Warning, "shown once")
	target, err := pairing.Decode(res.Token, "correct horse")
	require.NoError(t, err)
	require.Equal(t, "copy", target.Bucket)
	require.Equal(t, res.AccessKey, target.AccessKey)
	require.NotContains(t, f.logs.String(), target.SecretKey, "the token's secret is not logged")
	require.NotContains(t, f.logs.String(), res.Token)

	// The key reaches its bucket only.
	kc := f.keyClient(t, target.AccessKey, target.SecretKey)
	// MinIO lists a key only the buckets it may list.
	listed, err := kc.ListBuckets(ctx)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, "copy", listed[0].Name)
	for o := range kc.ListObjects(ctx, "photos", minio.ListObjectsOptions{Recursive: true}) {
		require.Error(t, o.Err, "the key cannot list another bucket")
	}
	_, err = kc.StatObject(ctx, "photos", "before/0", minio.StatObjectOptions{})
	require.Error(t, err, "the key cannot read another bucket")

	r, err := a.ReplicateBucket(ctx, shared.ReplicateBucketRequest{Name: "photos", Token: res.Token, Passphrase: "correct horse"})
	require.NoError(t, err)
	require.True(t, r.VersioningEnabled)
	require.Equal(t, target.Where(), r.Replication.Target)
	require.True(t, r.Replication.ReplicateDeletes, "deletes are replicated by default")
	require.Empty(t, r.Warnings)

	// A second pairing of the same bucket is refused.
	_, err = a.ReplicateBucket(ctx, shared.ReplicateBucketRequest{Name: "photos", Token: res.Token, Passphrase: "correct horse"})
	require.True(t, errors.Is(err, shared.ErrConflict), "%v", err)

	_, err = c.PutObject(ctx, "photos", "after", strings.NewReader("new"), 3, minio.PutObjectOptions{})
	require.NoError(t, err)
	want := []string{"after", "before/0", "before/1", "before/2"}
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		var got []string
		for o := range c.ListObjects(ctx, "copy", minio.ListObjectsOptions{Recursive: true}) {
			if assert.NoError(ct, o.Err) && o.Key != ".cloudos/replica-of.json" {
				got = append(got, o.Key)
			}
		}
		assert.Equal(ct, want, got)
		st, err := a.ReplicationStatus(ctx, shared.ReplicationStatusRequest{Name: "photos"})
		if assert.NoError(ct, err) {
			assert.Zero(ct, st.PendingObjects, "%+v", st)
			assert.Equal(ct, shared.ReplicationHealthy, st.State, "%+v", st)
			assert.False(ct, st.LastSuccess.IsZero(), "a copy was seen")
		}
	}, 3*time.Minute, time.Second)

	obj, err := c.GetObject(ctx, "copy", "after", minio.GetObjectOptions{})
	require.NoError(t, err)
	body, err := io.ReadAll(obj)
	require.NoError(t, err)
	require.Equal(t, "new", string(body))

	// The labels: photos replicates, copy is a replica of photos.
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		bs, err := a.ListBuckets(ctx, shared.ListBucketsRequest{})
		if !assert.NoError(ct, err) {
			return
		}
		for _, b := range bs.Buckets {
			switch b.Name {
			case "photos":
				if assert.NotNil(ct, b.Replication) {
					assert.Equal(ct, target.Where(), b.Replication.Target)
				}
				assert.Nil(ct, b.ReplicaOf)
			case "copy":
				if assert.NotNil(ct, b.ReplicaOf) {
					assert.Equal(ct, "photos", b.ReplicaOf.Bucket)
					assert.Equal(ct, "http://"+f.settings["s3_address"], b.ReplicaOf.Endpoint)
				}
			}
		}
	}, time.Minute, 500*time.Millisecond)
	text := pageText(t, f)
	require.Contains(t, text, "replica of photos on http://"+f.settings["s3_address"])
	require.Contains(t, text, "→ "+target.Where())

	rs := act(t, a, "resync_bucket", map[string]any{"name": "photos"})
	require.True(t, rs.OK, rs.Message)

	st := act(t, a, "stop_replication", map[string]any{"name": "photos"})
	require.True(t, st.OK, st.Message)
	require.Contains(t, st.Message, "Both copies stay")
	svc, err := a.conn.services()
	require.NoError(t, err)
	ts, err := svc.admin.ListRemoteTargets(ctx, "")
	require.NoError(t, err)
	require.Empty(t, ts)
	cfg, err := c.GetBucketReplication(ctx, "photos")
	require.NoError(t, err)
	require.True(t, cfg.Empty(), "no rule")
	for _, b := range []string{"photos", "copy"} {
		_, err := c.StatObject(ctx, b, "after", minio.StatObjectOptions{})
		require.NoError(t, err, "both copies stay: %s", b)
	}
	_, err = a.ReplicationStatus(ctx, shared.ReplicationStatusRequest{Name: "photos"})
	require.True(t, errors.Is(err, shared.ErrNotFound), "%v", err)
	// Paired again without replicating deletes (a new token for the same
	// bucket: the first key stays, a second one is made): a delete here
	// stays here, while uploads still go.
	again := act(t, a, "create_replica_target", map[string]any{"name": "copy"})
	require.True(t, again.OK, again.Message)
	require.Contains(t, again.Message, "(it existed)")
	require.NotEqual(t, res.AccessKey, again.AccessKey)
	noDeletes := act(t, a, "replicate_bucket", map[string]any{"name": "photos", "token": again.Token, "replicate_deletes": false})
	require.True(t, noDeletes.OK, noDeletes.Message)
	require.Contains(t, noDeletes.Message, "Deletes are not replicated")
	require.NoError(t, c.RemoveObject(ctx, "photos", "after", minio.RemoveObjectOptions{}))
	_, err = c.PutObject(ctx, "photos", "later", bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		_, err := c.StatObject(ctx, "copy", "later", minio.StatObjectOptions{})
		assert.NoError(ct, err, "an upload after the delete arrived")
	}, 2*time.Minute, time.Second)
	_, err = c.StatObject(ctx, "copy", "after", minio.StatObjectOptions{})
	require.NoError(t, err, "the delete was not replicated")
	stNo, err := a.ReplicationStatus(ctx, shared.ReplicationStatusRequest{Name: "photos"})
	require.NoError(t, err)
	require.False(t, stNo.ReplicateDeletes)
}
