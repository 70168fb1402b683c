package addon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/page"
	"github.com/quazzar/object-storage/shared"
)

// gather collects what the page shows: status, endpoint, buckets with
// usage, keys without secrets. What cannot be read (MinIO down) becomes a
// problem line, not a failure.
func (a *Addon) gather(ctx context.Context) page.State {
	st, _ := a.Status(ctx, shared.StatusRequest{})
	ep, _ := a.Endpoint(ctx, shared.EndpointRequest{})
	s := page.State{Status: st, Endpoint: ep, Now: time.Now()}
	if st.State != shared.StateRunning && st.State != shared.StateDegraded {
		return s
	}
	if bs, err := a.ListBuckets(ctx, shared.ListBucketsRequest{}); err != nil {
		s.Problems = append(s.Problems, "Buckets cannot be listed right now: "+err.Error())
	} else {
		s.Buckets, s.LastScan = bs.Buckets, bs.LastScan
	}
	if ks, err := a.ListKeys(ctx, shared.ListKeysRequest{}); err != nil {
		s.Problems = append(s.Problems, "Access keys cannot be listed right now: "+err.Error())
	} else {
		s.Keys, s.KeysAsOf = ks.Keys, ks.AsOf
	}
	return s
}

// Page builds the page from live state.
func (a *Addon) Page(ctx context.Context, req shared.PageRequest) (shared.Page, error) {
	return page.Build(a.gather(ctx)), nil
}

// StateDocument is the add-on's answer to the host's
// GET /api/plugins/object-storage/state: what the page shows, as JSON,
// never a secret.
type StateDocument struct {
	Status   shared.Status   `json:"status"`
	Endpoint shared.Endpoint `json:"endpoint"`
	Buckets  []shared.Bucket `json:"buckets"`
	LastScan time.Time       `json:"last_scan,omitzero"`
	Keys     []shared.Key    `json:"keys"`
	// Problems says what could not be read (MinIO not running).
	Problems []string `json:"problems,omitempty"`
}

// State answers the page's data as a StateDocument.
func (a *Addon) State(ctx context.Context, req shared.StateRequest) (shared.StateResponse, error) {
	s := a.gather(ctx)
	doc := StateDocument{
		Status: s.Status, Endpoint: s.Endpoint, LastScan: s.LastScan, Problems: s.Problems,
		Buckets: s.Buckets, Keys: s.Keys,
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
		Name       string            `json:"name"`
		Visibility shared.Visibility `json:"visibility"`
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
	exposeInput struct {
		Domain string `json:"domain"`
	}
	unexposeInput struct{}
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
	handle(page.ActionCreateKey, (*Addon).createKeyAction),
	handle(page.ActionRevokeKey, (*Addon).revokeKeyAction),
	handle(page.ActionExpose, (*Addon).exposeAction),
	handle(page.ActionUnexpose, (*Addon).unexposeAction),
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
	b, err := a.CreateBucket(ctx, shared.CreateBucketRequest{Name: strings.TrimSpace(in.Name), Visibility: in.Visibility})
	if err != nil {
		return shared.ActionResult{}, err
	}
	return shared.ActionResult{Message: fmt.Sprintf("Bucket %s created (%s).", b.Name, b.Visibility), Refresh: true}, nil
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

// decode reads an action's JSON input strictly: an unknown field or a
// value of the wrong type is refused, naming the field.
func decode(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
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
