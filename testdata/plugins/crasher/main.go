// Command crasher is a test plugin that fails on demand: it exits a while
// after Configure, or stops answering health pings, as its settings say.
// Its Health detail echoes its "label" setting, so a test sees which
// settings a process got.
// With CRASHER_NO_WATCHDOG=1 in its environment it serves without the
// parent watchdog of shared.Serve, to test the host's parent-death signal
// alone. A file "exit_at_start" in its folder makes it exit at once, and a
// file "hang_health" makes Health never answer: a bundle carrying one of
// them is a broken upgrade, whatever settings the host passes.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/quazzar/object-storage/shared"
)

type crasher struct {
	log   hclog.Logger
	hang  chan struct{}
	label string
}

func (c *crasher) Configure(ctx context.Context, req shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	if v := req.Settings["exit_after"]; v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return shared.ConfigureResponse{}, shared.FieldError("exit_after", "exit_after %q is not a duration like 2s", v)
		}
		code := 3
		if s := req.Settings["exit_code"]; s != "" {
			if code, err = strconv.Atoi(s); err != nil {
				return shared.ConfigureResponse{}, shared.FieldError("exit_code", "exit_code %q is not a number", s)
			}
		}
		time.AfterFunc(d, func() {
			c.log.Info("crashing on purpose", "after", d, "code", code)
			os.Exit(code)
		})
	}
	c.label = req.Settings["label"]
	if _, err := os.Stat("hang_health"); req.Settings["hang_health"] == "true" || err == nil {
		c.hang = make(chan struct{})
	}
	return shared.ConfigureResponse{}, nil
}

func (c *crasher) Health(ctx context.Context, req shared.HealthRequest) (shared.HealthResponse, error) {
	if c.hang != nil {
		<-c.hang // never closed: a plugin that stopped answering
	}
	return shared.HealthResponse{OK: true, Detail: fmt.Sprintf("label=%s", c.label)}, nil
}

func (c *crasher) Shutdown(ctx context.Context, req shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	return shared.ShutdownResponse{}, nil
}

func main() {
	log := hclog.New(&hclog.LoggerOptions{Name: "crasher", Output: os.Stderr, JSONFormat: true})
	if _, err := os.Stat("exit_at_start"); err == nil {
		log.Info("exiting at start on purpose")
		os.Exit(3)
	}
	impl := &crasher{log: log}
	if os.Getenv("CRASHER_NO_WATCHDOG") == "1" {
		plugin.Serve(&plugin.ServeConfig{HandshakeConfig: shared.Handshake, Plugins: shared.PluginMap(impl), Logger: log})
		return
	}
	shared.Serve(impl, log)
}
