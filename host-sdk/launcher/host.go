package launcher

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/shared"
)

// HostOptions configure every plugin of a Host.
type HostOptions struct {
	Logger hclog.Logger
	Policy Policy
	// Settings holds the host's setting values per plugin id.
	Settings map[string]map[string]string
	// DisableParentDeathSignal: see Options; for tests only.
	DisableParentDeathSignal bool
	// Services are offered to every plugin: see Options.
	Services shared.HostAPIBackend
}

// Host holds the plugins a host has loaded, by id.
type Host struct {
	opts HostOptions
	log  hclog.Logger

	mu      sync.Mutex
	plugins map[string]*Plugin
}

// NewHost returns a host with no plugin loaded.
func NewHost(opts HostOptions) *Host {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	return &Host{opts: opts, log: opts.Logger, plugins: map[string]*Plugin{}}
}

// Load reads the plugin in dir, registers it under its id and starts it.
// A plugin that fails to start stays registered in StateFailed (its Info
// says why) and the error is returned; a bad manifest or a duplicate id is
// not registered.
func (h *Host) Load(ctx context.Context, dir string) (*Plugin, error) {
	m, err := manifest.Read(dir)
	if err != nil {
		return nil, err
	}
	p, err := New(dir, Options{
		Logger:                   h.log,
		Policy:                   h.opts.Policy,
		Settings:                 h.opts.Settings[m.ID],
		DisableParentDeathSignal: h.opts.DisableParentDeathSignal,
		Services:                 h.opts.Services,
	})
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if other, ok := h.plugins[p.ID()]; ok {
		h.mu.Unlock()
		return nil, fmt.Errorf("plugin id %q in %s is already loaded from %s: remove one of them", p.ID(), dir, other.Dir())
	}
	h.plugins[p.ID()] = p
	h.mu.Unlock()
	return p, p.Start(ctx)
}

// LoadAll loads every plugin folder (a folder holding plugin.json) under
// root, in name order. Folders without plugin.json are skipped. It returns
// every plugin's error, joined; the others are loaded.
func (h *Host) LoadAll(ctx context.Context, root string) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("read plugins folder: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if _, err := os.Stat(filepath.Join(dir, manifest.FileName)); errors.Is(err, os.ErrNotExist) {
			h.log.Debug("skipping folder without plugin.json", "dir", dir)
			continue
		}
		if _, err := h.Load(ctx, dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Plugin returns the plugin with that id.
func (h *Host) Plugin(id string) (*Plugin, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p, ok := h.plugins[id]
	return p, ok
}

// Plugins returns every loaded plugin, by id.
func (h *Host) Plugins() []*Plugin {
	h.mu.Lock()
	defer h.mu.Unlock()
	ps := make([]*Plugin, 0, len(h.plugins))
	for _, p := range h.plugins {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *Plugin) int { return strings.Compare(a.ID(), b.ID()) })
	return ps
}

// Shutdown stops every plugin at once (see Plugin.Stop) and returns when
// all processes are gone. A host calls it on SIGINT/SIGTERM.
func (h *Host) Shutdown(ctx context.Context, stopServices bool) error {
	ps := h.Plugins()
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() { errs[i] = p.Stop(ctx, stopServices) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Upgrade replaces a loaded plugin by the version in dir, which must have
// the same id. The new manifest and executable are checked before anything
// stops; then the old process shuts down leaving the services it
// supervises running, and the new one starts with the settings the old one
// last accepted, so that it adopts them (for the add-on: MinIO keeps
// serving, no S3 connection drops). If the new version fails to start it
// stays registered as failed with the reason; Upgrade with the old folder
// goes back.
func (h *Host) Upgrade(ctx context.Context, dir string) (*Plugin, error) {
	m, err := manifest.Read(dir)
	if err != nil {
		return nil, err
	}
	old, ok := h.Plugin(m.ID)
	if !ok {
		return nil, fmt.Errorf("plugin %q is not loaded, so there is nothing to upgrade: load it instead", m.ID)
	}
	p, err := New(dir, Options{
		Logger:                   h.log,
		Policy:                   h.opts.Policy,
		Settings:                 old.Settings(),
		DisableParentDeathSignal: h.opts.DisableParentDeathSignal,
		Services:                 h.opts.Services,
	})
	if err != nil {
		return nil, fmt.Errorf("upgrade of %s refused, the running version is untouched: %w", m.ID, err)
	}
	if err := p.man.VerifyExecutable(dir); err != nil {
		return nil, fmt.Errorf("upgrade of %s refused, the running version is untouched: %w", m.ID, err)
	}
	h.log.Info("upgrading plugin", "id", m.ID, "from", old.Manifest().Version, "to", m.Version)
	if err := old.Stop(ctx, false); err != nil {
		h.log.Warn("the old version did not shut down cleanly", "id", m.ID, "error", err)
	}
	h.mu.Lock()
	h.plugins[m.ID] = p
	h.mu.Unlock()
	return p, p.Start(ctx)
}
