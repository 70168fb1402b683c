// Package devhost is the development host: it loads a folder of plugins
// with the settings it is given for each, serves the panel and the host's
// API to plugins on the loopback, and stops everything on exit. It knows
// capabilities (storage, page), never a particular plugin.
package devhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/host-sdk/addons"
	"github.com/quazzar/object-storage/host-sdk/hostapi"
	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/host-sdk/reverseproxy"
	"github.com/quazzar/object-storage/shared"
)

// Config of the development host.
type Config struct {
	// Listen is the panel's address.
	Listen string
	// StateDir is the host's own folder (created 0700).
	StateDir string
	// PluginsDir is a folder of plugin folders (plugin.json + executable).
	PluginsDir string
	// InitialSettings are a plugin's setting values, by plugin id, when
	// the host has none stored for it yet; later starts use the stored
	// ones (the Settings form changes them).
	InitialSettings map[string]map[string]string
	// Settings override the stored values at every start, by plugin id.
	Settings map[string]map[string]string
	// UpgradeDeadline and CallWait: see addons.Options.
	UpgradeDeadline time.Duration
	CallWait        time.Duration
	// ReverseProxyAdmin is the URL of Caddy's admin API; empty: the node
	// has no reverse proxy.
	ReverseProxyAdmin string
	// ReverseProxyServer names the Caddy HTTP server routes go into; empty:
	// the only one.
	ReverseProxyServer string
	// ReverseProxyTLSIssuer is "internal" (Caddy's local CA, for
	// development) or "" (Caddy's automatic ACME certificates).
	ReverseProxyTLSIssuer string

	// LogLevel of the host's log on stderr when Logger is nil (plugins'
	// lines go through it too).
	LogLevel string
	Logger   hclog.Logger
	// Out receives the status lines meant for the developer (stdout).
	Out    io.Writer
	Policy launcher.Policy
}

// DefaultConfig is what a development host runs with when given nothing.
func DefaultConfig() Config {
	return Config{
		Listen:                "127.0.0.1:8080",
		StateDir:              ".state",
		PluginsDir:            filepath.Join("bin", "plugins"),
		ReverseProxyTLSIssuer: reverseproxy.TLSIssuerInternal,
		LogLevel:              "warn",
	}
}

// Server is a running development host. Addons is exported so that tests
// and commands can reach the plugins.
type Server struct {
	cfg    Config
	log    hclog.Logger
	out    io.Writer
	Addons *addons.Manager

	panel    *panel.Handler
	http     *http.Server
	listener net.Listener
	printed  chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
}

// New prepares the host: it creates the state folder (0700) and checks the
// configuration. Nothing is started yet.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		level := hclog.Info
		if cfg.LogLevel != "" {
			level = hclog.LevelFromString(cfg.LogLevel)
		}
		if level == hclog.NoLevel {
			return nil, fmt.Errorf("--log-level %q: use trace, debug, info, warn or error", cfg.LogLevel)
		}
		cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "cloudos-dev", Output: os.Stderr, Level: level})
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if err := checkLoopback(cfg.Listen); err != nil {
		return nil, err
	}
	if cfg.PluginsDir == "" {
		return nil, errors.New("no plugins folder given: pass --plugins (make build writes bin/plugins)")
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state folder: %w", err)
	}
	var proxy shared.ReverseProxy
	if cfg.ReverseProxyAdmin != "" {
		caddy, err := reverseproxy.New(reverseproxy.Config{
			AdminURL: cfg.ReverseProxyAdmin, Server: cfg.ReverseProxyServer,
			TLSIssuer: cfg.ReverseProxyTLSIssuer, Logger: cfg.Logger.Named("reverse-proxy"),
		})
		if err != nil {
			return nil, fmt.Errorf("--reverse-proxy-admin: %w", err)
		}
		proxy = caddy
	}
	services := hostapi.New(proxy, nil)
	mgr, err := addons.New(addons.Options{
		PluginsDir:      cfg.PluginsDir,
		StateDir:        cfg.StateDir,
		Logger:          cfg.Logger,
		Policy:          cfg.Policy,
		Services:        services,
		InitialSettings: cfg.InitialSettings,
		Settings:        cfg.Settings,
		UpgradeDeadline: cfg.UpgradeDeadline,
		CallWait:        cfg.CallWait,
	})
	if err != nil {
		return nil, err
	}
	services.SetPlugins(mgr)
	ph, err := panel.New(registry{mgr}, panel.Options{Logger: cfg.Logger.Named("panel")})
	if err != nil {
		return nil, err
	}
	addons.Register(ph, mgr)
	return &Server{cfg: cfg, log: cfg.Logger, out: cfg.Out, Addons: mgr, panel: ph, printed: make(chan struct{}), stop: make(chan struct{})}, nil
}

// checkLoopback refuses a panel address that is not on the loopback: the
// development panel has no login.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w; use host:port such as 127.0.0.1:8080", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("--listen %q: the development panel has no login, so it only listens on a loopback address such as 127.0.0.1:8080", addr)
}

// Handler is the panel: HTML pages and the JSON API.
func (s *Server) Handler() http.Handler { return s.panel }

// PanelURL is the panel's base URL once Start has bound the listener.
func (s *Server) PanelURL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// Ready is closed once the "panel:" and "s3:" lines are printed.
func (s *Server) Ready() <-chan struct{} { return s.printed }

// Start loads every plugin, prints one status line per plugin and serves
// the panel. A plugin that fails is printed and logged, not fatal; an
// empty plugins folder is a host with no plugin, ready for an install.
func (s *Server) Start(ctx context.Context) error {
	if _, err := os.Stat(s.cfg.PluginsDir); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(s.out, "no plugins folder %s: starting with no plugin\n", s.cfg.PluginsDir)
	}
	if err := s.Addons.Start(ctx); err != nil {
		s.log.Error("some plugins did not start", "error", err)
	}
	plugins := s.Addons.Plugins()
	for _, a := range s.Addons.List() {
		fmt.Fprintln(s.out, s.statusLine(ctx, a))
	}
	if len(s.Addons.List()) == 0 {
		fmt.Fprintf(s.out, "no plugin under %s: run make build, or install a bundle\n", s.cfg.PluginsDir)
	}
	l, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("panel address %s: %w (pass --listen with a free address)", s.cfg.Listen, err)
	}
	s.listener = l
	s.http = &http.Server{Handler: s.panel, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := s.http.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("panel stopped", "error", err)
		}
	}()
	go s.announce(plugins)
	return nil
}

// landing is the page the "panel:" line points at: the page of the first
// storage provider, else the first page, else the home page.
func landing(plugins []*launcher.Plugin) string {
	route := "/"
	for _, p := range plugins {
		m := p.Manifest()
		if m.Page == nil || !m.Offers(manifest.ProvidesPage) {
			continue
		}
		if m.Offers(manifest.ProvidesStorage) {
			return m.Page.Route
		}
		if route == "/" {
			route = m.Page.Route
		}
	}
	return route
}

// announce prints "panel: <url>" once the page answers, then, for each
// storage provider, "s3: <url>" and "console: <url>" once its object
// server runs, for people and scripts.
func (s *Server) announce(plugins []*launcher.Plugin) {
	defer close(s.printed)
	pageURL := s.PanelURL() + landing(plugins)
	hc := &http.Client{Timeout: 5 * time.Second}
	for {
		resp, err := hc.Get(pageURL)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if s.stopping() {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Fprintln(s.out, "panel: "+pageURL)
	for _, p := range plugins {
		if p.Manifest().Offers(manifest.ProvidesStorage) {
			s.announceStorage(p)
		}
	}
}

// announceStorage prints a storage provider's endpoints once its object
// server runs, and why not when it cannot (not installed, failed).
func (s *Server) announceStorage(p *launcher.Plugin) {
	told := false
	for {
		if c, err := p.Client(); err == nil {
			st, err := c.Status(context.Background(), shared.StatusRequest{})
			if err == nil && st.State == shared.StateRunning {
				fmt.Fprintln(s.out, "s3: http://"+st.S3Address)
				fmt.Fprintln(s.out, "console: http://"+st.ConsoleAddress)
				return
			}
			if err == nil && !told && (st.State == shared.StateNotInstalled || st.State == shared.StateFailed) {
				told = true
				line := fmt.Sprintf("%s: object server %s: %s", p.ID(), st.State, st.Message)
				if st.InstallCommand != "" {
					line += "; install with: " + st.InstallCommand
				}
				fmt.Fprintln(s.out, line)
			}
		}
		if s.stopping() {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func (s *Server) stopping() bool {
	select {
	case <-s.done():
		return true
	default:
		return false
	}
}

// statusLine describes a plugin and, for a storage provider, its server.
func (s *Server) statusLine(ctx context.Context, a addons.Info) string {
	line := fmt.Sprintf("plugin %s %s: %s", a.ID, a.Version, a.State)
	if a.PID != 0 {
		line += fmt.Sprintf(", pid %d", a.PID)
	}
	if a.Reason != "" {
		line += ": " + a.Reason
	}
	p, ok := s.Addons.Plugin(a.ID)
	if !ok || (a.State != launcher.StateRunning && a.State != launcher.StateDegraded) || !p.Manifest().Offers(manifest.ProvidesStorage) {
		return line
	}
	client, err := p.Client()
	if err != nil {
		return line + "; status unknown: " + err.Error()
	}
	st, err := client.Status(ctx, shared.StatusRequest{})
	if err != nil {
		return line + "; status unknown: " + err.Error()
	}
	line += fmt.Sprintf("; object server %s, S3 http://%s, console http://%s", st.State, st.S3Address, st.ConsoleAddress)
	if st.Message != "" {
		line += " (" + st.Message + ")"
	}
	if st.InstallCommand != "" {
		line += "; install with: " + st.InstallCommand
	}
	return line
}

// Shutdown stops every plugin, telling them to stop the services they
// supervise (a development host owns its MinIO), and kills them.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	var errs []error
	if s.http != nil {
		errs = append(errs, s.http.Shutdown(ctx))
	}
	errs = append(errs, s.Addons.Shutdown(ctx, true))
	return errors.Join(errs...)
}

func (s *Server) done() <-chan struct{} { return s.stop }

// Run starts the host, waits until ctx is done (the command cancels it on
// SIGINT/SIGTERM), then shuts it down.
func Run(ctx context.Context, cfg Config) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	if err := s.Start(ctx); err != nil {
		return errors.Join(err, s.Shutdown(context.Background()))
	}
	fmt.Fprintln(s.out, "ready; press Ctrl-C to stop")
	<-ctx.Done()
	fmt.Fprintln(s.out, "stopping plugins")
	return s.Shutdown(context.Background())
}
