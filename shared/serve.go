package shared

import (
	"context"
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// parentPollInterval is how often a plugin checks that its host is alive.
const parentPollInterval = 500 * time.Millisecond

// orphanShutdownTimeout bounds the Shutdown a plugin gives itself when its
// host is gone.
const orphanShutdownTimeout = 3 * time.Second

// Serve is what a plugin's main calls instead of plugin.Serve: it serves
// impl over go-plugin with this contract's handshake, and exits the process
// when the host that started it is gone, even if the host was SIGKILLed
// (go-plugin's net/rpc server does not notice). Before exiting, an impl that
// implements Lifecycle is told with Shutdown{StopServices: false}, so that
// the services it supervises keep running for its next process to adopt.
func Serve(impl any, log hclog.Logger) {
	go watchParent(os.Getppid(), impl, log)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         PluginMap(impl),
		Logger:          log,
	})
}

// watchParent exits the process once its parent pid is no longer parent:
// the host died and the process was re-parented (to init or a subreaper).
func watchParent(parent int, impl any, log hclog.Logger) {
	t := time.NewTicker(parentPollInterval)
	defer t.Stop()
	for range t.C {
		if now := os.Getppid(); now != parent {
			log.Warn("host process is gone; plugin exits", "host_pid", parent, "new_parent_pid", now)
			if lc, ok := impl.(Lifecycle); ok {
				ctx, cancel := context.WithTimeout(context.Background(), orphanShutdownTimeout)
				done := make(chan struct{})
				go func() {
					defer close(done)
					if _, err := lc.Shutdown(ctx, ShutdownRequest{}); err != nil {
						log.Warn("shutdown after host loss failed", "error", err)
					}
				}()
				select {
				case <-done:
				case <-ctx.Done():
				}
				cancel()
			}
			os.Exit(1)
		}
	}
}
