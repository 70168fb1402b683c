// Package layout is MinIO's drive layout: the pools of drives, on this
// node or across nodes, that MinIO was set up with, remembered so that
// MinIO is never started on a changed list, and the rules of erasure sets
// (set size, parity, how many drives may fail) as MinIO applies them.
//
// MinIO cannot add drives to an erasure set, and on a list with new empty
// drives it may format them as a fresh deployment. So the add-on records
// the layout the first time MinIO starts, checks the settings against it
// before every start (Check), and grows it only by a new pool that the
// node owner confirmed (Expand).
//
// The record is a small plain file in the add-on's state folder
// (FileName), written atomically, not a part of the add-on's database
// (DESIGN.md, decision 10): the supervisor reads it before it adopts or
// starts MinIO, which is before the database is opened (the database waits
// for MinIO, and its lock may still be held for seconds by the add-on
// process an upgrade replaces). It is as small as the process record and
// does not grow with time: one line per drive.
package layout

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/quazzar/object-storage/internal/atomicfile"
	"github.com/quazzar/object-storage/shared"
)

// FileName is the record's name in the state folder.
const FileName = "minio.layout.json"

// Layout is what MinIO was set up with.
type Layout struct {
	// Cluster is the cluster's id once this node belongs to a cluster of
	// several nodes; empty on a node of its own.
	Cluster string `json:"cluster,omitempty"`
	// Self is this node's address in the cluster (host:port of its S3
	// API, as the other nodes reach it).
	Self string `json:"self,omitempty"`
	// Pools in the order MinIO was given them; the first is the one MinIO
	// was set up with, each later one a confirmed expansion.
	Pools []Pool `json:"pools"`
	// Updated is when the record was last written.
	Updated time.Time `json:"updated,omitzero"`
}

// Pool is one server pool: its nodes and their drives.
type Pool struct {
	Nodes []Node `json:"nodes"`
}

// Node is one node of a pool. Address is empty on a node of its own.
type Node struct {
	Address string   `json:"address,omitempty"`
	Drives  []string `json:"drives"`
}

// Single is the layout of one node with drives as one pool.
func Single(drives []string) Layout {
	return Layout{Pools: []Pool{{Nodes: []Node{{Drives: slices.Clone(drives)}}}}}
}

// Distributed reports whether the layout spans several nodes.
func (l Layout) Distributed() bool { return l.Cluster != "" }

// FirstNode is the address of the first pool's first node: the same on
// every node of a cluster; empty on a node of its own.
func (l Layout) FirstNode() string {
	if len(l.Pools) == 0 || len(l.Pools[0].Nodes) == 0 {
		return ""
	}
	return l.Pools[0].Nodes[0].Address
}

// Local are this node's drives, every pool in order.
func (l Layout) Local() []string { return l.DrivesOf(l.Self) }

// DrivesOf are a node's drives, every pool in order ("" on a node of its
// own).
func (l Layout) DrivesOf(address string) []string {
	var out []string
	for _, p := range l.Pools {
		for _, n := range p.Nodes {
			if n.Address == address {
				out = append(out, n.Drives...)
			}
		}
	}
	return out
}

// Addresses are the nodes' addresses in the order of the pools ("" for a
// node of its own).
func (l Layout) Addresses() []string {
	var out []string
	for _, p := range l.Pools {
		for _, n := range p.Nodes {
			if !slices.Contains(out, n.Address) {
				out = append(out, n.Address)
			}
		}
	}
	return out
}

// Peers are the other nodes' addresses.
func (l Layout) Peers() []string {
	return slices.DeleteFunc(l.Addresses(), func(a string) bool { return a == l.Self })
}

// Size is the number of drives of pool i.
func (p Pool) Size() int {
	n := 0
	for _, node := range p.Nodes {
		n += len(node.Drives)
	}
	return n
}

// Endpoints are the pool's drives as MinIO takes them: paths on a node of
// its own; on several nodes http://<address><path>, the first drive of
// every node, then the second of every node, and so on, so that MinIO's
// erasure sets (consecutive runs of the list) spread over the nodes.
func (p Pool) Endpoints() []string {
	var out []string
	for i := 0; ; i++ {
		more := false
		for _, n := range p.Nodes {
			if i >= len(n.Drives) {
				continue
			}
			more = true
			if n.Address == "" {
				out = append(out, n.Drives[i])
			} else {
				out = append(out, "http://"+n.Address+n.Drives[i])
			}
		}
		if !more {
			return out
		}
	}
}

// Endpoints are every pool's endpoints, in order.
func (l Layout) Endpoints() []string {
	var out []string
	for _, p := range l.Pools {
		out = append(out, p.Endpoints()...)
	}
	return out
}

// Command is how MinIO is given the layout: one pool on its command line
// (args); several pools in a configuration file (config, to be written at
// configPath), because MinIO takes several pools on the command line only
// as ellipsis patterns ("/mnt/disk{1...4}"), which arbitrary mount points
// do not fit.
func (l Layout) Command(configPath string) (args []string, config []byte) {
	if len(l.Pools) == 1 {
		return l.Pools[0].Endpoints(), nil
	}
	type pool struct {
		Args []string `json:"args"`
	}
	doc := struct {
		Version string `json:"version"`
		Pools   []pool `json:"pools"`
	}{Version: "v2"}
	for _, p := range l.Pools {
		doc.Pools = append(doc.Pools, pool{Args: p.Endpoints()})
	}
	b, _ := json.MarshalIndent(doc, "", "  ") // JSON is YAML: MinIO reads it with its YAML parser
	return []string{"--config", configPath}, append(b, '\n')
}

// Read reads the record in stateDir. A missing record is (Layout{},
// false, nil).
func Read(stateDir string) (Layout, bool, error) {
	path := filepath.Join(stateDir, FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Layout{}, false, nil
	}
	if err != nil {
		return Layout{}, false, fmt.Errorf("read the drive layout %s: %w", path, err)
	}
	var l Layout
	if err := json.Unmarshal(b, &l); err != nil {
		return Layout{}, false, shared.Errorf(shared.CodeInternal,
			"the drive layout %s is not valid JSON: %v; MinIO was not started, since the add-on cannot tell which drives it was set up with (restore the file from a backup)", path, err)
	}
	if err := l.Validate(); err != nil {
		return Layout{}, false, shared.Errorf(shared.CodeInternal, "the drive layout %s is not usable: %v; MinIO was not started (restore the file from a backup)", path, err)
	}
	return l, true, nil
}

// Write replaces the record in stateDir atomically.
func Write(stateDir string, l Layout) error {
	if err := l.Validate(); err != nil {
		return err
	}
	l.Updated = time.Now().UTC()
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return fmt.Errorf("create state folder %s: %w", stateDir, err)
	}
	return atomicfile.Write(filepath.Join(stateDir, FileName), append(b, '\n'), 0o600)
}

// Validate checks that MinIO can run the layout: every drive an absolute
// path listed once per node, every node once per pool, node addresses on a
// cluster and none on a node of its own, and each pool a size MinIO can cut
// into erasure sets.
func (l Layout) Validate() error {
	if len(l.Pools) == 0 {
		return shared.Errorf(shared.CodeInvalidArgument, "the layout has no pool")
	}
	for i, p := range l.Pools {
		if len(p.Nodes) == 0 {
			return shared.Errorf(shared.CodeInvalidArgument, "pool %d has no node", i+1)
		}
		seen := map[string]bool{}
		for _, n := range p.Nodes {
			if l.Distributed() != (n.Address != "") {
				return shared.Errorf(shared.CodeInvalidArgument, "pool %d mixes nodes with and without an address", i+1)
			}
			if n.Address != "" {
				if err := CheckAddress(n.Address); err != nil {
					return err
				}
			}
			if seen[n.Address] {
				return shared.Errorf(shared.CodeInvalidArgument, "pool %d lists node %s twice", i+1, n.Address)
			}
			seen[n.Address] = true
			if len(n.Drives) == 0 {
				return shared.Errorf(shared.CodeInvalidArgument, "node %s of pool %d has no drive", orThis(n.Address), i+1)
			}
			for j, d := range n.Drives {
				if !filepath.IsAbs(d) || filepath.Clean(d) != d || d == "/" {
					return shared.Errorf(shared.CodeInvalidArgument, "drive %q of node %s is not an absolute path", d, orThis(n.Address))
				}
				if slices.Contains(n.Drives[:j], d) {
					return shared.Errorf(shared.CodeInvalidArgument, "node %s lists drive %s twice", orThis(n.Address), d)
				}
			}
		}
		if n := p.Size(); n > 1 && SetSize(n) == 0 {
			return shared.Errorf(shared.CodeInvalidArgument,
				"pool %d has %d drives, which MinIO cannot cut into erasure sets of 2 to 16 drives: use a number of drives with such a divisor (e.g. 4, 6, 8, 12, 16)", i+1, n)
		}
	}
	if l.Distributed() && !slices.Contains(l.Addresses(), l.Self) {
		return shared.Errorf(shared.CodeInvalidArgument, "this node's address %s is not one of the layout's nodes", l.Self)
	}
	return nil
}

// CheckAddress checks a node's address as the other nodes reach it:
// host:port, not loopback nor a wildcard (MinIO refuses 127.0.0.1
// endpoints in a container, and other nodes cannot reach either).
func CheckAddress(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return shared.Errorf(shared.CodeInvalidArgument, "node address %q must be host:port, e.g. 10.0.0.2:9000", addr)
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return shared.Errorf(shared.CodeInvalidArgument, "node address %s is a loopback name: give the address other nodes reach it at", addr)
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		return shared.Errorf(shared.CodeInvalidArgument, "node address %s is a loopback or wildcard address: give the address other nodes reach it at (MinIO also refuses loopback endpoints in a container)", addr)
	}
	return nil
}

func orThis(addr string) string {
	if addr == "" {
		return "(this node)"
	}
	return addr
}

// SetSize is the size of the erasure sets MinIO makes of n drives given
// as a list: the largest divisor of n from 2 to 16 (MinIO's
// getSetIndexes without ellipsis patterns); 1 for a single drive; 0 when
// MinIO refuses the count.
func SetSize(n int) int {
	if n == 1 {
		return 1
	}
	for s := 16; s >= 2; s-- {
		if n%s == 0 {
			return s
		}
	}
	return 0
}

// DefaultParity is the parity MinIO gives an erasure set of n drives when
// no storage class says otherwise (storageclass.DefaultParityBlocks).
func DefaultParity(n int) int {
	switch {
	case n <= 1:
		return 0
	case n <= 3:
		return 1
	case n <= 5:
		return 2
	case n <= 7:
		return 3
	}
	return 4
}

// Tolerance is how many drives of an erasure set of n drives with the
// given parity may fail before reads stop (data is unreadable: fewer than
// n-parity drives left) and before writes stop (MinIO's write quorum is
// n-parity drives, one more when data and parity drives are as many).
func Tolerance(n, parity int) (reads, writes int) {
	if n <= 0 || parity <= 0 || parity > n {
		return 0, 0
	}
	data := n - parity
	quorum := data
	if data == parity {
		quorum++
	}
	return parity, n - quorum
}
