// Package hostapi is the host's side of the services it offers each
// plugin: the node's reverse proxy, and calls into the StorageModule of
// another loaded plugin on behalf of the calling plugin.
package hostapi

import (
	"context"
	"encoding/json"

	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/shared"
)

// Plugins finds the plugin a call is for. Client waits, up to the host's
// bound, while the plugin is briefly away (starting, restarting,
// upgrading), and otherwise fails with an error naming its state.
type Plugins interface {
	Client(ctx context.Context, id string) (*shared.PluginClient, manifest.Manifest, error)
}

// Backend implements shared.HostAPIBackend.
type Backend struct {
	shared.ReverseProxy
	plugins Plugins
}

// New returns the host's API over a reverse proxy (nil: the node has
// none) and the host's plugins.
func New(proxy shared.ReverseProxy, plugins Plugins) *Backend {
	if proxy == nil {
		proxy = reverseproxy.Disabled{}
	}
	return &Backend{ReverseProxy: proxy, plugins: plugins}
}

// SetPlugins sets how plugins are found (the host's plugins are made
// after its API).
func (b *Backend) SetPlugins(p Plugins) { b.plugins = p }

// Forward calls method on target's StorageModule with caller's id. A plugin
// the host does not know, or one that does not provide storage, is
// not_enabled; one that is briefly away is waited for.
func (b *Backend) Forward(ctx context.Context, caller, target, method string, body []byte) ([]byte, error) {
	if b.plugins == nil {
		return nil, shared.Errorf(shared.CodeNotEnabled, "no plugin %q is loaded on this node", target)
	}
	if err := checkForwarded(caller, method, body); err != nil {
		return nil, err
	}
	client, man, err := b.plugins.Client(ctx, target)
	if shared.CodeOf(err) == shared.CodeNotEnabled {
		return nil, shared.Errorf(shared.CodeNotEnabled, "no plugin %q is loaded on this node", target)
	}
	if man.ID != "" && !man.Offers(manifest.ProvidesStorage) {
		return nil, shared.Errorf(shared.CodeNotEnabled, "plugin %q does not provide object storage", target)
	}
	if err != nil {
		return nil, err
	}
	return client.CallRaw(shared.WithCaller(ctx, caller), method, body)
}

var _ shared.HostAPIBackend = (*Backend)(nil)

// checkForwarded is what the host refuses on a plugin's behalf whatever
// the target says: an administrator key is for the node owner's page only,
// and what another plugin owns is the host's business only.
func checkForwarded(caller, method string, body []byte) error {
	if method == "Owned" {
		var req shared.OwnedRequest
		if err := json.Unmarshal(body, &req); err != nil {
			return shared.Errorf(shared.CodeInvalidArgument, "malformed Owned request: %v", err)
		}
		if req.Plugin != caller {
			return shared.Errorf(shared.CodePermission, "plugin %s may ask only what it owns itself, not what plugin %q owns", caller, req.Plugin)
		}
		return nil
	}
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
