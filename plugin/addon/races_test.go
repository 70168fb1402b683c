package addon

import (
	"context"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/internal/caddytest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/settings/settingstest"
	"github.com/quazzar/object-storage/plugin/supervisor"
	"github.com/quazzar/object-storage/shared"
)

// TestConcurrentFirstConfigureBuildsOneSupervisor: two hosts' Configure
// calls racing on a fresh add-on used to both see "no supervisor yet" and
// both build one (two MinIO starts on one data dir). Not parallel: it
// swaps the package's supervisor constructor.
func TestConcurrentFirstConfigureBuildsOneSupervisor(t *testing.T) {
	var made atomic.Int32
	orig := newSupervisor
	newSupervisor = func(s settings.Settings, log hclog.Logger, opts ...supervisor.Option) *supervisor.Supervisor {
		made.Add(1)
		return orig(s, log, opts...)
	}
	t.Cleanup(func() { newSupervisor = orig })

	set := settingstest.Map(t, filepath.Join(t.TempDir(), "no-such-minio"), nil)
	for round := range 50 { // the window is narrow: try it many times
		made.Store(0)
		a := New(nil)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				<-start
				_, err := a.Configure(context.Background(), shared.ConfigureRequest{Settings: set})
				assert.NoError(t, err)
			})
		}
		close(start)
		wg.Wait()
		_, _ = a.Shutdown(context.Background(), shared.ShutdownRequest{StopServices: true})
		require.EqualValues(t, 1, made.Load(), "round %d: one supervisor for one add-on", round)
	}
}

// TestFailedRestartKeepsSettingsInEffect: a confirmed change MinIO cannot
// start with (its new S3 address is taken) used to leave the new settings
// stored although MinIO was not running with them. Now MinIO goes back to
// the previous settings, and those are what the add-on reports.
func TestFailedRestartKeepsSettingsInEffect(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()

	next := copyMap(f.settings)
	next[settings.KeyS3Address] = busy.Addr().String()
	_, err = f.a.Configure(ctx, shared.ConfigureRequest{Settings: next, ConfirmRestart: true})
	require.Error(t, err)
	require.Contains(t, err.Error(), "previous ones")

	ep, err := f.a.Endpoint(ctx, shared.EndpointRequest{})
	require.NoError(t, err)
	require.Equal(t, "http://"+f.settings[settings.KeyS3Address], ep.S3URL, "the endpoint is the address MinIO listens on")
	f.waitRunning(t)
	st, err := f.a.Status(ctx, shared.StatusRequest{})
	require.NoError(t, err)
	require.Equal(t, f.settings[settings.KeyS3Address], st.S3Address)
	_, err = f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "after-failed-restart", Visibility: shared.Private})
	require.NoError(t, err, "the add-on uses MinIO on the previous address")
	// Configuring the previous settings again is no change at all.
	res, err := f.a.Configure(ctx, shared.ConfigureRequest{Settings: f.settings})
	require.NoError(t, err)
	require.False(t, res.Restarted)
	require.Empty(t, res.AppliedLive)
}

// TestConcurrentExposureIsConsistent: the exposed domain used to be written
// under the add-on's lock and read without it while the route was put back;
// concurrent Expose, Unexpose, Endpoint and proxy changes now leave the
// file, the answer and the proxy's route in line.
func TestConcurrentExposureIsConsistent(t *testing.T) {
	t.Parallel()
	caddy := caddytest.Start(t)
	proxy, err := reverseproxy.New(reverseproxy.Config{AdminURL: caddy.AdminURL, TLSIssuer: reverseproxy.TLSIssuerInternal})
	require.NoError(t, err)
	f := start(t, nil)
	ctx := context.Background()
	domains := []string{randomHost(t), randomHost(t)}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 6 { // bounded: 24 operations in all
				switch (i + j) % 5 {
				case 0, 1:
					_, _ = f.a.Expose(ctx, shared.ExposeRequest{Domain: domains[(i+j)%2]})
				case 2:
					_, _ = f.a.Unexpose(ctx, shared.UnexposeRequest{})
				case 3:
					f.a.SetReverseProxy(proxy)
				case 4:
					_, _ = f.a.Endpoint(ctx, shared.EndpointRequest{})
				}
			}
		})
	}
	wg.Wait()
	f.a.SetReverseProxy(proxy)
	ep, err := f.a.Endpoint(ctx, shared.EndpointRequest{})
	require.NoError(t, err)
	routes, err := proxy.ListRoutes(ctx, shared.ListRoutesRequest{})
	require.NoError(t, err)
	if ep.Domain == "" {
		require.Empty(t, routes.Routes, "not exposed, and no route left behind")
		return
	}
	require.Len(t, routes.Routes, 1)
	require.Equal(t, ep.Domain, routes.Routes[0].Host, "the proxy routes the domain the add-on reports")
}

// TestSlowShutdownStepIsNamed: a Shutdown held past slowStep (here by a
// change of settings still in progress) says in the log which step held
// it, so that a Shutdown the host had to kill can be told apart.
func TestSlowShutdownStepIsNamed(t *testing.T) {
	t.Parallel()
	logs := &testkit.Buffer{}
	a := New(hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Info}))
	set := settingstest.Map(t, filepath.Join(t.TempDir(), "no-such-minio"), nil)
	_, err := a.Configure(context.Background(), shared.ConfigureRequest{Settings: set})
	require.NoError(t, err)

	a.conn.cfg.Lock() // what Configure holds while it applies a change
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := a.Shutdown(context.Background(), shared.ShutdownRequest{StopServices: true})
		assert.NoError(t, err)
	}()
	time.Sleep(slowStep + 200*time.Millisecond)
	a.conn.cfg.Unlock()
	<-done
	require.Contains(t, logs.String(), `a step of the shutdown was slow: step="wait for a change of settings in progress"`)
	require.NotContains(t, logs.String(), `step="stop MinIO"`, "a quick step is not named")
}
