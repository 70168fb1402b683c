package panel_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/shared"
)

// bigPage is the stand-in page with n buckets and k keys.
func bigPage(n, k int) shared.Page {
	buckets := make([]standInBucket, n)
	for i := range buckets {
		buckets[i] = standInBucket{Name: fmt.Sprintf("bucket-%04d", i), Visibility: "private", Objects: i % 7}
	}
	keys := make([]standInKey, k)
	for i := range keys {
		keys[i] = standInKey{Name: fmt.Sprintf("app-%03d", i), AccessKey: fmt.Sprintf("quazzar-%010d", i)}
	}
	return standInPage(30, buckets, keys)
}

// reportPercentiles runs f reps times per benchmark iteration and reports
// the median and p99 of one run, so that `-benchtime 1x` still gives a
// stable figure.
func reportPercentiles(b *testing.B, reps int, f func()) {
	b.Helper()
	samples := make([]time.Duration, 0, reps)
	for b.Loop() {
		for range reps {
			start := time.Now()
			f()
			samples = append(samples, time.Since(start))
		}
	}
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "ms-median/render")
	b.ReportMetric(float64(samples[len(samples)*99/100].Microseconds())/1000, "ms-p99/render")
}

// BenchmarkRenderPage renders the full HTML page with 1,000 rows in one
// table (buckets) and 200 in another (keys), validation included.
func BenchmarkRenderPage(b *testing.B) {
	page := bigPage(1000, 200)
	p := panel.Plugin{ID: pluginID, Title: "Object Storage", Route: "/storage/objects", Menu: "Infra"}
	h, err := panel.New(panel.Static{p}, panel.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cw := &countingWriter{}
	if err := h.RenderPage(cw, p, page); err != nil {
		b.Fatal(err)
	}
	reportPercentiles(b, 50, func() {
		if err := h.RenderPage(io.Discard, p, page); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(cw.n)/1024, "KiB/page")
}

// BenchmarkServePage serves GET /storage/objects and GET
// /api/plugins/{id}/page through the handler, for the same page: the
// in-process plugin call, validation and rendering or JSON encoding.
func BenchmarkServePage(b *testing.B) {
	s := newStandIn()
	page := bigPage(1000, 200)
	s.page = &page
	h, err := panel.New(panel.Static{{ID: pluginID, Title: "Object Storage", Route: "/storage/objects", Menu: "Infra", Provider: s}}, panel.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/storage/objects", "/api/plugins/" + pluginID + "/page", "/api/plugins/" + pluginID + "/fragment"} {
		b.Run(path, func(b *testing.B) {
			reportPercentiles(b, 30, func() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
				}
			})
		})
	}
}

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }
