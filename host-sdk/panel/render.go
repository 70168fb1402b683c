package panel

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/quazzar/object-storage/shared"
)

//go:embed templates/*.html
var templatesFS embed.FS

var templates = template.Must(template.New("panel").Funcs(template.FuncMap{
	"level":   levelOf,
	"fieldID": fieldID,
	"formView": func(key, plugin string, f *shared.Form) formView {
		return formView{Key: key, PluginID: plugin, Form: f}
	},
	"selectedValue":   selectedValue,
	"selectedWarning": selectedWarning,
	"checked":         checked,
	"hasActions":      hasActions,
	"colspan":         colspan,
	"inputJSON":       inputJSON,
	"choicesJSON":     choicesJSON,
	"chartView":       viewOfChart,
	"meterView":       viewOfMeter,
}).ParseFS(templatesFS, "templates/*.html"))

// layoutView is everything the full HTML page shows.
type layoutView struct {
	Name     string
	DocTitle string
	Nav      []navGroup
	// Active is the route of the page shown, highlighted in the navigation.
	Active string
	// Menu and Title make the breadcrumb ("Infra → Object Storage").
	Menu     string
	Title    string
	PluginID string
	Home     []navGroup
	IsHome   bool
	NotFound bool
	Content  *contentView
}

// contentView is a plugin page's content: what the fragment endpoint
// serves and the page swaps in on refresh.
type contentView struct {
	PluginID string
	Title    string
	Refresh  int
	Banner   *shared.Notice
	Sections []sectionView
	Failure  *failureView
}

type sectionView struct {
	shared.Section
	Key      string
	PluginID string
}

// failureView replaces a page that could not be fetched or rendered.
type failureView struct {
	Heading  string
	Message  string
	Problems []string
}

type formView struct {
	Key      string
	PluginID string
	Form     *shared.Form
}

// failureRefresh is how often a page that failed tries again.
const failureRefresh = 10

// contentOf builds the view of a page that passed Validate.
func contentOf(p Plugin, page shared.Page) *contentView {
	title := page.Title
	if title == "" {
		title = titleOf(p)
	}
	c := &contentView{PluginID: p.ID, Title: title, Refresh: page.RefreshSeconds, Banner: page.Banner,
		Sections: make([]sectionView, len(page.Sections))}
	for i, s := range page.Sections {
		c.Sections[i] = sectionView{Section: s, Key: sectionKey(i, s.ID), PluginID: p.ID}
	}
	return c
}

// failureOf builds the view shown instead of a page, from the error that
// kept it from being rendered.
func failureOf(p Plugin, err error) *contentView {
	f := &failureView{Heading: "This page cannot be shown right now", Message: shared.AsError(err).Error()}
	var se *SchemaError
	if errors.As(err, &se) {
		f.Heading = "This page cannot be rendered"
		f.Message = "The plugin " + p.ID + " sent a page this panel does not understand. Upgrade the plugin or the host so that they agree on the UI schema."
		f.Problems = se.Problems
	}
	return &contentView{PluginID: p.ID, Title: titleOf(p), Refresh: failureRefresh, Failure: f}
}

// RenderPage writes p's page as the full HTML document the panel serves at
// the plugin's route. It fails with a *SchemaError on a page that does not
// pass Validate. It is what the benchmarks measure.
func (h *Handler) RenderPage(w io.Writer, p Plugin, page shared.Page) error {
	if err := Validate(page); err != nil {
		return err
	}
	return templates.ExecuteTemplate(w, "layout", h.pageView(p, contentOf(p, page)))
}

func (h *Handler) pageView(p Plugin, c *contentView) layoutView {
	return layoutView{Name: h.opts.Name, DocTitle: c.Title + " · " + h.opts.Name, Nav: h.nav(),
		Active: p.Route, Menu: menuOf(p), Title: titleOf(p), PluginID: p.ID, Content: c}
}

// serveHome answers GET /: the navigation as the home page.
func (h *Handler) serveHome(w http.ResponseWriter, r *http.Request) {
	nav := h.nav()
	h.writeHTML(w, http.StatusOK, "layout", layoutView{Name: h.opts.Name, DocTitle: h.opts.Name,
		Nav: nav, Home: nav, IsHome: true})
}

// serveRoute answers GET of any other path: a plugin's page, or 404.
func (h *Handler) serveRoute(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "the panel's pages answer GET only; actions are POSTed to /api/plugins/{id}/actions/{action}", http.StatusMethodNotAllowed)
		return
	}
	p, ok := h.pluginAt(r.URL.Path)
	if !ok {
		h.writeHTML(w, http.StatusNotFound, "layout", layoutView{Name: h.opts.Name,
			DocTitle: "Not found · " + h.opts.Name, Nav: h.nav(), NotFound: true})
		return
	}
	page, err := h.page(r.Context(), p)
	if err != nil {
		_, status := ErrorResult(err)
		h.writeHTML(w, status, "layout", h.pageView(p, failureOf(p, err)))
		return
	}
	h.writeHTML(w, http.StatusOK, "layout", h.pageView(p, contentOf(p, page)))
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeHTML renders into a buffer first, so that a template error is a 500
// with a message, not half a page.
func (h *Handler) writeHTML(w http.ResponseWriter, status int, name string, data any) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := templates.ExecuteTemplate(buf, name, data); err != nil {
		h.log.Error("render failed", "template", name, "error", err)
		http.Error(w, "the panel could not render this page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// ---- template functions ----

func levelOf(level shared.Level) shared.Level {
	if level == "" {
		return shared.LevelInfo
	}
	return level
}

// sectionKey is a section's stable DOM id: from its id when it has one,
// else from its position.
func sectionKey(i int, id string) string {
	if id == "" {
		return "sec-" + strconv.Itoa(i)
	}
	return "sec-" + domSafe(id)
}

func fieldID(key, name string) string { return key + "-f-" + domSafe(name) }

func domSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}

// selectedValue is the option a select shows first: its Default when that
// is one of its options, else the first option.
func selectedValue(f shared.Field) string {
	for _, o := range f.Options {
		if o.Value == f.Default {
			return o.Value
		}
	}
	if len(f.Options) > 0 {
		return f.Options[0].Value
	}
	return ""
}

func selectedWarning(f shared.Field) string {
	sel := selectedValue(f)
	for _, o := range f.Options {
		if o.Value == sel {
			return o.Warning
		}
	}
	return ""
}

func checked(def string) bool {
	b, err := strconv.ParseBool(def)
	return err == nil && b || def == "on"
}

func hasActions(t *shared.Table) bool {
	for _, r := range t.Rows {
		if len(r.Actions) > 0 {
			return true
		}
	}
	return false
}

func colspan(t *shared.Table) int {
	n := len(t.Columns)
	if hasActions(t) {
		n++
	}
	return max(n, 1)
}

// choicesJSON is a row action's confirmation checkboxes, for the script.
func choicesJSON(c []shared.Choice) string {
	b, _ := json.Marshal(c)
	return string(b)
}

func inputJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	return string(raw)
}
