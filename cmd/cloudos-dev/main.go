// Command cloudos-dev is the development host: it loads the plugins built
// by make build, gives the object-storage add-on folders under --state-dir
// and loopback addresses, prints its status and runs until Ctrl-C, which
// stops the plugins and the MinIO they supervise.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/quazzar/object-storage/host-sdk/devhost"
	"github.com/quazzar/object-storage/plugin/settings"
)

// addonID is the object-storage add-on's plugin id, whose settings the
// flags below set.
const addonID = "object-storage"

// addonFlags are the add-on's settings this command takes as flags.
type addonFlags struct {
	s3Address, consoleAddress, scannerSpeed, usageInterval, minioBinary string
	// dataDirs are MinIO's drives, comma-separated; empty: <state>/objects.
	dataDirs string
}

// addonSettings are the add-on's settings for a development host: its
// folders under the state folder (settings.UnderFolder), or the drives of
// --data-dirs, the flags' addresses and binary (relative paths made
// absolute: the add-on runs in its own folder). They are checked here, so
// a bad flag is named before anything starts.
func addonSettings(state string, f addonFlags) (map[string]string, error) {
	set, err := settings.UnderFolder(state)
	if err != nil {
		return nil, err
	}
	set.MinIOBinary = f.minioBinary
	if strings.ContainsRune(f.minioBinary, filepath.Separator) {
		if set.MinIOBinary, err = filepath.Abs(f.minioBinary); err != nil {
			return nil, fmt.Errorf("--minio-binary %q: %w", f.minioBinary, err)
		}
	}
	if f.dataDirs != "" {
		drives := settings.SplitList(f.dataDirs)
		for i, d := range drives {
			if drives[i], err = filepath.Abs(d); err != nil {
				return nil, fmt.Errorf("--data-dirs %q: %w", d, err)
			}
		}
		set = set.WithDrives(drives)
	}
	m := set.Map()
	m[settings.KeyS3Address] = f.s3Address
	m[settings.KeyConsoleAddress] = f.consoleAddress
	m[settings.KeyScannerSpeed] = f.scannerSpeed
	if f.usageInterval != "" {
		m[settings.KeyUsageInterval] = f.usageInterval
	}
	if _, err := settings.Parse(m); err != nil {
		return nil, err
	}
	return m, nil
}

// explicitSettings are the add-on's settings set by flags given on this
// command line: they override what the host stored.
func explicitSettings(all map[string]string) map[string]string {
	byFlag := map[string][]string{
		"state-dir":       {settings.KeyDataDir, settings.KeyDataDirs, settings.KeyEnvFile, settings.KeyStateDir},
		"data-dirs":       {settings.KeyDataDir, settings.KeyDataDirs},
		"s3-address":      {settings.KeyS3Address},
		"console-address": {settings.KeyConsoleAddress},
		"scanner-speed":   {settings.KeyScannerSpeed},
		"usage-interval":  {settings.KeyUsageInterval},
		"minio-binary":    {settings.KeyMinIOBinary},
	}
	out := map[string]string{}
	flag.Visit(func(f *flag.Flag) {
		for _, k := range byFlag[f.Name] {
			out[k] = all[k]
		}
	})
	return out
}

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "install" || os.Args[1] == "uninstall") {
		os.Exit(client(os.Args[1], os.Args[2:]))
	}
	cfg := devhost.DefaultConfig()
	af := addonFlags{s3Address: "127.0.0.1:9000", consoleAddress: "127.0.0.1:9001", minioBinary: "minio"}
	flag.StringVar(&cfg.Listen, "listen", cfg.Listen, "address the panel listens on (loopback)")
	flag.StringVar(&cfg.StateDir, "state-dir", cfg.StateDir, "folder for the host's state and the add-on's data (<state-dir>/objects), env file (<state-dir>/minio.env) and state (<state-dir>/object-storage)")
	flag.StringVar(&cfg.PluginsDir, "plugins", cfg.PluginsDir, "folder of plugin folders, each with plugin.json and its executable (make build writes bin/plugins)")
	flag.StringVar(&af.dataDirs, "data-dirs", af.dataDirs, "MinIO's drives, comma-separated, one mount point each (e.g. /mnt/d1,/mnt/d2,/mnt/d3,/mnt/d4); with 2 or more MinIO runs one erasure set across them; empty: one drive, <state-dir>/objects")
	flag.StringVar(&af.s3Address, "s3-address", af.s3Address, "address MinIO's S3 API listens on")
	flag.StringVar(&af.consoleAddress, "console-address", af.consoleAddress, "address MinIO's web console listens on")
	flag.StringVar(&af.scannerSpeed, "scanner-speed", af.scannerSpeed, "MinIO data-usage scanner speed: fastest, fast, default, slow, slowest (empty keeps MinIO's default)")
	flag.StringVar(&af.usageInterval, "usage-interval", af.usageInterval, "how often the add-on reads bucket usage, e.g. 30s (empty keeps the add-on's default)")
	flag.StringVar(&af.minioBinary, "minio-binary", af.minioBinary, "MinIO server binary: a path, or a name looked up on $PATH")
	flag.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "log level on stderr: trace, debug, info, warn or error (info shows MinIO's own log lines)")
	flag.StringVar(&cfg.ReverseProxyAdmin, "reverse-proxy-admin", cfg.ReverseProxyAdmin, "URL of Caddy's admin API, e.g. http://127.0.0.1:2019 (empty: the node has no reverse proxy, and Expose says so)")
	flag.StringVar(&cfg.ReverseProxyServer, "reverse-proxy-server", cfg.ReverseProxyServer, "Caddy HTTP server the routes go into (empty: the only server in Caddy's config)")
	flag.StringVar(&cfg.ReverseProxyTLSIssuer, "reverse-proxy-tls-issuer", cfg.ReverseProxyTLSIssuer, "certificate issuer for exposed domains: internal (Caddy's local CA) or empty (Caddy's automatic ACME, e.g. Let's Encrypt)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: cloudos-dev [flags]\n       cloudos-dev install [--listen addr] [--force] <bundle.tar.gz>\n       cloudos-dev uninstall [--listen addr] [--purge] <plugin-id>\n\nRuns a development Cloud OS host with the plugins under --plugins loaded,\nand serves the panel (Infra → Object Storage at /storage/objects; System →\nAdd-ons at /system/addons). It prints \"panel: <url>\" once the page answers\nand \"s3: <url>\" once MinIO is ready. install and uninstall talk to a running\nhost's API. The add-on's flags below are its settings the first time; later,\nthe values the host stored (the Settings form) are kept unless a flag is given.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	set, err := addonSettings(cfg.StateDir, af)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cloudos-dev:", err)
		os.Exit(2)
	}
	cfg.InitialSettings = map[string]map[string]string{addonID: set}
	cfg.Settings = map[string]map[string]string{addonID: explicitSettings(set)}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := devhost.Run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "cloudos-dev:", err)
		os.Exit(1)
	}
}
