package addon

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/quazzar/object-storage/plugin/auditlog"
	"github.com/quazzar/object-storage/plugin/bucketconfig"
	"github.com/quazzar/object-storage/plugin/buckets"
	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/history"
	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/lastused"
	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/owners"
	"github.com/quazzar/object-storage/plugin/replication"
	"github.com/quazzar/object-storage/plugin/rotation"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/store"
	"github.com/quazzar/object-storage/plugin/supervisor"
	"github.com/quazzar/object-storage/plugin/topology"
	"github.com/quazzar/object-storage/plugin/usage"
	"github.com/quazzar/object-storage/shared"
)

// newSupervisor makes the supervisor of the first Configure; tests count
// its calls.
var newSupervisor = supervisor.New

// conn is the add-on's connection to its MinIO: the settings in effect,
// the supervisor, and the clients built once MinIO answers. One lock (mu)
// guards its state; Configure calls are serialised by cfg, and set and sup
// are written only with cfg held, so a Configure may act on what it read.
type conn struct {
	log  hclog.Logger
	opts []supervisor.Option
	// wired is called each time the clients are (re)built, with the
	// settings they were built for.
	wired func(ctx context.Context, set settings.Settings, svc *services)
	// opened is called once, by the first Configure, with its settings.
	opened func(set settings.Settings)

	cfg sync.Mutex

	mu  sync.Mutex
	set settings.Settings
	sup *supervisor.Supervisor
	svc *services
	// gen counts restarts: clients built for an older generation are
	// thrown away instead of replacing newer ones.
	gen uint64
	// starting is set while a background start of generation startGen
	// waits for MinIO.
	starting bool
	startGen uint64
	lastTry  time.Time
	// wireErr is why the add-on could not build its MinIO clients.
	wireErr error
}

// services are the clients that need a running MinIO; they are built once
// MinIO is ready, and rebuilt after a confirmed restart.
type services struct {
	s3      *minio.Client
	admin   *minioadmin.Client
	buckets *buckets.Manager
	config  *bucketconfig.Manager
	keys    *keys.Manager
	usage   *usage.Poller
	// repl is bucket replication to other nodes, and the replica buckets
	// made here.
	repl *replication.Manager
	// db is the add-on's one database in its state folder, and history
	// the usage history in it; both nil when the file could not be
	// opened (dbErr says why): the add-on then works without history.
	db      *store.DB
	history *history.History
	dbErr   error
	// owners and rotations are in db too: nil without it (keys then have
	// no recorded owner, and rotation is refused).
	owners    *owners.Owners
	rotations *rotation.Set
	// lastUsed is the per-key last use, fed by audit (MinIO's audit
	// webhook) and saved in db; tracking says whether MinIO took the
	// webhook, trackingProblem why not.
	lastUsed        *lastused.Table
	audit           *auditlog.Receiver
	trackMu         sync.Mutex // guards tracking and trackingProblem
	tracking        bool
	trackingProblem string
	// clusterAudit says the webhook is the cluster's (auditlog.StartCluster):
	// this node counts the requests it served, and leaves the webhook on.
	clusterAudit bool
	// ctx ends with these clients (a restart, a shutdown): background
	// loops that use them watch it.
	ctx    context.Context
	cancel context.CancelFunc
}

// trackingState says whether keys' last use is tracked, and why not.
func (s *services) trackingState() (bool, string) {
	s.trackMu.Lock()
	defer s.trackMu.Unlock()
	return s.tracking, s.trackingProblem
}

// tracked says whether keys' last use is tracked.
func (s *services) tracked() bool {
	on, _ := s.trackingState()
	return on
}

func (s *services) setTracking(on bool, problem string) {
	s.trackMu.Lock()
	defer s.trackMu.Unlock()
	s.tracking, s.trackingProblem = on, problem
}

// close ends the background loops, stops the audit endpoint, saves the
// last-use table and closes the database (after any transaction still
// running).
func (s *services) close() {
	s.cancel()
	if s.audit != nil {
		_ = s.audit.Close()
	}
	if s.db != nil {
		_ = s.lastUsed.Save(s.db)
		_ = s.db.Close()
	}
}

func newConn(log hclog.Logger, opts []supervisor.Option) *conn {
	// The caller's options come after the add-on's own, and win.
	opts = append([]supervisor.Option{supervisor.WithOptions(supervisor.Options{ClusterEnv: clusterAuditEnv(log)})}, opts...)
	return &conn{log: log, opts: opts, set: settings.Defaults()}
}

// clusterAuditEnv gives a cluster's MinIO its audit webhook at its start
// (auditlog.ClusterEnv): trackLastUse then only listens.
func clusterAuditEnv(log hclog.Logger) func(layout.Layout, envfile.Credentials) []string {
	return func(l layout.Layout, creds envfile.Credentials) []string {
		env, err := auditlog.ClusterEnv(l.FirstNode(), creds.Password, l.Cluster)
		if err != nil {
			log.Warn("the cluster's MinIO starts without the audit webhook: last use of keys is not tracked", "error", err)
			return nil
		}
		return env
	}
}

// restartSettings are the settings MinIO can only take by restarting.
var restartSettings = []string{
	settings.KeyMinIOBinary, settings.KeyDataDir, settings.KeyDataDirs, settings.KeyEnvFile, settings.KeyS3Address,
	settings.KeyConsoleAddress, settings.KeyRegion, settings.KeyStateDir,
}

// layout is the drive layout MinIO runs with: the supervisor's once it has
// read it, else the record in the state folder, else the settings' drives
// as one pool (nothing recorded yet).
func (c *conn) layout() layout.Layout {
	c.mu.Lock()
	sup, set := c.sup, c.set
	c.mu.Unlock()
	if sup != nil {
		if l := sup.Layout(); len(l.Pools) > 0 {
			return l
		}
	}
	if l, ok, err := layout.Read(set.StateDir); err == nil && ok {
		return l
	}
	return layout.Single(set.Drives())
}

// settings returns the settings in effect.
func (c *conn) settings() settings.Settings {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.set
}

// configure takes new settings. The first call starts (or adopts) MinIO in
// the background and returns at once. A later call applies what MinIO
// takes live (scanner speed, usage interval) through the admin API; a
// change of address, region or paths is refused with needs_restart unless
// confirm is set. The settings in effect change only when the change was
// applied.
func (c *conn) configure(ctx context.Context, next settings.Settings, confirm bool) (shared.ConfigureResponse, error) {
	c.cfg.Lock()
	defer c.cfg.Unlock()
	c.mu.Lock()
	if c.sup == nil {
		c.set = next
		c.sup = newSupervisor(next, c.log, c.opts...)
		c.mu.Unlock()
		if c.opened != nil {
			c.opened(next)
		}
		c.startInBackground()
		return shared.ConfigureResponse{}, nil
	}
	prev, svc := c.set, c.svc
	c.mu.Unlock()

	changed := diff(prev.Map(), next.Map())
	if slices.Contains(changed, settings.KeyDataDirs) || slices.Contains(changed, settings.KeyDataDir) || slices.Contains(changed, settings.KeyS3Address) {
		res, done, err := c.changeDrives(ctx, next, confirm)
		if done || err != nil {
			return res, err
		}
	}
	var needRestart []string
	for _, k := range changed {
		if slices.Contains(restartSettings, k) {
			needRestart = append(needRestart, k)
		}
	}
	if len(needRestart) > 0 {
		if !confirm {
			return shared.ConfigureResponse{}, shared.Errorf(shared.CodeNeedsRestart,
				"changing %s restarts MinIO: open S3 connections drop and S3 is unavailable for about %s (its last start took %s); confirm the restart to apply it. Nothing was changed.",
				strings.Join(needRestart, ", "), c.downtime().Round(time.Second), max(c.sup.StartupTime(), time.Second).Round(100*time.Millisecond))
		}
		return c.restart(ctx, next)
	}
	var live []string
	if slices.Contains(changed, settings.KeyScannerSpeed) {
		if next.ScannerSpeed != "" {
			if svc == nil {
				return shared.ConfigureResponse{}, shared.Errorf(shared.CodeUnavailable,
					"MinIO is not running, so the scanner speed cannot be applied now: try again once it runs; nothing was changed")
			}
			if err := applyScannerSpeed(ctx, svc.admin, next.ScannerSpeed, c.log); err != nil {
				return shared.ConfigureResponse{}, err
			}
		}
		live = append(live, settings.KeyScannerSpeed) // "" keeps what MinIO has
	}
	if slices.Contains(changed, settings.KeyUsageInterval) {
		if svc != nil {
			svc.usage.SetInterval(next.UsageInterval)
		}
		live = append(live, settings.KeyUsageInterval)
	}
	c.mu.Lock()
	c.set = next
	c.mu.Unlock()
	return shared.ConfigureResponse{AppliedLive: live}, nil
}

func diff(a, b map[string]string) []string {
	var out []string
	for k, v := range b {
		if a[k] != v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// changeDrives checks a change of the drive list (or of this node's
// address) against the layout MinIO was set up with. A changed list is
// refused, nothing changed. Drives added at the end are a new pool: asked
// to confirm (needs_restart, which the settings form turns into a
// question), then added (done). Anything else goes on as a restart.
func (c *conn) changeDrives(ctx context.Context, next settings.Settings, confirm bool) (res shared.ConfigureResponse, done bool, err error) {
	rec, ok, err := layout.Read(next.StateDir)
	if err != nil || !ok {
		return res, false, err
	}
	v := layout.Check(rec, next.Drives(), next.S3Address)
	switch v.Kind {
	case layout.Changed:
		return res, true, shared.Errorf(shared.CodeConflict, "%s Nothing was changed.", shared.AsError(v.Err).Message)
	case layout.Expansion:
		parity := c.parity(rec)
		grown, err := rec.Expand(v.New, parity)
		if err != nil {
			return res, true, shared.Errorf(shared.CodeOf(err), "%s Nothing was changed.", shared.AsError(err).Message)
		}
		if !confirm {
			return res, true, shared.Errorf(shared.CodeNeedsRestart, "%s MinIO restarts: S3 is unavailable for about %s. Confirm to add the pool. Nothing was changed.",
				PoolText(v.New, grown, parity), c.downtime().Round(time.Second))
		}
		if _, err := c.expand(ctx, next); err != nil {
			return res, true, err
		}
		return shared.ConfigureResponse{Restarted: true}, true, nil
	}
	return res, false, nil
}

// PoolText says what adding a pool does.
func PoolText(added []string, grown layout.Layout, parity int) string {
	return fmt.Sprintf("Add %d drive(s) (%s) as pool %d: MinIO formats them and from then on spreads new objects over the pools by free space (parity %d in every pool); a pool cannot be taken out again without moving its data off.",
		len(added), strings.Join(added, ", "), len(grown.Pools), parity)
}

// parity is the deployment's parity: MinIO's figure from the last usage
// refresh, else its default for the layout's first pool.
func (c *conn) parity(rec layout.Layout) int {
	c.mu.Lock()
	svc := c.svc
	c.mu.Unlock()
	if svc != nil {
		if snap, _, _ := svc.usage.Snapshot(); snap.Topology.FromMinIO {
			return snap.Topology.Parity
		}
	}
	return layout.DefaultParity(layout.SetSize(rec.Pools[0].Size()))
}

// downtime is about how long a restart leaves S3 unavailable.
func (c *conn) downtime() time.Duration {
	took := c.sup.StartupTime()
	if took < time.Second {
		took = time.Second
	}
	return took + 2*time.Second
}

// expand adds the drives next lists beyond the layout as a new pool (the
// node owner confirmed it), restarting MinIO on it.
func (c *conn) expand(ctx context.Context, next settings.Settings) (layout.Layout, error) {
	rec, _, err := layout.Read(next.StateDir)
	if err != nil {
		return layout.Layout{}, err
	}
	parity := c.parity(rec)
	var grown layout.Layout
	c.log.Info("adding a pool of drives, as the node owner confirmed", "drives", strings.Join(next.Drives(), ","))
	err = c.rebuild(ctx, func(sup *supervisor.Supervisor) error {
		var err error
		grown, err = sup.Expand(ctx, next, parity)
		return err
	})
	return grown, err
}

// restart applies settings MinIO takes only by restarting. When MinIO does
// not start with them, the supervisor goes back to the previous ones, and
// those stay the settings in effect.
func (c *conn) restart(ctx context.Context, next settings.Settings) (shared.ConfigureResponse, error) {
	c.log.Info("restarting MinIO for a confirmed settings change")
	if err := c.rebuild(ctx, func(sup *supervisor.Supervisor) error { return sup.RestartWith(ctx, next) }); err != nil {
		return shared.ConfigureResponse{}, err
	}
	return shared.ConfigureResponse{Restarted: true}, nil
}

// rebuild drops the clients, has the supervisor restart MinIO (do), takes
// the supervisor's settings as those in effect, and builds the clients
// again once MinIO runs: at once, or in the background when MinIO is
// still starting (a cluster's MinIO waits for its other nodes). The
// caller holds cfg.
func (c *conn) rebuild(ctx context.Context, do func(*supervisor.Supervisor) error) error {
	c.mu.Lock()
	sup, old := c.sup, c.svc
	c.svc, c.wireErr = nil, nil
	c.gen++
	gen := c.gen
	c.mu.Unlock()
	if sup == nil {
		return shared.Errorf(shared.CodeUnavailable, "the object-storage add-on has not been configured by the host yet")
	}
	if old != nil {
		old.close()
	}
	err := do(sup)
	inEffect := sup.Settings()
	c.mu.Lock()
	c.set = inEffect
	c.mu.Unlock()
	switch sup.Status().State {
	case shared.StateRunning:
		if werr := c.wire(ctx, gen, sup); werr != nil && err == nil {
			err = werr
		}
	case shared.StateStarting:
		c.startInBackground()
	}
	return err
}

// startInBackground starts or adopts MinIO, then builds the clients.
func (c *conn) startInBackground() {
	c.mu.Lock()
	if (c.starting && c.startGen == c.gen) || c.svc != nil {
		c.mu.Unlock()
		return
	}
	c.starting, c.startGen = true, c.gen
	c.lastTry = time.Now()
	sup, gen := c.sup, c.gen
	c.mu.Unlock()
	go func() {
		defer func() {
			c.mu.Lock()
			if c.startGen == gen {
				c.starting = false
			}
			c.mu.Unlock()
		}()
		if err := sup.Start(context.Background()); err != nil {
			c.log.Warn("MinIO did not start", "error", err)
			return
		}
		if err := c.wire(context.Background(), gen, sup); err != nil {
			c.log.Error("MinIO started but the add-on cannot use it", "error", err)
		}
	}()
}

// retryIfMissing tries again, at most every few seconds, to start a MinIO
// that was not installed when the add-on came up: the page says "install
// it, then reload", and a reload must then find it.
func (c *conn) retryIfMissing() {
	c.mu.Lock()
	sup, set, recent := c.sup, c.set, time.Since(c.lastTry) < 3*time.Second
	c.mu.Unlock()
	if sup == nil || recent || sup.Status().State != shared.StateNotInstalled {
		return
	}
	if _, err := set.ResolveBinary(); err != nil {
		c.mu.Lock()
		c.lastTry = time.Now()
		c.mu.Unlock()
		return // still missing: nothing to try, nothing to log again
	}
	c.startInBackground()
}

// wire builds the S3 and admin clients for the MinIO sup runs and starts
// the background loops. Clients built for an older generation (a restart
// happened meanwhile) are dropped.
func (c *conn) wire(ctx context.Context, gen uint64, sup *supervisor.Supervisor) error {
	set := sup.Settings()
	svc, err := c.build(ctx, set, sup.Credentials())
	c.mu.Lock()
	if gen != c.gen {
		c.mu.Unlock()
		if svc != nil {
			svc.close()
		}
		return nil
	}
	c.svc, c.wireErr = svc, err
	c.mu.Unlock()
	if err != nil {
		return err
	}
	if c.wired != nil {
		c.wired(ctx, set, svc)
	}
	c.log.Info("object storage ready", "s3", set.S3URL(), "console", set.ConsoleURL())
	return nil
}

func (c *conn) build(ctx context.Context, set settings.Settings, creds envfile.Credentials) (*services, error) {
	s3, err := minio.New(set.S3Address, &minio.Options{
		Creds:  credentials.NewStaticV4(creds.User, creds.Password, ""),
		Region: set.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client for %s: %w", set.S3Address, err)
	}
	admin, err := minioadmin.New(minioadmin.Config{
		Endpoint: set.S3Address, AccessKey: creds.User, SecretKey: creds.Password,
		Region: set.Region, Logger: c.log.Named("admin"),
	})
	if err != nil {
		return nil, err
	}
	km, err := keys.New(admin, set.StateDir)
	if err != nil {
		return nil, err
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	svc := &services{
		s3: s3, admin: admin, buckets: buckets.New(s3), config: bucketconfig.New(s3, admin), keys: km, ctx: loopCtx, cancel: cancel,
		usage: usage.New(usageSource(admin, c.layout, set.S3Address, &healer{ctx: loopCtx, admin: admin, log: c.log.Named("heal")}, c.log.Named("usage")), set.UsageInterval, c.log.Named("usage")),
	}
	svc.lastUsed = lastused.New(0)
	if svc.db, svc.dbErr = store.Open(set.StateDir, store.Options{}); svc.dbErr != nil {
		c.log.Warn("usage history, key owners, rotations and saved last use are off: the add-on's database cannot be opened", "error", svc.dbErr)
	} else {
		svc.history = history.New(svc.db, history.DefaultPolicy)
		svc.usage.SetRecorder(recorder(svc.history, c.log.Named("history")))
		if err := svc.lastUsed.Load(svc.db); err != nil {
			c.log.Warn("the saved last use of keys could not be read", "error", err)
		}
		if svc.owners, err = owners.Open(svc.db); err != nil {
			c.log.Warn("key and bucket owners could not be read", "error", err)
		}
		if svc.rotations, err = rotation.Open(svc.db); err != nil {
			c.log.Warn("key rotations in progress could not be read", "error", err)
		}
	}
	svc.setTracking(c.trackLastUse(ctx, svc, creds))
	svc.repl = replication.New(s3, admin, svc.db, c.log.Named("replication"))
	if set.ScannerSpeed != "" {
		if err := applyScannerSpeed(ctx, admin, set.ScannerSpeed, c.log); err != nil {
			c.log.Warn("could not set the scanner speed", "speed", set.ScannerSpeed, "error", err)
		}
	}
	go svc.usage.Run(loopCtx)
	// With the audit log reporting changes made elsewhere (one node: see
	// auditlog.StartCluster), the periodic read is a safety net.
	go svc.keys.Run(loopCtx, func() time.Duration { return c.settings().UsageInterval },
		func() bool { return svc.tracked() && !svc.clusterAudit }, c.log.Named("keys"))
	go svc.repl.Run(loopCtx, func() time.Duration { return c.settings().UsageInterval })
	return svc, nil
}

// usageSource reads the drives and nodes (server info) and the scanner's
// figures: two admin calls whatever the number of buckets. The topology
// and this node's drives are kept even when the scanner's figures cannot
// be read (a cluster without quorum), and the other way round. Each
// topology goes to heal, which acts when a node or drive comes back.
func usageSource(admin *minioadmin.Client, lay func() layout.Layout, self string, heal *healer, log hclog.Logger) usage.Source {
	return func(ctx context.Context) (usage.Snapshot, error) {
		var snap usage.Snapshot
		info, ierr := admin.ServerInfo(ctx)
		if ierr == nil {
			l := lay()
			snap.Topology = topology.FromMinIO(l, info, self, time.Now())
			heal.seen(snap.Topology)
			local := self
			if l.Distributed() {
				local = l.Self
			}
			for _, srv := range info.Servers {
				if l.Distributed() && srv.Endpoint != local {
					continue
				}
				for _, d := range srv.Drives {
					path := d.Path
					if path == "" {
						path = d.Endpoint
					}
					snap.Drives = append(snap.Drives, usage.Drive{Path: path, State: d.State, Total: d.Total, Used: d.Used, Available: d.Available})
				}
			}
		} else {
			log.Debug("drives and nodes not read", "error", ierr)
		}
		du, err := admin.DataUsageInfo(ctx)
		if err != nil {
			return snap, err
		}
		snap.ScannedAt, snap.Buckets = du.LastUpdate, make(map[string]usage.Figures, len(du.Buckets))
		for name, b := range du.Buckets {
			snap.Buckets[name] = usage.Figures{Size: b.Size, Objects: b.Objects, Versions: b.Versions, DeleteMarkers: b.DeleteMarkers}
		}
		return snap, nil
	}
}

// recorder keeps every refresh's figures in the usage history: each
// bucket's size as of the scan it comes from, each drive's used bytes as
// of the refresh.
func recorder(h *history.History, log hclog.Logger) usage.Recorder {
	return func(snap usage.Snapshot, fetched time.Time) {
		points := make([]history.Point, 0, len(snap.Buckets)+len(snap.Drives))
		if !snap.ScannedAt.IsZero() {
			for name, f := range snap.Buckets {
				points = append(points, history.Point{Series: history.BucketSeries(name), Sample: history.Sample{At: snap.ScannedAt, Value: f.Size}})
			}
		}
		for _, d := range snap.Drives {
			points = append(points, history.Point{Series: history.DriveSeries(d.Path), Sample: history.Sample{At: fetched, Value: d.Used}})
		}
		if err := h.Record(fetched, points); err != nil {
			log.Debug("usage history not recorded", "error", err)
		}
	}
}

// trackLastUse starts the audit endpoint and points MinIO's audit webhook
// at it (live, no restart). It answers whether last use is tracked, and
// why not.
//
// On a node of a cluster the webhook is the whole cluster's: every node's
// add-on listens on the same loopback address with the same token (see
// auditlog.StartCluster), and counts the requests its node served.
func (c *conn) trackLastUse(ctx context.Context, svc *services, creds envfile.Credentials) (bool, string) {
	sink := func(evs []lastused.Event) { svc.lastUsed.Record(evs...) }
	var (
		r   *auditlog.Receiver
		err error
	)
	if l := c.layout(); l.Distributed() {
		var addr string
		if addr, err = auditlog.ClusterAddress(l.FirstNode()); err == nil {
			r, err = auditlog.StartCluster(addr, creds.Password, l.Cluster, sink)
		}
		svc.clusterAudit = true
	} else {
		r, err = auditlog.Start(sink, svc.keys.Changed)
	}
	if err != nil {
		c.log.Warn("last use of keys is not tracked", "error", err)
		return false, "the add-on could not listen for MinIO's audit log: " + err.Error()
	}
	svc.audit = r
	if svc.clusterAudit {
		// The cluster's MinIO got the webhook at its start (clusterAuditEnv):
		// never set live on a cluster (see auditlog.ClusterEnv).
		c.log.Info("MinIO's audit log is posted to the add-on", "endpoint", r.URL(), "cluster", true)
		return true, ""
	}
	on, problem, retry := c.setWebhook(ctx, svc, r)
	if retry {
		c.log.Warn("MinIO cannot take the audit webhook yet; trying again", "problem", problem)
		go c.retryTracking(svc, r)
	}
	return on, problem
}

// setWebhook points MinIO's audit webhook at r, live. It answers whether
// last use is tracked, why not, and whether to try again: MinIO cannot
// save its config yet (503: a cluster still forming its quorum).
func (c *conn) setWebhook(ctx context.Context, svc *services, r *auditlog.Receiver) (on bool, problem string, retry bool) {
	live, err := svc.admin.SetConfigKV(ctx, r.ConfigLine())
	switch {
	case err != nil && shared.CodeOf(err) == shared.CodeUnavailable:
		return false, "MinIO cannot take the audit webhook yet (" + shared.AsError(err).Message + "); the add-on tries again every few seconds", true
	case err != nil:
		c.log.Warn("last use of keys is not tracked: MinIO refused the audit webhook", "error", err)
		return false, "MinIO did not take the audit webhook (" + shared.AsError(err).Message + "): this MinIO cannot report key use", false
	case !live:
		c.log.Warn("last use of keys is not tracked until MinIO restarts: it saved the audit webhook without applying it")
		return false, "MinIO applies the audit webhook only after a restart: last use is tracked from MinIO's next start", false
	}
	c.log.Info("MinIO's audit log is posted to the add-on", "endpoint", r.URL(), "cluster", false)
	return true, "", false
}

// trackingRetry is how often a webhook MinIO could not take yet is set
// again.
const trackingRetry = 3 * time.Second

// retryTracking sets the audit webhook until MinIO takes it (or refuses it
// for good) or svc's clients are dropped.
func (c *conn) retryTracking(svc *services, r *auditlog.Receiver) {
	for {
		select {
		case <-svc.ctx.Done():
			return
		case <-time.After(trackingRetry):
		}
		ctx, cancel := context.WithTimeout(svc.ctx, 30*time.Second)
		on, problem, retry := c.setWebhook(ctx, svc, r)
		cancel()
		if !retry {
			svc.setTracking(on, problem)
			return
		}
	}
}

// stopTracking turns MinIO's audit webhook off, for an add-on that leaves
// MinIO running without it (restart, upgrade): the next process points it
// at its own endpoint. A cluster's webhook stays on: the other nodes'
// add-ons listen, and this node's next add-on listens where this one did.
func (c *conn) stopTracking(ctx context.Context, svc *services) {
	if svc.audit == nil || !svc.tracked() || svc.clusterAudit {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := svc.admin.SetConfigKV(ctx, auditlog.OffLine()); err != nil {
		c.log.Debug("MinIO's audit webhook was left on", "error", err)
	}
}

func applyScannerSpeed(ctx context.Context, admin *minioadmin.Client, speed string, log hclog.Logger) error {
	live, err := admin.SetConfigKV(ctx, "scanner speed="+speed)
	if err != nil {
		return err
	}
	if !live {
		log.Warn("MinIO saved the scanner speed but applies it only after a restart", "speed", speed)
	}
	return nil
}

// services returns the clients of a running MinIO, or an error that says
// why there are none (not installed, starting, failed).
func (c *conn) services() (*services, error) {
	c.retryIfMissing()
	c.mu.Lock()
	svc, sup, wireErr := c.svc, c.sup, c.wireErr
	c.mu.Unlock()
	if svc != nil {
		return svc, nil
	}
	if wireErr != nil {
		return nil, shared.Errorf(shared.CodeUnavailable, "MinIO is running but the add-on cannot use it: %v", wireErr)
	}
	if sup == nil {
		return nil, shared.Errorf(shared.CodeUnavailable, "the object-storage add-on has not been configured by the host yet")
	}
	st := sup.Status()
	switch st.State {
	case shared.StateNotInstalled:
		return nil, shared.Errorf(shared.CodeUnavailable, "MinIO is not installed on this node: install it with `%s`", settings.InstallCommand)
	case shared.StateStarting, shared.StateRunning, shared.StateDegraded:
		return nil, shared.Errorf(shared.CodeUnavailable, "MinIO is starting (%s): try again in a few seconds", orText(st.Message, "no answer yet"))
	}
	return nil, shared.Errorf(shared.CodeUnavailable, "MinIO is not running (%s): %s", st.State, orText(firstNonEmpty(st.Message, st.LastError), "no reason was recorded"))
}

// status is MinIO's state as the add-on sees it: running only once the
// clients are built, since actions fail before that.
func (c *conn) status() shared.Status {
	c.retryIfMissing()
	c.mu.Lock()
	sup, set, svc, wireErr := c.sup, c.set, c.svc, c.wireErr
	c.mu.Unlock()
	wired := svc != nil
	if sup == nil {
		return shared.Status{State: shared.StateStopped, Message: "waiting for the host's settings",
			S3Address: set.S3Address, ConsoleAddress: set.ConsoleAddress}
	}
	st := sup.Status()
	switch {
	case st.State == shared.StateRunning && !wired && wireErr != nil:
		st.State = shared.StateDegraded
		st.Message = "MinIO is running but the add-on cannot use it: " + wireErr.Error()
		st.LastError = st.Message
	case st.State == shared.StateRunning && !wired:
		st.State = shared.StateStarting
		st.Message = "MinIO is up; the add-on is connecting to it"
	case st.State == shared.StateRunning:
		// MinIO's health check may still answer healthy while its drives
		// say writes fail (as of the last usage refresh).
		if snap, _, _ := svc.usage.Snapshot(); snap.Topology.FromMinIO {
			if why := topology.QuorumLost(snap.Topology); why != "" {
				st.State = shared.StateDegraded
				st.Message = "MinIO is degraded: " + why
				st.LastError = st.Message
			}
		}
	}
	if st.State == shared.StateNotInstalled && st.InstallCommand == "" {
		st.InstallCommand = settings.InstallCommand
	}
	return st
}

// shutdown stops the background loops, then stops MinIO (stop) or leaves
// it running for the next add-on process to adopt.
func (c *conn) shutdown(ctx context.Context, stop bool) error {
	c.timed("wait for a change of settings in progress", c.cfg.Lock)
	defer c.cfg.Unlock()
	c.mu.Lock()
	sup, svc := c.sup, c.svc
	c.svc = nil
	c.gen++
	c.mu.Unlock()
	if svc != nil {
		svc.cancel() // no background loop acts while MinIO is let go
		if !stop {
			c.timed("turn MinIO's audit webhook off", func() { c.stopTracking(ctx, svc) })
		}
		c.timed("close the audit endpoint and save last use", svc.close)
	}
	if sup == nil {
		return nil
	}
	if stop {
		var err error
		c.timed("stop MinIO", func() { err = sup.Stop(ctx) })
		return err
	}
	sup.Detach()
	return nil
}

// slowStep is how long a step of the shutdown may take before the log
// names it: the host kills an add-on whose Shutdown outlasts its bound
// (30 s by default), and the log then says which step held it.
const slowStep = 2 * time.Second

// timed runs one step of the shutdown, and warns when it took slowStep or
// more.
func (c *conn) timed(step string, f func()) {
	began := time.Now()
	f()
	if took := time.Since(began); took >= slowStep {
		c.log.Warn("a step of the shutdown was slow", "step", step, "took", took.Round(time.Millisecond))
	}
}

func orText(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
