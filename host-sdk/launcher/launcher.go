// Package launcher runs plugins for a host: it starts a plugin from its
// folder over go-plugin (checksum-verified, AutoMTLS), configures it, pings
// it, restarts it with backoff when it dies or stops answering, gives up
// after repeated failures, and shuts it down.
package launcher

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"net/rpc"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/quazzar/object-storage/host-sdk/manifest"
	"github.com/quazzar/object-storage/shared"
)

// State of a plugin as the host sees it.
type State string

const (
	StateStarting   State = "starting"
	StateRunning    State = "running"
	StateRestarting State = "restarting"
	// StateDegraded: the plugin runs and answers, but its Health says it
	// is not well (Reason is its detail); calls still reach it.
	StateDegraded State = "degraded"
	// StateFailed: the plugin could not be started, or failed too often;
	// the host no longer restarts it (Reason says why).
	StateFailed  State = "failed"
	StateStopped State = "stopped"
)

// Policy is how a plugin is started, watched and restarted. A zero field
// takes its value from DefaultPolicy.
type Policy struct {
	// StartTimeout bounds the start of the process up to its handshake.
	StartTimeout time.Duration
	// ConfigureTimeout bounds the Configure call that follows every start.
	ConfigureTimeout time.Duration
	// HealthInterval is the time between health pings.
	HealthInterval time.Duration
	// HealthTimeout is how long a ping may take before it counts as missed.
	HealthTimeout time.Duration
	// HealthMisses is how many pings in a row may be missed before the
	// plugin is restarted.
	HealthMisses int
	// MaxFailures failures within FailureWindow put the plugin in
	// StateFailed for good (Mattermost's policy: 3 within 60 minutes).
	MaxFailures   int
	FailureWindow time.Duration
	// BackoffMin is the wait before the first restart; it doubles with
	// each failure in the window, up to BackoffMax.
	BackoffMin time.Duration
	BackoffMax time.Duration
	// ShutdownTimeout bounds the Shutdown call before the process is killed.
	ShutdownTimeout time.Duration
}

// DefaultPolicy is the production policy.
func DefaultPolicy() Policy {
	return Policy{
		StartTimeout:     30 * time.Second,
		ConfigureTimeout: 2 * time.Minute,
		HealthInterval:   30 * time.Second,
		HealthTimeout:    5 * time.Second,
		HealthMisses:     3,
		MaxFailures:      3,
		FailureWindow:    60 * time.Minute,
		BackoffMin:       time.Second,
		BackoffMax:       30 * time.Second,
		ShutdownTimeout:  30 * time.Second,
	}
}

func (p Policy) withDefaults() Policy {
	d := DefaultPolicy()
	set := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	set(&p.StartTimeout, d.StartTimeout)
	set(&p.ConfigureTimeout, d.ConfigureTimeout)
	set(&p.HealthInterval, d.HealthInterval)
	set(&p.HealthTimeout, d.HealthTimeout)
	set(&p.FailureWindow, d.FailureWindow)
	set(&p.BackoffMin, d.BackoffMin)
	set(&p.BackoffMax, d.BackoffMax)
	set(&p.ShutdownTimeout, d.ShutdownTimeout)
	if p.HealthMisses <= 0 {
		p.HealthMisses = d.HealthMisses
	}
	if p.MaxFailures <= 0 {
		p.MaxFailures = d.MaxFailures
	}
	return p
}

// Options of one plugin.
type Options struct {
	// Logger is the host's logger; the plugin logs under a sub-logger
	// named after its id.
	Logger hclog.Logger
	Policy Policy
	// Settings are the host's values, overlaid on the manifest's defaults
	// and handed to the plugin by Configure after every start. A key the
	// manifest does not declare is refused.
	Settings map[string]string
	// DisableParentDeathSignal leaves out the kernel's parent-death signal,
	// so that only the plugin-side watchdog (shared.Serve) ends an orphaned
	// plugin. For tests of that watchdog; a host leaves it false.
	DisableParentDeathSignal bool
	// Services, when set, are served to the plugin over go-plugin's broker
	// (the reverse proxy, calls into other plugins), with the plugin's id
	// attached by the host.
	Services shared.HostAPIBackend
}

// Info is a snapshot of a plugin's supervision.
type Info struct {
	ID    string
	State State
	// Reason says why the plugin is restarting, failed or stopped.
	Reason string
	// Restarts counts restart attempts since the host loaded the plugin.
	Restarts int
	// PID of the running process, 0 when none.
	PID int
	// Since is when State last changed.
	Since time.Time
}

// Plugin is one supervised plugin.
type Plugin struct {
	dir    string
	man    manifest.Manifest
	log    hclog.Logger
	policy Policy
	pdeath bool
	// services are the host services offered to the plugin, or nil.
	services shared.HostAPIBackend

	ctx    context.Context // canceled by Stop
	cancel context.CancelFunc

	mu       sync.Mutex
	settings map[string]string
	state    State
	reason   string
	since    time.Time
	restarts int
	failures []time.Time
	cur      *instance
	started  bool
	stopped  bool
	changed  chan struct{}
	done     chan struct{} // closed when supervision ends
}

// instance is one process of a plugin.
type instance struct {
	gp      *plugin.Client
	cmd     *exec.Cmd
	client  *shared.PluginClient
	pid     int
	release chan struct{} // frees the thread that forked the process
	sockDir string        // the process's Unix socket folder
	once    sync.Once
}

// New reads and checks the plugin in dir (plugin.json and its executable)
// without starting it.
func New(dir string, opts Options) (*Plugin, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin folder %q: %w", dir, err)
	}
	m, err := manifest.Read(dir)
	if err != nil {
		return nil, err
	}
	if _, err := m.Overlay(opts.Settings); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Plugin{
		dir:      dir,
		man:      m,
		log:      log.Named(m.ID),
		policy:   opts.Policy.withDefaults(),
		pdeath:   !opts.DisableParentDeathSignal,
		services: opts.Services,
		ctx:      ctx,
		cancel:   cancel,
		settings: maps.Clone(opts.Settings),
		state:    StateStopped,
		since:    time.Now(),
		changed:  make(chan struct{}),
		done:     make(chan struct{}),
	}, nil
}

// ID is the plugin's id from its manifest.
func (p *Plugin) ID() string { return p.man.ID }

// Manifest is the plugin's checked manifest.
func (p *Plugin) Manifest() manifest.Manifest { return p.man }

// Dir is the plugin's folder.
func (p *Plugin) Dir() string { return p.dir }

// Info returns the plugin's state now.
func (p *Plugin) Info() Info {
	p.mu.Lock()
	defer p.mu.Unlock()
	info := Info{ID: p.man.ID, State: p.state, Reason: p.reason, Restarts: p.restarts, Since: p.since}
	if p.cur != nil {
		info.PID = p.cur.pid
	}
	return info
}

// Changed returns a channel closed at the next change of Info.
func (p *Plugin) Changed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.changed
}

func (p *Plugin) setStateLocked(s State, reason string) {
	p.state, p.reason, p.since = s, reason, time.Now()
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *Plugin) setState(s State, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.setStateLocked(s, reason)
}

// Client returns the client of the running process (running or
// degraded). Callers must not keep it across a restart: ask again, it
// changes. It fails with CodeUnavailable when the plugin is not running.
func (p *Plugin) Client() (*shared.PluginClient, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if (p.state != StateRunning && p.state != StateDegraded) || p.cur == nil {
		msg := fmt.Sprintf("plugin %s is %s", p.man.ID, p.state)
		if p.reason != "" {
			msg += ": " + p.reason
		}
		return nil, shared.Errorf(shared.CodeUnavailable, "%s", msg)
	}
	return p.cur.client, nil
}

// Start launches the plugin, configures it and supervises it until Stop.
// When the first launch fails the plugin is left in StateFailed with the
// reason, and the error says what went wrong; it is not retried.
func (p *Plugin) Start(ctx context.Context) error {
	p.mu.Lock()
	if p.started || p.stopped {
		p.mu.Unlock()
		return fmt.Errorf("plugin %s was already started", p.man.ID)
	}
	p.started = true
	p.setStateLocked(StateStarting, "")
	p.mu.Unlock()

	inst, err := p.spawn(ctx)
	if err != nil {
		p.mu.Lock()
		p.setStateLocked(StateFailed, err.Error())
		close(p.done)
		p.mu.Unlock()
		p.log.Error("plugin could not be started", "error", err)
		return err
	}
	p.mu.Lock()
	if p.stopped { // Stop raced with the first start
		p.mu.Unlock()
		p.discard(inst, true)
		close(p.done)
		return fmt.Errorf("plugin %s was stopped while starting", p.man.ID)
	}
	p.cur = inst
	p.setStateLocked(StateRunning, "")
	p.mu.Unlock()
	p.log.Info("plugin running", "pid", inst.pid, "version", p.man.Version)
	go p.supervise(inst)
	return nil
}

// spawn starts one process, dispenses its client and configures it.
func (p *Plugin) spawn(ctx context.Context) (*instance, error) {
	sum, err := p.man.Checksum()
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	values := maps.Clone(p.settings)
	p.mu.Unlock()
	settings, err := p.man.Overlay(values)
	if err != nil {
		return nil, err
	}

	// The plugin's Unix socket goes into a folder of its own, removed with
	// the process: a plugin that is killed cannot remove its socket, and
	// go-plugin would otherwise leave it in the system's temp folder.
	// A Unix socket path has at most 107 bytes: under a long $TMPDIR, fall
	// back to /tmp.
	base := os.TempDir()
	if len(base) > 48 {
		base = "/tmp"
	}
	sockDir, err := os.MkdirTemp(base, "cloudos-"+p.man.ID+"-")
	if err != nil {
		return nil, fmt.Errorf("socket folder for plugin %s: %w", p.man.ID, err)
	}
	cmd := exec.Command(p.man.ExecutablePath(p.dir))
	cmd.Dir = p.dir
	cmd.Env = []string{plugin.EnvUnixSocketDir + "=" + sockDir} // go-plugin adds the host's environment
	if p.pdeath {
		setParentDeathSignal(cmd)
	}
	inst := &instance{cmd: cmd, release: make(chan struct{}), sockDir: sockDir}
	inst.gp = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  shared.Handshake,
		Plugins:          shared.PluginMap(nil),
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AutoMTLS:         true,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolNetRPC},
		Logger:           p.log,
		StartTimeout:     p.policy.StartTimeout,
	})
	if err := startOnLockedThread(inst.gp, inst.release); err != nil {
		p.discard(inst, true)
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			// go-plugin checked the file just before exec and ran nothing;
			// check again only to say which checksums differ.
			if detail := p.man.VerifyExecutable(p.dir); errors.Is(detail, manifest.ErrChecksumMismatch) {
				return nil, fmt.Errorf("refused to start %w", detail)
			}
			return nil, fmt.Errorf("refused to start plugin %s: %w (%w)", p.man.ID, manifest.ErrChecksumMismatch, err)
		}
		return nil, fmt.Errorf("start plugin %s (%s): %w; the executable must be a Cloud OS plugin serving protocol %d through shared.Serve",
			p.man.ID, cmd.Path, err, shared.Handshake.ProtocolVersion)
	}
	inst.pid = cmd.Process.Pid
	rpcClient, err := inst.gp.Client()
	if err != nil {
		p.discard(inst, true)
		return nil, fmt.Errorf("connect to plugin %s: %w", p.man.ID, err)
	}
	raw, err := rpcClient.Dispense(shared.PluginName)
	if err != nil {
		p.discard(inst, true)
		return nil, fmt.Errorf("plugin %s does not serve %q: %w", p.man.ID, shared.PluginName, err)
	}
	client, ok := raw.(*shared.PluginClient)
	if !ok {
		p.discard(inst, true)
		return nil, fmt.Errorf("plugin %s: dispensed %T, want *shared.PluginClient", p.man.ID, raw)
	}
	inst.client = client

	req := shared.ConfigureRequest{Settings: settings}
	if p.services != nil {
		req.HostAPIStream = serveHostServices(client.Broker(), p.man.ID, p.services, p.log)
	}
	cctx, cancel := context.WithTimeout(ctx, p.policy.ConfigureTimeout)
	defer cancel()
	if _, err := client.Configure(cctx, req); err != nil {
		p.discard(inst, false)
		return nil, fmt.Errorf("plugin %s refused its settings: %w", p.man.ID, err)
	}
	return inst, nil
}

// serveHostServices serves the host's services to one plugin process on a
// new broker stream and returns its id, which Configure hands over. The
// server ends with the process's connection.
func serveHostServices(b *plugin.MuxBroker, id string, backend shared.HostAPIBackend, log hclog.Logger) uint32 {
	streamID := b.NextId()
	go func() {
		conn, err := b.Accept(streamID)
		if err != nil {
			log.Warn("plugin did not connect to the host services", "error", err)
			return
		}
		srv := rpc.NewServer()
		if err := srv.RegisterName("Host", shared.NewHostAPIServer(id, backend)); err != nil {
			log.Error("cannot serve host services", "error", err)
			conn.Close()
			return
		}
		srv.ServeConn(conn)
	}()
	return streamID
}

// startOnLockedThread starts the process from a goroutine locked to its OS
// thread, and keeps that thread until release is closed: Linux's
// parent-death signal fires when the forking thread exits, not the process,
// and the Go runtime may retire a thread at any time otherwise.
func startOnLockedThread(gp *plugin.Client, release <-chan struct{}) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		_, err := gp.Start()
		errc <- err
		if err == nil {
			<-release
		}
	}()
	return <-errc
}

// discard ends a process: force kills it first (for a plugin that stopped
// answering, whose graceful exit could hang), then lets go-plugin clean up.
func (p *Plugin) discard(inst *instance, force bool) {
	inst.once.Do(func() {
		if force && inst.cmd.Process != nil {
			_ = inst.cmd.Process.Kill()
		}
		inst.gp.Kill()
		close(inst.release)
		_ = os.RemoveAll(inst.sockDir)
	})
}

// supervise watches the running process and restarts it until Stop or
// until the plugin has failed too often.
func (p *Plugin) supervise(inst *instance) {
	defer close(p.done)
	for {
		reason := p.watch(inst)
		if reason == "" {
			return // Stop: it shuts the instance down
		}
		p.log.Warn("plugin failed", "pid", inst.pid, "reason", reason)
		p.discard(inst, true)
		p.mu.Lock()
		p.cur = nil
		p.mu.Unlock()
		for {
			if p.giveUp(reason) {
				return
			}
			next, err := p.spawn(p.ctx)
			if p.ctx.Err() != nil {
				if next != nil {
					p.discard(next, true)
				}
				return
			}
			if err == nil {
				inst = next
				p.mu.Lock()
				p.cur = inst
				p.setStateLocked(StateRunning, "")
				p.mu.Unlock()
				p.log.Info("plugin restarted", "pid", inst.pid)
				break
			}
			reason = "restart failed: " + err.Error()
			p.log.Warn("plugin restart failed", "error", err)
			if errors.Is(err, manifest.ErrChecksumMismatch) {
				p.setState(StateFailed, reason)
				return
			}
		}
	}
}

// afterFailure is the restart policy, a pure function: given the times of
// earlier failures, a new one at now, and the policy, it returns the
// failures still inside the window (now included), whether to give up,
// and otherwise how long to wait before the next start (doubling from
// BackoffMin with each failure in the window, capped at BackoffMax).
func afterFailure(failures []time.Time, now time.Time, pol Policy) (kept []time.Time, giveUp bool, wait time.Duration) {
	for _, t := range failures {
		if now.Sub(t) < pol.FailureWindow {
			kept = append(kept, t)
		}
	}
	kept = append(kept, now)
	n := len(kept)
	if n >= pol.MaxFailures {
		return kept, true, 0
	}
	wait = pol.BackoffMin << (n - 1)
	if wait > pol.BackoffMax || wait <= 0 {
		wait = pol.BackoffMax
	}
	return kept, false, wait
}

// giveUp records a failure; it sets StateFailed and returns true when the
// policy gives up, and otherwise waits the backoff in StateRestarting and
// returns false (true on Stop).
func (p *Plugin) giveUp(reason string) bool {
	p.mu.Lock()
	kept, stop, wait := afterFailure(p.failures, time.Now(), p.policy)
	p.failures = kept
	n := len(kept)
	if stop {
		p.setStateLocked(StateFailed, fmt.Sprintf("%s (failed %d times within %s; not restarted again)", reason, n, p.policy.FailureWindow))
		p.mu.Unlock()
		p.log.Error("plugin failed too often; giving up", "failures", n, "window", p.policy.FailureWindow, "reason", reason)
		return true
	}
	p.restarts++
	p.setStateLocked(StateRestarting, reason)
	p.mu.Unlock()

	p.log.Info("restarting plugin", "in", wait, "failures", n)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return false
	case <-p.ctx.Done():
		return true
	}
}

// exitPoll is how often a running process is checked for an exit.
const exitPoll = 100 * time.Millisecond

// watch returns why inst failed, or "" when Stop was called.
func (p *Plugin) watch(inst *instance) string {
	exitT := time.NewTicker(exitPoll)
	defer exitT.Stop()
	healthT := time.NewTicker(p.policy.HealthInterval)
	defer healthT.Stop()
	misses := 0
	for {
		select {
		case <-p.ctx.Done():
			return ""
		case <-exitT.C:
			if inst.gp.Exited() {
				return exitReason(inst)
			}
		case <-healthT.C:
			ctx, cancel := context.WithTimeout(p.ctx, p.policy.HealthTimeout)
			h, err := inst.client.Health(ctx, shared.HealthRequest{})
			cancel()
			if p.ctx.Err() != nil {
				return ""
			}
			if err == nil {
				misses = 0
				p.noteHealth(h)
				continue
			}
			if inst.gp.Exited() {
				return exitReason(inst)
			}
			misses++
			p.log.Warn("plugin missed a health ping", "pid", inst.pid, "misses", misses, "error", err)
			if misses >= p.policy.HealthMisses {
				return fmt.Sprintf("plugin stopped answering health pings (%d missed in a row): %v", misses, err)
			}
		}
	}
}

// noteHealth moves a running plugin to degraded when its Health answers
// not OK (with its detail as the reason), and back when it answers OK.
func (p *Plugin) noteHealth(h shared.HealthResponse) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !h.OK && (p.state != StateDegraded || p.reason != h.Detail):
		if p.state == StateRunning || p.state == StateDegraded {
			p.setStateLocked(StateDegraded, orDefault(h.Detail, "the plugin reports a problem without a detail"))
			p.log.Warn("plugin degraded", "detail", h.Detail)
		}
	case h.OK && p.state == StateDegraded:
		p.setStateLocked(StateRunning, "")
		p.log.Info("plugin healthy again")
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func exitReason(inst *instance) string {
	if st := inst.cmd.ProcessState; st != nil {
		return fmt.Sprintf("plugin process %d exited unexpectedly (%s)", inst.pid, st)
	}
	return fmt.Sprintf("plugin process %d exited unexpectedly", inst.pid)
}

// Settings are the host's setting values the plugin last accepted.
func (p *Plugin) Settings() map[string]string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.settings)
}

// Configure hands the plugin new settings (the host's values, overlaid on
// the manifest's defaults). They are kept for later restarts only when the
// plugin accepts them.
func (p *Plugin) Configure(ctx context.Context, req shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	values := req.Settings
	merged, err := p.man.Overlay(values)
	if err != nil {
		return shared.ConfigureResponse{}, err
	}
	client, err := p.Client()
	if err != nil {
		return shared.ConfigureResponse{}, err
	}
	req.Settings = merged
	resp, err := client.Configure(ctx, req)
	if err != nil {
		return resp, err
	}
	p.mu.Lock()
	p.settings = maps.Clone(values)
	p.mu.Unlock()
	return resp, nil
}

// Stop ends supervision, asks the plugin to shut down (StopServices: stop
// what it supervises too, for a host shutdown, uninstall or disable), then
// kills the process. It returns the Shutdown call's error, if any; the
// process is gone either way.
func (p *Plugin) Stop(ctx context.Context, stopServices bool) error {
	return p.StopWith(ctx, shared.ShutdownRequest{StopServices: stopServices})
}

// StopWith is Stop with the whole Shutdown request (Purge, for an
// uninstall the owner confirmed).
func (p *Plugin) StopWith(ctx context.Context, req shared.ShutdownRequest) error {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		<-p.done
		return nil
	}
	p.stopped = true
	started := p.started
	p.mu.Unlock()
	p.cancel()
	if !started {
		close(p.done)
	}
	<-p.done

	p.mu.Lock()
	inst := p.cur
	p.cur = nil
	p.mu.Unlock()
	var err error
	if inst != nil && !inst.gp.Exited() {
		sctx, cancel := context.WithTimeout(ctx, p.policy.ShutdownTimeout)
		_, err = inst.client.Shutdown(sctx, req)
		cancel()
		if err != nil {
			p.log.Warn("plugin shutdown failed; killing it", "pid", inst.pid, "error", err)
			err = fmt.Errorf("shut down plugin %s: %w", p.man.ID, err)
		}
		p.discard(inst, err != nil)
		p.log.Info("plugin stopped", "pid", inst.pid, "stop_services", req.StopServices, "purge", req.Purge)
	}
	p.mu.Lock()
	if p.state != StateFailed {
		p.setStateLocked(StateStopped, "stopped by the host")
	}
	p.mu.Unlock()
	return err
}
