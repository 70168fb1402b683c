package addons

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/shared"
)

// holdingsTimeout bounds each provider's answer while the Add-ons page is
// built: a slow provider leaves its holdings out of the dialog, it does not
// hold the page.
const holdingsTimeout = 5 * time.Second

// Holdings is what a plugin made through the host on one storage
// provider: its access keys (never a secret) and buckets.
type Holdings struct {
	Provider string       `json:"provider"`
	Keys     []shared.Key `json:"keys"`
	Buckets  []string     `json:"buckets"`
}

// UninstallOptions say what an uninstall does besides removing the plugin.
type UninstallOptions struct {
	// Purge deletes the plugin's own data.
	Purge bool
	// RevokeKeys revokes the access keys the plugin made on the storage
	// providers; DeleteBuckets deletes its buckets, with every object.
	RevokeKeys    bool
	DeleteBuckets bool
}

// Holdings asks each running storage provider but id itself what plugin
// id made through the host (the host asks: any plugin's holdings). A
// provider that cannot answer is left out.
func (m *Manager) Holdings(ctx context.Context, id string) []Holdings {
	var out []Holdings
	for _, pid := range m.ids() {
		man, ok := m.Manifest(pid)
		p, running := m.Plugin(pid)
		if !ok || !running || pid == id || !man.Offers(manifest.ProvidesStorage) {
			continue
		}
		c, err := p.Client()
		if err != nil {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, holdingsTimeout)
		owned, err := c.Owned(cctx, shared.OwnedRequest{Plugin: id})
		cancel()
		if err != nil {
			m.log.Debug("storage provider did not say what a plugin owns", "provider", pid, "plugin", id, "error", err)
			continue
		}
		if len(owned.Keys) > 0 || len(owned.Buckets) > 0 {
			out = append(out, Holdings{Provider: pid, Keys: owned.Keys, Buckets: owned.Buckets})
		}
	}
	return out
}

// UninstallWith uninstalls a plugin (Uninstall) and then, as asked,
// revokes the keys and deletes the buckets it made on the storage
// providers, leaving every other key and bucket alone. It answers what
// was released, in words.
func (m *Manager) UninstallWith(ctx context.Context, id string, opts UninstallOptions) (string, error) {
	var held []Holdings
	if opts.RevokeKeys || opts.DeleteBuckets {
		held = m.Holdings(ctx, id)
	}
	if err := m.Uninstall(ctx, id, opts.Purge); err != nil {
		return "", err
	}
	var done []string
	var errs []error
	for _, h := range held {
		p, ok := m.Plugin(h.Provider)
		if !ok {
			errs = append(errs, fmt.Errorf("%s is no longer running", h.Provider))
			continue
		}
		c, err := p.Client()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if opts.RevokeKeys && len(h.Keys) > 0 {
			aks := make([]string, len(h.Keys))
			for i, k := range h.Keys {
				aks[i] = k.AccessKey
			}
			r, err := c.RevokeKey(ctx, shared.RevokeKeyRequest{AccessKey: aks[0], AlsoRevoke: aks[1:]})
			if len(r.Revoked) > 0 {
				done = append(done, "revoked its keys "+strings.Join(r.Revoked, ", ")+" on "+h.Provider)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		if opts.DeleteBuckets {
			for _, b := range h.Buckets {
				if _, err := c.DeleteBucket(ctx, shared.DeleteBucketRequest{Name: b, Force: true}); err != nil {
					errs = append(errs, err)
					continue
				}
				done = append(done, "deleted its bucket "+b+" on "+h.Provider)
			}
		}
	}
	m.log.Info("plugin's holdings released", "id", id, "released", strings.Join(done, "; "), "errors", len(errs))
	msg := strings.Join(done, "; ")
	if err := errors.Join(errs...); err != nil {
		return msg, shared.Errorf(shared.CodeOf(err), "plugin %s is uninstalled, but not all it made could be released (%s): %v", id, orNone(msg), err)
	}
	return msg, nil
}

func orNone(s string) string {
	if s == "" {
		return "nothing was"
	}
	return s
}

// uninstallChoices are the uninstall dialog's checkboxes for what a
// plugin made, and the sentence that names it.
func uninstallChoices(held []Holdings) (string, []shared.Choice) {
	var keys, buckets []string
	var where []string
	for _, h := range held {
		for _, k := range h.Keys {
			name := k.AccessKey
			if k.Name != "" {
				name += " (" + k.Name + ")"
			}
			keys = append(keys, name)
		}
		buckets = append(buckets, h.Buckets...)
		where = append(where, h.Provider)
	}
	if len(keys) == 0 && len(buckets) == 0 {
		return "", nil
	}
	var parts []string
	if len(keys) > 0 {
		parts = append(parts, plural(len(keys), "access key")+" "+strings.Join(keys, ", "))
	}
	if len(buckets) > 0 {
		parts = append(parts, plural(len(buckets), "bucket")+" "+strings.Join(buckets, ", "))
	}
	text := " On " + strings.Join(where, ", ") + " it made " + strings.Join(parts, " and ") + "."
	var choices []shared.Choice
	if len(keys) > 0 {
		choices = append(choices, shared.Choice{Field: "revoke_keys", Checked: true,
			Label: "Revoke its " + plural(len(keys), "access key") + " (" + strings.Join(keys, ", ") + "); other keys are untouched"})
	}
	if len(buckets) > 0 {
		choices = append(choices, shared.Choice{Field: "delete_buckets",
			Label: "Delete its " + plural(len(buckets), "bucket") + " (" + strings.Join(buckets, ", ") + ") with everything in them; unticked, they are kept"})
	}
	return text, choices
}

func plural(n int, what string) string {
	if n == 1 {
		return what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
