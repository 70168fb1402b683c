package addon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quazzar/object-storage/plugin/auditlog"
	"github.com/quazzar/object-storage/plugin/bucketconfig"
	"github.com/quazzar/object-storage/plugin/history"
	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/page"
	"github.com/quazzar/object-storage/plugin/rotation"
	"github.com/quazzar/object-storage/shared"
)

// gather collects what the page shows: status, endpoint, drives, buckets
// with usage and settings, keys without secrets; with history, every
// bucket's and drive's samples (the state API's ?history=1), else the
// samples of the drives and of the buckets the page charts. What cannot be
// read (MinIO down) becomes a problem line, not a failure.
func (a *Addon) gather(ctx context.Context, withHistory bool) page.State {
	st, _ := a.Status(ctx, shared.StatusRequest{})
	ep, _ := a.Endpoint(ctx, shared.EndpointRequest{})
	s := page.State{Status: st, Endpoint: ep, Now: time.Now()}
	s.Topology, _ = a.Topology(ctx, shared.TopologyRequest{})
	if s.PendingPool = a.conn.pendingPool(); len(s.PendingPool) > 0 {
		s.PendingPoolText, s.PendingPoolError = a.conn.poolText(s.PendingPool)
	}
	if st.State != shared.StateRunning && st.State != shared.StateDegraded {
		return s
	}
	if c, err := a.Capacity(ctx, shared.CapacityRequest{WithHistory: true}); err != nil {
		s.Problems = append(s.Problems, "Drives cannot be read right now: "+err.Error())
	} else {
		s.Capacity = c
		if !withHistory {
			for i := range s.Capacity.Drives {
				s.Capacity.Drives[i].History = nil
			}
			s.DriveHistory = map[string][]shared.Sample{}
			for _, d := range c.Drives {
				s.DriveHistory[d.Path] = d.History
			}
		}
	}
	if bs, err := a.ListBuckets(ctx, shared.ListBucketsRequest{WithHistory: withHistory}); err != nil {
		s.Problems = append(s.Problems, "Buckets cannot be listed right now: "+err.Error())
	} else {
		s.Buckets, s.LastScan = bs.Buckets, bs.LastScan
		if !withHistory {
			s.BucketHistory = a.chartHistory(s.Buckets)
		}
	}
	if svc, err := a.conn.services(); err == nil && svc.dbErr != nil {
		s.Problems = append(s.Problems, "Usage history is off: "+svc.dbErr.Error())
	}
	if ks, err := a.ListKeys(ctx, shared.ListKeysRequest{}); err != nil {
		s.Problems = append(s.Problems, "Access keys cannot be listed right now: "+err.Error())
	} else {
		s.Keys, s.KeysAsOf = ks.Keys, ks.AsOf
		s.Tracking, s.TrackingProblem, s.TrackingSince = ks.Tracking, ks.TrackingProblem, ks.TrackingSince
	}
	return s
}

// chartHistory reads the samples of the buckets the page charts.
func (a *Addon) chartHistory(bs []shared.Bucket) map[string][]shared.Sample {
	svc, err := a.conn.services()
	if err != nil || svc.history == nil {
		return nil
	}
	out := map[string][]shared.Sample{}
	now := time.Now()
	for _, name := range page.ChartBuckets(bs) {
		samples, err := svc.history.Series(history.BucketSeries(name), now)
		if err != nil {
			a.log.Debug("usage history not read", "bucket", name, "error", err)
			continue
		}
		out[name] = contractSamples(samples)
	}
	return out
}

// Page builds the page from live state.
func (a *Addon) Page(ctx context.Context, req shared.PageRequest) (shared.Page, error) {
	s := a.gather(ctx, false)
	s.Query = req.Query
	return page.Build(s), nil
}

// StateDocument is the add-on's answer to the host's
// GET /api/plugins/object-storage/state: what the page shows, as JSON,
// never a secret. Each bucket's and drive's history (samples) is there
// only under ?history=1.
type StateDocument struct {
	Status   shared.Status   `json:"status"`
	Endpoint shared.Endpoint `json:"endpoint"`
	Capacity shared.Capacity `json:"capacity"`
	// Topology is the store's nodes and drives, the parity in use, what
	// may fail, and healing in progress.
	Topology shared.Topology `json:"topology"`
	// PendingPool are new drives of the settings waiting to be confirmed
	// as a pool (add_pool).
	PendingPool []string        `json:"pending_pool,omitempty"`
	Buckets     []shared.Bucket `json:"buckets"`
	LastScan    time.Time       `json:"last_scan,omitzero"`
	Keys        []shared.Key    `json:"keys"`
	// Tracking says whether keys' last use is tracked (MinIO's audit
	// log reaches the add-on); TrackingProblem why not.
	Tracking        bool      `json:"tracking"`
	TrackingProblem string    `json:"tracking_problem,omitempty"`
	TrackingSince   time.Time `json:"tracking_since,omitzero"`
	// Audit counts what the add-on's audit endpoint received since it
	// started: posts accepted and refused, entries read.
	Audit *auditlog.Stats `json:"audit,omitempty"`
	// Problems says what could not be read (MinIO not running).
	Problems []string `json:"problems,omitempty"`
}

// State answers the page's data as a StateDocument; ?history=1 adds the
// usage history.
func (a *Addon) State(ctx context.Context, req shared.StateRequest) (shared.StateResponse, error) {
	s := a.gather(ctx, req.Query["history"] == "1" || req.Query["history"] == "true")
	doc := StateDocument{
		Status: s.Status, Endpoint: s.Endpoint, Capacity: s.Capacity, LastScan: s.LastScan, Problems: s.Problems,
		Topology: s.Topology, PendingPool: s.PendingPool,
		Buckets: s.Buckets, Keys: s.Keys,
		Tracking: s.Tracking, TrackingProblem: s.TrackingProblem, TrackingSince: s.TrackingSince,
	}
	if svc, err := a.conn.services(); err == nil && svc.audit != nil {
		st := svc.audit.Stats()
		doc.Audit = &st
	}
	if doc.Capacity.Drives == nil {
		doc.Capacity = shared.Capacity{Drives: []shared.Drive{}, Level: shared.CapacityUnknown}
	}
	if doc.Buckets == nil {
		doc.Buckets = []shared.Bucket{}
	}
	if doc.Keys == nil {
		doc.Keys = []shared.Key{}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return shared.StateResponse{}, shared.Errorf(shared.CodeInternal, "encode the page's state: %w", err)
	}
	return shared.StateResponse{Document: b}, nil
}

// Action inputs, as the page (and the host's JSON API) send them.
type (
	createBucketInput struct {
		Name          string               `json:"name"`
		Visibility    shared.Visibility    `json:"visibility"`
		ObjectLock    bool                 `json:"object_lock"`
		RetentionMode shared.RetentionMode `json:"retention_mode"`
		RetentionDays int                  `json:"retention_days"`
	}
	setQuotaInput struct {
		Name  string     `json:"name"`
		Bytes *sizeInput `json:"bytes"`
	}
	setVersioningInput struct {
		Name  string            `json:"name"`
		State shared.Versioning `json:"state"`
	}
	setRetentionInput struct {
		Name string               `json:"name"`
		Mode shared.RetentionMode `json:"mode"`
		Days int                  `json:"days"`
	}
	addLifecycleRuleInput struct {
		Name               string `json:"name"`
		Prefix             string `json:"prefix"`
		ExpireDays         int    `json:"expire_days"`
		NoncurrentDays     int    `json:"noncurrent_days"`
		KeepNewest         int    `json:"keep_newest"`
		AbortMultipartDays int    `json:"abort_multipart_days"`
	}
	deleteLifecycleRuleInput struct {
		Name string `json:"name"`
		ID   string `json:"id"`
	}
	setVisibilityInput struct {
		Name            string            `json:"name"`
		Visibility      shared.Visibility `json:"visibility"`
		OverwriteCustom bool              `json:"overwrite_custom"`
	}
	deleteBucketInput struct {
		Name  string `json:"name"`
		Force bool   `json:"force"`
	}
	createKeyInput struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Policy      string `json:"policy"`
		Expiry      string `json:"expiry"`
		Admin       bool   `json:"admin"`
	}
	revokeKeyInput struct {
		AccessKey  string   `json:"access_key"`
		AlsoRevoke []string `json:"also_revoke"`
	}
	// updateKeyInput: a field absent, null or empty keeps what the key
	// has (the page's form sends every field); expiry "never" removes it.
	updateKeyInput struct {
		AccessKey   string  `json:"access_key"`
		Policy      *string `json:"policy"`
		Description *string `json:"description"`
		Expiry      *string `json:"expiry"`
		Admin       bool    `json:"admin"`
	}
	setKeyStatusInput struct {
		AccessKey string `json:"access_key"`
		Enabled   *bool  `json:"enabled"`
	}
	rotateKeyInput struct {
		AccessKey string `json:"access_key"`
		Overlap   string `json:"overlap"`
		Expiry    string `json:"expiry"`
	}
	exposeInput struct {
		Domain string `json:"domain"`
	}
	unexposeInput            struct{}
	createReplicaTargetInput struct {
		Name       string `json:"name"`
		Passphrase string `json:"passphrase"`
	}
	replicateBucketInput struct {
		Name       string `json:"name"`
		Token      string `json:"token"`
		Passphrase string `json:"passphrase"`
		// ReplicateDeletes absent (or null) is true.
		ReplicateDeletes *bool `json:"replicate_deletes"`
	}
	bucketNameInput struct {
		Name string `json:"name"`
	}
)

// Action runs one action of the page. Every input is checked here again,
// whatever the browser checked. A failed action answers OK false with the
// message and the field at fault; it has changed nothing.
func (a *Addon) Action(ctx context.Context, req shared.ActionRequest) (shared.ActionResult, error) {
	act, ok := actionsByName[req.Action]
	if !ok {
		return failure(shared.Errorf(shared.CodeInvalidArgument,
			"unknown action %q: the actions are %s", req.Action, strings.Join(ActionNames(), ", "))), nil
	}
	res, err := act.run(ctx, a, req.Input)
	if err != nil {
		return failure(err), nil
	}
	res.OK = true
	return res, nil
}

// action is one row of the dispatch table: its name (as the page sends
// it), and a runner that decodes the input into the handler's own type.
type action struct {
	name string
	run  func(ctx context.Context, a *Addon, raw json.RawMessage) (shared.ActionResult, error)
}

// handle makes a table row from a handler taking its typed input.
func handle[In any](name string, h func(a *Addon, ctx context.Context, in In) (shared.ActionResult, error)) action {
	return action{name: name, run: func(ctx context.Context, a *Addon, raw json.RawMessage) (shared.ActionResult, error) {
		var in In
		if err := decode(raw, &in); err != nil {
			return shared.ActionResult{}, err
		}
		return h(a, ctx, in)
	}}
}

// actions is the one table of the page's actions: name → input type →
// handler (which writes the message). The page's schema, the dispatcher
// and the "unknown action" message all come from it.
var actions = []action{
	handle(page.ActionCreateBucket, (*Addon).createBucketAction),
	handle(page.ActionSetVisibility, (*Addon).setVisibilityAction),
	handle(page.ActionDeleteBucket, (*Addon).deleteBucketAction),
	handle(page.ActionSetQuota, (*Addon).setQuotaAction),
	handle(page.ActionSetVersioning, (*Addon).setVersioningAction),
	handle(page.ActionSetRetention, (*Addon).setRetentionAction),
	handle(page.ActionAddLifecycleRule, (*Addon).addLifecycleRuleAction),
	handle(page.ActionDeleteLifecycleRule, (*Addon).deleteLifecycleRuleAction),
	handle(page.ActionCreateKey, (*Addon).createKeyAction),
	handle(page.ActionRevokeKey, (*Addon).revokeKeyAction),
	handle(page.ActionUpdateKey, (*Addon).updateKeyAction),
	handle(page.ActionSetKeyStatus, (*Addon).setKeyStatusAction),
	handle(page.ActionRotateKey, (*Addon).rotateKeyAction),
	handle(page.ActionExpose, (*Addon).exposeAction),
	handle(page.ActionUnexpose, (*Addon).unexposeAction),
	handle(page.ActionCreateReplicaTarget, (*Addon).createReplicaTargetAction),
	handle(page.ActionReplicateBucket, (*Addon).replicateBucketAction),
	handle(page.ActionResyncBucket, (*Addon).resyncBucketAction),
	handle(page.ActionStopReplication, (*Addon).stopReplicationAction),
	handle(page.ActionAddPool, (*Addon).addPoolAction),
	handle(page.ActionCreateCluster, (*Addon).createClusterAction),
	handle(page.ActionJoinCluster, (*Addon).joinClusterAction),
}

var actionsByName = func() map[string]action {
	m := make(map[string]action, len(actions))
	for _, act := range actions {
		m[act.name] = act
	}
	return m
}()

// ActionNames lists the page's actions, in table order.
func ActionNames() []string {
	out := make([]string, len(actions))
	for i, act := range actions {
		out[i] = act.name
	}
	return out
}

func (a *Addon) createBucketAction(ctx context.Context, in createBucketInput) (shared.ActionResult, error) {
	b, err := a.CreateBucket(ctx, shared.CreateBucketRequest{Name: strings.TrimSpace(in.Name), Visibility: in.Visibility,
		ObjectLock: in.ObjectLock, RetentionMode: in.RetentionMode, RetentionDays: in.RetentionDays})
	if err != nil {
		return shared.ActionResult{}, err
	}
	msg := fmt.Sprintf("Bucket %s created (%s).", b.Name, b.Visibility)
	switch {
	case b.Retention != nil:
		msg = fmt.Sprintf("Bucket %s created (%s, object lock: every new object is retained %d days in %s mode).", b.Name, b.Visibility, b.Retention.Days, b.Retention.Mode)
	case b.ObjectLock:
		msg = fmt.Sprintf("Bucket %s created (%s, object lock on, no default retention).", b.Name, b.Visibility)
	}
	return shared.ActionResult{Message: msg, Refresh: true}, nil
}

func (a *Addon) setQuotaAction(ctx context.Context, in setQuotaInput) (shared.ActionResult, error) {
	if in.Bytes == nil { // absent or null: never read as "remove the quota"
		return shared.ActionResult{}, shared.FieldError("bytes", "bytes is required: a size such as 10GiB, or 0 to remove the quota")
	}
	b, err := a.SetBucketQuota(ctx, shared.SetBucketQuotaRequest{Name: strings.TrimSpace(in.Name), Bytes: uint64(*in.Bytes)})
	if err != nil {
		return shared.ActionResult{}, err
	}
	if b.Quota == 0 {
		return shared.ActionResult{Message: fmt.Sprintf("Bucket %s has no quota now.", b.Name), Refresh: true}, nil
	}
	msg := fmt.Sprintf("Bucket %s has a quota of %s. MinIO checks it against its scanner's figures, so it is enforced within about one scan cycle.", b.Name, shared.HumanBytes(b.Quota))
	if b.Usage.Scanned && b.Usage.Size >= b.Quota {
		msg += fmt.Sprintf(" The bucket already holds %s: MinIO refuses uploads to it until it is below the quota.", shared.HumanBytes(b.Usage.Size))
	}
	return shared.ActionResult{Message: msg, Refresh: true}, nil
}

func (a *Addon) setVersioningAction(ctx context.Context, in setVersioningInput) (shared.ActionResult, error) {
	b, err := a.SetBucketVersioning(ctx, shared.SetBucketVersioningRequest{Name: strings.TrimSpace(in.Name), State: in.State})
	if err != nil {
		return shared.ActionResult{}, err
	}
	msg := fmt.Sprintf("Versioning of bucket %s is enabled: an overwrite or delete keeps the previous version.", b.Name)
	if b.Versioning == shared.VersioningSuspended {
		msg = fmt.Sprintf("Versioning of bucket %s is suspended: new writes keep no previous version; the versions kept so far stay.", b.Name)
	}
	return shared.ActionResult{Message: msg, Refresh: true}, nil
}

func (a *Addon) setRetentionAction(ctx context.Context, in setRetentionInput) (shared.ActionResult, error) {
	b, err := a.SetBucketRetention(ctx, shared.SetBucketRetentionRequest{Name: strings.TrimSpace(in.Name), Mode: in.Mode, Days: in.Days})
	if err != nil {
		return shared.ActionResult{}, err
	}
	if b.Retention == nil {
		return shared.ActionResult{Message: fmt.Sprintf("Bucket %s has no default retention now; objects locked so far stay locked.", b.Name), Refresh: true}, nil
	}
	return shared.ActionResult{Message: fmt.Sprintf("New objects of bucket %s are retained %d days in %s mode.", b.Name, b.Retention.Days, b.Retention.Mode), Refresh: true}, nil
}

func (a *Addon) addLifecycleRuleAction(ctx context.Context, in addLifecycleRuleInput) (shared.ActionResult, error) {
	r, err := a.AddLifecycleRule(ctx, shared.AddLifecycleRuleRequest{Name: strings.TrimSpace(in.Name), Prefix: in.Prefix,
		ExpireDays: in.ExpireDays, NoncurrentDays: in.NoncurrentDays, KeepNewest: in.KeepNewest, AbortMultipartDays: in.AbortMultipartDays})
	if err != nil {
		return shared.ActionResult{}, err
	}
	var parts []string
	if r.Rule.ID != "" {
		parts = append(parts, fmt.Sprintf("Rule %s added to bucket %s: %s", r.Rule.ID, r.Bucket.Name, r.Rule.Text))
	}
	if (in.NoncurrentDays > 0 || in.KeepNewest > 0) && r.Bucket.Versioning == shared.VersioningOff {
		parts = append(parts, "The bucket is not versioned, so the noncurrent-version part applies once versioning is enabled.")
	}
	if r.Uploads != "" {
		parts = append(parts, r.Uploads)
	}
	msg := strings.Join(parts, " ")
	return shared.ActionResult{Message: msg, Refresh: true}, nil
}

func (a *Addon) deleteLifecycleRuleAction(ctx context.Context, in deleteLifecycleRuleInput) (shared.ActionResult, error) {
	b, err := a.DeleteLifecycleRule(ctx, shared.DeleteLifecycleRuleRequest{Name: strings.TrimSpace(in.Name), ID: in.ID})
	if err != nil {
		return shared.ActionResult{}, err
	}
	return shared.ActionResult{Message: fmt.Sprintf("Rule %s deleted from bucket %s.", in.ID, b.Name), Refresh: true}, nil
}

// sizeInput is a size as an action takes it: a JSON number of bytes, or a
// string such as "10GiB" (what the page's text field sends).
type sizeInput uint64

func (s *sizeInput) UnmarshalJSON(b []byte) error {
	raw := strings.TrimSpace(string(b))
	if strings.HasPrefix(raw, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return shared.FieldError("bytes", "bytes must be a number or a size such as 10GiB")
		}
		if strings.TrimSpace(str) == "" {
			return shared.FieldError("bytes", "bytes is required: a size such as 10GiB, or 0 to remove the quota")
		}
		n, err := bucketconfig.ParseSize(str, "bytes")
		*s = sizeInput(n)
		return err
	}
	if strings.HasPrefix(raw, "-") {
		return shared.FieldError("bytes", "bytes is %s: a quota cannot be negative (0 removes it)", raw)
	}
	n, err := bucketconfig.ParseSize(raw, "bytes")
	*s = sizeInput(n)
	return err
}

func (a *Addon) setVisibilityAction(ctx context.Context, in setVisibilityInput) (shared.ActionResult, error) {
	b, err := a.SetBucketVisibility(ctx, shared.SetBucketVisibilityRequest{Name: in.Name, Visibility: in.Visibility, OverwriteCustom: in.OverwriteCustom})
	if err != nil {
		return shared.ActionResult{}, err
	}
	return shared.ActionResult{Message: fmt.Sprintf("Bucket %s is now %s.", b.Name, b.Visibility), Refresh: true}, nil
}

func (a *Addon) deleteBucketAction(ctx context.Context, in deleteBucketInput) (shared.ActionResult, error) {
	r, err := a.DeleteBucket(ctx, shared.DeleteBucketRequest{Name: in.Name, Force: in.Force})
	if err != nil {
		return shared.ActionResult{}, err
	}
	msg := fmt.Sprintf("Bucket %s deleted.", r.Name)
	if in.Force {
		msg = fmt.Sprintf("Bucket %s emptied (%d objects removed) and deleted.", r.Name, r.ObjectsRemoved)
	}
	return shared.ActionResult{Message: msg, Refresh: true}, nil
}

func (a *Addon) createKeyAction(ctx context.Context, in createKeyInput) (shared.ActionResult, error) {
	exp, err := keys.ParseExpiry(in.Expiry, time.Now())
	if err != nil {
		return shared.ActionResult{}, err
	}
	r, err := a.CreateKey(ctx, shared.CreateKeyRequest{Name: strings.TrimSpace(in.Name), Description: in.Description, Policy: in.Policy, Expiry: exp, Admin: in.Admin})
	if err != nil {
		return shared.ActionResult{}, err
	}
	ep, _ := a.Endpoint(ctx, shared.EndpointRequest{})
	return shared.ActionResult{
		Message:   fmt.Sprintf("Access key %s created.", r.Key.AccessKey),
		Modal:     page.SecretModal(r.Key, r.SecretKey, ep),
		Refresh:   true,
		AccessKey: r.Key.AccessKey,
		SecretKey: r.SecretKey,
	}, nil
}

func (a *Addon) revokeKeyAction(ctx context.Context, in revokeKeyInput) (shared.ActionResult, error) {
	r, err := a.RevokeKey(ctx, shared.RevokeKeyRequest{AccessKey: strings.TrimSpace(in.AccessKey), AlsoRevoke: in.AlsoRevoke})
	if err != nil {
		return shared.ActionResult{Refresh: len(r.Revoked) > 0}, err
	}
	msg := fmt.Sprintf("Access key %s revoked.", r.AccessKey)
	if len(r.Revoked) > 1 {
		msg = fmt.Sprintf("Access keys %s revoked.", strings.Join(r.Revoked, ", "))
	}
	return shared.ActionResult{Message: msg, Refresh: true}, nil
}

func (a *Addon) updateKeyAction(ctx context.Context, in updateKeyInput) (shared.ActionResult, error) {
	req := shared.UpdateKeyRequest{AccessKey: strings.TrimSpace(in.AccessKey), Admin: in.Admin}
	var changed []string
	if in.Policy != nil && strings.TrimSpace(*in.Policy) != "" {
		req.Policy = in.Policy
		changed = append(changed, "policy")
	} else if in.Admin {
		empty := ""
		req.Policy = &empty
		changed = append(changed, "policy")
	}
	if in.Description != nil && *in.Description != "" {
		req.Description = in.Description
		changed = append(changed, "description")
	}
	if in.Expiry != nil && strings.TrimSpace(*in.Expiry) != "" {
		var exp time.Time
		if !strings.EqualFold(strings.TrimSpace(*in.Expiry), "never") {
			var err error
			if exp, err = keys.ParseExpiry(*in.Expiry, time.Now()); err != nil {
				return shared.ActionResult{}, err
			}
		}
		req.Expiry = &exp
		changed = append(changed, "expiry")
	}
	k, err := a.UpdateKey(ctx, req)
	if err != nil {
		return shared.ActionResult{}, err
	}
	return shared.ActionResult{Message: fmt.Sprintf("Access key %s: %s changed; its secret is unchanged.", k.AccessKey, strings.Join(changed, ", ")), Refresh: true}, nil
}

func (a *Addon) setKeyStatusAction(ctx context.Context, in setKeyStatusInput) (shared.ActionResult, error) {
	if in.Enabled == nil {
		return shared.ActionResult{}, shared.FieldError("enabled", "enabled is required: true to enable the key, false to disable it")
	}
	k, err := a.SetKeyStatus(ctx, shared.SetKeyStatusRequest{AccessKey: strings.TrimSpace(in.AccessKey), Enabled: *in.Enabled})
	if err != nil {
		return shared.ActionResult{}, err
	}
	msg := fmt.Sprintf("Access key %s is disabled: S3 refuses it until it is enabled again.", k.AccessKey)
	if *in.Enabled {
		msg = fmt.Sprintf("Access key %s is enabled: its secret works again.", k.AccessKey)
	}
	return shared.ActionResult{Message: msg, Refresh: true}, nil
}

func (a *Addon) rotateKeyAction(ctx context.Context, in rotateKeyInput) (shared.ActionResult, error) {
	overlap, err := rotation.ParseOverlap(strings.TrimSpace(in.Overlap))
	if err != nil {
		return shared.ActionResult{}, err
	}
	exp, err := keys.ParseExpiry(in.Expiry, time.Now())
	if err != nil {
		return shared.ActionResult{}, err
	}
	r, err := a.RotateKey(ctx, shared.RotateKeyRequest{AccessKey: strings.TrimSpace(in.AccessKey), OverlapSeconds: int64(overlap / time.Second), Expiry: exp})
	if err != nil {
		return shared.ActionResult{}, err
	}
	ep, _ := a.Endpoint(ctx, shared.EndpointRequest{})
	modal := page.SecretModal(r.Key, r.SecretKey, ep)
	deadline := r.Key.Rotation.Deadline.UTC().Format("2006-01-02 15:04 UTC")
	modal.Title = "Access key " + r.Key.Name + " rotated"
	modal.Text = "Give the new credentials to the app. The old key " + r.Old.AccessKey + " keeps working until " + deadline +
		", or until it has been unused for an hour, then it is revoked. The secret is shown here and nowhere else."
	return shared.ActionResult{
		Message:   fmt.Sprintf("Access key %s rotated: the new key is %s; %s is revoked by %s.", r.Old.AccessKey, r.Key.AccessKey, r.Old.AccessKey, deadline),
		Modal:     modal,
		Refresh:   true,
		AccessKey: r.Key.AccessKey,
		SecretKey: r.SecretKey,
	}, nil
}

func (a *Addon) exposeAction(ctx context.Context, in exposeInput) (shared.ActionResult, error) {
	ep, err := a.Expose(ctx, shared.ExposeRequest{Domain: in.Domain})
	if err != nil {
		return shared.ActionResult{}, err
	}
	return shared.ActionResult{Message: "The S3 API is exposed at " + ep.PublicURL + ".", Refresh: true}, nil
}

func (a *Addon) unexposeAction(ctx context.Context, _ unexposeInput) (shared.ActionResult, error) {
	if _, err := a.Unexpose(ctx, shared.UnexposeRequest{}); err != nil {
		return shared.ActionResult{}, err
	}
	return shared.ActionResult{Message: "The S3 API is no longer exposed.", Refresh: true}, nil
}

func (a *Addon) createReplicaTargetAction(ctx context.Context, in createReplicaTargetInput) (shared.ActionResult, error) {
	r, err := a.CreateReplicaTarget(ctx, shared.CreateReplicaTargetRequest{Name: strings.TrimSpace(in.Name), Passphrase: in.Passphrase})
	if err != nil {
		return shared.ActionResult{}, err
	}
	msg := fmt.Sprintf("Bucket %s is ready to receive replicas.", r.Bucket)
	if !r.CreatedBucket {
		msg = fmt.Sprintf("Bucket %s (it existed) is ready to receive replicas.", r.Bucket)
	}
	if r.VersioningEnabled {
		msg += " Versioning was turned on: replication needs it."
	}
	msg += " Paste the pairing token on the node that has the data."
	return shared.ActionResult{Message: msg, Modal: page.TokenModal(r), Refresh: true, Token: r.Token, AccessKey: r.AccessKey}, nil
}

func (a *Addon) replicateBucketAction(ctx context.Context, in replicateBucketInput) (shared.ActionResult, error) {
	r, err := a.ReplicateBucket(ctx, shared.ReplicateBucketRequest{Name: strings.TrimSpace(in.Name), Token: in.Token,
		Passphrase: in.Passphrase, ReplicateDeletes: in.ReplicateDeletes})
	if err != nil {
		return shared.ActionResult{}, err
	}
	msg := fmt.Sprintf("Bucket %s now replicates to %s.", r.Name, r.Replication.Target)
	if r.VersioningEnabled {
		msg += " Versioning was turned on for it: replication needs it."
	}
	if r.Replication.ReplicateDeletes {
		msg += " Deletes are replicated too."
	} else {
		msg += " Deletes are not replicated: the target keeps what is deleted here."
	}
	msg += " Existing objects follow with the resync."
	for _, w := range r.Warnings {
		msg += " " + w
	}
	return shared.ActionResult{Message: msg, Refresh: true}, nil
}

func (a *Addon) resyncBucketAction(ctx context.Context, in bucketNameInput) (shared.ActionResult, error) {
	r, err := a.ResyncBucket(ctx, shared.ResyncBucketRequest{Name: strings.TrimSpace(in.Name)})
	if err != nil {
		return shared.ActionResult{}, err
	}
	return shared.ActionResult{Message: fmt.Sprintf("Resync of bucket %s to %s started: MinIO checks every object against the target and sends what is missing.", in.Name, r.Target), Refresh: true}, nil
}

func (a *Addon) stopReplicationAction(ctx context.Context, in bucketNameInput) (shared.ActionResult, error) {
	r, err := a.StopReplication(ctx, shared.StopReplicationRequest{Name: strings.TrimSpace(in.Name)})
	if err != nil {
		return shared.ActionResult{}, err
	}
	return shared.ActionResult{Message: fmt.Sprintf("Bucket %s no longer replicates to %s. Both copies stay as they are.", r.Name, orText(r.Target, "its target")), Refresh: true}, nil
}

// decode reads an action's JSON input strictly: an unknown field or a
// value of the wrong type is refused, naming the field.
func decode(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *shared.Error
		if errors.As(err, &se) { // an input type's own check (sizeInput)
			return se
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return shared.FieldError(te.Field, "field %s must be a %s, not a JSON %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return shared.Errorf(shared.CodeInvalidArgument, "unknown input field %s", f)
		}
		return shared.Errorf(shared.CodeInvalidArgument, "the input must be a JSON object: %v", err)
	}
	return nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "bool":
		return "true or false"
	case "string":
		return "string"
	case "struct", "map":
		return "JSON object"
	case "int", "int64", "uint64":
		return "whole number"
	}
	return goKind
}

// failure turns an error into a failed action result.
func failure(err error) shared.ActionResult {
	e := shared.AsError(err)
	r := shared.ActionResult{OK: false, Message: e.Message, Code: e.Code}
	if e.Field != "" {
		r.FieldErrors = map[string]string{e.Field: e.Message}
	}
	return r
}
