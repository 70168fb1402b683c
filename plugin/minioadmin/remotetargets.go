package minioadmin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// ServiceReplication is the remote target type of bucket replication.
const ServiceReplication = "replication"

// RemoteTarget is a bucket's remote target as MinIO keeps it: where
// another deployment's bucket is and which key writes there. Its secret
// never leaves MinIO: lists carry the access key only.
type RemoteTarget struct {
	// SourceBucket is the local bucket the target belongs to.
	SourceBucket string
	// Endpoint is the target's host:port; Secure says https.
	Endpoint     string
	Secure       bool
	TargetBucket string
	Region       string
	AccessKey    string
	// ARN names the target in replication rules:
	// arn:minio:replication:<region>:<id>:<target bucket>.
	ARN  string
	Type string
	// Health as MinIO's heartbeat (every 5 s) last saw it; lists only.
	Online        bool
	LastOnline    time.Time
	TotalDowntime time.Duration
	OfflineCount  int64
}

// SetRemoteTargetRequest adds a replication target to a bucket.
type SetRemoteTargetRequest struct {
	Endpoint     string // host:port
	Secure       bool
	TargetBucket string
	Region       string
	AccessKey    string
	SecretKey    string
}

// wireTarget is MinIO's bucket target document (set-remote-target's body,
// list-remote-targets' items). Durations are nanoseconds.
type wireTarget struct {
	SourceBucket string `json:"sourcebucket"`
	Endpoint     string `json:"endpoint"`
	Credentials  *struct {
		AccessKey string `json:"accessKey,omitempty"`
		SecretKey string `json:"secretKey,omitempty"`
	} `json:"credentials"`
	TargetBucket  string        `json:"targetbucket"`
	Secure        bool          `json:"secure"`
	Path          string        `json:"path,omitempty"`
	API           string        `json:"api,omitempty"`
	Arn           string        `json:"arn,omitempty"`
	Type          string        `json:"type"`
	Region        string        `json:"region,omitempty"`
	TotalDowntime time.Duration `json:"totalDowntime"`
	LastOnline    time.Time     `json:"lastOnline"`
	Online        bool          `json:"isOnline"`
	OfflineCount  int64         `json:"offlineCount"`
}

// SetRemoteTarget registers a replication target for bucket and returns
// its ARN. MinIO first checks, with the given key, that the target bucket
// exists and is versioned, that the local bucket is versioned, and that
// the target answers its health check; each refusal is MinIO's error
// through minioerr (not_found, conflict, unavailable). The same target and
// key registered again answer the existing ARN. One call; the body is
// encrypted (it carries the target's secret).
func (c *Client) SetRemoteTarget(ctx context.Context, bucket string, req SetRemoteTargetRequest) (string, error) {
	op := "set replication target of bucket " + bucket
	if bucket == "" || req.Endpoint == "" || req.TargetBucket == "" || req.AccessKey == "" || req.SecretKey == "" {
		return "", shared.Errorf(shared.CodeInvalidArgument, "%s: bucket, endpoint, target bucket and key are all required", op)
	}
	w := wireTarget{
		SourceBucket: bucket, Endpoint: req.Endpoint, TargetBucket: req.TargetBucket, Secure: req.Secure,
		Path: "auto", API: "s3v4", Type: ServiceReplication, Region: req.Region,
	}
	w.Credentials = &struct {
		AccessKey string `json:"accessKey,omitempty"`
		SecretKey string `json:"secretKey,omitempty"`
	}{req.AccessKey, req.SecretKey}
	plain, err := json.Marshal(w)
	if err != nil {
		return "", shared.Errorf(shared.CodeInternal, "%s: encode request: %w", op, err)
	}
	body, err := c.encrypt(op, plain)
	if err != nil {
		return "", err
	}
	r, err := c.call(ctx, op, http.MethodPut, "/set-remote-target", url.Values{"bucket": {bucket}}, body)
	if err != nil {
		return "", err
	}
	var arn string
	if err := json.Unmarshal(r.body, &arn); err != nil || arn == "" {
		return "", shared.Errorf(shared.CodeInternal, "%s: MinIO's reply is not an ARN", op)
	}
	return arn, nil
}

// ListRemoteTargets lists the replication targets of bucket, or of every
// bucket when bucket is empty, with their health. One unencrypted call
// (MinIO leaves the secrets out). A bucket without targets has none; a
// missing bucket is not_found.
func (c *Client) ListRemoteTargets(ctx context.Context, bucket string) ([]RemoteTarget, error) {
	op := "list replication targets"
	if bucket != "" {
		op += " of bucket " + bucket
	}
	r, err := c.call(ctx, op, http.MethodGet, "/list-remote-targets", url.Values{"bucket": {bucket}, "type": {ServiceReplication}}, nil)
	if err != nil {
		if bucket != "" && shared.CodeOf(err) == shared.CodeNotFound && isCode(err, "XMinioAdminRemoteTargetNotFoundError") {
			return nil, nil // the bucket exists and has no target
		}
		return nil, err
	}
	var ws []wireTarget
	if err := json.Unmarshal(r.body, &ws); err != nil {
		return nil, shared.Errorf(shared.CodeInternal, "%s: MinIO's reply is not the expected JSON: %w", op, err)
	}
	out := make([]RemoteTarget, 0, len(ws))
	for _, w := range ws {
		t := RemoteTarget{
			SourceBucket: w.SourceBucket, Endpoint: w.Endpoint, Secure: w.Secure, TargetBucket: w.TargetBucket,
			Region: w.Region, ARN: w.Arn, Type: w.Type, Online: w.Online, TotalDowntime: w.TotalDowntime,
			OfflineCount: w.OfflineCount,
		}
		if w.LastOnline.Unix() > 0 {
			t.LastOnline = w.LastOnline
		}
		if w.Credentials != nil {
			t.AccessKey = w.Credentials.AccessKey
		}
		out = append(out, t)
	}
	return out, nil
}

// RemoveRemoteTarget removes a bucket's remote target. MinIO refuses
// (conflict) while a replication rule still uses it: remove the rule
// first. An unknown ARN is not_found. One unencrypted call.
func (c *Client) RemoveRemoteTarget(ctx context.Context, bucket, arn string) error {
	op := "remove replication target of bucket " + bucket
	if bucket == "" || arn == "" {
		return shared.Errorf(shared.CodeInvalidArgument, "%s: bucket and ARN are required", op)
	}
	_, err := c.call(ctx, op, http.MethodDelete, "/remove-remote-target", url.Values{"bucket": {bucket}, "arn": {arn}}, nil)
	return err
}
