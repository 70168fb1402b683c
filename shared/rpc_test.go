package shared_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-plugin"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

// fake is a small in-test StorageModule: it records each request, the
// caller and the deadline it saw, and answers the canned response of the
// method, or err when set.
type fake struct {
	mu        sync.Mutex
	err       error
	resp      map[string]any
	got       map[string]any
	callers   map[string]string
	deadlines map[string]time.Time
	// hang, when set, blocks every call until it is closed, ignoring ctx:
	// a plugin that stopped answering.
	hang chan struct{}
}

func newFake() *fake {
	return &fake{resp: map[string]any{}, got: map[string]any{}, callers: map[string]string{}, deadlines: map[string]time.Time{}}
}

func respond[R any](ctx context.Context, f *fake, method string, req any) (R, error) {
	f.mu.Lock()
	hang := f.hang
	f.mu.Unlock()
	if hang != nil {
		<-hang
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got[method] = req
	f.callers[method] = shared.CallerOf(ctx)
	f.deadlines[method], _ = ctx.Deadline()
	var zero R
	if f.err != nil {
		return zero, f.err
	}
	r, _ := f.resp[method].(R)
	return r, nil
}

func (f *fake) Configure(ctx context.Context, req shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	return respond[shared.ConfigureResponse](ctx, f, "Configure", req)
}
func (f *fake) Health(ctx context.Context, req shared.HealthRequest) (shared.HealthResponse, error) {
	return respond[shared.HealthResponse](ctx, f, "Health", req)
}
func (f *fake) Shutdown(ctx context.Context, req shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	return respond[shared.ShutdownResponse](ctx, f, "Shutdown", req)
}
func (f *fake) Page(ctx context.Context, req shared.PageRequest) (shared.Page, error) {
	return respond[shared.Page](ctx, f, "Page", req)
}
func (f *fake) Action(ctx context.Context, req shared.ActionRequest) (shared.ActionResult, error) {
	return respond[shared.ActionResult](ctx, f, "Action", req)
}
func (f *fake) State(ctx context.Context, req shared.StateRequest) (shared.StateResponse, error) {
	return respond[shared.StateResponse](ctx, f, "State", req)
}
func (f *fake) Status(ctx context.Context, req shared.StatusRequest) (shared.Status, error) {
	return respond[shared.Status](ctx, f, "Status", req)
}
func (f *fake) Endpoint(ctx context.Context, req shared.EndpointRequest) (shared.Endpoint, error) {
	return respond[shared.Endpoint](ctx, f, "Endpoint", req)
}
func (f *fake) ListBuckets(ctx context.Context, req shared.ListBucketsRequest) (shared.ListBucketsResponse, error) {
	return respond[shared.ListBucketsResponse](ctx, f, "ListBuckets", req)
}
func (f *fake) CreateBucket(ctx context.Context, req shared.CreateBucketRequest) (shared.Bucket, error) {
	return respond[shared.Bucket](ctx, f, "CreateBucket", req)
}
func (f *fake) SetBucketVisibility(ctx context.Context, req shared.SetBucketVisibilityRequest) (shared.Bucket, error) {
	return respond[shared.Bucket](ctx, f, "SetBucketVisibility", req)
}
func (f *fake) DeleteBucket(ctx context.Context, req shared.DeleteBucketRequest) (shared.DeleteBucketResponse, error) {
	return respond[shared.DeleteBucketResponse](ctx, f, "DeleteBucket", req)
}
func (f *fake) SetBucketQuota(ctx context.Context, req shared.SetBucketQuotaRequest) (shared.Bucket, error) {
	return respond[shared.Bucket](ctx, f, "SetBucketQuota", req)
}
func (f *fake) SetBucketVersioning(ctx context.Context, req shared.SetBucketVersioningRequest) (shared.Bucket, error) {
	return respond[shared.Bucket](ctx, f, "SetBucketVersioning", req)
}
func (f *fake) SetBucketRetention(ctx context.Context, req shared.SetBucketRetentionRequest) (shared.Bucket, error) {
	return respond[shared.Bucket](ctx, f, "SetBucketRetention", req)
}
func (f *fake) AddLifecycleRule(ctx context.Context, req shared.AddLifecycleRuleRequest) (shared.AddLifecycleRuleResponse, error) {
	return respond[shared.AddLifecycleRuleResponse](ctx, f, "AddLifecycleRule", req)
}
func (f *fake) DeleteLifecycleRule(ctx context.Context, req shared.DeleteLifecycleRuleRequest) (shared.Bucket, error) {
	return respond[shared.Bucket](ctx, f, "DeleteLifecycleRule", req)
}
func (f *fake) Capacity(ctx context.Context, req shared.CapacityRequest) (shared.Capacity, error) {
	return respond[shared.Capacity](ctx, f, "Capacity", req)
}
func (f *fake) Topology(ctx context.Context, req shared.TopologyRequest) (shared.Topology, error) {
	return respond[shared.Topology](ctx, f, "Topology", req)
}
func (f *fake) ListKeys(ctx context.Context, req shared.ListKeysRequest) (shared.ListKeysResponse, error) {
	return respond[shared.ListKeysResponse](ctx, f, "ListKeys", req)
}
func (f *fake) CreateKey(ctx context.Context, req shared.CreateKeyRequest) (shared.CreateKeyResponse, error) {
	return respond[shared.CreateKeyResponse](ctx, f, "CreateKey", req)
}
func (f *fake) RevokeKey(ctx context.Context, req shared.RevokeKeyRequest) (shared.RevokeKeyResponse, error) {
	return respond[shared.RevokeKeyResponse](ctx, f, "RevokeKey", req)
}
func (f *fake) UpdateKey(ctx context.Context, req shared.UpdateKeyRequest) (shared.Key, error) {
	return respond[shared.Key](ctx, f, "UpdateKey", req)
}
func (f *fake) SetKeyStatus(ctx context.Context, req shared.SetKeyStatusRequest) (shared.Key, error) {
	return respond[shared.Key](ctx, f, "SetKeyStatus", req)
}
func (f *fake) RotateKey(ctx context.Context, req shared.RotateKeyRequest) (shared.RotateKeyResponse, error) {
	return respond[shared.RotateKeyResponse](ctx, f, "RotateKey", req)
}
func (f *fake) Owned(ctx context.Context, req shared.OwnedRequest) (shared.OwnedResponse, error) {
	return respond[shared.OwnedResponse](ctx, f, "Owned", req)
}
func (f *fake) Expose(ctx context.Context, req shared.ExposeRequest) (shared.Endpoint, error) {
	return respond[shared.Endpoint](ctx, f, "Expose", req)
}
func (f *fake) Unexpose(ctx context.Context, req shared.UnexposeRequest) (shared.Endpoint, error) {
	return respond[shared.Endpoint](ctx, f, "Unexpose", req)
}
func (f *fake) CreateReplicaTarget(ctx context.Context, req shared.CreateReplicaTargetRequest) (shared.CreateReplicaTargetResponse, error) {
	return respond[shared.CreateReplicaTargetResponse](ctx, f, "CreateReplicaTarget", req)
}
func (f *fake) ReplicateBucket(ctx context.Context, req shared.ReplicateBucketRequest) (shared.ReplicateBucketResponse, error) {
	return respond[shared.ReplicateBucketResponse](ctx, f, "ReplicateBucket", req)
}
func (f *fake) ReplicationStatus(ctx context.Context, req shared.ReplicationStatusRequest) (shared.Replication, error) {
	return respond[shared.Replication](ctx, f, "ReplicationStatus", req)
}
func (f *fake) ResyncBucket(ctx context.Context, req shared.ResyncBucketRequest) (shared.Replication, error) {
	return respond[shared.Replication](ctx, f, "ResyncBucket", req)
}
func (f *fake) StopReplication(ctx context.Context, req shared.StopReplicationRequest) (shared.StopReplicationResponse, error) {
	return respond[shared.StopReplicationResponse](ctx, f, "StopReplication", req)
}

var (
	_ shared.Lifecycle     = (*fake)(nil)
	_ shared.StorageModule = (*fake)(nil)
)

// lifecycleOnly is a plugin that provides nothing but Lifecycle.
type lifecycleOnly struct{}

func (lifecycleOnly) Configure(context.Context, shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	return shared.ConfigureResponse{}, nil
}
func (lifecycleOnly) Health(context.Context, shared.HealthRequest) (shared.HealthResponse, error) {
	return shared.HealthResponse{OK: true}, nil
}
func (lifecycleOnly) Shutdown(context.Context, shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	return shared.ShutdownResponse{}, nil
}

// connect serves impl through go-plugin's net/rpc glue over an in-memory
// connection and returns the host's client stub.
func connect(t *testing.T, impl any) *shared.PluginClient {
	t.Helper()
	client, _ := plugin.TestPluginRPCConn(t, shared.PluginMap(impl), nil)
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(shared.PluginName)
	require.NoError(t, err)
	c, ok := raw.(*shared.PluginClient)
	require.True(t, ok, "dispensed %T, want *shared.PluginClient", raw)
	return c
}

var when = time.Date(2026, 11, 29, 10, 30, 0, 0, time.UTC)

var replicationFixture = shared.Replication{Target: "https://s3.friend.example/photos-copy", State: shared.ReplicationLagging, StateText: "lagging",
	PendingObjects: 20, PendingBytes: 20 << 20, PendingPartial: true, Failed1h: 3, LastSuccess: when, ReplicateDeletes: true,
	ARN: "arn:minio:replication::id:photos-copy", AsOf: when, Problem: "metrics: x"}

func ptr[T any](v T) *T { return &v }

// method is one contract method: a request with every field set, the
// response the fake gives, and the call through the client stub.
type method struct {
	name string
	req  any
	resp any
	call func(ctx context.Context, c *shared.PluginClient, req any) (any, error)
}

func methods() []method {
	return []method{
		{"Configure", shared.ConfigureRequest{Settings: map[string]string{"data_dir": "/d", "region": "eu-1"}, ConfirmRestart: true},
			shared.ConfigureResponse{AppliedLive: []string{"scanner_speed"}, Restarted: true},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Configure(ctx, r.(shared.ConfigureRequest))
			}},
		{"Health", shared.HealthRequest{}, shared.HealthResponse{OK: true, Detail: "fine"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Health(ctx, r.(shared.HealthRequest))
			}},
		{"Shutdown", shared.ShutdownRequest{StopServices: true}, shared.ShutdownResponse{},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Shutdown(ctx, r.(shared.ShutdownRequest))
			}},
		{"Page", shared.PageRequest{}, shared.Page{SchemaVersion: shared.SchemaVersion, Title: "Object Storage", Route: "/storage/objects", RefreshSeconds: 30,
			Banner:   &shared.Notice{Level: shared.LevelWarning, Text: "MinIO is not installed", Code: "make minio"},
			Sections: []shared.Section{{ID: "n", Kind: shared.SectionNotice, Title: "t", Notice: &shared.Notice{Level: shared.LevelInfo, Text: "x"}}}},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Page(ctx, r.(shared.PageRequest))
			}},
		{"Action", shared.ActionRequest{Action: "create_key", Input: json.RawMessage(`{"name":"ci"}`)},
			shared.ActionResult{OK: true, Message: "created", FieldErrors: map[string]string{"name": "taken"}, Code: shared.CodeConflict,
				Modal: &shared.Modal{Title: "Secret", Blocks: []shared.CodeBlock{{Label: "aws", Text: "aws s3 ls"}}}, Refresh: true, AccessKey: "quazzar-ABCDEFGHIJ", SecretKey: "s3cr3t", Token: "cloudos-pair-1.abc"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Action(ctx, r.(shared.ActionRequest))
			}},
		{"State", shared.StateRequest{Query: map[string]string{"history": "1"}}, shared.StateResponse{Document: json.RawMessage(`{"buckets":[]}`)},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.State(ctx, r.(shared.StateRequest))
			}},
		{"Status", shared.StatusRequest{}, shared.Status{State: shared.StateRunning, Message: "ok", PID: 42, Version: "DEVELOPMENT.GOGET",
			StartedAt: when, UptimeSeconds: 90, Restarts: 2, LastError: "boom", Adopted: true, S3Address: "127.0.0.1:9000", ConsoleAddress: "127.0.0.1:9001"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Status(ctx, r.(shared.StatusRequest))
			}},
		{"Endpoint", shared.EndpointRequest{}, shared.Endpoint{S3URL: "http://127.0.0.1:9000", ConsoleURL: "http://127.0.0.1:9001", Region: "us-east-1", Domain: "s3.example.test", PublicURL: "https://s3.example.test"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Endpoint(ctx, r.(shared.EndpointRequest))
			}},
		{"ListBuckets", shared.ListBucketsRequest{WithHistory: true}, shared.ListBucketsResponse{LastScan: when, Buckets: []shared.Bucket{
			{Name: "photos", Visibility: shared.Public, CreatedAt: when, Usage: shared.Usage{Size: 1 << 40, Objects: 12, Versions: 20, DeleteMarkers: 2, Scanned: true, ScannedAt: when},
				Quota: 2 << 40, Versioning: shared.VersioningEnabled, ObjectLock: true, Retention: &shared.Retention{Mode: shared.RetentionCompliance, Days: 30},
				Lifecycle:    []shared.LifecycleRule{{ID: "r1", Enabled: true, Prefix: "logs/", ExpireDays: 30, NoncurrentDays: 7, KeepNewest: 3, AbortMultipartDays: 2, Other: []string{"tag env=dev"}, Text: "Objects under logs/ are deleted 30 days after upload."}},
				LifecycleXML: "<LifecycleConfiguration/>",
				Forecast:     &shared.Forecast{Text: "soon", FullInSeconds: 86400, WindowSeconds: 604800},
				History:      []shared.Sample{{At: when, Value: 1 << 40}},
				Replication:  &replicationFixture},
			{Name: "copy", Visibility: shared.Private, Versioning: shared.VersioningEnabled, Lifecycle: []shared.LifecycleRule{},
				ReplicaOf: &shared.ReplicaOf{Bucket: "photos", Endpoint: "https://s3.home.example", Since: when}},
			{Name: "new", Visibility: shared.Private, Versioning: shared.VersioningOff, Lifecycle: []shared.LifecycleRule{}}}},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.ListBuckets(ctx, r.(shared.ListBucketsRequest))
			}},
		{"CreateBucket", shared.CreateBucketRequest{Name: "photos", Visibility: shared.Public, ObjectLock: true, RetentionMode: shared.RetentionGovernance, RetentionDays: 7},
			shared.Bucket{Name: "photos", Visibility: shared.Public, CreatedAt: when, ObjectLock: true, Retention: &shared.Retention{Mode: shared.RetentionGovernance, Days: 7}},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.CreateBucket(ctx, r.(shared.CreateBucketRequest))
			}},
		{"SetBucketVisibility", shared.SetBucketVisibilityRequest{Name: "photos", Visibility: shared.Private, OverwriteCustom: true}, shared.Bucket{Name: "photos", Visibility: shared.Private},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.SetBucketVisibility(ctx, r.(shared.SetBucketVisibilityRequest))
			}},
		{"DeleteBucket", shared.DeleteBucketRequest{Name: "photos", Force: true}, shared.DeleteBucketResponse{Name: "photos", ObjectsRemoved: 7},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.DeleteBucket(ctx, r.(shared.DeleteBucketRequest))
			}},
		{"SetBucketQuota", shared.SetBucketQuotaRequest{Name: "photos", Bytes: 1 << 30}, shared.Bucket{Name: "photos", Quota: 1 << 30},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.SetBucketQuota(ctx, r.(shared.SetBucketQuotaRequest))
			}},
		{"SetBucketVersioning", shared.SetBucketVersioningRequest{Name: "photos", State: shared.VersioningSuspended}, shared.Bucket{Name: "photos", Versioning: shared.VersioningSuspended},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.SetBucketVersioning(ctx, r.(shared.SetBucketVersioningRequest))
			}},
		{"SetBucketRetention", shared.SetBucketRetentionRequest{Name: "vault", Mode: shared.RetentionCompliance, Days: 365}, shared.Bucket{Name: "vault", ObjectLock: true, Retention: &shared.Retention{Mode: shared.RetentionCompliance, Days: 365}},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.SetBucketRetention(ctx, r.(shared.SetBucketRetentionRequest))
			}},
		{"AddLifecycleRule", shared.AddLifecycleRuleRequest{Name: "logs", Prefix: "app/", ExpireDays: 30, NoncurrentDays: 7, KeepNewest: 2, AbortMultipartDays: 1},
			shared.AddLifecycleRuleResponse{Rule: shared.LifecycleRule{ID: "quazzar-1", Enabled: true, Prefix: "app/", ExpireDays: 30, Text: "x"}, Bucket: shared.Bucket{Name: "logs"}, Uploads: "aborted after 1 day"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.AddLifecycleRule(ctx, r.(shared.AddLifecycleRuleRequest))
			}},
		{"DeleteLifecycleRule", shared.DeleteLifecycleRuleRequest{Name: "logs", ID: "quazzar-1"}, shared.Bucket{Name: "logs"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.DeleteLifecycleRule(ctx, r.(shared.DeleteLifecycleRuleRequest))
			}},
		{"Capacity", shared.CapacityRequest{WithHistory: true}, shared.Capacity{Level: shared.CapacityWarning, AsOf: when,
			Drives:   []shared.Drive{{Path: "/data", Total: 100, Used: 85, Free: 15, State: "ok", Level: shared.CapacityWarning, History: []shared.Sample{{At: when, Value: 85}}}},
			Forecast: &shared.Forecast{Text: "full in about 3 days", FullInSeconds: 259200, WindowSeconds: 604800}},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Capacity(ctx, r.(shared.CapacityRequest))
			}},
		{"Topology", shared.TopologyRequest{}, shared.Topology{Mode: "cluster", Cluster: "c1", Parity: 2, ReadTolerance: 2, WriteTolerance: 1,
			NodeReadTolerance: 2, NodeWriteTolerance: 1, Text: "x", FromMinIO: true, AsOf: when, WaitingFor: []string{"10.0.0.2:9000"},
			Pools: []shared.TopologyPool{{Sets: 1, DrivesPerSet: 4}},
			Nodes: []shared.TopologyNode{{Address: "10.0.0.1:9000", Self: true, State: shared.NodeOnline, Drives: []shared.TopologyDrive{{
				Path: "/mnt/a", State: shared.DriveHealing, MinIOState: "ok", Total: 100, Used: 10, Free: 90, Pool: 0, Set: 0,
				Heal: &shared.HealProgress{Started: when, ObjectsTotal: 10, BytesTotal: 1000, ItemsHealed: 3, BytesDone: 300}}}}},
			Healing: shared.Healing{Drives: 1, ItemsHealed: 3, BytesDone: 300, Text: "y"}},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Topology(ctx, r.(shared.TopologyRequest))
			}},
		{"ListKeys", shared.ListKeysRequest{}, shared.ListKeysResponse{Keys: []shared.Key{{Name: "ci", AccessKey: "quazzar-ABCDEFGHIJ", Description: "d",
			PolicyKind: shared.PolicyCustom, Policy: `{"Version":"2012-10-17"}`, Expiry: when, Status: shared.KeyRotating, CreatedAt: when, Managed: true,
			Owner: "backup-agent", LastUsed: when, LastOperation: "PutObject", LastSource: "10.0.0.7", Requests24h: 12, Bytes24h: 4096, Errors24h: 1,
			Rotation: &shared.KeyRotation{Role: shared.RotationOld, Peer: "quazzar-KLMNOPQRST", Started: when, Deadline: when.Add(time.Hour)}}},
			Tracking: false, TrackingProblem: "MinIO refused the audit webhook", TrackingSince: when},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.ListKeys(ctx, r.(shared.ListKeysRequest))
			}},
		{"CreateKey", shared.CreateKeyRequest{Name: "ci", Description: "d", Policy: `{"Version":"2012-10-17"}`, Expiry: when},
			shared.CreateKeyResponse{Key: shared.Key{Name: "ci", AccessKey: "quazzar-ABCDEFGHIJ", PolicyKind: shared.PolicyInherited, Status: "on", Managed: true}, SecretKey: "s3cr3t"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.CreateKey(ctx, r.(shared.CreateKeyRequest))
			}},
		{"RevokeKey", shared.RevokeKeyRequest{AccessKey: "quazzar-ABCDEFGHIJ"}, shared.RevokeKeyResponse{AccessKey: "quazzar-ABCDEFGHIJ"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.RevokeKey(ctx, r.(shared.RevokeKeyRequest))
			}},
		{"UpdateKey", shared.UpdateKeyRequest{AccessKey: "quazzar-ABCDEFGHIJ", Policy: ptr(`{"Version":"2012-10-17"}`), Admin: true, Description: ptr("d"), Expiry: &when},
			shared.Key{Name: "ci", AccessKey: "quazzar-ABCDEFGHIJ", Description: "d", Status: shared.KeyOn},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.UpdateKey(ctx, r.(shared.UpdateKeyRequest))
			}},
		{"SetKeyStatus", shared.SetKeyStatusRequest{AccessKey: "quazzar-ABCDEFGHIJ", Enabled: true}, shared.Key{AccessKey: "quazzar-ABCDEFGHIJ", Status: shared.KeyOff},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.SetKeyStatus(ctx, r.(shared.SetKeyStatusRequest))
			}},
		{"RotateKey", shared.RotateKeyRequest{AccessKey: "quazzar-ABCDEFGHIJ", OverlapSeconds: 3600, Expiry: when},
			shared.RotateKeyResponse{Key: shared.Key{AccessKey: "quazzar-KLMNOPQRST", Status: shared.KeyRotating}, SecretKey: "s3cr3t", Old: shared.Key{AccessKey: "quazzar-ABCDEFGHIJ"}},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.RotateKey(ctx, r.(shared.RotateKeyRequest))
			}},
		{"Owned", shared.OwnedRequest{Plugin: "backup-agent"}, shared.OwnedResponse{Keys: []shared.Key{{AccessKey: "quazzar-ABCDEFGHIJ", Owner: "backup-agent"}}, Buckets: []string{"backups"}},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Owned(ctx, r.(shared.OwnedRequest))
			}},
		{"Expose", shared.ExposeRequest{Domain: "s3.example.test"}, shared.Endpoint{Region: "us-east-1", Domain: "s3.example.test", PublicURL: "https://s3.example.test"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Expose(ctx, r.(shared.ExposeRequest))
			}},
		{"Unexpose", shared.UnexposeRequest{}, shared.Endpoint{Region: "us-east-1"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.Unexpose(ctx, r.(shared.UnexposeRequest))
			}},
		{"CreateReplicaTarget", shared.CreateReplicaTargetRequest{Name: "photos-copy", Passphrase: "correct horse"},
			shared.CreateReplicaTargetResponse{Bucket: "photos-copy", Token: "cloudos-pair-1e.abc", AccessKey: "quazzar-ABCDEFGHIJ", Endpoint: "https://s3.friend.example",
				Sealed: true, CreatedBucket: true, VersioningEnabled: true},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.CreateReplicaTarget(ctx, r.(shared.CreateReplicaTargetRequest))
			}},
		{"ReplicateBucket", shared.ReplicateBucketRequest{Name: "photos", Token: "cloudos-pair-1e.abc", Passphrase: "correct horse", ReplicateDeletes: new(bool)},
			shared.ReplicateBucketResponse{Name: "photos", Replication: replicationFixture, VersioningEnabled: true, Warnings: []string{"resync did not start"}},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.ReplicateBucket(ctx, r.(shared.ReplicateBucketRequest))
			}},
		{"ReplicationStatus", shared.ReplicationStatusRequest{Name: "photos"}, replicationFixture,
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.ReplicationStatus(ctx, r.(shared.ReplicationStatusRequest))
			}},
		{"ResyncBucket", shared.ResyncBucketRequest{Name: "photos"}, replicationFixture,
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.ResyncBucket(ctx, r.(shared.ResyncBucketRequest))
			}},
		{"StopReplication", shared.StopReplicationRequest{Name: "photos"}, shared.StopReplicationResponse{Name: "photos", Target: "https://s3.friend.example/photos-copy"},
			func(ctx context.Context, c *shared.PluginClient, r any) (any, error) {
				return c.StopReplication(ctx, r.(shared.StopReplicationRequest))
			}},
	}
}

func TestEveryMethodRoundTrips(t *testing.T) {
	t.Parallel()
	f := newFake()
	for _, m := range methods() {
		f.resp[m.name] = m.resp
	}
	c := connect(t, f)
	require.Len(t, methods(), reflect.TypeFor[shared.Lifecycle]().NumMethod()+reflect.TypeFor[shared.StorageModule]().NumMethod(),
		"a contract method was added: add it to methods()")
	for _, m := range methods() {
		t.Run(m.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(shared.WithCaller(context.Background(), "backup-agent"), 30*time.Second)
			defer cancel()
			deadline, _ := ctx.Deadline()
			got, err := m.call(ctx, c, m.req)
			require.NoError(t, err)
			require.Equal(t, m.resp, got, "response changed on the wire")
			f.mu.Lock()
			defer f.mu.Unlock()
			require.Equal(t, m.req, f.got[m.name], "request changed on the wire")
			require.Equal(t, "backup-agent", f.callers[m.name], "caller lost on the wire")
			require.WithinDuration(t, deadline, f.deadlines[m.name], time.Millisecond, "deadline lost on the wire")
		})
	}
}

func TestEveryErrorCodeSurvivesTheWire(t *testing.T) {
	t.Parallel()
	f := newFake()
	c := connect(t, f)
	sentinels := map[shared.Code]error{
		shared.CodeNotFound: shared.ErrNotFound, shared.CodeInvalidArgument: shared.ErrInvalidArgument,
		shared.CodeConflict: shared.ErrConflict, shared.CodeNotEnabled: shared.ErrNotEnabled,
		shared.CodeUnavailable: shared.ErrUnavailable, shared.CodePermission: shared.ErrPermission,
		shared.CodeNeedsRestart: shared.ErrNeedsRestart, shared.CodeInternal: shared.ErrInternal,
	}
	require.Len(t, sentinels, len(shared.Codes), "a code has no sentinel in this test")
	cause := errors.New("disk on fire")
	for _, code := range shared.Codes {
		for _, m := range methods() {
			t.Run(string(code)+"/"+m.name, func(t *testing.T) {
				f.mu.Lock()
				f.err = shared.Errorf(code, "%s went wrong: %w", m.name, cause)
				f.mu.Unlock()
				_, err := m.call(context.Background(), c, m.req)
				require.Error(t, err)
				require.True(t, errors.Is(err, sentinels[code]), "errors.Is(%v, %s) is false", err, code)
				for other, s := range sentinels {
					if other != code {
						require.False(t, errors.Is(err, s), "%v also matches %s", err, other)
					}
				}
				require.Equal(t, code, shared.CodeOf(err))
				require.Equal(t, m.name+" went wrong: disk on fire", err.Error())
				require.False(t, errors.Is(err, cause), "a local cause does not cross the wire")
			})
		}
	}
	f.mu.Lock()
	f.err = nil
	f.mu.Unlock()
}

func TestFieldErrorKeepsItsField(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.err = shared.FieldError("name", "bucket name must be 3-63 characters")
	c := connect(t, f)
	_, err := c.CreateBucket(context.Background(), shared.CreateBucketRequest{Name: "x"})
	var e *shared.Error
	require.True(t, errors.As(err, &e), "got %T", err)
	require.Equal(t, "name", e.Field)
	require.Equal(t, shared.CodeInvalidArgument, e.Code)
	require.ErrorIs(t, err, shared.ErrInvalidArgument)
	require.Equal(t, "bucket name must be 3-63 characters", e.Message)
}

func TestPlainErrorBecomesInternal(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.err = errors.New("unexpected")
	c := connect(t, f)
	_, err := c.Status(context.Background(), shared.StatusRequest{})
	require.ErrorIs(t, err, shared.ErrInternal)
	require.EqualError(t, err, "unexpected")
}

func TestHungPluginDoesNotHangTheHost(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.resp["Health"] = shared.HealthResponse{OK: true}
	release := make(chan struct{})
	f.hang = release
	t.Cleanup(func() { close(release) })
	c := connect(t, f)

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() { _, err := c.Status(ctx, shared.StatusRequest{}); done <- err }()
		select {
		case err := <-done:
			require.ErrorIs(t, err, shared.ErrUnavailable)
			require.Equal(t, shared.CodeUnavailable, shared.CodeOf(err))
		case <-time.After(10 * time.Second):
			t.Fatal("the call did not return after its deadline passed: the host hangs on a hung plugin")
		}
	})
	t.Run("cancel", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		_, err := c.Health(ctx, shared.HealthRequest{})
		require.ErrorIs(t, err, shared.ErrUnavailable)
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestPluginWithoutStorageAnswersNotEnabled(t *testing.T) {
	t.Parallel()
	c := connect(t, lifecycleOnly{})
	h, err := c.Health(context.Background(), shared.HealthRequest{})
	require.NoError(t, err)
	require.True(t, h.OK)
	for _, m := range methods() {
		if m.name == "Configure" || m.name == "Health" || m.name == "Shutdown" {
			continue
		}
		t.Run(m.name, func(t *testing.T) {
			_, err := m.call(context.Background(), c, m.req)
			require.ErrorIs(t, err, shared.ErrNotEnabled)
		})
	}
}

// TestDurationsAreSeconds: the contract's JSON carries durations as whole
// seconds in fields named *_s, never as Go's nanoseconds.
func TestDurationsAreSeconds(t *testing.T) {
	b, err := json.Marshal(shared.Status{UptimeSeconds: 23})
	require.NoError(t, err)
	require.Contains(t, string(b), `"uptime_s":23`)
	for _, typ := range []reflect.Type{
		reflect.TypeFor[shared.Status](), reflect.TypeFor[shared.Endpoint](), reflect.TypeFor[shared.Bucket](),
		reflect.TypeFor[shared.Key](), reflect.TypeFor[shared.Page](), reflect.TypeFor[shared.ActionResult](),
		reflect.TypeFor[shared.Forecast](), reflect.TypeFor[shared.Capacity](), reflect.TypeFor[shared.Retention](),
	} {
		for i := range typ.NumField() {
			require.NotEqual(t, reflect.TypeFor[time.Duration](), typ.Field(i).Type, "%s.%s is a time.Duration: use whole seconds in a *_s field", typ.Name(), typ.Field(i).Name)
		}
	}
}
