// Package hostapi is the host's side of the services it offers each
// plugin: the node's reverse proxy, and calls into the StorageModule of
// another loaded plugin on behalf of the calling plugin.
package hostapi

import (
	"context"
	"encoding/json"

	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/shared"
)

// Lookup finds a loaded plugin by id.
type Lookup func(id string) (*launcher.Plugin, bool)

// Backend implements shared.HostAPIBackend.
type Backend struct {
	shared.ReverseProxy
	lookup Lookup
}

// New returns the host services over a reverse proxy (nil: the node has
// none) and the host's plugins.
func New(proxy shared.ReverseProxy, lookup Lookup) *Backend {
	if proxy == nil {
		proxy = reverseproxy.Disabled{}
	}
	return &Backend{ReverseProxy: proxy, lookup: lookup}
}

// SetLookup sets how plugins are found (the host is made after its
// services).
func (b *Backend) SetLookup(l Lookup) { b.lookup = l }

// Forward calls method on target's StorageModule with caller's id. A plugin
// the host does not know, one that does not provide storage, or one that is
// not running is not_enabled.
func (b *Backend) Forward(ctx context.Context, caller, target, method string, body []byte) ([]byte, error) {
	if b.lookup == nil {
		return nil, shared.Errorf(shared.CodeNotEnabled, "no plugin %q is loaded on this node", target)
	}
	p, ok := b.lookup(target)
	if !ok {
		return nil, shared.Errorf(shared.CodeNotEnabled, "no plugin %q is loaded on this node", target)
	}
	if !p.Manifest().Offers(manifest.ProvidesStorage) {
		return nil, shared.Errorf(shared.CodeNotEnabled, "plugin %q does not provide object storage", target)
	}
	if err := checkForwarded(caller, method, body); err != nil {
		return nil, err
	}
	client, err := p.Client()
	if err != nil {
		return nil, shared.Errorf(shared.CodeNotEnabled, "%v", err)
	}
	return client.CallRaw(shared.WithCaller(ctx, caller), method, body)
}

var _ shared.HostAPIBackend = (*Backend)(nil)

// checkForwarded is what the host refuses on a plugin's behalf whatever
// the target says: an administrator key is for the node owner's page only.
func checkForwarded(caller, method string, body []byte) error {
	if method != "CreateKey" {
		return nil
	}
	var req shared.CreateKeyRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return shared.Errorf(shared.CodeInvalidArgument, "malformed CreateKey request: %v", err)
	}
	if req.Admin {
		return shared.Errorf(shared.CodePermission,
			"plugin %s may not create an administrator key: only the node owner can, on the Object Storage page; ask for a key with an S3 policy instead", caller)
	}
	return nil
}
