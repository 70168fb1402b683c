package topology

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/shared"
)

func fourNodes() layout.Layout {
	l := layout.Layout{Cluster: "c1", Self: "10.0.0.1:9000"}
	var nodes []layout.Node
	for _, a := range []string{"10.0.0.1:9000", "10.0.0.2:9000", "10.0.0.3:9000", "10.0.0.4:9000"} {
		nodes = append(nodes, layout.Node{Address: a, Drives: []string{"/mnt/a"}})
	}
	l.Pools = []layout.Pool{{Nodes: nodes}}
	return l
}

func TestFromMinIOFourNodes(t *testing.T) {
	t.Parallel()
	now := time.Now()
	info := minioadmin.ServerInfo{
		Backend: minioadmin.Backend{Type: "Erasure", StandardParity: 2, Sets: []int{1}, DrivesPerSet: []int{4}},
		Servers: []minioadmin.ServerProperties{
			{Endpoint: "10.0.0.2:9000", State: "offline", Drives: []minioadmin.Drive{{Endpoint: "http://10.0.0.2:9000/mnt/a", State: "offline", PoolIndex: -1, SetIndex: -1}}},
			{Endpoint: "10.0.0.3:9000", State: "online", Drives: []minioadmin.Drive{{Endpoint: "http://10.0.0.3:9000/mnt/a", Path: "/mnt/a", State: "ok", Total: 100, Used: 10, Available: 90}}},
			{Endpoint: "10.0.0.4:9000", State: "online", Drives: []minioadmin.Drive{{Path: "/mnt/a", State: "ok", Healing: true,
				Heal: &minioadmin.HealProgress{ObjectsTotal: 40, ItemsHealed: 10, BytesDone: 3 << 20}}}},
			{Endpoint: "10.0.0.1:9000", State: "online", Drives: []minioadmin.Drive{{Path: "/mnt/a", State: "ok"}}},
		},
	}
	topo := FromMinIO(fourNodes(), info, "ignored", now)
	require.Equal(t, ModeCluster, topo.Mode)
	require.True(t, topo.FromMinIO)
	require.Len(t, topo.Nodes, 4)
	require.Equal(t, "10.0.0.1:9000", topo.Nodes[0].Address, "the layout's order, not MinIO's")
	require.True(t, topo.Nodes[0].Self)
	require.Equal(t, shared.NodeOffline, topo.Nodes[1].State)
	require.Equal(t, "/mnt/a", topo.Nodes[1].Drives[0].Path, "an offline node's drive by its endpoint's path")
	require.Equal(t, shared.DriveOffline, topo.Nodes[1].Drives[0].State)
	require.Equal(t, shared.DriveHealing, topo.Nodes[3].Drives[0].State)
	require.Equal(t, 2, topo.Parity)
	require.Equal(t, [4]int{2, 1, 2, 1}, [4]int{topo.ReadTolerance, topo.WriteTolerance, topo.NodeReadTolerance, topo.NodeWriteTolerance})
	require.Equal(t, 1, topo.Healing.Drives)
	require.EqualValues(t, 10, topo.Healing.ItemsHealed)
	require.Contains(t, topo.Healing.Text, "10.0.0.4:9000/mnt/a (10 of about 40 objects, 3.0 MiB written)")
	require.Equal(t, "1 erasure set(s) of 4 drives, parity 2 (EC:2): in each set, up to 2 drives may fail before data becomes unreadable, and up to 1 drive before writes stop. Across the 4 nodes: up to 2 nodes may be down for reads, 1 node for writes.", topo.Text)
}

func TestFromMinIOSingleNode(t *testing.T) {
	t.Parallel()
	one := FromMinIO(layout.Single([]string{"/data"}), minioadmin.ServerInfo{
		Backend: minioadmin.Backend{Sets: []int{1}, DrivesPerSet: []int{1}},
		Servers: []minioadmin.ServerProperties{{Endpoint: "127.0.0.1:9000", State: "online", Drives: []minioadmin.Drive{{Path: "/data", State: "ok"}}}},
	}, "127.0.0.1:9000", time.Now())
	require.Equal(t, ModeSingle, one.Mode)
	require.Equal(t, "127.0.0.1:9000", one.Nodes[0].Address)
	require.True(t, one.Nodes[0].Self)
	require.Contains(t, one.Text, "if the drive fails, its data is lost")

	four := FromMinIO(layout.Single([]string{"/a", "/b", "/c", "/d"}), minioadmin.ServerInfo{
		Backend: minioadmin.Backend{StandardParity: 2, Sets: []int{1}, DrivesPerSet: []int{4}},
		Servers: []minioadmin.ServerProperties{{Endpoint: "127.0.0.1:9000", State: "online", Drives: []minioadmin.Drive{
			{Path: "/a", State: "ok"}, {Path: "/b", State: "unformatted"}, {Path: "/c", State: "ok"}, {Path: "/d", State: "ok"}}}},
	}, "127.0.0.1:9000", time.Now())
	require.Equal(t, ModeErasure, four.Mode)
	require.Equal(t, shared.DriveOffline, four.Nodes[0].Drives[1].State)
	require.Equal(t, "unformatted", four.Nodes[0].Drives[1].MinIOState)
	require.NotContains(t, four.Text, "nodes")
	require.Zero(t, four.NodeReadTolerance)
}

func TestFromLayoutWhileThePoolForms(t *testing.T) {
	t.Parallel()
	topo := FromLayout(fourNodes(), "", []string{"10.0.0.3:9000"})
	require.False(t, topo.FromMinIO)
	require.Len(t, topo.Nodes, 4)
	require.Equal(t, shared.NodeWaiting, topo.Nodes[1].State)
	require.Equal(t, shared.NodeOffline, topo.Nodes[2].State, "a node that does not answer")
	require.Equal(t, []string{"10.0.0.3:9000"}, topo.WaitingFor)
	require.Equal(t, 2, topo.Parity, "MinIO's default for 4 drives")
	require.Contains(t, topo.Text, "MinIO does not answer yet")

	two := FromLayout(layout.Layout{Cluster: "c", Self: "10.0.0.1:9000", Pools: []layout.Pool{{Nodes: []layout.Node{
		{Address: "10.0.0.1:9000", Drives: []string{"/a", "/b"}}, {Address: "10.0.0.2:9000", Drives: []string{"/a", "/b"}}}}}}, "", nil)
	require.Equal(t, 2, two.ReadTolerance)
	require.Equal(t, 1, two.NodeReadTolerance, "a node holds 2 drives of the set of 4")
	require.Equal(t, 0, two.NodeWriteTolerance)
}

// TestReturned: a node or drive MinIO saw offline and now online is
// named; one that stays offline, one that was never offline, a replaced
// drive MinIO heals itself, and a topology not read from MinIO are not.
func TestReturned(t *testing.T) {
	t.Parallel()
	topo := func(fromMinIO bool, n2 string, d1, d3 string) shared.Topology {
		return shared.Topology{FromMinIO: fromMinIO, Nodes: []shared.TopologyNode{
			{Address: "10.0.0.1:9000", State: shared.NodeOnline, Drives: []shared.TopologyDrive{
				{Path: "/mnt/d1", State: d1}, {Path: "/mnt/d2", State: shared.DriveOnline}, {Path: "/mnt/d3", State: d3}}},
			{Address: "10.0.0.2:9000", State: n2, Drives: []shared.TopologyDrive{{Path: "/mnt/d1", State: shared.DriveOffline}}},
		}}
	}
	prev := topo(true, shared.NodeOffline, shared.DriveOffline, shared.DriveOffline)
	cur := topo(true, shared.NodeOnline, shared.DriveOnline, shared.DriveHealing)
	require.Equal(t, []string{"10.0.0.1:9000 /mnt/d1", "10.0.0.2:9000"}, Returned(prev, cur))
	require.Empty(t, Returned(prev, prev), "nothing came back")
	require.Empty(t, Returned(cur, prev), "going offline is not coming back")
	require.Empty(t, Returned(topo(false, shared.NodeOffline, shared.DriveOffline, shared.DriveOffline), cur), "the layout record says nothing of MinIO's view")
}

// TestQuorumLost: 4 drives at parity 2 tolerate 1 drive offline for
// writes and 2 for reads; the sentence names the set.
func TestQuorumLost(t *testing.T) {
	t.Parallel()
	topo := func(offline int) shared.Topology {
		n := shared.TopologyNode{Address: "127.0.0.1:9000", State: shared.NodeOnline}
		for i := range 4 {
			st := shared.DriveOnline
			if i < offline {
				st = shared.DriveOffline
			}
			n.Drives = append(n.Drives, shared.TopologyDrive{Path: fmt.Sprintf("/mnt/d%d", i), State: st})
		}
		return shared.Topology{FromMinIO: true, Parity: 2, Pools: []shared.TopologyPool{{Sets: 1, DrivesPerSet: 4}}, Nodes: []shared.TopologyNode{n}}
	}
	require.Empty(t, QuorumLost(topo(0)))
	require.Empty(t, QuorumLost(topo(1)), "one drive down: writes go on")
	require.Equal(t, "write quorum lost: in pool 1, set 1, 2 of 4 drives are offline (MinIO needs 3 online to write; reads keep working)", QuorumLost(topo(2)))
	require.Contains(t, QuorumLost(topo(3)), "read and write quorum lost: in pool 1, set 1, 3 of 4 drives")
	notMinIO := topo(3)
	notMinIO.FromMinIO = false
	require.Empty(t, QuorumLost(notMinIO), "the layout record knows no drive's state")
	unplaced := topo(3)
	for i := range unplaced.Nodes[0].Drives {
		unplaced.Nodes[0].Drives[i].Pool, unplaced.Nodes[0].Drives[i].Set = -1, -1
	}
	require.Empty(t, QuorumLost(unplaced), "drives MinIO has not placed are not counted")
}

// TestLeadsHeal: the first node online in the layout's order heals,
// unless it is the one that came back.
func TestLeadsHeal(t *testing.T) {
	t.Parallel()
	nodes := func(self int, online ...bool) shared.Topology {
		var top shared.Topology
		for i, on := range online {
			st := shared.NodeOffline
			if on {
				st = shared.NodeOnline
			}
			top.Nodes = append(top.Nodes, shared.TopologyNode{Address: fmt.Sprintf("10.0.0.%d:9000", i+1), Self: i == self, State: st})
		}
		return top
	}
	require.True(t, LeadsHeal(nodes(0, true, true, true), []string{"10.0.0.2:9000"}))
	require.False(t, LeadsHeal(nodes(1, true, true, true), []string{"10.0.0.2:9000"}))
	require.True(t, LeadsHeal(nodes(1, false, true, true), nil), "the first node is down: the second leads")
	require.True(t, LeadsHeal(nodes(1, true, true, true), []string{"10.0.0.1:9000"}), "the first node came back: it saw nothing, the second leads")
	require.False(t, LeadsHeal(nodes(0, true, true, true), []string{"10.0.0.1:9000"}))
	require.True(t, LeadsHeal(nodes(0, true), []string{"10.0.0.1:9000 /mnt/d2"}), "a drive of a node of its own")
	require.False(t, LeadsHeal(shared.Topology{}, nil))
}
