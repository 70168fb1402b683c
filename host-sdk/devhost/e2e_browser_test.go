package devhost_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/browsertest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/shared"
)

// TestUIBrowserEndToEnd is a person's session at Infra → Object Storage in
// a real headless Chromium, against the development host with the real
// add-on and a real MinIO: a public bucket made through the page, objects
// uploaded with the S3 API whose size and count appear once MinIO's
// scanner has swept them, an anonymous download, a read-only key whose
// secret is shown once and then used with the AWS CLI, its revocation, the
// refusal to delete a non-empty bucket and Expose without a reverse proxy.
//
// With UPDATE_DOCS_SCREENSHOTS=1 it also writes docs/page-empty.png,
// docs/page-with-data.png and docs/secret-modal.png.
func TestUIBrowserEndToEnd(t *testing.T) {
	t.Parallel()
	h := uiStartHost(t)
	ctx := browsertest.NewContext(t)
	pageURL := h.URL + "/storage/objects"

	// The navigation leads from the home page to the add-on's page.
	uiDo(t, ctx, chromedp.Navigate(h.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`.home-links a[href="/storage/objects"]`)))
	require.Contains(t, uiText(t, ctx, "main"), "Infra → Object Storage")
	uiDo(t, ctx,
		chromedp.Click(chromedp.CSS(`.home-links a[href="/storage/objects"]`)),
		chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] #sec-buckets`)))
	require.Contains(t, uiText(t, ctx, "#sec-buckets"), "No buckets yet.")
	require.Contains(t, uiText(t, ctx, "#sec-keys"), "No access keys yet.")
	require.Contains(t, uiText(t, ctx, "#sec-endpoint"), "http://"+h.S3Address)
	require.Empty(t, uiText(t, ctx, ".banner, #page-content > .notice"), "a running MinIO has no banner")
	uiShot(t, ctx, "empty", "page-empty.png")

	t.Run("Expose without a reverse proxy", func(t *testing.T) {
		uiDo(t, ctx,
			uiSetField("#sec-endpoint-f-domain", "s3.example.com"),
			chromedp.Click(chromedp.CSS(`#sec-endpoint button[type="submit"]`)))
		uiWaitText(t, ctx, "#sec-endpoint .form-message", "Reverse Proxy is not enabled")
		require.Equal(t, "Reverse Proxy is not enabled on this node", uiText(t, ctx, "#sec-endpoint .form-message"))
		browsertest.Screenshot(t, ctx, "expose-refused")
	})

	t.Run("create a public bucket with the New bucket form", func(t *testing.T) {
		uiDo(t, ctx, uiSetField("#sec-new-bucket-f-visibility", "public"), chromedp.WaitVisible(chromedp.CSS(`[data-warning-for="visibility"]`)))
		require.Contains(t, uiText(t, ctx, `[data-warning-for="visibility"]`), "Anyone can download any object of a public bucket")
		uiDo(t, ctx,
			uiSetField("#sec-new-bucket-f-name", "cdn"),
			chromedp.Click(chromedp.CSS(`#sec-new-bucket button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="cdn"]`)))
		uiWaitText(t, ctx, "#sec-new-bucket .form-message", "Bucket cdn created (public).")
		require.Equal(t, "public", uiText(t, ctx, `tr[data-row-id="cdn"] td[data-col="visibility"] .cell-text`))
		require.Equal(t, "0 / —", uiText(t, ctx, `tr[data-row-id="cdn"] td[data-col="usage"] .cell-text`), "not scanned yet")

		// A private one too, for the page with data.
		uiDo(t, ctx,
			uiSetField("#sec-new-bucket-f-name", "photos"),
			chromedp.Click(chromedp.CSS(`#sec-new-bucket button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="photos"]`)))
		require.Equal(t, "private", uiText(t, ctx, `tr[data-row-id="photos"] td[data-col="visibility"] .cell-text`))
		visibility := map[string]shared.Visibility{}
		for _, b := range h.uiState(t).Buckets {
			visibility[b.Name] = b.Visibility
		}
		require.Equal(t, map[string]shared.Visibility{"cdn": shared.Public, "photos": shared.Private}, visibility)
	})

	// Objects uploaded with the S3 API (root credentials from the env file).
	logo := h.uiPut(t, "cdn", "logo.png", 2048)
	h.uiPut(t, "cdn", "css/site.css", 1024)
	h.uiPut(t, "photos", "vacation.jpg", 5000)

	t.Run("anonymous download from the public bucket", func(t *testing.T) {
		status, body := uiAnonGet(t, "http://"+h.S3Address+"/cdn/logo.png")
		require.Equal(t, http.StatusOK, status)
		require.True(t, bytes.Equal(logo, body), "the downloaded object is the uploaded one")
		status, _ = uiAnonGet(t, "http://"+h.S3Address+"/photos/vacation.jpg")
		require.Equal(t, http.StatusForbidden, status, "a private bucket refuses anonymous reads")
	})

	// A second key, through the API, for the page with data.
	other := h.uiPostJSON(t, "create_key", map[string]any{"name": "backup-agent", "description": "nightly backups"})
	require.True(t, other.Result.OK, other.Body)

	var access, secret string
	t.Run("create a read-only key: the modal shows the secret once", func(t *testing.T) {
		uiDo(t, ctx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] #sec-create-key`)))
		uiDo(t, ctx,
			uiSetField("#sec-create-key-f-name", "ci-reader"),
			uiSetField("#sec-create-key-f-description", "CI reads the CDN"),
			uiClickText(`#sec-create-key [data-template-for="policy"]`, "Read-only on one bucket (cdn)"))
		policy, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#sec-create-key-f-policy")))
		require.NoError(t, err)
		require.Contains(t, policy, "arn:aws:s3:::cdn", "the template fills the policy for the first bucket")
		uiDo(t, ctx,
			chromedp.Click(chromedp.CSS(`#sec-create-key button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(".modal-result")))

		modal := uiText(t, ctx, ".modal-result")
		require.Contains(t, modal, "Copy it now — there is no way to retrieve it later")
		access = uiText(t, ctx, ".modal-result .modal-values .info-row:nth-child(1) .copy-value")
		secret = uiText(t, ctx, ".modal-result .modal-values .info-row:nth-child(2) .copy-value")
		require.Regexp(t, `^quazzar-[A-Z0-9]{10}$`, access)
		require.Len(t, secret, 40)
		require.Contains(t, modal, "aws configure set aws_secret_access_key '"+secret+"'")
		require.Contains(t, modal, "mc alias set quazzar http://"+h.S3Address+" "+access+" '"+secret+"'")
		require.Equal(t, "Copy", uiText(t, ctx, ".modal-result .modal-values .info-row:nth-child(2) .copy-btn"))
		uiShotViewport(t, ctx, "secret-modal", "secret-modal.png")
	})

	t.Run("after closing and reloading the secret is nowhere in the DOM", func(t *testing.T) {
		require.NotEmpty(t, secret)
		require.Contains(t, uiDOM(t, ctx), secret, "while the modal is open the secret is in the DOM, so the checks below can fail")
		uiDo(t, ctx,
			chromedp.Click(chromedp.CSS("[data-modal-close]")),
			chromedp.WaitNotPresent(chromedp.CSS(".modal-backdrop")),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="`+access+`"]`)))
		require.NotContains(t, uiDOM(t, ctx), secret)
		uiDo(t, ctx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] tr[data-row-id="`+access+`"]`)))
		html := uiDOM(t, ctx)
		require.Contains(t, html, access)
		require.NotContains(t, html, secret)
		require.Equal(t, "custom", uiText(t, ctx, `tr[data-row-id="`+access+`"] td[data-col="policy"] .cell-text`))
	})

	home := t.TempDir()
	endpoint := "http://" + h.S3Address
	t.Run("the read-only key works with the AWS CLI and cannot write", func(t *testing.T) {
		out, err := uiAWS(t, home, endpoint, access, secret, "s3", "ls", "--recursive", "s3://cdn")
		require.NoError(t, err, out)
		require.Contains(t, out, "logo.png")
		require.Contains(t, out, "css/site.css")
		local := filepath.Join(home, "new.txt")
		require.NoError(t, os.WriteFile(local, []byte("not allowed"), 0o600))
		out, err = uiAWS(t, home, endpoint, access, secret, "s3", "cp", local, "s3://cdn/new.txt")
		require.Error(t, err, "a read-only key must not write: %s", out)
		require.Contains(t, out, "AccessDenied")
	})

	t.Run("size and object count appear after the scanner sweeps", func(t *testing.T) {
		want := map[string]string{"cdn": "3.0 KiB / 2", "photos": "4.9 KiB / 1"}
		deadline := time.Now().Add(3 * time.Minute)
		var got map[string]string
		for {
			uiDo(t, ctx, chromedp.Navigate(pageURL), chromedp.WaitVisible(chromedp.CSS(`body[data-panel-ready="true"] tr[data-row-id="cdn"]`)))
			got = map[string]string{}
			for b := range want {
				got[b] = uiText(t, ctx, `tr[data-row-id="`+b+`"] td[data-col="usage"] .cell-text`)
			}
			if fmt.Sprint(got) == fmt.Sprint(want) || time.Now().After(deadline) {
				break
			}
			time.Sleep(2 * time.Second)
		}
		require.Equal(t, want, got, "usage in the Buckets table within 3 minutes (MinIO's first scan starts about a minute after boot)")
		require.Regexp(t, `^scanned (\d+ s ago|\d+ min ago|just now)$`, uiText(t, ctx, `tr[data-row-id="cdn"] td[data-col="usage"] .hint`))
		uiShot(t, ctx, "with-data", "page-with-data.png")
	})

	t.Run("deleting a non-empty bucket is refused", func(t *testing.T) {
		uiDo(t, ctx,
			chromedp.Click(chromedp.CSS(`tr[data-row-id="cdn"] button[data-row-action="delete_bucket"]`)),
			chromedp.WaitVisible(chromedp.CSS(".modal-confirm [data-confirm-ok]")))
		require.Contains(t, uiText(t, ctx, ".modal-confirm .modal-text"), "Delete bucket cdn?")
		uiDo(t, ctx, chromedp.Click(chromedp.CSS(".modal-confirm [data-confirm-ok]")))
		want := "bucket cdn is not empty: empty it first via the console, the S3 API, or `mc rb --force`"
		uiWaitText(t, ctx, "#flash", want)
		require.Equal(t, want, uiText(t, ctx, "#flash .notice-error .notice-text"))
		uiDo(t, ctx, chromedp.WaitVisible(chromedp.CSS(`tr[data-row-id="cdn"]`)))
		browsertest.Screenshot(t, ctx, "delete-refused")
		status, _ := uiAnonGet(t, endpoint+"/cdn/logo.png")
		require.Equal(t, http.StatusOK, status, "the bucket and its objects are still there")
	})

	t.Run("revoke the key after confirming", func(t *testing.T) {
		row := `tr[data-row-id="` + access + `"]`
		uiDo(t, ctx,
			chromedp.Click(chromedp.CSS(row+` button[data-row-action="revoke_key"]`)),
			chromedp.WaitVisible(chromedp.CSS(".modal-confirm [data-confirm-ok]")))
		require.Equal(t, "Revoke key "+access+" (ci-reader)? Whatever uses it loses access at once; other keys are untouched.",
			uiText(t, ctx, ".modal-confirm .modal-text"))
		browsertest.Screenshot(t, ctx, "revoke-confirm")
		uiDo(t, ctx,
			chromedp.Click(chromedp.CSS(".modal-confirm [data-confirm-ok]")),
			chromedp.WaitNotPresent(chromedp.CSS(row)))
		uiWaitText(t, ctx, "#flash", "Access key "+access+" revoked.")
		require.Contains(t, uiDOM(t, ctx), other.Result.AccessKey, "the other key is untouched")

		out, err := uiAWS(t, home, endpoint, access, secret, "s3", "ls", "s3://cdn")
		require.Error(t, err, "a revoked key must not work: %s", out)
		require.Contains(t, out, "InvalidAccessKeyId")
		browsertest.Screenshot(t, ctx, "revoked")
	})

	require.Empty(t, browsertest.Exceptions(ctx), "the page's script threw")
}

// uiShot saves a full-page screenshot as an artifact and, with
// UPDATE_DOCS_SCREENSHOTS=1, as docs/<doc>.
func uiShot(t *testing.T, ctx context.Context, name, doc string) {
	t.Helper()
	uiKeepDoc(t, browsertest.Screenshot(t, ctx, name), doc)
}

// uiShotViewport saves what the 1280x900 window shows (a modal sits in the
// window, not in the full page) as an artifact and, with
// UPDATE_DOCS_SCREENSHOTS=1, as docs/<doc>.
func uiShotViewport(t *testing.T, ctx context.Context, name, doc string) {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err, "screenshot %s", name)
	path := filepath.Join(browsertest.ArtifactsDir(t), strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())+"-"+name+".png")
	require.NoError(t, os.WriteFile(path, buf, 0o644))
	t.Logf("screenshot: %s", path)
	uiKeepDoc(t, path, doc)
}

func uiKeepDoc(t *testing.T, path, doc string) {
	t.Helper()
	if os.Getenv("UPDATE_DOCS_SCREENSHOTS") != "1" {
		return
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	dir := filepath.Join(testkit.ModuleRoot(), "docs")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, doc), b, 0o644))
	t.Logf("docs screenshot: %s", filepath.Join(dir, doc))
}

// uiAnonGet downloads url without credentials.
func uiAnonGet(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := uiHTTP.Get(url)
	require.NoError(t, err, url)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, body
}

// uiJS quotes s as a JavaScript string literal.
func uiJS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// uiDo runs steps, bounded so that a missing element fails the test in
// seconds rather than at the browser's deadline.
func uiDo(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, steps...))
}

// uiWaitText waits until the element sel exists and its text contains want.
func uiWaitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	uiWaitTextFor(t, ctx, 20*time.Second, sel, want)
}

// uiWaitTextFor is uiWaitText with its own bound, for what takes longer
// than a page's answer (an upload and a plugin's start).
func uiWaitTextFor(t *testing.T, ctx context.Context, bound time.Duration, sel, want string) {
	t.Helper()
	expr := fmt.Sprintf(`(document.querySelector(%s)?.textContent || '').includes(%s)`, uiJS(sel), uiJS(want))
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(bound)))
	if err != nil {
		now, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%s)?.outerHTML || '(no element)'`, uiJS(sel))))
		t.Fatalf("waiting for %q in %s: %v (now: %q)", want, sel, err, now)
	}
}

// uiSetField sets a form field's value as a person would, with input and
// change events.
func uiSetField(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const f = document.querySelector(%s);
		if (!f) throw new Error('no field ' + %s);
		f.value = %s;
		f.dispatchEvent(new Event('input', {bubbles: true}));
		f.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, uiJS(sel), uiJS(sel), uiJS(value)))
}

// uiClickText clicks the element matching sel whose text is label.
func uiClickText(sel, label string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const b = [...document.querySelectorAll(%s)].find(e => e.textContent.trim() === %s);
		if (!b) throw new Error('no ' + %s + ' labelled ' + %s);
		b.click();
	})()`, uiJS(sel), uiJS(label), uiJS(sel), uiJS(label)))
}

// uiText is the text of every element matching sel, joined.
func uiText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
		`[...document.querySelectorAll(%s)].map(e => e.textContent).join('\n').trim()`, uiJS(sel))))
	require.NoError(t, err, sel)
	return strings.TrimSpace(s)
}

// uiDOM is document.documentElement.outerHTML.
func uiDOM(t *testing.T, ctx context.Context) string {
	t.Helper()
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	require.NoError(t, err)
	return html
}
