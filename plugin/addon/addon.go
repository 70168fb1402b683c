// Package addon is the object-storage add-on as the host sees it: a façade
// that wires the connection to MinIO, buckets, keys, usage and exposure
// into one implementation of shared.Lifecycle, shared.PageProvider and
// shared.StorageModule, so that the panel and other plugins cannot
// disagree.
package addon

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/plugin/bucketconfig"
	"github.com/quazzar/object-storage/plugin/buckets"
	"github.com/quazzar/object-storage/plugin/exposure"
	"github.com/quazzar/object-storage/plugin/history"
	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/owners"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/supervisor"
	"github.com/quazzar/object-storage/shared"
)

// Addon implements shared.Lifecycle, shared.PageProvider and
// shared.StorageModule. It holds no state of its own: MinIO's connection
// is conn's, the exposed domain is expo's.
type Addon struct {
	log  hclog.Logger
	conn *conn
	expo *exposure.Manager
}

// New returns an add-on that waits for its settings (Configure). opts tune
// the MinIO supervisor (tests shorten its timeouts).
func New(log hclog.Logger, opts ...supervisor.Option) *Addon {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	a := &Addon{log: log, conn: newConn(log, opts), expo: exposure.New(log.Named("exposure"))}
	a.conn.wired = a.wired
	a.conn.opened = func(set settings.Settings) {
		a.expo.Open(context.Background(), set.StateDir, set.S3Address)
	}
	return a
}

// wired runs each time MinIO's clients are (re)built: the route follows
// the S3 address, and the background refresh starts.
func (a *Addon) wired(ctx context.Context, set settings.Settings, svc *services) {
	a.expo.SetUpstream(ctx, set.S3Address)
	go a.refresh(svc)
	go a.keyLoop(svc)
}

// settingsEvery is how many usage intervals apart bucket settings (quota,
// versioning, lifecycle, object lock: four calls per bucket) are read
// again when MinIO's metadata export is not available, to show changes
// made outside the page; the page's own changes show at once.
const settingsEvery = 10

// refresh re-reads bucket policies and settings on the usage interval, so
// that a policy or quota set in the console or with mc shows up; and puts
// the exposure route back if the proxy lost it. The first round runs at
// once, so that the first listing after a start finds every bucket's
// visibility and settings cached. Both come from one call, MinIO's bucket
// metadata export; should it fail, policies cost a call per bucket each
// round and settings four per bucket every settingsEvery rounds.
func (a *Addon) refresh(svc *services) {
	for round := 0; ; round++ {
		a.refreshBuckets(svc, round)
		a.expo.Reconcile(svc.ctx)
		a.followKnownKeys(svc)
		select {
		case <-svc.ctx.Done():
			return
		case <-time.After(a.conn.settings().UsageInterval):
		}
	}
}

// refreshBuckets is one round of refresh's bucket part.
func (a *Addon) refreshBuckets(svc *services, round int) {
	// The marks come first: a change the page makes while the export is
	// read is newer than the export, and kept.
	bucketsMark, configMark := svc.buckets.Mark(), svc.config.Mark()
	exported, err := svc.admin.ExportBucketMetadata(svc.ctx)
	if err != nil {
		if svc.ctx.Err() != nil {
			return
		}
		a.log.Debug("bucket metadata export failed: reading bucket by bucket", "error", err)
	}
	var policies map[string]string
	if exported != nil {
		policies = make(map[string]string, len(exported))
		for name, files := range exported {
			policies[name] = string(files[minioadmin.FilePolicy])
		}
	}
	if err := svc.buckets.RefreshWith(svc.ctx, bucketsMark, policies); err != nil {
		if svc.ctx.Err() == nil {
			a.log.Debug("bucket policy refresh failed", "error", err)
		}
		return
	}
	if exported == nil && round%settingsEvery != 0 {
		return
	}
	if err := svc.config.RefreshWith(svc.ctx, configMark, svc.buckets.Names(), exported); err != nil && svc.ctx.Err() == nil {
		a.log.Debug("bucket settings refresh failed", "error", err)
	}
}

// SetReverseProxy gives the add-on the node's reverse proxy; nil means the
// node has none.
func (a *Addon) SetReverseProxy(p shared.ReverseProxy) {
	a.expo.SetProxy(context.Background(), p)
}

// SetHostAPI is called by the glue with the host's API; the add-on uses
// its reverse proxy.
func (a *Addon) SetHostAPI(h shared.HostAPI) { a.SetReverseProxy(h) }

// ---- lifecycle ----

// Configure takes the host's settings: see conn.configure.
func (a *Addon) Configure(ctx context.Context, req shared.ConfigureRequest) (shared.ConfigureResponse, error) {
	next, err := settings.Parse(req.Settings)
	if err != nil {
		return shared.ConfigureResponse{}, err
	}
	return a.conn.configure(ctx, next, req.ConfirmRestart)
}

// Health answers OK while MinIO runs or is on its way; not installed,
// failed or degraded answer not OK with the reason, so that the host shows
// the add-on degraded.
func (a *Addon) Health(ctx context.Context, req shared.HealthRequest) (shared.HealthResponse, error) {
	st := a.conn.status()
	switch st.State {
	case shared.StateRunning:
		return shared.HealthResponse{OK: true, Ready: true, Detail: "MinIO running"}, nil
	case shared.StateStarting:
		return shared.HealthResponse{OK: true, Detail: "MinIO starting: " + orText(st.Message, "no answer yet")}, nil
	case shared.StateStopped:
		return shared.HealthResponse{OK: true, Detail: orText(st.Message, "MinIO stopped")}, nil
	}
	return shared.HealthResponse{OK: false, Detail: "MinIO " + string(st.State) + ": " + orText(firstNonEmpty(st.Message, st.LastError), "no reason was recorded")}, nil
}

// Shutdown stops the background loops, then stops MinIO (StopServices) or
// leaves it running for the next add-on process to adopt.
// With Purge (an uninstall the owner confirmed by typing the id) it also
// removes the exposure route and deletes the data dir, the env file and
// the state dir.
func (a *Addon) Shutdown(ctx context.Context, req shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	set := a.conn.settings()
	if req.Purge {
		if d := a.expo.Domain(); d != "" {
			if err := a.expo.Unexpose(ctx); err != nil {
				a.log.Warn("could not remove the exposure route while purging", "domain", d, "error", err)
			}
		}
	}
	if err := a.conn.shutdown(ctx, req.StopServices || req.Purge); err != nil {
		return shared.ShutdownResponse{}, err
	}
	if req.Purge {
		for _, p := range []string{set.DataDir, set.EnvFile, set.StateDir} {
			if err := os.RemoveAll(p); err != nil {
				return shared.ShutdownResponse{}, shared.Errorf(shared.CodeInternal, "purge: could not delete %s: %w", p, err)
			}
		}
		a.log.Info("purged: MinIO's data, root credentials and the add-on's state were deleted", "data_dir", set.DataDir)
	}
	return shared.ShutdownResponse{}, nil
}

// ---- status and endpoint ----

func (a *Addon) Status(ctx context.Context, req shared.StatusRequest) (shared.Status, error) {
	return a.conn.status(), nil
}

func (a *Addon) Endpoint(ctx context.Context, req shared.EndpointRequest) (shared.Endpoint, error) {
	set := a.conn.settings()
	e := shared.Endpoint{S3URL: set.S3URL(), ConsoleURL: set.ConsoleURL(), Region: set.Region}
	if d := a.expo.Domain(); d != "" {
		e.Domain = d
		e.PublicURL = "https://" + d
	}
	return e, nil
}

// ---- exposure ----

// Expose routes https://<domain> to the S3 API through the node's reverse
// proxy, and remembers it.
func (a *Addon) Expose(ctx context.Context, req shared.ExposeRequest) (shared.Endpoint, error) {
	if _, err := a.expo.Expose(ctx, req.Domain); err != nil {
		return shared.Endpoint{}, err
	}
	return a.Endpoint(ctx, shared.EndpointRequest{})
}

// Unexpose removes the add-on's route, and only it.
func (a *Addon) Unexpose(ctx context.Context, req shared.UnexposeRequest) (shared.Endpoint, error) {
	if err := a.expo.Unexpose(ctx); err != nil {
		return shared.Endpoint{}, err
	}
	return a.Endpoint(ctx, shared.EndpointRequest{})
}

// ---- buckets ----

// ListBuckets lists every bucket with its usage, its settings (cached;
// read for buckets not seen yet) and, with a quota, its forecast.
func (a *Addon) ListBuckets(ctx context.Context, req shared.ListBucketsRequest) (shared.ListBucketsResponse, error) {
	svc, err := a.conn.services()
	if err != nil {
		return shared.ListBucketsResponse{}, err
	}
	infos, err := svc.buckets.List(ctx)
	if err != nil {
		return shared.ListBucketsResponse{}, err
	}
	names := make([]string, len(infos))
	for i, b := range infos {
		names[i] = b.Name
	}
	settings, errs := svc.config.GetAll(ctx, names)
	snap, _, _ := svc.usage.Snapshot()
	var all map[string][]history.Sample
	if req.WithHistory && svc.history != nil {
		if all, err = svc.history.All(time.Now()); err != nil {
			a.log.Debug("usage history not read", "error", err)
		}
	}
	out := shared.ListBucketsResponse{Buckets: make([]shared.Bucket, 0, len(infos)), LastScan: snap.ScannedAt}
	for _, info := range infos {
		b := shared.Bucket{Name: info.Name, Visibility: info.Visibility, CreatedAt: info.CreatedAt, Usage: snap.Usage(info.Name)}
		settings[info.Name].Apply(&b)
		if err := errs[info.Name]; err != nil {
			b.SettingsError = err.Error()
		}
		var samples []history.Sample
		if req.WithHistory {
			samples = all[history.BucketSeries(info.Name)]
			b.History = contractSamples(samples)
		}
		b.Forecast = a.bucketForecast(svc, b, samples, req.WithHistory)
		if r, ok := svc.repl.Cached(info.Name); ok {
			b.Replication = &r
		}
		if r, ok := svc.repl.ReplicaOf(info.Name); ok {
			b.ReplicaOf = &r
		}
		out.Buckets = append(out.Buckets, b)
	}
	return out, nil
}

// CreateBucket makes a bucket, with object lock and its default
// retention when asked. A bucket whose retention cannot be set is removed
// again: nothing is left half-made.
func (a *Addon) CreateBucket(ctx context.Context, req shared.CreateBucketRequest) (shared.Bucket, error) {
	// Input is checked before anything else, so bad input gets its own
	// message even while MinIO is down.
	if err := buckets.CheckInput(req.Name, req.Visibility); err != nil {
		return shared.Bucket{}, err
	}
	if err := bucketconfig.CheckRetention(req.RetentionMode, req.RetentionDays, "retention_mode", "retention_days"); err != nil {
		return shared.Bucket{}, err
	}
	if req.RetentionMode != "" && !req.ObjectLock {
		return shared.Bucket{}, shared.FieldError("retention_mode", "a default retention needs object lock: turn object lock on (it can only be turned on when the bucket is created)")
	}
	if err := checkComplianceCaller(ctx, req.RetentionMode); err != nil {
		return shared.Bucket{}, err
	}
	svc, err := a.conn.services()
	if err != nil {
		return shared.Bucket{}, err
	}
	b, err := svc.buckets.Create(ctx, req.Name, req.Visibility, req.ObjectLock)
	if err != nil {
		return shared.Bucket{}, err
	}
	if err := svc.config.InitRetention(ctx, req.Name, req.RetentionMode, req.RetentionDays); err != nil {
		if _, derr := svc.buckets.Delete(context.WithoutCancel(ctx), req.Name, false); derr != nil {
			a.log.Warn("bucket left behind after its retention failed", "bucket", req.Name, "error", derr)
		}
		return shared.Bucket{}, err
	}
	a.recordOwner(svc, owners.Bucket, b.Name, shared.CallerOf(ctx))
	a.log.Info("bucket created", "bucket", b.Name, "visibility", b.Visibility, "object_lock", req.ObjectLock,
		"retention", req.RetentionMode, "retention_days", req.RetentionDays, "caller", shared.CallerOf(ctx))
	out := shared.Bucket{Name: b.Name, Visibility: b.Visibility, CreatedAt: b.CreatedAt}
	if s, err := svc.config.Read(ctx, b.Name); err == nil {
		s.Apply(&out)
	} else {
		out.SettingsError = err.Error()
	}
	return out, nil
}

func (a *Addon) SetBucketVisibility(ctx context.Context, req shared.SetBucketVisibilityRequest) (shared.Bucket, error) {
	if err := buckets.CheckInput(req.Name, req.Visibility); err != nil {
		return shared.Bucket{}, err
	}
	svc, err := a.conn.services()
	if err != nil {
		return shared.Bucket{}, err
	}
	b, err := svc.buckets.SetVisibility(ctx, req.Name, req.Visibility, req.OverwriteCustom)
	if err != nil {
		return shared.Bucket{}, err
	}
	a.log.Info("bucket visibility changed", "bucket", b.Name, "visibility", b.Visibility, "caller", shared.CallerOf(ctx))
	return shared.Bucket{Name: b.Name, Visibility: b.Visibility, Usage: svc.usage.Usage(b.Name)}, nil
}

func (a *Addon) DeleteBucket(ctx context.Context, req shared.DeleteBucketRequest) (shared.DeleteBucketResponse, error) {
	if err := buckets.ValidateName(req.Name); err != nil {
		return shared.DeleteBucketResponse{}, err
	}
	svc, err := a.conn.services()
	if err != nil {
		return shared.DeleteBucketResponse{}, err
	}
	n, err := svc.buckets.Delete(ctx, req.Name, req.Force)
	if err != nil {
		return shared.DeleteBucketResponse{Name: req.Name, ObjectsRemoved: n}, err
	}
	svc.config.Forget(req.Name)
	svc.repl.Forget(req.Name)
	if svc.owners != nil {
		if err := svc.owners.Forget(owners.Bucket, req.Name); err != nil {
			a.log.Debug("owner of a deleted bucket not removed", "bucket", req.Name, "error", err)
		}
	}
	if svc.history != nil {
		if err := svc.history.Forget(history.BucketSeries(req.Name)); err != nil {
			a.log.Debug("usage history of a deleted bucket not removed", "bucket", req.Name, "error", err)
		}
	}
	a.log.Info("bucket deleted", "bucket", req.Name, "forced", req.Force, "objects_removed", n, "caller", shared.CallerOf(ctx))
	return shared.DeleteBucketResponse{Name: req.Name, ObjectsRemoved: n}, nil
}

// checkComplianceCaller refuses compliance retention to other plugins:
// it binds the node owner (nobody can delete those objects before their
// date, not even root), so only the owner's page may choose it.
func checkComplianceCaller(ctx context.Context, mode shared.RetentionMode) error {
	if caller := shared.CallerOf(ctx); caller != "" && mode == shared.RetentionCompliance {
		return shared.Errorf(shared.CodePermission,
			"plugin %s may not choose compliance retention: nobody, not even root, could delete those objects before their date; ask for governance mode, or the node owner can choose compliance on the Object Storage page", caller)
	}
	return nil
}

// ---- keys ----

func (a *Addon) ListKeys(ctx context.Context, req shared.ListKeysRequest) (shared.ListKeysResponse, error) {
	svc, err := a.conn.services()
	if err != nil {
		return shared.ListKeysResponse{}, err
	}
	list, err := svc.keys.List(ctx)
	if err != nil {
		return shared.ListKeysResponse{}, err
	}
	now := time.Now()
	for i := range list.Keys {
		svc.describe(&list.Keys[i], now)
	}
	list.Tracking, list.TrackingProblem = svc.trackingState()
	list.TrackingSince = svc.lastUsed.Since()
	return list, nil
}

// CreateKey makes an access key and returns its secret, once. Another
// plugin (a call the host forwards, with the caller's id) can never make an
// administrator key, nor one whose policy reaches beyond S3: the host
// refuses the first, and the add-on checks both again. A plugin's key
// records the plugin as its owner.
func (a *Addon) CreateKey(ctx context.Context, req shared.CreateKeyRequest) (shared.CreateKeyResponse, error) {
	if caller := shared.CallerOf(ctx); caller != "" && (req.Admin || keys.GrantsAdmin(req.Policy)) {
		return shared.CreateKeyResponse{}, shared.Errorf(shared.CodePermission,
			"plugin %s may not create a key that can administer the server: ask for a key with an S3 policy (or none, for S3 access to every bucket); only the node owner can make administrator keys, on the Object Storage page", caller)
	}
	if _, err := keys.CheckCreate(req, time.Now()); err != nil {
		return shared.CreateKeyResponse{}, err
	}
	svc, err := a.conn.services()
	if err != nil {
		return shared.CreateKeyResponse{}, err
	}
	res, err := svc.keys.Create(ctx, req)
	if err != nil {
		return shared.CreateKeyResponse{}, err
	}
	a.recordOwner(svc, owners.Key, res.Key.AccessKey, shared.CallerOf(ctx))
	svc.describe(&res.Key, time.Now())
	a.log.Info("access key created", "name", res.Key.Name, "access_key", res.Key.AccessKey,
		"policy", res.Key.PolicyKind, "admin", res.Key.Admin, "caller", shared.CallerOf(ctx))
	return res, nil
}

// RevokeKey revokes a key, and the keys in AlsoRevoke with it. Every key is
// checked before any is revoked, so that a bad request changes nothing.
// Another plugin may revoke only keys made through Cloud OS that cannot
// administer the server.
func (a *Addon) RevokeKey(ctx context.Context, req shared.RevokeKeyRequest) (shared.RevokeKeyResponse, error) {
	if req.AccessKey == "" {
		return shared.RevokeKeyResponse{}, shared.FieldError("access_key", "access key is required")
	}
	all := append([]string{req.AccessKey}, req.AlsoRevoke...)
	seen := map[string]bool{}
	for _, ak := range all {
		if ak == "" || seen[ak] {
			return shared.RevokeKeyResponse{}, shared.FieldError("also_revoke", "also_revoke must list other keys, each once, none empty")
		}
		seen[ak] = true
	}
	svc, err := a.conn.services()
	if err != nil {
		return shared.RevokeKeyResponse{}, err
	}
	known, err := keysByAccess(ctx, svc, all)
	if err != nil {
		return shared.RevokeKeyResponse{}, err
	}
	caller := shared.CallerOf(ctx)
	for i, ak := range all {
		field := "access_key"
		if i > 0 {
			field = "also_revoke"
		}
		k, ok := known[ak]
		if !ok {
			return shared.RevokeKeyResponse{}, &shared.Error{Code: shared.CodeNotFound, Field: field,
				Message: "there is no key " + clip(ak) + ": it may have been revoked already; nothing was revoked"}
		}
		if caller != "" && (!k.Managed || k.Admin) {
			return shared.RevokeKeyResponse{}, &shared.Error{Code: shared.CodePermission, Field: field,
				Message: "plugin " + caller + " may not revoke key " + ak + ": only keys made through Cloud OS that cannot administer the server; nothing was revoked"}
		}
	}
	res := shared.RevokeKeyResponse{AccessKey: req.AccessKey, Revoked: []string{}}
	for _, ak := range all {
		if err := a.revoke(ctx, svc, ak); err != nil {
			if len(res.Revoked) > 0 {
				return res, shared.Errorf(shared.CodeOf(err), "revoked %s, then could not revoke %s: %w", strings.Join(res.Revoked, ", "), ak, err)
			}
			return res, err
		}
		res.Revoked = append(res.Revoked, ak)
		a.log.Info("access key revoked", "access_key", ak, "caller", caller)
	}
	return res, nil
}

// keysByAccess returns the listed keys by access key, reading the list
// from MinIO again when one of want is not in the cached list (made
// elsewhere since the last refresh).
func keysByAccess(ctx context.Context, svc *services, want []string) (map[string]shared.Key, error) {
	for attempt := 0; ; attempt++ {
		list, err := svc.keys.List(ctx)
		if err != nil {
			return nil, err
		}
		known := make(map[string]shared.Key, len(list.Keys))
		for _, k := range list.Keys {
			known[k.AccessKey] = k
		}
		missing := false
		for _, ak := range want {
			_, ok := known[ak]
			missing = missing || !ok
		}
		if !missing || attempt > 0 {
			return known, nil
		}
		if err := svc.keys.Refresh(ctx); err != nil {
			return nil, err
		}
	}
}

// clip shortens an echoed input for a message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

var (
	_ shared.Lifecycle     = (*Addon)(nil)
	_ shared.StorageModule = (*Addon)(nil)
	_ shared.UsesHostAPI   = (*Addon)(nil)
)
