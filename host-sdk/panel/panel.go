// Package panel renders any plugin's UI schema as an HTML page served by the
// host, and routes the page's actions to the plugin through a JSON API.
//
// The HTTP surface of a Handler:
//
//	GET  /                                   home: the navigation (menu group → page title)
//	GET  <plugin route>                      the plugin's page, e.g. /storage/objects
//	GET  /api/plugins/{id}/page              the page's UI schema as JSON
//	POST /api/plugins/{id}/actions/{action}  JSON input → JSON shared.ActionResult
//	GET  /api/plugins/{id}/fragment          the page's content as HTML (used by the page to refresh)
//	GET  /api/plugins/{id}/state             the page's data as the plugin's own JSON document
//	GET  /_panel/assets/...                  the embedded CSS and JavaScript
//
// Every error answer of the API is a JSON shared.ActionResult with ok false,
// a code and a message (and field_errors when the error concerns an input),
// with an HTTP status derived from the code (see StatusOf). POSTs are
// protected against cross-site requests with net/http's
// CrossOriginProtection: a browser request from another origin is refused
// with 403, a client that sends neither Origin nor Sec-Fetch-Site (curl,
// scripts) is allowed.
//
// A page the renderer does not understand (see Validate) is refused with a
// visible message in the HTML page and a JSON error, never a blank page. The
// server never puts a secret in a page: secrets reach the browser only in an
// action's result, which the page shows in a modal and removes from the DOM
// when the modal is closed.
package panel

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/shared"
)

// Plugin is one plugin's page in the panel: where the navigation shows it
// (from the manifest's page section) and who serves it.
type Plugin struct {
	// ID is the plugin id, the {id} of the API paths.
	ID string
	// Title is the page's name in the navigation ("Object Storage").
	Title string
	// Route is the page's path ("/storage/objects").
	Route string
	// Menu is the navigation group ("Infra"); empty means "Plugins".
	Menu string
	// Provider serves the page and its actions (a *shared.PluginClient for a
	// launched plugin).
	Provider shared.PageProvider
}

// Registry lists the plugins that have a page. The panel asks it on every
// request, so a plugin that is restarted, installed or removed is seen at
// once.
type Registry interface {
	Plugins() []Plugin
}

// Static is a Registry of a fixed list of plugins.
type Static []Plugin

// Plugins returns the list.
func (s Static) Plugins() []Plugin { return s }

// Options tune a Handler; the zero value is usable.
type Options struct {
	// Name is the product name in the header; default "Cloud OS".
	Name string
	// Logger receives one line per action and per failed page; default a
	// null logger.
	Logger hclog.Logger
	// MaxBodyBytes limits an action's JSON input; default 1 MiB.
	MaxBodyBytes int64
	// CallTimeout bounds each call into a plugin; default 30 s.
	CallTimeout time.Duration
	// TrustedOrigins may POST from another origin ("https://admin.example.com").
	TrustedOrigins []string
}

// Defaults of Options.
const (
	DefaultName         = "Cloud OS"
	DefaultMaxBodyBytes = 1 << 20
	DefaultCallTimeout  = 30 * time.Second
	defaultMenu         = "Plugins"
)

//go:embed assets
var assetsFS embed.FS

// Handler serves the panel. Build it with New.
type Handler struct {
	reg  Registry
	opts Options
	log  hclog.Logger
	mux  *http.ServeMux
	root http.Handler
}

// New builds the panel's handler over reg. It fails only on a malformed
// trusted origin.
func New(reg Registry, opts Options) (*Handler, error) {
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = DefaultCallTimeout
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	h := &Handler{reg: reg, opts: opts, log: log, mux: http.NewServeMux()}

	cop := http.NewCrossOriginProtection()
	for _, o := range opts.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("panel: trusted origin %q: %w", o, err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.log.Warn("refused a cross-origin request", "method", r.Method, "path", r.URL.Path,
			"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
		WriteJSON(w, http.StatusForbidden, shared.ActionResult{
			Code:    shared.CodePermission,
			Message: "cross-origin request refused: actions can only be sent from the panel's own pages",
		})
	}))

	assets, err := fs.Sub(assetsFS, "assets")
	if err != nil {
		return nil, fmt.Errorf("panel: embedded assets: %w", err)
	}
	h.mux.Handle("GET /_panel/assets/", http.StripPrefix("/_panel/assets/", noCache(http.FileServerFS(assets))))
	h.mux.HandleFunc("GET /{$}", h.serveHome)
	h.mux.HandleFunc("GET /api/plugins/{id}/page", h.servePageJSON)
	h.mux.HandleFunc("GET /api/plugins/{id}/fragment", h.serveFragment)
	h.mux.HandleFunc("GET /api/plugins/{id}/state", h.serveState)
	h.mux.HandleFunc("POST /api/plugins/{id}/actions/{action}", h.serveAction)
	h.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusNotFound, shared.ActionResult{Code: shared.CodeNotFound,
			Message: fmt.Sprintf("no API at %s %s: see the panel's README for the API paths", r.Method, r.URL.Path)})
	})
	h.mux.HandleFunc("/", h.serveRoute)
	h.root = securityHeaders(cop.Handler(h.mux))
	return h, nil
}

// Handle adds a route to the panel (for example a plugin-specific
// "GET /api/plugins/object-storage/state"), with net/http's ServeMux
// pattern syntax. It goes through the same cross-origin protection and
// security headers as the panel's own routes. It panics on a pattern that
// conflicts with one already registered, as ServeMux does.
func (h *Handler) Handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, handler)
}

// ServeHTTP serves the panel.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.root.ServeHTTP(w, r)
}

// plugin returns the plugin with id, or false.
func (h *Handler) plugin(id string) (Plugin, bool) {
	for _, p := range h.reg.Plugins() {
		if p.ID == id {
			return p, true
		}
	}
	return Plugin{}, false
}

// pluginAt returns the plugin whose page is at path, or false.
func (h *Handler) pluginAt(path string) (Plugin, bool) {
	for _, p := range h.reg.Plugins() {
		if p.Route != "" && p.Route == path {
			return p, true
		}
	}
	return Plugin{}, false
}

// page asks p for its page, passing on the page URL's query (what its
// pagers ask for), and checks that it can be rendered. A *SchemaError says
// the page was received but cannot be rendered.
func (h *Handler) page(ctx context.Context, p Plugin, query url.Values) (shared.Page, error) {
	if p.Provider == nil {
		return shared.Page{}, shared.Errorf(shared.CodeUnavailable, "plugin %q is not running: start it (or check the host's log for why it stopped)", p.ID)
	}
	ctx, cancel := context.WithTimeout(ctx, h.opts.CallTimeout)
	defer cancel()
	page, err := p.Provider.Page(ctx, shared.PageRequest{Query: firstValues(query)})
	if err != nil {
		h.log.Warn("plugin page failed", "plugin", p.ID, "code", shared.CodeOf(err), "error", err)
		return shared.Page{}, err
	}
	if err := Validate(page); err != nil {
		h.log.Error("plugin page cannot be rendered", "plugin", p.ID, "error", err)
		return shared.Page{}, err
	}
	return page, nil
}

// firstValues is a URL query with the first value of each parameter, nil
// when it has none.
func firstValues(q url.Values) map[string]string {
	if len(q) == 0 {
		return nil
	}
	out := make(map[string]string, len(q))
	for k, v := range q {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

// navGroup is one menu group of the navigation.
type navGroup struct {
	Menu  string
	Pages []navPage
}

type navPage struct {
	Title string
	Route string
}

// nav groups the plugins by menu, sorted by menu then title.
func (h *Handler) nav() []navGroup {
	plugins := append([]Plugin(nil), h.reg.Plugins()...)
	sort.SliceStable(plugins, func(i, j int) bool {
		mi, mj := menuOf(plugins[i]), menuOf(plugins[j])
		if mi != mj {
			return mi < mj
		}
		return titleOf(plugins[i]) < titleOf(plugins[j])
	})
	var groups []navGroup
	for _, p := range plugins {
		if p.Route == "" {
			continue
		}
		m := menuOf(p)
		if len(groups) == 0 || groups[len(groups)-1].Menu != m {
			groups = append(groups, navGroup{Menu: m})
		}
		g := &groups[len(groups)-1]
		g.Pages = append(g.Pages, navPage{Title: titleOf(p), Route: p.Route})
	}
	return groups
}

func menuOf(p Plugin) string {
	if p.Menu == "" {
		return defaultMenu
	}
	return p.Menu
}

func titleOf(p Plugin) string {
	if p.Title == "" {
		return p.ID
	}
	return p.Title
}

// StatusOf is the HTTP status for an error code.
func StatusOf(code shared.Code) int {
	switch code {
	case shared.CodeInvalidArgument:
		return http.StatusBadRequest
	case shared.CodeNotFound:
		return http.StatusNotFound
	case shared.CodeConflict, shared.CodeNeedsRestart:
		return http.StatusConflict
	case shared.CodePermission:
		return http.StatusForbidden
	case shared.CodeNotEnabled, shared.CodeUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// ErrorResult turns any error into the API's error answer and its status.
// A *SchemaError is the plugin's fault, not the caller's: 502.
func ErrorResult(err error) (shared.ActionResult, int) {
	var se *SchemaError
	if errors.As(err, &se) {
		return shared.ActionResult{Code: shared.CodeInternal, Message: se.Error()}, http.StatusBadGateway
	}
	e := shared.AsError(err)
	res := shared.ActionResult{Code: e.Code, Message: e.Error()}
	if e.Field != "" {
		res.FieldErrors = map[string]string{e.Field: e.Error()}
	}
	return res, StatusOf(e.Code)
}

func noCache(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets headers that keep the panel's pages to their own
// origin's scripts and styles, out of frames, and out of shared caches.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		if hd.Get("Cache-Control") == "" {
			hd.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}
