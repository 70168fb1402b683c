package devhost

import (
	"context"

	"github.com/quazzar/object-storage/host-sdk/addons"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/shared"
)

// registry lists the pages of the panel: the Add-ons page, and each
// installed plugin that has one (with the host's Settings section added).
type registry struct{ m *addons.Manager }

func (r registry) Plugins() []panel.Plugin {
	out := []panel.Plugin{r.m.PagePlugin()}
	for _, a := range r.m.List() {
		m, ok := r.m.Manifest(a.ID)
		if !ok || !m.Offers(manifest.ProvidesPage) || m.Page == nil {
			continue
		}
		out = append(out, panel.Plugin{
			ID: m.ID, Title: m.Page.Title, Route: m.Page.Route, Menu: m.Page.Menu,
			Provider: liveProvider{r.m, m.ID},
		})
	}
	return out
}

// liveProvider reaches the plugin's current process on every call, so a
// restarted or upgraded plugin keeps its page.
type liveProvider struct {
	m  *addons.Manager
	id string
}

// client waits, within the host's bound, while the plugin is briefly
// away (an upgrade, a restart), so that the page and the state API do not
// fail during a swap.
func (l liveProvider) client(ctx context.Context) (*shared.PluginClient, error) {
	c, _, err := l.m.Client(ctx, l.id)
	return c, err
}

// Page is the plugin's page with the host's Settings section at its end.
func (l liveProvider) Page(ctx context.Context, req shared.PageRequest) (shared.Page, error) {
	c, err := l.client(ctx)
	if err != nil {
		return shared.Page{}, err
	}
	page, err := c.Page(ctx, req)
	if err != nil {
		return page, err
	}
	if man, ok := l.m.Manifest(l.id); ok && len(man.Settings) > 0 {
		page.Sections = append(page.Sections, addons.SettingsSection(man, l.m.Settings(l.id)))
	}
	return page, nil
}

func (l liveProvider) State(ctx context.Context, req shared.StateRequest) (shared.StateResponse, error) {
	c, err := l.client(ctx)
	if err != nil {
		return shared.StateResponse{}, err
	}
	return c.State(ctx, req)
}

func (l liveProvider) Action(ctx context.Context, req shared.ActionRequest) (shared.ActionResult, error) {
	c, err := l.client(ctx)
	if err != nil {
		return shared.ActionResult{}, err
	}
	return c.Action(ctx, req)
}
