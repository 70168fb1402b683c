package panel_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/shared"
)

const pluginID = "object-storage"

// newPanel serves a panel with the stand-in as "object-storage" at
// /storage/objects, plus a second plugin in another menu.
func newPanel(t testing.TB, s *standIn, opts panel.Options) (*panel.Handler, *httptest.Server) {
	t.Helper()
	reg := panel.Static{
		{ID: pluginID, Title: "Object Storage", Route: "/storage/objects", Menu: "Infra", Provider: s},
		{ID: "backups", Title: "Backups", Route: "/data/backups", Menu: "Data", Provider: newStandIn()},
	}
	h, err := panel.New(reg, opts)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header, string(body)
}

func post(t *testing.T, url string, body string, headers map[string]string) (int, shared.ActionResult) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, "application/json; charset=utf-8", res.Header.Get("Content-Type"))
	var out shared.ActionResult
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return res.StatusCode, out
}

func TestHomeShowsNavigation(t *testing.T) {
	_, srv := newPanel(t, newStandIn(), panel.Options{})
	status, hdr, body := get(t, srv.URL+"/")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "text/html; charset=utf-8", hdr.Get("Content-Type"))
	require.Contains(t, hdr.Get("Content-Security-Policy"), "script-src 'self'")
	require.Contains(t, body, `<a href="/storage/objects">Infra → Object Storage</a>`)
	require.Contains(t, body, `<a href="/data/backups">Data → Backups</a>`)
	// Menus are sorted: Data before Infra.
	require.Less(t, strings.Index(body, `<div class="nav-menu">Data</div>`), strings.Index(body, `<div class="nav-menu">Infra</div>`))

	status, _, body = get(t, srv.URL+"/no/such/page")
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, body, "There is no page at this address")
}

func TestAssetsAreEmbedded(t *testing.T) {
	_, srv := newPanel(t, newStandIn(), panel.Options{})
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/_panel/assets/panel.js", "text/javascript; charset=utf-8", "panel:refreshed"},
		{"/_panel/assets/panel.css", "text/css; charset=utf-8", ".modal-backdrop"},
	} {
		status, hdr, body := get(t, srv.URL+tc.path)
		require.Equal(t, http.StatusOK, status, tc.path)
		require.Equal(t, tc.ctype, hdr.Get("Content-Type"), tc.path)
		require.Contains(t, body, tc.contains, tc.path)
		require.NotContains(t, body, "http://", tc.path+" must fetch nothing from the network")
		require.NotContains(t, body, "https://", tc.path+" must fetch nothing from the network")
	}
}

func TestRenderEverySectionAndField(t *testing.T) {
	s := newStandIn()
	s.refresh = 30
	s.addBucket("photos", 3)
	s.addBucket("empty", 0)
	s.keys = []standInKey{{Name: "backup-agent", AccessKey: "quazzar-0000000001"}}
	_, srv := newPanel(t, s, panel.Options{})
	status, _, body := get(t, srv.URL+"/storage/objects")
	require.Equal(t, http.StatusOK, status)

	for _, tc := range []struct{ what, want string }{
		{"plugin id for the script", `<body data-plugin="object-storage">`},
		{"breadcrumb", `<span>Infra</span><span class="crumb-sep" aria-hidden="true">→</span><a href="/storage/objects" aria-current="page">Object Storage</a>`},
		{"active nav entry", `<a href="/storage/objects" class="active" aria-current="page">Object Storage</a>`},
		{"refresh period", `<div id="page-content" data-refresh="30">`},
		{"title", `<h1 class="page-title">Object Storage</h1>`},
		{"banner level", `<div class="banner"><div class="notice notice-warning" role="status">`},
		{"banner code copyable", `<div class="codeblock copyable"><pre class="copy-value">go install github.com/minio/minio@latest</pre><button type="button" class="btn btn-small btn-ghost copy-btn" data-copy aria-label="Copy command">Copy</button>`},
		{"info item with copy", `<dt>S3 API</dt>`},
		{"info copy value", `<span class="copyable"><code class="copy-value">http://127.0.0.1:9000</code><button type="button" class="btn btn-small btn-ghost copy-btn" data-copy aria-label="Copy S3 API">Copy</button></span>`},
		{"info hint", `<span class="info-value">us-east-1</span><span class="hint">the S3 convention</span>`},
		{"info empty value", `<dt>Domain</dt>`},
		{"info form", `<div class="info-form"><form class="panel-form" data-action="expose" data-form-key="sec-endpoint-form" method="post" action="/api/plugins/object-storage/actions/expose">`},
		{"text field", `<input type="text" id="sec-endpoint-f-domain" name="domain" value="" data-field="text" placeholder="s3.example.com" required autocomplete="off" spellcheck="false">`},
		{"required marker", `<label for="sec-endpoint-f-domain">Domain<span class="req" aria-hidden="true"> *</span></label>`},
		{"table header", `<th scope="col">Size / objects</th>`},
		{"table row", `<tr data-row-id="photos">`},
		{"cell with hint", `<span class="cell-text">0 / —</span><span class="hint">not scanned yet</span>`},
		{"cell with copy", `<code class="copy-value">quazzar-0000000001</code>`},
		{"danger row action with confirm", `data-row-action="delete_bucket" data-input="{&#34;force&#34;:false,&#34;name&#34;:&#34;photos&#34;}" data-label="Delete" data-confirm="Delete bucket photos? This cannot be undone." data-danger="true">`},
		{"danger style", `class="btn btn-small btn-danger"`},
		{"select", `<select id="sec-new-bucket-f-visibility" name="visibility" data-field="select">`},
		{"option selected", `<option value="private" selected>Private</option>`},
		{"option warning", `<option value="public" data-warning="Anyone can download every object of a public bucket. Never use it for sensitive data.">Public</option>`},
		{"warning slot hidden while private", `<p class="option-warning" data-warning-for="visibility" hidden></p>`},
		{"help", `<p class="help">3–63 lowercase letters, digits, dots and hyphens</p>`},
		{"field error slot", `<p class="field-error" id="sec-new-bucket-f-name-error" data-error-for="name" hidden></p>`},
		{"textarea", `<textarea id="sec-create-key-f-policy" name="policy" rows="8" data-field="textarea" spellcheck="false"></textarea>`},
		{"template", `data-template-for="policy" data-template-value="{&#34;Version&#34;:&#34;2012-10-17&#34;,&#34;Statement&#34;:[]}">Read-only</button>`},
		{"datetime", `<input type="datetime-local" id="sec-create-key-f-expiry" name="expiry" data-field="datetime" data-default="">`},
		{"checkbox", `<input type="checkbox" id="sec-create-key-f-notify" name="notify" value="true" data-field="checkbox" checked>`},
		{"submit", `<button type="submit" class="btn btn-primary">Create key</button>`},
		{"notice section", `<section class="section section-notice" id="sec-tip" data-section-key="sec-tip"><div class="notice notice-info" role="status">`},
		{"meter under a cell", `<span class="cell-text">12 KiB / 3</span><svg class="meter meter-warning" viewBox="0 0 100 6" preserveAspectRatio="none" role="img" aria-label="75%"><rect class="meter-track" width="100" height="6" rx="3"/><rect class="meter-fill" width="75" height="6" rx="3"/></svg><span class="hint">scanned 40 s ago</span>`},
		{"number field", `<input type="number" id="sec-quota-f-days" name="days" value="" data-field="number" step="1" placeholder="30" inputmode="numeric" autocomplete="off">`},
		{"option confirm", `<option value="hard" data-confirm="Hard mode cannot be undone. Go on?">Hard</option>`},
		{"charts section", `<section class="section section-charts" id="sec-growth" data-section-key="sec-growth"><h2>Growth</h2><div class="charts">`},
		{"chart card", `<figure class="card chart chart-warning" data-chart-id="disk">`},
		{"chart head", `<figcaption class="chart-head"><span class="chart-title">Disk /data</span><span class="chart-last">576.0 MiB</span></figcaption>`},
		{"chart svg", `<svg class="chart-svg" viewBox="0 0 320 130" role="img" aria-label="Disk /data: 576.0 MiB, from Nov 29 10:00 to Nov 30 10:00 UTC; limit size 1.0 GiB">`},
		{"chart limit", `<line class="chart-limit" x1="4" y1="23.1" x2="316" y2="23.1"/>`},
		{"chart limit label", `text-anchor="end">size 1.0 GiB</text>`},
		{"chart line", `<polyline class="chart-line chart-line-0" points="4,112 17,112 17,111.9`},
		{"chart axis labels", `dy="-4">Nov 29 10:00</text>`},
		{"chart forecast", `<p class="chart-forecast">at the last 24 hours&#39; rate, the disk is full in about 9 hours</p>`},
		{"empty chart", `<p class="chart-empty">No samples yet.</p>`},
	} {
		require.Contains(t, body, tc.want, tc.what)
	}
	require.Equal(t, 1, strings.Count(body, `<span class="muted">—</span>`), "the empty Domain shows a dash")
}

func TestRenderEmptyTableAndWarningDefault(t *testing.T) {
	s := newStandIn()
	page := standInPage(0, nil, nil)
	page.Sections[2].Form.Fields[1].Default = "public"
	s.page = &page
	_, srv := newPanel(t, s, panel.Options{})
	_, _, body := get(t, srv.URL+"/storage/objects")
	require.Contains(t, body, `<tr class="empty-row"><td colspan="3">No buckets yet.</td></tr>`)
	require.Contains(t, body, `<tr class="empty-row"><td colspan="2">No access keys yet.</td></tr>`)
	require.Contains(t, body, `<div id="page-content" data-refresh="0">`)
	// The warning of the option selected by default is shown without script.
	require.Contains(t, body, `<p class="option-warning" data-warning-for="visibility">Anyone can download every object`)
	require.Contains(t, body, `<option value="public" data-warning="Anyone can download every object of a public bucket. Never use it for sensitive data." selected>Public</option>`)
}

func TestRenderEscapesEverything(t *testing.T) {
	s := newStandIn()
	evil := `<script>alert("x")</script>`
	page := standInPage(0, nil, nil)
	page.Title = evil
	page.Banner = &shared.Notice{Level: shared.LevelError, Text: evil, Code: evil}
	page.Sections[0].Info.Items[0].Value = evil
	page.Sections[1].Table.Rows = []shared.Row{{ID: `"><img src=x onerror=alert(1)>`, Cells: map[string]shared.Cell{"name": {Text: evil, Hint: evil}},
		Actions: []shared.RowAction{{Action: "delete_bucket", Label: evil, Confirm: `" onclick="alert(1)`, Input: json.RawMessage(`{"name":"</script>"}`)}}}}
	s.page = &page
	_, srv := newPanel(t, s, panel.Options{})
	status, _, body := get(t, srv.URL+"/storage/objects")
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, evil)
	require.NotContains(t, body, `<img src=x`)
	require.NotContains(t, body, `" onclick="alert(1)`)
	require.Contains(t, body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`)
}

func TestRefuseSchemaTheRendererDoesNotKnow(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(p *shared.Page)
		want   string
	}{
		{"newer schema version", func(p *shared.Page) { p.SchemaVersion = shared.SchemaVersion + 1 }, "schema_version is 2, but this panel renders version 1"},
		{"unknown section kind", func(p *shared.Page) { p.Sections[0].Kind = "chart" }, `section &#34;endpoint&#34;: unknown section kind &#34;chart&#34;`},
		{"kind without payload", func(p *shared.Page) { p.Sections[1].Table = nil }, `section &#34;buckets&#34;: kind &#34;table&#34; has no table payload`},
		{"unknown field type", func(p *shared.Page) { p.Sections[2].Form.Fields[0].Type = "color" }, `field &#34;name&#34; has unknown type &#34;color&#34;`},
		{"unknown notice level", func(p *shared.Page) { p.Banner.Level = "fatal" }, `banner: unknown notice level &#34;fatal&#34;`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn()
			page := standInPage(0, nil, nil)
			tc.mutate(&page)
			s.page = &page
			_, srv := newPanel(t, s, panel.Options{})

			status, _, body := get(t, srv.URL+"/storage/objects")
			require.Equal(t, http.StatusBadGateway, status)
			require.Contains(t, body, `<div class="notice notice-error failure" role="alert">`)
			require.Contains(t, body, "This page cannot be rendered")
			require.Contains(t, body, tc.want)
			require.NotContains(t, body, `<section class="section`, "no part of a page that cannot be rendered is shown")

			for _, path := range []string{"/page", "/fragment"} {
				res, err := http.Get(srv.URL + "/api/plugins/" + pluginID + path)
				require.NoError(t, err)
				var out shared.ActionResult
				require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
				res.Body.Close()
				require.Equal(t, http.StatusBadGateway, res.StatusCode, path)
				require.False(t, out.OK)
				require.Equal(t, shared.CodeInternal, out.Code)
				require.Contains(t, out.Message, "the page cannot be rendered")
			}
		})
	}
}

func TestPageErrorIsShown(t *testing.T) {
	s := newStandIn()
	s.pageErr = shared.Errorf(shared.CodeUnavailable, "MinIO is starting, try again in a few seconds")
	_, srv := newPanel(t, s, panel.Options{})
	status, _, body := get(t, srv.URL+"/storage/objects")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.Contains(t, body, "This page cannot be shown right now")
	require.Contains(t, body, "MinIO is starting, try again in a few seconds")
	require.Contains(t, body, `data-refresh="10"`, "a failed page tries again by itself")

	status, _, body = get(t, srv.URL+"/api/plugins/"+pluginID+"/page")
	require.Equal(t, http.StatusServiceUnavailable, status)
	require.JSONEq(t, `{"ok":false,"code":"unavailable","message":"MinIO is starting, try again in a few seconds"}`, body)
}

func TestPageJSON(t *testing.T) {
	s := newStandIn()
	s.addBucket("photos", 1)
	_, srv := newPanel(t, s, panel.Options{})
	status, hdr, body := get(t, srv.URL+"/api/plugins/"+pluginID+"/page")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "no-store", hdr.Get("Cache-Control"))
	var got shared.Page
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	require.Equal(t, shared.SchemaVersion, got.SchemaVersion)
	require.Equal(t, "/storage/objects", got.Route)
	require.Len(t, got.Sections, 8)
	require.Equal(t, "photos", got.Sections[1].Table.Rows[0].ID)

	status, _, body = get(t, srv.URL+"/api/plugins/"+pluginID+"/fragment")
	require.Equal(t, http.StatusOK, status)
	require.True(t, strings.HasPrefix(body, `<div id="page-content" data-refresh="0">`), body[:80])
	require.Contains(t, body, `<tr data-row-id="photos">`)
	require.NotContains(t, body, "<html")
}

func TestActionAPI(t *testing.T) {
	big := `{"name":"` + strings.Repeat("a", 2048) + `"}`
	for _, tc := range []struct {
		name       string
		plugin     string
		action     string
		body       string
		wantStatus int
		want       shared.ActionResult
	}{
		{"ok", pluginID, "create_bucket", `{"name":"photos","visibility":"public"}`, http.StatusOK,
			shared.ActionResult{OK: true, Message: "Bucket photos created.", Refresh: true}},
		{"field error", pluginID, "create_bucket", `{"name":"Bad Name","visibility":"private"}`, http.StatusBadRequest,
			shared.ActionResult{Code: shared.CodeInvalidArgument, Message: "bucket name must be 3–63 characters of lowercase letters, digits, dots and hyphens",
				FieldErrors: map[string]string{"name": "bucket name must be 3–63 characters of lowercase letters, digits, dots and hyphens"}}},
		{"conflict bound to a field", pluginID, "create_bucket", `{"name":"taken","visibility":"private"}`, http.StatusConflict,
			shared.ActionResult{Code: shared.CodeConflict, Message: "a bucket named taken exists already",
				FieldErrors: map[string]string{"name": "a bucket named taken exists already"}}},
		{"not found", pluginID, "delete_bucket", `{"name":"nope"}`, http.StatusNotFound,
			shared.ActionResult{Code: shared.CodeNotFound, Message: "no bucket named nope"}},
		{"conflict", pluginID, "delete_bucket", `{"name":"taken"}`, http.StatusConflict,
			shared.ActionResult{Code: shared.CodeConflict, Message: "bucket taken is not empty: empty it first"}},
		{"not enabled", pluginID, "expose", `{"domain":"s3.example.com"}`, http.StatusServiceUnavailable,
			shared.ActionResult{Code: shared.CodeNotEnabled, Message: "Reverse Proxy is not enabled on this node"}},
		{"failure answered as a result", pluginID, "soft_fail", `{}`, http.StatusConflict,
			shared.ActionResult{Code: shared.CodeConflict, Message: "refused without an error"}},
		{"empty body is an empty object", pluginID, "echo", ``, http.StatusOK,
			shared.ActionResult{OK: true, Message: `{}`}},
		{"input that is not an object", pluginID, "echo", `["a"]`, http.StatusBadRequest,
			shared.ActionResult{Code: shared.CodeInvalidArgument, Message: `the action's input must be a JSON object, like {"name": "photos"}`}},
		{"input that is not JSON", pluginID, "echo", `name=photos`, http.StatusBadRequest,
			shared.ActionResult{Code: shared.CodeInvalidArgument, Message: `the action's input must be a JSON object, like {"name": "photos"}`}},
		{"body too big", pluginID, "echo", big, http.StatusRequestEntityTooLarge,
			shared.ActionResult{Code: shared.CodeInvalidArgument, Message: "the request body is larger than the panel's limit of 1024 bytes: send less input"}},
		{"bad action id", pluginID, "a%20b", `{}`, http.StatusBadRequest,
			shared.ActionResult{Code: shared.CodeInvalidArgument, Message: `action id "a b" is not valid: use letters, digits, '_', '.' and '-' (at most 64)`}},
		{"unknown plugin", "nope", "echo", `{}`, http.StatusNotFound,
			shared.ActionResult{Code: shared.CodeNotFound, Message: `no plugin "nope" has a page in this panel: check the plugin id (GET / lists the pages)`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStandIn()
			s.addBucket("taken", 2)
			_, srv := newPanel(t, s, panel.Options{MaxBodyBytes: 1024})
			status, got := post(t, srv.URL+"/api/plugins/"+tc.plugin+"/actions/"+tc.action, tc.body, nil)
			require.Equal(t, tc.wantStatus, status)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestActionReturnsSecretOnlyInResult(t *testing.T) {
	s := newStandIn()
	_, srv := newPanel(t, s, panel.Options{})
	status, res := post(t, srv.URL+"/api/plugins/"+pluginID+"/actions/create_key", `{"name":"ci","policy":"","expiry":"","notify":true}`, nil)
	require.Equal(t, http.StatusOK, status)
	require.True(t, res.OK)
	require.NotEmpty(t, res.SecretKey)
	require.Equal(t, res.SecretKey, res.Modal.Values[1].Value)

	for _, path := range []string{"/storage/objects", "/api/plugins/" + pluginID + "/page", "/api/plugins/" + pluginID + "/fragment"} {
		_, _, body := get(t, srv.URL+path)
		require.Contains(t, body, res.AccessKey, path)
		require.NotContains(t, body, res.SecretKey, path)
	}
}

func TestUnknownPluginAndAPIPath(t *testing.T) {
	_, srv := newPanel(t, newStandIn(), panel.Options{})
	for _, path := range []string{"/api/plugins/nope/page", "/api/plugins/nope/fragment", "/api/nothing"} {
		status, hdr, body := get(t, srv.URL+path)
		require.Equal(t, http.StatusNotFound, status, path)
		require.Equal(t, "application/json; charset=utf-8", hdr.Get("Content-Type"), path)
		var out shared.ActionResult
		require.NoError(t, json.Unmarshal([]byte(body), &out), path)
		require.Equal(t, shared.CodeNotFound, out.Code, path)
		require.NotEmpty(t, out.Message, path)
	}
}

func TestCrossOriginPOSTIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		headers map[string]string
		trusted []string
		want    int
	}{
		{"no browser headers (curl, scripts)", nil, nil, http.StatusOK},
		{"same-origin browser request", map[string]string{"Sec-Fetch-Site": "same-origin"}, nil, http.StatusOK},
		{"user typed it (Sec-Fetch-Site none)", map[string]string{"Sec-Fetch-Site": "none"}, nil, http.StatusOK},
		{"Origin of the panel itself", map[string]string{"Origin": "SELF"}, nil, http.StatusOK},
		{"cross-site browser request", map[string]string{"Sec-Fetch-Site": "cross-site"}, nil, http.StatusForbidden},
		{"same-site other origin", map[string]string{"Sec-Fetch-Site": "same-site"}, nil, http.StatusForbidden},
		{"Origin from another host", map[string]string{"Origin": "http://evil.example"}, nil, http.StatusForbidden},
		{"Origin from another port", map[string]string{"Origin": "http://127.0.0.1:1"}, nil, http.StatusForbidden},
		{"trusted origin", map[string]string{"Origin": "https://admin.example.com", "Sec-Fetch-Site": "cross-site"}, []string{"https://admin.example.com"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, srv := newPanel(t, newStandIn(), panel.Options{TrustedOrigins: tc.trusted})
			headers := map[string]string{}
			for k, v := range tc.headers {
				if v == "SELF" {
					v = srv.URL
				}
				headers[k] = v
			}
			status, res := post(t, srv.URL+"/api/plugins/"+pluginID+"/actions/echo", `{"a":1}`, headers)
			require.Equal(t, tc.want, status)
			if tc.want == http.StatusForbidden {
				require.Equal(t, shared.CodePermission, res.Code)
				require.Contains(t, res.Message, "cross-origin request refused")
			} else {
				require.True(t, res.OK)
			}
		})
	}

	t.Run("GET stays allowed", func(t *testing.T) {
		_, srv := newPanel(t, newStandIn(), panel.Options{})
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/api/plugins/"+pluginID+"/page", nil)
		require.NoError(t, err)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
	})
}

func TestBadTrustedOrigin(t *testing.T) {
	_, err := panel.New(panel.Static{}, panel.Options{TrustedOrigins: []string{"not an origin"}})
	require.ErrorContains(t, err, `trusted origin "not an origin"`)
}

func TestExtraRoutes(t *testing.T) {
	h, srv := newPanel(t, newStandIn(), panel.Options{})
	h.Handle("GET /api/plugins/object-storage/state", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"running"}`))
	}))
	h.Handle("POST /api/plugins/object-storage/extra", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	status, hdr, body := get(t, srv.URL+"/api/plugins/object-storage/state")
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"status":"running"}`, body)
	require.Equal(t, "nosniff", hdr.Get("X-Content-Type-Options"))

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/plugins/object-storage/extra", bytes.NewReader(nil))
	require.NoError(t, err)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusForbidden, res.StatusCode, "extra routes are protected too")
}

func TestValidate(t *testing.T) {
	ok := standInPage(30, []standInBucket{{Name: "a", Visibility: "private"}}, nil)
	require.NoError(t, panel.Validate(ok))

	for _, tc := range []struct {
		name   string
		mutate func(p *shared.Page)
		want   string
	}{
		{"old version", func(p *shared.Page) { p.SchemaVersion = 0 }, "schema_version is 0"},
		{"negative refresh", func(p *shared.Page) { p.RefreshSeconds = -1 }, "refresh_seconds is -1"},
		{"duplicate section id", func(p *shared.Page) { p.Sections[1].ID = "endpoint" }, `section "endpoint": the id is used by more than one section`},
		{"info without payload", func(p *shared.Page) { p.Sections[0].Info = nil }, `kind "info" has no info payload`},
		{"form without payload", func(p *shared.Page) { p.Sections[2].Form = nil }, `kind "form" has no form payload`},
		{"notice without payload", func(p *shared.Page) { p.Sections[5].Notice = nil }, `kind "notice" has no notice payload`},
		{"form without action", func(p *shared.Page) { p.Sections[2].Form.Action = "" }, "the form has no action id"},
		{"field without name", func(p *shared.Page) { p.Sections[2].Form.Fields[0].Name = "" }, "field 1 has no name"},
		{"duplicate field", func(p *shared.Page) { p.Sections[2].Form.Fields[1].Name = "name" }, `field name "name" is used twice`},
		{"select without options", func(p *shared.Page) { p.Sections[2].Form.Fields[1].Options = nil }, `select field "visibility" has no options`},
		{"templates on a checkbox", func(p *shared.Page) {
			p.Sections[4].Form.Fields[3].Templates = []shared.Template{{Label: "x", Value: "y"}}
		}, `field "notify" has templates`},
		{"column without id", func(p *shared.Page) { p.Sections[1].Table.Columns[0].ID = "" }, "column 1 has no id"},
		{"row action without id", func(p *shared.Page) { p.Sections[1].Table.Rows[0].Actions[0].Action = "" }, "row 1, action 1 has no action id"},
		{"row action input not an object", func(p *shared.Page) { p.Sections[1].Table.Rows[0].Actions[0].Input = json.RawMessage(`[1]`) }, "has an input that is not a JSON object"},
		{"choices without a confirmation", func(p *shared.Page) {
			a := &p.Sections[1].Table.Rows[0].Actions[0]
			a.Confirm, a.Choices = "", []shared.Choice{{Field: "revoke_keys", Label: "Revoke its keys"}}
		}, "has choices without a confirmation"},
		{"choice without a field", func(p *shared.Page) {
			a := &p.Sections[1].Table.Rows[0].Actions[0]
			a.Confirm, a.Choices = "Sure?", []shared.Choice{{Label: "Revoke its keys"}}
		}, "has a choice without a field or a label"},
		{"meter without max", func(p *shared.Page) {
			p.Sections[1].Table.Rows[0].Cells["usage"] = shared.Cell{Text: "x", Meter: &shared.Meter{Value: 1}}
		}, `cell "usage": a meter needs a finite value and a positive max`},
		{"meter level", func(p *shared.Page) {
			p.Sections[1].Table.Rows[0].Cells["usage"] = shared.Cell{Text: "x", Meter: &shared.Meter{Value: 1, Max: 2, Level: "red"}}
		}, `unknown level "red"`},
		{"charts without charts", func(p *shared.Page) { p.Sections[7].Charts = nil }, `kind "charts" has no charts`},
		{"chart unit", func(p *shared.Page) { p.Sections[7].Charts[0].Unit = "furlongs" }, `chart 1: unknown unit "furlongs"`},
		{"chart level", func(p *shared.Page) { p.Sections[7].Charts[1].Level = "loud" }, `chart 2: unknown level "loud"`},
		{"chart limit not finite", func(p *shared.Page) { p.Sections[7].Charts[0].Limit.Value = math.Inf(1) }, "the limit is not a finite number"},
		{"chart point not finite", func(p *shared.Page) { p.Sections[7].Charts[0].Series[0].Points[3].V = math.NaN() }, "series 1, point 4 is not a finite number"},
		{"pager param", func(p *shared.Page) {
			p.Sections[1].Table.Pager = &shared.Pager{Param: "Page!", Page: 1, Pages: 1, Size: 10, Total: 1}
		}, `pager parameter "Page!" is not valid`},
		{"pager param used twice", func(p *shared.Page) {
			p.Sections[1].Table.Pager = &shared.Pager{Param: "p", Page: 1, Pages: 1, Size: 10, Total: 1, FilterParam: "p"}
		}, `pager parameter "p" is also used by section "buckets"`},
		{"pager page out of range", func(p *shared.Page) {
			p.Sections[1].Table.Pager = &shared.Pager{Param: "p", Page: 3, Pages: 2, Size: 10, Total: 15}
		}, "pager is on page 3 of 2"},
		{"pager rows over its size", func(p *shared.Page) {
			p.Sections[1].Table.Pager = &shared.Pager{Param: "p", Page: 1, Pages: 1, Size: 0, Total: 1}
		}, "pager's size 0, total 1 and 1 pages do not fit the 1 rows shown"},
		{"pager pages short of its total", func(p *shared.Page) {
			p.Sections[1].Table.Pager = &shared.Pager{Param: "p", Page: 1, Pages: 1, Size: 10, Total: 11}
		}, "pager's size 10, total 11 and 1 pages do not fit"},
		{"chart points out of order", func(p *shared.Page) {
			pts := p.Sections[7].Charts[0].Series[0].Points
			pts[2].T, pts[3].T = pts[3].T, pts[2].T
		}, "points must be oldest first (point 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := standInPage(30, []standInBucket{{Name: "a", Visibility: "private"}}, nil)
			tc.mutate(&p)
			err := panel.Validate(p)
			var se *panel.SchemaError
			require.ErrorAs(t, err, &se)
			require.Len(t, se.Problems, 1, se.Problems)
			require.Contains(t, se.Problems[0], tc.want)
		})
	}
}

func TestStatusOf(t *testing.T) {
	want := map[shared.Code]int{
		shared.CodeInvalidArgument: 400, shared.CodeNotFound: 404, shared.CodeConflict: 409,
		shared.CodeNeedsRestart: 409, shared.CodePermission: 403, shared.CodeNotEnabled: 503,
		shared.CodeUnavailable: 503, shared.CodeInternal: 500,
	}
	for _, c := range shared.Codes {
		require.Equal(t, want[c], panel.StatusOf(c), c)
	}
	require.Equal(t, 500, panel.StatusOf("something_new"))
}

// A table with a pager: the panel passes the URL's query to the plugin and
// links to the pages around, keeping the query's other parameters.
func TestPager(t *testing.T) {
	s := newStandIn()
	s.pageSize = 10
	for i := range 25 {
		s.addBucket(fmt.Sprintf("b-%02d", i), 0)
	}
	_, srv := newPanel(t, s, panel.Options{})

	status, _, body := get(t, srv.URL+"/storage/objects?bp=2&theme=dark")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, map[string]string{"bp": "2", "theme": "dark"}, s.query())
	require.Contains(t, body, `data-row-id="b-10"`)
	require.NotContains(t, body, `data-row-id="b-09"`)
	require.Contains(t, body, "Rows 11–20 of 25")
	require.Contains(t, body, "page 2 of 3")
	require.Contains(t, body, `rel="prev" href="?theme=dark"`, "page 1 needs no parameter")
	require.Contains(t, body, `rel="next" href="?bp=3&amp;theme=dark"`)
	require.Contains(t, body, `<input type="hidden" name="theme" value="dark">`, "the filter keeps the other parameters")
	require.Contains(t, body, `<input type="search" name="bq" value=""`)

	// The last page has no next link; the JSON API and the fragment take
	// the query too.
	status, _, body = get(t, srv.URL+"/api/plugins/"+pluginID+"/fragment?bp=3")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Rows 21–25 of 25")
	require.NotContains(t, body, `rel="next"`)
	status, _, body = get(t, srv.URL+"/api/plugins/"+pluginID+"/page?bq=b-1")
	require.Equal(t, http.StatusOK, status)
	var p shared.Page
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	require.Equal(t, 10, p.Sections[1].Table.Pager.Total)
	require.Equal(t, "b-1", p.Sections[1].Table.Pager.Filter)

	// A filter in effect: its text, a way to clear it, and links that keep it.
	status, _, body = get(t, srv.URL+"/storage/objects?bq=b-&bp=2")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Rows 11–20 of 25 matching “b-”")
	require.Contains(t, body, `href="?">Clear</a>`)
	require.Contains(t, body, `rel="next" href="?bp=3&amp;bq=b-"`)
	require.Contains(t, body, `<input type="search" name="bq" value="b-"`)
}
