package minioerr

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestCode(t *testing.T) {
	t.Parallel()
	// Each code with the HTTP status MinIO answers it with (cmd/api-errors.go
	// at the pinned version), unless the case is about another status.
	cases := []struct {
		minio  string
		status int
		want   shared.Code
	}{
		// Admin API.
		{"XMinioInvalidIAMCredentials", http.StatusNotFound, shared.CodeNotFound},
		{"XMinioInvalidIAMCredentials", http.StatusForbidden, shared.CodePermission},
		{"XMinioAdminNoSuchUser", http.StatusNotFound, shared.CodeNotFound},
		{"XMinioMalformedIAMPolicy", http.StatusBadRequest, shared.CodeInvalidArgument},
		{"XMinioAdminConfigBadJSON", http.StatusBadRequest, shared.CodeInvalidArgument},
		{"XMinioIAMServiceAccountNotAllowed", http.StatusBadRequest, shared.CodeConflict},
		{"XMinioServerNotInitialized", http.StatusServiceUnavailable, shared.CodeUnavailable},

		// S3 API, as buckets uses it.
		{"NoSuchBucket", http.StatusNotFound, shared.CodeNotFound},
		{"BucketAlreadyOwnedByYou", http.StatusConflict, shared.CodeConflict},
		{"BucketAlreadyExists", http.StatusConflict, shared.CodeConflict},
		{"BucketNotEmpty", http.StatusConflict, shared.CodeConflict},
		{"InvalidBucketName", http.StatusBadRequest, shared.CodeInvalidArgument},
		{"AccessDenied", http.StatusForbidden, shared.CodePermission},
		{"AccessDenied", http.StatusBadRequest, shared.CodePermission}, // e.g. unsigned headers
		{"SignatureDoesNotMatch", http.StatusForbidden, shared.CodePermission},
		{"MalformedPolicy", http.StatusBadRequest, shared.CodeInvalidArgument},
		{"Conflict", http.StatusConflict, shared.CodeConflict}, // minio-go's code for a bodiless 409

		// Quotas: MinIO has one code for a write past a hard quota, at 400
		// on the S3 API; there is no "XMinioBucketQuotaExceeded".
		{"XMinioAdminBucketQuotaExceeded", http.StatusBadRequest, shared.CodeConflict},
		{"XMinioAdminNoSuchQuotaConfiguration", http.StatusNotFound, shared.CodeNotFound},
		{"XMinioStorageFull", http.StatusInsufficientStorage, shared.CodeUnavailable},

		// Versioning and object lock. MinIO sends no "ObjectLocked" code:
		// a version under retention or legal hold is refused with
		// InvalidRequest, 400.
		{"InvalidBucketState", http.StatusConflict, shared.CodeConflict},
		{"InvalidRequest", http.StatusBadRequest, shared.CodeInvalidArgument},
		{"ObjectLockConfigurationNotFoundError", http.StatusNotFound, shared.CodeNotFound},
		{"NoSuchObjectLockConfiguration", http.StatusBadRequest, shared.CodeNotFound},

		// Lifecycle, replication, encryption.
		{"NoSuchLifecycleConfiguration", http.StatusNotFound, shared.CodeNotFound},
		{"ReplicationConfigurationNotFoundError", http.StatusNotFound, shared.CodeNotFound},
		{"XMinioAdminRemoteTargetNotFoundError", http.StatusNotFound, shared.CodeNotFound},
		{"RemoteDestinationNotFoundError", http.StatusNotFound, shared.CodeNotFound},
		{"XMinioAdminReplicationRemoteConnectionError", http.StatusServiceUnavailable, shared.CodeUnavailable},
		{"XMinioAdminRemoteRemoveDisallowed", http.StatusBadRequest, shared.CodeConflict},
		{"RemoteTargetNotVersionedError", http.StatusBadRequest, shared.CodeConflict},
		{"ReplicationSourceNotVersionedError", http.StatusBadRequest, shared.CodeConflict},
		{"ReplicationDestinationMissingLockError", http.StatusBadRequest, shared.CodeConflict},
		{"XMinioReplicationNoExistingObjects", http.StatusBadRequest, shared.CodeConflict},
		{"XMinioAdminBucketRemoteAlreadyExists", http.StatusBadRequest, shared.CodeConflict},
		{"XMinioAdminRemoteIdenticalToSource", http.StatusBadRequest, shared.CodeInvalidArgument},
		{"XMinioAdminBucketRemoteAlreadyExists", http.StatusBadRequest, shared.CodeConflict},
		{"ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound, shared.CodeNotFound},

		// One object of a multi-object delete carries a code and no status.
		{"NoSuchVersion", 0, shared.CodeNotFound},
		{"SomethingNew", 0, shared.CodeInternal},

		// Unknown codes fall back to the status.
		{"SomethingNew", http.StatusConflict, shared.CodeConflict},
		{"SomethingNew", http.StatusBadGateway, shared.CodeUnavailable},
		{"ServerBusy", http.StatusServiceUnavailable, shared.CodeUnavailable},
		{"", http.StatusInternalServerError, shared.CodeInternal},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.minio, tc.status), func(t *testing.T) {
			require.Equal(t, tc.want, Code(tc.minio, tc.status))
		})
	}
}

// TestTableRowsReachable: a row is dead when an earlier row for the same
// code matches every status it matches.
func TestTableRowsReachable(t *testing.T) {
	t.Parallel()
	for i, row := range table {
		for _, earlier := range table[:i] {
			if earlier.minio == row.minio {
				require.NotZero(t, earlier.status, "row %d (%s) is hidden by an earlier row for any status", i, row.minio)
				require.NotEqual(t, earlier.status, row.status, "row %d (%s) repeats an earlier row", i, row.minio)
			}
		}
		require.Contains(t, shared.Codes, row.code, "row %d (%s)", i, row.minio)
	}
}
