package page

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// The parts of the page that make it the node's bucket console (DESIGN.md,
// decision 8): drives and their growth, quotas, versioning, lifecycle
// rules, object lock.

// MaxBucketCharts is how many buckets get a growth chart.
const MaxBucketCharts = 12

// Texts of the console parts.
const (
	ObjectLockHelp = "Object lock can only be turned on when a bucket is created (S3 cannot add it later, nor take it away), and it keeps versioning on for good. Locked object versions cannot be deleted or overwritten until their retention ends."
	// ComplianceWarning names the consequence of compliance mode.
	ComplianceWarning = "Compliance mode: nobody, not even root, can delete these objects or shorten their retention before the date — not this page, not MinIO's root user, not an administrator key."
	ComplianceConfirm = ComplianceWarning + " Go on?"
	GovernanceHelp    = "Governance mode: a key with a tight policy cannot delete a locked version before its date; the root user, administrator keys and keys with full S3 access (the default of a key made without a policy) can, with the bypass header. Against ransomware, use compliance or give apps keys with a policy."
	QuotaHelp         = "A size such as 500MiB, 10GiB or 2TiB; 0 removes the quota. MinIO checks writes against its scanner's figures, so a bucket may pass its quota by what is written within about one scan cycle before uploads are refused with MinIO's quota error."
	// DiskFullText says what happens when a drive is full.
	DiskFullText = "When it is full, MinIO refuses every write (uploads, new versions) while reads keep working. Creating buckets and keys still works. Free space — delete objects, add lifecycle rules, lower quotas — or give MinIO a bigger drive."
	// NoHistoryText is shown in a chart without samples.
	NoHistoryText = "No samples yet: the add-on records one at each usage refresh."
)

// level is the page's level for a capacity level.
func level(c shared.CapacityLevel) shared.Level {
	switch c {
	case shared.CapacityCritical:
		return shared.LevelError
	case shared.CapacityWarning:
		return shared.LevelWarning
	}
	return shared.LevelInfo
}

func driveName(s State, d shared.Drive) string {
	if len(s.Capacity.Drives) > 1 {
		return "Drive " + d.Path
	}
	return "The data drive"
}

// capacityNotices warn about drives at 80 % and 90 % used.
func capacityNotices(s State) []shared.Section {
	var out []shared.Section
	for i, d := range s.Capacity.Drives {
		lv := shared.CapacityLevelOf(d.Used, d.Total)
		if lv != shared.CapacityWarning && lv != shared.CapacityCritical {
			continue
		}
		text := fmt.Sprintf("%s is %d%% full (%s free of %s). ", driveName(s, d), Percent(d.Used, d.Total), HumanBytes(d.Free), HumanBytes(d.Total))
		if lv == shared.CapacityCritical {
			text += DiskFullText
		} else {
			text += "Plan for more space before it reaches 90%. " + DiskFullText
		}
		out = append(out, shared.Section{ID: fmt.Sprintf("disk-warning-%d", i), Kind: shared.SectionNotice,
			Notice: &shared.Notice{Level: level(lv), Text: text}})
	}
	return out
}

// fullBucketNotices say which buckets are at their quota.
func fullBucketNotices(s State) []shared.Section {
	var full []string
	for _, b := range s.Buckets {
		if b.Quota > 0 && b.Usage.Scanned && b.Usage.Size >= b.Quota {
			full = append(full, fmt.Sprintf("Bucket %s is full: %s of its %s quota.", b.Name, HumanBytes(b.Usage.Size), HumanBytes(b.Quota)))
		}
	}
	if len(full) == 0 {
		return nil
	}
	text := strings.Join(full, " ") + " Uploads to it fail with MinIO's quota error (\"Bucket quota exceeded\") until objects are deleted or the quota is raised; reads keep working."
	return []shared.Section{{ID: "full-buckets", Kind: shared.SectionNotice, Notice: &shared.Notice{Level: shared.LevelError, Text: text}}}
}

// capacitySections are the drives table and their growth charts.
func capacitySections(s State) []shared.Section {
	c := s.Capacity
	t := &shared.Table{
		Columns: []shared.Column{
			{ID: "path", Label: "Drive"}, {ID: "state", Label: "MinIO's view"}, {ID: "used", Label: "Used / total"},
			{ID: "free", Label: "Free"}, {ID: "level", Label: "Level"},
		},
		Empty: "MinIO has not reported its drives yet.",
	}
	var charts []shared.Chart
	for _, d := range c.Drives {
		lv := shared.CapacityLevelOf(d.Used, d.Total)
		used := shared.Cell{Text: fmt.Sprintf("%s of %s (%d%%)", HumanBytes(d.Used), HumanBytes(d.Total), Percent(d.Used, d.Total))}
		if d.Total > 0 {
			used.Meter = &shared.Meter{Value: float64(d.Used), Max: float64(d.Total), Level: level(lv)}
		}
		t.Rows = append(t.Rows, shared.Row{ID: d.Path, Cells: map[string]shared.Cell{
			"path":  {Text: d.Path, Copy: true},
			"state": {Text: orDash(d.State), Hint: driveStateHint(d.State)},
			"used":  used,
			"free":  {Text: HumanBytes(d.Free)},
			"level": {Text: string(lv), Hint: levelHint(lv)},
		}})
		title := "Data drive"
		if len(c.Drives) > 1 {
			title = "Drive " + d.Path
		}
		ch := shared.Chart{ID: "drive-" + d.Path, Title: title, Unit: shared.UnitBytes,
			Series: []shared.ChartSeries{{Label: "used", Points: points(s.DriveHistory[d.Path], shared.Sample{At: c.AsOf, Value: d.Used})}},
			Limit:  &shared.ChartLimit{Value: float64(d.Total), Label: "size " + HumanBytes(d.Total)},
			Level:  level(lv), Empty: NoHistoryText}
		if c.Forecast != nil && (len(c.Drives) == 1 || strings.Contains(c.Forecast.Text, d.Path)) {
			ch.Forecast = sentence(c.Forecast.Text)
		}
		charts = append(charts, ch)
	}
	desc := "MinIO's own view of its drives (admin API server info). Warning from 80% used, critical from 90%."
	if !c.AsOf.IsZero() {
		desc += " As of " + formatTime(c.AsOf) + "."
	}
	out := []shared.Section{{ID: "capacity", Kind: shared.SectionTable, Title: "Disk capacity", Description: desc, Table: t}}
	if len(charts) > 0 {
		out = append(out, shared.Section{ID: "disk-growth", Kind: shared.SectionCharts, Title: "Disk growth",
			Description: "Used space over time: every refresh for the last 24 hours, hourly for 90 days.", Charts: charts})
	}
	return out
}

func driveStateHint(state string) string {
	if state == "ok" {
		return "online"
	}
	return "MinIO cannot use this drive as it is"
}

func levelHint(lv shared.CapacityLevel) string {
	switch lv {
	case shared.CapacityCritical:
		return "90% or more used"
	case shared.CapacityWarning:
		return "80% or more used"
	}
	return ""
}

// ChartBuckets picks the buckets that get a growth chart: those closest to
// their quota first, then the largest, at most MaxBucketCharts.
func ChartBuckets(bs []shared.Bucket) []string {
	sorted := slices.Clone(bs)
	fill := func(b shared.Bucket) float64 {
		if b.Quota == 0 {
			return -1
		}
		return float64(b.Usage.Size) / float64(b.Quota)
	}
	slices.SortStableFunc(sorted, func(a, b shared.Bucket) int {
		if c := cmp.Compare(fill(b), fill(a)); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Usage.Size, a.Usage.Size); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	out := make([]string, 0, min(len(sorted), MaxBucketCharts))
	for _, b := range sorted[:min(len(sorted), MaxBucketCharts)] {
		out = append(out, b.Name)
	}
	return out
}

// bucketChartsSection charts the size of the buckets ChartBuckets picks,
// with their quota and forecast.
func bucketChartsSection(s State) (shared.Section, bool) {
	byName := map[string]shared.Bucket{}
	for _, b := range s.Buckets {
		byName[b.Name] = b
	}
	var charts []shared.Chart
	for _, name := range ChartBuckets(s.Buckets) {
		b := byName[name]
		var now shared.Sample
		if b.Usage.Scanned {
			now = shared.Sample{At: b.Usage.ScannedAt, Value: b.Usage.Size}
		}
		ch := shared.Chart{ID: "bucket-" + name, Title: "Bucket " + name, Unit: shared.UnitBytes, Empty: NoHistoryText,
			Series: []shared.ChartSeries{{Label: "size", Points: points(s.BucketHistory[name], now)}}}
		if b.Quota > 0 {
			ch.Limit = &shared.ChartLimit{Value: float64(b.Quota), Label: "quota " + HumanBytes(b.Quota)}
			ch.Level = level(shared.CapacityLevelOf(b.Usage.Size, b.Quota))
		}
		if b.Forecast != nil {
			ch.Forecast = sentence(b.Forecast.Text)
		}
		charts = append(charts, ch)
	}
	if len(charts) == 0 {
		return shared.Section{}, false
	}
	desc := "Size over time: every refresh for the last 24 hours, hourly for 90 days."
	if len(s.Buckets) > MaxBucketCharts {
		desc += fmt.Sprintf(" The %d buckets closest to their quota, then the largest, of %d.", MaxBucketCharts, len(s.Buckets))
	}
	return shared.Section{ID: "bucket-growth", Kind: shared.SectionCharts, Title: "Bucket growth", Description: desc, Charts: charts}, true
}

// points are a series' samples as chart points, with the current figure
// after them when it is newer than the last sample.
func points(samples []shared.Sample, now shared.Sample) []shared.ChartPoint {
	out := make([]shared.ChartPoint, 0, len(samples)+1)
	for _, x := range samples {
		out = append(out, shared.ChartPoint{T: x.At, V: float64(x.Value)})
	}
	if !now.At.IsZero() && (len(out) == 0 || now.At.After(out[len(out)-1].T)) {
		out = append(out, shared.ChartPoint{T: now.At, V: float64(now.Value)})
	}
	return out
}

// sentence starts a text with a capital letter and ends it with a full
// stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// ---- bucket cells and row actions ----

func quotaCell(b shared.Bucket) shared.Cell {
	if b.Quota == 0 {
		return shared.Cell{Text: "no quota"}
	}
	if !b.Usage.Scanned {
		return shared.Cell{Text: "— / " + HumanBytes(b.Quota), Hint: "not scanned yet"}
	}
	lv := shared.CapacityLevelOf(b.Usage.Size, b.Quota)
	c := shared.Cell{
		Text:  fmt.Sprintf("%s / %s (%d%%)", HumanBytes(b.Usage.Size), HumanBytes(b.Quota), Percent(b.Usage.Size, b.Quota)),
		Meter: &shared.Meter{Value: float64(b.Usage.Size), Max: float64(b.Quota), Level: level(lv)},
	}
	switch {
	case b.Usage.Size >= b.Quota:
		c.Hint = "full: uploads are refused"
	case b.Forecast != nil && b.Forecast.FullInSeconds > 0:
		c.Hint = b.Forecast.Text
	case lv == shared.CapacityCritical:
		c.Hint = "90% or more of the quota"
	case lv == shared.CapacityWarning:
		c.Hint = "80% or more of the quota"
	}
	return c
}

func versioningCell(b shared.Bucket) shared.Cell {
	if b.SettingsError != "" {
		return shared.Cell{Text: "—", Hint: "settings cannot be read right now: " + b.SettingsError}
	}
	switch b.Versioning {
	case shared.VersioningEnabled:
		return shared.Cell{Text: "enabled", Hint: "overwrites and deletes keep the previous version"}
	case shared.VersioningSuspended:
		return shared.Cell{Text: "suspended", Hint: "new writes keep no previous version; old versions stay"}
	}
	return shared.Cell{Text: "off"}
}

func lockCell(b shared.Bucket) shared.Cell {
	switch {
	case b.Retention != nil && b.Retention.Mode == shared.RetentionCompliance:
		return shared.Cell{Text: fmt.Sprintf("compliance, %s", daysText(b.Retention.Days)), Hint: "nobody, not even root, can delete a version before its date"}
	case b.Retention != nil:
		return shared.Cell{Text: fmt.Sprintf("governance, %s", daysText(b.Retention.Days)), Hint: "keys with full S3 access can still delete, with the bypass header"}
	case b.ObjectLock:
		return shared.Cell{Text: "on", Hint: "no default retention"}
	}
	return shared.Cell{Text: "—"}
}

func daysText(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func lifecycleCell(b shared.Bucket) shared.Cell {
	switch n := len(b.Lifecycle); n {
	case 0:
		return shared.Cell{Text: "none"}
	case 1:
		return shared.Cell{Text: "1 rule", Hint: b.Lifecycle[0].Text}
	default:
		return shared.Cell{Text: fmt.Sprintf("%d rules", n), Hint: "see Lifecycle rules"}
	}
}

// settingsActions are a bucket's versioning and quota buttons.
func settingsActions(b shared.Bucket) []shared.RowAction {
	var out []shared.RowAction
	if b.SettingsError == "" {
		switch {
		case b.Versioning != shared.VersioningEnabled:
			out = append(out, shared.RowAction{Action: ActionSetVersioning, Label: "Enable versioning",
				Input: input(map[string]any{"name": b.Name, "state": shared.VersioningEnabled}),
				Confirm: "Enable versioning on bucket " + b.Name + "? Every overwrite and delete then keeps the previous version, which counts in the bucket's size. " +
					"S3 cannot turn versioning off again, only suspend it."})
		case !b.ObjectLock:
			out = append(out, shared.RowAction{Action: ActionSetVersioning, Label: "Suspend versioning",
				Input: input(map[string]any{"name": b.Name, "state": shared.VersioningSuspended}),
				Confirm: "Suspend versioning on bucket " + b.Name + "? New writes then keep no previous version; the versions kept so far stay. " +
					"(S3 has no way to turn versioning off: suspended is as far as it goes.)"})
		}
	}
	if b.Quota > 0 {
		out = append(out, shared.RowAction{Action: ActionSetQuota, Label: "Remove quota",
			Input:   input(map[string]any{"name": b.Name, "bytes": 0}),
			Confirm: "Remove the " + HumanBytes(b.Quota) + " quota of bucket " + b.Name + "? It can then grow until the drive is full."})
	}
	return out
}

// ---- settings forms and the lifecycle rules ----

func retentionOptions(none string) []shared.Option {
	return []shared.Option{
		{Value: "", Label: none},
		{Value: string(shared.RetentionGovernance), Label: "Governance — normal keys cannot delete before the date", Warning: GovernanceHelp},
		{Value: string(shared.RetentionCompliance), Label: "Compliance — nobody can delete before the date", Warning: ComplianceWarning, Confirm: ComplianceConfirm},
	}
}

func bucketOptions(bs []shared.Bucket, keep func(shared.Bucket) bool) []shared.Option {
	var out []shared.Option
	for _, b := range bs {
		if keep == nil || keep(b) {
			out = append(out, shared.Option{Value: b.Name, Label: b.Name})
		}
	}
	return out
}

// settingsSections are the quota form, the lifecycle rules with their form
// and raw view, and the retention form of object-locked buckets. Forms
// that pick a bucket are there only when there is one to pick.
func settingsSections(s State) []shared.Section {
	if len(s.Buckets) == 0 {
		return nil
	}
	out := []shared.Section{{
		ID: "quota", Kind: shared.SectionForm, Title: "Quota",
		Description: "A hard quota keeps one bucket (a backup job, a runaway app) from filling the drive for everyone.",
		Form: &shared.Form{Action: ActionSetQuota, Submit: "Set quota", Fields: []shared.Field{
			{Name: "name", Label: "Bucket", Type: shared.FieldSelect, Options: bucketOptions(s.Buckets, nil)},
			{Name: "bytes", Label: "Quota", Type: shared.FieldText, Required: true, Placeholder: "10GiB", Help: QuotaHelp},
		}},
	}}
	out = append(out, lifecycleSection(s), shared.Section{
		ID: "add-lifecycle-rule", Kind: shared.SectionForm, Title: "Add a lifecycle rule",
		Description: "Rules set elsewhere (the AWS CLI, mc) are kept: adding a rule never rewrites them. Leave a number empty to leave its action out.",
		Form: &shared.Form{Action: ActionAddLifecycleRule, Submit: "Add rule", Fields: []shared.Field{
			{Name: "name", Label: "Bucket", Type: shared.FieldSelect, Options: bucketOptions(s.Buckets, nil)},
			{Name: "prefix", Label: "Prefix", Type: shared.FieldText, Placeholder: "logs/", Help: "Only objects whose key starts with it; empty for the whole bucket."},
			{Name: "expire_days", Label: "Delete objects after (days)", Type: shared.FieldNumber, Placeholder: "30", Help: "Days after upload. In a versioned bucket the object gets a delete marker and its data becomes a noncurrent version."},
			{Name: "noncurrent_days", Label: "Delete noncurrent versions after (days)", Type: shared.FieldNumber, Placeholder: "7", Help: "Days after a version is overwritten or deleted."},
			{Name: "keep_newest", Label: "Keep the newest noncurrent versions", Type: shared.FieldNumber, Placeholder: "3", Help: "That many noncurrent versions are always kept; alone (no days), the older ones go as soon as MinIO's scanner finds them."},
			{Name: "abort_multipart_days", Label: "Abort incomplete uploads after (days)", Type: shared.FieldNumber, Placeholder: "2", Help: "Multipart uploads that never completed take space until aborted."},
		}},
	})
	if raw := rawLifecycle(s.Buckets); raw != "" {
		out = append(out, shared.Section{ID: "lifecycle-raw", Kind: shared.SectionNotice, Title: "Lifecycle configurations (raw)",
			Notice: &shared.Notice{Level: shared.LevelInfo, Text: "The lifecycle configurations as MinIO keeps them, for power users. Read only: change them with the form above, the AWS CLI or mc.", Code: raw}})
	}
	locked := bucketOptions(s.Buckets, func(b shared.Bucket) bool { return b.ObjectLock })
	if len(locked) > 0 {
		out = append(out, shared.Section{
			ID: "retention", Kind: shared.SectionForm, Title: "Default retention",
			Description: "For buckets made with object lock: how long each new object version is locked. Versions locked so far keep their date.",
			Form: &shared.Form{Action: ActionSetRetention, Submit: "Set retention", Fields: []shared.Field{
				{Name: "name", Label: "Bucket", Type: shared.FieldSelect, Options: locked},
				{Name: "mode", Label: "Mode", Type: shared.FieldSelect, Options: retentionOptions("No default retention")},
				{Name: "days", Label: "Days", Type: shared.FieldNumber, Placeholder: "30", Help: "1 to 36,500 days (100 years)."},
			}},
		})
	}
	return out
}

func lifecycleSection(s State) shared.Section {
	t := &shared.Table{
		Columns: []shared.Column{{ID: "bucket", Label: "Bucket"}, {ID: "rule", Label: "Rule"}, {ID: "id", Label: "Id"}},
		Empty:   "No lifecycle rules: objects are kept until someone deletes them.",
	}
	for _, b := range s.Buckets {
		for _, r := range b.Lifecycle {
			row := shared.Row{ID: b.Name + "/" + r.ID, Cells: map[string]shared.Cell{
				"bucket": {Text: b.Name},
				"rule":   {Text: r.Text},
				"id":     {Text: orDash(r.ID), Hint: ruleOrigin(r.ID)},
			}}
			if r.ID != "" {
				row.Actions = []shared.RowAction{{Action: ActionDeleteLifecycleRule, Label: "Delete", Danger: true,
					Input:   input(map[string]any{"name": b.Name, "id": r.ID}),
					Confirm: "Delete rule " + r.ID + " of bucket " + b.Name + "? " + r.Text}}
			}
			t.Rows = append(t.Rows, row)
		}
	}
	return shared.Section{ID: "lifecycle", Kind: shared.SectionTable, Title: "Lifecycle rules",
		Description: "What MinIO deletes by itself, rule by rule. MinIO's scanner applies them, so an object goes within a scan cycle of its date.",
		Table:       t}
}

func ruleOrigin(id string) string {
	if strings.HasPrefix(id, "quazzar-") {
		return "added on this page"
	}
	return "set elsewhere"
}

func rawLifecycle(bs []shared.Bucket) string {
	var parts []string
	for _, b := range bs {
		if b.LifecycleXML != "" {
			parts = append(parts, "<!-- bucket "+b.Name+" -->\n"+b.LifecycleXML)
		}
	}
	return strings.Join(parts, "\n\n")
}
