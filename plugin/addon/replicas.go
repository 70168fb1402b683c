package addon

import (
	"context"
	"errors"
	"strings"

	"github.com/quazzar/object-storage/plugin/buckets"
	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/owners"
	"github.com/quazzar/object-storage/plugin/pairing"
	"github.com/quazzar/object-storage/plugin/randtext"
	"github.com/quazzar/object-storage/plugin/replication"
	"github.com/quazzar/object-storage/shared"
)

// ---- off-site copies ----

// CreateReplicaTarget makes a bucket to receive another node's replicas
// (or takes an existing one), turns its versioning on, makes a key whose
// policy allows exactly what MinIO's replication needs on it, and returns
// the pairing token, once. A failure removes what this call made.
func (a *Addon) CreateReplicaTarget(ctx context.Context, req shared.CreateReplicaTargetRequest) (shared.CreateReplicaTargetResponse, error) {
	if err := buckets.ValidateName(req.Name); err != nil {
		return shared.CreateReplicaTargetResponse{}, err
	}
	if err := pairing.CheckPassphrase(req.Passphrase); err != nil {
		return shared.CreateReplicaTargetResponse{}, err
	}
	svc, err := a.conn.services()
	if err != nil {
		return shared.CreateReplicaTargetResponse{}, err
	}
	out := shared.CreateReplicaTargetResponse{Bucket: req.Name, Sealed: req.Passphrase != ""}
	if _, err := svc.buckets.Create(ctx, req.Name, shared.Private, false); err == nil {
		out.CreatedBucket = true
	} else if !errors.Is(err, shared.ErrConflict) {
		return shared.CreateReplicaTargetResponse{}, err
	}
	undo := func() {
		if out.CreatedBucket {
			if _, err := svc.buckets.Delete(context.WithoutCancel(ctx), req.Name, false); err != nil {
				a.log.Warn("replica bucket left behind after a failed pairing", "bucket", req.Name, "error", err)
			}
			svc.config.Forget(req.Name)
		}
	}
	set, err := svc.config.Get(ctx, req.Name)
	if err != nil {
		undo()
		return shared.CreateReplicaTargetResponse{}, err
	}
	if set.Versioning != shared.VersioningEnabled {
		if _, err := svc.config.SetVersioning(ctx, req.Name, shared.VersioningEnabled); err != nil {
			undo()
			return shared.CreateReplicaTargetResponse{}, err
		}
		out.VersioningEnabled = !out.CreatedBucket
	}
	key, err := a.createReplicaKey(ctx, svc, req.Name)
	if err != nil {
		undo()
		return shared.CreateReplicaTargetResponse{}, err
	}
	ep, _ := a.Endpoint(ctx, shared.EndpointRequest{})
	out.Endpoint = firstNonEmpty(ep.PublicURL, ep.S3URL)
	out.AccessKey = key.Key.AccessKey
	out.Token, err = pairing.Encode(pairing.Target{Endpoint: out.Endpoint, Region: ep.Region, Bucket: req.Name,
		AccessKey: key.Key.AccessKey, SecretKey: key.SecretKey}, req.Passphrase)
	if err != nil {
		if rerr := a.revoke(context.WithoutCancel(ctx), svc, key.Key.AccessKey); rerr != nil {
			a.log.Warn("replica key left behind after a failed pairing", "access_key", key.Key.AccessKey, "error", rerr)
		}
		undo()
		return shared.CreateReplicaTargetResponse{}, shared.Errorf(shared.CodeInternal, "pairing token: %w", err)
	}
	svc.repl.RememberTarget(req.Name, key.Key.AccessKey)
	// A plugin's replica bucket and key are its own, as if made one by one.
	if out.CreatedBucket {
		a.recordOwner(svc, owners.Bucket, req.Name, shared.CallerOf(ctx))
	}
	a.recordOwner(svc, owners.Key, key.Key.AccessKey, shared.CallerOf(ctx))
	a.log.Info("replica bucket ready", "bucket", req.Name, "access_key", key.Key.AccessKey, "created", out.CreatedBucket,
		"sealed", out.Sealed, "endpoint", out.Endpoint, "caller", shared.CallerOf(ctx))
	return out, nil
}

// createReplicaKey makes the replica bucket's key, named after it
// (replica-<bucket>, with a suffix when that name is taken).
func (a *Addon) createReplicaKey(ctx context.Context, svc *services, bucket string) (shared.CreateKeyResponse, error) {
	base := "replica-" + strings.ReplaceAll(bucket, ".", "-")
	name := base[:min(len(base), keys.MaxNameLen)]
	for attempt := 0; ; attempt++ {
		res, err := svc.keys.Create(ctx, shared.CreateKeyRequest{Name: name,
			Description: "receives replicas into bucket " + bucket + " (pairing token)", Policy: replication.TargetPolicy(bucket)})
		if err == nil || !errors.Is(err, shared.ErrConflict) || attempt >= 3 {
			return res, err
		}
		suffix, rerr := randtext.String(randtext.LowerDigits, 4)
		if rerr != nil {
			return res, rerr
		}
		name = base[:min(len(base), keys.MaxNameLen-5)] + "-" + suffix
	}
}

// ReplicateBucket replicates a bucket to the target a pairing token
// names. The token, the target and the bucket are checked before anything
// is configured; versioning is turned on when needed (and said); then
// MinIO's remote target and the rule are set and checked, and the resync
// of existing objects starts.
func (a *Addon) ReplicateBucket(ctx context.Context, req shared.ReplicateBucketRequest) (shared.ReplicateBucketResponse, error) {
	if err := buckets.ValidateName(req.Name); err != nil {
		return shared.ReplicateBucketResponse{}, err
	}
	t, err := pairing.Decode(req.Token, req.Passphrase)
	if err != nil {
		return shared.ReplicateBucketResponse{}, err
	}
	deletes := req.ReplicateDeletes == nil || *req.ReplicateDeletes
	svc, err := a.conn.services()
	if err != nil {
		return shared.ReplicateBucketResponse{}, err
	}
	ep, _ := a.Endpoint(ctx, shared.EndpointRequest{})
	if ok, err := svc.s3.BucketExists(ctx, req.Name); err != nil {
		return shared.ReplicateBucketResponse{}, buckets.S3Error(err, req.Name)
	} else if !ok {
		return shared.ReplicateBucketResponse{}, &shared.Error{Code: shared.CodeNotFound, Field: "name", Message: "bucket " + req.Name + " does not exist"}
	}
	set, err := svc.config.Read(ctx, req.Name)
	if err != nil {
		return shared.ReplicateBucketResponse{}, err
	}
	if set.ObjectLock {
		return shared.ReplicateBucketResponse{}, &shared.Error{Code: shared.CodeConflict, Field: "name", Message: "bucket " + req.Name +
			" has object lock, and MinIO replicates a locked bucket only to a bucket with object lock; replica buckets are made without it: replicate a bucket without object lock"}
	}
	if err := svc.repl.CheckFree(ctx, req.Name); err != nil {
		return shared.ReplicateBucketResponse{}, err
	}
	if err := svc.repl.CheckTarget(ctx, t, deletes); err != nil {
		return shared.ReplicateBucketResponse{}, err
	}
	out := shared.ReplicateBucketResponse{Name: req.Name}
	if set.Versioning != shared.VersioningEnabled {
		if _, err := svc.config.SetVersioning(ctx, req.Name, shared.VersioningEnabled); err != nil {
			return shared.ReplicateBucketResponse{}, err
		}
		out.VersioningEnabled = true
	}
	att, err := svc.repl.Attach(ctx, req.Name, t, deletes, firstNonEmpty(ep.PublicURL, ep.S3URL))
	if err != nil {
		if out.VersioningEnabled {
			return shared.ReplicateBucketResponse{}, shared.Errorf(shared.CodeOf(err), "%s (versioning of bucket %s was turned on for it, and stays on: S3 can only suspend it)", shared.AsError(err).Message, req.Name)
		}
		return shared.ReplicateBucketResponse{}, err
	}
	out.Replication, out.Warnings = att.Status, att.Warnings
	a.log.Info("bucket replicated", "bucket", req.Name, "target", t.Where(), "arn", att.ARN, "replicate_deletes", deletes,
		"versioning_enabled", out.VersioningEnabled, "caller", shared.CallerOf(ctx))
	return out, nil
}

// ReplicationStatus reads a replicated bucket's state from MinIO now.
func (a *Addon) ReplicationStatus(ctx context.Context, req shared.ReplicationStatusRequest) (shared.Replication, error) {
	return a.onReplicated(ctx, req.Name, "", func(svc *services) (shared.Replication, error) {
		return svc.repl.Status(ctx, req.Name)
	})
}

// ResyncBucket has MinIO check every object of a replicated bucket
// against the target and send what is missing.
func (a *Addon) ResyncBucket(ctx context.Context, req shared.ResyncBucketRequest) (shared.Replication, error) {
	return a.onReplicated(ctx, req.Name, "replication resync started", func(svc *services) (shared.Replication, error) {
		return svc.repl.Resync(ctx, req.Name)
	})
}

// StopReplication removes a bucket's replication rule and remote target;
// both copies stay.
func (a *Addon) StopReplication(ctx context.Context, req shared.StopReplicationRequest) (shared.StopReplicationResponse, error) {
	r, err := a.onReplicated(ctx, req.Name, "replication stopped", func(svc *services) (shared.Replication, error) {
		return svc.repl.Stop(ctx, req.Name)
	})
	if err != nil {
		return shared.StopReplicationResponse{}, err
	}
	return shared.StopReplicationResponse{Name: req.Name, Target: r.Target}, nil
}

// onReplicated checks the bucket name, runs f on a running MinIO and logs
// what (when not empty).
func (a *Addon) onReplicated(ctx context.Context, name, what string, f func(*services) (shared.Replication, error)) (shared.Replication, error) {
	_, r, err := onBucket(a, name, f)
	if err != nil {
		return shared.Replication{}, err
	}
	if what != "" {
		a.log.Info(what, "bucket", name, "target", r.Target, "caller", shared.CallerOf(ctx))
	}
	return r, nil
}
