package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/browsertest"
)

func TestBrowserRunsPagesAndRecordsExceptions(t *testing.T) {
	artifacts := t.TempDir()
	t.Setenv("ARTIFACTS_DIR", filepath.Join(artifacts, "shots"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/throw.js":
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write([]byte(`document.title = "scripted"; throw new Error("boom from the page");`))
		default:
			_, _ = w.Write([]byte(`<!doctype html><title>x</title><h1 id="h">hello</h1><script src="/throw.js"></script>`))
		}
	}))
	t.Cleanup(srv.Close)

	ctx := browsertest.NewContext(t)
	deadline, ok := ctx.Deadline()
	require.True(t, ok, "the context is bounded")
	require.WithinDuration(t, time.Now().Add(browsertest.DefaultTimeout), deadline, browsertest.DefaultTimeout)

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#h"))))
	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	require.Equal(t, "scripted", title)
	require.Eventually(t, func() bool { return len(browsertest.Exceptions(ctx)) == 1 }, 10*time.Second, 50*time.Millisecond)
	require.Contains(t, browsertest.Exceptions(ctx)[0], "boom from the page")

	path := browsertest.Screenshot(t, ctx, "hello page")
	require.Equal(t, filepath.Join(artifacts, "shots", "TestBrowserRunsPagesAndRecordsExceptions-hello_page.png"), path)
	png, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, []byte("\x89PNG"), png[:4])
}

func TestExceptionsOfAnotherContext(t *testing.T) {
	require.Nil(t, browsertest.Exceptions(t.Context()))
}
