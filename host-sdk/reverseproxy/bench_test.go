package reverseproxy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/internal/caddytest"
	"github.com/quazzar/object-storage/plugin/miniotest"
	"github.com/quazzar/object-storage/shared"
)

// BenchmarkS3GetThroughCaddy measures, in one run, the throughput of signed
// S3 GETs of a 1 MiB object from MinIO directly (plain HTTP) and through
// Caddy (HTTPS with its internal CA, reverse_proxy to the same MinIO). The
// two paths alternate in rounds so that both see the same machine load.
// Metrics: direct-MB/s, caddy-MB/s (each the median over rounds) and
// caddy/direct (the ratio of the medians).
func BenchmarkS3GetThroughCaddy(b *testing.B) {
	const (
		size   = 1 << 20
		rounds = 15 // per b.N; each round times perRound GETs on each path
		per    = 8
	)
	ctx := context.Background()
	cd := caddytest.Start(b)
	mn := miniotest.Start(b)
	p, err := reverseproxy.New(reverseproxy.Config{AdminURL: cd.AdminURL, TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(b, err)
	host := "s3.localhost"
	_, err = p.AddRoute(ctx, shared.AddRouteRequest{Route: shared.Route{ID: "bench", Host: host, Upstream: mn.Address}})
	require.NoError(b, err)

	newClient := func(endpoint string, secure bool, tr http.RoundTripper) *minio.Client {
		c, err := minio.New(endpoint, &minio.Options{
			Creds: credentials.NewStaticV4(mn.AccessKey, mn.SecretKey, ""), Secure: secure,
			Transport: tr, Region: mn.Region, BucketLookup: minio.BucketLookupPath,
		})
		require.NoError(b, err)
		return c
	}
	directTr := &http.Transport{MaxIdleConnsPerHost: 4}
	b.Cleanup(directTr.CloseIdleConnections)
	direct := newClient(mn.Address, false, directTr)
	viaCaddy := newClient(fmt.Sprintf("%s:%d", host, cd.HTTPSPort), true, cd.Transport(b))

	require.NoError(b, direct.MakeBucket(ctx, "bench", minio.MakeBucketOptions{}))
	obj := make([]byte, size)
	_, _ = rand.Read(obj)
	_, err = direct.PutObject(ctx, "bench", "1mib", bytes.NewReader(obj), size, minio.PutObjectOptions{})
	require.NoError(b, err)

	getAll := func(c *minio.Client) {
		o, err := c.GetObject(ctx, "bench", "1mib", minio.GetObjectOptions{})
		require.NoError(b, err)
		n, err := io.Copy(io.Discard, o)
		o.Close()
		require.NoError(b, err)
		require.EqualValues(b, size, n)
	}
	// Warm up both paths: Caddy's certificate, TLS session, connections.
	deadline := time.Now().Add(30 * time.Second)
	for {
		o, err := viaCaddy.GetObject(ctx, "bench", "1mib", minio.GetObjectOptions{})
		if err == nil {
			_, err = io.Copy(io.Discard, o)
			o.Close()
		}
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("S3 through Caddy never answered: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for range 3 {
		getAll(direct)
		getAll(viaCaddy)
	}

	timeRound := func(c *minio.Client) float64 {
		start := time.Now()
		for range per {
			getAll(c)
		}
		return float64(per*size) / 1e6 / time.Since(start).Seconds()
	}
	var directMBs, caddyMBs []float64
	b.ResetTimer()
	for range b.N {
		for r := range rounds {
			if r%2 == 0 {
				directMBs = append(directMBs, timeRound(direct))
				caddyMBs = append(caddyMBs, timeRound(viaCaddy))
			} else {
				caddyMBs = append(caddyMBs, timeRound(viaCaddy))
				directMBs = append(directMBs, timeRound(direct))
			}
		}
	}
	b.StopTimer()
	d, c := median(directMBs), median(caddyMBs)
	b.ReportMetric(d, "direct-MB/s")
	b.ReportMetric(c, "caddy-MB/s")
	b.ReportMetric(c/d, "caddy/direct")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
