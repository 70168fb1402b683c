package addon

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/quazzar/object-storage/plugin/cluster"
	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/page"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/supervisor"
	"github.com/quazzar/object-storage/plugin/topology"
	"github.com/quazzar/object-storage/shared"
)

// ---- topology ----

// Topology is the store's nodes and drives: MinIO's view as of the last
// usage refresh while MinIO answers, else the add-on's record of the
// layout with the nodes that do not answer. Read-only.
func (a *Addon) Topology(ctx context.Context, req shared.TopologyRequest) (shared.Topology, error) {
	set := a.conn.settings()
	st := a.conn.status()
	if svc, err := a.conn.services(); err == nil {
		if snap, _, _ := svc.usage.Snapshot(); snap.Topology.FromMinIO {
			t := snap.Topology
			t.WaitingFor = st.WaitingFor
			return t, nil
		}
	}
	return topology.FromLayout(a.conn.layout(), set.S3Address, st.WaitingFor), nil
}

// pendingPool is the drives the settings list after the layout MinIO was
// set up with, waiting for the node owner to confirm them as a new pool;
// nil when there are none.
func (c *conn) pendingPool() []string {
	set := c.settings()
	rec, ok, err := layout.Read(set.StateDir)
	if err != nil || !ok {
		return nil
	}
	if v := layout.Check(rec, set.Drives(), set.S3Address); v.Kind == layout.Expansion {
		return v.New
	}
	return nil
}

// poolText says what adding the pending drives as a pool does, or why
// MinIO cannot take them.
func (c *conn) poolText(added []string) (text, refusal string) {
	rec, ok, err := layout.Read(c.settings().StateDir)
	if err != nil || !ok {
		return "", "the drive layout cannot be read"
	}
	parity := c.parity(rec)
	grown, err := rec.Expand(added, parity)
	if err != nil {
		return "", shared.AsError(err).Message
	}
	return PoolText(added, grown, parity), ""
}

// ---- actions ----

type (
	addPoolInput struct {
		Drives []string `json:"drives"`
	}
	createClusterInput struct {
		Passphrase string     `json:"passphrase"`
		Nodes      stringList `json:"nodes"`
	}
	joinClusterInput struct {
		Token      string `json:"token"`
		Passphrase string `json:"passphrase"`
	}
)

// stringList is a list as an action takes it: a JSON array of strings, or
// one string of lines (what the page's text area sends).
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return shared.FieldError("nodes", "nodes must be a list of node addresses (one a line), e.g. 10.0.0.2:9000")
	}
	*l = many
	return nil
}

// addPoolAction adds the drives the settings list after the layout as a
// new pool. The page asks to confirm first; drives must be the pending
// ones, so that what was confirmed is what is added.
func (a *Addon) addPoolAction(ctx context.Context, in addPoolInput) (shared.ActionResult, error) {
	a.conn.cfg.Lock()
	defer a.conn.cfg.Unlock()
	pending := a.conn.pendingPool()
	if len(pending) == 0 {
		return shared.ActionResult{}, shared.Errorf(shared.CodeConflict,
			"there are no new drives to add: setting data_dirs lists the drives MinIO was set up with; to grow, add the new drives at the end of that list first")
	}
	if !slices.Equal(in.Drives, pending) {
		return shared.ActionResult{}, shared.FieldError("drives", "the new drives are %s, not %s: reload the page and confirm again",
			strings.Join(pending, ", "), strings.Join(in.Drives, ", "))
	}
	grown, err := a.conn.expand(ctx, a.conn.settings())
	if err != nil {
		return shared.ActionResult{}, err
	}
	a.log.Info("pool added", "drives", strings.Join(pending, ","), "pools", len(grown.Pools), "caller", shared.CallerOf(ctx))
	return shared.ActionResult{Refresh: true,
		Message: fmt.Sprintf("Pool %d added (%s): MinIO formatted its drives and runs on %d pools.", len(grown.Pools), strings.Join(pending, ", "), len(grown.Pools))}, nil
}

// createClusterAction turns this node into the first node of a cluster:
// it plans the pool from the node list, checks that this node's MinIO
// holds no buckets or keys (MinIO cannot carry data into a new pool),
// seals the pool layout and the root credentials into a join token with
// the passphrase, clears MinIO's folder from the drives and restarts MinIO
// on the pool, where it waits for the other nodes. The token is in the
// result only (like a key's secret): never stored, never logged.
func (a *Addon) createClusterAction(ctx context.Context, in createClusterInput) (shared.ActionResult, error) {
	if caller := shared.CallerOf(ctx); caller != "" {
		return shared.ActionResult{}, shared.Errorf(shared.CodePermission, "plugin %s may not form a cluster: only the node owner can, on the Object Storage page", caller)
	}
	if err := cluster.CheckPassphrase(in.Passphrase); err != nil {
		return shared.ActionResult{}, err
	}
	a.conn.cfg.Lock()
	defer a.conn.cfg.Unlock()
	set := a.conn.settings()
	cur := a.conn.layout()
	if cur.Distributed() {
		return shared.ActionResult{}, shared.Errorf(shared.CodeConflict, "this node already belongs to cluster %s; nothing was changed", cur.Cluster)
	}
	if len(cur.Pools) > 1 {
		return shared.ActionResult{}, shared.Errorf(shared.CodeConflict, "this node runs %d pools of drives: a cluster starts from nodes with one pool each; nothing was changed", len(cur.Pools))
	}
	nodes, err := cluster.ParseNodes(in.Nodes, set.Drives())
	if err != nil {
		return shared.ActionResult{}, err
	}
	if len(nodes) == 0 {
		return shared.ActionResult{}, shared.FieldError("nodes", "list the other nodes, one a line: their address (host:port of their S3 API), and their drives when they differ from this node's")
	}
	id, err := cluster.NewID()
	if err != nil {
		return shared.ActionResult{}, err
	}
	plan, err := cluster.Plan(id, set.S3Address, set.Drives(), nodes)
	if err != nil {
		return shared.ActionResult{}, err
	}
	if err := checkTakesPart(set, plan); err != nil {
		return shared.ActionResult{}, err
	}
	creds, _, err := envfile.EnsureDrives(set.EnvFile, set.Drives(), a.log)
	if err != nil {
		return shared.ActionResult{}, err
	}
	token, err := cluster.Seal(cluster.Invitation{Cluster: id, Creator: set.S3Address, Region: set.Region, Pools: plan.Pools,
		RootUser: creds.User, RootPassword: creds.Password, Created: time.Now().UTC()}, in.Passphrase)
	if err != nil {
		return shared.ActionResult{}, err
	}
	err = a.conn.rebuild(ctx, func(sup *supervisor.Supervisor) error {
		return sup.Reconfigure(ctx, func() error {
			if err := cluster.Clear(set.Drives()); err != nil {
				return err
			}
			return layout.Write(set.StateDir, plan)
		})
	})
	if err != nil {
		return shared.ActionResult{}, err
	}
	a.log.Info("cluster created", "cluster", id, "nodes", strings.Join(plan.Addresses(), ","), "drives", len(plan.Endpoints()))
	msg := fmt.Sprintf("Cluster %s created with %d nodes (%d drives). MinIO on this node now waits for the others: join each of them with the token and the passphrase (Object Storage page → Join a cluster). The pool forms once every node is up.",
		id, len(plan.Addresses()), len(plan.Endpoints()))
	return shared.ActionResult{Message: msg, Refresh: true, Token: token, Modal: page.JoinTokenModal(id, token, plan.Peers())}, nil
}

// joinClusterAction makes this node one of the nodes of the cluster the
// token was made for: every check first (the token, the passphrase, this
// node's place in the pool, its drives and region, no buckets or keys),
// nothing written when one fails; then the cluster's root credentials go
// into the env file, MinIO's folder is cleared from the drives, and MinIO
// restarts on the pool.
func (a *Addon) joinClusterAction(ctx context.Context, in joinClusterInput) (shared.ActionResult, error) {
	if caller := shared.CallerOf(ctx); caller != "" {
		return shared.ActionResult{}, shared.Errorf(shared.CodePermission, "plugin %s may not join a cluster: only the node owner can, on the Object Storage page", caller)
	}
	id, err := cluster.Peek(in.Token)
	if err != nil {
		return shared.ActionResult{}, err
	}
	a.conn.cfg.Lock()
	defer a.conn.cfg.Unlock()
	set := a.conn.settings()
	cur := a.conn.layout()
	switch {
	case cur.Distributed() && cur.Cluster == id:
		return shared.ActionResult{}, shared.Errorf(shared.CodeConflict, "this node is already a node (%s) of cluster %s; nothing was changed", cur.Self, id)
	case cur.Distributed():
		return shared.ActionResult{}, &shared.Error{Code: shared.CodeConflict, Field: "token",
			Message: fmt.Sprintf("this token is for cluster %s, but this node belongs to cluster %s: a node takes part in one cluster only; nothing was changed", id, cur.Cluster)}
	}
	inv, err := cluster.Open(in.Token, in.Passphrase)
	if err != nil {
		return shared.ActionResult{}, err
	}
	plan := layout.Layout{Cluster: inv.Cluster, Self: set.S3Address, Pools: inv.Pools}
	if !slices.Contains(plan.Addresses(), set.S3Address) {
		return shared.ActionResult{}, &shared.Error{Code: shared.CodeConflict, Field: "token",
			Message: fmt.Sprintf("this node's S3 address (setting s3_address) is %s, which is not one of the nodes of cluster %s (%s): this token is for other nodes, or set s3_address to this node's address in that list first; nothing was changed",
				set.S3Address, inv.Cluster, strings.Join(plan.Addresses(), ", "))}
	}
	if want := plan.Local(); !slices.Equal(want, set.Drives()) {
		return shared.ActionResult{}, shared.Errorf(shared.CodeConflict,
			"cluster %s expects this node's drives at %s, but setting data_dirs is %s: change the setting first; nothing was changed",
			inv.Cluster, strings.Join(want, ","), strings.Join(set.Drives(), ","))
	}
	if inv.Region != set.Region {
		return shared.ActionResult{}, shared.Errorf(shared.CodeConflict,
			"cluster %s runs in region %s and this node in %s: every node of a cluster has the same region; change setting region first; nothing was changed", inv.Cluster, inv.Region, set.Region)
	}
	if err := plan.Validate(); err != nil {
		return shared.ActionResult{}, err
	}
	if err := checkTakesPart(set, plan); err != nil {
		return shared.ActionResult{}, err
	}
	err = a.conn.rebuild(ctx, func(sup *supervisor.Supervisor) error {
		return sup.Reconfigure(ctx, func() error {
			if err := cluster.Clear(set.Drives()); err != nil {
				return err
			}
			if err := envfile.Replace(set.EnvFile, envfile.Credentials{User: inv.RootUser, Password: inv.RootPassword}); err != nil {
				return err
			}
			return layout.Write(set.StateDir, plan)
		})
	})
	if err != nil {
		return shared.ActionResult{}, err
	}
	a.log.Info("joined a cluster", "cluster", inv.Cluster, "as", set.S3Address, "nodes", strings.Join(plan.Addresses(), ","))
	return shared.ActionResult{Refresh: true, Message: fmt.Sprintf(
		"This node joined cluster %s as %s. MinIO restarted with the cluster's %d nodes and the cluster's root credentials; the pool forms once every node is up.",
		inv.Cluster, set.S3Address, len(plan.Addresses()))}, nil
}

// checkTakesPart checks, before anything is written, that this node can
// run its part of a cluster: MinIO installed, drives MinIO takes in a
// cluster, and no buckets or keys on them.
func checkTakesPart(set settings.Settings, plan layout.Layout) error {
	if _, err := set.ResolveBinary(); err != nil {
		return shared.Errorf(shared.CodeUnavailable, "MinIO is not installed on this node (%v): install it first, the same build on every node (the nodes compare their binaries)", err)
	}
	if err := supervisor.CheckDrives(plan); err != nil {
		return err
	}
	return cluster.CheckEmpty(set.Drives())
}
