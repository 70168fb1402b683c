// Package minioerr holds MinIO's error codes mapped to the contract's, in
// one table.
//
// The S3 API (through minio-go's ErrorResponse) and the admin REST API
// (through minioadmin) answer with the same kind of code; both map it here,
// so a code means the same thing to every caller. Callers may word the
// message for their input ("bucket photos does not exist"), never choose
// the contract code themselves.
package minioerr

import (
	"net/http"

	"github.com/quazzar/object-storage/shared"
)

// mapping maps one MinIO error code, optionally only at one HTTP status,
// to a contract code.
type mapping struct {
	minio  string
	status int // 0: any status
	code   shared.Code
}

// table is the one place where MinIO's error codes become the contract's.
// The first row that matches wins, so a row with a status comes before the
// row for the same code without one. Codes not listed fall back to the HTTP
// status (statusCodes). The codes and their statuses are those of MinIO's
// cmd/api-errors.go at the pinned version.
var table = []mapping{
	// MinIO answers an unknown service account with this credentials code
	// and 404; with 403 the same code means the credentials are refused.
	{"XMinioInvalidIAMCredentials", http.StatusNotFound, shared.CodeNotFound},
	{"XMinioInvalidIAMCredentials", 0, shared.CodePermission},

	// Something named does not exist.
	{"NoSuchBucket", 0, shared.CodeNotFound},
	{"NoSuchKey", 0, shared.CodeNotFound},
	{"NoSuchVersion", 0, shared.CodeNotFound},
	{"NoSuchBucketPolicy", 0, shared.CodeNotFound},
	{"NoSuchTagSet", 0, shared.CodeNotFound},
	{"NoSuchLifecycleConfiguration", 0, shared.CodeNotFound},
	{"ObjectLockConfigurationNotFoundError", 0, shared.CodeNotFound},
	// An object version without retention or legal hold; MinIO answers 400.
	{"NoSuchObjectLockConfiguration", 0, shared.CodeNotFound},
	{"ReplicationConfigurationNotFoundError", 0, shared.CodeNotFound},
	{"RemoteDestinationNotFoundError", 0, shared.CodeNotFound},
	{"XMinioAdminRemoteTargetNotFoundError", 0, shared.CodeNotFound},
	{"ServerSideEncryptionConfigurationNotFoundError", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchQuotaConfiguration", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchUser", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchAccessKey", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchServiceAccount", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchPolicy", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchGroup", 0, shared.CodeNotFound},
	{"XMinioAdminNoSuchConfigTarget", 0, shared.CodeNotFound},
	{"XMinioConfigNotFoundError", 0, shared.CodeNotFound},

	// The input is wrong.
	{"InvalidBucketName", 0, shared.CodeInvalidArgument},
	{"XMinioMalformedIAMPolicy", 0, shared.CodeInvalidArgument},
	{"MalformedPolicy", 0, shared.CodeInvalidArgument},
	{"XMinioMalformedJSON", 0, shared.CodeInvalidArgument},
	{"XMinioAdminConfigBadJSON", 0, shared.CodeInvalidArgument},
	{"XMinioConfigError", 0, shared.CodeInvalidArgument},
	{"XMinioAdminConfigTooLarge", 0, shared.CodeInvalidArgument},
	{"XMinioAdminConfigDuplicateKeys", 0, shared.CodeInvalidArgument},
	{"XMinioAdminInvalidArgument", 0, shared.CodeInvalidArgument},
	{"XMinioAdminInvalidRequest", 0, shared.CodeInvalidArgument},
	{"XMinioInvalidResource", 0, shared.CodeInvalidArgument},
	{"XMinioAdminInvalidAccessKey", 0, shared.CodeInvalidArgument},
	{"XMinioAdminInvalidSecretKey", 0, shared.CodeInvalidArgument},
	{"XMinioAdminNoAccessKey", 0, shared.CodeInvalidArgument},
	{"XMinioAdminNoSecretKey", 0, shared.CodeInvalidArgument},
	{"XMinioIAMServiceAccountSessionPolicyTooLarge", 0, shared.CodeInvalidArgument},
	{"InvalidArgument", 0, shared.CodeInvalidArgument},
	{"XMinioAdminRemoteIdenticalToSource", 0, shared.CodeInvalidArgument},
	{"XMinioAdminRemoteARNTypeInvalid", 0, shared.CodeInvalidArgument},
	{"XMinioAdminRemoteArnInvalid", 0, shared.CodeInvalidArgument},
	// Also MinIO's refusal to delete or overwrite a version under
	// retention or legal hold ("Object is WORM protected"): MinIO gives
	// that no code of its own.
	{"InvalidRequest", 0, shared.CodeInvalidArgument},

	// The request clashes with what exists.
	{"BucketAlreadyOwnedByYou", 0, shared.CodeConflict},
	{"BucketAlreadyExists", 0, shared.CodeConflict},
	{"BucketNotEmpty", 0, shared.CodeConflict},
	// Object lock asked for on an existing bucket, or versioning
	// suspended on a bucket with object lock.
	{"InvalidBucketState", 0, shared.CodeConflict},
	// A write past the bucket's hard quota; MinIO answers 400 on the S3
	// API. The bucket's state refuses the write, not its input: free space
	// or raise the quota.
	{"XMinioAdminBucketQuotaExceeded", 0, shared.CodeConflict},
	{"XMinioAdminBucketRemoteAlreadyExists", 0, shared.CodeConflict},
	{"XMinioAdminBucketRemoteLabelInUse", 0, shared.CodeConflict},
	// Bucket replication: a remote target still used by a rule, a target
	// or source bucket without versioning, a target without the object
	// lock a locked source needs, a resync without existing-object
	// replication, a server in site replication.
	{"XMinioAdminRemoteRemoveDisallowed", 0, shared.CodeConflict},
	{"RemoteTargetNotVersionedError", 0, shared.CodeConflict},
	{"ReplicationSourceNotVersionedError", 0, shared.CodeConflict},
	{"ReplicationDestinationMissingLockError", 0, shared.CodeConflict},
	{"XMinioReplicationNoExistingObjects", 0, shared.CodeConflict},
	{"XMinioAdminRemoteTargetDenyAdd", 0, shared.CodeConflict},
	{"XMinioReplicationDenyEdit", 0, shared.CodeConflict},
	// "the service account access key (is) already taken".
	{"XMinioIAMServiceAccountNotAllowed", 0, shared.CodeConflict},
	{"XMinioAdminConfigEnvOverridden", 0, shared.CodeConflict},

	{"AccessDenied", 0, shared.CodePermission},
	{"InvalidAccessKeyId", 0, shared.CodePermission},
	{"SignatureDoesNotMatch", 0, shared.CodePermission},
	{"XMinioIAMActionNotAllowed", 0, shared.CodePermission},
	{"XAmzContentSHA256Mismatch", 0, shared.CodePermission},
	{"RequestTimeTooSkewed", 0, shared.CodePermission},
	{"AuthorizationHeaderMalformed", 0, shared.CodePermission},

	{"XMinioServerNotInitialized", 0, shared.CodeUnavailable},
	// A replication target that does not answer, or refuses the key.
	{"XMinioAdminReplicationRemoteConnectionError", 0, shared.CodeUnavailable},
	{"XMinioIAMNotInitialized", 0, shared.CodeUnavailable},
	{"XMinioAdminConfigNoQuorum", 0, shared.CodeUnavailable},
	// The drives are below MinIO's free-space threshold (HTTP 507).
	{"XMinioStorageFull", 0, shared.CodeUnavailable},
	{"SlowDown", 0, shared.CodeUnavailable},
	{"XMinioServerBusy", 0, shared.CodeUnavailable},
}

// statusCodes maps an HTTP status to a contract code when MinIO's code is
// not in table (or the reply carried none).
var statusCodes = map[int]shared.Code{
	http.StatusBadRequest:         shared.CodeInvalidArgument,
	http.StatusUnauthorized:       shared.CodePermission,
	http.StatusForbidden:          shared.CodePermission,
	http.StatusNotFound:           shared.CodeNotFound,
	http.StatusConflict:           shared.CodeConflict,
	http.StatusTooManyRequests:    shared.CodeUnavailable,
	http.StatusBadGateway:         shared.CodeUnavailable,
	http.StatusServiceUnavailable: shared.CodeUnavailable,
	http.StatusGatewayTimeout:     shared.CodeUnavailable,
}

// Code returns the contract code for an error MinIO answered with the code
// minioCode and the HTTP status (0 when there is none, e.g. for one object
// of a multi-object delete). Unknown codes at an unknown status are
// internal.
func Code(minioCode string, status int) shared.Code {
	for _, m := range table {
		if m.minio == minioCode && (m.status == 0 || m.status == status) {
			return m.code
		}
	}
	if c, ok := statusCodes[status]; ok {
		return c
	}
	return shared.CodeInternal
}
