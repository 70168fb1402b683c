// Package supervisor owns the MinIO server process: it starts MinIO in its
// own session with credentials from the env file, watches and restarts it,
// adopts a MinIO left running by an earlier add-on process, and stops it
// only when asked.
//
// The data path never depends on the supervisor: MinIO's output goes to a
// file, not a pipe, and it runs in its own session, so it keeps serving S3
// when the add-on crashes or is upgraded. The pid, start time, binary and
// data dir recorded in the state file let the next add-on process adopt it
// after checking it is the very same process.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// Options tune the supervisor. Zero fields take the defaults below.
type Options struct {
	// ReadyTimeout is how long a start may take to answer
	// /minio/health/cluster with 200 before it is failed (default 60s).
	ReadyTimeout time.Duration
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL
	// (default 10s).
	StopGrace time.Duration
	// BackoffMin and BackoffMax bound the delay before restarting a crashed
	// MinIO; it doubles with each crash in the window (default 1s..30s).
	BackoffMin, BackoffMax time.Duration
	// CrashLoopCount crashes within CrashLoopWindow end in state failed
	// (default 5 within 5m).
	CrashLoopCount  int
	CrashLoopWindow time.Duration
	// HealthInterval is how often a running MinIO is probed; three failed
	// probes in a row make it degraded (default 5s).
	HealthInterval time.Duration
	// LogMaxBytes caps MinIO's log file; past it the file is moved to
	// minio.log.1 (one old file kept) (default 10 MiB).
	LogMaxBytes int64
	// ClusterEnv, when set, gives more MINIO_ variables to a cluster's
	// MinIO, from its layout and root credentials. They must be the same
	// on every node: MinIO compares them before forming a pool.
	ClusterEnv func(layout.Layout, envfile.Credentials) []string
}

// Option changes one of the Options.
type Option func(*Options)

// WithOptions sets every non-zero field of o.
func WithOptions(o Options) Option {
	return func(d *Options) {
		override(&d.ReadyTimeout, o.ReadyTimeout)
		override(&d.StopGrace, o.StopGrace)
		override(&d.BackoffMin, o.BackoffMin)
		override(&d.BackoffMax, o.BackoffMax)
		override(&d.CrashLoopCount, o.CrashLoopCount)
		override(&d.CrashLoopWindow, o.CrashLoopWindow)
		override(&d.HealthInterval, o.HealthInterval)
		override(&d.LogMaxBytes, o.LogMaxBytes)
		if o.ClusterEnv != nil {
			d.ClusterEnv = o.ClusterEnv
		}
	}
}

// override sets *dst to v when v is positive.
func override[T int | int64 | time.Duration](dst *T, v T) {
	if v > 0 {
		*dst = v
	}
}

// DefaultOptions are the production values.
func DefaultOptions() Options {
	return Options{
		ReadyTimeout:    60 * time.Second,
		StopGrace:       10 * time.Second,
		BackoffMin:      time.Second,
		BackoffMax:      30 * time.Second,
		CrashLoopCount:  5,
		CrashLoopWindow: 5 * time.Minute,
		HealthInterval:  5 * time.Second,
		LogMaxBytes:     10 << 20,
	}
}

// Supervisor owns one MinIO server. All methods are safe for concurrent
// use; Status, Credentials and Settings always answer at once, whatever
// state MinIO is in.
type Supervisor struct {
	log    hclog.Logger
	opts   Options
	client *http.Client

	// ctl serialises Start, Stop, Detach and Restart.
	ctl sync.Mutex

	mu  sync.Mutex
	set settings.Settings
	// lay is the drive layout of the MinIO supervised (zero before Start).
	lay      layout.Layout
	first    *outcome
	creds    envfile.Credentials
	binary   string
	st       shared.Status
	cur      *proc
	lock     *os.File
	tail     *logTail
	cancel   context.CancelFunc
	loopDone chan struct{}
	crashes  []time.Time
	// startup is how long the last launched MinIO took to be ready.
	startup time.Duration
}

// outcome is the first result of a supervision loop: nil once MinIO is
// ready, or why it is not. done is closed once err is set.
type outcome struct {
	done chan struct{}
	err  error
}

// New returns a supervisor for the given settings, in state stopped.
// Nothing happens until Start.
func New(s settings.Settings, log hclog.Logger, opts ...Option) *Supervisor {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	o := DefaultOptions()
	for _, f := range opts {
		f(&o)
	}
	return &Supervisor{
		log:    log.Named("supervisor"),
		opts:   o,
		client: &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		set:    s,
		st: shared.Status{State: shared.StateStopped, Message: "MinIO has not been started",
			S3Address: s.S3Address, ConsoleAddress: s.ConsoleAddress},
	}
}

// Settings returns the settings the supervisor works with.
func (s *Supervisor) Settings() settings.Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.set
}

// Layout returns the drive layout of the MinIO supervised (zero before
// Start has read it).
func (s *Supervisor) Layout() layout.Layout {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lay
}

// Credentials returns MinIO's root credentials, known once Start has read
// or created the env file (zero before). Never log them.
func (s *Supervisor) Credentials() envfile.Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creds
}

// StartupTime is how long MinIO took from launch to ready at its last
// start by this supervisor (0 when it was adopted): what a restart costs.
func (s *Supervisor) StartupTime() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startup
}

// LogFile is the path of MinIO's own log file.
func (s *Supervisor) LogFile() string {
	return filepath.Join(s.Settings().StateDir, LogFileName)
}

// Status reports the state of MinIO as the supervisor sees it.
func (s *Supervisor) Status() shared.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.S3Address, st.ConsoleAddress = s.set.S3Address, s.set.ConsoleAddress
	if st.PID != 0 && !st.StartedAt.IsZero() {
		st.UptimeSeconds = int64(time.Since(st.StartedAt).Seconds())
	}
	return st
}

func (s *Supervisor) update(f func(st *shared.Status)) {
	s.mu.Lock()
	f(&s.st)
	s.mu.Unlock()
}

// fail records a failure in the status and returns it as an error.
func (s *Supervisor) fail(state shared.ServerState, err error) error {
	msg := err.Error()
	s.update(func(st *shared.Status) {
		st.State, st.Message, st.LastError = state, msg, msg
		st.PID, st.StartedAt, st.Adopted, st.WaitingFor = 0, time.Time{}, false, nil
	})
	s.log.Error("MinIO is not running", "state", state, "reason", msg)
	return err
}

// Start brings MinIO up: it adopts the MinIO recorded in the state file
// when that is still the same process, and starts a new one otherwise. It
// returns once MinIO is ready (state running), or with an error when it
// cannot be (state not_installed or failed, with the reason in the status);
// if ctx ends first, Start returns ctx's error and MinIO keeps starting in
// the background. Start on a supervisor that already supervises MinIO
// (running, restarting after a crash, or a cluster's MinIO waiting for its
// other nodes) waits for that MinIO's first outcome; after a failure it
// starts afresh (restart count and crash window reset).
//
// MinIO is not started on drives other than those it was set up with
// (package layout): a changed list fails with the reason, and an
// expansion waits for Expand.
func (s *Supervisor) Start(ctx context.Context) error {
	s.ctl.Lock()
	first, err := s.start()
	s.ctl.Unlock()
	if err != nil {
		return err
	}
	return first.wait(ctx)
}

// wait returns the outcome once known, or ctx's error first.
func (o *outcome) wait(ctx context.Context) error {
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return fmt.Errorf("MinIO is still starting: %w", ctx.Err())
	}
}

// start does Start's work up to launching or adopting, and returns the
// loop's first outcome (nil once ready).
func (s *Supervisor) start() (*outcome, error) {
	s.mu.Lock()
	current := s.first
	running := s.cancel != nil
	set := s.set
	s.mu.Unlock()
	if running {
		return current, nil
	}
	s.update(func(st *shared.Status) {
		*st = shared.Status{State: shared.StateStarting, Message: "checking the MinIO binary"}
	})
	s.mu.Lock()
	s.crashes = nil
	s.mu.Unlock()

	bin, err := set.ResolveBinary()
	if err != nil {
		msg := fmt.Sprintf("MinIO is not installed (%v); install it with: %s, or set %s to its path", err, settings.InstallCommand, settings.KeyMinIOBinary)
		s.update(func(st *shared.Status) {
			st.State, st.Message, st.InstallCommand, st.LastError = shared.StateNotInstalled, msg, settings.InstallCommand, msg
		})
		s.log.Warn("MinIO binary not found", "binary", set.MinIOBinary, "install", settings.InstallCommand)
		return nil, shared.Errorf(shared.CodeUnavailable, "%s", msg)
	}
	s.mu.Lock()
	s.binary = bin
	s.mu.Unlock()
	s.fillVersion(bin)

	if err := os.MkdirAll(set.StateDir, 0o700); err != nil {
		return nil, s.fail(shared.StateFailed, fmt.Errorf("create state dir %s: %w", set.StateDir, err))
	}
	if s.lock == nil {
		lock, err := acquireLock(set.StateDir, set.DataDir)
		if err != nil {
			return nil, s.fail(shared.StateFailed, err)
		}
		s.lock = lock
	}
	lay, recorded, err := resolveLayout(set)
	if err != nil {
		return nil, s.fail(shared.StateFailed, err)
	}
	s.mu.Lock()
	s.lay = lay
	s.mu.Unlock()
	if err := s.prepareDrives(lay); err != nil {
		return nil, s.fail(shared.StateFailed, err)
	}
	creds, _, err := envfile.EnsureDrives(set.EnvFile, lay.Local(), s.log)
	if err != nil {
		return nil, s.fail(shared.StateFailed, err)
	}
	s.mu.Lock()
	s.creds = creds
	s.mu.Unlock()

	p, err := s.adoptOrClear(set, bin, lay)
	if err != nil {
		return nil, s.fail(shared.StateFailed, err)
	}
	if !recorded {
		if err := layout.Write(set.StateDir, lay); err != nil {
			return nil, s.fail(shared.StateFailed, fmt.Errorf("record the drive layout: %w", err))
		}
		s.log.Info("recorded the drive layout MinIO is set up with", "drives", strings.Join(lay.Local(), ","))
	}
	logPath := filepath.Join(set.StateDir, LogFileName)
	if p == nil {
		if err := checkAddresses(set); err != nil {
			return nil, s.fail(shared.StateFailed, err)
		}
		if p, err = s.launch(set, bin, lay, 0); err != nil {
			return nil, s.fail(shared.StateFailed, err)
		}
	} else {
		s.startTail(logPath, fileSize(logPath))
	}
	first := &outcome{done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	s.mu.Lock()
	s.cancel, s.loopDone, s.first = cancel, done, first
	s.mu.Unlock()
	go func() {
		defer close(done)
		s.loop(ctx, set, bin, lay, p, first)
	}()
	return first, nil
}

func (s *Supervisor) ensureDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data dir %s: %w", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("check data dir %s: %w", dir, err)
	}
	if !st.IsDir() {
		return shared.Errorf(shared.CodeInvalidArgument, "data dir %s is not a folder", dir)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("tighten data dir %s from mode %#o to 0700: %w", dir, perm, err)
		}
		s.log.Warn("data dir permissions were too loose (MinIO keeps access-key secrets there); tightened to 0700",
			"path", dir, "was", fmt.Sprintf("%#o", perm))
	}
	return nil
}

// adoptOrClear looks at the state file. It returns the recorded MinIO when
// it is the same process and runs with the current settings. A process
// that is ours but stale (other addresses or region, or its binary was
// replaced) is stopped. Anything else recorded is left alone, unsignalled.
func (s *Supervisor) adoptOrClear(set settings.Settings, bin string, lay layout.Layout) (*proc, error) {
	rec, ok, err := ReadRecord(set.StateDir)
	if err != nil {
		s.log.Warn("ignoring unreadable state file", "error", err)
		return nil, removeRecord(set.StateDir)
	}
	if !ok {
		return nil, nil
	}
	info, err := readProc(rec.PID)
	sameArgs := slices.Contains(info.Args, rec.DataDir) // a record of before the layout
	if rec.Args != nil {
		sameArgs = len(info.Args) > 0 && slices.Equal(info.Args[1:], rec.Args)
	}
	ours := err == nil && info.alive() && rec.StartTicks != 0 && info.StartTicks == rec.StartTicks &&
		info.Exe != "" && sameFile(info.Exe, rec.Binary) && sameArgs && sameFile(rec.DataDir, set.DataDir)
	if !ours {
		s.log.Info("state file names a process that is not our MinIO any more (gone, or its pid reused); leaving it alone",
			"pid", rec.PID)
		return nil, removeRecord(set.StateDir)
	}
	p := adopt(rec.PID, rec.StartTicks, rec.StartedAt, adoptPoll)
	current := !info.ExeDeleted && sameFile(rec.Binary, bin) &&
		rec.S3Address == set.S3Address && rec.ConsoleAddress == set.ConsoleAddress && rec.Region == set.Region &&
		slices.Equal(info.Args[1:], minioArgs(set, lay)) && (rec.Args == nil || slices.Equal(rec.Endpoints, lay.Endpoints()))
	if !current {
		s.log.Info("the running MinIO was started with other settings, drives or binary; restarting it",
			"pid", rec.PID, "binary", rec.Binary, "s3_address", rec.S3Address, "region", rec.Region)
		err := p.terminate(context.Background(), s.opts.StopGrace)
		p.unwatch()
		if err != nil {
			return nil, err
		}
		return nil, removeRecord(set.StateDir)
	}
	s.log.Info("adopting the running MinIO", "pid", rec.PID, "started_at", rec.StartedAt)
	s.mu.Lock()
	s.cur = p
	s.st.PID, s.st.StartedAt, s.st.Adopted, s.st.Restarts = p.pid, p.startedAt, true, rec.Restarts
	s.st.Message = "adopted the running MinIO; waiting for it to answer"
	s.mu.Unlock()
	return p, nil
}

// checkAddresses makes sure nobody listens on the S3 and console
// addresses, so a taken port is reported once instead of crash-looping.
func checkAddresses(set settings.Settings) error {
	for _, a := range []struct{ key, addr string }{
		{settings.KeyS3Address, set.S3Address}, {settings.KeyConsoleAddress, set.ConsoleAddress},
	} {
		l, err := net.Listen("tcp", a.addr)
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return shared.Errorf(shared.CodeUnavailable,
					"%s is in use by another process; stop that process or change setting %s", a.addr, a.key)
			}
			return shared.Errorf(shared.CodeUnavailable, "cannot listen on %s (setting %s): %w", a.addr, a.key, err)
		}
		_ = l.Close()
	}
	return nil
}

// minioEnv is the add-on's environment without any MINIO_ variable (so that
// no credential or stray setting reaches MinIO from it), plus the env file,
// the region and no update checks. Credentials are only in the env file.
//
// A cluster's MinIO names the env file by a path that is the same on
// every node (ClusterEnvPath, a link in its working folder): the nodes of
// a pool compare every MINIO_ variable before they form it, and refuse
// each other ("Mismatching environment values: [MINIO_CONFIG_ENV_FILE]")
// when the env files are at different paths.
func minioEnv(set settings.Settings, lay layout.Layout, extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MINIO_") {
			env = append(env, kv)
		}
	}
	envFile := set.EnvFile
	if lay.Distributed() {
		envFile = ClusterEnvPath
	}
	env = append(env,
		"MINIO_CONFIG_ENV_FILE="+envFile,
		"MINIO_SITE_REGION="+set.Region,
		"MINIO_UPDATE=off",
	)
	return append(env, extra...)
}

// minioArgs is MinIO's command line: addresses, a certs dir of its own (so
// no stray certificate in $HOME turns TLS on), and the drives last (one
// pool), or the pools file (several).
func minioArgs(set settings.Settings, lay layout.Layout) []string {
	drives, _ := lay.Command(filepath.Join(set.StateDir, PoolsFileName))
	return append([]string{"server",
		"--address", set.S3Address,
		"--console-address", set.ConsoleAddress,
		"--certs-dir", filepath.Join(set.StateDir, "certs")},
		drives...)
}

// launch starts a new MinIO, records it in the state file and starts
// forwarding its log.
func (s *Supervisor) launch(set settings.Settings, bin string, lay layout.Layout, restarts int) (*proc, error) {
	logPath := filepath.Join(set.StateDir, LogFileName)
	from := fileSize(logPath)
	if err := writeLaunchFiles(set, lay); err != nil {
		return nil, err
	}
	args := minioArgs(set, lay)
	var extra []string
	if lay.Distributed() && s.opts.ClusterEnv != nil {
		extra = s.opts.ClusterEnv(lay, s.Credentials())
	}
	p, err := launch(bin, args, minioEnv(set, lay, extra), set.StateDir, logPath)
	if err != nil {
		return nil, err
	}
	s.startTail(logPath, from)
	rec := Record{PID: p.pid, StartTicks: p.startTicks, Binary: bin, DataDir: set.DataDir,
		S3Address: set.S3Address, ConsoleAddress: set.ConsoleAddress, Region: set.Region,
		StartedAt: p.startedAt, Restarts: restarts, Args: args, Endpoints: lay.Endpoints()}
	if err := WriteRecord(set.StateDir, rec); err != nil {
		s.log.Error("could not record MinIO in the state file; a later add-on process will not adopt it", "error", err)
	}
	s.log.Info("started MinIO", "pid", p.pid, "binary", bin, "s3_address", set.S3Address,
		"console_address", set.ConsoleAddress, "drives", strings.Join(lay.Local(), ","), "cluster", lay.Cluster)
	s.mu.Lock()
	s.cur = p
	s.st.PID, s.st.StartedAt, s.st.Adopted = p.pid, p.startedAt, false
	s.st.State, s.st.Message = shared.StateStarting, "waiting for MinIO to answer /minio/health/cluster"
	s.mu.Unlock()
	return p, nil
}

func (s *Supervisor) startTail(path string, from int64) {
	s.mu.Lock()
	old := s.tail
	s.tail = nil
	secrets := []string{s.creds.Password}
	s.mu.Unlock()
	old.close()
	t := startTail(path, from, s.opts.LogMaxBytes, s.log.Named("minio"), secrets)
	s.mu.Lock()
	s.tail = t
	s.mu.Unlock()
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// loop watches MinIO until ctx ends: readiness, health, crashes and
// restarts. first gets the first outcome.
func (s *Supervisor) loop(ctx context.Context, set settings.Settings, bin string, lay layout.Layout, p *proc, first *outcome) {
	var once sync.Once
	report := func(err error) {
		once.Do(func() {
			first.err = err
			close(first.done)
		})
	}
	logPath := filepath.Join(set.StateDir, LogFileName)
	secrets := []string{s.Credentials().Password}
	for {
		began := time.Now()
		switch s.waitReady(ctx, lay, p) {
		case readyCanceled:
			report(errors.New("MinIO supervision ended before MinIO was ready"))
			return
		case readyTimeout:
			lines := lastLines(logPath, 10, secrets)
			_ = p.terminate(context.Background(), s.opts.StopGrace)
			_ = removeRecord(set.StateDir)
			err := shared.Errorf(shared.CodeUnavailable, "MinIO did not become ready within %s; last log lines: %s",
				s.opts.ReadyTimeout, strings.Join(lines, " | "))
			report(s.fail(shared.StateFailed, err))
			s.endLoop()
			return
		case readyOK:
			s.update(func(st *shared.Status) {
				st.State, st.Message, st.WaitingFor = shared.StateRunning, "MinIO is running", nil
			})
			if !s.Status().Adopted {
				s.mu.Lock()
				s.startup = time.Since(began)
				s.mu.Unlock()
			}
			s.log.Info("MinIO is ready", "pid", p.pid, "s3_address", set.S3Address)
			report(nil)
			if !s.watch(ctx, set, lay, p) {
				return
			}
		case readyExited:
		}

		// MinIO exited unexpectedly.
		reason := p.reason
		lines := lastLines(logPath, 10, secrets)
		now := time.Now()
		s.mu.Lock()
		s.crashes = append(s.crashes, now)
		s.crashes = slices.DeleteFunc(s.crashes, func(t time.Time) bool { return now.Sub(t) > s.opts.CrashLoopWindow })
		n := len(s.crashes)
		s.st.Restarts++
		restarts := s.st.Restarts
		s.st.LastError = "MinIO exited unexpectedly: " + reason
		s.cur = nil
		s.mu.Unlock()
		s.log.Error("MinIO exited unexpectedly", "pid", p.pid, "reason", reason, "last_lines", strings.Join(lines, " | "))
		if n >= s.opts.CrashLoopCount {
			_ = removeRecord(set.StateDir)
			err := shared.Errorf(shared.CodeUnavailable, "MinIO crashed %d times within %s and was not restarted again; last exit: %s; last log lines: %s",
				n, s.opts.CrashLoopWindow, reason, strings.Join(lines, " | "))
			report(s.fail(shared.StateFailed, err))
			s.endLoop()
			return
		}
		delay := min(s.opts.BackoffMax, s.opts.BackoffMin<<(n-1))
		s.update(func(st *shared.Status) {
			st.State, st.PID, st.StartedAt, st.Adopted = shared.StateStarting, 0, time.Time{}, false
			st.Message = fmt.Sprintf("MinIO exited (%s); restarting in %s", reason, delay)
		})
		select {
		case <-ctx.Done():
			report(errors.New("MinIO supervision ended before MinIO was ready"))
			return
		case <-time.After(delay):
		}
		var err error
		if err = checkAddresses(set); err == nil {
			p, err = s.launch(set, bin, lay, restarts)
		}
		if err != nil {
			_ = removeRecord(set.StateDir)
			report(s.fail(shared.StateFailed, err))
			s.endLoop()
			return
		}
	}
}

// endLoop marks the supervision loop as ended by itself (failed), so that a
// later Start begins anew.
func (s *Supervisor) endLoop() {
	s.mu.Lock()
	if s.cancel != nil {
		s.cancel()
	}
	s.cancel = nil
	tail := s.tail
	s.tail = nil
	s.mu.Unlock()
	tail.close()
}

type readyResult int

const (
	readyOK readyResult = iota
	readyExited
	readyTimeout
	readyCanceled
)

// clusterProbeEvery is how often a cluster's MinIO that waits for its pool
// has its other nodes asked whether they answer.
const clusterProbeEvery = 2 * time.Second

// waitReady waits until MinIO answers its health check. A node of its own
// has ReadyTimeout; a cluster's MinIO waits as long as its pool takes to
// form (every node must be up for the first format), saying meanwhile
// which nodes do not answer.
func (s *Supervisor) waitReady(ctx context.Context, lay layout.Layout, p *proc) readyResult {
	var deadline <-chan time.Time
	if !lay.Distributed() {
		t := time.NewTimer(s.opts.ReadyTimeout)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var probed time.Time
	for {
		if ok, _ := s.probe(ctx); ok {
			return readyOK
		}
		if lay.Distributed() && time.Since(probed) >= clusterProbeEvery {
			probed = time.Now()
			waiting, words := notJoined(lay.Peers(), s.peerStates(ctx, lay.Peers()))
			msg := waitingMessage(lay, words, s.minioReason())
			s.update(func(st *shared.Status) {
				if st.State == shared.StateStarting {
					st.Message, st.WaitingFor = msg, waiting
				}
			})
		}
		select {
		case <-ctx.Done():
			return readyCanceled
		case <-p.exited:
			return readyExited
		case <-deadline:
			return readyTimeout
		case <-tick.C:
		}
	}
}

// watch probes a running MinIO until it exits (true) or ctx ends (false).
// Three failed probes in a row make it degraded, with MinIO's reason and,
// in a cluster, the nodes that do not answer.
func (s *Supervisor) watch(ctx context.Context, set settings.Settings, lay layout.Layout, p *proc) bool {
	tick := time.NewTicker(s.opts.HealthInterval)
	defer tick.Stop()
	fails := 0
	for {
		select {
		case <-ctx.Done():
			return false
		case <-p.exited:
			return true
		case <-tick.C:
		}
		ok, why := s.probe(ctx)
		if ok {
			if fails >= 3 {
				s.log.Info("MinIO answers again", "pid", p.pid)
			}
			fails = 0
			s.update(func(st *shared.Status) {
				if st.State == shared.StateDegraded {
					st.State, st.Message, st.WaitingFor = shared.StateRunning, "MinIO is running", nil
				}
			})
			continue
		}
		fails++
		if fails < 3 {
			continue
		}
		var silent []string
		if lay.Distributed() {
			silent = down(lay.Peers(), s.peerStates(ctx, lay.Peers()))
		}
		msg := degradedMessage(p.pid, set.S3URL(), why, silent, s.minioReason())
		if fails == 3 {
			s.log.Warn("MinIO is degraded", "pid", p.pid, "reason", msg)
		}
		s.update(func(st *shared.Status) {
			st.State, st.Message, st.LastError, st.WaitingFor = shared.StateDegraded, msg, msg, silent
		})
	}
}

// probe asks /minio/health/cluster: true on 200; otherwise what MinIO's
// answer says (its status header, the write quorum it needs), if it
// answered.
func (s *Supervisor) probe(ctx context.Context) (bool, string) {
	url := "http://" + probeAddress(s.Settings().S3Address) + "/minio/health/cluster"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, ""
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return false, "no answer"
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return true, ""
	}
	why := resp.Status
	if v := resp.Header.Get("X-Minio-Server-Status"); v != "" {
		why += ", server " + v
	}
	if v := resp.Header.Get("X-Minio-Write-Quorum"); v != "" {
		why += ", write quorum " + v + " drives"
	}
	return false, why
}

// probeAddress turns a wildcard listen address into a loopback one.
func probeAddress(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// versions caches `minio --version` by binary path, size and modification
// time, for the life of the process (it takes about half a second).
var versions sync.Map

// fillVersion puts MinIO's version in the status: at once when known,
// otherwise from a background run of `minio --version`.
func (s *Supervisor) fillVersion(bin string) {
	fi, err := os.Stat(bin)
	if err != nil {
		return
	}
	key := fmt.Sprintf("%s|%d|%d", bin, fi.Size(), fi.ModTime().UnixNano())
	set := func(v string) {
		s.mu.Lock()
		if s.binary == bin {
			s.st.Version = v
		}
		s.mu.Unlock()
	}
	if v, ok := versions.Load(key); ok {
		set(v.(string))
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "--version").Output()
		if err != nil {
			s.log.Warn("could not read MinIO's version", "binary", bin, "error", err)
			return
		}
		v := parseVersion(string(out))
		versions.Store(key, v)
		set(v)
	}()
}

// parseVersion reads "minio version X (commit-id=...)" from `minio --version`.
func parseVersion(out string) string {
	line, _, _ := strings.Cut(out, "\n")
	if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "minio version "); ok {
		v, _, _ := strings.Cut(rest, " ")
		return v
	}
	return strings.TrimSpace(line)
}

// stopLoop ends the supervision loop and returns the current process.
func (s *Supervisor) stopLoop() *proc {
	s.mu.Lock()
	cancel, done, p, tail := s.cancel, s.loopDone, s.cur, s.tail
	s.cancel, s.tail = nil, nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	tail.close()
	return p
}

// Stop stops MinIO deliberately: SIGTERM to its process group, the grace
// period (cut short when ctx ends), then SIGKILL to the group. It removes
// the state file and releases the lock. The state becomes stopped.
func (s *Supervisor) Stop(ctx context.Context) error {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	err := s.stopProcess(ctx)
	s.release()
	return err
}

func (s *Supervisor) stopProcess(ctx context.Context) error {
	p := s.stopLoop()
	var err error
	if p != nil && !p.done() {
		s.log.Info("stopping MinIO", "pid", p.pid, "grace", s.opts.StopGrace)
		err = p.terminate(ctx, s.opts.StopGrace)
		p.unwatch()
	}
	set := s.Settings()
	if rerr := removeRecord(set.StateDir); err == nil {
		err = rerr
	}
	s.mu.Lock()
	s.cur = nil
	if s.st.State != shared.StateNotInstalled {
		s.st.State, s.st.Message = shared.StateStopped, "MinIO was stopped"
	}
	s.st.PID, s.st.StartedAt, s.st.Adopted, s.st.WaitingFor = 0, time.Time{}, false, nil
	s.mu.Unlock()
	if err != nil {
		s.log.Error("stopping MinIO", "error", err)
		return err
	}
	if p != nil {
		s.log.Info("MinIO stopped", "pid", p.pid)
	}
	return nil
}

func (s *Supervisor) release() {
	s.mu.Lock()
	lock := s.lock
	s.lock = nil
	s.mu.Unlock()
	releaseLock(lock)
	s.client.CloseIdleConnections()
}

// Detach stops supervising and leaves MinIO running, recorded in the state
// file, for a later add-on process to adopt (add-on restart or upgrade). It
// releases the lock.
func (s *Supervisor) Detach() {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	p := s.stopLoop()
	if p != nil {
		p.unwatch()
		s.log.Info("leaving MinIO running for the next add-on process", "pid", p.pid)
	}
	s.mu.Lock()
	s.cur = nil
	if s.st.State != shared.StateNotInstalled {
		msg := "not supervised by this process"
		if p != nil && !p.done() {
			msg = fmt.Sprintf("MinIO (pid %d) was left running for the next add-on process", p.pid)
		}
		s.st.State, s.st.Message = shared.StateStopped, msg
	}
	s.st.PID, s.st.StartedAt, s.st.Adopted = 0, time.Time{}, false
	s.mu.Unlock()
	s.release()
}

// Restart stops MinIO (as Stop does, keeping the lock) and starts it again
// with the current settings, for a confirmed change MinIO cannot take live.
func (s *Supervisor) Restart(ctx context.Context) error {
	return s.RestartWith(ctx, s.Settings())
}

// RestartWith stops MinIO, switches to new settings and starts it again.
// The settings are validated first; invalid ones change nothing. When MinIO
// does not start with the new settings (an address in use, a bad region,
// a drive list other than its layout), it is started again with the
// previous ones, which stay in effect (Settings), and the error says so.
func (s *Supervisor) RestartWith(ctx context.Context, set settings.Settings) error {
	if err := set.Validate(); err != nil {
		return err
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	return s.restartWith(ctx, set, nil)
}

// Expand adds the drives that set lists after MinIO's layout as a new
// pool, once the node owner confirmed it: it records the new layout and
// restarts MinIO on it, which formats the new pool. parity is the
// deployment's (layout.Expand). When MinIO does not start on the new pool,
// the previous layout and settings are put back and MinIO started again on
// them. It returns the new layout.
func (s *Supervisor) Expand(ctx context.Context, set settings.Settings, parity int) (layout.Layout, error) {
	if err := set.Validate(); err != nil {
		return layout.Layout{}, err
	}
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if prev := s.Settings(); prev.StateDir != set.StateDir {
		return layout.Layout{}, shared.FieldError(settings.KeyStateDir, "adding a pool cannot also move the state folder: change one, then the other")
	}
	rec, ok, err := layout.Read(set.StateDir)
	if err != nil {
		return layout.Layout{}, err
	}
	if !ok {
		return layout.Layout{}, shared.Errorf(shared.CodeConflict, "MinIO has not been set up on its drives yet, so there is no pool to add to: start it first")
	}
	v := layout.Check(rec, set.Drives(), set.S3Address)
	if v.Kind != layout.Expansion {
		if v.Err != nil {
			return layout.Layout{}, v.Err
		}
		return layout.Layout{}, shared.Errorf(shared.CodeConflict, "the drive list has no new drives at its end: there is no pool to add")
	}
	next, err := rec.Expand(v.New, parity)
	if err != nil {
		return layout.Layout{}, err
	}
	s.log.Info("adding a pool of drives", "drives", strings.Join(v.New, ","))
	if err := s.restartWith(ctx, set, &relayout{next: next, prev: rec}); err != nil {
		return layout.Layout{}, err
	}
	return next, nil
}

// relayout is a layout record to write while MinIO is stopped, and the one
// to put back when MinIO does not start on it.
type relayout struct{ next, prev layout.Layout }

// restartWith does RestartWith's work, with ctl held, writing the layout
// record of lay (when set) while MinIO is stopped.
func (s *Supervisor) restartWith(ctx context.Context, set settings.Settings, lay *relayout) error {
	prev := s.Settings()
	if err := s.stopProcess(ctx); err != nil {
		return err
	}
	s.log.Info("restarting MinIO", "s3_address", set.S3Address, "region", set.Region, "drives", strings.Join(set.Drives(), ","))
	var err error
	if lay != nil {
		err = layout.Write(set.StateDir, lay.next)
	}
	if err == nil {
		err = s.switchTo(ctx, set)
		if err == nil {
			return nil
		}
	}
	s.log.Warn("MinIO did not start with the new settings; starting it again with the previous ones", "error", err)
	// The way back must not be cut short by the caller's deadline.
	back, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ReadyTimeout+s.opts.StopGrace)
	defer cancel()
	if serr := s.stopProcess(back); serr != nil {
		s.log.Warn("stopping the failed MinIO", "error", serr)
	}
	if lay != nil {
		if werr := layout.Write(prev.StateDir, lay.prev); werr != nil {
			return shared.Errorf(shared.CodeUnavailable,
				"MinIO did not start with the new settings (%v), and the previous drive layout could not be put back: %w", err, werr)
		}
	}
	if rerr := s.switchTo(back, prev); rerr != nil {
		return shared.Errorf(shared.CodeUnavailable,
			"MinIO did not start with the new settings (%v), nor again with the previous ones: %w", err, rerr)
	}
	code := shared.CodeOf(err)
	if code == shared.CodeInternal {
		code = shared.CodeUnavailable
	}
	return shared.Errorf(code, "MinIO did not start with the new settings, so it runs again with the previous ones and nothing was changed: %w", err)
}

// Reconfigure stops MinIO, runs change while it is stopped (the caller
// rewrites the env file and the layout record, and clears the drives),
// and starts MinIO again without waiting for it to be ready: a cluster's
// MinIO waits for its other nodes (Start waits for it). change must leave
// everything as it was when it fails: MinIO is then started again as it
// was, and change's error returned.
func (s *Supervisor) Reconfigure(ctx context.Context, change func() error) error {
	s.ctl.Lock()
	defer s.ctl.Unlock()
	if err := s.stopProcess(ctx); err != nil {
		return err
	}
	cerr := change()
	_, serr := s.start()
	if cerr != nil {
		return cerr
	}
	return serr
}

// switchTo takes set as the settings and starts MinIO with them, waiting
// until it is ready or ctx ends.
func (s *Supervisor) switchTo(ctx context.Context, set settings.Settings) error {
	s.mu.Lock()
	movedState := set.StateDir != s.set.StateDir
	s.set = set
	s.mu.Unlock()
	if movedState {
		s.release()
	}
	first, err := s.start()
	if err != nil {
		return err
	}
	return first.wait(ctx)
}
