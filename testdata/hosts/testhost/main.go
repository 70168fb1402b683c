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

	"github.com/quazzar/object-storage/host-sdk/launcher"
)

func main() {
	plugins := flag.String("plugins", "", "folder of plugin folders")
	pdeathsig := flag.Bool("pdeathsig", true, "set the parent-death signal on plugin processes")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	host := launcher.NewHost(launcher.HostOptions{
		Logger:                   hclog.New(&hclog.LoggerOptions{Name: "testhost", Output: os.Stderr}),
		DisableParentDeathSignal: !*pdeathsig,
	})
	if err := host.LoadAll(ctx, *plugins); err != nil {
		fmt.Fprintln(os.Stderr, "testhost:", err)
		os.Exit(1)
	}
	for _, p := range host.Plugins() {
		info := p.Info()
		fmt.Printf("plugin %s pid %d\n", info.ID, info.PID)
	}
	fmt.Println("ready")
	<-ctx.Done()
	_ = host.Shutdown(context.Background(), true)
}
