// Command hello-storage is the smallest plugin that uses object storage
// through the host: it requires "storage", gets a bucket and a key scoped
// to it when the host configures it, and reports them in its Health.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/shared"
)

type hello struct {
	host  shared.HostAPI
	store shared.StorageModule
	mu    sync.Mutex
	lines []string
}

func (h *hello) SetHostAPI(api shared.HostAPI) { h.host = api }

func (h *hello) note(format string, args ...any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, fmt.Sprintf(format, args...))
}

// Configure comes once a storage provider is ready (the host waits).
func (h *hello) Configure(ctx context.Context, req shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	h.store = h.host.Storage(req.Settings["provider"])
	bucket := req.Settings["bucket"]
	_, err := h.store.CreateBucket(ctx, shared.CreateBucketRequest{Name: bucket, Visibility: shared.Private})
	if err != nil && !errors.Is(err, shared.ErrConflict) { // kept from an earlier run
		return shared.ConfigureResponse{}, err
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],` +
		`"Resource":["arn:aws:s3:::` + bucket + `","arn:aws:s3:::` + bucket + `/*"]}]}`
	key, err := h.store.CreateKey(ctx, shared.CreateKeyRequest{Name: "hello-" + bucket, Policy: policy})
	if errors.Is(err, shared.ErrConflict) {
		return shared.ConfigureResponse{}, nil // configured before: our key exists
	}
	if err != nil {
		return shared.ConfigureResponse{}, err
	}
	h.note("configured: bucket %s, key %s", bucket, key.Key.AccessKey)
	return shared.ConfigureResponse{}, nil
}

// ProviderChanged is told when the provider restarts or comes back; a call
// made meanwhile waits in the host.
func (h *hello) ProviderChanged(ctx context.Context, req shared.ProviderChangedRequest) (shared.ProviderChangedResponse, error) {
	h.note("provider %s %s", req.Plugin, req.State)
	if req.State == shared.ProviderRestarting {
		go func() {
			_, err := h.store.ListBuckets(context.Background(), shared.ListBucketsRequest{})
			h.note("call while %s restarted: %v", req.Plugin, errors.Join(err))
		}()
	}
	return shared.ProviderChangedResponse{}, nil
}

func (h *hello) Health(ctx context.Context, req shared.HealthRequest) (shared.HealthResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return shared.HealthResponse{OK: true, Ready: true, Detail: strings.Join(h.lines, "\n")}, nil
}

func (h *hello) Shutdown(ctx context.Context, req shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	return shared.ShutdownResponse{}, nil
}

func main() {
	shared.Serve(&hello{}, hclog.New(&hclog.LoggerOptions{Name: "hello-storage", Output: os.Stderr, JSONFormat: true}))
}
