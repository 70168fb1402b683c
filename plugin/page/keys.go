package page

import (
	"fmt"
	"strings"
	"time"

	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/topology"
	"github.com/quazzar/object-storage/shared"
)

// Flags of the key table.
const (
	// UnusedFlag is how long a key may go unused before it is flagged.
	UnusedFlag = 90 * 24 * time.Hour
	// ExpiringFlag is how close to its expiry a key is flagged.
	ExpiringFlag = 7 * 24 * time.Hour
	// NotTracked is said instead of a last use when MinIO's audit log does
	// not reach the add-on: never a wrong "never used".
	NotTracked = "last use not tracked"
	// ClusterLastUse says whose requests last use counts on a cluster's
	// node.
	ClusterLastUse = "On a cluster, each node counts the requests it answered: last use here is through this node; other nodes' pages show theirs, and no key is flagged unused."
	NeverUsed      = "never used"
	// NeverUsedHere is NeverUsed on a cluster's node, which sees only the
	// requests it answered.
	NeverUsedHere = "not used through this node"
)

func keysSection(s State) shared.Section {
	t := &shared.Table{
		Columns: []shared.Column{
			{ID: "name", Label: "Name"}, {ID: "access_key", Label: "Access key"}, {ID: "policy", Label: "Policy"},
			{ID: "last_used", Label: "Last used"}, {ID: "created", Label: "Created"}, {ID: "expiry", Label: "Expiry"},
			{ID: "status", Label: "Status"},
		},
		Empty: "No access keys yet. Click Create key to make one for an app.",
	}
	shown := pageOf(t, s.Keys, s.Query, tablePager{page: ParamKeysPage, filter: ParamKeysFilter,
		label: "Name, access key, owner…", none: "No key's name, access key, description or owner contains “%s”."},
		func(k shared.Key) []string { return []string{k.Name, k.AccessKey, k.Description, k.Owner} })
	for _, k := range shown {
		row := shared.Row{ID: k.AccessKey, Cells: map[string]shared.Cell{
			"name":       nameCell(k),
			"access_key": {Text: k.AccessKey, Copy: true},
			"policy":     policyCell(k),
			"last_used":  LastUsedCell(k, s),
			"created":    {Text: formatTime(k.CreatedAt)},
			"expiry":     ExpiryCell(k.Expiry, s.Now),
			"status":     StatusCell(k, s.Now),
		}}
		if !k.Managed {
			row.Cells["created"] = shared.Cell{Text: "created outside this page", Hint: "first seen " + formatTime(k.FirstSeen)}
		}
		row.Actions = append(revokeActions(k), keyActions(k)...)
		t.Rows = append(t.Rows, row)
	}
	desc := "Each key is a stand-alone credential pair you give to one app. When that app is decommissioned, revoke its key without touching anyone else's. As of " + formatTime(s.KeysAsOf) + "."
	if s.Tracking {
		desc += " Last use comes from MinIO's audit log, within a few seconds of each request; keys unused for 90 days and keys expiring within 7 days are flagged."
		if s.Topology.Mode == topology.ModeCluster {
			desc += " " + ClusterLastUse
		}
	} else {
		desc += " Last use is not tracked: " + orDash(s.TrackingProblem)
	}
	return shared.Section{ID: "keys", Kind: shared.SectionTable, Title: "Access keys", Description: desc, Table: t}
}

func nameCell(k shared.Key) shared.Cell {
	var hint []string
	if k.Owner != "" {
		hint = append(hint, "owner: "+k.Owner)
	}
	if k.Description != "" {
		hint = append(hint, k.Description)
	}
	return shared.Cell{Text: orDash(k.Name), Hint: strings.Join(hint, " · ")}
}

// LastUsedCell says when a key was last used, for what and from where:
// "last used 3 minutes ago (PutObject from 10.0.0.7)", "never used", or
// "last use not tracked"; a key unused for 90 days is flagged.
func LastUsedCell(k shared.Key, s State) shared.Cell {
	if !s.Tracking {
		return shared.Cell{Text: NotTracked, Hint: s.TrackingProblem}
	}
	var hint []string
	if k.Requests24h > 0 || k.Errors24h > 0 {
		hint = append(hint, fmt.Sprintf("%d requests, %s in 24 h", k.Requests24h, shared.HumanBytes(k.Bytes24h)))
	}
	if k.Errors24h > 0 {
		hint = append(hint, fmt.Sprintf("%d refused", k.Errors24h))
	}
	text := NeverUsed
	if s.Topology.Mode == topology.ModeCluster {
		text = NeverUsedHere
	}
	if !k.LastUsed.IsZero() {
		text = "last used " + AgoWords(k.LastUsed, s.Now)
		if k.LastOperation != "" {
			text += " (" + k.LastOperation
			if k.LastSource != "" {
				text += " from " + k.LastSource
			}
			text += ")"
		}
	}
	if unusedHere(k, s) {
		text += " — unused for 90 days"
		hint = append(hint, "no app has used it for 90 days: revoke it if nothing needs it")
	}
	return shared.Cell{Text: text, Hint: strings.Join(hint, "; ")}
}

// unusedHere is Unused where this node sees every request: not on a
// cluster's node, which sees only those it answered.
func unusedHere(k shared.Key, s State) bool {
	return s.Topology.Mode != topology.ModeCluster && Unused(k, s.TrackingSince, s.Now)
}

// Unused reports whether a key is to be flagged as unused for 90 days:
// its last use is that old, or it was never used since it was made (or
// first seen) and since tracking began, 90 days ago or more.
func Unused(k shared.Key, since, now time.Time) bool {
	if !k.LastUsed.IsZero() {
		return now.Sub(k.LastUsed) >= UnusedFlag
	}
	from := k.CreatedAt
	if from.IsZero() {
		from = k.FirstSeen
	}
	if since.After(from) {
		from = since
	}
	return !from.IsZero() && now.Sub(from) >= UnusedFlag
}

// Expiring reports whether a key expires within 7 days (and has not yet).
func Expiring(expiry, now time.Time) bool {
	return !expiry.IsZero() && expiry.After(now) && expiry.Sub(now) <= ExpiringFlag
}

// ExpiryCell shows an expiry as a date and as "in 12 days".
func ExpiryCell(expiry, now time.Time) shared.Cell {
	if expiry.IsZero() || expiry.Year() >= 9999 {
		return shared.Cell{Text: "never"}
	}
	switch {
	case !expiry.After(now):
		return shared.Cell{Text: formatTime(expiry), Hint: "expired " + AgoWords(expiry, now)}
	case Expiring(expiry, now):
		return shared.Cell{Text: formatTime(expiry) + " — expires soon", Hint: In(expiry, now) + ": rotate the key, or change its expiry"}
	}
	return shared.Cell{Text: formatTime(expiry), Hint: In(expiry, now)}
}

// StatusCell tells a disabled key from an expired one, and shows a
// rotation's halves with the deadline.
func StatusCell(k shared.Key, now time.Time) shared.Cell {
	switch k.Status {
	case shared.KeyOff:
		return shared.Cell{Text: "disabled", Hint: "S3 refuses it; Enable brings it back with the same secret"}
	case shared.KeyExpired:
		return shared.Cell{Text: "expired", Hint: "past its expiry: S3 refuses it for good; revoke it, or rotate it for a new key"}
	case shared.KeyRotating:
		if r := k.Rotation; r != nil {
			when := formatTime(r.Deadline) + " (" + In(r.Deadline, now) + ")"
			if r.Role == shared.RotationOld {
				return shared.Cell{Text: "rotating: replaced by " + r.Peer,
					Hint: "works until " + when + ", or until unused for an hour, then revoked"}
			}
			return shared.Cell{Text: "rotating: replaces " + r.Peer, Hint: r.Peer + " is revoked by " + when}
		}
	}
	return shared.Cell{Text: orDash(string(k.Status))}
}

// keyActions are a key's Disable/Enable and Rotate buttons.
func keyActions(k shared.Key) []shared.RowAction {
	who := k.AccessKey
	if k.Name != "" {
		who += " (" + k.Name + ")"
	}
	var acts []shared.RowAction
	switch k.Status {
	case shared.KeyOff:
		acts = append(acts, shared.RowAction{Action: ActionSetKeyStatus, Label: "Enable",
			Input: input(map[string]any{"access_key": k.AccessKey, "enabled": true})})
	case shared.KeyOn, shared.KeyRotating:
		acts = append(acts, shared.RowAction{Action: ActionSetKeyStatus, Label: "Disable",
			Input:   input(map[string]any{"access_key": k.AccessKey, "enabled": false}),
			Confirm: "Disable key " + who + "? S3 refuses it at once; Enable brings it back with the same secret."})
	}
	if k.Rotation == nil && k.Status != shared.KeyExpired {
		acts = append(acts, shared.RowAction{Action: ActionRotateKey, Label: "Rotate",
			Input: input(map[string]any{"access_key": k.AccessKey, "overlap": "24h"}),
			Confirm: "Rotate key " + who + "? A new key with the same name and policy is made, its secret shown once. " +
				k.AccessKey + " keeps working for 24 hours, or until it has been unused for an hour, then it is revoked."})
	}
	return acts
}

// keyNotices flag the keys expiring within 7 days and, with tracking, the
// keys unused for 90 days.
func keyNotices(s State) []shared.Section {
	var expiring, unused []string
	for _, k := range s.Keys {
		name := k.AccessKey
		if k.Name != "" {
			name += " (" + k.Name + ")"
		}
		if k.Status != shared.KeyExpired && Expiring(k.Expiry, s.Now) {
			expiring = append(expiring, name+" "+In(k.Expiry, s.Now))
		}
		if s.Tracking && unusedHere(k, s) {
			unused = append(unused, name)
		}
	}
	var out []shared.Section
	if len(expiring) > 0 {
		out = append(out, shared.Section{ID: "keys-expiring", Kind: shared.SectionNotice, Notice: &shared.Notice{Level: shared.LevelWarning,
			Text: "Keys expiring within 7 days: " + strings.Join(expiring, ", ") + ". Rotate them, or change their expiry below."}})
	}
	if len(unused) > 0 {
		out = append(out, shared.Section{ID: "keys-unused", Kind: shared.SectionNotice, Notice: &shared.Notice{Level: shared.LevelInfo,
			Text: "Keys unused for 90 days: " + strings.Join(unused, ", ") + ". Revoke the ones nothing needs."}})
	}
	return out
}

// editKeySection changes a key's policy, description or expiry; a field
// left empty keeps what the key has. The secret never changes.
func editKeySection(s State) []shared.Section {
	if len(s.Keys) == 0 {
		return nil
	}
	opts := make([]shared.Option, 0, len(s.Keys))
	for _, k := range s.Keys {
		label := k.AccessKey
		if k.Name != "" {
			label += " (" + k.Name + ")"
		}
		opts = append(opts, shared.Option{Value: k.AccessKey, Label: label})
	}
	bucket := "photos"
	if len(s.Buckets) > 0 {
		bucket = s.Buckets[0].Name
	}
	templates := []shared.Template{{Label: "All buckets, read and write (the default)", Value: keys.DefaultPolicy}}
	for _, tpl := range keys.Templates {
		templates = append(templates, shared.Template{Label: tpl.Label + " (" + bucket + ")", Value: tpl.Policy(bucket)})
	}
	return []shared.Section{{
		ID: "edit-key", Kind: shared.SectionForm, Title: "Edit key",
		Description: "Change a key's policy, description or expiry: a field left empty keeps what the key has. The secret never changes and is not shown again.",
		Form: &shared.Form{Action: ActionUpdateKey, Submit: "Save key", Fields: []shared.Field{
			{Name: "access_key", Label: "Key", Type: shared.FieldSelect, Required: true, Options: opts},
			{Name: "policy", Label: "New policy JSON", Type: shared.FieldTextarea, Templates: templates,
				Help: "Checked as at creation: S3 actions only, unless the key is an administrator key."},
			{Name: "description", Label: "New description", Type: shared.FieldText},
			{Name: "expiry", Label: "New expiry", Type: shared.FieldText, Placeholder: "2026-12-31T23:59, 30d or never",
				Help: "In UTC, between 15 minutes and 365 days from now, or never."},
		}},
	}}
}

// AgoWords says how long ago t was in words: "3 minutes ago".
func AgoWords(t, now time.Time) string {
	d := now.Sub(t)
	if d < time.Minute {
		return "just now"
	}
	return span(d) + " ago"
}

// In says how long until t: "in 12 days".
func In(t, now time.Time) string {
	d := t.Sub(now)
	if d < time.Minute {
		return "in less than a minute"
	}
	return "in " + span(d)
}

func span(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d/(24*time.Hour)), "day")
}
