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

	ListKeys(ctx context.Context, req ListKeysRequest) (ListKeysResponse, error)
	CreateKey(ctx context.Context, req CreateKeyRequest) (CreateKeyResponse, error)
	RevokeKey(ctx context.Context, req RevokeKeyRequest) (RevokeKeyResponse, error)

	Expose(ctx context.Context, req ExposeRequest) (Endpoint, error)
	Unexpose(ctx context.Context, req UnexposeRequest) (Endpoint, error)
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
	Size    uint64 `json:"size"`
	Objects uint64 `json:"objects"`
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
}

type ListBucketsRequest struct{}

type ListBucketsResponse struct {
	Buckets []Bucket `json:"buckets"`
	// LastScan is the time of the usage scan the figures come from.
	LastScan time.Time `json:"last_scan,omitzero"`
}

type CreateBucketRequest struct {
	Name       string     `json:"name"`
	Visibility Visibility `json:"visibility"`
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
	Admin     bool      `json:"admin"`
	Expiry    time.Time `json:"expiry,omitzero"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at,omitzero"`
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

type ListKeysRequest struct{}

type ListKeysResponse struct {
	Keys []Key `json:"keys"`
	// AsOf is when the list was read from MinIO; keys made or revoked
	// through the add-on since then are in it, others show within one
	// usage interval.
	AsOf time.Time `json:"as_of,omitzero"`
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

// ---- exposure ----

type ExposeRequest struct {
	Domain string `json:"domain"`
}

type UnexposeRequest struct{}
