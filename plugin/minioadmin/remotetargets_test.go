package minioadmin

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/miniotest"
	"github.com/quazzar/object-storage/shared"
)

// replicaPolicy is what a replica bucket's key may do (the replication
// package's TargetPolicy, which this package cannot import), on two
// buckets: copy, and plain (not versioned).
const replicaPolicy = `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":["s3:ListBucket","s3:GetBucketVersioning"],"Resource":["arn:aws:s3:::copy","arn:aws:s3:::plain"]},
{"Effect":"Allow","Action":["s3:PutObject","s3:ReplicateObject","s3:DeleteObject","s3:DeleteObjectVersion","s3:ReplicateDelete","s3:GetObject","s3:GetObjectVersion"],"Resource":["arn:aws:s3:::copy/*","arn:aws:s3:::plain/*"]}]}`

// TestRemoteTargets: set-remote-target (encrypted body, the ARN as a JSON
// string), list-remote-targets for one bucket and for all (no secret),
// remove-remote-target, and MinIO's refusals through minioerr, against
// two real MinIOs.
func TestRemoteTargets(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	src, c := startMinIO(t)
	dst := miniotest.Start(t)
	dstAdmin, err := New(Config{Endpoint: dst.Address, AccessKey: dst.AccessKey, SecretKey: dst.SecretKey})
	require.NoError(t, err)

	srcS3, dstS3 := s3Client(t, src, src.AccessKey, src.SecretKey), s3Client(t, dst, dst.AccessKey, dst.SecretKey)
	versioned := func(c *minio.Client, b string) {
		require.NoError(t, c.MakeBucket(ctx, b, minio.MakeBucketOptions{}))
		require.NoError(t, c.EnableVersioning(ctx, b))
	}
	versioned(srcS3, "photos")
	versioned(dstS3, "copy")
	require.NoError(t, dstS3.MakeBucket(ctx, "plain", minio.MakeBucketOptions{}))
	key, err := dstAdmin.AddServiceAccount(ctx, AddServiceAccountRequest{Name: "replica", Policy: []byte(replicaPolicy)})
	require.NoError(t, err)
	req := SetRemoteTargetRequest{Endpoint: dst.Address, TargetBucket: "copy", Region: "us-east-1", AccessKey: key.AccessKey, SecretKey: key.SecretKey}

	// The source bucket must be versioned.
	require.NoError(t, srcS3.MakeBucket(ctx, "unversioned", minio.MakeBucketOptions{}))
	_, err = c.SetRemoteTarget(ctx, "unversioned", req)
	require.Error(t, err)
	require.Contains(t, []shared.Code{shared.CodeConflict, shared.CodeInvalidArgument}, shared.CodeOf(err), "%v", err)

	// A target bucket without versioning, a missing one, a wrong secret.
	bad := req
	bad.TargetBucket = "plain"
	_, err = c.SetRemoteTarget(ctx, "photos", bad)
	require.Equal(t, shared.CodeConflict, shared.CodeOf(err), "%v", err)
	bad.TargetBucket = "missing"
	_, err = c.SetRemoteTarget(ctx, "photos", bad)
	require.Error(t, err)
	bad = req
	bad.SecretKey = "not-the-secret-at-all"
	_, err = c.SetRemoteTarget(ctx, "photos", bad)
	require.Equal(t, shared.CodeUnavailable, shared.CodeOf(err), "%v", err)
	require.NotContains(t, err.Error(), "not-the-secret-at-all")

	var arn string
	n := calls(c, func() { arn, err = c.SetRemoteTarget(ctx, "photos", req) })
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	require.True(t, strings.HasPrefix(arn, "arn:minio:replication:"), arn)
	require.True(t, strings.HasSuffix(arn, ":copy"), arn)
	again, err := c.SetRemoteTarget(ctx, "photos", req)
	require.NoError(t, err)
	require.Equal(t, arn, again, "the same target and key answer the same ARN")

	for _, bucket := range []string{"photos", ""} {
		ts, err := c.ListRemoteTargets(ctx, bucket)
		require.NoError(t, err)
		require.Len(t, ts, 1, "bucket %q", bucket)
		got := ts[0]
		require.Equal(t, "photos", got.SourceBucket)
		require.Equal(t, dst.Address, got.Endpoint)
		require.Equal(t, "copy", got.TargetBucket)
		require.Equal(t, key.AccessKey, got.AccessKey)
		require.Equal(t, arn, got.ARN)
		require.Equal(t, ServiceReplication, got.Type)
		require.False(t, got.Secure)
	}
	ts, err := c.ListRemoteTargets(ctx, "unversioned")
	require.NoError(t, err)
	require.Empty(t, ts)
	_, err = c.ListRemoteTargets(ctx, "nosuchbucket")
	require.Equal(t, shared.CodeNotFound, shared.CodeOf(err), "%v", err)

	// MinIO's list leaves the secret out: read the raw reply.
	r, err := c.call(ctx, "raw list", "GET", "/list-remote-targets", map[string][]string{"bucket": {""}, "type": {ServiceReplication}}, nil)
	require.NoError(t, err)
	require.NotContains(t, string(r.body), key.SecretKey)

	require.NoError(t, c.RemoveRemoteTarget(ctx, "photos", arn))
	ts, err = c.ListRemoteTargets(ctx, "")
	require.NoError(t, err)
	require.Empty(t, ts)
	err = c.RemoveRemoteTarget(ctx, "photos", arn)
	require.Equal(t, shared.CodeNotFound, shared.CodeOf(err), "%v", err)
	var re *ResponseError
	require.True(t, errors.As(err, &re))
}
