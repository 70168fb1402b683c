// Package addon is the object-storage add-on as the host sees it: a façade
// that wires the connection to MinIO, buckets, keys, usage and exposure
// into one implementation of shared.Lifecycle, shared.PageProvider and
// shared.StorageModule, so that the panel and other plugins cannot
// disagree.
package addon

import (
	"context"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/plugin/buckets"
	"github.com/quazzar/object-storage/plugin/exposure"
	"github.com/quazzar/object-storage/plugin/keys"
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
}

// refresh re-reads bucket policies on the usage interval, so a policy set
// in the console or with mc shows up as custom, and puts the exposure
// route back if the proxy lost it. The first round runs at once, so that
// the first listing after a start finds every bucket's visibility cached.
func (a *Addon) refresh(svc *services) {
	for {
		if err := svc.buckets.Refresh(svc.ctx); err != nil && svc.ctx.Err() == nil {
			a.log.Debug("bucket policy refresh failed", "error", err)
		}
		a.expo.Reconcile(svc.ctx)
		select {
		case <-svc.ctx.Done():
			return
		case <-time.After(a.conn.settings().UsageInterval):
		}
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
		return shared.HealthResponse{OK: true, Detail: "MinIO running"}, nil
	case shared.StateStarting:
		return shared.HealthResponse{OK: true, Detail: "MinIO starting: " + orText(st.Message, "no answer yet")}, nil
	case shared.StateStopped:
		return shared.HealthResponse{OK: true, Detail: orText(st.Message, "MinIO stopped")}, nil
	}
	return shared.HealthResponse{OK: false, Detail: "MinIO " + string(st.State) + ": " + orText(firstNonEmpty(st.Message, st.LastError), "no reason was recorded")}, nil
}

// Shutdown stops the background loops, then stops MinIO (StopServices) or
// leaves it running for the next add-on process to adopt.
func (a *Addon) Shutdown(ctx context.Context, req shared.ShutdownRequest) (shared.ShutdownResponse, error) {
	return shared.ShutdownResponse{}, a.conn.shutdown(ctx, req.StopServices)
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

func (a *Addon) ListBuckets(ctx context.Context, req shared.ListBucketsRequest) (shared.ListBucketsResponse, error) {
	svc, err := a.conn.services()
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
	svc, err := a.conn.services()
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
	a.log.Info("bucket deleted", "bucket", req.Name, "forced", req.Force, "objects_removed", n, "caller", shared.CallerOf(ctx))
	return shared.DeleteBucketResponse{Name: req.Name, ObjectsRemoved: n}, nil
}

// ---- keys ----

func (a *Addon) ListKeys(ctx context.Context, req shared.ListKeysRequest) (shared.ListKeysResponse, error) {
	svc, err := a.conn.services()
	if err != nil {
		return shared.ListKeysResponse{}, err
	}
	return svc.keys.List(ctx)
}

func (a *Addon) CreateKey(ctx context.Context, req shared.CreateKeyRequest) (shared.CreateKeyResponse, error) {
	if err := validateKeyRequest(req); err != nil {
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
	svc, err := a.conn.services()
	if err != nil {
		return shared.RevokeKeyResponse{}, err
	}
	if err := svc.keys.Revoke(ctx, req.AccessKey); err != nil {
		return shared.RevokeKeyResponse{}, err
	}
	a.log.Info("access key revoked", "access_key", req.AccessKey, "caller", shared.CallerOf(ctx))
	return shared.RevokeKeyResponse(req), nil
}

var (
	_ shared.Lifecycle     = (*Addon)(nil)
	_ shared.StorageModule = (*Addon)(nil)
	_ shared.UsesHostAPI   = (*Addon)(nil)
)
