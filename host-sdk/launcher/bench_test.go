package launcher_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/shared"
)

// BenchmarkPluginRPC launches the real add-on over go-plugin (AutoMTLS on)
// and reports the time from launch (reading plugin.json, checksum, start,
// handshake, Configure) to the first answered Health call, then the median
// and p99 of 2000 Health round trips over that subprocess transport.
func BenchmarkPluginRPC(b *testing.B) {
	const calls = 2000
	dir := pluginDir(b, b.TempDir(), "object-storage")
	settings := addonSettings(b)
	ctx := context.Background()
	var launches, rtts []time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		p, err := launcher.New(dir, launcher.Options{Logger: hclog.NewNullLogger(), Settings: settings})
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Start(ctx); err != nil {
			b.Fatal(err)
		}
		c, err := p.Client()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Health(ctx, shared.HealthRequest{}); err != nil {
			b.Fatal(err)
		}
		launches = append(launches, time.Since(t0))
		for j := 0; j < calls; j++ {
			t := time.Now()
			if _, err := c.Health(ctx, shared.HealthRequest{}); err != nil {
				b.Fatal(err)
			}
			rtts = append(rtts, time.Since(t))
		}
		if err := p.Stop(ctx, true); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(percentile(rtts, 50))/float64(time.Microsecond), "median-µs")
	b.ReportMetric(float64(percentile(rtts, 99))/float64(time.Microsecond), "p99-µs")
	b.ReportMetric(float64(percentile(launches, 50))/float64(time.Millisecond), "launch-to-first-call-ms")
	b.ReportMetric(0, "ns/op") // one op is a whole launch and 2000 calls: not a useful figure
}

func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(i, 0)]
}
