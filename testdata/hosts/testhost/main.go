// Command testhost is a minimal host for tests: it loads every plugin under
// -plugins, prints "plugin <id> pid <pid>" for each running one, and runs
// until killed. With -pdeathsig=false it leaves out the kernel's
// parent-death signal, so that a test sees the plugin-side watchdog alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/host-sdk/addons"
	"github.com/quazzar/object-storage/host-sdk/launcher"
)

func main() {
	plugins := flag.String("plugins", "", "folder of plugin folders")
	pdeathsig := flag.Bool("pdeathsig", true, "set the parent-death signal on plugin processes")
	stateDir := flag.String("state", "", "the host's state folder (default: a temporary one, removed on exit)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	state := *stateDir
	if state == "" {
		tmp, err := os.MkdirTemp("", "testhost-state-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "testhost:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(tmp)
		state = tmp
	}
	host, err := addons.New(addons.Options{
		PluginsDir:               *plugins,
		StateDir:                 state,
		Logger:                   hclog.New(&hclog.LoggerOptions{Name: "testhost", Output: os.Stderr}),
		Policy:                   launcher.DefaultPolicy(),
		DisableParentDeathSignal: !*pdeathsig,
	})
	if err == nil {
		err = host.Start(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testhost:", err)
		os.Exit(1)
	}
	for _, info := range host.List() {
		fmt.Printf("plugin %s pid %d\n", info.ID, info.PID)
	}
	fmt.Println("ready")
	<-ctx.Done()
	_ = host.Shutdown(context.Background(), true)
}
