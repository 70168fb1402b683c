package keys

import (
	"encoding/json"
	"fmt"
)

// Template is a ready-made policy for a common case, for one bucket.
type Template struct {
	ID    string
	Label string
	// Policy returns the policy JSON for a bucket.
	Policy func(bucket string) string
}

// Templates are the policy templates the page offers.
var Templates = []Template{
	{ID: "read-only", Label: "Read-only on one bucket", Policy: ReadOnlyPolicy},
	{ID: "read-write", Label: "Read-write on one bucket", Policy: ReadWritePolicy},
	{ID: "backup-target", Label: "Write-only backup target on one bucket", Policy: BackupTargetPolicy},
}

// ReadOnlyPolicy is the product page's example: get and list on one bucket.
func ReadOnlyPolicy(bucket string) string {
	return policyJSON(statementFor([]string{"s3:GetObject", "s3:ListBucket"}, bucket))
}

// ReadWritePolicy allows reading, listing, writing and deleting objects of
// one bucket.
func ReadWritePolicy(bucket string) string {
	return policyJSON(statementFor([]string{
		"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation",
		"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads",
	}, bucket))
}

// BackupTargetPolicy allows uploads to one bucket and nothing else: no
// reads, no listing of objects, no deletes.
func BackupTargetPolicy(bucket string) string {
	return policyJSON(statementFor([]string{
		"s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts",
		"s3:ListBucketMultipartUploads", "s3:GetBucketLocation",
	}, bucket))
}

func statementFor(actions []string, bucket string) map[string]any {
	return map[string]any{
		"Effect":   "Allow",
		"Action":   actions,
		"Resource": []string{fmt.Sprintf("arn:aws:s3:::%s", bucket), fmt.Sprintf("arn:aws:s3:::%s/*", bucket)},
	}
}

func policyJSON(stmts ...map[string]any) string {
	b, _ := json.MarshalIndent(map[string]any{"Version": "2012-10-17", "Statement": stmts}, "", "  ")
	return string(b)
}
