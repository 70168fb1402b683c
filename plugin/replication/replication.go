// Package replication keeps off-site copies of buckets with MinIO's own
// bucket replication (DESIGN.md, decision 9: MinIO copies the objects, the
// add-on never does): on the source, it checks the target a pairing token
// names, registers it as MinIO's remote target, sets the bucket's rule,
// starts the resync of existing objects, reads the state back and stops;
// on the target, it remembers which buckets receive replicas and from
// where.
//
// The target's key stays inside MinIO's remote-target configuration: the
// add-on holds it only while it sets replication up, and keeps no copy.
package replication

import (
	"context"
	cryptorand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/replication"
	bolt "go.etcd.io/bbolt"

	"github.com/quazzar/object-storage/plugin/buckets"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/minioerr"
	"github.com/quazzar/object-storage/plugin/pairing"
	"github.com/quazzar/object-storage/plugin/store"
	"github.com/quazzar/object-storage/shared"
)

// RuleID is the id of the replication rule the add-on sets.
const RuleID = "cloudos-replica"

// MarkerKey is the one object the add-on writes into a replica bucket, at
// pairing, with the token's key: where the replicas come from (no
// secret). It is how the target node learns its source.
const MarkerKey = ".cloudos/replica-of.json"

// MaxScan bounds how many versions one status read lists to count what
// is pending; a larger bucket reports the count so far as partial.
const MaxScan = 100_000

// storeBucket is the package's top-level bucket in the add-on's database.
const storeBucket = "replication"

// Marker is the content of MarkerKey.
type Marker struct {
	SourceBucket   string    `json:"source_bucket"`
	SourceEndpoint string    `json:"source_endpoint"`
	Since          time.Time `json:"since"`
}

// targetRecord is what the target node remembers of a bucket it made to
// receive replicas.
type targetRecord struct {
	AccessKey string    `json:"access_key"`
	Created   time.Time `json:"created"`
}

// Manager sets up, reads and stops replication with root credentials. It
// is safe for concurrent use.
type Manager struct {
	s3    *minio.Client
	admin *minioadmin.Client
	db    *store.DB // nil: no records, replica labels off
	log   hclog.Logger
	// http checks the target's liveness and carries the S3 calls made
	// with a token's key (system roots, bounded time).
	http *http.Client

	// setup serialises set-ups and stops, so that two at once on one
	// bucket cannot both pass the "not replicated yet" check.
	setup sync.Mutex

	mu       sync.Mutex
	status   map[string]shared.Replication // source bucket → state
	replicas map[string]shared.ReplicaOf   // replica bucket → source
	marks    map[string]successMark        // source bucket → successes seen
	targets  map[string]targetRecord       // replica buckets made here
	changes  map[string]uint64             // own changes per bucket
	loaded   bool
}

// New returns a manager over clients with root credentials; db (may be
// nil) keeps the replica buckets made here and when replication last
// succeeded.
func New(s3 *minio.Client, admin *minioadmin.Client, db *store.DB, log hclog.Logger) *Manager {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Manager{
		s3: s3, admin: admin, db: db, log: log,
		http:     &http.Client{Timeout: 20 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()},
		status:   map[string]shared.Replication{},
		replicas: map[string]shared.ReplicaOf{},
		marks:    map[string]successMark{},
		targets:  map[string]targetRecord{},
		changes:  map[string]uint64{},
	}
}

// ---- records ----

func (m *Manager) load() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.loaded || m.db == nil {
		m.loaded = true
		return
	}
	m.loaded = true
	err := m.db.View(storeBucket, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			kind, name, _ := strings.Cut(string(k), "/")
			switch kind {
			case "target":
				var r targetRecord
				if json.Unmarshal(v, &r) == nil {
					m.targets[name] = r
				}
			case "success":
				var s successMark
				if json.Unmarshal(v, &s) == nil {
					m.marks[name] = s
				}
			}
			return nil
		})
	})
	if err != nil {
		m.log.Warn("replication records not read", "error", err)
	}
}

func (m *Manager) put(key string, v any) {
	if m.db == nil {
		return
	}
	b, _ := json.Marshal(v)
	if err := m.db.Update(storeBucket, func(bk *bolt.Bucket) error { return bk.Put([]byte(key), b) }); err != nil {
		m.log.Warn("replication record not saved", "key", key, "error", err)
	}
}

func (m *Manager) del(keys ...string) {
	if m.db == nil {
		return
	}
	if err := m.db.Update(storeBucket, func(bk *bolt.Bucket) error {
		for _, k := range keys {
			if err := bk.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		m.log.Warn("replication records not removed", "keys", keys, "error", err)
	}
}

// ---- the target side ----

// RememberTarget records that bucket was made here to receive replicas,
// with the key of its pairing token (no secret).
func (m *Manager) RememberTarget(bucket, accessKey string) {
	m.load()
	r := targetRecord{AccessKey: accessKey, Created: time.Now().UTC()}
	m.mu.Lock()
	m.targets[bucket] = r
	m.mu.Unlock()
	m.put("target/"+bucket, r)
}

// ReplicaOf says where a replica bucket's copies come from, as of the
// last refresh.
func (m *Manager) ReplicaOf(bucket string) (shared.ReplicaOf, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.replicas[bucket]
	return r, ok
}

// Forget drops what is known of a deleted bucket.
func (m *Manager) Forget(bucket string) {
	m.load()
	m.mu.Lock()
	delete(m.status, bucket)
	delete(m.replicas, bucket)
	delete(m.targets, bucket)
	delete(m.marks, bucket)
	m.changes[bucket]++
	m.mu.Unlock()
	m.del("target/"+bucket, "success/"+bucket)
}

// readMarker reads a replica bucket's marker; false when it has none.
func (m *Manager) readMarker(ctx context.Context, bucket string) (shared.ReplicaOf, bool, error) {
	obj, err := m.s3.GetObject(ctx, bucket, MarkerKey, minio.GetObjectOptions{})
	if err != nil {
		return shared.ReplicaOf{}, false, err
	}
	defer obj.Close()
	raw, err := io.ReadAll(io.LimitReader(obj, 4<<10))
	if err != nil {
		if c := minio.ToErrorResponse(err).Code; c == "NoSuchKey" || c == "NoSuchBucket" {
			return shared.ReplicaOf{}, false, nil
		}
		return shared.ReplicaOf{}, false, err
	}
	var mk Marker
	if err := json.Unmarshal(raw, &mk); err != nil || mk.SourceBucket == "" {
		return shared.ReplicaOf{}, false, nil
	}
	return shared.ReplicaOf{Bucket: mk.SourceBucket, Endpoint: mk.SourceEndpoint, Since: mk.Since}, true, nil
}

// ---- the source side: checks ----

// CheckTarget checks, before anything is configured, that the target a
// token names answers, that its bucket exists and is versioned, and that
// the key is accepted and may write replicas there (and replicate deletes,
// with deletes). Each refusal says what is wrong in words.
func (m *Manager) CheckTarget(ctx context.Context, t pairing.Target, deletes bool) error {
	if err := m.live(ctx, t.Endpoint); err != nil {
		return err
	}
	c, err := m.targetClient(t)
	if err != nil {
		return err
	}
	v, err := c.GetBucketVersioning(ctx, t.Bucket)
	if err != nil {
		return targetError(err, t, "s3:GetBucketVersioning")
	}
	if !v.Enabled() {
		return &shared.Error{Code: shared.CodeConflict, Field: "token", Message: fmt.Sprintf(
			"versioning is off on bucket %s of the target %s: replication needs it on both sides; turn it on there (Enable versioning on the target node's page), then try again", t.Bucket, t.Endpoint)}
	}
	if _, err := c.BucketExists(ctx, t.Bucket); err != nil {
		return targetError(err, t, "s3:ListBucket")
	}
	return probe(ctx, c, t, deletes)
}

// probeKey is the object name of the permission probes; nothing is ever
// written there.
const probeKey = ".cloudos/replication-check"

// probe asks the target, as MinIO's own replication check does, whether
// the key may upload a replica and replicate a delete marker: requests
// marked as a check, which MinIO answers with ReplicationPermissionCheck
// after its permission checks, without writing anything.
func probe(ctx context.Context, c *minio.Client, t pairing.Target, deletes bool) error {
	vid, err := uuid()
	if err != nil {
		return shared.Errorf(shared.CodeInternal, "permission probe: %w", err)
	}
	now := time.Now()
	body := strings.NewReader("cloudos!")
	_, err = c.PutObject(ctx, t.Bucket, probeKey, body, int64(body.Len()), minio.PutObjectOptions{Internal: minio.AdvancedPutOptions{
		SourceVersionID: vid, ReplicationStatus: minio.ReplicationStatusReplica, SourceMTime: now,
		ReplicationRequest: true, ReplicationValidityCheck: true,
	}})
	if err := probeResult(err, t, "s3:PutObject"); err != nil {
		return err
	}
	if !deletes {
		return nil
	}
	err = c.RemoveObject(ctx, t.Bucket, probeKey, minio.RemoveObjectOptions{VersionID: vid, Internal: minio.AdvancedRemoveOptions{
		ReplicationDeleteMarker: true, ReplicationStatus: minio.ReplicationStatusReplica, ReplicationMTime: now,
		ReplicationRequest: true, ReplicationValidityCheck: true,
	}})
	return probeResult(err, t, "s3:DeleteObject and s3:DeleteObjectVersion")
}

func probeResult(err error, t pairing.Target, action string) error {
	switch {
	case err == nil:
		// Not a MinIO that knows the check: nothing to learn here; MinIO's
		// own check after the set-up decides.
		return nil
	case minio.ToErrorResponse(err).Code == "ReplicationPermissionCheck":
		return nil // allowed, and nothing written
	}
	return targetError(err, t, action)
}

// uuid is a random (version 4) UUID, the form MinIO's version ids take.
func uuid() (string, error) {
	var b [16]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		return "", err
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:]), nil
}

// live asks the target's MinIO health endpoint, as MinIO's heartbeat
// does.
func (m *Manager) live(ctx context.Context, endpoint string) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/minio/health/live", nil)
	if err != nil {
		return &shared.Error{Code: shared.CodeInvalidArgument, Field: "token", Message: "the token's endpoint " + endpoint + " is not a URL"}
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return reachError(err, endpoint)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return shared.Errorf(shared.CodeUnavailable, "the target %s answered HTTP %d to MinIO's health check: is it a Cloud OS node's S3 endpoint, and is its MinIO running?", endpoint, resp.StatusCode)
	}
	return nil
}

// reachError words a failure to reach the target: TLS not trusted, or no
// answer.
func reachError(err error, endpoint string) error {
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		verify   *tls.CertificateVerificationError
	)
	if errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify) {
		return shared.Errorf(shared.CodeUnavailable,
			"the TLS certificate of the target %s is not trusted by this node (%v): give the target node a certificate from a public CA (its reverse proxy's automatic certificate), or add its CA to this node's trust store, then try again", endpoint, errors.Unwrap(err))
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return shared.Errorf(shared.CodeUnavailable, "the target %s did not answer in time: is the target node up, and its S3 endpoint reachable from this node?", endpoint)
	}
	return shared.Errorf(shared.CodeUnavailable, "the target %s is unreachable (%v): is the target node up, and its S3 endpoint reachable from this node?", endpoint, errors.Unwrap(err))
}

// targetError words an S3 error of the target met with the token's key.
func targetError(err error, t pairing.Target, action string) error {
	var er minio.ErrorResponse
	if !errors.As(err, &er) {
		return reachError(err, t.Endpoint)
	}
	switch er.Code {
	case "NoSuchBucket":
		return &shared.Error{Code: shared.CodeNotFound, Field: "token", Message: fmt.Sprintf(
			"bucket %s does not exist on the target %s (deleted after the token was made?): create a new replica bucket and token on the target node", t.Bucket, t.Endpoint)}
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "XMinioInvalidIAMCredentials":
		return &shared.Error{Code: shared.CodePermission, Field: "token", Message: fmt.Sprintf(
			"the target %s refused the token's key %s (revoked, or the token is from another node?): create a new token on the target node", t.Endpoint, t.AccessKey)}
	case "AccessDenied":
		return &shared.Error{Code: shared.CodePermission, Field: "token", Message: fmt.Sprintf(
			"the token's key %s may not do what replication needs on bucket %s of the target (%s was refused): create a new token on the target node rather than a key by hand", t.AccessKey, t.Bucket, action)}
	}
	return shared.Errorf(minioerr.Code(er.Code, er.StatusCode), "the target %s answered %s: %s", t.Endpoint, er.Code, er.Message)
}

// targetClient is an S3 client of the target with the token's key.
func (m *Manager) targetClient(t pairing.Target) (*minio.Client, error) {
	host, secure := t.Host()
	c, err := minio.New(host, &minio.Options{
		Creds: credentials.NewStaticV4(t.AccessKey, t.SecretKey, ""), Secure: secure, Region: t.Region,
		Transport: m.http.Transport, MaxRetries: 1,
	})
	if err != nil {
		return nil, &shared.Error{Code: shared.CodeInvalidArgument, Field: "token", Message: "the token's endpoint cannot be used: " + err.Error()}
	}
	return c, nil
}

// ---- the source side: set up, resync, stop ----

// Targets are a bucket's replication targets as MinIO keeps them.
func (m *Manager) Targets(ctx context.Context, bucket string) ([]minioadmin.RemoteTarget, error) {
	ts, err := m.admin.ListRemoteTargets(ctx, bucket)
	if err != nil {
		return nil, bucketAdminError(err, bucket)
	}
	return ts, nil
}

// CheckFree refuses a bucket that replicates already (conflict), or that
// does not exist (not_found).
func (m *Manager) CheckFree(ctx context.Context, bucket string) error {
	ts, err := m.Targets(ctx, bucket)
	if err != nil {
		return err
	}
	if len(ts) > 0 {
		return &shared.Error{Code: shared.CodeConflict, Field: "name", Message: fmt.Sprintf(
			"bucket %s already replicates to %s: stop replicating it first to pair it with another node", bucket, where(ts[0]))}
	}
	return nil
}

// Attached is what setting replication up did.
type Attached struct {
	ARN string
	// Warnings say what did not work but does not stop replication (the
	// marker, the resync start).
	Warnings []string
	Status   shared.Replication
}

// Attach registers the token's target for bucket (already versioned, and
// CheckTarget passed), sets the replication rule, has MinIO check the
// key's permissions, labels the target bucket and starts the resync of
// existing objects. A failure before the rule is confirmed removes what
// was set: nothing stays half-configured.
func (m *Manager) Attach(ctx context.Context, bucket string, t pairing.Target, replicateDeletes bool, sourceEndpoint string) (Attached, error) {
	m.load()
	m.setup.Lock()
	defer m.setup.Unlock()
	if err := m.CheckFree(ctx, bucket); err != nil {
		return Attached{}, err
	}
	host, secure := t.Host()
	arn, err := m.admin.SetRemoteTarget(ctx, bucket, minioadmin.SetRemoteTargetRequest{
		Endpoint: host, Secure: secure, TargetBucket: t.Bucket, Region: t.Region, AccessKey: t.AccessKey, SecretKey: t.SecretKey,
	})
	if err != nil {
		return Attached{}, setTargetError(err, bucket, t)
	}
	undo := func(rule bool) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if rule {
			if err := m.s3.RemoveBucketReplication(cctx, bucket); err != nil {
				m.log.Warn("replication rule left behind after a failed set-up", "bucket", bucket, "error", err)
			}
		}
		if err := m.admin.RemoveRemoteTarget(cctx, bucket, arn); err != nil {
			m.log.Warn("replication target left behind after a failed set-up", "bucket", bucket, "arn", arn, "error", err)
		}
	}
	cfg := replication.Config{}
	onOff := map[bool]string{true: "enable", false: "disable"}
	if err := cfg.AddRule(replication.Options{
		Op: replication.AddOption, ID: RuleID, Priority: "1", RuleStatus: "enable", DestBucket: arn,
		ReplicateDeletes: onOff[replicateDeletes], ReplicateDeleteMarkers: onOff[replicateDeletes],
		ExistingObjectReplicate: "enable",
	}); err != nil {
		undo(false)
		return Attached{}, shared.Errorf(shared.CodeInternal, "replication rule for bucket %s: %w", bucket, err)
	}
	if err := m.s3.SetBucketReplication(ctx, bucket, cfg); err != nil {
		undo(false)
		return Attached{}, shared.Errorf(shared.CodeOf(buckets.S3Error(err, bucket)), "MinIO refused the replication rule of bucket %s: %v; nothing was configured", bucket, minio.ToErrorResponse(err).Message)
	}
	// MinIO's own check: a replica upload and delete with the key,
	// answered by the target without writing anything.
	if err := m.s3.CheckBucketReplication(ctx, bucket); err != nil {
		undo(true)
		msg := minio.ToErrorResponse(err).Message
		if msg == "" {
			msg = err.Error()
		}
		return Attached{}, &shared.Error{Code: shared.CodePermission, Field: "token", Message: fmt.Sprintf(
			"the target refused MinIO's replication check with the token's key (%s): the key lacks a permission replication needs; create a new token on the target node. Nothing was configured", msg)}
	}
	m.mu.Lock()
	m.changes[bucket]++
	m.mu.Unlock()
	var warn []string
	if err := m.writeMarker(ctx, bucket, t, sourceEndpoint); err != nil {
		warn = append(warn, "The target bucket could not be labelled with its source ("+err.Error()+"): replication works, the target node just cannot say where its copies come from.")
	}
	if _, err := m.s3.ResetBucketReplicationOnTarget(ctx, bucket, 0, arn); err != nil {
		warn = append(warn, "The resync of existing objects did not start ("+minio.ToErrorResponse(err).Message+"): MinIO's scanner still copies them within a scan cycle, or click Resync.")
	}
	// The successes MinIO counted for this target so far are not this
	// pairing's: start counting from here.
	mark := successMark{ARN: arn}
	if mv, err := m.s3.GetBucketReplicationMetricsV2(ctx, bucket); err == nil {
		mark.Count = mv.CurrentStats.Stats[arn].ReplicatedCount
	}
	m.mu.Lock()
	m.marks[bucket] = mark
	m.mu.Unlock()
	m.put("success/"+bucket, mark)
	st, err := m.Status(ctx, bucket)
	if err != nil {
		st = shared.Replication{Target: t.Where(), ARN: arn, State: shared.ReplicationHealthy, ReplicateDeletes: replicateDeletes, Problem: err.Error()}
	}
	return Attached{ARN: arn, Warnings: warn, Status: st}, nil
}

func (m *Manager) writeMarker(ctx context.Context, bucket string, t pairing.Target, sourceEndpoint string) error {
	c, err := m.targetClient(t)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(Marker{SourceBucket: bucket, SourceEndpoint: sourceEndpoint, Since: time.Now().UTC().Truncate(time.Second)})
	_, err = c.PutObject(ctx, t.Bucket, MarkerKey, strings.NewReader(string(b)), int64(len(b)), minio.PutObjectOptions{ContentType: "application/json"})
	return err
}

// Resync starts MinIO's resync of every object of bucket to its target
// (those already there are checked, not sent again).
func (m *Manager) Resync(ctx context.Context, bucket string) (shared.Replication, error) {
	ts, err := m.Targets(ctx, bucket)
	if err != nil {
		return shared.Replication{}, err
	}
	if len(ts) == 0 {
		return shared.Replication{}, notReplicated(bucket)
	}
	if _, err := m.s3.ResetBucketReplicationOnTarget(ctx, bucket, 0, ts[0].ARN); err != nil {
		er := minio.ToErrorResponse(err)
		if strings.Contains(strings.ToLower(er.Message), "in progress") {
			return shared.Replication{}, shared.Errorf(shared.CodeConflict, "a resync of bucket %s is already running: wait for it to finish", bucket)
		}
		return shared.Replication{}, shared.Errorf(shared.CodeOf(buckets.S3Error(err, bucket)), "MinIO did not start the resync of bucket %s: %s", bucket, er.Message)
	}
	return m.Status(ctx, bucket)
}

// Stop removes bucket's replication rule and remote targets. Both copies
// stay as they are. A bucket that is not replicated is not_found.
func (m *Manager) Stop(ctx context.Context, bucket string) (shared.Replication, error) {
	m.load()
	m.setup.Lock()
	defer m.setup.Unlock()
	ts, err := m.Targets(ctx, bucket)
	if err != nil {
		return shared.Replication{}, err
	}
	// minio-go answers an empty configuration for "none"; MinIO may also
	// answer that the bucket's targets are not found.
	cfg, cfgErr := m.s3.GetBucketReplication(ctx, bucket)
	if cfgErr != nil && shared.CodeOf(buckets.S3Error(cfgErr, bucket)) != shared.CodeNotFound {
		return shared.Replication{}, buckets.S3Error(cfgErr, bucket)
	}
	hasRule := cfgErr == nil && !cfg.Empty()
	if len(ts) == 0 && !hasRule {
		return shared.Replication{}, notReplicated(bucket)
	}
	var last shared.Replication
	if st, ok := m.Cached(bucket); ok {
		last = st
	}
	if hasRule {
		if err := m.s3.RemoveBucketReplication(ctx, bucket); err != nil {
			return shared.Replication{}, buckets.S3Error(err, bucket)
		}
	}
	for _, t := range ts {
		if err := m.admin.RemoveRemoteTarget(ctx, bucket, t.ARN); err != nil && shared.CodeOf(err) != shared.CodeNotFound {
			return shared.Replication{}, fmt.Errorf("the rule of bucket %s is removed, but its target %s is not: %w; click Stop replicating again", bucket, t.ARN, err)
		}
		if last.Target == "" {
			last.Target = where(t)
		}
	}
	m.mu.Lock()
	delete(m.status, bucket)
	delete(m.marks, bucket)
	m.changes[bucket]++
	m.mu.Unlock()
	m.del("success/" + bucket)
	return last, nil
}

// ---- the source side: status ----

// Cached is a replicated bucket's state as of the last refresh.
func (m *Manager) Cached(bucket string) (shared.Replication, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.status[bucket]
	return s, ok
}

// Status reads a replicated bucket's state from MinIO now, and caches it.
func (m *Manager) Status(ctx context.Context, bucket string) (shared.Replication, error) {
	m.load()
	ts, err := m.Targets(ctx, bucket)
	if err != nil {
		return shared.Replication{}, err
	}
	if len(ts) == 0 {
		return shared.Replication{}, notReplicated(bucket)
	}
	m.mu.Lock()
	before := m.changes[bucket]
	m.mu.Unlock()
	st := m.read(ctx, bucket, ts[0], time.Now())
	m.mu.Lock()
	if m.changes[bucket] == before {
		m.status[bucket] = st
	}
	m.mu.Unlock()
	return st, nil
}

// Refresh reads the state of every replicated bucket (one admin call for
// the targets, then per bucket its metrics and a listing of what is
// pending) and the source of every replica bucket made here.
func (m *Manager) Refresh(ctx context.Context) error {
	m.load()
	m.mu.Lock()
	before := make(map[string]uint64, len(m.changes))
	for k, v := range m.changes {
		before[k] = v
	}
	targets := make([]string, 0, len(m.targets))
	for b := range m.targets {
		targets = append(targets, b)
	}
	m.mu.Unlock()

	ts, err := m.admin.ListRemoteTargets(ctx, "")
	if err != nil {
		return err
	}
	now := time.Now()
	status := map[string]shared.Replication{}
	for _, t := range ts {
		if _, seen := status[t.SourceBucket]; seen || t.Type != minioadmin.ServiceReplication {
			continue
		}
		status[t.SourceBucket] = m.read(ctx, t.SourceBucket, t, now)
	}
	replicas := map[string]shared.ReplicaOf{}
	for _, b := range targets {
		r, ok, err := m.readMarker(ctx, b)
		if err != nil {
			if c := minio.ToErrorResponse(err).Code; c != "NoSuchKey" && c != "NoSuchBucket" {
				m.log.Debug("replica label not read", "bucket", b, "error", err)
			}
			continue
		}
		if ok {
			replicas[b] = r
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for b, n := range m.changes {
		if before[b] == n {
			continue
		}
		// Changed by the add-on meanwhile: keep what it left.
		if s, ok := m.status[b]; ok {
			status[b] = s
		} else {
			delete(status, b)
		}
	}
	m.status, m.replicas = status, replicas
	return nil
}

// Run refreshes at once, then every interval() until ctx ends.
func (m *Manager) Run(ctx context.Context, interval func() time.Duration) {
	for {
		if err := m.Refresh(ctx); err != nil && ctx.Err() == nil {
			m.log.Debug("replication state not refreshed", "error", err)
		}
		t := time.NewTimer(interval())
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// read gathers one replicated bucket's figures: MinIO's target health and
// metrics, and a listing of the versions not on the target yet. What
// cannot be read is said in Problem; the state is then decided on the
// rest.
func (m *Manager) read(ctx context.Context, bucket string, t minioadmin.RemoteTarget, now time.Time) shared.Replication {
	st := shared.Replication{Target: where(t), ARN: t.ARN, AsOf: now.UTC()}
	var problems []string
	f := Figures{Online: t.Online}
	if !t.Online && t.LastOnline.IsZero() && t.OfflineCount == 0 {
		// MinIO's heartbeat has not looked at this target yet (it starts
		// with the first copy): look ourselves, as it would.
		scheme := "http://"
		if t.Secure {
			scheme = "https://"
		}
		f.Online = m.live(ctx, scheme+t.Endpoint) == nil
	}
	if cfg, err := m.s3.GetBucketReplication(ctx, bucket); err == nil {
		for _, r := range cfg.Rules {
			if r.Destination.Bucket == t.ARN {
				st.ReplicateDeletes = r.DeleteMarkerReplication.Status == replication.Enabled
			}
		}
	} else {
		problems = append(problems, "rule: "+minio.ToErrorResponse(err).Message)
	}
	if mv, err := m.s3.GetBucketReplicationMetricsV2(ctx, bucket); err == nil {
		tm := mv.CurrentStats.Stats[t.ARN]
		st.Failed1h = uint64(tm.Failed.LastHour.Count)
		f.FailedLastMinute = uint64(tm.Failed.LastMinute.Count)
		m.mu.Lock()
		mark, changed := m.marks[bucket].observe(t.ARN, tm.ReplicatedCount, now.UTC())
		m.marks[bucket] = mark
		m.mu.Unlock()
		if changed {
			m.put("success/"+bucket, mark)
		}
		st.LastSuccess = mark.At
	} else {
		problems = append(problems, "metrics: "+minio.ToErrorResponse(err).Message)
	}
	p, err := m.pending(ctx, bucket)
	if err != nil {
		problems = append(problems, "pending objects: "+err.Error())
	}
	st.PendingObjects, st.PendingBytes, st.PendingPartial = p.count, p.bytes, p.partial
	f.Pending, f.Failed, f.OldestPending = p.count, p.failed, p.oldest
	st.State = StateOf(f, now)
	st.StateText = StateText(st.State)
	st.Problem = strings.Join(problems, "; ")
	return st
}

// pendingFigures are the versions of a bucket not on its target yet.
type pendingFigures struct {
	count, bytes, failed uint64
	oldest               time.Time
	partial              bool
}

// pending lists a bucket's versions with their replication status (MinIO
// reports it as X-Amz-Replication-Status with metadata=true) and counts
// those not replicated: PENDING, FAILED, or none yet (existing objects
// waiting for the resync). Delete markers are not counted. At most
// MaxScan versions are listed.
func (m *Manager) pending(ctx context.Context, bucket string) (pendingFigures, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var p pendingFigures
	n := 0
	for o := range m.s3.ListObjects(ctx, bucket, minio.ListObjectsOptions{WithVersions: true, WithMetadata: true, Recursive: true}) {
		if o.Err != nil {
			return p, o.Err
		}
		if n++; n > MaxScan {
			p.partial = true
			break
		}
		if o.IsDeleteMarker {
			continue
		}
		switch o.UserMetadata["X-Amz-Replication-Status"] {
		case "COMPLETED", "REPLICA":
			continue
		case "FAILED":
			p.failed++
		}
		p.count++
		p.bytes += uint64(max(o.Size, 0))
		if p.oldest.IsZero() || o.LastModified.Before(p.oldest) {
			p.oldest = o.LastModified
		}
	}
	return p, nil
}

// ---- errors and names ----

func where(t minioadmin.RemoteTarget) string {
	scheme := "http://"
	if t.Secure {
		scheme = "https://"
	}
	host := t.Endpoint
	if t.Secure {
		host = strings.TrimSuffix(host, ":443")
	} else {
		host = strings.TrimSuffix(host, ":80")
	}
	return scheme + host + "/" + t.TargetBucket
}

func notReplicated(bucket string) error {
	return &shared.Error{Code: shared.CodeNotFound, Field: "name", Message: "bucket " + bucket + " is not replicated to another node"}
}

// bucketAdminError words an admin error about a local bucket.
func bucketAdminError(err error, bucket string) error {
	if shared.CodeOf(err) == shared.CodeNotFound {
		return &shared.Error{Code: shared.CodeNotFound, Field: "name", Message: "bucket " + bucket + " does not exist"}
	}
	return err
}

// setTargetError words MinIO's refusal of a remote target.
func setTargetError(err error, bucket string, t pairing.Target) error {
	var re *minioadmin.ResponseError
	if !errors.As(err, &re) {
		return err
	}
	e := &shared.Error{Code: shared.CodeOf(err), Field: "token"}
	switch re.Code {
	case "RemoteTargetNotVersionedError":
		e.Message = fmt.Sprintf("versioning is off on bucket %s of the target: turn it on there, then try again", t.Bucket)
	case "XMinioAdminRemoteTargetNotFoundError", "RemoteDestinationNotFoundError":
		e.Message = fmt.Sprintf("bucket %s does not exist on the target %s: create a new replica bucket and token on the target node", t.Bucket, t.Endpoint)
	case "XMinioAdminReplicationRemoteConnectionError":
		e.Message = fmt.Sprintf("MinIO could not use the target %s with the token's key (%s): check that the target node is up and the key not revoked", t.Endpoint, re.Message)
	case "XMinioAdminRemoteIdenticalToSource":
		e.Message = "the token names this very bucket: pair with a bucket of another node"
	case "ReplicationSourceNotVersionedError", "InvalidRequest":
		e.Field = "name"
		e.Message = fmt.Sprintf("MinIO refused the target: bucket %s is not versioned (%s)", bucket, re.Message)
	default:
		return fmt.Errorf("MinIO refused the replication target of bucket %s: %w", bucket, err)
	}
	return e
}
