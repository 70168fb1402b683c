// Package shared is the contract between the Cloud OS host and its plugins:
// the interfaces each side calls, their request and response types, typed
// errors, the UI schema, and the go-plugin net/rpc glue that carries them.
// It knows nothing of MinIO.
package shared

import (
	"context"
	"time"
)

// Lifecycle is what the host calls on every plugin, whatever it provides.
type Lifecycle interface {
	// Configure hands the plugin its settings (the manifest's defaults
	// overlaid with the node's values). It is called once after launch and
	// again whenever settings change; see ConfigureResponse for what a
	// running plugin could not apply live.
	Configure(ctx context.Context, req ConfigureRequest) (ConfigureResponse, error)
	// Health answers quickly; the host restarts a plugin that stops answering.
	Health(ctx context.Context, req HealthRequest) (HealthResponse, error)
	// Shutdown asks the plugin to release what it owns before it is killed.
	Shutdown(ctx context.Context, req ShutdownRequest) (ShutdownResponse, error)
}

// PageProvider is what a plugin with a page in the panel serves: the page
// as a UI schema, and one entry point for every action on it.
type PageProvider interface {
	Page(ctx context.Context, req PageRequest) (Page, error)
	Action(ctx context.Context, req ActionRequest) (ActionResult, error)
	// State is the data the page shows, as a JSON document of the
	// plugin's own shape, for scripts (the host serves it at
	// GET /api/plugins/{id}/state). Never a secret.
	State(ctx context.Context, req StateRequest) (StateResponse, error)
}

// StorageModule is the object store of a node: buckets, access keys,
// exposure, and its page. The panel and other plugins call the same
// implementation.
type StorageModule interface {
	PageProvider

	Status(ctx context.Context, req StatusRequest) (Status, error)
	Endpoint(ctx context.Context, req EndpointRequest) (Endpoint, error)

	ListBuckets(ctx context.Context, req ListBucketsRequest) (ListBucketsResponse, error)
	CreateBucket(ctx context.Context, req CreateBucketRequest) (Bucket, error)
	SetBucketVisibility(ctx context.Context, req SetBucketVisibilityRequest) (Bucket, error)
	DeleteBucket(ctx context.Context, req DeleteBucketRequest) (DeleteBucketResponse, error)

	// Bucket settings: hard quota, versioning, object lock's default
	// retention, lifecycle rules.
	SetBucketQuota(ctx context.Context, req SetBucketQuotaRequest) (Bucket, error)
	SetBucketVersioning(ctx context.Context, req SetBucketVersioningRequest) (Bucket, error)
	SetBucketRetention(ctx context.Context, req SetBucketRetentionRequest) (Bucket, error)
	AddLifecycleRule(ctx context.Context, req AddLifecycleRuleRequest) (AddLifecycleRuleResponse, error)
	DeleteLifecycleRule(ctx context.Context, req DeleteLifecycleRuleRequest) (Bucket, error)

	// Capacity is the node's drives and how full they are.
	Capacity(ctx context.Context, req CapacityRequest) (Capacity, error)
	// Topology is the store's nodes and drives with their state, the
	// parity in use, what may fail, and healing in progress. Read-only.
	Topology(ctx context.Context, req TopologyRequest) (Topology, error)

	ListKeys(ctx context.Context, req ListKeysRequest) (ListKeysResponse, error)
	CreateKey(ctx context.Context, req CreateKeyRequest) (CreateKeyResponse, error)
	RevokeKey(ctx context.Context, req RevokeKeyRequest) (RevokeKeyResponse, error)
	// UpdateKey changes a key's policy, description or expiry; its
	// secret never changes.
	UpdateKey(ctx context.Context, req UpdateKeyRequest) (Key, error)
	// SetKeyStatus disables a key (S3 refuses it at once) or enables it
	// again with the same secret.
	SetKeyStatus(ctx context.Context, req SetKeyStatusRequest) (Key, error)
	// RotateKey makes a new key like an old one and revokes the old one
	// after an overlap.
	RotateKey(ctx context.Context, req RotateKeyRequest) (RotateKeyResponse, error)
	// Owned lists what a plugin made through the host: the host asks it
	// when it uninstalls that plugin. A plugin may ask only about itself.
	Owned(ctx context.Context, req OwnedRequest) (OwnedResponse, error)

	Expose(ctx context.Context, req ExposeRequest) (Endpoint, error)
	Unexpose(ctx context.Context, req UnexposeRequest) (Endpoint, error)

	// Off-site copies: the node that keeps the copy makes a replica
	// bucket and a pairing token; the node that has the data replicates a
	// bucket with that token (MinIO's bucket replication).
	CreateReplicaTarget(ctx context.Context, req CreateReplicaTargetRequest) (CreateReplicaTargetResponse, error)
	ReplicateBucket(ctx context.Context, req ReplicateBucketRequest) (ReplicateBucketResponse, error)
	ReplicationStatus(ctx context.Context, req ReplicationStatusRequest) (Replication, error)
	ResyncBucket(ctx context.Context, req ResyncBucketRequest) (Replication, error)
	StopReplication(ctx context.Context, req StopReplicationRequest) (StopReplicationResponse, error)
}

// ---- lifecycle ----

// ConfigureRequest carries the plugin's settings by name. Values are
// strings, as in the manifest.
type ConfigureRequest struct {
	Settings map[string]string `json:"settings"`
	// ConfirmRestart allows a change that the running service can only take
	// by restarting (for the add-on: addresses, region). Without it such a
	// change is refused with CodeNeedsRestart and nothing is applied.
	ConfirmRestart bool `json:"confirm_restart,omitempty"`
	// HostAPIStream is the go-plugin broker stream on which the host
	// serves its services (HostAPI) to this plugin; 0 when it offers
	// none. The glue connects it before Configure reaches the plugin.
	HostAPIStream uint32 `json:"host_api_stream,omitempty"`
}

// ConfigureResponse says how the settings were taken.
type ConfigureResponse struct {
	// AppliedLive lists the settings applied without any restart.
	AppliedLive []string `json:"applied_live,omitempty"`
	// Restarted is true when a confirmed change restarted the service.
	Restarted bool `json:"restarted,omitempty"`
}

type HealthRequest struct{}

// HealthResponse: OK false shows the plugin degraded with Detail; Ready
// says the plugin can serve calls now: the host configures a plugin that
// requires a capability only once a provider of it is ready.
type HealthResponse struct {
	OK     bool   `json:"ok"`
	Ready  bool   `json:"ready,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// ShutdownRequest: StopServices asks the plugin to stop what it supervises
// (uninstall, disable, host shutdown). Without it the plugin leaves its
// services running for its next process to adopt (restart, upgrade).
// Purge (with StopServices, on an uninstall the owner confirmed) asks it to
// delete its data too.
type ShutdownRequest struct {
	StopServices bool `json:"stop_services,omitempty"`
	Purge        bool `json:"purge,omitempty"`
}

// ProviderWatcher is optional: a plugin that requires a capability
// implements it to hear when a provider of it becomes ready, restarts,
// stops or goes away, so that it can re-create what it needs without
// polling.
type ProviderWatcher interface {
	ProviderChanged(ctx context.Context, req ProviderChangedRequest) (ProviderChangedResponse, error)
}

// Provider states told by ProviderChanged.
const (
	ProviderReady      = "ready"      // it serves calls (again)
	ProviderRestarting = "restarting" // briefly away: calls wait in the host
	ProviderStopped    = "stopped"    // disabled, failed or uninstalled
)

type ProviderChangedRequest struct {
	Capability string `json:"capability"`
	Plugin     string `json:"plugin"`
	State      string `json:"state"`
	// Detail says why, in words.
	Detail string `json:"detail,omitempty"`
}

type ProviderChangedResponse struct{}

type ShutdownResponse struct{}

// ---- status and endpoint ----

// ServerState is the state of the supervised object server.
type ServerState string

const (
	StateNotInstalled ServerState = "not_installed"
	StateStarting     ServerState = "starting"
	StateRunning      ServerState = "running"
	StateDegraded     ServerState = "degraded"
	StateFailed       ServerState = "failed"
	StateStopped      ServerState = "stopped"
)

type StatusRequest struct{}

// Status is the state of the object server as the add-on sees it.
type Status struct {
	State ServerState `json:"state"`
	// Message explains the state in words for the page (the install
	// command when not installed, the reason when failed).
	Message        string    `json:"message,omitempty"`
	InstallCommand string    `json:"install_command,omitempty"`
	PID            int       `json:"pid,omitempty"`
	Version        string    `json:"version,omitempty"`
	StartedAt      time.Time `json:"started_at,omitzero"`
	// UptimeSeconds: durations cross JSON as whole seconds in a field
	// named with _s, everywhere in the contract.
	UptimeSeconds  int64  `json:"uptime_s,omitempty"`
	Restarts       int    `json:"restarts"`
	LastError      string `json:"last_error,omitempty"`
	Adopted        bool   `json:"adopted,omitempty"`
	S3Address      string `json:"s3_address"`
	ConsoleAddress string `json:"console_address"`
	// WaitingFor are the other nodes of the cluster whose MinIO does not
	// answer, while the pool forms or while MinIO has no quorum.
	WaitingFor []string `json:"waiting_for,omitempty"`
}

type EndpointRequest struct{}

// Endpoint is what a client needs to reach the store.
type Endpoint struct {
	S3URL      string `json:"s3_url"`
	ConsoleURL string `json:"console_url"`
	Region     string `json:"region"`
	// Domain is the exposed public hostname, empty when not exposed.
	Domain string `json:"domain,omitempty"`
	// PublicURL is https://<Domain> when exposed.
	PublicURL string `json:"public_url,omitempty"`
}

// ---- buckets ----

// Visibility of a bucket to anonymous clients.
type Visibility string

const (
	Private Visibility = "private"
	Public  Visibility = "public"
	// Custom: a bucket policy set by someone else; the add-on leaves it
	// alone unless told to overwrite it.
	Custom Visibility = "custom"
)

// Usage is what MinIO's data-usage scanner last saw of a bucket.
type Usage struct {
	// Size counts every stored version. MinIO's scanner does not report
	// the bytes of noncurrent versions apart.
	Size    uint64 `json:"size"`
	Objects uint64 `json:"objects"`
	// Versions and DeleteMarkers are counted in a bucket that has (had)
	// versioning; 0 otherwise.
	Versions      uint64 `json:"versions,omitempty"`
	DeleteMarkers uint64 `json:"delete_markers,omitempty"`
	// Scanned is false until the scanner has swept the bucket; Size and
	// Objects are then 0 and mean "not known yet".
	Scanned bool `json:"scanned"`
	// ScannedAt is the time of the scan the figures come from.
	ScannedAt time.Time `json:"scanned_at,omitzero"`
}

type Bucket struct {
	Name       string     `json:"name"`
	Visibility Visibility `json:"visibility"`
	CreatedAt  time.Time  `json:"created_at,omitzero"`
	Usage      Usage      `json:"usage"`
	// Quota is the hard quota in bytes, 0 for none. MinIO checks writes
	// against its scanner's figures, so a bucket may pass its quota by
	// what is written within about one scan cycle.
	Quota      uint64     `json:"quota"`
	Versioning Versioning `json:"versioning"`
	// ObjectLock can only be turned on when the bucket is created;
	// Retention is then its default retention (nil for none).
	ObjectLock bool       `json:"object_lock"`
	Retention  *Retention `json:"retention,omitempty"`
	// Lifecycle is the bucket's lifecycle rules, whoever set them, and
	// LifecycleXML the configuration as MinIO keeps it (read only).
	Lifecycle    []LifecycleRule `json:"lifecycle"`
	LifecycleXML string          `json:"lifecycle_xml,omitempty"`
	// Forecast says when the bucket reaches its quota at its recent rate
	// (with a quota and some history).
	Forecast *Forecast `json:"forecast,omitempty"`
	// History is the bucket's size over time, when asked for.
	History []Sample `json:"history,omitempty"`
	// SettingsError says why the settings above could not be read (they
	// are then zero); empty when they were.
	SettingsError string `json:"settings_error,omitempty"`
	// Replication is set on a bucket replicated to another node, as of
	// the last refresh.
	Replication *Replication `json:"replication,omitempty"`
	// ReplicaOf is set on a bucket that receives another node's replicas.
	ReplicaOf *ReplicaOf `json:"replica_of,omitempty"`
}

// Versioning is a bucket's S3 versioning state. S3 has no "disabled":
// once enabled, versioning can only be suspended.
type Versioning string

const (
	// VersioningOff: never enabled.
	VersioningOff       Versioning = "off"
	VersioningEnabled   Versioning = "enabled"
	VersioningSuspended Versioning = "suspended"
)

// RetentionMode is an object lock retention mode.
type RetentionMode string

const (
	// RetentionGovernance: a user with the bypass permission (root, an
	// administrator key) can still delete or shorten it.
	RetentionGovernance RetentionMode = "governance"
	// RetentionCompliance: nobody, not even root, can delete a version
	// or shorten its retention before the date.
	RetentionCompliance RetentionMode = "compliance"
)

// Retention is an object-locked bucket's default retention: every new
// object version is locked for Days.
type Retention struct {
	Mode RetentionMode `json:"mode"`
	Days int           `json:"days"`
}

// LifecycleRule is one lifecycle rule of a bucket. A rule set elsewhere
// (the AWS CLI, mc) may do more than these fields say: Other lists it in
// words, and the rule is kept as it is.
type LifecycleRule struct {
	ID      string `json:"id"`
	Enabled bool   `json:"enabled"`
	// Prefix limits the rule to keys under it; empty is the whole bucket.
	Prefix string `json:"prefix,omitempty"`
	// ExpireDays deletes current objects this many days after upload.
	ExpireDays int `json:"expire_days,omitempty"`
	// NoncurrentDays deletes noncurrent versions this many days after
	// they become noncurrent, keeping the newest KeepNewest of them.
	NoncurrentDays int `json:"noncurrent_days,omitempty"`
	KeepNewest     int `json:"keep_newest,omitempty"`
	// AbortMultipartDays aborts incomplete multipart uploads this many
	// days after they start (a rule set elsewhere; MinIO does not keep
	// it: see AddLifecycleRuleResponse.Uploads).
	AbortMultipartDays int      `json:"abort_multipart_days,omitempty"`
	Other              []string `json:"other,omitempty"`
	// Text is the rule as sentences: "Objects under logs/ are deleted 30
	// days after upload."
	Text string `json:"text"`
}

// Forecast is when a growing figure reaches its limit at its recent rate.
type Forecast struct {
	// Text says it: "at the last 7 days' rate, the disk is full in about
	// 23 days".
	Text string `json:"text"`
	// FullInSeconds is how long until the limit is reached; 0 when it is
	// not growing, already reached, or the history is too short.
	FullInSeconds int64 `json:"full_in_s,omitempty"`
	// WindowSeconds is the history the rate was taken over.
	WindowSeconds int64 `json:"window_s,omitempty"`
	// Reached is true when the figure is at or over its limit.
	Reached bool `json:"reached,omitempty"`
}

// Sample is one figure at one time.
type Sample struct {
	At    time.Time `json:"t"`
	Value uint64    `json:"v"`
}

type ListBucketsRequest struct {
	// WithHistory asks for each bucket's size over time (History).
	WithHistory bool `json:"with_history,omitempty"`
}

type ListBucketsResponse struct {
	Buckets []Bucket `json:"buckets"`
	// LastScan is the time of the usage scan the figures come from.
	LastScan time.Time `json:"last_scan,omitzero"`
}

type CreateBucketRequest struct {
	Name       string     `json:"name"`
	Visibility Visibility `json:"visibility"`
	// ObjectLock turns object lock on (versioning with it): only possible
	// at creation. RetentionMode and RetentionDays set its default
	// retention (both, or neither).
	ObjectLock    bool          `json:"object_lock,omitempty"`
	RetentionMode RetentionMode `json:"retention_mode,omitempty"`
	RetentionDays int           `json:"retention_days,omitempty"`
}

type SetBucketVisibilityRequest struct {
	Name       string     `json:"name"`
	Visibility Visibility `json:"visibility"`
	// OverwriteCustom replaces a policy set outside the add-on.
	OverwriteCustom bool `json:"overwrite_custom,omitempty"`
}

type DeleteBucketRequest struct {
	Name string `json:"name"`
	// Force empties the bucket (every object version) before deleting it.
	Force bool `json:"force,omitempty"`
}

type DeleteBucketResponse struct {
	Name           string `json:"name"`
	ObjectsRemoved int    `json:"objects_removed"`
}

// SetBucketQuotaRequest sets a bucket's hard quota; Bytes 0 removes it.
type SetBucketQuotaRequest struct {
	Name  string `json:"name"`
	Bytes uint64 `json:"bytes"`
}

// SetBucketVersioningRequest enables or suspends versioning.
type SetBucketVersioningRequest struct {
	Name  string     `json:"name"`
	State Versioning `json:"state"`
}

// SetBucketRetentionRequest changes an object-locked bucket's default
// retention; an empty Mode with Days 0 removes it.
type SetBucketRetentionRequest struct {
	Name string        `json:"name"`
	Mode RetentionMode `json:"mode,omitempty"`
	Days int           `json:"days,omitempty"`
}

// AddLifecycleRuleRequest adds a rule to a bucket's lifecycle, keeping
// the rules it has. Zero days leave an action out; at least one is needed.
type AddLifecycleRuleRequest struct {
	Name               string `json:"name"`
	Prefix             string `json:"prefix,omitempty"`
	ExpireDays         int    `json:"expire_days,omitempty"`
	NoncurrentDays     int    `json:"noncurrent_days,omitempty"`
	KeepNewest         int    `json:"keep_newest,omitempty"`
	AbortMultipartDays int    `json:"abort_multipart_days,omitempty"`
}

// AddLifecycleRuleResponse is the rule added (with its id; empty when the
// request only asked to abort incomplete uploads) and the bucket now.
type AddLifecycleRuleResponse struct {
	Rule   LifecycleRule `json:"rule"`
	Bucket Bucket        `json:"bucket"`
	// Uploads says how AbortMultipartDays was applied: MinIO drops that
	// action from lifecycle rules and aborts every incomplete upload
	// after a node-wide expiry instead, which the add-on lowers when
	// asked for less.
	Uploads string `json:"uploads,omitempty"`
}

// DeleteLifecycleRuleRequest removes one rule by its id.
type DeleteLifecycleRuleRequest struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// ---- capacity ----

// CapacityLevel says how full the drives are: warning from 80 % used,
// critical from 90 %.
type CapacityLevel string

const (
	CapacityOK       CapacityLevel = "ok"
	CapacityWarning  CapacityLevel = "warning"
	CapacityCritical CapacityLevel = "critical"
	// CapacityUnknown: MinIO has not reported its drives (yet).
	CapacityUnknown CapacityLevel = "unknown"
)

// CapacityLevelOf is the level of used bytes of total: warning from 80 %,
// critical from 90 %; unknown without a total.
func CapacityLevelOf(used, total uint64) CapacityLevel {
	if total == 0 {
		return CapacityUnknown
	}
	switch f := float64(used) / float64(total); {
	case f >= 0.9:
		return CapacityCritical
	case f >= 0.8:
		return CapacityWarning
	}
	return CapacityOK
}

type CapacityRequest struct {
	// WithHistory asks for each drive's used bytes over time.
	WithHistory bool `json:"with_history,omitempty"`
}

// Drive is one of MinIO's drives as MinIO sees it.
type Drive struct {
	Path  string `json:"path"`
	Total uint64 `json:"total"`
	Used  uint64 `json:"used"`
	Free  uint64 `json:"free"`
	// State is MinIO's: "ok", "offline", "unformatted", "faulty", …
	State   string        `json:"state"`
	Level   CapacityLevel `json:"level"`
	History []Sample      `json:"history,omitempty"`
}

// Capacity is the node's drives, the worst level among them and when the
// fullest reaches its size at its recent rate.
type Capacity struct {
	Drives   []Drive       `json:"drives"`
	Level    CapacityLevel `json:"level"`
	AsOf     time.Time     `json:"as_of,omitzero"`
	Forecast *Forecast     `json:"forecast,omitempty"`
}

// ---- topology ----

type TopologyRequest struct{}

// States of a node and of a drive in a Topology.
const (
	// NodeOnline: its MinIO answers the other nodes; NodeOffline: it does
	// not (stopped, unreachable); NodeWaiting: the pool has not formed
	// yet (MinIO forms a new pool once every node is up).
	NodeOnline  = "online"
	NodeOffline = "offline"
	NodeWaiting = "waiting"
	// DriveOnline: MinIO uses it; DriveOffline: it does not (failed,
	// missing, unformatted, its node down: DriveInfo.MinIOState says
	// which); DriveHealing: MinIO rebuilds its data (a new or replaced
	// drive, or one that was offline).
	DriveOnline  = "online"
	DriveOffline = "offline"
	DriveHealing = "healing"
)

// Topology is the store's layout as MinIO reports it: on a node of its
// own, one node with its drives; in a cluster, every node. Buckets, keys
// and policies are cluster-wide (they live in MinIO); the add-on's own
// state (exposure, caches, usage history) is per node.
type Topology struct {
	// Mode is "single drive", "erasure set" (one node, several drives) or
	// "cluster".
	Mode string `json:"mode"`
	// Cluster is the cluster's id (cluster mode).
	Cluster string         `json:"cluster,omitempty"`
	Nodes   []TopologyNode `json:"nodes"`
	// Parity is how many drives of each erasure set hold parity (MinIO's
	// standard storage class); 0 on a single drive.
	Parity int `json:"parity"`
	// Pools are MinIO's server pools, in order.
	Pools []TopologyPool `json:"pools"`
	// ReadTolerance and WriteTolerance are how many drives of one erasure
	// set may fail before its data is unreadable, and before writes to it
	// stop. NodeReadTolerance and NodeWriteTolerance say the same in
	// nodes (cluster mode).
	ReadTolerance      int `json:"read_tolerance"`
	WriteTolerance     int `json:"write_tolerance"`
	NodeReadTolerance  int `json:"node_read_tolerance,omitempty"`
	NodeWriteTolerance int `json:"node_write_tolerance,omitempty"`
	// Text says the above in words.
	Text    string  `json:"text"`
	Healing Healing `json:"healing"`
	// WaitingFor are the nodes whose MinIO does not answer while the pool
	// forms or without quorum.
	WaitingFor []string `json:"waiting_for,omitempty"`
	// FromMinIO is true when MinIO reported all this (as of AsOf); false
	// when MinIO is not serving yet and the nodes and drives are the
	// add-on's record of the layout, their states unknown.
	FromMinIO bool      `json:"from_minio"`
	AsOf      time.Time `json:"as_of,omitzero"`
}

// TopologyNode is one node of the store.
type TopologyNode struct {
	// Address is host:port of its S3 API.
	Address string `json:"address"`
	// Self is true for the node that answered.
	Self   bool            `json:"self,omitempty"`
	State  string          `json:"state"`
	Drives []TopologyDrive `json:"drives"`
}

// TopologyPool is one server pool: how MinIO cut its drives into sets.
type TopologyPool struct {
	Sets         int `json:"sets"`
	DrivesPerSet int `json:"drives_per_set"`
}

// TopologyDrive is one drive of a node.
type TopologyDrive struct {
	Path  string `json:"path"`
	State string `json:"state"`
	// MinIOState is MinIO's own word ("ok", "offline", "unformatted",
	// "faulty", …), when it said.
	MinIOState string `json:"minio_state,omitempty"`
	Total      uint64 `json:"total"`
	Used       uint64 `json:"used"`
	Free       uint64 `json:"free"`
	// Pool and Set place it (-1 when MinIO has not).
	Pool int           `json:"pool"`
	Set  int           `json:"set"`
	Heal *HealProgress `json:"heal,omitempty"`
}

// HealProgress is MinIO's progress in healing one drive.
type HealProgress struct {
	Started time.Time `json:"started,omitzero"`
	// ObjectsTotal and BytesTotal are what its erasure set held when the
	// heal began.
	ObjectsTotal uint64 `json:"objects_total"`
	BytesTotal   uint64 `json:"bytes_total"`
	ItemsHealed  uint64 `json:"items_healed"`
	ItemsFailed  uint64 `json:"items_failed"`
	BytesDone    uint64 `json:"bytes_done"`
	Finished     bool   `json:"finished,omitempty"`
}

// Healing sums up the drives MinIO heals.
type Healing struct {
	Drives      int    `json:"drives"`
	ItemsHealed uint64 `json:"items_healed"`
	ItemsFailed uint64 `json:"items_failed"`
	BytesDone   uint64 `json:"bytes_done"`
	Text        string `json:"text,omitempty"`
}

// ---- access keys ----

// KeyPolicy says what a key may do.
type KeyPolicy string

const (
	// PolicyInherited: no policy of its own, so the key has the root
	// user's full permissions, administering the server included: an
	// administrator key.
	PolicyInherited KeyPolicy = "inherited"
	// PolicyAllBuckets: the default of a key made without a policy: full
	// S3 access to every bucket, and nothing else (no administration).
	PolicyAllBuckets KeyPolicy = "all_buckets"
	// PolicyCustom: an IAM policy given at creation.
	PolicyCustom KeyPolicy = "custom"
)

// Key is an access key as listed: never a secret.
type Key struct {
	Name        string    `json:"name"`
	AccessKey   string    `json:"access_key"`
	Description string    `json:"description,omitempty"`
	PolicyKind  KeyPolicy `json:"policy_kind"`
	// Policy is the key's own IAM policy JSON, empty when inherited.
	Policy string `json:"policy,omitempty"`
	// Admin is true when the key can administer the server (MinIO's admin
	// API: users, keys, configuration): an administrator key, or a key
	// whose policy grants administrative actions.
	Admin  bool      `json:"admin"`
	Expiry time.Time `json:"expiry,omitzero"`
	// Status is KeyOn, KeyOff (disabled), KeyExpired or KeyRotating (one
	// half of a rotation: Rotation says which).
	Status    KeyStatus `json:"status"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	// Owner is the plugin that made the key through the host (the
	// caller id the host attached), empty for the node owner's keys.
	Owner string `json:"owner"`
	// LastUsed is the last request the key made that MinIO did not
	// refuse (zero: never, or last use not tracked: see
	// ListKeysResponse.Tracking), with its operation and client address.
	LastUsed      time.Time `json:"last_used,omitzero"`
	LastOperation string    `json:"last_operation,omitempty"`
	LastSource    string    `json:"last_source,omitempty"`
	// Requests24h and Bytes24h count its requests MinIO did not refuse in
	// the last 24 hours; Errors24h those it refused (401, 403: a disabled
	// key, a policy that does not allow it).
	Requests24h uint64 `json:"requests_24h"`
	Bytes24h    uint64 `json:"bytes_24h"`
	Errors24h   uint64 `json:"errors_24h"`
	// Rotation is set on both halves of a rotation in progress.
	Rotation *KeyRotation `json:"rotation,omitempty"`
	// Managed is false for keys created outside this page (the console,
	// mc, another key); the page can still revoke them.
	Managed bool `json:"managed"`
	// FirstSeen is, for a key created outside this page, when the add-on
	// first listed it (MinIO does not say when a key was made).
	FirstSeen time.Time `json:"first_seen,omitzero"`
	// MayHaveCreated lists, for an administrator key, the keys created
	// outside this page after it was made. MinIO records the root user as
	// the parent of every key an administrator key makes, not the key
	// itself, so these are the keys it could have made.
	MayHaveCreated []string `json:"may_have_created,omitempty"`
}

// KeyStatus says whether a key works.
type KeyStatus string

const (
	KeyOn  KeyStatus = "on"
	KeyOff KeyStatus = "off" // disabled: refused until enabled again
	// KeyExpired: past its expiry, refused for good.
	KeyExpired KeyStatus = "expired"
	// KeyRotating: on, and one half of a rotation in progress.
	KeyRotating KeyStatus = "rotating"
)

// Rotation roles.
const (
	RotationOld = "old" // revoked at the deadline, or once unused for an hour
	RotationNew = "new" // replaces the old one
)

// KeyRotation is a rotation in progress, as each half shows it.
type KeyRotation struct {
	// Role is RotationOld or RotationNew; Peer is the other half.
	Role string `json:"role"`
	Peer string `json:"peer"`
	// Started is when the rotation began; Deadline when the old key is
	// revoked at the latest.
	Started  time.Time `json:"started"`
	Deadline time.Time `json:"deadline"`
}

type ListKeysRequest struct{}

type ListKeysResponse struct {
	Keys []Key `json:"keys"`
	// AsOf is when the list was read from MinIO; keys made or revoked
	// through the add-on since then are in it. Others show within seconds
	// where MinIO's audit log reports them (one node, Tracking), within
	// one usage interval elsewhere; with the reports, the list is read
	// every ten usage intervals in any case.
	AsOf time.Time `json:"as_of,omitzero"`
	// Tracking says whether last use is tracked (MinIO's audit log
	// reaches the add-on); when false, TrackingProblem says why, and no
	// key's LastUsed means "never".
	Tracking        bool   `json:"tracking"`
	TrackingProblem string `json:"tracking_problem,omitempty"`
	// TrackingSince is when tracking began on this node: a key not used
	// since then shows no LastUsed.
	TrackingSince time.Time `json:"tracking_since,omitzero"`
}

type CreateKeyRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Policy is an IAM policy JSON document. Empty gives full S3 access to
	// every bucket and no administration (PolicyAllBuckets).
	Policy string `json:"policy,omitempty"`
	// Admin asks for an administrator key: no policy of its own, the root
	// user's full permissions, administering the server included. Only the
	// node owner's page may ask for one: the host refuses it from another
	// plugin, and a Policy must then be empty.
	Admin bool `json:"admin,omitempty"`
	// Expiry, when set, must be between 15 minutes and 365 days from now.
	Expiry time.Time `json:"expiry,omitzero"`
}

// CreateKeyResponse is the only reply that ever carries SecretKey.
type CreateKeyResponse struct {
	Key       Key    `json:"key"`
	SecretKey string `json:"secret_key"`
}

type RevokeKeyRequest struct {
	AccessKey string `json:"access_key"`
	// AlsoRevoke are further keys to revoke with it (the keys an
	// administrator key may have created, as the page offers them).
	AlsoRevoke []string `json:"also_revoke,omitempty"`
}

type RevokeKeyResponse struct {
	AccessKey string `json:"access_key"`
	// Revoked lists every key revoked by the call, AccessKey first.
	Revoked []string `json:"revoked"`
}

// UpdateKeyRequest changes a key. A nil field is left as it is.
type UpdateKeyRequest struct {
	AccessKey string `json:"access_key"`
	// Policy is the key's new policy, checked as at creation: "" gives
	// full S3 access to every bucket and no administration.
	Policy *string `json:"policy,omitempty"`
	// Admin, with an empty Policy, makes it an administrator key (the node
	// owner's page only, as at creation).
	Admin bool `json:"admin,omitempty"`
	// Description replaces the description (MinIO cannot clear one).
	Description *string `json:"description,omitempty"`
	// Expiry, when set, is the new expiry: between 15 minutes and 365
	// days from now, or the zero time for never.
	Expiry *time.Time `json:"expiry,omitempty"`
}

// SetKeyStatusRequest disables (Enabled false) or enables a key.
type SetKeyStatusRequest struct {
	AccessKey string `json:"access_key"`
	Enabled   bool   `json:"enabled"`
}

// RotateKeyRequest rotates a key: a new key with the same name,
// description and policy is made, and the old one keeps working until
// OverlapSeconds have passed (default DefaultRotationOverlap) or until it
// has been unused for an hour by last use, whichever is first; then it is
// revoked, even across restarts of the add-on.
type RotateKeyRequest struct {
	AccessKey      string `json:"access_key"`
	OverlapSeconds int64  `json:"overlap_s,omitempty"`
	// Expiry of the new key; zero: it never expires.
	Expiry time.Time `json:"expiry,omitzero"`
}

// DefaultRotationOverlap is a rotation's overlap when none is given.
const DefaultRotationOverlap = 24 * time.Hour

// RotateKeyResponse carries the new key's secret, once (as
// CreateKeyResponse does), and the old key as it is now.
type RotateKeyResponse struct {
	Key       Key    `json:"key"`
	SecretKey string `json:"secret_key"`
	Old       Key    `json:"old"`
}

// OwnedRequest asks what Plugin made through the host.
type OwnedRequest struct {
	Plugin string `json:"plugin"`
}

// OwnedResponse lists a plugin's keys (never a secret) and buckets.
type OwnedResponse struct {
	Keys    []Key    `json:"keys"`
	Buckets []string `json:"buckets"`
}

// ---- exposure ----

type ExposeRequest struct {
	Domain string `json:"domain"`
}

type UnexposeRequest struct{}

// ---- off-site copies ----

// ReplicationState says how a replicated bucket's copies are doing.
type ReplicationState string

const (
	// ReplicationHealthy: uploads reach the target within seconds.
	ReplicationHealthy ReplicationState = "healthy"
	// ReplicationLagging: an object has waited more than a minute (a
	// backlog draining, a slow link).
	ReplicationLagging ReplicationState = "lagging"
	// ReplicationFailing: the target answers but refuses copies.
	ReplicationFailing ReplicationState = "failing"
	// ReplicationOffline: the target does not answer; uploads wait.
	ReplicationOffline ReplicationState = "offline"
)

// Replication is the state of a bucket replicated to another node.
type Replication struct {
	// Target is the target bucket as endpoint/bucket
	// ("https://s3.friend.example/photos-copy").
	Target    string           `json:"target"`
	State     ReplicationState `json:"state"`
	StateText string           `json:"state_text,omitempty"`
	// PendingObjects and PendingBytes count the object versions not on
	// the target yet (waiting, failed and retried, or existing ones
	// waiting for the resync). PendingPartial: the bucket has more
	// versions than one read lists, so these are the counts so far.
	PendingObjects uint64 `json:"pending_objects"`
	PendingBytes   uint64 `json:"pending_bytes"`
	PendingPartial bool   `json:"pending_partial,omitempty"`
	// Failed1h counts MinIO's failed copy attempts in the last hour.
	Failed1h uint64 `json:"failed_1h"`
	// LastSuccess is when the add-on last saw MinIO's count of copies
	// grow (MinIO keeps no time); zero when it has not yet.
	LastSuccess time.Time `json:"last_success,omitzero"`
	// ReplicateDeletes says whether deletes and delete markers are
	// replicated too.
	ReplicateDeletes bool `json:"replicate_deletes"`
	// ARN is MinIO's name of the remote target.
	ARN  string    `json:"arn,omitempty"`
	AsOf time.Time `json:"as_of,omitzero"`
	// Problem says what could not be read; the rest is as read.
	Problem string `json:"problem,omitempty"`
}

// ReplicaOf says where a replica bucket's copies come from.
type ReplicaOf struct {
	Bucket   string    `json:"bucket"`
	Endpoint string    `json:"endpoint"`
	Since    time.Time `json:"since,omitzero"`
}

// CreateReplicaTargetRequest makes (or reuses) a bucket to receive
// replicas, with versioning on, and a key that may do exactly what
// replication needs on it. Passphrase, when set (8 characters or more),
// seals the token.
type CreateReplicaTargetRequest struct {
	Name       string `json:"name"`
	Passphrase string `json:"passphrase,omitempty"`
}

// CreateReplicaTargetResponse carries the pairing token, once: like a
// secret, it is returned by this call only.
type CreateReplicaTargetResponse struct {
	Bucket string `json:"bucket"`
	Token  string `json:"token"`
	// AccessKey is the token's key (its secret is only in the token).
	AccessKey string `json:"access_key"`
	// Endpoint is the S3 endpoint the token names.
	Endpoint string `json:"endpoint"`
	Sealed   bool   `json:"sealed"`
	// CreatedBucket is false when the bucket existed;
	// VersioningEnabled is true when this call turned versioning on.
	CreatedBucket     bool `json:"created_bucket"`
	VersioningEnabled bool `json:"versioning_enabled"`
}

// ReplicateBucketRequest replicates bucket Name to the target a pairing
// token names. ReplicateDeletes (absent: true) replicates deletes and
// delete markers too.
type ReplicateBucketRequest struct {
	Name             string `json:"name"`
	Token            string `json:"token"`
	Passphrase       string `json:"passphrase,omitempty"`
	ReplicateDeletes *bool  `json:"replicate_deletes,omitempty"`
}

type ReplicateBucketResponse struct {
	Name        string      `json:"name"`
	Replication Replication `json:"replication"`
	// VersioningEnabled is true when this call turned versioning on.
	VersioningEnabled bool `json:"versioning_enabled"`
	// Warnings say what did not work without stopping replication.
	Warnings []string `json:"warnings,omitempty"`
}

type ReplicationStatusRequest struct {
	Name string `json:"name"`
}

type ResyncBucketRequest struct {
	Name string `json:"name"`
}

// StopReplicationRequest removes a bucket's replication rule and target;
// both copies stay.
type StopReplicationRequest struct {
	Name string `json:"name"`
}

type StopReplicationResponse struct {
	Name string `json:"name"`
	// Target is where the bucket replicated to.
	Target string `json:"target"`
}
