package shared

import (
	"context"
	"encoding/json"
	"net/rpc"
	"reflect"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
)

// Handshake is checked by go-plugin before any call: a binary that does not
// present this cookie is not one of ours and is refused.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "CLOUDOS_PLUGIN",
	MagicCookieValue: "f3b1c2d4-cloudos-plugin-v1",
}

// PluginName is the single entry of the go-plugin plugin map: every Cloud
// OS plugin serves one RPC object; which interfaces it implements is said by
// its manifest's "provides".
const PluginName = "cloudos"

// PluginMap is the plugin map for hosts (Impl unset) and for plugin.Serve.
func PluginMap(impl any) map[string]plugin.Plugin {
	return map[string]plugin.Plugin{PluginName: &RPCPlugin{Impl: impl}}
}

// DefaultCallTimeout bounds a call whose context has no deadline: net/rpc
// has no cancellation, so the client gives up and the host never hangs on a
// plugin that stopped answering.
const DefaultCallTimeout = 60 * time.Second

// RPCPlugin is the go-plugin glue. Impl is the plugin's implementation of
// Lifecycle and of whatever else it provides (PageProvider, StorageModule).
type RPCPlugin struct {
	Impl any
}

func (p *RPCPlugin) Server(b *plugin.MuxBroker) (any, error) {
	return &PluginServer{impl: p.Impl, broker: b}, nil
}

func (p *RPCPlugin) Client(b *plugin.MuxBroker, c *rpc.Client) (any, error) {
	return &PluginClient{rpc: c, broker: b}, nil
}

// Args is every call's argument on the wire: the deadline of the caller's
// context, the calling plugin's id when the host forwards a plugin's call,
// and the JSON request.
type Args struct {
	Deadline time.Time
	Caller   string
	Body     []byte
}

// Reply is every call's reply on the wire: the JSON response, or an error.
type Reply struct {
	Body []byte
	Err  *Error
}

type callerKey struct{}

// WithCaller marks ctx as a call made on behalf of the plugin id. Only the
// host sets it on calls it forwards; a plugin cannot choose it.
func WithCaller(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, callerKey{}, id)
}

// CallerOf returns the plugin id on whose behalf the call was made, or ""
// for the host itself.
func CallerOf(ctx context.Context) string {
	id, _ := ctx.Value(callerKey{}).(string)
	return id
}

// ---- client stub (host side) ----

// PluginClient is the host's stub for calling a plugin over net/rpc. It implements Lifecycle,
// PageProvider and StorageModule; calls to an interface the plugin does
// not implement fail with CodeNotEnabled.
type PluginClient struct {
	rpc    *rpc.Client
	broker *plugin.MuxBroker
	// target, when set, sends every call through the host's Forward to
	// that plugin (a plugin calling another plugin).
	target string
	// service is the net/rpc service name: "Plugin" (default) or "Host".
	service string
}

// Broker is go-plugin's connection multiplexer of this plugin, over which
// the host serves its own API to the plugin.
func (c *PluginClient) Broker() *plugin.MuxBroker { return c.broker }

func call[Req, Resp any](ctx context.Context, c *PluginClient, method string, req Req) (Resp, error) {
	var resp Resp
	body, err := json.Marshal(req)
	if err != nil {
		return resp, Errorf(CodeInvalidArgument, "encode %s request: %w", method, err)
	}
	service := "Plugin."
	if c.service != "" {
		service = c.service + "."
	}
	if c.target != "" {
		service = "Host."
		body, _ = json.Marshal(ForwardCall{Target: c.target, Method: method, Body: body})
		method = "Forward"
	}
	out, err := invoke(ctx, c.rpc, service+method, body)
	if err != nil {
		return resp, err
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return resp, Errorf(CodeInternal, "decode %s reply: %w", method, err)
	}
	return resp, nil
}

// CallRaw calls a plugin method with a JSON request and returns the JSON
// reply; the host uses it to forward one plugin's call to another.
func (c *PluginClient) CallRaw(ctx context.Context, method string, body []byte) ([]byte, error) {
	return invoke(ctx, c.rpc, "Plugin."+method, body)
}

// invoke sends one call with the context's deadline (or the default) and
// the caller id, and gives up when the deadline passes.
func invoke(ctx context.Context, c *rpc.Client, method string, body []byte) ([]byte, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultCallTimeout)
	}
	args := Args{Deadline: deadline, Caller: CallerOf(ctx), Body: body}
	var reply Reply
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	done := c.Go(method, args, &reply, make(chan *rpc.Call, 1)).Done
	select {
	case res := <-done:
		if res.Error != nil {
			return nil, Errorf(CodeUnavailable, "plugin call %s failed: %w", method, res.Error)
		}
	case <-ctx.Done():
		return nil, Errorf(CodeUnavailable, "plugin call %s abandoned: %w", method, ctx.Err())
	case <-timer.C:
		return nil, Errorf(CodeUnavailable, "plugin call %s got no answer before its deadline", method)
	}
	if reply.Err != nil {
		return nil, reply.Err
	}
	return reply.Body, nil
}

func (c *PluginClient) Configure(ctx context.Context, req ConfigureRequest) (ConfigureResponse, error) {
	return call[ConfigureRequest, ConfigureResponse](ctx, c, "Configure", req)
}
func (c *PluginClient) Health(ctx context.Context, req HealthRequest) (HealthResponse, error) {
	return call[HealthRequest, HealthResponse](ctx, c, "Health", req)
}
func (c *PluginClient) Shutdown(ctx context.Context, req ShutdownRequest) (ShutdownResponse, error) {
	return call[ShutdownRequest, ShutdownResponse](ctx, c, "Shutdown", req)
}
func (c *PluginClient) ProviderChanged(ctx context.Context, req ProviderChangedRequest) (ProviderChangedResponse, error) {
	return call[ProviderChangedRequest, ProviderChangedResponse](ctx, c, "ProviderChanged", req)
}
func (c *PluginClient) Page(ctx context.Context, req PageRequest) (Page, error) {
	return call[PageRequest, Page](ctx, c, "Page", req)
}
func (c *PluginClient) Action(ctx context.Context, req ActionRequest) (ActionResult, error) {
	return call[ActionRequest, ActionResult](ctx, c, "Action", req)
}
func (c *PluginClient) State(ctx context.Context, req StateRequest) (StateResponse, error) {
	return call[StateRequest, StateResponse](ctx, c, "State", req)
}
func (c *PluginClient) Status(ctx context.Context, req StatusRequest) (Status, error) {
	return call[StatusRequest, Status](ctx, c, "Status", req)
}
func (c *PluginClient) Endpoint(ctx context.Context, req EndpointRequest) (Endpoint, error) {
	return call[EndpointRequest, Endpoint](ctx, c, "Endpoint", req)
}
func (c *PluginClient) ListBuckets(ctx context.Context, req ListBucketsRequest) (ListBucketsResponse, error) {
	return call[ListBucketsRequest, ListBucketsResponse](ctx, c, "ListBuckets", req)
}
func (c *PluginClient) CreateBucket(ctx context.Context, req CreateBucketRequest) (Bucket, error) {
	return call[CreateBucketRequest, Bucket](ctx, c, "CreateBucket", req)
}
func (c *PluginClient) SetBucketVisibility(ctx context.Context, req SetBucketVisibilityRequest) (Bucket, error) {
	return call[SetBucketVisibilityRequest, Bucket](ctx, c, "SetBucketVisibility", req)
}
func (c *PluginClient) DeleteBucket(ctx context.Context, req DeleteBucketRequest) (DeleteBucketResponse, error) {
	return call[DeleteBucketRequest, DeleteBucketResponse](ctx, c, "DeleteBucket", req)
}
func (c *PluginClient) SetBucketQuota(ctx context.Context, req SetBucketQuotaRequest) (Bucket, error) {
	return call[SetBucketQuotaRequest, Bucket](ctx, c, "SetBucketQuota", req)
}
func (c *PluginClient) SetBucketVersioning(ctx context.Context, req SetBucketVersioningRequest) (Bucket, error) {
	return call[SetBucketVersioningRequest, Bucket](ctx, c, "SetBucketVersioning", req)
}
func (c *PluginClient) SetBucketRetention(ctx context.Context, req SetBucketRetentionRequest) (Bucket, error) {
	return call[SetBucketRetentionRequest, Bucket](ctx, c, "SetBucketRetention", req)
}
func (c *PluginClient) AddLifecycleRule(ctx context.Context, req AddLifecycleRuleRequest) (AddLifecycleRuleResponse, error) {
	return call[AddLifecycleRuleRequest, AddLifecycleRuleResponse](ctx, c, "AddLifecycleRule", req)
}
func (c *PluginClient) DeleteLifecycleRule(ctx context.Context, req DeleteLifecycleRuleRequest) (Bucket, error) {
	return call[DeleteLifecycleRuleRequest, Bucket](ctx, c, "DeleteLifecycleRule", req)
}
func (c *PluginClient) Capacity(ctx context.Context, req CapacityRequest) (Capacity, error) {
	return call[CapacityRequest, Capacity](ctx, c, "Capacity", req)
}
func (c *PluginClient) Topology(ctx context.Context, req TopologyRequest) (Topology, error) {
	return call[TopologyRequest, Topology](ctx, c, "Topology", req)
}
func (c *PluginClient) ListKeys(ctx context.Context, req ListKeysRequest) (ListKeysResponse, error) {
	return call[ListKeysRequest, ListKeysResponse](ctx, c, "ListKeys", req)
}
func (c *PluginClient) CreateKey(ctx context.Context, req CreateKeyRequest) (CreateKeyResponse, error) {
	return call[CreateKeyRequest, CreateKeyResponse](ctx, c, "CreateKey", req)
}
func (c *PluginClient) RevokeKey(ctx context.Context, req RevokeKeyRequest) (RevokeKeyResponse, error) {
	return call[RevokeKeyRequest, RevokeKeyResponse](ctx, c, "RevokeKey", req)
}
func (c *PluginClient) UpdateKey(ctx context.Context, req UpdateKeyRequest) (Key, error) {
	return call[UpdateKeyRequest, Key](ctx, c, "UpdateKey", req)
}
func (c *PluginClient) SetKeyStatus(ctx context.Context, req SetKeyStatusRequest) (Key, error) {
	return call[SetKeyStatusRequest, Key](ctx, c, "SetKeyStatus", req)
}
func (c *PluginClient) RotateKey(ctx context.Context, req RotateKeyRequest) (RotateKeyResponse, error) {
	return call[RotateKeyRequest, RotateKeyResponse](ctx, c, "RotateKey", req)
}
func (c *PluginClient) Owned(ctx context.Context, req OwnedRequest) (OwnedResponse, error) {
	return call[OwnedRequest, OwnedResponse](ctx, c, "Owned", req)
}
func (c *PluginClient) Expose(ctx context.Context, req ExposeRequest) (Endpoint, error) {
	return call[ExposeRequest, Endpoint](ctx, c, "Expose", req)
}
func (c *PluginClient) Unexpose(ctx context.Context, req UnexposeRequest) (Endpoint, error) {
	return call[UnexposeRequest, Endpoint](ctx, c, "Unexpose", req)
}
func (c *PluginClient) CreateReplicaTarget(ctx context.Context, req CreateReplicaTargetRequest) (CreateReplicaTargetResponse, error) {
	return call[CreateReplicaTargetRequest, CreateReplicaTargetResponse](ctx, c, "CreateReplicaTarget", req)
}
func (c *PluginClient) ReplicateBucket(ctx context.Context, req ReplicateBucketRequest) (ReplicateBucketResponse, error) {
	return call[ReplicateBucketRequest, ReplicateBucketResponse](ctx, c, "ReplicateBucket", req)
}
func (c *PluginClient) ReplicationStatus(ctx context.Context, req ReplicationStatusRequest) (Replication, error) {
	return call[ReplicationStatusRequest, Replication](ctx, c, "ReplicationStatus", req)
}
func (c *PluginClient) ResyncBucket(ctx context.Context, req ResyncBucketRequest) (Replication, error) {
	return call[ResyncBucketRequest, Replication](ctx, c, "ResyncBucket", req)
}
func (c *PluginClient) StopReplication(ctx context.Context, req StopReplicationRequest) (StopReplicationResponse, error) {
	return call[StopReplicationRequest, StopReplicationResponse](ctx, c, "StopReplication", req)
}

// ---- server adapter (plugin side) ----

// PluginServer is the plugin-side net/rpc adapter (host → plugin): it
// serves a plugin's implementation over net/rpc under the name
// "Plugin".
type PluginServer struct {
	impl     any
	broker   *plugin.MuxBroker
	hostOnce sync.Once
}

func serve[I, Req, Resp any](s *PluginServer, a Args, r *Reply, f func(I, context.Context, Req) (Resp, error)) error {
	impl, ok := s.impl.(I)
	if !ok {
		r.Err = Errorf(CodeNotEnabled, "this plugin does not provide %s", reflect.TypeFor[I]().Name())
		return nil
	}
	var req Req
	if len(a.Body) > 0 {
		if err := json.Unmarshal(a.Body, &req); err != nil {
			r.Err = Errorf(CodeInvalidArgument, "malformed request: %v", err)
			return nil
		}
	}
	ctx, cancel := context.WithDeadline(context.Background(), a.Deadline)
	defer cancel()
	if a.Caller != "" {
		ctx = WithCaller(ctx, a.Caller)
	}
	resp, err := f(impl, ctx, req)
	if err != nil {
		r.Err = AsError(err)
		return nil
	}
	body, err := json.Marshal(resp)
	if err != nil {
		r.Err = Errorf(CodeInternal, "encode reply: %v", err)
		return nil
	}
	r.Body = body
	return nil
}

// Configure first connects the plugin to the host's services when the
// host offers them (HostAPIStream) and the plugin wants them (UsesHostAPI).
func (s *PluginServer) Configure(a Args, r *Reply) error {
	var req ConfigureRequest
	_ = json.Unmarshal(a.Body, &req)
	if ha, ok := s.impl.(UsesHostAPI); ok && req.HostAPIStream != 0 && s.broker != nil {
		s.hostOnce.Do(func() {
			conn, err := s.broker.Dial(req.HostAPIStream)
			if err != nil {
				r.Err = Errorf(CodeUnavailable, "connect to the host's services: %v", err)
				return
			}
			ha.SetHostAPI(NewHostAPIClient(rpc.NewClient(conn)))
		})
		if r.Err != nil {
			return nil
		}
	}
	return serve(s, a, r, Lifecycle.Configure)
}
func (s *PluginServer) Health(a Args, r *Reply) error { return serve(s, a, r, Lifecycle.Health) }
func (s *PluginServer) Shutdown(a Args, r *Reply) error {
	return serve(s, a, r, Lifecycle.Shutdown)
}
func (s *PluginServer) ProviderChanged(a Args, r *Reply) error {
	return serve(s, a, r, ProviderWatcher.ProviderChanged)
}
func (s *PluginServer) Page(a Args, r *Reply) error   { return serve(s, a, r, PageProvider.Page) }
func (s *PluginServer) Action(a Args, r *Reply) error { return serve(s, a, r, PageProvider.Action) }
func (s *PluginServer) State(a Args, r *Reply) error  { return serve(s, a, r, PageProvider.State) }
func (s *PluginServer) Status(a Args, r *Reply) error { return serve(s, a, r, StorageModule.Status) }
func (s *PluginServer) Endpoint(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.Endpoint)
}
func (s *PluginServer) ListBuckets(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.ListBuckets)
}
func (s *PluginServer) CreateBucket(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.CreateBucket)
}
func (s *PluginServer) SetBucketVisibility(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.SetBucketVisibility)
}
func (s *PluginServer) DeleteBucket(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.DeleteBucket)
}
func (s *PluginServer) SetBucketQuota(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.SetBucketQuota)
}
func (s *PluginServer) SetBucketVersioning(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.SetBucketVersioning)
}
func (s *PluginServer) SetBucketRetention(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.SetBucketRetention)
}
func (s *PluginServer) AddLifecycleRule(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.AddLifecycleRule)
}
func (s *PluginServer) DeleteLifecycleRule(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.DeleteLifecycleRule)
}
func (s *PluginServer) Capacity(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.Capacity)
}
func (s *PluginServer) Topology(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.Topology)
}
func (s *PluginServer) ListKeys(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.ListKeys)
}
func (s *PluginServer) CreateKey(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.CreateKey)
}
func (s *PluginServer) RevokeKey(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.RevokeKey)
}
func (s *PluginServer) UpdateKey(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.UpdateKey)
}
func (s *PluginServer) SetKeyStatus(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.SetKeyStatus)
}
func (s *PluginServer) RotateKey(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.RotateKey)
}
func (s *PluginServer) Owned(a Args, r *Reply) error  { return serve(s, a, r, StorageModule.Owned) }
func (s *PluginServer) Expose(a Args, r *Reply) error { return serve(s, a, r, StorageModule.Expose) }
func (s *PluginServer) Unexpose(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.Unexpose)
}
func (s *PluginServer) CreateReplicaTarget(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.CreateReplicaTarget)
}
func (s *PluginServer) ReplicateBucket(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.ReplicateBucket)
}
func (s *PluginServer) ReplicationStatus(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.ReplicationStatus)
}
func (s *PluginServer) ResyncBucket(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.ResyncBucket)
}
func (s *PluginServer) StopReplication(a Args, r *Reply) error {
	return serve(s, a, r, StorageModule.StopReplication)
}

// Interface checks.
var (
	_ Lifecycle       = (*PluginClient)(nil)
	_ ProviderWatcher = (*PluginClient)(nil)
	_ StorageModule   = (*PluginClient)(nil)
)
