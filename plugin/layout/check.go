package layout

import (
	"fmt"
	"slices"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// Verdict is what Check says of the drives in the settings.
type Verdict struct {
	// Kind is Same, Expansion or Changed.
	Kind Kind
	// New are the drives added at the end of the list (Expansion).
	New []string
	// Err says why MinIO may not start on the list (Expansion, Changed):
	// a conflict, in words for the node owner.
	Err error
}

// Kind of a verdict.
type Kind int

const (
	// Same: the settings list the drives MinIO was set up with.
	Same Kind = iota
	// Expansion: those drives, then new ones at the end: a new pool,
	// once the node owner confirms it (Expand).
	Expansion
	// Changed: anything else (a drive missing, replaced by another path,
	// moved in the list, or this node's address changed in a cluster).
	Changed
)

// Check compares the drives and the node's address in the settings with
// the layout MinIO was set up with. It is a pure function.
func Check(rec Layout, drives []string, self string) Verdict {
	have := rec.Local()
	if rec.Distributed() && self != rec.Self {
		return Verdict{Kind: Changed, Err: shared.Errorf(shared.CodeConflict,
			"this node is %s in cluster %s, but setting s3_address is now %s: the other nodes know it by its address, so MinIO was not started; put s3_address back to %s",
			rec.Self, rec.Cluster, self, rec.Self)}
	}
	if slices.Equal(have, drives) {
		return Verdict{Kind: Same}
	}
	if len(drives) > len(have) && slices.Equal(drives[:len(have)], have) && !rec.Distributed() {
		added := slices.Clone(drives[len(have):])
		return Verdict{Kind: Expansion, New: added, Err: shared.Errorf(shared.CodeConflict,
			"the drive list has %d new drive(s) at its end (%s). MinIO cannot add drives to its erasure set; it can add them as a new pool, which it formats and then fills alongside the first (a pool cannot be taken out again without moving its data off). MinIO was not started on the new list: confirm the new pool on the Object Storage page, or remove the new drives from the list",
			len(added), strings.Join(added, ", "))}
	}
	missing, added := diff(have, drives), diff(drives, have)
	var what []string
	if len(missing) > 0 {
		what = append(what, "missing: "+strings.Join(missing, ", "))
	}
	if len(added) > 0 {
		what = append(what, "new: "+strings.Join(added, ", "))
	}
	if len(what) == 0 {
		what = append(what, "the same drives in another order")
	}
	where := "this node"
	if rec.Distributed() {
		where = "this node in cluster " + rec.Cluster
	}
	msg := fmt.Sprintf("the drive list changed (%s). MinIO was set up with %s on %s, and it cannot move data to other drives or take a drive out of an erasure set; on a changed list it could format new drives as an empty deployment, so it was not started. Put the list back to %s",
		strings.Join(what, "; "), strings.Join(have, ", "), where, strings.Join(have, ","))
	if !rec.Distributed() {
		msg += "; to grow, keep those drives first and add the new ones at the end (a new pool)"
	}
	msg += ". A failed drive is replaced by mounting a new empty drive at the same path: MinIO heals it."
	return Verdict{Kind: Changed, Err: shared.Errorf(shared.CodeConflict, "%s", msg)}
}

// diff is what a has and b has not, in a's order.
func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Expand returns the layout with added as a new pool, after checking that
// MinIO can take it: on a node of its own, beside a first pool of two
// drives or more (a single drive has parity 0, and MinIO would then run
// every pool with parity 0), with a drive count MinIO can cut into sets of
// at least twice the parity (MinIO keeps one parity across pools).
// parity is the deployment's (MinIO's figure when known, else its
// default for the first pool).
func (l Layout) Expand(added []string, parity int) (Layout, error) {
	if l.Distributed() {
		return Layout{}, shared.Errorf(shared.CodeConflict,
			"this node belongs to cluster %s: a new pool of a cluster spans its nodes and is not added from one node's settings; put the drive list back", l.Cluster)
	}
	if first := l.Pools[0].Size(); first < 2 {
		return Layout{}, shared.Errorf(shared.CodeConflict,
			"MinIO runs on a single drive here (no erasure set, parity 0); a new pool beside it would run with parity 0 too (MinIO keeps the first pool's parity for every pool), so any failed drive would lose data. Move the data to a new deployment with 4 or more drives instead, and remove the new drives from the list")
	}
	n := len(added)
	if n < 2 {
		return Layout{}, shared.Errorf(shared.CodeInvalidArgument, "a new pool needs at least 2 drives (better %d or more), got %d", max(4, 2*parity), n)
	}
	set := SetSize(n)
	if set == 0 {
		return Layout{}, shared.Errorf(shared.CodeInvalidArgument,
			"a new pool of %d drives cannot be cut into erasure sets of 2 to 16 drives: use a number of drives with such a divisor (e.g. 4, 6, 8, 12, 16)", n)
	}
	if set < 2*parity {
		return Layout{}, shared.Errorf(shared.CodeInvalidArgument,
			"MinIO keeps parity %d for every pool, which needs erasure sets of at least %d drives; the new pool's %d drives make sets of %d: add at least %d drives",
			parity, 2*parity, n, set, 2*parity)
	}
	for _, d := range added {
		if slices.Contains(l.Local(), d) {
			return Layout{}, shared.Errorf(shared.CodeInvalidArgument, "drive %s is already one of MinIO's drives", d)
		}
	}
	out := l
	out.Pools = append(slices.Clone(l.Pools), Pool{Nodes: []Node{{Drives: slices.Clone(added)}}})
	if err := out.Validate(); err != nil {
		return Layout{}, err
	}
	return out, nil
}
