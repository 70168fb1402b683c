// Command cloudos-dev is the development host: it loads the plugins built
// by make build, configures the object-storage add-on with folders under
// --state-dir and loopback addresses, prints its status and runs until
// Ctrl-C, which stops the plugins and the MinIO they supervise.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/quazzar/object-storage/host-sdk/devhost"
)

func main() {
	cfg := devhost.DefaultConfig()
	flag.StringVar(&cfg.Listen, "listen", cfg.Listen, "address the panel listens on (loopback)")
	flag.StringVar(&cfg.StateDir, "state-dir", cfg.StateDir, "folder for the add-on's data (<state-dir>/objects), env file (<state-dir>/minio.env) and state (<state-dir>/object-storage)")
	flag.StringVar(&cfg.PluginsDir, "plugins", cfg.PluginsDir, "folder of plugin folders, each with plugin.json and its executable (make build writes bin/plugins)")
	flag.StringVar(&cfg.S3Address, "s3-address", cfg.S3Address, "address MinIO's S3 API listens on")
	flag.StringVar(&cfg.ConsoleAddress, "console-address", cfg.ConsoleAddress, "address MinIO's web console listens on")
	flag.StringVar(&cfg.ScannerSpeed, "scanner-speed", cfg.ScannerSpeed, "MinIO data-usage scanner speed: fastest, fast, default, slow, slowest (empty keeps MinIO's default)")
	flag.StringVar(&cfg.MinIOBinary, "minio-binary", cfg.MinIOBinary, "MinIO server binary: a path, or a name looked up on $PATH")
	flag.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level on stderr: trace, debug, info, warn or error (info shows MinIO's own log lines)")
	flag.StringVar(&cfg.ReverseProxyAdmin, "reverse-proxy-admin", cfg.ReverseProxyAdmin, "URL of Caddy's admin API, e.g. http://127.0.0.1:2019 (empty: the node has no reverse proxy, and Expose says so)")
	flag.StringVar(&cfg.ReverseProxyServer, "reverse-proxy-server", cfg.ReverseProxyServer, "Caddy HTTP server the routes go into (empty: the only server in Caddy's config)")
	flag.StringVar(&cfg.ReverseProxyTLSIssuer, "reverse-proxy-tls-issuer", cfg.ReverseProxyTLSIssuer, "certificate issuer for exposed domains: internal (Caddy's local CA) or empty (Caddy's automatic ACME, e.g. Let's Encrypt)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: cloudos-dev [flags]\n\nRuns a development Cloud OS host with the plugins under --plugins loaded,\nand serves the panel (Infra → Object Storage at /storage/objects).\nIt prints \"panel: <url>\" once the page answers and \"s3: <url>\" once MinIO is ready.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := devhost.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "cloudos-dev:", err)
		os.Exit(1)
	}
}
