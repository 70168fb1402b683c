package devhost

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

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

func (l liveProvider) Action(ctx context.Context, req shared.ActionRequest) (shared.ActionResult, error) {
	c, err := l.p.Client()
	if err != nil {
		return shared.ActionResult{}, err
	}
	return c.Action(ctx, req)
}

// StorageState is what GET /api/plugins/{id}/state answers: the data the
// page shows, as JSON, never a secret.
type StorageState struct {
	Status   shared.Status   `json:"status"`
	Endpoint shared.Endpoint `json:"endpoint"`
	Buckets  []shared.Bucket `json:"buckets"`
	LastScan time.Time       `json:"last_scan,omitzero"`
	Keys     []shared.Key    `json:"keys"`
	// Problems says what could not be read (MinIO not running).
	Problems []string `json:"problems,omitempty"`
}

// stateHandler serves GET /api/plugins/{id}/state for plugins that
// provide storage.
func stateHandler(host *launcher.Host, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		p, ok := host.Plugin(id)
		if !ok || !p.Manifest().Offers(manifest.ProvidesStorage) {
			writeJSON(w, http.StatusNotFound, shared.ActionResult{Code: shared.CodeNotFound, Message: "no storage plugin " + id + " is loaded"})
			return
		}
		c, err := p.Client()
		if err != nil {
			e := shared.AsError(err)
			writeJSON(w, panel.StatusOf(e.Code), shared.ActionResult{Code: e.Code, Message: e.Message})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		var st StorageState
		if st.Status, err = c.Status(ctx, shared.StatusRequest{}); err != nil {
			e := shared.AsError(err)
			writeJSON(w, panel.StatusOf(e.Code), shared.ActionResult{Code: e.Code, Message: e.Message})
			return
		}
		st.Endpoint, _ = c.Endpoint(ctx, shared.EndpointRequest{})
		st.Buckets, st.Keys = []shared.Bucket{}, []shared.Key{}
		if bs, err := c.ListBuckets(ctx, shared.ListBucketsRequest{}); err != nil {
			st.Problems = append(st.Problems, "buckets: "+err.Error())
		} else {
			st.Buckets, st.LastScan = bs.Buckets, bs.LastScan
		}
		if ks, err := c.ListKeys(ctx, shared.ListKeysRequest{}); err != nil {
			st.Problems = append(st.Problems, "keys: "+err.Error())
		} else {
			st.Keys = ks.Keys
		}
		writeJSON(w, http.StatusOK, st)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
