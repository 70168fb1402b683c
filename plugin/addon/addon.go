// Package addon is the object-storage add-on as the host sees it: it ties
// the MinIO supervisor, buckets, keys, usage and exposure into one
// implementation of shared.Lifecycle, shared.PageProvider and
// shared.StorageModule, so that the panel and other plugins cannot
// disagree.
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

	"github.com/quazzar/object-storage/plugin/buckets"
	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/supervisor"
	"github.com/quazzar/object-storage/plugin/usage"
	"github.com/quazzar/object-storage/shared"
)

// Addon implements shared.Lifecycle, shared.PageProvider and
// shared.StorageModule.
type Addon struct {
	log  hclog.Logger
	opts []supervisor.Option

	mu       sync.Mutex
	set      settings.Settings
	sup      *supervisor.Supervisor
	svc      *services
	starting bool
	lastTry  time.Time
	// wireErr is why the add-on could not build its MinIO clients.
	wireErr error
	host    shared.ReverseProxy
	expo    *exposure
}

// services are the clients that need a running MinIO; they are built once
// MinIO is ready, and rebuilt after a confirmed restart.
type services struct {
	s3      *minio.Client
	admin   *minioadmin.Client
	buckets *buckets.Manager
	keys    *keys.Manager
	usage   *usage.Poller
	cancel  context.CancelFunc
}

// New returns an add-on that waits for its settings (Configure). opts tune
// the MinIO supervisor (tests shorten its timeouts).
func New(log hclog.Logger, opts ...supervisor.Option) *Addon {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	return &Addon{log: log, opts: opts, set: settings.Defaults()}
}

// restartSettings are the settings MinIO can only take by restarting.
var restartSettings = []string{
	settings.KeyMinIOBinary, settings.KeyDataDir, settings.KeyEnvFile, settings.KeyS3Address,
	settings.KeyConsoleAddress, settings.KeyRegion, settings.KeyStateDir,
}

// Configure takes the host's settings. The first call starts (or adopts)
// MinIO in the background and returns at once; the status says starting.
// A later call applies what MinIO takes live (scanner speed, usage
// interval) through the admin API; a change of address, region or paths
// is refused with needs_restart unless req.ConfirmRestart is set.
func (a *Addon) Configure(ctx context.Context, req shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	next, err := settings.Parse(req.Settings)
	if err != nil {
		return shared.ConfigureResponse{}, err
	}
	a.mu.Lock()
	first := a.sup == nil
	prev := a.set
	a.mu.Unlock()
	if first {
		a.mu.Lock()
		a.set = next
		a.sup = supervisor.New(next, a.log, a.opts...)
		a.expo = loadExposure(next.StateDir, a.log)
		a.mu.Unlock()
		a.startInBackground()
		return shared.ConfigureResponse{}, nil
	}

	changed := diff(prev.Map(), next.Map())
	var needRestart []string
	for _, k := range changed {
		if slices.Contains(restartSettings, k) {
			needRestart = append(needRestart, k)
		}
	}
	if len(needRestart) > 0 {
		if !req.ConfirmRestart {
			return shared.ConfigureResponse{}, shared.Errorf(shared.CodeNeedsRestart,
				"changing %s needs a restart of MinIO, which drops open S3 connections: confirm the restart to apply it; nothing was changed",
				strings.Join(needRestart, ", "))
		}
		return a.restartWith(ctx, next)
	}
	var live []string
	if slices.Contains(changed, settings.KeyScannerSpeed) && next.ScannerSpeed != "" {
		if err := a.applyScannerSpeed(ctx, next.ScannerSpeed); err != nil {
			return shared.ConfigureResponse{}, err
		}
		live = append(live, settings.KeyScannerSpeed)
	}
	a.mu.Lock()
	a.set = next
	svc := a.svc
	a.mu.Unlock()
	if slices.Contains(changed, settings.KeyUsageInterval) {
		if svc != nil {
			svc.usage.SetInterval(next.UsageInterval)
		}
		live = append(live, settings.KeyUsageInterval)
	}
	if slices.Contains(changed, settings.KeyScannerSpeed) && next.ScannerSpeed == "" {
		live = append(live, settings.KeyScannerSpeed) // kept as MinIO has it
	}
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

func (a *Addon) restartWith(ctx context.Context, next settings.Settings) (shared.ConfigureResponse, error) {
	a.mu.Lock()
	sup := a.sup
	old := a.svc
	a.svc = nil
	a.set = next
	a.mu.Unlock()
	if old != nil {
		old.cancel()
	}
	a.log.Info("restarting MinIO for a confirmed settings change")
	if err := sup.RestartWith(ctx, next); err != nil {
		return shared.ConfigureResponse{}, err
	}
	if err := a.wire(ctx); err != nil {
		return shared.ConfigureResponse{}, err
	}
	return shared.ConfigureResponse{Restarted: true}, nil
}

// startInBackground starts or adopts MinIO, then builds the clients.
func (a *Addon) startInBackground() {
	a.mu.Lock()
	if a.starting || a.svc != nil {
		a.mu.Unlock()
		return
	}
	a.starting = true
	a.lastTry = time.Now()
	sup := a.sup
	a.mu.Unlock()
	go func() {
		defer func() {
			a.mu.Lock()
			a.starting = false
			a.mu.Unlock()
		}()
		if err := sup.Start(context.Background()); err != nil {
			a.log.Warn("MinIO did not start", "error", err)
			return
		}
		err := a.wire(context.Background())
		a.mu.Lock()
		a.wireErr = err
		a.mu.Unlock()
		if err != nil {
			a.log.Error("MinIO started but the add-on cannot use it", "error", err)
		}
	}()
}

// retryIfMissing tries again, at most every few seconds, to start a MinIO
// that was not installed when the add-on came up: the page says "install
// it, then reload", and a reload must then find it.
func (a *Addon) retryIfMissing() {
	a.mu.Lock()
	sup, set, recent := a.sup, a.set, time.Since(a.lastTry) < 3*time.Second
	a.mu.Unlock()
	if sup == nil || recent || sup.Status().State != shared.StateNotInstalled {
		return
	}
	if _, err := set.ResolveBinary(); err != nil {
		a.mu.Lock()
		a.lastTry = time.Now()
		a.mu.Unlock()
		return // still missing: nothing to try, nothing to log again
	}
	a.startInBackground()
}

// wire builds the S3 and admin clients and starts the background loops.
func (a *Addon) wire(ctx context.Context) error {
	a.mu.Lock()
	set, sup := a.set, a.sup
	a.mu.Unlock()
	creds := sup.Credentials()
	s3, err := minio.New(set.S3Address, &minio.Options{
		Creds:  credentials.NewStaticV4(creds.User, creds.Password, ""),
		Region: set.Region,
	})
	if err != nil {
		return fmt.Errorf("S3 client for %s: %w", set.S3Address, err)
	}
	admin, err := minioadmin.New(minioadmin.Config{
		Endpoint: set.S3Address, AccessKey: creds.User, SecretKey: creds.Password,
		Region: set.Region, Logger: a.log.Named("admin"),
	})
	if err != nil {
		return err
	}
	km, err := keys.New(admin, set.StateDir)
	if err != nil {
		return err
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	svc := &services{
		s3: s3, admin: admin, buckets: buckets.New(s3), keys: km, cancel: cancel,
		usage: usage.New(usageSource(admin), set.UsageInterval, a.log.Named("usage")),
	}
	if set.ScannerSpeed != "" {
		if _, err := admin.SetConfigKV(ctx, "scanner speed="+set.ScannerSpeed); err != nil {
			a.log.Warn("could not set the scanner speed", "speed", set.ScannerSpeed, "error", err)
		}
	}
	go svc.usage.Run(loopCtx)
	go svc.keys.Run(loopCtx, func() time.Duration { a.mu.Lock(); defer a.mu.Unlock(); return a.set.UsageInterval }, a.log.Named("keys"))
	go a.refreshVisibility(loopCtx, svc)
	a.mu.Lock()
	a.svc = svc
	a.mu.Unlock()
	a.reapplyExposure(ctx)
	a.log.Info("object storage ready", "s3", set.S3URL(), "console", set.ConsoleURL())
	return nil
}

func usageSource(admin *minioadmin.Client) usage.Source {
	return func(ctx context.Context) (usage.Snapshot, error) {
		du, err := admin.DataUsageInfo(ctx)
		if err != nil {
			return usage.Snapshot{}, err
		}
		snap := usage.Snapshot{ScannedAt: du.LastUpdate, Buckets: make(map[string]usage.Figures, len(du.Buckets))}
		for name, b := range du.Buckets {
			snap.Buckets[name] = usage.Figures{Size: b.Size, Objects: b.Objects}
		}
		return snap, nil
	}
}

// refreshVisibility re-reads bucket policies on the usage interval, so a
// policy set in the console or with mc shows up as custom; it also checks
// that the exposure route is still in the proxy.
// The first round runs at once, so that the first listing after a start
// finds every bucket's visibility cached.
func (a *Addon) refreshVisibility(ctx context.Context, svc *services) {
	for {
		if err := svc.buckets.Refresh(ctx); err != nil && ctx.Err() == nil {
			a.log.Debug("bucket policy refresh failed", "error", err)
		}
		a.ensureExposure(ctx)
		a.mu.Lock()
		d := a.set.UsageInterval
		a.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

func (a *Addon) applyScannerSpeed(ctx context.Context, speed string) error {
	svc, err := a.services()
	if err != nil {
		return err
	}
	live, err := svc.admin.SetConfigKV(ctx, "scanner speed="+speed)
	if err != nil {
		return err
	}
	if !live {
		a.log.Warn("MinIO saved the scanner speed but applies it only after a restart", "speed", speed)
	}
	return nil
}

// services returns the clients of a running MinIO, or an error that says
// why there are none (not installed, starting, failed).
func (a *Addon) services() (*services, error) {
	a.retryIfMissing()
	a.mu.Lock()
	svc, sup, wireErr := a.svc, a.sup, a.wireErr
	a.mu.Unlock()
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
		return nil, shared.Errorf(shared.CodeUnavailable, "MinIO is starting: try again in a few seconds")
	}
	msg := st.Message
	if msg == "" {
		msg = st.LastError
	}
	return nil, shared.Errorf(shared.CodeUnavailable, "MinIO is not running (%s): %s", st.State, msg)
}

// ---- lifecycle ----

func (a *Addon) Health(ctx context.Context, req shared.HealthRequest) (shared.HealthResponse, error) {
	a.mu.Lock()
	sup := a.sup
	a.mu.Unlock()
	if sup == nil {
		return shared.HealthResponse{OK: true, Detail: "waiting for settings"}, nil
	}
	return shared.HealthResponse{OK: true, Detail: string(sup.Status().State)}, nil
}

// Shutdown stops the background loops, then stops MinIO (StopServices) or
// leaves it running for the next add-on process to adopt.
func (a *Addon) Shutdown(ctx context.Context, req shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	a.mu.Lock()
	sup, svc := a.sup, a.svc
	a.svc = nil
	a.mu.Unlock()
	if svc != nil {
		svc.cancel()
	}
	if sup == nil {
		return shared.ShutdownResponse{}, nil
	}
	if req.StopServices {
		return shared.ShutdownResponse{}, sup.Stop(ctx)
	}
	sup.Detach()
	return shared.ShutdownResponse{}, nil
}

// ---- status and endpoint ----

func (a *Addon) Status(ctx context.Context, req shared.StatusRequest) (shared.Status, error) {
	a.retryIfMissing()
	a.mu.Lock()
	sup, set := a.sup, a.set
	a.mu.Unlock()
	if sup == nil {
		return shared.Status{State: shared.StateStopped, Message: "waiting for the host's settings",
			S3Address: set.S3Address, ConsoleAddress: set.ConsoleAddress}, nil
	}
	st := sup.Status()
	a.mu.Lock()
	wired, wireErr := a.svc != nil, a.wireErr
	a.mu.Unlock()
	switch {
	case st.State == shared.StateRunning && !wired && wireErr != nil:
		st.State = shared.StateDegraded
		st.Message = "MinIO is running but the add-on cannot use it: " + wireErr.Error()
		st.LastError = st.Message
	case st.State == shared.StateRunning && !wired:
		// MinIO answers but the add-on's clients are not built yet: actions
		// would fail, so this is not "running" for the host.
		st.State = shared.StateStarting
		st.Message = "MinIO is up; the add-on is connecting to it"
	}
	if st.State == shared.StateNotInstalled && st.InstallCommand == "" {
		st.InstallCommand = settings.InstallCommand
	}
	return st, nil
}

func (a *Addon) Endpoint(ctx context.Context, req shared.EndpointRequest) (shared.Endpoint, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := shared.Endpoint{S3URL: a.set.S3URL(), ConsoleURL: a.set.ConsoleURL(), Region: a.set.Region}
	if a.expo != nil && a.expo.Domain != "" {
		e.Domain = a.expo.Domain
		e.PublicURL = "https://" + a.expo.Domain
	}
	return e, nil
}

// ---- buckets ----

func (a *Addon) ListBuckets(ctx context.Context, req shared.ListBucketsRequest) (shared.ListBucketsResponse, error) {
	svc, err := a.services()
	if err != nil {
		return shared.ListBucketsResponse{}, err
	}
	infos, err := svc.buckets.List(ctx)
	if err != nil {
		return shared.ListBucketsResponse{}, err
	}
	snap, _, _ := svc.usage.Snapshot()
	out := shared.ListBucketsResponse{Buckets: make([]shared.Bucket, 0, len(infos)), LastScan: snap.ScannedAt}
	for _, b := range infos {
		out.Buckets = append(out.Buckets, shared.Bucket{
			Name: b.Name, Visibility: b.Visibility, CreatedAt: b.CreatedAt, Usage: snap.Usage(b.Name),
		})
	}
	return out, nil
}

func (a *Addon) CreateBucket(ctx context.Context, req shared.CreateBucketRequest) (shared.Bucket, error) {
	// Input is checked before anything else, so bad input gets its own
	// message even while MinIO is down.
	if err := buckets.CheckInput(req.Name, req.Visibility); err != nil {
		return shared.Bucket{}, err
	}
	svc, err := a.services()
	if err != nil {
		return shared.Bucket{}, err
	}
	b, err := svc.buckets.Create(ctx, req.Name, req.Visibility)
	if err != nil {
		return shared.Bucket{}, err
	}
	a.log.Info("bucket created", "bucket", b.Name, "visibility", b.Visibility, "caller", shared.CallerOf(ctx))
	return shared.Bucket{Name: b.Name, Visibility: b.Visibility, CreatedAt: b.CreatedAt}, nil
}

func (a *Addon) SetBucketVisibility(ctx context.Context, req shared.SetBucketVisibilityRequest) (shared.Bucket, error) {
	if err := buckets.CheckInput(req.Name, req.Visibility); err != nil {
		return shared.Bucket{}, err
	}
	svc, err := a.services()
	if err != nil {
		return shared.Bucket{}, err
	}
	b, err := svc.buckets.SetVisibility(ctx, req.Name, req.Visibility, req.OverwriteCustom)
	if err != nil {
		return shared.Bucket{}, err
	}
	a.log.Info("bucket visibility changed", "bucket", b.Name, "visibility", b.Visibility)
	return shared.Bucket{Name: b.Name, Visibility: b.Visibility, Usage: svc.usage.Usage(b.Name)}, nil
}

func (a *Addon) DeleteBucket(ctx context.Context, req shared.DeleteBucketRequest) (shared.DeleteBucketResponse, error) {
	if err := buckets.ValidateName(req.Name); err != nil {
		return shared.DeleteBucketResponse{}, err
	}
	svc, err := a.services()
	if err != nil {
		return shared.DeleteBucketResponse{}, err
	}
	n, err := svc.buckets.Delete(ctx, req.Name, req.Force)
	if err != nil {
		return shared.DeleteBucketResponse{Name: req.Name, ObjectsRemoved: n}, err
	}
	a.log.Info("bucket deleted", "bucket", req.Name, "forced", req.Force, "objects_removed", n)
	return shared.DeleteBucketResponse{Name: req.Name, ObjectsRemoved: n}, nil
}

// ---- keys ----

func (a *Addon) ListKeys(ctx context.Context, req shared.ListKeysRequest) (shared.ListKeysResponse, error) {
	svc, err := a.services()
	if err != nil {
		return shared.ListKeysResponse{}, err
	}
	return svc.keys.List(ctx)
}

func (a *Addon) CreateKey(ctx context.Context, req shared.CreateKeyRequest) (shared.CreateKeyResponse, error) {
	if err := validateKeyRequest(req); err != nil {
		return shared.CreateKeyResponse{}, err
	}
	svc, err := a.services()
	if err != nil {
		return shared.CreateKeyResponse{}, err
	}
	res, err := svc.keys.Create(ctx, req)
	if err != nil {
		return shared.CreateKeyResponse{}, err
	}
	a.log.Info("access key created", "name", res.Key.Name, "access_key", res.Key.AccessKey,
		"policy", res.Key.PolicyKind, "caller", shared.CallerOf(ctx))
	return res, nil
}

// validateKeyRequest checks what can be checked without MinIO.
func validateKeyRequest(req shared.CreateKeyRequest) error {
	if err := keys.ValidateName(req.Name); err != nil {
		return err
	}
	if err := keys.ValidateDescription(req.Description); err != nil {
		return err
	}
	if _, err := keys.ValidatePolicy(req.Policy); err != nil {
		return err
	}
	return keys.ValidateExpiry(req.Expiry, time.Now())
}

func (a *Addon) RevokeKey(ctx context.Context, req shared.RevokeKeyRequest) (shared.RevokeKeyResponse, error) {
	if req.AccessKey == "" {
		return shared.RevokeKeyResponse{}, shared.FieldError("access_key", "access key is required")
	}
	svc, err := a.services()
	if err != nil {
		return shared.RevokeKeyResponse{}, err
	}
	if err := svc.keys.Revoke(ctx, req.AccessKey); err != nil {
		return shared.RevokeKeyResponse{}, err
	}
	a.log.Info("access key revoked", "access_key", req.AccessKey)
	return shared.RevokeKeyResponse(req), nil
}

var (
	_ shared.Lifecycle     = (*Addon)(nil)
	_ shared.StorageModule = (*Addon)(nil)
)
