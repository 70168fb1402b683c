package buckets

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

// TestS3Error checks the codes and wording of the S3 errors buckets meets,
// as MinIO answers them (code and HTTP status). The table itself, with the
// codes of the coming quota, versioning, lifecycle, object lock and
// replication features, is tested in minioerr.
func TestS3Error(t *testing.T) {
	t.Parallel()
	cases := []struct {
		code      string
		status    int
		want      shared.Code
		wantField string
		wantMsg   string
	}{
		{"NoSuchBucket", http.StatusNotFound, shared.CodeNotFound, "", "bucket photos does not exist"},
		{"BucketAlreadyOwnedByYou", http.StatusConflict, shared.CodeConflict, "name", "bucket photos already exists: pick another name"},
		{"BucketAlreadyExists", http.StatusConflict, shared.CodeConflict, "name", "bucket photos already exists: pick another name"},
		{"BucketNotEmpty", http.StatusConflict, shared.CodeConflict, "",
			"bucket photos is not empty: empty it first via the console, the S3 API, or `mc rb --force`"},
		{"InvalidBucketName", http.StatusBadRequest, shared.CodeInvalidArgument, "name", `bucket name "photos" is not valid: MinIO says so`},
		{"AccessDenied", http.StatusForbidden, shared.CodePermission, "", "object server refused the request (AccessDenied): MinIO says so"},
		{"MalformedPolicy", http.StatusBadRequest, shared.CodeInvalidArgument, "", "bucket policy refused: MinIO says so"},
		{"XMinioAdminBucketQuotaExceeded", http.StatusBadRequest, shared.CodeConflict, "", "object server error XMinioAdminBucketQuotaExceeded: MinIO says so"},
		{"InternalError", http.StatusInternalServerError, shared.CodeInternal, "", "object server error InternalError: MinIO says so"},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			resp := minio.ErrorResponse{Code: tc.code, StatusCode: tc.status, Message: "MinIO says so"}
			for _, err := range []error{resp, fmt.Errorf("make bucket: %w", resp)} {
				e := shared.AsError(S3Error(err, "photos"))
				require.Equal(t, tc.want, e.Code)
				require.Equal(t, tc.wantField, e.Field)
				require.Equal(t, tc.wantMsg, e.Message)
			}
		})
	}

	require.NoError(t, S3Error(nil, "photos"))
	err := S3Error(errors.New("dial tcp 127.0.0.1:9: connection refused"), "photos")
	require.ErrorIs(t, err, shared.ErrUnavailable)
	require.Contains(t, err.Error(), "object server unreachable: dial tcp")
}

// TestS3ErrorFromMinIO provokes errors from a real MinIO, so that the codes
// the table is written for are the codes MinIO sends.
func TestS3ErrorFromMinIO(t *testing.T) {
	t.Parallel()
	_, c, _ := setup(t)
	ctx := context.Background()
	require.NoError(t, c.MakeBucket(ctx, "plain", minio.MakeBucketOptions{}))
	require.NoError(t, c.MakeBucket(ctx, "locked", minio.MakeBucketOptions{ObjectLocking: true}))
	put(t, c, "plain", "a.txt", "a")
	info, err := c.PutObject(ctx, "locked", "held.txt", strings.NewReader("h"), 1,
		minio.PutObjectOptions{LegalHold: minio.LegalHoldEnabled})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = c.PutObjectLegalHold(context.Background(), "locked", "held.txt",
			minio.PutObjectLegalHoldOptions{VersionID: info.VersionID, Status: ptr(minio.LegalHoldDisabled)})
	})

	cases := []struct {
		name      string
		call      func() error
		wantMinIO string
		want      shared.Code
	}{
		{"missing bucket", func() error { _, err := c.GetBucketPolicy(ctx, "missing"); return err },
			"NoSuchBucket", shared.CodeNotFound},
		{"bucket exists", func() error { return c.MakeBucket(ctx, "plain", minio.MakeBucketOptions{}) },
			"BucketAlreadyOwnedByYou", shared.CodeConflict},
		{"bucket not empty", func() error { return c.RemoveBucket(ctx, "plain") },
			"BucketNotEmpty", shared.CodeConflict},
		{"malformed policy", func() error {
			return c.SetBucketPolicy(ctx, "plain", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}`)
		},
			"MalformedPolicy", shared.CodeInvalidArgument},
		{"no object lock", func() error { _, _, _, _, err := c.GetObjectLockConfig(ctx, "plain"); return err },
			"ObjectLockConfigurationNotFoundError", shared.CodeNotFound},
		{"no lifecycle", func() error { _, err := c.GetBucketLifecycle(ctx, "plain"); return err },
			"NoSuchLifecycleConfiguration", shared.CodeNotFound},
		{"no encryption", func() error { _, err := c.GetBucketEncryption(ctx, "plain"); return err },
			"ServerSideEncryptionConfigurationNotFoundError", shared.CodeNotFound},
		{"suspend versioning under object lock", func() error { return c.SuspendVersioning(ctx, "locked") },
			"InvalidBucketState", shared.CodeConflict},
		{"delete a version on legal hold", func() error {
			return c.RemoveObject(ctx, "locked", "held.txt", minio.RemoveObjectOptions{VersionID: info.VersionID})
		}, "InvalidRequest", shared.CodeInvalidArgument},
	}
	for _, tc := range cases {
		err := tc.call()
		require.Error(t, err, tc.name)
		require.Equal(t, tc.wantMinIO, minio.ToErrorResponse(err).Code, "%s: %v", tc.name, err)
		require.Equal(t, tc.want, shared.CodeOf(S3Error(err, "plain")), "%s: %v", tc.name, err)
	}
}

func ptr[T any](v T) *T { return &v }
