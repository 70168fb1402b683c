// Package topology describes the store's layout for the page and for other
// plugins (shared.Topology): nodes and drives with their states as MinIO's
// server info reports them, the parity in use and, in words, how many
// drives may fail before reads and before writes stop, and the healing in
// progress. When MinIO does not serve yet, the nodes and drives come from
// the add-on's layout record. It is a set of pure functions.
package topology

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/shared"
)

// Modes of a topology.
const (
	ModeSingle  = "single drive"
	ModeErasure = "erasure set"
	ModeCluster = "cluster"
)

// FromMinIO builds the topology from MinIO's server info. self is this
// node's S3 address (the one node of a node of its own).
func FromMinIO(lay layout.Layout, info minioadmin.ServerInfo, self string, asOf time.Time) shared.Topology {
	t := base(lay)
	t.FromMinIO, t.AsOf = true, asOf
	if lay.Distributed() {
		self = lay.Self
	}
	for _, srv := range info.Servers {
		addr := srv.Endpoint
		if !lay.Distributed() {
			addr = self
		}
		n := shared.TopologyNode{Address: addr, Self: addr == self, State: shared.NodeOnline, Drives: []shared.TopologyDrive{}}
		if srv.State != "" && srv.State != "online" {
			n.State = shared.NodeOffline
		}
		for _, d := range srv.Drives {
			n.Drives = append(n.Drives, drive(d))
		}
		t.Nodes = append(t.Nodes, n)
	}
	// MinIO lists the answering node last: the layout's order reads better.
	order := lay.Addresses()
	slices.SortStableFunc(t.Nodes, func(a, b shared.TopologyNode) int {
		return rank(order, a.Address) - rank(order, b.Address)
	})
	b := info.Backend
	t.Parity = b.StandardParity
	for i := range b.DrivesPerSet {
		p := shared.TopologyPool{DrivesPerSet: b.DrivesPerSet[i]}
		if i < len(b.Sets) {
			p.Sets = b.Sets[i]
		}
		t.Pools = append(t.Pools, p)
	}
	if len(t.Pools) == 0 {
		t.Pools = layoutPools(lay)
		t.Parity = layout.DefaultParity(smallestSet(t.Pools))
	}
	tolerate(&t, lay)
	for _, n := range t.Nodes {
		for _, d := range n.Drives {
			if d.State != shared.DriveHealing {
				continue
			}
			t.Healing.Drives++
			if d.Heal != nil {
				t.Healing.ItemsHealed += d.Heal.ItemsHealed
				t.Healing.ItemsFailed += d.Heal.ItemsFailed
				t.Healing.BytesDone += d.Heal.BytesDone
			}
		}
	}
	t.Healing.Text = healingText(t)
	t.Text = Words(t)
	return t
}

// FromLayout is the topology as the add-on's layout record has it, while
// MinIO does not serve: every node and drive, their states unknown
// (waiting while a cluster's pool forms; the nodes in waiting are those
// that do not answer).
func FromLayout(lay layout.Layout, self string, waiting []string) shared.Topology {
	t := base(lay)
	t.WaitingFor = waiting
	if lay.Distributed() {
		self = lay.Self
	}
	for _, addr := range lay.Addresses() {
		n := shared.TopologyNode{Address: addr, Self: addr == self || addr == "", State: shared.NodeWaiting, Drives: []shared.TopologyDrive{}}
		if addr == "" {
			n.Address = self
		}
		if slices.Contains(waiting, addr) {
			n.State = shared.NodeOffline
		}
		for _, d := range lay.DrivesOf(addr) {
			n.Drives = append(n.Drives, shared.TopologyDrive{Path: d, State: shared.DriveOffline, Pool: -1, Set: -1})
		}
		t.Nodes = append(t.Nodes, n)
	}
	t.Pools = layoutPools(lay)
	t.Parity = layout.DefaultParity(smallestSet(t.Pools))
	tolerate(&t, lay)
	t.Text = Words(t) + " (MinIO's default parity for this layout: MinIO does not answer yet.)"
	return t
}

func base(lay layout.Layout) shared.Topology {
	t := shared.Topology{Mode: ModeSingle, Cluster: lay.Cluster, Nodes: []shared.TopologyNode{}}
	switch {
	case lay.Distributed():
		t.Mode = ModeCluster
	case len(lay.Local()) > 1:
		t.Mode = ModeErasure
	}
	return t
}

func layoutPools(lay layout.Layout) []shared.TopologyPool {
	var out []shared.TopologyPool
	for _, p := range lay.Pools {
		set := layout.SetSize(p.Size())
		if set == 0 {
			continue
		}
		out = append(out, shared.TopologyPool{Sets: p.Size() / set, DrivesPerSet: set})
	}
	return out
}

// smallestSet is the smallest erasure set of the pools: what may fail is
// said for it (MinIO keeps one parity across pools).
func smallestSet(pools []shared.TopologyPool) int {
	n := 0
	for _, p := range pools {
		if n == 0 || p.DrivesPerSet < n {
			n = p.DrivesPerSet
		}
	}
	return n
}

// tolerate fills in how many drives, and nodes, may fail.
func tolerate(t *shared.Topology, lay layout.Layout) {
	t.ReadTolerance, t.WriteTolerance = layout.Tolerance(smallestSet(t.Pools), t.Parity)
	if !lay.Distributed() {
		return
	}
	// A node down takes with it its drives of each set: as many as it has
	// in the set where it has most (the endpoints go node by node).
	most := 1
	for i, p := range lay.Pools {
		if i >= len(t.Pools) || t.Pools[i].DrivesPerSet == 0 {
			continue
		}
		eps := p.Endpoints()
		size := t.Pools[i].DrivesPerSet
		for start := 0; start+size <= len(eps); start += size {
			count := map[string]int{}
			for _, e := range eps[start : start+size] {
				if u, err := url.Parse(e); err == nil {
					count[u.Host]++
					most = max(most, count[u.Host])
				}
			}
		}
	}
	t.NodeReadTolerance, t.NodeWriteTolerance = t.ReadTolerance/most, t.WriteTolerance/most
}

func rank(order []string, addr string) int {
	if i := slices.Index(order, addr); i >= 0 {
		return i
	}
	return len(order)
}

// drive is one of MinIO's drives in the topology's words.
func drive(d minioadmin.Drive) shared.TopologyDrive {
	out := shared.TopologyDrive{Path: d.Path, MinIOState: d.State, Total: d.Total, Used: d.Used, Free: d.Available,
		Pool: d.PoolIndex, Set: d.SetIndex, State: shared.DriveOffline}
	if out.Path == "" { // an offline node's drives have their endpoint only
		out.Path = d.Endpoint
		if u, err := url.Parse(d.Endpoint); err == nil && u.Path != "" {
			out.Path = u.Path
		}
	}
	switch {
	case d.Healing:
		out.State = shared.DriveHealing
	case d.State == "ok":
		out.State = shared.DriveOnline
	}
	if h := d.Heal; h != nil && d.Healing {
		out.Heal = &shared.HealProgress{Started: h.Started, ObjectsTotal: h.ObjectsTotal, BytesTotal: h.BytesTotal,
			ItemsHealed: h.ItemsHealed, ItemsFailed: h.ItemsFailed, BytesDone: h.BytesDone, Finished: h.Finished}
	}
	return out
}

// Words says the layout, its parity and what may fail, for the page.
func Words(t shared.Topology) string {
	if t.Mode == ModeSingle || t.Parity == 0 {
		return "One drive, no erasure coding (parity 0): if the drive fails, its data is lost; keep backups."
	}
	var sets []string
	for i, p := range t.Pools {
		s := fmt.Sprintf("%d erasure set(s) of %d drives", p.Sets, p.DrivesPerSet)
		if len(t.Pools) > 1 {
			s = fmt.Sprintf("pool %d: %s", i+1, s)
		}
		sets = append(sets, s)
	}
	text := fmt.Sprintf("%s, parity %d (EC:%d): in each set, up to %s may fail before data becomes unreadable, and up to %s before writes stop.",
		strings.Join(sets, "; "), t.Parity, t.Parity, drives(t.ReadTolerance), drives(t.WriteTolerance))
	if t.Mode == ModeCluster {
		text += fmt.Sprintf(" Across the %d nodes: up to %s may be down for reads, %s for writes.",
			len(t.Nodes), nodes(t.NodeReadTolerance), nodes(t.NodeWriteTolerance))
	}
	return text
}

func drives(n int) string {
	if n == 1 {
		return "1 drive"
	}
	return fmt.Sprintf("%d drives", n)
}

func nodes(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}

// healingText says what MinIO heals, with its progress.
func healingText(t shared.Topology) string {
	if t.Healing.Drives == 0 {
		return ""
	}
	var parts []string
	for _, n := range t.Nodes {
		for _, d := range n.Drives {
			if d.State != shared.DriveHealing {
				continue
			}
			p := DriveName(t, n, d)
			if h := d.Heal; h != nil && h.ObjectsTotal > 0 {
				p += fmt.Sprintf(" (%d of about %d objects, %s written)", h.ItemsHealed, h.ObjectsTotal, shared.HumanBytes(h.BytesDone))
			}
			parts = append(parts, p)
		}
	}
	return "MinIO is healing " + strings.Join(parts, ", ") + ": it rebuilds their data from the other drives; reads and writes go on meanwhile."
}

// Returned are the nodes and drives that MinIO reported offline in prev
// and online in cur (both read from MinIO): what was written while they
// were away is missing on them until MinIO heals it. A drive is named
// "node path", a node by its address.
func Returned(prev, cur shared.Topology) []string {
	if !prev.FromMinIO || !cur.FromMinIO {
		return nil
	}
	offline := map[string]bool{}
	for _, n := range prev.Nodes {
		offline[n.Address] = n.State == shared.NodeOffline
		for _, d := range n.Drives {
			offline[n.Address+" "+d.Path] = d.State == shared.DriveOffline
		}
	}
	var out []string
	for _, n := range cur.Nodes {
		if n.State == shared.NodeOnline && offline[n.Address] {
			out = append(out, n.Address)
			continue
		}
		for _, d := range n.Drives {
			if d.State == shared.DriveOnline && offline[n.Address+" "+d.Path] {
				out = append(out, n.Address+" "+d.Path)
			}
		}
	}
	return out
}

// QuorumLost says, from MinIO's view of its drives, which erasure set has
// more drives offline than writes (or reads) tolerate, in words; "" when
// none has, or when the topology is not MinIO's. MinIO's own cluster
// health check can answer healthy for a while after a drive is pulled
// while writes already fail: the drive states of its server info say it
// first.
func QuorumLost(t shared.Topology) string {
	if !t.FromMinIO || t.Parity <= 0 {
		return ""
	}
	type key struct{ pool, set int }
	offline := map[key]int{}
	var order []key
	for _, n := range t.Nodes {
		for _, d := range n.Drives {
			if d.Pool < 0 || d.Set < 0 {
				continue
			}
			k := key{d.Pool, d.Set}
			if _, seen := offline[k]; !seen {
				order = append(order, k)
				offline[k] = 0
			}
			if d.State == shared.DriveOffline {
				offline[k]++
			}
		}
	}
	for _, k := range order {
		if k.pool >= len(t.Pools) {
			continue
		}
		size := t.Pools[k.pool].DrivesPerSet
		reads, writes := layout.Tolerance(size, t.Parity)
		n := offline[k]
		switch {
		case n > reads:
			return fmt.Sprintf("read and write quorum lost: in pool %d, set %d, %d of %d drives are offline (MinIO needs %d online to read, %d to write)", k.pool+1, k.set+1, n, size, size-reads, size-writes)
		case n > writes:
			return fmt.Sprintf("write quorum lost: in pool %d, set %d, %d of %d drives are offline (MinIO needs %d online to write; reads keep working)", k.pool+1, k.set+1, n, size, size-writes)
		}
	}
	return ""
}

// LeadsHeal says whether this node is the one to start a heal of the
// whole deployment: the first node online in the layout's order, leaving
// out the nodes that just came back (back, as Returned names them: a node
// that was away saw nothing go and come back). Every node's add-on sees a
// node come back, and MinIO keeps heal sequences per node, so without one
// leader each node would heal everything again.
func LeadsHeal(t shared.Topology, back []string) bool {
	for _, n := range t.Nodes {
		if n.State == shared.NodeOnline && !slices.Contains(back, n.Address) {
			return n.Self
		}
	}
	return false
}

// DriveName is how the page and messages name a drive: its path, after
// its node's address in a cluster.
func DriveName(t shared.Topology, n shared.TopologyNode, d shared.TopologyDrive) string {
	if t.Mode == ModeCluster {
		return n.Address + d.Path
	}
	return d.Path
}
