package devhost_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/browsertest"
	"github.com/quazzar/object-storage/plugin/addon"
	"github.com/quazzar/object-storage/plugin/page"
)

// TestConsoleBrowserEndToEnd is the page as the node's bucket console, in a
// real headless Chromium against the development host, the real add-on
// and a real MinIO: a quota set from its form, an object-locked bucket made
// from the New bucket form (compliance asks first), a lifecycle rule from
// its form, versioning from a row button; uploads that make the bucket grow
// until the page draws its growth with the quota line and a forecast; the
// drive's chart; the state API's samples under ?history=1.
//
// With UPDATE_DOCS_SCREENSHOTS=1 it writes docs/page-console.png.
func TestConsoleBrowserEndToEnd(t *testing.T) {
	t.Parallel()
	h := uiStartHost(t)
	ctx := browsertest.NewContext(t)
	pageURL := h.URL + "/storage/objects"
	load := func() {
		t.Helper()
		uiDo(t, ctx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] #sec-buckets`)))
	}
	for _, name := range []string{"backups", "photos"} {
		r := h.uiPostJSON(t, "create_bucket", map[string]any{"name": name, "visibility": "private"})
		require.True(t, r.Result.OK, r.Body)
	}
	load()
	require.Contains(t, uiText(t, ctx, "#sec-endpoint"), page.ConsoleHint, "the console line says what the shipped console is")
	require.Contains(t, uiText(t, ctx, "#sec-capacity"), "MinIO's own view of its drives")

	t.Run("a quota from its form", func(t *testing.T) {
		uiDo(t, ctx,
			uiSetField("#sec-quota-f-name", "backups"),
			uiSetField("#sec-quota-f-bytes", "16MiB"),
			chromedp.Click(chromedp.CSS(`#sec-quota button[type="submit"]`)))
		uiWaitText(t, ctx, "#sec-quota .form-message", "Bucket backups has a quota of 16.0 MiB.")
		uiWaitText(t, ctx, `tr[data-row-id="backups"] td[data-col="quota"]`, "16.0 MiB")
	})

	t.Run("an object-locked bucket from the New bucket form; compliance asks first", func(t *testing.T) {
		uiDo(t, ctx,
			uiSetField("#sec-new-bucket-f-name", "vault"),
			chromedp.Click(chromedp.CSS("#sec-new-bucket-f-object_lock")),
			uiSetField("#sec-new-bucket-f-retention_mode", "compliance"),
			uiSetField("#sec-new-bucket-f-retention_days", "30"),
			chromedp.WaitVisible(chromedp.CSS(`[data-warning-for="retention_mode"]`)))
		require.Contains(t, uiText(t, ctx, `[data-warning-for="retention_mode"]`), "nobody, not even root")
		uiDo(t, ctx, chromedp.Click(chromedp.CSS(`#sec-new-bucket button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".modal-confirm")))
		require.Contains(t, uiText(t, ctx, ".modal-confirm .modal-text"), "nobody, not even root, can delete these objects")
		uiDo(t, ctx, chromedp.Click(chromedp.CSS("[data-confirm-cancel]")), chromedp.WaitNotPresent(chromedp.CSS(".modal-backdrop")))
		require.Empty(t, uiText(t, ctx, `tr[data-row-id="vault"]`), "cancel makes nothing")
		uiDo(t, ctx,
			uiSetField("#sec-new-bucket-f-retention_mode", "governance"),
			chromedp.Click(chromedp.CSS(`#sec-new-bucket button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="vault"]`)))
		require.Equal(t, "governance, 30 days", uiText(t, ctx, `tr[data-row-id="vault"] td[data-col="lock"] .cell-text`))
		require.Equal(t, "enabled", uiText(t, ctx, `tr[data-row-id="vault"] td[data-col="versioning"] .cell-text`))
	})

	t.Run("versioning from a row button", func(t *testing.T) {
		uiDo(t, ctx,
			chromedp.Click(chromedp.CSS(`tr[data-row-id="photos"] button[data-row-action="set_versioning"]`)),
			chromedp.WaitVisible(chromedp.CSS(".modal-confirm [data-confirm-ok]")))
		require.Contains(t, uiText(t, ctx, ".modal-confirm .modal-text"), "S3 cannot turn versioning off again")
		uiDo(t, ctx, chromedp.Click(chromedp.CSS(".modal-confirm [data-confirm-ok]")))
		uiWaitText(t, ctx, `tr[data-row-id="photos"] td[data-col="versioning"]`, "enabled")
	})

	t.Run("a lifecycle rule from its form", func(t *testing.T) {
		uiDo(t, ctx,
			uiSetField("#sec-add-lifecycle-rule-f-name", "backups"),
			uiSetField("#sec-add-lifecycle-rule-f-prefix", "daily/"),
			uiSetField("#sec-add-lifecycle-rule-f-expire_days", "30"),
			chromedp.Click(chromedp.CSS(`#sec-add-lifecycle-rule button[type="submit"]`)))
		uiWaitText(t, ctx, "#sec-lifecycle", "Objects under daily/ are deleted 30 days after upload.")
		require.Contains(t, uiText(t, ctx, "#sec-lifecycle-raw"), "<Prefix>daily/</Prefix>")
	})

	// The bucket grows for a minute and a half, so that the page has a
	// rate to forecast from.
	growFor := 90 * time.Second
	start := time.Now()
	for i := 0; time.Since(start) < growFor && i < 60; i++ {
		h.uiPut(t, "backups", fmt.Sprintf("daily/part-%02d", i), 256<<10)
		time.Sleep(5 * time.Second)
	}

	t.Run("the growth chart with the quota line and a forecast", func(t *testing.T) {
		chart := `[data-chart-id="bucket-backups"]`
		deadline := time.Now().Add(3 * time.Minute)
		var forecast string
		for time.Now().Before(deadline) {
			load()
			forecast = uiText(t, ctx, chart+" .chart-forecast")
			if strings.Contains(forecast, "reaches its quota in") {
				break
			}
			time.Sleep(3 * time.Second)
		}
		require.Regexp(t, `^At the last (\d+ minutes'|minute's) rate, bucket backups reaches its quota in (about \d+ (minutes|hours|days)|less than 2 minutes|more than a year)\.$`, forecast)
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector('[data-chart-id="bucket-backups"] polyline.chart-line').points.length`))
		require.NoError(t, err)
		require.Greater(t, n, 2, "the line has steps")
		require.Contains(t, uiText(t, ctx, chart+" .chart-limit-label"), "quota 16.0 MiB")
		require.NotEmpty(t, uiText(t, ctx, `#sec-disk-growth .chart-forecast`), "the drive's chart has its forecast")
		present, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('tr[data-row-id="backups"] td[data-col="quota"] svg.meter') !== null`))
		require.NoError(t, err)
		require.True(t, present, "the quota cell has its bar")
		// The README's picture is the console part of the page: drives,
		// buckets and their growth (the forms below are hidden for it).
		uiDo(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
			let after = false;
			for (const s of document.querySelectorAll('#page-content > section')) {
				if (after) s.setAttribute('data-shot-hidden', ''), s.hidden = true;
				if (s.id === 'sec-bucket-growth') after = true;
			}
		})()`))
		buf, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(".shell")))
		require.NoError(t, err)
		shot := filepath.Join(browsertest.ArtifactsDir(t), "TestConsoleBrowserEndToEnd-console.png")
		require.NoError(t, os.WriteFile(shot, buf, 0o644))
		uiKeepDoc(t, shot, "page-console.png")
		uiDo(t, ctx, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('[data-shot-hidden]').forEach(s => s.hidden = false)`))
	})

	t.Run("the state API has samples under ?history=1 only", func(t *testing.T) {
		_, body := h.uiGet(t, "/api/plugins/"+addonID+"/state?history=1")
		var doc addon.StateDocument
		require.NoError(t, json.Unmarshal([]byte(body), &doc))
		require.NotEmpty(t, doc.Capacity.Drives)
		require.NotEmpty(t, doc.Capacity.Drives[0].History)
		for _, b := range doc.Buckets {
			if b.Name == "backups" {
				require.Greater(t, len(b.History), 1)
				require.EqualValues(t, 16<<20, b.Quota)
				require.NotNil(t, b.Forecast)
				require.Len(t, b.Lifecycle, 1)
			}
		}
		require.Empty(t, h.uiState(t).Capacity.Drives[0].History)
	})
	require.Empty(t, browsertest.Exceptions(ctx), "the page's script threw")
}
