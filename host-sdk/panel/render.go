package panel

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"sort"
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
	// Pager is the table's pager as shown, when it has one.
	Pager *pagerView
}

// pagerView is a table's pager as the page shows it: which rows, links to
// the pages before and after, and the filter form.
type pagerView struct {
	Key     string // the filter form's key, kept while it has the focus
	Summary string // "Rows 101–200 of 1,000"
	Prev    string // URL of the page before, "" on the first
	Next    string // URL of the page after, "" on the last
	Page    int
	Pages   int
	// The filter form: its parameter, text and label, and the other
	// parameters of the URL it keeps (hidden fields).
	FilterParam string
	Filter      string
	FilterLabel string
	Keep        []queryParam
	// Clear is the URL without the filter, when a filter is in effect.
	Clear string
}

type queryParam struct{ Name, Value string }

// viewOfPager lays out p for a page at a URL with query: its links change
// only p's own parameters (a filter sent starts again at page 1).
func viewOfPager(key string, p shared.Pager, shown int, query url.Values) *pagerView {
	with := func(page int, filter string) string {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Del(p.Param)
		if page > 1 {
			q.Set(p.Param, strconv.Itoa(page))
		}
		if p.FilterParam != "" {
			q.Del(p.FilterParam)
			if filter != "" {
				q.Set(p.FilterParam, filter)
			}
		}
		return "?" + q.Encode()
	}
	v := &pagerView{Key: key + "-filter", Page: p.Page, Pages: p.Pages,
		FilterParam: p.FilterParam, Filter: p.Filter, FilterLabel: p.FilterLabel}
	switch {
	case p.Total == 0:
		v.Summary = "No rows"
	case shown == 0:
		v.Summary = fmt.Sprintf("Page %d of %d (%s rows)", p.Page, p.Pages, thousands(p.Total))
	default:
		first := (p.Page-1)*p.Size + 1
		v.Summary = fmt.Sprintf("Rows %s–%s of %s", thousands(first), thousands(first+shown-1), thousands(p.Total))
	}
	if p.Filter != "" {
		v.Summary += " matching “" + p.Filter + "”"
		v.Clear = with(1, "")
	}
	if p.Page > 1 {
		v.Prev = with(min(p.Page-1, p.Pages), p.Filter)
	}
	if p.Page < p.Pages {
		v.Next = with(p.Page+1, p.Filter)
	}
	keys := make([]string, 0, len(query))
	for k := range query {
		if k != p.Param && k != p.FilterParam {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, val := range query[k] {
			v.Keep = append(v.Keep, queryParam{k, val})
		}
	}
	return v
}

// thousands writes n with a comma every three digits: 1,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
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

// contentOf builds the view of a page that passed Validate, shown at a URL
// with query (which its pagers' links keep).
func contentOf(p Plugin, page shared.Page, query url.Values) *contentView {
	title := page.Title
	if title == "" {
		title = titleOf(p)
	}
	c := &contentView{PluginID: p.ID, Title: title, Refresh: page.RefreshSeconds, Banner: page.Banner,
		Sections: make([]sectionView, len(page.Sections))}
	for i, s := range page.Sections {
		c.Sections[i] = sectionView{Section: s, Key: sectionKey(i, s.ID), PluginID: p.ID}
		if s.Table != nil && s.Table.Pager != nil {
			c.Sections[i].Pager = viewOfPager(c.Sections[i].Key, *s.Table.Pager, len(s.Table.Rows), query)
		}
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
	return templates.ExecuteTemplate(w, "layout", h.pageView(p, contentOf(p, page, nil)))
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
	page, err := h.page(r.Context(), p, r.URL.Query())
	if err != nil {
		_, status := ErrorResult(err)
		h.writeHTML(w, status, "layout", h.pageView(p, failureOf(p, err)))
		return
	}
	h.writeHTML(w, http.StatusOK, "layout", h.pageView(p, contentOf(p, page, r.URL.Query())))
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
