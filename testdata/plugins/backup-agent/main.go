// Command backup-agent is a test plugin that uses the node's object storage
// the way another Cloud OS plugin would: only through the host. After each
// Configure it asks the storage plugin (through HostAPI.Storage) for a
// private bucket, an access key whose policy allows only that bucket, and
// the endpoint; then, with minio-go and those credentials, it uploads a
// file, reads it back and compares. Its Health detail reports the outcome,
// one line per step, so that a test reads it through the host.
//
// With run_probes it also tries what the host must refuse or neutralise: a
// call claiming another plugin's identity, a call to a plugin that is not
// loaded, a call to a plugin that provides no storage, and a method only
// the host may call. It imports shared/ and minio-go only, as a third-party
// plugin would.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/quazzar/object-storage/shared"
)

// PluginID is this plugin's id, as in its plugin.json.
const PluginID = "backup-agent"

// objectSize is the size of the file each run uploads.
const objectSize = 256 << 10

// config is the plugin's settings, checked.
type config struct {
	storage        string
	bucket         string
	keyName        string
	runOnConfigure bool
	probes         bool
	missingPlugin  string
}

func parseConfig(s map[string]string) (config, error) {
	c := config{
		storage:       strings.TrimSpace(s["storage_plugin"]),
		bucket:        strings.TrimSpace(s["bucket"]),
		keyName:       strings.TrimSpace(s["key_name"]),
		missingPlugin: strings.TrimSpace(s["missing_plugin"]),
	}
	if c.storage == "" {
		return c, shared.FieldError("storage_plugin", "storage_plugin is empty: name the plugin that provides object storage, e.g. object-storage")
	}
	if c.bucket == "" {
		return c, shared.FieldError("bucket", "bucket is empty: name the bucket backups go to, e.g. backups")
	}
	if c.keyName == "" {
		return c, shared.FieldError("key_name", "key_name is empty: name the access key the agent creates, e.g. backup-agent")
	}
	var err error
	if c.runOnConfigure, err = parseBool("run_on_configure", s["run_on_configure"]); err != nil {
		return c, err
	}
	if c.probes, err = parseBool("run_probes", s["run_probes"]); err != nil {
		return c, err
	}
	return c, nil
}

func parseBool(key, v string) (bool, error) {
	if strings.TrimSpace(v) == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, shared.FieldError(key, "%s %q is neither true nor false", key, v)
	}
	return b, nil
}

// agent implements shared.Lifecycle and shared.UsesHostAPI.
type agent struct {
	log hclog.Logger

	mu     sync.Mutex
	host   shared.HostAPI
	cancel context.CancelFunc
	done   chan struct{}
	// backup is the line of the last run: "backup <state>: <detail>".
	backup string
	failed bool
	probes []string
}

func newAgent(log hclog.Logger) *agent {
	return &agent{log: log, backup: "backup not run: waiting for Configure"}
}

// SetHostAPI is called by the glue before the first Configure.
func (a *agent) SetHostAPI(h shared.HostAPI) {
	a.mu.Lock()
	a.host = h
	a.mu.Unlock()
}

// Configure checks the settings and, when run_on_configure is true, starts
// one run in the background (a previous run is cancelled first).
func (a *agent) Configure(ctx context.Context, req shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	cfg, err := parseConfig(req.Settings)
	if err != nil {
		return shared.ConfigureResponse{}, err
	}
	a.stopRun()
	if !cfg.runOnConfigure {
		a.setBackup("backup not run: run_on_configure is false", false)
		return shared.ConfigureResponse{}, nil
	}
	a.mu.Lock()
	host := a.host
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	a.cancel, a.done = cancel, done
	a.probes = nil
	a.mu.Unlock()
	a.setBackup("backup running: storage plugin "+cfg.storage+" is ready (the host configures this plugin only then)", false)
	go func() {
		defer close(done)
		a.run(runCtx, host, cfg)
	}()
	return shared.ConfigureResponse{}, nil
}

// Health reports the last run: OK is false only when it failed.
func (a *agent) Health(ctx context.Context, req shared.HealthRequest) (shared.HealthResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	lines := append([]string{a.backup}, a.probes...)
	return shared.HealthResponse{OK: !a.failed, Detail: strings.Join(lines, "\n")}, nil
}

// Shutdown cancels a run in progress and waits for it, within ctx.
func (a *agent) Shutdown(ctx context.Context, req shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	a.mu.Lock()
	cancel, done := a.cancel, a.done
	a.mu.Unlock()
	if cancel == nil {
		return shared.ShutdownResponse{}, nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
	}
	return shared.ShutdownResponse{}, nil
}

func (a *agent) stopRun() {
	_, _ = a.Shutdown(context.Background(), shared.ShutdownRequest{})
}

func (a *agent) setBackup(line string, failed bool) {
	a.mu.Lock()
	a.backup, a.failed = line, failed
	a.mu.Unlock()
}

func (a *agent) addProbe(name string, err error, ok string) {
	line := "probe " + name + ": "
	if err != nil {
		e := shared.AsError(err)
		line += string(e.Code) + ": " + oneLine(e.Message)
	} else {
		line += "ok: " + ok
	}
	a.log.Info("probe done", "probe", name, "outcome", line)
	a.mu.Lock()
	a.probes = append(a.probes, line)
	a.mu.Unlock()
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// run does one backup, then the probes when asked.
func (a *agent) run(ctx context.Context, host shared.HostAPI, cfg config) {
	if host == nil {
		a.log.Error("backup failed", "error", "no host services")
		a.setBackup("backup failed: the host offers no services to this plugin (no HostAPIStream in Configure)", true)
		return
	}
	line, err := a.backupOnce(ctx, host.Storage(cfg.storage), cfg)
	if err != nil {
		a.log.Error("backup failed", "error", err)
		a.setBackup("backup failed: "+oneLine(err.Error()), true)
	} else {
		a.log.Info("backup done", "outcome", line)
		a.setBackup("backup ok: "+line, false)
	}
	if cfg.probes && ctx.Err() == nil {
		a.runProbes(ctx, host, cfg)
	}
}

// backupOnce is one run: bucket, key, endpoint, upload, read back.
func (a *agent) backupOnce(ctx context.Context, sm shared.StorageModule, cfg config) (string, error) {
	a.setBackup("backup running: preparing bucket "+cfg.bucket, false)
	if err := ensurePrivateBucket(ctx, sm, cfg.bucket); err != nil {
		return "", err
	}
	a.setBackup("backup running: creating key "+cfg.keyName, false)
	key, secret, err := a.freshKey(ctx, sm, cfg)
	if err != nil {
		return "", err
	}
	ep, err := sm.Endpoint(ctx, shared.EndpointRequest{})
	if err != nil {
		return "", fmt.Errorf("ask %s for its endpoint: %w", cfg.storage, err)
	}
	a.setBackup("backup running: uploading to "+ep.S3URL, false)
	s3, err := s3Client(ep, key.AccessKey, secret)
	if err != nil {
		return "", err
	}
	object := fmt.Sprintf("%s/%s.bin", PluginID, time.Now().UTC().Format("20060102T150405.000000000Z"))
	n, err := uploadAndVerify(ctx, s3, cfg.bucket, object)
	if err != nil {
		return "", err
	}
	if err := checkScope(ctx, s3, cfg.bucket); err != nil {
		return "", fmt.Errorf("key %s: %w", key.AccessKey, err)
	}
	return fmt.Sprintf("%s/%s %d bytes read back and verified; key %s limited to bucket %s; endpoint %s",
		cfg.bucket, object, n, key.AccessKey, cfg.bucket, ep.S3URL), nil
}

// checkScope checks that the key sees no bucket but its own (MinIO filters
// ListBuckets by the caller's policy rather than refusing it) and may not
// create buckets.
func checkScope(ctx context.Context, s3 *minio.Client, bucket string) error {
	seen, err := s3.ListBuckets(ctx)
	if err != nil {
		return fmt.Errorf("list buckets: %w", err)
	}
	for _, b := range seen {
		if b.Name != bucket {
			return fmt.Errorf("it sees bucket %s: its policy should allow bucket %s only", b.Name, bucket)
		}
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	other := "ba-scope-" + hex.EncodeToString(suffix)
	err = s3.MakeBucket(ctx, other, minio.MakeBucketOptions{})
	if err == nil {
		_ = s3.RemoveBucket(ctx, other)
		return fmt.Errorf("it could create bucket %s: its policy should allow bucket %s only", other, bucket)
	}
	if code := minio.ToErrorResponse(err).Code; code != "AccessDenied" {
		return fmt.Errorf("create bucket %s to check the key's scope: want AccessDenied, got %w", other, err)
	}
	return nil
}

// ensurePrivateBucket creates bucket as private, or accepts it when it
// exists already and is private.
func ensurePrivateBucket(ctx context.Context, sm shared.StorageModule, bucket string) error {
	_, err := sm.CreateBucket(ctx, shared.CreateBucketRequest{Name: bucket, Visibility: shared.Private})
	if err == nil {
		return nil
	}
	if !errors.Is(err, shared.ErrConflict) {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	list, err := sm.ListBuckets(ctx, shared.ListBucketsRequest{})
	if err != nil {
		return fmt.Errorf("bucket %s exists; list buckets to check it is private: %w", bucket, err)
	}
	for _, b := range list.Buckets {
		if b.Name == bucket {
			if b.Visibility != shared.Private {
				return fmt.Errorf("bucket %s exists and is %s: refusing to put backups there; make it private", bucket, b.Visibility)
			}
			return nil
		}
	}
	return fmt.Errorf("create bucket %s answered conflict, but it is not in the bucket list: the name may be taken", bucket)
}

// freshKey revokes the agent's previous key (its secret is not kept
// anywhere) and creates a new one allowed on the bucket only.
func (a *agent) freshKey(ctx context.Context, sm shared.StorageModule, cfg config) (shared.Key, string, error) {
	list, err := sm.ListKeys(ctx, shared.ListKeysRequest{})
	if err != nil {
		return shared.Key{}, "", fmt.Errorf("list keys: %w", err)
	}
	for _, k := range list.Keys {
		if k.Name == cfg.keyName && k.Managed {
			if _, err := sm.RevokeKey(ctx, shared.RevokeKeyRequest{AccessKey: k.AccessKey}); err != nil && !errors.Is(err, shared.ErrNotFound) {
				return shared.Key{}, "", fmt.Errorf("revoke previous key %s: %w", k.AccessKey, err)
			}
			a.log.Info("previous key revoked", "access_key", k.AccessKey)
		}
	}
	res, err := sm.CreateKey(ctx, shared.CreateKeyRequest{
		Name:        cfg.keyName,
		Description: "backup agent: read-write on bucket " + cfg.bucket + " only",
		Policy:      bucketPolicy(cfg.bucket),
	})
	if err != nil {
		return shared.Key{}, "", fmt.Errorf("create key %s: %w", cfg.keyName, err)
	}
	if res.SecretKey == "" {
		return shared.Key{}, "", fmt.Errorf("create key %s answered no secret", cfg.keyName)
	}
	a.log.Info("key created", "access_key", res.Key.AccessKey, "policy", res.Key.PolicyKind)
	return res.Key, res.SecretKey, nil
}

// bucketPolicy is an IAM policy allowing reads and writes on bucket and its
// objects, and nothing else.
func bucketPolicy(bucket string) string {
	doc := map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Effect": "Allow",
			"Action": []string{
				"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation",
				"s3:AbortMultipartUpload", "s3:ListMultipartUploadParts", "s3:ListBucketMultipartUploads",
			},
			"Resource": []string{"arn:aws:s3:::" + bucket, "arn:aws:s3:::" + bucket + "/*"},
		}},
	}
	b, _ := json.Marshal(doc)
	return string(b)
}

// s3Client is a minio-go client for the endpoint's S3 URL.
func s3Client(ep shared.Endpoint, accessKey, secret string) (*minio.Client, error) {
	u, err := url.Parse(ep.S3URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("endpoint S3 URL %q is not a URL like http://127.0.0.1:9000", ep.S3URL)
	}
	c, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(accessKey, secret, ""),
		Secure: u.Scheme == "https",
		Region: ep.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client for %s: %w", ep.S3URL, err)
	}
	return c, nil
}

// uploadAndVerify puts random bytes as object and reads them back.
func uploadAndVerify(ctx context.Context, s3 *minio.Client, bucket, object string) (int, error) {
	data := make([]byte, objectSize)
	if _, err := rand.Read(data); err != nil {
		return 0, fmt.Errorf("make test data: %w", err)
	}
	want := sha256.Sum256(data)
	// A new service account may take a moment to be known everywhere.
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		_, err = s3.PutObject(ctx, bucket, object, bytes.NewReader(data), int64(len(data)),
			minio.PutObjectOptions{ContentType: "application/octet-stream"})
		if err == nil || minio.ToErrorResponse(err).Code != "InvalidAccessKeyId" {
			break
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	if err != nil {
		return 0, fmt.Errorf("upload %s/%s with the new key: %w", bucket, object, err)
	}
	obj, err := s3.GetObject(ctx, bucket, object, minio.GetObjectOptions{})
	if err != nil {
		return 0, fmt.Errorf("read back %s/%s: %w", bucket, object, err)
	}
	defer obj.Close()
	got, err := io.ReadAll(obj)
	if err != nil {
		return 0, fmt.Errorf("read back %s/%s: %w", bucket, object, err)
	}
	if sum := sha256.Sum256(got); sum != want {
		return 0, fmt.Errorf("read back %s/%s: %d bytes with sha256 %s, uploaded %d bytes with sha256 %s",
			bucket, object, len(got), hex.EncodeToString(sum[:]), len(data), hex.EncodeToString(want[:]))
	}
	return len(got), nil
}

// runProbes tries what the host must refuse or neutralise, and records
// each outcome as a "probe <name>: <code>: <message>" line.
func (a *agent) runProbes(ctx context.Context, host shared.HostAPI, cfg config) {
	sm := host.Storage(cfg.storage)
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	// Claiming the storage plugin's own identity: the host replaces the
	// caller, so the add-on logs this plugin's id for this bucket.
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	probeBucket := "ba-probe-" + hex.EncodeToString(suffix)
	_, err := sm.CreateBucket(shared.WithCaller(pctx, cfg.storage), shared.CreateBucketRequest{Name: probeBucket, Visibility: shared.Private})
	a.addProbe("impersonation", err, fmt.Sprintf("bucket %s created while claiming caller %s", probeBucket, cfg.storage))
	if err == nil {
		if _, err := sm.DeleteBucket(pctx, shared.DeleteBucketRequest{Name: probeBucket}); err != nil {
			a.log.Warn("could not delete the probe bucket", "bucket", probeBucket, "error", err)
		}
	}

	// A plugin the host has not loaded.
	_, err = host.Storage(cfg.missingPlugin).Status(pctx, shared.StatusRequest{})
	a.addProbe("not-loaded", err, "plugin "+cfg.missingPlugin+" answered Status")

	// A loaded plugin that provides no storage: this one.
	_, err = host.Storage(PluginID).Status(pctx, shared.StatusRequest{})
	a.addProbe("not-storage", err, "plugin "+PluginID+" answered Status")

	// A method only the host may call (the page's action entry point).
	_, err = sm.Action(pctx, shared.ActionRequest{Action: "create_bucket", Input: json.RawMessage(`{"name":"ba-forbidden","visibility":"public"}`)})
	a.addProbe("host-only-method", err, "Action create_bucket went through")

	// An administrator key: the node owner's alone (the host refuses it).
	k, err := sm.CreateKey(pctx, shared.CreateKeyRequest{Name: "ba-admin-probe", Admin: true})
	a.addProbe("admin-key", err, "administrator key "+k.Key.AccessKey+" created")
	// A policy reaching beyond S3 is an administrator key too (the add-on
	// refuses it).
	k, err = sm.CreateKey(pctx, shared.CreateKeyRequest{Name: "ba-admin-policy",
		Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"],"Resource":["arn:minio:admin:::*"]}]}`})
	a.addProbe("admin-policy", err, "key "+k.Key.AccessKey+" with admin:* created")
}

func main() {
	log := hclog.New(&hclog.LoggerOptions{
		Name:       PluginID,
		Level:      hclog.Info,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	shared.Serve(newAgent(log), log)
}

var (
	_ shared.Lifecycle   = (*agent)(nil)
	_ shared.UsesHostAPI = (*agent)(nil)
)
