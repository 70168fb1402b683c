// Package addons is a host's installed add-ons: it installs a plugin from
// a bundle into the plugins folder and starts it without restarting the
// host, upgrades it with an automatic rollback, disables, enables and
// uninstalls it, keeps each one's settings across restarts and upgrades,
// and starts a plugin only once the providers it requires are ready,
// telling it when they come and go.
package addons

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/host-sdk/bundle"
	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/shared"
)

// States the manager adds to the launcher's.
const (
	// StateDisabled: stopped by the owner, with its services; kept
	// installed with its data and settings.
	StateDisabled launcher.State = "disabled"
	// StateWaiting: not started yet, because a provider it requires is
	// not ready (Reason says which and why).
	StateWaiting launcher.State = "waiting"
	// StateUpgrading: between the old version's stop and the new one's
	// first answer (or the rollback).
	StateUpgrading launcher.State = "upgrading"
)

// Options of a Manager.
type Options struct {
	// PluginsDir holds one folder per installed plugin, named by its id.
	PluginsDir string
	// StateDir is the host's own folder: the add-ons record (settings,
	// disabled flags) and, beside the plugins folder, the staging folder.
	StateDir string
	Logger   hclog.Logger
	Policy   launcher.Policy
	// DisableParentDeathSignal: see launcher.Options; tests only.
	DisableParentDeathSignal bool
	// Services are the host's API offered to every plugin.
	Services shared.HostAPIBackend
	// InitialSettings are a plugin's setting values when the host has none
	// stored for it yet (its first start).
	InitialSettings map[string]map[string]string
	// Settings override the stored values at start, and are stored.
	Settings map[string]map[string]string
	// UpgradeDeadline bounds an upgraded version's start and first health
	// answer; past it the old version is put back. Default 60 s.
	UpgradeDeadline time.Duration
	// CallWait bounds how long a plugin's call into a provider that is
	// briefly away (starting, restarting, upgrading) waits in the host
	// before failing with the provider's state. Default 20 s.
	CallWait time.Duration
	// Poll is how often readiness is checked while something waits on it.
	// Default 200 ms.
	Poll time.Duration
	// Limits bound a bundle.
	Limits bundle.Limits
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.UpgradeDeadline <= 0 {
		o.UpgradeDeadline = 60 * time.Second
	}
	if o.CallWait <= 0 {
		o.CallWait = 20 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	return o
}

// Info is one add-on as the Add-ons page and GET /api/addons show it.
type Info struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Version  string         `json:"version"`
	State    launcher.State `json:"state"`
	Reason   string         `json:"reason,omitempty"`
	PID      int            `json:"pid,omitempty"`
	Restarts int            `json:"restarts"`
	Provides []string       `json:"provides,omitempty"`
	Requires []string       `json:"requires,omitempty"`
	// Ready is the plugin's last Health.Ready, for providers.
	Ready bool `json:"ready"`
}

// entry is one installed plugin.
type entry struct {
	man manifest.Manifest
	dir string
	// p is the running supervision, nil while disabled, waiting, or
	// between versions.
	p *launcher.Plugin
	// state overrides p's state when set (disabled, waiting, upgrading).
	state  launcher.State
	reason string
	// ready is the provider's last Health.Ready; told is the state its
	// dependents were last told, pid the process it was about.
	ready  bool
	detail string
	told   string
	pid    int
}

// Manager is a host's set of installed plugins.
type Manager struct {
	opts    Options
	log     hclog.Logger
	rec     *record
	staging string

	// ops serialises the operations that change what is installed or
	// running (install, upgrade, disable, enable, uninstall, retry,
	// configure), so that each sees the result of the last.
	ops sync.Mutex

	mu      sync.Mutex // guards entries and the entries' fields
	entries map[string]*entry
	closed  bool

	notices chan notice
	stop    chan struct{}
	done    chan struct{}
}

// New prepares a manager over opts.PluginsDir; nothing starts until
// Start.
func New(opts Options) (*Manager, error) {
	opts = opts.withDefaults()
	if opts.PluginsDir == "" || opts.StateDir == "" {
		return nil, errors.New("addons: a plugins folder and a state folder are required")
	}
	plugins, err := filepath.Abs(opts.PluginsDir)
	if err != nil {
		return nil, err
	}
	opts.PluginsDir = plugins
	rec, err := loadRecord(filepath.Join(opts.StateDir, "addons.json"))
	if err != nil {
		return nil, err
	}
	return &Manager{
		opts: opts, log: opts.Logger.Named("addons"), rec: rec,
		staging: plugins + ".staging",
		entries: map[string]*entry{},
		notices: make(chan notice, 64),
		stop:    make(chan struct{}), done: make(chan struct{}),
	}, nil
}

// Start finishes what a host killed mid-upgrade left, reads every plugin
// folder, starts the enabled plugins whose providers are ready (the others
// wait), and watches readiness until Shutdown. Plugins that fail are
// recorded as failed with the reason; their errors are joined.
func (m *Manager) Start(ctx context.Context) error {
	m.ops.Lock()
	defer m.ops.Unlock()
	m.recoverStaging()
	var errs []error
	dirs, err := os.ReadDir(m.opts.PluginsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read the plugins folder: %w", err)
	}
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(m.opts.PluginsDir, d.Name())
		if _, err := os.Stat(filepath.Join(dir, manifest.FileName)); errors.Is(err, os.ErrNotExist) {
			continue
		}
		man, err := manifest.Read(dir)
		if err != nil {
			errs = append(errs, err)
			m.log.Error("plugin folder skipped", "dir", dir, "error", err)
			continue
		}
		m.mu.Lock()
		if other, dup := m.entries[man.ID]; dup {
			m.mu.Unlock()
			errs = append(errs, fmt.Errorf("plugin id %q in %s is already loaded from %s: remove one of them", man.ID, dir, other.dir))
			continue
		}
		e := &entry{man: man, dir: dir}
		m.entries[man.ID] = e
		m.mu.Unlock()
		if err := m.applyStartSettings(man.ID); err != nil {
			errs = append(errs, err)
		}
	}
	for _, id := range m.ids() {
		if err := m.startIfReady(ctx, id); err != nil {
			errs = append(errs, err)
		}
	}
	go m.watch()
	go m.tellLoop()
	return errors.Join(errs...)
}

// applyStartSettings stores the initial settings of a plugin the host has
// none for, and the overrides given for this start.
func (m *Manager) applyStartSettings(id string) error {
	_, stored := m.rec.get(id)
	initial, override := m.opts.InitialSettings[id], m.opts.Settings[id]
	if (stored || initial == nil) && override == nil {
		return nil
	}
	return m.rec.update(id, func(p *pluginRecord) {
		if !stored && initial != nil {
			p.Settings = maps.Clone(initial)
		}
		if p.Settings == nil {
			p.Settings = map[string]string{}
		}
		maps.Copy(p.Settings, override)
	})
}

// recoverStaging clears what an interrupted install or upgrade left in the
// staging folder, putting back an old version whose folder is missing.
func (m *Manager) recoverStaging() {
	items, err := os.ReadDir(m.staging)
	if err != nil {
		return
	}
	for _, it := range items {
		path := filepath.Join(m.staging, it.Name())
		if strings.HasSuffix(it.Name(), ".old") {
			if man, err := manifest.Read(path); err == nil {
				dest := filepath.Join(m.opts.PluginsDir, man.ID)
				if _, err := os.Stat(dest); errors.Is(err, os.ErrNotExist) {
					if err := os.Rename(path, dest); err == nil {
						m.log.Warn("an upgrade was interrupted; the previous version is back", "id", man.ID, "version", man.Version)
						continue
					}
				}
			}
		}
		_ = os.RemoveAll(path)
	}
}

func (m *Manager) ids() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	ids := slices.Collect(maps.Keys(m.entries))
	slices.Sort(ids)
	return ids
}

func (m *Manager) entry(id string) (*entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	return e, ok
}

// List returns every installed plugin, by id.
func (m *Manager) List() []Info {
	var out []Info
	for _, id := range m.ids() {
		if info, ok := m.Info(id); ok {
			out = append(out, info)
		}
	}
	return out
}

// Info returns one installed plugin.
func (m *Manager) Info(id string) (Info, bool) {
	m.mu.Lock()
	e, ok := m.entries[id]
	if !ok {
		m.mu.Unlock()
		return Info{}, false
	}
	info := Info{
		ID: id, Name: e.man.Name, Version: e.man.Version, State: e.state, Reason: e.reason,
		Provides: e.man.Provides, Requires: e.man.Requires, Ready: e.ready,
	}
	p := e.p
	m.mu.Unlock()
	if p != nil {
		li := p.Info()
		info.PID, info.Restarts = li.PID, li.Restarts
		if info.State == "" {
			info.State, info.Reason = li.State, li.Reason
		}
	}
	if info.State == "" {
		info.State = launcher.StateStopped
	}
	return info, true
}

// Plugin returns the running supervision of a plugin.
func (m *Manager) Plugin(id string) (*launcher.Plugin, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	if !ok || e.p == nil {
		return nil, false
	}
	return e.p, true
}

// Plugins returns the running plugins, by id.
func (m *Manager) Plugins() []*launcher.Plugin {
	var out []*launcher.Plugin
	for _, id := range m.ids() {
		if p, ok := m.Plugin(id); ok {
			out = append(out, p)
		}
	}
	return out
}

// Manifest returns an installed plugin's manifest.
func (m *Manager) Manifest(id string) (manifest.Manifest, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	if !ok {
		return manifest.Manifest{}, false
	}
	return e.man, true
}

// launch starts a plugin from its folder with its stored settings.
func (m *Manager) launch(ctx context.Context, dir string, man manifest.Manifest) (*launcher.Plugin, error) {
	rec, _ := m.rec.get(man.ID)
	p, err := launcher.New(dir, launcher.Options{
		Logger:                   m.opts.Logger,
		Policy:                   m.opts.Policy,
		Settings:                 rec.Settings,
		DisableParentDeathSignal: m.opts.DisableParentDeathSignal,
		Services:                 m.opts.Services,
	})
	if err != nil {
		return nil, err
	}
	return p, p.Start(ctx)
}

// startIfReady starts an enabled, stopped plugin whose providers are
// ready, or records why it waits. A plugin that fails to start stays
// registered as failed.
func (m *Manager) startIfReady(ctx context.Context, id string) error {
	e, ok := m.entry(id)
	if !ok {
		return nil
	}
	rec, _ := m.rec.get(id)
	m.mu.Lock()
	if rec.Disabled {
		e.state, e.reason = StateDisabled, "disabled by the owner"
		m.mu.Unlock()
		return nil
	}
	if e.p != nil || e.state == StateUpgrading {
		m.mu.Unlock()
		return nil
	}
	man := e.man
	m.mu.Unlock()
	if why := m.unmet(man); why != "" {
		m.mu.Lock()
		e.state, e.reason = StateWaiting, why
		m.mu.Unlock()
		return nil
	}
	p, err := m.launch(ctx, e.dir, man)
	m.mu.Lock()
	e.p, e.state, e.reason = p, "", ""
	m.mu.Unlock()
	if err != nil {
		m.log.Error("plugin did not start", "id", id, "error", err)
	}
	return err
}

// Shutdown stops the readiness watch and every plugin, dependents first,
// and returns when all processes are gone. stopServices: see
// launcher.Plugin.Stop.
func (m *Manager) Shutdown(ctx context.Context, stopServices bool) error {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.stop)
	}
	m.mu.Unlock()
	select {
	case <-m.done:
	case <-time.After(5 * time.Second):
	}
	m.ops.Lock()
	defer m.ops.Unlock()
	var errs []error
	for _, layer := range m.stopOrder() {
		var wg sync.WaitGroup
		lerrs := make([]error, len(layer))
		for i, p := range layer {
			wg.Go(func() { lerrs[i] = p.Stop(ctx, stopServices) })
		}
		wg.Wait()
		errs = append(errs, lerrs...)
	}
	return errors.Join(errs...)
}

// stopOrder groups the running plugins: those that require something
// first, then the others, so that no dependent outlives its provider.
func (m *Manager) stopOrder() [][]*launcher.Plugin {
	m.mu.Lock()
	defer m.mu.Unlock()
	var dependents, others []*launcher.Plugin
	for _, e := range m.entries {
		if e.p == nil {
			continue
		}
		if len(e.man.Requires) > 0 {
			dependents = append(dependents, e.p)
		} else {
			others = append(others, e.p)
		}
	}
	return [][]*launcher.Plugin{dependents, others}
}

// ---- install, upgrade, rollback ----

// Install installs the bundle read from r and starts it, or upgrades the
// installed plugin with its id (a downgrade or the same version needs
// force). A bad bundle, or a refused install, changes nothing and leaves
// nothing behind; errors are typed (shared.CodeOf).
func (m *Manager) Install(ctx context.Context, r io.Reader, force bool) (Info, error) {
	m.ops.Lock()
	defer m.ops.Unlock()
	if err := os.MkdirAll(m.staging, 0o755); err != nil {
		return Info{}, fmt.Errorf("staging folder: %w", err)
	}
	u, err := bundle.Unpack(ctx, r, m.staging, m.opts.Limits)
	if err != nil {
		return Info{}, err
	}
	// The bundle is here and checked: from now on the install runs to its
	// end (a start, a health check, a rollback, each bounded by its own
	// deadline) even if the caller goes away, as a browser tab closed or a
	// client timing out would otherwise leave a plugin half started.
	ctx = context.WithoutCancel(ctx)
	moved := false
	defer func() {
		if !moved {
			_ = u.Remove()
		}
	}()
	id := u.Manifest.ID
	if _, installed := m.entry(id); installed {
		info, err := m.upgrade(ctx, u, force, &moved)
		return info, err
	}
	if err := m.checkCycle(u.Manifest); err != nil {
		return Info{}, err
	}
	// The settings the host would give it must fit its manifest.
	rec, _ := m.rec.get(id)
	if _, err := u.Manifest.Overlay(rec.Settings); err != nil {
		return Info{}, shared.Errorf(shared.CodeInvalidArgument, "plugin %s cannot take the settings this host keeps for it: %v", id, err)
	}
	if err := os.MkdirAll(m.opts.PluginsDir, 0o755); err != nil {
		return Info{}, fmt.Errorf("plugins folder: %w", err)
	}
	dest := filepath.Join(m.opts.PluginsDir, id)
	sw, err := bundle.Swap(u.Dir, dest)
	if err != nil {
		return Info{}, err
	}
	moved = true
	e := &entry{man: u.Manifest, dir: dest}
	m.mu.Lock()
	m.entries[id] = e
	m.mu.Unlock()
	if err := m.applyStartSettings(id); err != nil {
		m.forgetEntry(id)
		_ = sw.Rollback()
		return Info{}, err
	}
	if err := m.startIfReady(ctx, id); err != nil {
		m.mu.Lock()
		p := e.p
		m.mu.Unlock()
		if p != nil {
			_ = p.Stop(context.WithoutCancel(ctx), true)
		}
		m.forgetEntry(id)
		if rerr := sw.Rollback(); rerr != nil {
			m.log.Error("could not remove a plugin that failed to start", "id", id, "error", rerr)
		}
		return Info{}, shared.Errorf(shared.CodeOf(err), "plugin %s %s was not installed: it did not start: %w", id, u.Manifest.Version, err)
	}
	if err := sw.Commit(); err != nil {
		m.log.Warn("install committed, but the staging folder could not be cleaned", "error", err)
	}
	m.log.Info("plugin installed", "id", id, "version", u.Manifest.Version)
	info, _ := m.Info(id)
	return info, nil
}

func (m *Manager) forgetEntry(id string) {
	m.mu.Lock()
	delete(m.entries, id)
	m.mu.Unlock()
}

// upgrade replaces a running (or stopped) plugin by the unpacked version:
// the old process stops leaving its services running, the folders swap,
// the new version starts and must answer its health check within the
// deadline, or the old version is put back and started again.
func (m *Manager) upgrade(ctx context.Context, u bundle.Unpacked, force bool, moved *bool) (Info, error) {
	id := u.Manifest.ID
	e, _ := m.entry(id)
	m.mu.Lock()
	oldMan, old, wasState := e.man, e.p, e.state
	m.mu.Unlock()
	if c := compareVersions(u.Manifest.Version, oldMan.Version); c <= 0 && !force {
		what := "the same version as"
		if c < 0 {
			what = "older than"
		}
		return Info{}, shared.Errorf(shared.CodeConflict,
			"plugin %s %s is %s the installed %s: install it with force to downgrade or reinstall; nothing was changed", id, u.Manifest.Version, what, oldMan.Version)
	}
	if err := m.checkCycle(u.Manifest); err != nil {
		return Info{}, err
	}
	rec, _ := m.rec.get(id)
	if _, err := u.Manifest.Overlay(rec.Settings); err != nil {
		return Info{}, shared.Errorf(shared.CodeInvalidArgument, "upgrade of %s refused, the running version is untouched: %v", id, err)
	}
	m.log.Info("upgrading plugin", "id", id, "from", oldMan.Version, "to", u.Manifest.Version)
	m.mu.Lock()
	e.state, e.reason = StateUpgrading, "upgrading from "+oldMan.Version+" to "+u.Manifest.Version
	e.p = nil
	tell := m.hasDependentsLocked(e)
	if tell {
		e.told, e.ready = shared.ProviderRestarting, false
	}
	m.mu.Unlock()
	if tell {
		m.queueTell(e, shared.ProviderRestarting, e.reason)
	}
	if old != nil {
		if err := old.Stop(ctx, false); err != nil {
			m.log.Warn("the old version did not shut down cleanly", "id", id, "error", err)
		}
	}
	sw, err := bundle.Swap(u.Dir, e.dir)
	if err != nil {
		m.restart(ctx, e, oldMan, wasState, old != nil)
		return Info{}, err
	}
	*moved = true
	next, err := m.startChecked(ctx, e.dir, u.Manifest)
	if err != nil {
		m.log.Warn("the new version failed; rolling back", "id", id, "version", u.Manifest.Version, "error", err)
		if rerr := sw.Rollback(); rerr != nil {
			m.mu.Lock()
			e.state, e.reason = launcher.StateFailed, "upgrade failed and the old version could not be put back: "+rerr.Error()
			m.mu.Unlock()
			return Info{}, shared.Errorf(shared.CodeInternal, "upgrade of %s to %s failed (%v), and the old version could not be put back: %w", id, u.Manifest.Version, err, rerr)
		}
		m.restart(ctx, e, oldMan, wasState, old != nil)
		return Info{}, shared.Errorf(shared.CodeUnavailable, "upgrade of %s to %s failed, so %s was put back and started again: %v",
			id, u.Manifest.Version, oldMan.Version, err)
	}
	if err := sw.Commit(); err != nil {
		m.log.Warn("upgrade committed, but the old version's folder could not be removed", "error", err)
	}
	m.mu.Lock()
	e.man, e.p, e.state, e.reason = u.Manifest, next, "", ""
	m.mu.Unlock()
	m.log.Info("plugin upgraded", "id", id, "version", u.Manifest.Version)
	info, _ := m.Info(id)
	return info, nil
}

// startChecked starts a version and waits until it answers a health check,
// within the upgrade deadline; on failure it is stopped again, leaving the
// services it supervises running.
func (m *Manager) startChecked(ctx context.Context, dir string, man manifest.Manifest) (*launcher.Plugin, error) {
	dctx, cancel := context.WithTimeout(ctx, m.opts.UpgradeDeadline)
	defer cancel()
	p, err := m.launch(dctx, dir, man)
	if err == nil {
		err = m.answers(dctx, p)
	}
	if err != nil {
		if p != nil {
			_ = p.Stop(context.WithoutCancel(ctx), false)
		}
		return nil, err
	}
	return p, nil
}

// answers waits until p answers a health check.
func (m *Manager) answers(ctx context.Context, p *launcher.Plugin) error {
	var last error
	for {
		c, err := p.Client()
		if err == nil {
			hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = c.Health(hctx, shared.HealthRequest{})
			cancel()
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("it did not answer its health check within %s: %v", m.opts.UpgradeDeadline, last)
		case <-time.After(m.opts.Poll):
		}
	}
}

// restart puts back the version that ran before a failed upgrade.
func (m *Manager) restart(ctx context.Context, e *entry, man manifest.Manifest, state launcher.State, wasRunning bool) {
	m.mu.Lock()
	e.man, e.state, e.reason = man, state, ""
	m.mu.Unlock()
	if !wasRunning {
		return
	}
	p, err := m.launch(context.WithoutCancel(ctx), e.dir, man)
	m.mu.Lock()
	e.p = p
	m.mu.Unlock()
	if err != nil {
		m.log.Error("the previous version did not start again", "id", man.ID, "error", err)
	}
}

// ---- disable, enable, uninstall, retry ----

// Disable stops a plugin and what it supervises, keeping it installed
// with its data and settings. Its dependents go back to waiting.
func (m *Manager) Disable(ctx context.Context, id string) error {
	m.ops.Lock()
	defer m.ops.Unlock()
	e, err := m.installed(id)
	if err != nil {
		return err
	}
	if err := m.rec.update(id, func(p *pluginRecord) { p.Disabled = true }); err != nil {
		return err
	}
	err = m.stopEntry(ctx, e, shared.ShutdownRequest{StopServices: true})
	m.mu.Lock()
	e.state, e.reason = StateDisabled, "disabled by the owner"
	m.mu.Unlock()
	m.stopDependents(ctx, e.man)
	m.log.Info("plugin disabled", "id", id)
	return err
}

// Enable starts a disabled plugin again, with the same data.
func (m *Manager) Enable(ctx context.Context, id string) error {
	m.ops.Lock()
	defer m.ops.Unlock()
	e, err := m.installed(id)
	if err != nil {
		return err
	}
	if err := m.rec.update(id, func(p *pluginRecord) { p.Disabled = false }); err != nil {
		return err
	}
	m.mu.Lock()
	if e.state == StateDisabled {
		e.state, e.reason = "", ""
	}
	m.mu.Unlock()
	m.log.Info("plugin enabled", "id", id)
	return m.startIfReady(ctx, id)
}

// Retry starts a failed plugin afresh.
func (m *Manager) Retry(ctx context.Context, id string) error {
	m.ops.Lock()
	defer m.ops.Unlock()
	e, err := m.installed(id)
	if err != nil {
		return err
	}
	info, _ := m.Info(id)
	if info.State != launcher.StateFailed {
		return shared.Errorf(shared.CodeConflict, "plugin %s is %s, not failed: there is nothing to retry", id, info.State)
	}
	if err := m.stopEntry(ctx, e, shared.ShutdownRequest{}); err != nil {
		m.log.Warn("stopping the failed plugin", "id", id, "error", err)
	}
	return m.startIfReady(ctx, id)
}

// Uninstall stops a plugin and what it supervises and removes its folder.
// Its data, and the settings the host keeps for it, stay unless purge is
// set; then the plugin is asked to delete its data, and the host forgets
// its settings. Its dependents go back to waiting.
func (m *Manager) Uninstall(ctx context.Context, id string, purge bool) error {
	m.ops.Lock()
	defer m.ops.Unlock()
	e, err := m.installed(id)
	if err != nil {
		return err
	}
	req := shared.ShutdownRequest{StopServices: true, Purge: purge}
	m.mu.Lock()
	running := e.p != nil
	m.mu.Unlock()
	if purge && !running {
		// Only the plugin knows where its data is: start it to purge.
		p, err := m.launch(ctx, e.dir, e.man)
		m.mu.Lock()
		e.p = p
		m.mu.Unlock()
		if err != nil {
			return shared.Errorf(shared.CodeUnavailable, "plugin %s must run to delete its data, and it did not start: %v; nothing was removed", id, err)
		}
	}
	if err := m.stopEntry(ctx, e, req); err != nil && purge {
		return shared.Errorf(shared.CodeUnavailable, "plugin %s could not delete its data: %v; it is stopped, and nothing was removed", id, err)
	}
	aside := filepath.Join(m.staging, id+".uninstalled")
	_ = os.RemoveAll(aside)
	if err := os.MkdirAll(m.staging, 0o755); err != nil {
		return err
	}
	if err := os.Rename(e.dir, aside); err != nil {
		return fmt.Errorf("remove plugin %s's folder: %w", id, err)
	}
	_ = os.RemoveAll(aside)
	m.forgetEntry(id)
	if purge {
		if err := m.rec.forget(id); err != nil {
			return err
		}
	}
	m.stopDependents(ctx, e.man)
	m.log.Info("plugin uninstalled", "id", id, "purge", purge)
	return nil
}

func (m *Manager) installed(id string) (*entry, error) {
	e, ok := m.entry(id)
	if !ok {
		return nil, shared.Errorf(shared.CodeNotFound, "no plugin %q is installed: GET /api/addons lists them", id)
	}
	return e, nil
}

// stopEntry stops a plugin's process, if any.
func (m *Manager) stopEntry(ctx context.Context, e *entry, req shared.ShutdownRequest) error {
	m.mu.Lock()
	p := e.p
	e.p = nil
	m.mu.Unlock()
	if p == nil {
		return nil
	}
	return p.StopWith(ctx, req)
}

// ---- settings ----

// Settings returns the values the host keeps for a plugin (its manifest's
// defaults fill the rest).
func (m *Manager) Settings(id string) map[string]string {
	rec, _ := m.rec.get(id)
	return rec.Settings
}

// Configure checks new setting values against the plugin's manifest,
// hands them to the running plugin and stores them once it took them. A
// change the plugin can only apply with a restart is refused with
// needs_restart unless confirmRestart is set.
func (m *Manager) Configure(ctx context.Context, id string, values map[string]string, confirmRestart bool) (shared.ConfigureResponse, error) {
	m.ops.Lock()
	defer m.ops.Unlock()
	e, err := m.installed(id)
	if err != nil {
		return shared.ConfigureResponse{}, err
	}
	m.mu.Lock()
	man, p := e.man, e.p
	m.mu.Unlock()
	if err := CheckSettings(man, values); err != nil {
		return shared.ConfigureResponse{}, err
	}
	if p == nil {
		info, _ := m.Info(id)
		return shared.ConfigureResponse{}, shared.Errorf(shared.CodeUnavailable, "plugin %s is %s: its settings can be changed once it runs", id, info.State)
	}
	resp, err := p.Configure(ctx, shared.ConfigureRequest{Settings: values, ConfirmRestart: confirmRestart})
	if err != nil {
		return resp, err
	}
	if err := m.rec.update(id, func(r *pluginRecord) { r.Settings = maps.Clone(values) }); err != nil {
		return resp, shared.Errorf(shared.CodeInternal, "plugin %s took the settings, but the host could not store them (they will not survive a restart): %v", id, err)
	}
	return resp, nil
}
