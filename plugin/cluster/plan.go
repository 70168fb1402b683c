package cluster

import (
	"slices"
	"strings"

	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/shared"
)

// ParseNodes reads the node list of create_cluster: one node a line (or a
// list item), its address (host:port of its S3 API as the other nodes
// reach it) and optionally its drives, separated by spaces or commas
// ("10.0.0.2:9000 /mnt/disk1 /mnt/disk2"). A node without drives has the
// same drives as this node (defaults).
func ParseNodes(lines []string, defaults []string) ([]layout.Node, error) {
	var out []layout.Node
	for _, line := range lines {
		for _, l := range strings.Split(line, "\n") {
			fields := strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' })
			if len(fields) == 0 {
				continue
			}
			addr := fields[0]
			if err := layout.CheckAddress(addr); err != nil {
				return nil, shared.FieldError("nodes", "%s", shared.AsError(err).Message)
			}
			drives := fields[1:]
			if len(drives) == 0 {
				drives = slices.Clone(defaults)
			}
			out = append(out, layout.Node{Address: addr, Drives: drives})
		}
	}
	return out, nil
}

// Plan is the layout of a new cluster: one pool of the nodes listed, this
// node (self, with its drives) first unless the list places it. It is
// checked as MinIO would: at least two nodes, each once, drives absolute,
// a total MinIO can cut into erasure sets.
func Plan(id, self string, selfDrives []string, nodes []layout.Node) (layout.Layout, error) {
	if err := layout.CheckAddress(self); err != nil {
		return layout.Layout{}, shared.FieldError("nodes",
			"this node's S3 address (setting s3_address) is %s, which the other nodes cannot reach: set s3_address to this node's address on the network the nodes share (e.g. 10.0.0.1:9000) first", self)
	}
	listed := slices.ContainsFunc(nodes, func(n layout.Node) bool { return n.Address == self })
	if !listed {
		nodes = append([]layout.Node{{Address: self, Drives: slices.Clone(selfDrives)}}, nodes...)
	}
	for _, n := range nodes {
		if n.Address == self && !slices.Equal(n.Drives, selfDrives) {
			return layout.Layout{}, shared.FieldError("nodes",
				"the list gives this node (%s) the drives %s, but its drives are %s (setting data_dirs): leave its drives out of the list, or change the setting first",
				self, strings.Join(n.Drives, ","), strings.Join(selfDrives, ","))
		}
	}
	if len(nodes) < 2 {
		return layout.Layout{}, shared.FieldError("nodes", "list at least one other node (4 or more nodes in all let the cluster keep working with a node down)")
	}
	lay := layout.Layout{Cluster: id, Self: self, Pools: []layout.Pool{{Nodes: nodes}}}
	if err := lay.Validate(); err != nil {
		return layout.Layout{}, shared.FieldError("nodes", "%s", shared.AsError(err).Message)
	}
	return lay, nil
}
