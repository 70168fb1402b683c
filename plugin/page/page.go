// Package page builds the add-on's page at Infra → Object Storage as a UI
// schema, from a snapshot of live state. It is a pure function of that
// state: the add-on gathers the state, the host renders the schema.
package page

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/shared"
)

// Route and Title of the page, as in plugin.json.
const (
	Route = "/storage/objects"
	Title = "Object Storage"
)

// RefreshSeconds matches the usage refresh of the product page.
const RefreshSeconds = 30

// State is everything the page shows.
type State struct {
	Status   shared.Status
	Endpoint shared.Endpoint
	// Capacity is MinIO's drives; DriveHistory their used bytes over
	// time, by path.
	Capacity     shared.Capacity
	DriveHistory map[string][]shared.Sample
	Buckets      []shared.Bucket
	// BucketHistory is the size over time of the buckets ChartBuckets
	// chose, by name.
	BucketHistory map[string][]shared.Sample
	// LastScan is the time of the usage scan the figures come from.
	LastScan time.Time
	Keys     []shared.Key
	// KeysAsOf is when the key list was read from MinIO.
	KeysAsOf time.Time
	// Tracking says whether last use is tracked (TrackingProblem: why
	// not), and since when.
	Tracking        bool
	TrackingProblem string
	TrackingSince   time.Time
	// Errors met while gathering state (e.g. MinIO not answering), shown as
	// notices; never secrets.
	Problems []string
	Now      time.Time
	// Topology is the store's nodes and drives.
	Topology shared.Topology
	// PendingPool are drives the settings list after those MinIO was set
	// up with: a new pool to confirm.
	PendingPool []string
	// PendingPoolText says what adding them does (empty when MinIO cannot
	// take them, PendingPoolError then says why).
	PendingPoolText, PendingPoolError string
	// Query is the page URL's query: the page and filter of the bucket and
	// key tables (ParamBucketsPage…).
	Query map[string]string
}

// Warnings and texts of the product page.
const (
	PublicWarning = "Anyone can download any object of a public bucket without credentials (any URL like https://s3.example.com/cdn/logo.png). Use this for static assets, never for sensitive data."
	PolicyHelp    = "Leave empty for all buckets, read and write; the key cannot administer the server. Tighten it (a template below) for anything internet-facing."
	AdminWarning  = "An administrator key inherits the root user's full permissions: it can administer the server (users, keys, configuration) and create keys of its own. Use it only for tools that manage the server, never for an app."
	// AllBucketsText says what a key made without a policy may do.
	AllBucketsText = "all buckets, read and write; cannot administer the server"
	SecretWarning  = "Copy it now — there is no way to retrieve it later. If you lose the secret, revoke the key and create a new one."
	DeleteAdvice   = "MinIO refuses to drop non-empty buckets — empty the bucket first via the console, the S3 API, or `mc rb --force`."
	// ConsoleHint says what the shipped console is (DESIGN.md, decision 8).
	ConsoleHint = "MinIO's object browser: browse, upload and download objects. Its admin screens were removed upstream in 2025: manage buckets, quotas, versioning, lifecycle, object lock and keys on this page."
)

// Build returns the page for a state.
func Build(s State) shared.Page {
	p := shared.Page{
		SchemaVersion:  shared.SchemaVersion,
		Title:          Title,
		Route:          Route,
		RefreshSeconds: RefreshSeconds,
		Banner:         banner(s.Status),
	}
	for _, prob := range s.Problems {
		p.Sections = append(p.Sections, shared.Section{
			ID: "problem", Kind: shared.SectionNotice,
			Notice: &shared.Notice{Level: shared.LevelWarning, Text: prob},
		})
	}
	p.Sections = append(p.Sections, capacityNotices(s)...)
	p.Sections = append(p.Sections, fullBucketNotices(s)...)
	p.Sections = append(p.Sections, endpointSection(s))
	if s.Endpoint.Domain != "" {
		p.Sections = append(p.Sections, unexposeSection(s.Endpoint.Domain))
	}
	p.Sections = append(p.Sections, topologySections(s)...)
	p.Sections = append(p.Sections, capacitySections(s)...)
	p.Sections = append(p.Sections, bucketsSection(s))
	if c, ok := bucketChartsSection(s); ok {
		p.Sections = append(p.Sections, c)
	}
	p.Sections = append(p.Sections, newBucketSection())
	p.Sections = append(p.Sections, settingsSections(s)...)
	p.Sections = append(p.Sections, replicationSections(s)...)
	p.Sections = append(p.Sections, keyNotices(s)...)
	p.Sections = append(p.Sections, keysSection(s), createKeySection(s))
	p.Sections = append(p.Sections, editKeySection(s)...)
	p.Sections = append(p.Sections, connectSection(s))
	p.Sections = append(p.Sections, clusterSections(s)...)
	return p
}

func banner(st shared.Status) *shared.Notice {
	switch st.State {
	case shared.StateNotInstalled:
		return &shared.Notice{Level: shared.LevelError,
			Text: "MinIO is not installed on this node. Cloud OS supervises it but does not install it: install it onto $PATH, then reload this page.",
			Code: st.InstallCommand}
	case shared.StateFailed:
		return &shared.Notice{Level: shared.LevelError, Text: "MinIO failed: " + orDash(firstNonEmpty(st.Message, st.LastError))}
	case shared.StateStarting:
		return &shared.Notice{Level: shared.LevelInfo, Text: "MinIO is starting…"}
	case shared.StateDegraded:
		return &shared.Notice{Level: shared.LevelWarning, Text: "MinIO is degraded: " + orDash(firstNonEmpty(st.Message, st.LastError))}
	case shared.StateStopped:
		return &shared.Notice{Level: shared.LevelWarning, Text: "MinIO is stopped."}
	}
	return nil
}

func endpointSection(s State) shared.Section {
	e := s.Endpoint
	items := []shared.InfoItem{
		{Label: "S3 API", Value: e.S3URL, Copy: true, Hint: "what your tools point at"},
		{Label: "Web console", Value: e.ConsoleURL, Copy: true, Hint: ConsoleHint},
		{Label: "Region", Value: e.Region, Copy: true},
	}
	if e.Domain != "" {
		items = append(items, shared.InfoItem{Label: "Public endpoint", Value: e.PublicURL, Copy: true, Hint: "through the reverse proxy, TLS terminated there"})
		for _, b := range s.Buckets {
			if b.Visibility == shared.Public {
				items = append(items, shared.InfoItem{
					Label: "Public URL of " + b.Name, Value: e.PublicURL + "/" + b.Name + "/<key>", Copy: true,
					Hint: "any object of this bucket downloads without credentials",
				})
			}
		}
	}
	form := &shared.Form{
		Action: ActionExpose, Submit: "Expose",
		Fields: []shared.Field{{
			Name: "domain", Label: "Domain", Type: shared.FieldText, Required: true,
			Placeholder: "s3.example.com", Default: e.Domain,
			Help: "Make sure DNS for the domain points at this node. Cloud OS asks the Reverse Proxy Manager to forward it to the S3 API with TLS.",
		}},
	}
	return shared.Section{
		ID: "endpoint", Kind: shared.SectionInfo, Title: "Endpoint",
		Description: "The bind addresses Cloud OS uses today. By default the S3 API listens only on the loopback.",
		Info:        &shared.InfoPanel{Items: items, Form: form},
	}
}

func unexposeSection(domain string) shared.Section {
	return shared.Section{
		ID: "unexpose", Kind: shared.SectionForm, Title: "Exposed at " + domain,
		Form: &shared.Form{Action: ActionUnexpose, Submit: "Unexpose", Confirm: "Stop routing " + domain + " to the S3 API? Clients using that URL will stop reaching it."},
	}
}

func bucketsSection(s State) shared.Section {
	t := &shared.Table{
		Columns: []shared.Column{
			{ID: "name", Label: "Name"}, {ID: "visibility", Label: "Visibility"},
			{ID: "usage", Label: "Size / objects"}, {ID: "quota", Label: "Used / quota"},
			{ID: "versioning", Label: "Versioning"}, {ID: "lock", Label: "Object lock"},
			{ID: "lifecycle", Label: "Lifecycle"}, {ID: "replication", Label: "Off-site copy"},
			{ID: "created", Label: "Created"},
		},
		Empty: "No buckets yet. Click New bucket to mint one.",
	}
	shown := pageOf(t, s.Buckets, s.Query, tablePager{page: ParamBucketsPage, filter: ParamBucketsFilter,
		label: "Bucket name contains…", none: "No bucket name contains “%s”."},
		func(b shared.Bucket) []string { return []string{b.Name} })
	for _, b := range shown {
		row := shared.Row{ID: b.Name, Cells: map[string]shared.Cell{
			"name":        {Text: b.Name, Copy: true},
			"visibility":  {Text: string(b.Visibility), Hint: visibilityHint(b.Visibility)},
			"usage":       usageCell(b.Usage, s.Now),
			"quota":       quotaCell(b),
			"versioning":  versioningCell(b),
			"lock":        lockCell(b),
			"lifecycle":   lifecycleCell(b),
			"replication": replicationCell(b),
			"created":     {Text: formatTime(b.CreatedAt)},
		}}
		switch b.Visibility {
		case shared.Private:
			row.Actions = append(row.Actions, shared.RowAction{Action: ActionSetVisibility, Label: "Make public",
				Input:   input(map[string]any{"name": b.Name, "visibility": shared.Public}),
				Confirm: "Make bucket " + b.Name + " public? " + PublicWarning})
		case shared.Public:
			row.Actions = append(row.Actions, shared.RowAction{Action: ActionSetVisibility, Label: "Make private",
				Input: input(map[string]any{"name": b.Name, "visibility": shared.Private})})
		case shared.Custom:
			row.Actions = append(row.Actions, shared.RowAction{Action: ActionSetVisibility, Label: "Replace policy: private",
				Input:   input(map[string]any{"name": b.Name, "visibility": shared.Private, "overwrite_custom": true}),
				Confirm: "Bucket " + b.Name + " has a policy set outside Cloud OS. Replace it and make the bucket private?", Danger: true})
		}
		row.Actions = append(row.Actions, settingsActions(b)...)
		row.Actions = append(row.Actions, replicationActions(b)...)
		row.Actions = append(row.Actions, shared.RowAction{Action: ActionDeleteBucket, Label: "Delete",
			Input:   input(map[string]any{"name": b.Name, "force": false}),
			Confirm: "Delete bucket " + b.Name + "? " + DeleteAdvice, Danger: true})
		t.Rows = append(t.Rows, row)
	}
	return shared.Section{
		ID: "buckets", Kind: shared.SectionTable, Title: "Buckets",
		Description: "Size and object count come from MinIO's data-usage scanner. Fresh buckets show 0 / — until the scanner sweeps them (usually a couple of minutes after first write). A quota is enforced within about one scan cycle: MinIO checks writes against the scanner's figures.",
		Table:       t,
	}
}

func newBucketSection() shared.Section {
	return shared.Section{
		ID: "new-bucket", Kind: shared.SectionForm, Title: "New bucket",
		Form: &shared.Form{Action: ActionCreateBucket, Submit: "New bucket", Fields: []shared.Field{
			{Name: "name", Label: "Name", Type: shared.FieldText, Required: true, Placeholder: "photos",
				Help: "3–63 characters of lowercase letters, digits, dots and hyphens."},
			{Name: "visibility", Label: "Visibility", Type: shared.FieldSelect, Default: string(shared.Private), Options: []shared.Option{
				{Value: string(shared.Private), Label: "Private — clients must sign every request with an access key"},
				{Value: string(shared.Public), Label: "Public — anonymous s3:GetObject on every object", Warning: PublicWarning},
			}},
			{Name: "object_lock", Label: "Object lock (for backups)", Type: shared.FieldCheckbox, Help: ObjectLockHelp},
			{Name: "retention_mode", Label: "Default retention", Type: shared.FieldSelect, Default: "", Options: retentionOptions("No default retention"),
				Help: "With object lock: every new object version is locked for the days below."},
			{Name: "retention_days", Label: "Retention days", Type: shared.FieldNumber, Placeholder: "30",
				Help: "1 to 36,500 days (100 years)."},
		}},
	}
}

// policyCell says what a key may do, administrator keys first.
func policyCell(k shared.Key) shared.Cell {
	switch {
	case k.PolicyKind == shared.PolicyInherited:
		return shared.Cell{Text: "administrator", Hint: "the root user's full permissions: can administer the server"}
	case k.Admin:
		return shared.Cell{Text: "administrator", Hint: "custom policy that can administer the server"}
	case k.PolicyKind == shared.PolicyAllBuckets:
		return shared.Cell{Text: "all buckets", Hint: AllBucketsText}
	}
	return shared.Cell{Text: string(k.PolicyKind), Hint: "its own IAM policy"}
}

// revokeActions are a key's revoke buttons: revoke it, and for an
// administrator key that may have created keys outside this page, revoke
// it with them, naming each in the confirmation.
func revokeActions(k shared.Key) []shared.RowAction {
	who := k.AccessKey
	if k.Name != "" {
		who += " (" + k.Name + ")"
	}
	what := "key "
	if k.Admin {
		what = "administrator key "
	}
	if !k.Managed {
		what += "created outside this page "
	}
	acts := []shared.RowAction{{Action: ActionRevokeKey, Label: "Revoke", Danger: true,
		Input:   input(map[string]any{"access_key": k.AccessKey}),
		Confirm: "Revoke " + what + who + "? Whatever uses it loses access at once; other keys are untouched."}}
	if len(k.MayHaveCreated) > 0 {
		acts = append(acts, shared.RowAction{Action: ActionRevokeKey, Danger: true,
			Label: fmt.Sprintf("Revoke with %d key(s) it may have created", len(k.MayHaveCreated)),
			Input: input(map[string]any{"access_key": k.AccessKey, "also_revoke": k.MayHaveCreated}),
			Confirm: "Revoke " + what + who + " and the keys created outside this page since it was made, which it may have created: " +
				strings.Join(k.MayHaveCreated, ", ") + "? (MinIO records the root user as their parent, not the key that made them.) Whatever uses them loses access at once."})
	}
	return acts
}

func createKeySection(s State) shared.Section {
	bucket := "photos"
	if len(s.Buckets) > 0 {
		bucket = s.Buckets[0].Name
	}
	var templates []shared.Template
	for _, tpl := range keys.Templates {
		templates = append(templates, shared.Template{Label: tpl.Label + " (" + bucket + ")", Value: tpl.Policy(bucket)})
	}
	return shared.Section{
		ID: "create-key", Kind: shared.SectionForm, Title: "Create key",
		Description: "The secret is shown exactly once, right after you submit.",
		Form: &shared.Form{Action: ActionCreateKey, Submit: "Create key", Fields: []shared.Field{
			{Name: "name", Label: "Name", Type: shared.FieldText, Required: true, Placeholder: "backup-agent",
				Help: "A memorable name such as backup-agent, grafana-tempo or ci-pipeline: up to 32 letters, digits, - and _, starting with a letter."},
			{Name: "description", Label: "Description", Type: shared.FieldText, Placeholder: "optional"},
			{Name: "policy", Label: "Policy JSON", Type: shared.FieldTextarea, Help: PolicyHelp,
				Placeholder: `{"Version": "2012-10-17", "Statement": [...]}`, Templates: templates},
			{Name: "admin", Label: "Administrator key", Type: shared.FieldCheckbox, Help: AdminWarning},
			{Name: "expiry", Label: "Expiry", Type: shared.FieldDateTime,
				Help: "Optional, in UTC: between 15 minutes and 365 days from now. Empty never expires."},
		}},
	}
}

func connectSection(s State) shared.Section {
	ep := s.Endpoint.S3URL
	if s.Endpoint.PublicURL != "" {
		ep = s.Endpoint.PublicURL
	}
	return shared.Section{
		ID: "connect", Kind: shared.SectionNotice, Title: "Connecting an external tool",
		Notice: &shared.Notice{Level: shared.LevelInfo,
			Text: "Most S3 SDKs take four parameters: endpoint, region, access key and secret. For the AWS CLI and mc:",
			Code: ConnectLines(ep, "quazzar-XXXXXXXXXX", "<the secret you saved>")},
	}
}

// ConnectLines are the ready-to-paste AWS CLI and mc lines for a key.
func ConnectLines(endpoint, accessKey, secret string) string {
	return strings.Join([]string{
		"aws configure set aws_access_key_id " + accessKey,
		"aws configure set aws_secret_access_key '" + secret + "'",
		"aws --endpoint-url " + endpoint + " s3 ls",
		"",
		"mc alias set quazzar " + endpoint + " " + accessKey + " '" + secret + "'",
		"mc ls quazzar",
	}, "\n")
}

// SecretModal is shown once, right after a key is created.
func SecretModal(k shared.Key, secret string, e shared.Endpoint) *shared.Modal {
	ep := e.S3URL
	if e.PublicURL != "" {
		ep = e.PublicURL
	}
	return &shared.Modal{
		Title:   "Access key " + k.Name + " created",
		Text:    "Give these credentials to one app. The secret is shown here and nowhere else.",
		Warning: SecretWarning,
		Values: []shared.InfoItem{
			{Label: "Access key", Value: k.AccessKey, Copy: true},
			{Label: "Secret key", Value: secret, Copy: true},
			{Label: "Endpoint", Value: ep, Copy: true},
			{Label: "Region", Value: e.Region, Copy: true},
		},
		Blocks: []shared.CodeBlock{
			{Label: "AWS CLI", Text: strings.Join([]string{
				"aws configure set aws_access_key_id " + k.AccessKey,
				"aws configure set aws_secret_access_key '" + secret + "'",
				"aws configure set region " + e.Region,
				"aws --endpoint-url " + ep + " s3 ls",
			}, "\n")},
			{Label: "MinIO client (mc)", Text: "mc alias set quazzar " + ep + " " + k.AccessKey + " '" + secret + "'\nmc ls quazzar"},
		},
	}
}

func visibilityHint(v shared.Visibility) string {
	switch v {
	case shared.Public:
		return "anonymous GetObject"
	case shared.Custom:
		return "policy set outside Cloud OS"
	}
	return "signed requests only"
}

func usageCell(u shared.Usage, now time.Time) shared.Cell {
	if !u.Scanned {
		return shared.Cell{Text: "0 / —", Hint: "not scanned yet"}
	}
	hint := "scanned " + Ago(u.ScannedAt, now)
	if u.Versions > u.Objects {
		// MinIO's scanner counts versions but does not report the bytes of
		// noncurrent ones apart: the size includes them.
		hint += fmt.Sprintf("; %d versions of %d objects (the size counts every version)", u.Versions, u.Objects)
	}
	if u.DeleteMarkers > 0 {
		hint += fmt.Sprintf("; %d delete markers", u.DeleteMarkers)
	}
	return shared.Cell{Text: HumanBytes(u.Size) + " / " + fmt.Sprint(u.Objects), Hint: hint}
}

// Ago says how long ago t was, for "scanned 40 s ago".
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%d s ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// HumanBytes formats a size in binary units, as the panel does.
func HumanBytes(n uint64) string { return shared.HumanBytes(n) }

// Percent is n of total in whole percent.
func Percent(n, total uint64) int {
	if total == 0 {
		return 0
	}
	return int(float64(n) / float64(total) * 100)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// input is a row action's input as JSON.
func input(v map[string]any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("{}")
	}
	return b
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
