package page

// The page's actions: the names its forms and row buttons send, which the
// add-on's dispatch table maps to handlers. Scripts use them through the
// host's JSON API, so they never change.
const (
	ActionCreateBucket  = "create_bucket"
	ActionSetVisibility = "set_visibility"
	ActionDeleteBucket  = "delete_bucket"
	// Bucket settings.
	ActionSetQuota            = "set_quota"
	ActionSetVersioning       = "set_versioning"
	ActionSetRetention        = "set_retention"
	ActionAddLifecycleRule    = "add_lifecycle_rule"
	ActionDeleteLifecycleRule = "delete_lifecycle_rule"
	ActionCreateKey           = "create_key"
	ActionRevokeKey           = "revoke_key"
	ActionUpdateKey           = "update_key"
	ActionSetKeyStatus        = "set_key_status"
	ActionRotateKey           = "rotate_key"
	ActionExpose              = "expose"
	ActionUnexpose            = "unexpose"
	// Off-site copies: the target node's replica bucket and pairing
	// token, the source node's replication of a bucket.
	ActionCreateReplicaTarget = "create_replica_target"
	ActionReplicateBucket     = "replicate_bucket"
	ActionResyncBucket        = "resync_bucket"
	ActionStopReplication     = "stop_replication"
	// Drives and nodes.
	ActionAddPool       = "add_pool"
	ActionCreateCluster = "create_cluster"
	ActionJoinCluster   = "join_cluster"
)
