package addons

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/shared"
)

// providersOf returns the installed plugins that can meet a requirement,
// by id. The caller holds mu.
func (m *Manager) providersOfLocked(r manifest.Requirement) []*entry {
	var out []*entry
	for id, e := range m.entries {
		if e.man.Offers(r.Capability) && (r.Plugin == "" || r.Plugin == id) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b *entry) int { return strings.Compare(a.man.ID, b.man.ID) })
	return out
}

// unmet says why a plugin cannot start yet ("" when every requirement has
// a ready provider): no provider installed, or the provider's state.
func (m *Manager) unmet(man manifest.Manifest) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range man.Requirements() {
		ps := m.providersOfLocked(r)
		if len(ps) == 0 {
			if r.Plugin != "" {
				return fmt.Sprintf("plugin %s (for %s) is not installed", r.Plugin, r.Capability)
			}
			return "no installed plugin provides " + r.Capability
		}
		if !slices.ContainsFunc(ps, func(e *entry) bool { return e.p != nil && e.ready }) {
			return "waiting for " + describeLocked(ps[0])
		}
	}
	return ""
}

// describeLocked says where a provider is ("object-storage: MinIO
// starting"). The caller holds mu.
func describeLocked(e *entry) string {
	switch {
	case e.state != "":
		return e.man.ID + ": " + string(e.state)
	case e.p == nil:
		return e.man.ID + ": stopped"
	case e.detail != "":
		return e.man.ID + ": " + e.detail
	}
	return e.man.ID + ": " + string(e.p.Info().State)
}

// checkCycle refuses a plugin whose requirements, with the installed
// plugins', would form a cycle, naming the plugins in it.
func (m *Manager) checkCycle(next manifest.Manifest) error {
	m.mu.Lock()
	mans := map[string]manifest.Manifest{next.ID: next}
	for id, e := range m.entries {
		if id != next.ID {
			mans[id] = e.man
		}
	}
	m.mu.Unlock()
	if cycle := findCycle(mans); cycle != nil {
		return shared.Errorf(shared.CodeInvalidArgument, "plugin %s would make a dependency cycle: %s; nothing was changed",
			next.ID, strings.Join(cycle, " requires "))
	}
	return nil
}

// findCycle returns a dependency cycle among the manifests (its ids, the
// first repeated at the end), or nil. A plugin depends on every plugin
// that can meet one of its requirements.
func findCycle(mans map[string]manifest.Manifest) []string {
	deps := map[string][]string{}
	for id, man := range mans {
		for _, r := range man.Requirements() {
			for pid, p := range mans {
				if pid != id && p.Offers(r.Capability) && (r.Plugin == "" || r.Plugin == pid) {
					deps[id] = append(deps[id], pid)
				}
			}
		}
		slices.Sort(deps[id])
	}
	const (
		unseen = iota
		active
		finished
	)
	mark := map[string]int{}
	var path []string
	var visit func(id string) []string
	visit = func(id string) []string {
		mark[id] = active
		path = append(path, id)
		for _, d := range deps[id] {
			switch mark[d] {
			case active:
				i := slices.Index(path, d)
				return append(slices.Clone(path[i:]), d)
			case unseen:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		path = path[:len(path)-1]
		mark[id] = finished
		return nil
	}
	ids := make([]string, 0, len(mans))
	for id := range mans {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if mark[id] == unseen {
			if c := visit(id); c != nil {
				return c
			}
		}
	}
	return nil
}

// ---- readiness ----

// watch checks the providers' readiness while anyone depends on them,
// starts waiting plugins once their providers are ready, and tells
// running dependents when a provider's state changes.
func (m *Manager) watch() {
	defer close(m.done)
	t := time.NewTicker(m.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		m.checkProviders()
		m.startWaiting()
	}
}

// checkProviders asks each provider whether it is ready, and tells its
// dependents (if any) about each change.
func (m *Manager) checkProviders() {
	type probe struct {
		e *entry
		p *launcher.Plugin
	}
	var probes []probe
	m.mu.Lock()
	for _, e := range m.entries {
		if len(e.man.Provides) > 0 { // every provider: Info.Ready is its
			probes = append(probes, probe{e, e.p})
		}
	}
	m.mu.Unlock()
	for _, pr := range probes {
		ready, detail, pid := false, "", 0
		if pr.p != nil {
			if c, err := pr.p.Client(); err == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				h, err := c.Health(ctx, shared.HealthRequest{})
				cancel()
				if err == nil {
					ready, detail = h.OK && h.Ready, h.Detail
				}
			}
			pid = pr.p.Info().PID
		}
		m.mu.Lock()
		e := pr.e
		e.ready, e.detail = ready, detail
		state := m.providerStateLocked(e)
		changed := state != e.told || (state == shared.ProviderReady && pid != e.pid && e.pid != 0)
		e.told, e.pid = state, pid
		m.mu.Unlock()
		if changed {
			m.queueTell(e, state, detail)
		}
	}
}

func (m *Manager) hasDependentsLocked(p *entry) bool {
	for _, e := range m.entries {
		for _, r := range e.man.Requirements() {
			if p.man.Offers(r.Capability) && (r.Plugin == "" || r.Plugin == p.man.ID) {
				return true
			}
		}
	}
	return false
}

// providerStateLocked is a provider's state as its dependents are told.
func (m *Manager) providerStateLocked(e *entry) string {
	switch {
	case e.p != nil && e.ready:
		return shared.ProviderReady
	case e.state == StateDisabled || e.state == launcher.StateFailed:
		return shared.ProviderStopped
	case e.p != nil && e.p.Info().State == launcher.StateFailed:
		return shared.ProviderStopped
	}
	return shared.ProviderRestarting
}

// notice is one ProviderChanged to send.
type notice struct {
	provider      *entry
	state, detail string
}

// queueTell queues a ProviderChanged for the dependents of a provider; one
// goroutine sends them in order, so that a dependent that takes its time
// answering never stalls the readiness watch.
func (m *Manager) queueTell(provider *entry, state, detail string) {
	select {
	case m.notices <- notice{provider, state, detail}:
	default:
		m.log.Warn("too many provider changes queued; one is dropped", "provider", provider.man.ID, "state", state)
	}
}

// tellLoop sends the queued notices until Shutdown.
func (m *Manager) tellLoop() {
	for {
		select {
		case <-m.stop:
			return
		case n := <-m.notices:
			m.tell(n.provider, n.state, n.detail)
		}
	}
}

// tell sends ProviderChanged to the running dependents of a provider that
// implement it; a dependent that does not is left alone.
func (m *Manager) tell(provider *entry, state, detail string) {
	m.mu.Lock()
	type target struct {
		id  string
		p   *launcher.Plugin
		cap string
	}
	var targets []target
	for id, e := range m.entries {
		if e.p == nil {
			continue
		}
		for _, r := range e.man.Requirements() {
			if provider.man.Offers(r.Capability) && (r.Plugin == "" || r.Plugin == provider.man.ID) {
				targets = append(targets, target{id, e.p, r.Capability})
				break
			}
		}
	}
	m.mu.Unlock()
	for _, t := range targets {
		c, err := t.p.Client()
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = c.ProviderChanged(ctx, shared.ProviderChangedRequest{Capability: t.cap, Plugin: provider.man.ID, State: state, Detail: detail})
		cancel()
		if err != nil && shared.CodeOf(err) != shared.CodeNotEnabled {
			m.log.Warn("could not tell a plugin about its provider", "plugin", t.id, "provider", provider.man.ID, "state", state, "error", err)
		}
	}
	m.log.Debug("provider changed", "provider", provider.man.ID, "state", state, "dependents", len(targets))
}

// startWaiting starts the waiting plugins whose providers became ready,
// and updates the reason of the others.
func (m *Manager) startWaiting() {
	if !m.ops.TryLock() {
		return // an operation runs; next round
	}
	defer m.ops.Unlock()
	for _, id := range m.ids() {
		e, ok := m.entry(id)
		if !ok {
			continue
		}
		m.mu.Lock()
		waiting := e.state == StateWaiting
		m.mu.Unlock()
		if waiting {
			if err := m.startIfReady(context.Background(), id); err != nil {
				m.log.Warn("a waiting plugin did not start", "id", id, "error", err)
			}
		}
	}
}

// stopDependents stops the running dependents of a provider that is gone
// for good (disabled, uninstalled) and puts them back to waiting, so that
// they are configured again when a provider is back.
func (m *Manager) stopDependents(ctx context.Context, provider manifest.Manifest) {
	for _, id := range m.ids() {
		e, ok := m.entry(id)
		if !ok || id == provider.ID {
			continue
		}
		depends := false
		for _, r := range e.man.Requirements() {
			if provider.Offers(r.Capability) && (r.Plugin == "" || r.Plugin == provider.ID) {
				depends = true
			}
		}
		if !depends {
			continue
		}
		m.mu.Lock()
		running := e.p != nil
		m.mu.Unlock()
		why := m.unmet(e.man)
		if why == "" {
			continue // another provider meets it
		}
		if running {
			if err := m.stopEntry(ctx, e, shared.ShutdownRequest{StopServices: true}); err != nil {
				m.log.Warn("stopping a dependent of a gone provider", "id", id, "error", err)
			}
		}
		m.mu.Lock()
		if e.state == "" || e.state == StateWaiting {
			e.state, e.reason = StateWaiting, why
		}
		m.mu.Unlock()
	}
}

// ---- calls into providers ----

// Client returns the client of plugin id for a call another plugin makes
// through the host. While the plugin is briefly away (starting,
// restarting, upgrading, not ready yet) it waits, up to the host's bound;
// past it, or for a plugin disabled, failed or not installed, the error
// names the plugin's state.
func (m *Manager) Client(ctx context.Context, id string) (*shared.PluginClient, manifest.Manifest, error) {
	deadline := time.Now().Add(m.opts.CallWait)
	for {
		man, ok := m.Manifest(id)
		if !ok {
			return nil, manifest.Manifest{}, shared.Errorf(shared.CodeNotEnabled, "no plugin %q is installed on this node", id)
		}
		info, _ := m.Info(id)
		if p, ok := m.Plugin(id); ok {
			if c, err := p.Client(); err == nil && (info.Ready || !m.isProviderWithDependents(id) || readyNow(ctx, c)) {
				return c, man, nil
			}
		}
		transient := info.State == StateUpgrading || info.State == launcher.StateStarting ||
			info.State == launcher.StateRestarting || info.State == launcher.StateRunning ||
			info.State == launcher.StateDegraded || info.State == StateWaiting
		if !transient || time.Now().After(deadline) {
			msg := fmt.Sprintf("plugin %s is %s", id, info.State)
			if info.Reason != "" {
				msg += " (" + info.Reason + ")"
			}
			if transient {
				msg += fmt.Sprintf(", still after waiting %s", m.opts.CallWait)
			}
			return nil, man, shared.Errorf(shared.CodeUnavailable, "%s: try again later", msg)
		}
		select {
		case <-ctx.Done():
			return nil, man, shared.Errorf(shared.CodeUnavailable, "plugin %s is %s: the call gave up waiting (%v)", id, info.State, ctx.Err())
		case <-time.After(m.opts.Poll):
		}
	}
}

func (m *Manager) isProviderWithDependents(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[id]
	return ok && m.hasDependentsLocked(e)
}

// readyNow asks a plugin whether it is ready.
func readyNow(ctx context.Context, c *shared.PluginClient) bool {
	hctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	h, err := c.Health(hctx, shared.HealthRequest{})
	return err == nil && h.OK && h.Ready
}
