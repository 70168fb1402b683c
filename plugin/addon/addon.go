// Package addon is the object-storage add-on as the host sees it: it ties
// the MinIO supervisor, buckets, keys, usage and exposure into one
// implementation of shared.Lifecycle and shared.StorageModule.
package addon

import (
	"context"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// Addon implements shared.Lifecycle and shared.StorageModule.
type Addon struct {
	log hclog.Logger

	mu       sync.Mutex
	settings settings.Settings
}

// New returns an add-on that waits for its settings.
func New(log hclog.Logger) *Addon {
	return &Addon{log: log, settings: settings.Defaults()}
}

var notYet = shared.Errorf(shared.CodeUnavailable, "not implemented yet")

func (a *Addon) Configure(ctx context.Context, req shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	s, err := settings.Parse(req.Settings)
	if err != nil {
		return shared.ConfigureResponse{}, err
	}
	a.mu.Lock()
	a.settings = s
	a.mu.Unlock()
	return shared.ConfigureResponse{}, nil
}

func (a *Addon) Health(ctx context.Context, req shared.HealthRequest) (shared.HealthResponse, error) {
	return shared.HealthResponse{OK: true}, nil
}

func (a *Addon) Shutdown(ctx context.Context, req shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	return shared.ShutdownResponse{}, nil
}

func (a *Addon) Status(ctx context.Context, req shared.StatusRequest) (shared.Status, error) {
	a.mu.Lock()
	s := a.settings
	a.mu.Unlock()
	return shared.Status{State: shared.StateStopped, S3Address: s.S3Address, ConsoleAddress: s.ConsoleAddress}, nil
}

func (a *Addon) Endpoint(ctx context.Context, req shared.EndpointRequest) (shared.Endpoint, error) {
	return shared.Endpoint{}, notYet
}
func (a *Addon) Page(ctx context.Context, req shared.PageRequest) (shared.Page, error) {
	return shared.Page{}, notYet
}
func (a *Addon) Action(ctx context.Context, req shared.ActionRequest) (shared.ActionResult, error) {
	return shared.ActionResult{}, notYet
}
func (a *Addon) ListBuckets(ctx context.Context, req shared.ListBucketsRequest) (shared.ListBucketsResponse, error) {
	return shared.ListBucketsResponse{}, notYet
}
func (a *Addon) CreateBucket(ctx context.Context, req shared.CreateBucketRequest) (shared.Bucket, error) {
	return shared.Bucket{}, notYet
}
func (a *Addon) SetBucketVisibility(ctx context.Context, req shared.SetBucketVisibilityRequest) (shared.Bucket, error) {
	return shared.Bucket{}, notYet
}
func (a *Addon) DeleteBucket(ctx context.Context, req shared.DeleteBucketRequest) (shared.DeleteBucketResponse, error) {
	return shared.DeleteBucketResponse{}, notYet
}
func (a *Addon) ListKeys(ctx context.Context, req shared.ListKeysRequest) (shared.ListKeysResponse, error) {
	return shared.ListKeysResponse{}, notYet
}
func (a *Addon) CreateKey(ctx context.Context, req shared.CreateKeyRequest) (shared.CreateKeyResponse, error) {
	return shared.CreateKeyResponse{}, notYet
}
func (a *Addon) RevokeKey(ctx context.Context, req shared.RevokeKeyRequest) (shared.RevokeKeyResponse, error) {
	return shared.RevokeKeyResponse{}, notYet
}
func (a *Addon) Expose(ctx context.Context, req shared.ExposeRequest) (shared.Endpoint, error) {
	return shared.Endpoint{}, notYet
}
func (a *Addon) Unexpose(ctx context.Context, req shared.UnexposeRequest) (shared.Endpoint, error) {
	return shared.Endpoint{}, notYet
}

var (
	_ shared.Lifecycle     = (*Addon)(nil)
	_ shared.StorageModule = (*Addon)(nil)
)
