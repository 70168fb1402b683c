// Package browsertest starts a real headless Chromium, driven with chromedp,
// for tests that look at the panel the way a person's browser does.
package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/quazzar/object-storage/internal/testkit"
)

// DefaultTimeout bounds everything a test does with the browser, so that a
// page that never shows what the test waits for fails the test instead of
// hanging it. Tests bound each of their steps too (in seconds); this is the
// whole walk, which on 2 cores shared with the other packages' MinIOs took
// over 2 minutes for the end-to-end test while every step still passed.
const DefaultTimeout = 5 * time.Minute

// Flags are the Chromium flags every browser test runs with: headless, no
// sandbox (tests may run as root), no GPU, no first-run or background
// traffic (only loopback is ever touched).
var Flags = []chromedp.ExecAllocatorOption{
	chromedp.Flag("headless", true),
	chromedp.NoSandbox,
	chromedp.DisableGPU,
	chromedp.NoFirstRun,
	chromedp.Flag("disable-background-networking", true),
	chromedp.Flag("disable-component-update", true),
	chromedp.Flag("disable-sync", true),
	chromedp.Flag("disable-default-apps", true),
	chromedp.Flag("disable-extensions", true),
	chromedp.Flag("disable-dev-shm-usage", true),
	chromedp.Flag("no-default-browser-check", true),
	chromedp.Flag("password-store", "basic"),
	chromedp.Flag("hide-scrollbars", true),
	chromedp.Flag("mute-audio", true),
	chromedp.WindowSize(1280, 900),
}

type recorderKey struct{}

// recorder keeps what the page said on its console, for the test's log and
// for Exceptions.
type recorder struct {
	mu         sync.Mutex
	done       bool
	exceptions []string
}

// NewContext starts a headless Chromium (the Debian `chromium`, found with
// testtools: a failure in CI, a skip elsewhere when it is missing) with a
// fresh profile in a temporary folder, and returns a chromedp context with
// one tab, bounded by DefaultTimeout (or the test's deadline). The page's
// console messages and uncaught exceptions go to the test's log. The browser
// is closed when the test ends.
func NewContext(t testing.TB) context.Context {
	t.Helper()
	exe := testkit.Require(t, "chromium")
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
	}, Flags...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	rec := &recorder{}
	logf := func(format string, args ...any) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if !rec.done {
			t.Logf("chromedp: "+format, args...)
		}
	}
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithErrorf(logf))
	t.Cleanup(func() {
		rec.mu.Lock()
		rec.done = true
		rec.mu.Unlock()
		_ = chromedp.Cancel(browserCtx)
		cancelBrowser()
		cancelAlloc()
	})
	// The first action starts the browser; it must run on a context without
	// a deadline, or the deadline would end the browser.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("start headless chromium (%s): %v", exe, err)
	}
	messages := chromedp.Console(browserCtx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			rec.mu.Lock()
			if m.IsException() {
				rec.exceptions = append(rec.exceptions, m.String())
			}
			if !rec.done {
				t.Logf("browser console %s: %s", m.Type, m.Text)
			}
			rec.mu.Unlock()
		}
	}()

	deadline := time.Now().Add(DefaultTimeout)
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if td, ok := d.Deadline(); ok && td.Add(-5*time.Second).Before(deadline) {
			deadline = td.Add(-5 * time.Second)
		}
	}
	ctx, cancel := context.WithDeadline(context.WithValue(browserCtx, recorderKey{}, rec), deadline)
	t.Cleanup(cancel)
	return ctx
}

// Exceptions returns the uncaught JavaScript exceptions (and unhandled
// promise rejections) the pages of ctx's browser have thrown so far. A test
// that wants a script without errors requires it to be empty.
func Exceptions(ctx context.Context) []string {
	rec, ok := ctx.Value(recorderKey{}).(*recorder)
	if !ok {
		return nil
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([]string(nil), rec.exceptions...)
}

// ArtifactsDir is where tests keep files for people to look at: $ARTIFACTS_DIR
// when set (created if needed), else a temporary folder of the test.
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("create the artifacts folder %s (from $ARTIFACTS_DIR): %v", dir, err)
	}
	return dir
}

// Screenshot saves a full-page PNG of ctx's tab as <test name>-<name>.png
// in ArtifactsDir, logs its path and returns it.
func Screenshot(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("take screenshot %q: %v", name, err)
	}
	file := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, t.Name()+"-"+name) + ".png"
	path := filepath.Join(ArtifactsDir(t), file)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatalf("save screenshot %q: %v", path, err)
	}
	t.Logf("screenshot: %s", path)
	return path
}
