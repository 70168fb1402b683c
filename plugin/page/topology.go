package page

import (
	"fmt"
	"strings"

	"github.com/quazzar/object-storage/plugin/cluster"
	"github.com/quazzar/object-storage/plugin/topology"
	"github.com/quazzar/object-storage/shared"
)

// The parts of the page about drives and nodes: MinIO's erasure sets on
// one node, pools, and clusters of nodes (DESIGN.md, decision 9: MinIO
// distributes, the add-on configures and shows).

// Texts of the drives and nodes parts.
const (
	// PerNodeText says what is cluster-wide and what is not.
	PerNodeText = "Buckets, keys and policies are cluster-wide: they live in MinIO, and every node's page shows the same. The add-on's own state is per node: its exposure on a domain, its caches and its usage history."
	ClusterHelp = "Every node runs this add-on with MinIO listening on an address the other nodes reach (setting s3_address, e.g. 10.0.0.1:9000) and the same MinIO build, region and number of drives. Only nodes whose MinIO holds no buckets or keys yet can take part: MinIO formats a new pool from scratch."
	// JoinTokenWarning is shown with the join token.
	JoinTokenWarning = "Copy it now: it is shown once and kept nowhere. It holds the cluster's root credentials, encrypted with the passphrase: pass the token and the passphrase to the other nodes separately."
)

// topologySections are the notices of a pool forming, of nodes or drives
// missing and of healing, the new pool to confirm, and the table of nodes
// and drives with the parity and what may fail in words.
func topologySections(s State) []shared.Section {
	t := s.Topology
	var out []shared.Section
	if len(t.WaitingFor) > 0 {
		text := "MinIO forms the cluster's pool once every node is up. Waiting for: " + strings.Join(t.WaitingFor, ", ") + "."
		lv := shared.LevelInfo
		if s.Status.State == shared.StateDegraded {
			text = "Nodes not answering: " + strings.Join(t.WaitingFor, ", ") + ". " + s.Status.Message
			lv = shared.LevelWarning
		}
		out = append(out, shared.Section{ID: "waiting", Kind: shared.SectionNotice, Notice: &shared.Notice{Level: lv, Text: text}})
	}
	if offline := offlineDrives(t); len(offline) > 0 && t.FromMinIO {
		out = append(out, shared.Section{ID: "drives-offline", Kind: shared.SectionNotice, Notice: &shared.Notice{Level: shared.LevelWarning,
			Text: "MinIO cannot use " + strings.Join(offline, ", ") + ". " + t.Text + " Replace a failed drive by mounting a new empty drive at the same path: MinIO formats it and heals it."}})
	}
	if t.Healing.Drives > 0 {
		out = append(out, shared.Section{ID: "healing", Kind: shared.SectionNotice, Notice: &shared.Notice{Level: shared.LevelInfo, Text: t.Healing.Text}})
	}
	if len(s.PendingPool) > 0 {
		out = append(out, pendingPoolSection(s))
	}
	if len(t.Nodes) == 0 {
		return out
	}
	inCluster := t.Mode == topology.ModeCluster
	cols := []shared.Column{{ID: "path", Label: "Drive"}, {ID: "state", Label: "State"}, {ID: "used", Label: "Used / total"},
		{ID: "free", Label: "Free"}, {ID: "place", Label: "Pool / set"}}
	if inCluster {
		cols = append([]shared.Column{{ID: "node", Label: "Node"}}, cols...)
	}
	tbl := &shared.Table{Columns: cols, Empty: "MinIO has not reported its drives yet."}
	for _, n := range t.Nodes {
		for _, d := range n.Drives {
			row := shared.Row{ID: n.Address + d.Path, Cells: map[string]shared.Cell{
				"path":  {Text: d.Path, Copy: true},
				"state": {Text: d.State, Hint: topologyDriveHint(d)},
				"used":  {Text: "—"},
				"free":  {Text: "—"},
				"place": {Text: place(d)},
			}}
			if d.Total > 0 {
				row.Cells["used"] = shared.Cell{Text: fmt.Sprintf("%s of %s", HumanBytes(d.Used), HumanBytes(d.Total)),
					Meter: &shared.Meter{Value: float64(d.Used), Max: float64(d.Total), Level: level(shared.CapacityLevelOf(d.Used, d.Total))}}
				row.Cells["free"] = shared.Cell{Text: HumanBytes(d.Free)}
			}
			if inCluster {
				hint := n.State
				if n.Self {
					hint += ", this node"
				}
				row.Cells["node"] = shared.Cell{Text: n.Address, Hint: hint}
			}
			tbl.Rows = append(tbl.Rows, row)
		}
	}
	title := "Drives"
	if inCluster {
		title = fmt.Sprintf("Nodes and drives (cluster %s)", t.Cluster)
	}
	desc := t.Text
	if t.FromMinIO {
		desc += " As MinIO reports it, " + formatTime(t.AsOf) + "."
	}
	return append(out, shared.Section{ID: "topology", Kind: shared.SectionTable, Title: title, Description: desc, Table: tbl})
}

func offlineDrives(t shared.Topology) []string {
	var out []string
	for _, n := range t.Nodes {
		for _, d := range n.Drives {
			if d.State != shared.DriveOffline {
				continue
			}
			out = append(out, topology.DriveName(t, n, d))
		}
	}
	return out
}

func topologyDriveHint(d shared.TopologyDrive) string {
	var parts []string
	if d.MinIOState != "" && d.MinIOState != "ok" {
		parts = append(parts, "MinIO: "+d.MinIOState)
	}
	if h := d.Heal; h != nil {
		parts = append(parts, fmt.Sprintf("healed %d of about %d objects, %s", h.ItemsHealed, h.ObjectsTotal, HumanBytes(h.BytesDone)))
	}
	return strings.Join(parts, "; ")
}

func place(d shared.TopologyDrive) string {
	if d.Pool < 0 || d.Set < 0 {
		return "—"
	}
	return fmt.Sprintf("%d / %d", d.Pool+1, d.Set+1)
}

// pendingPoolSection offers to add the new drives of the settings as a
// pool, after a confirmation that says what that does.
func pendingPoolSection(s State) shared.Section {
	drives := strings.Join(s.PendingPool, ", ")
	t := &shared.Table{Columns: []shared.Column{{ID: "drives", Label: "New drives"}, {ID: "what", Label: "What happens"}}}
	row := shared.Row{ID: "pending-pool", Cells: map[string]shared.Cell{"drives": {Text: drives}}}
	if s.PendingPoolError != "" {
		row.Cells["what"] = shared.Cell{Text: s.PendingPoolError}
	} else {
		row.Cells["what"] = shared.Cell{Text: s.PendingPoolText}
		row.Actions = []shared.RowAction{{Action: ActionAddPool, Label: "Add as a new pool",
			Input:   input(map[string]any{"drives": s.PendingPool}),
			Confirm: s.PendingPoolText + " MinIO restarts to take it. Add the pool?"}}
	}
	t.Rows = append(t.Rows, row)
	return shared.Section{ID: "pending-pool", Kind: shared.SectionTable, Title: "New drives to confirm",
		Description: "The drive list (setting data_dirs) has new drives after those MinIO was set up with. MinIO cannot add drives to an erasure set; it can add them as a new pool. MinIO is not started on the new list until you confirm, or remove them from the list.",
		Table:       t}
}

// clusterSections say which cluster this node is in, or offer to create
// or join one.
func clusterSections(s State) []shared.Section {
	t := s.Topology
	if t.Mode == topology.ModeCluster {
		var addrs []string
		for _, n := range t.Nodes {
			addrs = append(addrs, n.Address)
		}
		return []shared.Section{{ID: "cluster", Kind: shared.SectionInfo, Title: "Cluster",
			Description: PerNodeText,
			Info: &shared.InfoPanel{Items: []shared.InfoItem{
				{Label: "Cluster", Value: t.Cluster, Copy: true},
				{Label: "This node", Value: s.Status.S3Address, Copy: true},
				{Label: "Nodes", Value: strings.Join(addrs, ", ")},
			}}}}
	}
	return []shared.Section{
		{ID: "create-cluster", Kind: shared.SectionForm, Title: "Create a cluster",
			Description: "Spread the store over several nodes: MinIO keeps every object's data and parity across their drives, so it keeps serving with a node down. " + ClusterHelp,
			Form: &shared.Form{Action: ActionCreateCluster, Submit: "Create the cluster",
				Confirm: "Create the cluster? MinIO on this node restarts on the cluster's pool and answers S3 again only once every node has joined.",
				Fields: []shared.Field{
					{Name: "nodes", Label: "Other nodes", Type: shared.FieldTextarea, Required: true, Placeholder: "10.0.0.2:9000\n10.0.0.3:9000\n10.0.0.4:9000",
						Help: "One node a line: the address of its S3 API as the other nodes reach it, then its drives if they differ from this node's (10.0.0.3:9000 /mnt/disk1 /mnt/disk2). 4 or more nodes in all keep the cluster writable with a node down."},
					{Name: "passphrase", Label: "Passphrase", Type: shared.FieldText, Required: true,
						Help: fmt.Sprintf("At least %d characters. It encrypts the join token (which holds the root credentials); type it again on each node that joins.", cluster.MinPassphrase)},
				}}},
		{ID: "join-cluster", Kind: shared.SectionForm, Title: "Join a cluster",
			Description: "Make this node one of the nodes of a cluster created on another node. " + ClusterHelp,
			Form: &shared.Form{Action: ActionJoinCluster, Submit: "Join the cluster",
				Confirm: "Join the cluster? This node takes the cluster's root credentials and MinIO restarts on the cluster's pool.",
				Fields: []shared.Field{
					{Name: "token", Label: "Join token", Type: shared.FieldTextarea, Required: true, Placeholder: "qzc1.…"},
					{Name: "passphrase", Label: "Passphrase", Type: shared.FieldText, Required: true},
				}}},
	}
}

// JoinTokenModal shows a new cluster's join token, once.
func JoinTokenModal(id, token string, others []string) *shared.Modal {
	return &shared.Modal{
		Title:   "Cluster " + id + " created",
		Text:    "On each other node (" + strings.Join(others, ", ") + "), open Object Storage → Join a cluster, paste the token and type the passphrase.",
		Warning: JoinTokenWarning,
		Values:  []shared.InfoItem{{Label: "Join token", Value: token, Copy: true}},
	}
}
