package replication

import (
	"encoding/json"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// TargetActions are what MinIO's bucket replication does on the target
// with the target's key, on the bucket (BucketActions) and on its objects
// (ObjectActions), and nothing else. Checked against the pinned MinIO:
//
//   - s3:ListBucket: registering the target (HeadBucket) and the
//     replication check; without it MinIO refuses the remote target.
//   - s3:GetBucketVersioning: MinIO refuses a target that is not versioned.
//   - s3:PutObject, s3:ReplicateObject: a replica upload (simple or
//     multipart) is checked for both; s3:AbortMultipartUpload cleans up a
//     failed multipart replica.
//   - s3:DeleteObject, s3:ReplicateDelete, s3:DeleteObjectVersion: a
//     replicated delete marker or version delete carries a version id, and
//     for a service account with its own policy MinIO checks
//     DeleteObjectVersion as an Allow (MinIO's guide omits it: delete
//     markers then fail with Access Denied).
//   - s3:GetObject, s3:GetObjectVersion: MinIO looks a version up on the
//     target before sending it again (resync, existing objects, delete
//     markers), and proxies reads of a version the source lacks.
//   - s3:ReplicateTags: tag changes after upload.
//
// MinIO's guide also lists s3:GetReplicationConfiguration,
// s3:ListBucketMultipartUploads, s3:GetBucketLocation,
// s3:GetObjectVersionTagging and s3:GetBucketObjectLockConfiguration:
// replication of uploads, deletes, tags and existing objects works
// without them (the region comes with the token, and a source with object
// lock is refused: its target would need object lock too).
var (
	BucketActions = []string{"s3:ListBucket", "s3:GetBucketVersioning"}
	ObjectActions = []string{
		"s3:PutObject", "s3:ReplicateObject", "s3:AbortMultipartUpload",
		"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ReplicateDelete",
		"s3:GetObject", "s3:GetObjectVersion", "s3:ReplicateTags",
	}
)

// TargetPolicy is the IAM policy of a replica bucket's key: the actions
// above on that bucket and its objects, and no other bucket.
func TargetPolicy(bucket string) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{
			{"Effect": "Allow", "Action": BucketActions, "Resource": []string{"arn:aws:s3:::" + bucket}},
			{"Effect": "Allow", "Action": ObjectActions, "Resource": []string{"arn:aws:s3:::" + bucket + "/*"}},
		},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// LagAfter is how long a version may wait for replication before the
// bucket is lagging: MinIO normally sends an upload within seconds.
const LagAfter = time.Minute

// Figures are what the state of a replicated bucket is decided from.
type Figures struct {
	// Online is MinIO's view of the target (its heartbeat, every 5 s).
	Online bool
	// Pending counts versions not on the target yet; Failed those of them
	// MinIO tried and failed to send; OldestPending is the upload time of
	// the oldest of them.
	Pending       uint64
	Failed        uint64
	OldestPending time.Time
	// FailedLastMinute counts MinIO's failed attempts in the last minute.
	FailedLastMinute uint64
}

// StateOf is the state of a replicated bucket:
//
//   - offline: MinIO cannot reach the target;
//   - failing: the target answers but MinIO's attempts fail now (a key
//     revoked, a bucket deleted or full on the target);
//   - lagging: a version has waited longer than LagAfter (a backlog
//     draining after the target came back, a slow link);
//   - healthy: otherwise.
func StateOf(f Figures, now time.Time) shared.ReplicationState {
	switch {
	case !f.Online:
		return shared.ReplicationOffline
	case f.Failed > 0 && f.FailedLastMinute > 0:
		return shared.ReplicationFailing
	case f.Pending > 0 && !f.OldestPending.IsZero() && now.Sub(f.OldestPending) > LagAfter:
		return shared.ReplicationLagging
	}
	return shared.ReplicationHealthy
}

// StateText says a state in words for the page.
func StateText(s shared.ReplicationState) string {
	switch s {
	case shared.ReplicationOffline:
		return "target offline: uploads here succeed and wait; MinIO sends them when the target is back"
	case shared.ReplicationFailing:
		return "failing: the target answers but refuses copies (key revoked, bucket deleted or full there?)"
	case shared.ReplicationLagging:
		return "lagging: some objects have waited more than a minute"
	}
	return "healthy"
}

// successMark is what the add-on remembers of a target's replicated count
// (MinIO counts successes since it started, and keeps no time): the count
// last seen and when it last grew.
type successMark struct {
	ARN   string    `json:"arn"`
	Count uint64    `json:"count"`
	At    time.Time `json:"at,omitzero"`
}

// observe moves a mark to a newly read count at now: a count that grew is
// a success now; a count that fell is MinIO restarted (its counters start
// again), which keeps the time; another ARN starts over.
func (s successMark) observe(arn string, count uint64, now time.Time) (successMark, bool) {
	switch {
	case s.ARN != arn:
		return successMark{ARN: arn, Count: count}, true
	case count > s.Count:
		return successMark{ARN: arn, Count: count, At: now}, true
	case count < s.Count:
		return successMark{ARN: arn, Count: count, At: s.At}, true
	}
	return s, false
}
