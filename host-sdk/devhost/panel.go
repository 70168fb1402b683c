package devhost

import (
	"context"

	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/shared"
)

// registry lists the loaded plugins that have a page, for the panel.
type registry struct{ host *launcher.Host }

func (r registry) Plugins() []panel.Plugin {
	var out []panel.Plugin
	for _, p := range r.host.Plugins() {
		m := p.Manifest()
		if !m.Offers(manifest.ProvidesPage) || m.Page == nil {
			continue
		}
		out = append(out, panel.Plugin{
			ID: m.ID, Title: m.Page.Title, Route: m.Page.Route, Menu: m.Page.Menu,
			Provider: liveProvider{p},
		})
	}
	return out
}

// liveProvider reaches the plugin's current process on every call, so a
// restarted plugin keeps its page.
type liveProvider struct{ p *launcher.Plugin }

func (l liveProvider) Page(ctx context.Context, req shared.PageRequest) (shared.Page, error) {
	c, err := l.p.Client()
	if err != nil {
		return shared.Page{}, err
	}
	return c.Page(ctx, req)
}

func (l liveProvider) State(ctx context.Context, req shared.StateRequest) (shared.StateResponse, error) {
	c, err := l.p.Client()
	if err != nil {
		return shared.StateResponse{}, err
	}
	return c.State(ctx, req)
}

func (l liveProvider) Action(ctx context.Context, req shared.ActionRequest) (shared.ActionResult, error) {
	c, err := l.p.Client()
	if err != nil {
		return shared.ActionResult{}, err
	}
	return c.Action(ctx, req)
}
