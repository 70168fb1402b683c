package minioadmin

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// Files of a bucket in MinIO's metadata export, as MinIO names them.
const (
	FilePolicy     = "policy.json"
	FileQuota      = "quota.json"
	FileVersioning = "versioning.xml" // only when versioning is enabled or suspended
	FileObjectLock = "object-lock.xml"
	FileLifecycle  = "lifecycle.xml"
)

// maxExportFile bounds one file of the export once unpacked: bucket
// configurations are a few kB (a lifecycle at MinIO's limit of 1,000 rules,
// a few hundred kB).
const maxExportFile = 4 << 20

// BucketMetadata is every bucket's configuration files: bucket name →
// file name (FilePolicy, …) → content. A bucket appears whenever MinIO
// exported it (every bucket has at least its notification file); a file
// is absent when the bucket has no such configuration.
type BucketMetadata map[string]map[string][]byte

// ExportBucketMetadata reads the configuration of every bucket in one
// call (GET /export-bucket-metadata: a zip of "<bucket>/<file>" entries
// that MinIO fills from its in-memory bucket metadata). It replaces a call
// per bucket and setting: on a node with 1,000 buckets, five thousand
// signed requests every refresh. One unencrypted call. A bucket deleted
// while MinIO writes the zip can end it with an error in the middle; the
// zip is then unreadable and the call fails (the caller asks again later).
func (c *Client) ExportBucketMetadata(ctx context.Context) (BucketMetadata, error) {
	const op = "export bucket metadata"
	r, err := c.call(ctx, op, http.MethodGet, "/export-bucket-metadata", nil, nil)
	if err != nil {
		return nil, err
	}
	out, err := ReadBucketMetadata(r.body)
	if err != nil {
		return nil, shared.Errorf(shared.CodeUnavailable, "%s: %w", op, err)
	}
	return out, nil
}

// ReadBucketMetadata unpacks MinIO's metadata export.
func ReadBucketMetadata(raw []byte) (BucketMetadata, error) {
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		return nil, fmt.Errorf("MinIO's export is not a readable zip: %w", err)
	}
	out := BucketMetadata{}
	for _, f := range zr.File {
		bucket, file, ok := strings.Cut(f.Name, "/")
		if !ok || bucket == "" || file == "" || strings.Contains(file, "/") {
			return nil, fmt.Errorf("MinIO's export has an unexpected entry %q", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("MinIO's export entry %q: %w", f.Name, err)
		}
		data, err := io.ReadAll(io.LimitReader(rc, maxExportFile+1))
		_ = rc.Close()
		if err != nil {
			return nil, fmt.Errorf("MinIO's export entry %q: %w", f.Name, err)
		}
		if len(data) > maxExportFile {
			return nil, fmt.Errorf("MinIO's export entry %q is larger than %d MiB", f.Name, maxExportFile>>20)
		}
		if out[bucket] == nil {
			out[bucket] = map[string][]byte{}
		}
		out[bucket][file] = data
	}
	return out, nil
}
