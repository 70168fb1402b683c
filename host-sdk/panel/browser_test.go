package panel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/internal/browsertest"
)

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// waitText waits until the element sel exists and its text contains want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	expr := fmt.Sprintf(`(document.querySelector(%s)?.textContent || '').includes(%s)`, js(sel), js(want))
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%s)?.outerHTML || '(no element)'`, js(sel))))
		t.Fatalf("waiting for %q in %s: %v (text now: %q)", want, sel, err, text)
	}
}

// do runs steps, each group bounded so that a missing element fails the
// test in seconds rather than at the browser's deadline.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, steps...))
}

// click clicks the element sel matches as soon as it is there, in one step
// in the page: the panel's 1-second refresh may replace an element between
// chromedp's lookup of its node and a click on that node ("Could not find
// node with given id").
func click(sel string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); if (!e) return false; e.click(); return true; })()`, js(sel)),
		chromedp.WithPollingTimeout(15*time.Second))
}

// setField sets a form field's value as typing would, with an input event.
func setField(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const f = document.querySelector(%s);
		f.value = %s;
		f.dispatchEvent(new Event('input', {bubbles: true}));
	})()`, js(sel), js(value)))
}

// text reads an element's text in one step in the page: the panel's
// 1-second refresh may replace the element between a node lookup and a
// read of that node ("No node with given id found").
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(sel)))
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`(() => { const e = document.querySelector(%s); if (!e) throw new Error('no element matches ' + %s); return e.textContent; })()`, js(sel), js(sel))))
	require.NoError(t, err, sel)
	return s
}

func dom(t *testing.T, ctx context.Context) string {
	t.Helper()
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	require.NoError(t, err)
	return html
}

func TestBrowserPanel(t *testing.T) {
	ctx := browsertest.NewContext(t)
	s := newStandIn()
	_, srv := newPanel(t, s, panel.Options{})
	pageURL := srv.URL + "/storage/objects"

	do(t, ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`a[href="/storage/objects"]`)))
	require.Contains(t, text(t, ctx, "main"), "Infra → Object Storage")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`.home-links a[href="/storage/objects"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] #sec-buckets`)))
	require.Contains(t, text(t, ctx, "#sec-buckets"), "No buckets yet.")
	browsertest.Screenshot(t, ctx, "empty")

	t.Run("charts and meters are drawn as inline SVG", func(t *testing.T) {
		do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#sec-growth [data-chart-id="disk"] polyline.chart-line`)))
		// The line, the limit and the forecast are laid out with a size
		// (drawn, not just present in the DOM).
		box, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
			const c = document.querySelector('[data-chart-id="disk"]');
			const line = c.querySelector('polyline.chart-line').getBBox();
			const limit = c.querySelector('line.chart-limit').getBoundingClientRect();
			return [line.width, line.height, limit.width, c.querySelector('svg').getBoundingClientRect().height];
		})()`))
		require.NoError(t, err)
		require.Greater(t, box[0], 250.0, "the line spans the plot")
		require.Greater(t, box[1], 30.0, "the line rises")
		require.Greater(t, box[2], 100.0, "the limit line is drawn")
		require.Greater(t, box[3], 60.0, "the chart has a height")
		require.Equal(t, "at the last 24 hours' rate, the disk is full in about 9 hours", text(t, ctx, `[data-chart-id="disk"] .chart-forecast`))
		require.Equal(t, "No samples yet.", text(t, ctx, `[data-chart-id="idle"] .chart-empty`))
		stroke, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector('[data-chart-id="disk"] line.chart-limit')).strokeDasharray`))
		require.NoError(t, err)
		require.NotEqual(t, "none", stroke, "the limit is dashed by the panel's stylesheet")
		browsertest.Screenshot(t, ctx, "charts")
	})

	t.Run("a number field is sent as a JSON number; an option that cannot be undone asks first", func(t *testing.T) {
		do(t, ctx,
			setField("#sec-quota-f-name", "photos"),
			setField("#sec-quota-f-days", "30"),
			click(`#sec-quota button[type="submit"]`))
		waitText(t, ctx, "#sec-quota .form-message", "Quota set.")
		require.JSONEq(t, `{"name":"photos","days":30,"mode":"soft"}`, string(s.lastInput("set_quota")))

		do(t, ctx, setField("#sec-quota-f-days", ""), chromedp.Evaluate[chromedp.Void](`(() => {
			const s = document.querySelector('#sec-quota-f-mode');
			s.value = 'hard';
			s.dispatchEvent(new Event('change', {bubbles: true}));
		})()`), click(`#sec-quota button[type="submit"]`), chromedp.WaitVisible(chromedp.CSS(".modal-confirm")))
		require.Equal(t, "Hard mode cannot be undone. Go on?", text(t, ctx, ".modal-confirm .modal-text"))
		do(t, ctx, click("[data-confirm-cancel]"), chromedp.WaitNotPresent(chromedp.CSS(".modal-backdrop")))
		require.JSONEq(t, `{"name":"photos","days":30,"mode":"soft"}`, string(s.lastInput("set_quota")), "cancel sends nothing")
		do(t, ctx, click(`#sec-quota button[type="submit"]`),
			chromedp.WaitVisible(chromedp.CSS(".modal-confirm [data-confirm-ok]")),
			click(".modal-confirm [data-confirm-ok]"))
		waitText(t, ctx, "#sec-quota .form-message", "Quota set.")
		require.JSONEq(t, `{"name":"","days":null,"mode":"hard"}`, string(s.lastInput("set_quota")), "an empty number is null (the form was reset after its first answer)")
	})

	t.Run("the Public option shows its warning while selected", func(t *testing.T) {
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
			const s = document.querySelector('#sec-new-bucket-f-visibility');
			s.value = 'public';
			s.dispatchEvent(new Event('change', {bubbles: true}));
		})()`), chromedp.WaitVisible(chromedp.CSS(`[data-warning-for="visibility"]`)))
		require.Contains(t, text(t, ctx, `[data-warning-for="visibility"]`), "Anyone can download every object")
	})

	t.Run("a field error appears next to its field", func(t *testing.T) {
		do(t, ctx,
			chromedp.SendKeys(chromedp.CSS("#sec-new-bucket-f-name"), "Bad Name"),
			click(`#sec-new-bucket button[type="submit"]`),
			chromedp.WaitVisible(chromedp.CSS("#sec-new-bucket-f-name-error")))
		require.Equal(t, "bucket name must be 3–63 characters of lowercase letters, digits, dots and hyphens",
			text(t, ctx, "#sec-new-bucket-f-name-error"))
		invalid, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#sec-new-bucket-f-name').getAttribute('aria-invalid')`))
		require.NoError(t, err)
		require.Equal(t, "true", invalid)
		browsertest.Screenshot(t, ctx, "field-error")
	})

	t.Run("a good form creates the bucket and the table refreshes", func(t *testing.T) {
		do(t, ctx,
			setField("#sec-new-bucket-f-name", "photos"),
			click(`#sec-new-bucket button[type="submit"]`),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="photos"]`)))
		require.JSONEq(t, `{"name":"photos","visibility":"public"}`, string(s.lastInput("create_bucket")))
		waitText(t, ctx, "#sec-new-bucket .form-message", "Bucket photos created.")
		require.Contains(t, text(t, ctx, `tr[data-row-id="photos"]`), "0 / —")
	})

	var secret, access string
	t.Run("a created key's secret is shown once in a modal", func(t *testing.T) {
		do(t, ctx,
			chromedp.SendKeys(chromedp.CSS("#sec-create-key-f-name"), "ci-pipeline"),
			click(`#sec-create-key [data-template-for="policy"]`),
			setField("#sec-create-key-f-expiry", "2030-01-02T03:04"),
			click(`#sec-create-key button[type="submit"]`),
			chromedp.WaitVisible(chromedp.CSS(".modal-result")))
		var in struct {
			Name, Policy, Expiry string
			Notify               bool
		}
		require.NoError(t, json.Unmarshal(s.lastInput("create_key"), &in))
		require.Equal(t, "ci-pipeline", in.Name)
		require.Equal(t, `{"Version":"2012-10-17","Statement":[]}`, in.Policy)
		require.True(t, in.Notify, "a checkbox is sent as a JSON boolean")
		expiry, err := time.Parse(time.RFC3339, in.Expiry)
		require.NoError(t, err, "a datetime is sent as RFC 3339: %q", in.Expiry)
		require.Equal(t, 2030, expiry.Year())

		require.Contains(t, text(t, ctx, ".modal-result"), "Copy it now — there is no way to retrieve it later.")
		secret = text(t, ctx, ".modal-result .modal-values .info-row:nth-child(2) .copy-value")
		access = text(t, ctx, ".modal-result .modal-values .info-row:nth-child(1) .copy-value")
		require.True(t, strings.HasPrefix(secret, "SECRET"), secret)
		require.Contains(t, text(t, ctx, ".modal-result .modal-block pre"), "aws configure set aws_secret_access_key '"+secret+"'")
		do(t, ctx, chromedp.Click(chromedp.CSS(".modal-result .modal-values .info-row:nth-child(2) .copy-btn")))
		waitText(t, ctx, ".modal-result .modal-values .info-row:nth-child(2) .copy-btn", "Cop")
		browsertest.Screenshot(t, ctx, "secret-modal")
	})

	t.Run("after closing the modal the secret is gone from the DOM", func(t *testing.T) {
		require.NotEmpty(t, secret)
		require.Contains(t, dom(t, ctx), secret, "the check below can fail: the secret is in the DOM while the modal is open")
		do(t, ctx,
			click("[data-modal-close]"),
			chromedp.WaitNotPresent(chromedp.CSS(".modal-backdrop")),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="`+access+`"]`)))
		require.NotContains(t, dom(t, ctx), secret)
		do(t, ctx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"]`)))
		html := dom(t, ctx)
		require.Contains(t, html, access)
		require.NotContains(t, html, secret)
	})

	t.Run("a danger row action asks in a page dialog first", func(t *testing.T) {
		row := `tr[data-row-id="photos"] button[data-row-action="delete_bucket"]`
		do(t, ctx, click(row), chromedp.WaitVisible(chromedp.CSS(".modal-confirm")))
		require.Equal(t, "Delete bucket photos? This cannot be undone.", text(t, ctx, ".modal-confirm .modal-text"))
		browsertest.Screenshot(t, ctx, "confirm")
		do(t, ctx, click("[data-confirm-cancel]"), chromedp.WaitNotPresent(chromedp.CSS(".modal-backdrop")))
		require.Nil(t, s.lastInput("delete_bucket"), "cancel sends nothing")

		do(t, ctx,
			click(row),
			chromedp.WaitVisible(chromedp.CSS(".modal-confirm [data-confirm-ok]")),
			click(".modal-confirm [data-confirm-ok]"),
			chromedp.WaitNotPresent(chromedp.CSS(`tr[data-row-id="photos"]`)))
		require.JSONEq(t, `{"name":"photos","force":false}`, string(s.lastInput("delete_bucket")))
		waitText(t, ctx, "#flash", "Bucket photos deleted.")
	})

	t.Run("the page refreshes by itself and keeps unsent input", func(t *testing.T) {
		s.mu.Lock()
		s.refresh = 1
		s.mu.Unlock()
		// The field is typed into by script: the page refreshes every
		// second, and a node the browser had looked up for a key press can
		// be swapped out before the key arrives ("No node with given id").
		do(t, ctx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"]`)),
			setField("#sec-endpoint-f-domain", "s3.example.test"))
		s.addBucket("full", 2)
		do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="full"]`)))
		value, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#sec-endpoint-f-domain")))
		require.NoError(t, err)
		require.Equal(t, "s3.example.test", value, "a refresh must not drop what the user typed")
		require.Contains(t, text(t, ctx, `tr[data-row-id="full"]`), "8 KiB / 2")
		require.Contains(t, text(t, ctx, `tr[data-row-id="full"]`), "scanned 40 s ago")
	})

	t.Run("no refresh while a dialog is open; the missed one runs when it closes", func(t *testing.T) {
		do(t, ctx,
			click(`tr[data-row-id="full"] button[data-row-action="delete_bucket"]`),
			chromedp.WaitVisible(chromedp.CSS(".modal-confirm")))
		s.addBucket("later", 0)
		time.Sleep(2500 * time.Millisecond) // two refresh periods
		present, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('tr[data-row-id="later"]') !== null`))
		require.NoError(t, err)
		require.False(t, present, "the page refreshed behind an open dialog")
		do(t, ctx,
			click("[data-confirm-cancel]"),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="later"]`)))
	})

	t.Run("a refused action shows the plugin's message", func(t *testing.T) {
		do(t, ctx,
			click(`tr[data-row-id="full"] button[data-row-action="delete_bucket"]`),
			chromedp.WaitVisible(chromedp.CSS(".modal-confirm [data-confirm-ok]")),
			click(".modal-confirm [data-confirm-ok]"))
		waitText(t, ctx, "#flash", "bucket full is not empty: empty it first")
		do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="full"]`)))

		do(t, ctx, click(`#sec-endpoint button[type="submit"]`))
		waitText(t, ctx, "#sec-endpoint .form-message", "Reverse Proxy is not enabled on this node")
		require.Equal(t, "Reverse Proxy is not enabled on this node", text(t, ctx, "#sec-endpoint .form-message"))
		require.JSONEq(t, `{"domain":"s3.example.test"}`, string(s.lastInput("expose")))
		browsertest.Screenshot(t, ctx, "with-data")
	})

	require.Empty(t, browsertest.Exceptions(ctx), "the page's script threw")
}

// A long table a page at a time: the links and the filter load the page
// with the pager's parameters, and the page's own refresh keeps them.
func TestBrowserPager(t *testing.T) {
	ctx := browsertest.NewContext(t)
	s := newStandIn()
	s.pageSize = 10
	for i := range 25 {
		s.addBucket(fmt.Sprintf("b-%02d", i), 0)
	}
	_, srv := newPanel(t, s, panel.Options{})
	ready := chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] #sec-buckets`))

	do(t, ctx, chromedp.Navigate(srv.URL+"/storage/objects"), ready)
	require.Equal(t, "Rows 1–10 of 25", text(t, ctx, "#sec-buckets .pager-summary"))
	do(t, ctx, click(`#sec-buckets a[rel="next"]`), chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="b-10"]`)), ready)
	require.Equal(t, "Rows 11–20 of 25", text(t, ctx, "#sec-buckets .pager-summary"))
	loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.search`))
	require.NoError(t, err)
	require.Equal(t, "?bp=2", loc)

	// The filter, sent with Enter as a search box is.
	do(t, ctx, chromedp.SendKeys(chromedp.CSS(`#sec-buckets input[name="bq"]`), "b-2\r"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="b-24"]`)), ready)
	require.Equal(t, "Rows 1–5 of 5 matching “b-2”", text(t, ctx, "#sec-buckets .pager-summary"))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#sec-buckets tbody tr').length`))
	require.NoError(t, err)
	require.Equal(t, 5, rows)

	// The page's refresh asks for the same rows.
	s.mu.Lock()
	s.refresh = 1
	s.mu.Unlock()
	s.addBucket("b-2x", 0)
	do(t, ctx, chromedp.Reload(), ready, chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="b-2x"]`)))
	s.addBucket("b-2y", 0)
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="b-2y"]`)))
	require.Equal(t, map[string]string{"bq": "b-2"}, s.query(), "the refresh kept the filter")
	require.Equal(t, "Rows 1–7 of 7 matching “b-2”", text(t, ctx, "#sec-buckets .pager-summary"))

	do(t, ctx, click(`#sec-buckets .pager-filter a`), chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="b-00"]`)), ready)
	require.Equal(t, "Rows 1–10 of 27", text(t, ctx, "#sec-buckets .pager-summary"))
	browsertest.Screenshot(t, ctx, "pager")
	require.Empty(t, browsertest.Exceptions(ctx), "the page's script threw")
}
