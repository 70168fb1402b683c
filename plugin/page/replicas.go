package page

import (
	"fmt"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// The parts of the page for off-site copies: a bucket's replication to
// another node (its cell, Resync and Stop replicating), the form that
// pairs a bucket with a token, and the form that makes a replica bucket
// and its token on the node that keeps the copy.

// Texts of the off-site copies.
const (
	TokenWarning  = "Copy it now — it is shown once, like a secret: it holds a key that may write into this bucket. If you lose it, revoke the key (replica-…) and create a new token."
	ReplicateHelp = "Paste the pairing token made on the other node (Receive replicas). This node checks the target, turns versioning on here when needed, and MinIO then copies every upload within seconds, and the existing objects with a resync. No root credential leaves either node."
	ReceiveHelp   = "On the node that will keep the copy: a bucket with versioning on and a key that may do exactly what replication needs on it, handed over as one pairing token. The other node pastes it on its bucket's Replicate to another node."
)

// TokenModal shows a pairing token once.
func TokenModal(r shared.CreateReplicaTargetResponse) *shared.Modal {
	text := "Paste this token on the node that has the data, in Replicate to another node. It names this node's S3 endpoint " + r.Endpoint + ", bucket " + r.Bucket + " and the key " + r.AccessKey + "."
	if r.Sealed {
		text += " It is sealed with your passphrase: give the passphrase separately."
	} else {
		text += " Anyone who has it can write into this bucket: send it like a password, or use a passphrase."
	}
	return &shared.Modal{
		Title:   "Pairing token for bucket " + r.Bucket,
		Text:    text,
		Warning: TokenWarning,
		Values: []shared.InfoItem{
			{Label: "Pairing token", Value: r.Token, Copy: true},
			{Label: "Endpoint", Value: r.Endpoint, Copy: true},
		},
	}
}

// replicationCell says where a bucket's copies go (or come from).
func replicationCell(b shared.Bucket) shared.Cell {
	switch {
	case b.Replication != nil:
		r := b.Replication
		text := "→ " + r.Target + " · " + string(r.State)
		var hint []string
		if r.StateText != "" && r.State != shared.ReplicationHealthy {
			hint = append(hint, r.StateText)
		}
		pending := fmt.Sprintf("%d objects (%s) pending", r.PendingObjects, HumanBytes(r.PendingBytes))
		if r.PendingPartial {
			pending = "at least " + pending
		}
		hint = append(hint, pending, fmt.Sprintf("%d failed in the last hour", r.Failed1h))
		if r.LastSuccess.IsZero() {
			hint = append(hint, "no copy seen yet")
		} else {
			hint = append(hint, "last copy "+Ago(r.LastSuccess, r.AsOf))
		}
		if !r.ReplicateDeletes {
			hint = append(hint, "deletes not replicated")
		}
		if r.Problem != "" {
			hint = append(hint, "not read: "+r.Problem)
		}
		return shared.Cell{Text: text, Hint: strings.Join(hint, "; ")}
	case b.ReplicaOf != nil:
		return shared.Cell{Text: "replica of " + b.ReplicaOf.Bucket + " on " + b.ReplicaOf.Endpoint,
			Hint: "receives that bucket's copies; since " + formatTime(b.ReplicaOf.Since)}
	}
	return shared.Cell{Text: "—", Hint: "not replicated: see Replicate to another node"}
}

// replicationActions are a replicated bucket's Resync and Stop
// replicating buttons.
func replicationActions(b shared.Bucket) []shared.RowAction {
	if b.Replication == nil {
		return nil
	}
	return []shared.RowAction{
		{Action: ActionResyncBucket, Label: "Resync", Input: input(map[string]any{"name": b.Name}),
			Confirm: "Resync bucket " + b.Name + " to " + b.Replication.Target + "? MinIO checks every object against the target and sends what is missing."},
		{Action: ActionStopReplication, Label: "Stop replicating", Danger: true, Input: input(map[string]any{"name": b.Name}),
			Confirm: "Stop replicating bucket " + b.Name + " to " + b.Replication.Target + "? Both copies stay as they are; new uploads are no longer copied. The target's key stays valid until it is revoked on the target node."},
	}
}

// replicationSections are the pairing forms: replicate a bucket here
// (when there is one that is not replicated yet), receive replicas.
func replicationSections(s State) []shared.Section {
	var out []shared.Section
	free := bucketOptions(s.Buckets, func(b shared.Bucket) bool { return b.Replication == nil && !b.ObjectLock })
	if len(free) > 0 {
		out = append(out, shared.Section{
			ID: "replicate", Kind: shared.SectionForm, Title: "Replicate to another node",
			Description: ReplicateHelp,
			Form: &shared.Form{Action: ActionReplicateBucket, Submit: "Replicate", Fields: []shared.Field{
				{Name: "name", Label: "Bucket", Type: shared.FieldSelect, Options: free},
				{Name: "token", Label: "Pairing token", Type: shared.FieldTextarea, Required: true, Placeholder: "cloudos-pair-1…",
					Help: "Shown once on the target node by Receive replicas."},
				{Name: "passphrase", Label: "Passphrase", Type: shared.FieldText, Placeholder: "only if the token has one"},
				{Name: "replicate_deletes", Label: "Replicate deletes and delete markers", Type: shared.FieldCheckbox, Default: "true",
					Help: "Unticked, what is deleted here stays on the target."},
			}},
		})
	}
	return append(out, shared.Section{
		ID: "receive-replicas", Kind: shared.SectionForm, Title: "Receive replicas",
		Description: ReceiveHelp,
		Form: &shared.Form{Action: ActionCreateReplicaTarget, Submit: "Create pairing token", Fields: []shared.Field{
			{Name: "name", Label: "Replica bucket", Type: shared.FieldText, Required: true, Placeholder: "photos-copy",
				Help: "A new bucket (or an existing one) for the other node's copies."},
			{Name: "passphrase", Label: "Passphrase", Type: shared.FieldText, Placeholder: "optional, 8 characters or more",
				Help: "Seals the token: whoever pastes it also needs the passphrase."},
		}},
	})
}
