package devhost_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/addons"
	"github.com/quazzar/object-storage/internal/browsertest"
	"github.com/quazzar/object-storage/internal/plugintest"
)

// TestAddonsPageInTheBrowser: the Add-ons page in headless Chromium: hot
// install by uploading the add-on's bundle, an upgrade by uploading a newer
// one, disable, enable, and uninstall, all through the page.
func TestAddonsPageInTheBrowser(t *testing.T) {
	t.Parallel()
	h := adStart(t, filepath.Join(t.TempDir(), "plugins"), nil)
	// Bundles first: the browser's context is bounded, packing is not.
	v1 := plugintest.Bundle(t, addonID, plugintest.Options{Version: "0.1.0"})
	v2 := plugintest.Bundle(t, addonID, plugintest.Options{Version: "0.2.0"})
	ctx := browsertest.NewContext(t)
	ready := chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] #sec-install`))
	uiDo(t, ctx, chromedp.Navigate(h.URL+addons.PageRoute), ready)
	require.Contains(t, uiText(t, ctx, "#sec-addons"), "No add-on is installed")

	upload := func(path string, wantMessage string) {
		uiDo(t, ctx, chromedp.SetUploadFiles(chromedp.CSS(`#sec-install input[type="file"]`), []string{path}))
		uiDo(t, ctx, chromedp.Click(chromedp.CSS(`#sec-install button[type="submit"]`)))
		// The upload of a race-built bundle and the add-on's start and
		// health check take tens of seconds on a busy machine.
		uiWaitTextFor(t, ctx, 2*time.Minute, "#sec-install .form-message", wantMessage)
	}
	row := `tr[data-row-id="object-storage"]`
	upload(v1, "Object Storage 0.1.0 is installed")
	uiWaitText(t, ctx, row+` td[data-col="version"]`, "0.1.0")
	h.waitMinIO(t)
	browsertest.Screenshot(t, ctx, "addons-installed")

	// The add-on's page appeared, with the host's Settings section.
	uiDo(t, ctx, chromedp.Navigate(h.URL+"/storage/objects"), chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] #sec-host-settings`)))
	require.Contains(t, uiText(t, ctx, "#sec-host-settings"), "Usage refresh")

	uiDo(t, ctx, chromedp.Navigate(h.URL+addons.PageRoute), ready)
	upload(v2, "Object Storage 0.2.0 is installed")
	uiWaitText(t, ctx, row+` td[data-col="version"]`, "0.2.0")

	// Disable (confirmed), then Enable.
	uiDo(t, ctx, uiClickText(row+` button[data-row-action]`, "Disable"),
		chromedp.Click(chromedp.CSS(`[data-confirm-ok]`)))
	uiWaitText(t, ctx, row+` td[data-col="state"]`, "disabled")
	uiDo(t, ctx, uiClickText(row+` button[data-row-action]`, "Enable"))
	uiWaitText(t, ctx, row+` td[data-col="state"]`, "running")

	// Uninstall (confirmed): the row goes, the data stays.
	uiDo(t, ctx, uiClickText(row+` button[data-row-action]`, "Uninstall"),
		chromedp.Click(chromedp.CSS(`[data-confirm-ok]`)))
	uiWaitText(t, ctx, "#sec-addons", "No add-on is installed")
	require.Empty(t, browsertest.Exceptions(ctx), "no script errors")
	require.Empty(t, h.addons(t))
}
