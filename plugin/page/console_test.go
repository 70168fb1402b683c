package page

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func consoleState() State {
	s := baseState()
	gib := uint64(1 << 30)
	s.Capacity = shared.Capacity{Level: shared.CapacityCritical, AsOf: now,
		Drives:   []shared.Drive{{Path: "/var/lib/quazzar/objects", Total: 100 * gib, Used: 93 * gib, Free: 7 * gib, State: "ok", Level: shared.CapacityCritical}},
		Forecast: &shared.Forecast{Text: "at the last 7 days' rate, the disk is full in about 23 days", FullInSeconds: 23 * 86400, WindowSeconds: 7 * 86400}}
	s.DriveHistory = map[string][]shared.Sample{"/var/lib/quazzar/objects": {{At: now.Add(-48 * time.Hour), Value: 80 * gib}, {At: now.Add(-time.Hour), Value: 92 * gib}}}
	scanned := func(size uint64) shared.Usage {
		return shared.Usage{Size: size, Objects: 3, Scanned: true, ScannedAt: now.Add(-time.Minute)}
	}
	s.Buckets = []shared.Bucket{
		{Name: "backups", Visibility: shared.Private, Usage: scanned(1 << 20), Quota: 1 << 20, Versioning: shared.VersioningOff, Lifecycle: []shared.LifecycleRule{},
			Forecast: &shared.Forecast{Text: "bucket backups is at its quota now", Reached: true}},
		{Name: "logs", Visibility: shared.Private, Usage: shared.Usage{Size: 5 << 20, Objects: 3, Versions: 9, DeleteMarkers: 1, Scanned: true, ScannedAt: now},
			Quota: 10 << 20, Versioning: shared.VersioningEnabled,
			Forecast: &shared.Forecast{Text: "at the last 2 hours' rate, bucket logs reaches its quota in about 6 days", FullInSeconds: 6 * 86400},
			Lifecycle: []shared.LifecycleRule{
				{ID: "quazzar-abcdefgh", Enabled: true, Prefix: "app/", ExpireDays: 30, Text: "Objects under app/ are deleted 30 days after upload."},
				{ID: "cli-rule", Enabled: true, ExpireDays: 7, Other: []string{"only objects tagged env=dev"}, Text: "All objects are deleted 7 days after upload. Only objects tagged env=dev."},
			},
			LifecycleXML: "<LifecycleConfiguration><Rule><ID>cli-rule</ID></Rule></LifecycleConfiguration>"},
		{Name: "vault", Visibility: shared.Private, Usage: scanned(0), Versioning: shared.VersioningEnabled, ObjectLock: true,
			Retention: &shared.Retention{Mode: shared.RetentionCompliance, Days: 365}, Lifecycle: []shared.LifecycleRule{}},
		{Name: "fresh", Visibility: shared.Public, Versioning: shared.VersioningSuspended, Lifecycle: []shared.LifecycleRule{}, Quota: 1 << 30},
	}
	s.BucketHistory = map[string][]shared.Sample{"backups": {{At: now.Add(-time.Hour), Value: 100}, {At: now.Add(-30 * time.Minute), Value: 900 << 10}}}
	return s
}

func row(t *testing.T, sec shared.Section, id string) shared.Row {
	t.Helper()
	for _, r := range sec.Table.Rows {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no row %q in section %s", id, sec.ID)
	return shared.Row{}
}

func actionLabels(r shared.Row) []string {
	var out []string
	for _, a := range r.Actions {
		out = append(out, a.Label)
	}
	return out
}

func TestConsole(t *testing.T) {
	p := build(t, consoleState())

	disk := section(t, p, "disk-warning-0")
	require.Equal(t, shared.LevelError, disk.Notice.Level)
	require.Equal(t, "The data drive is 93% full (7.0 GiB free of 100.0 GiB). "+DiskFullText, disk.Notice.Text)
	require.Contains(t, DiskFullText, "MinIO refuses every write (uploads, new versions) while reads keep working")
	full := section(t, p, "full-buckets")
	require.Equal(t, shared.LevelError, full.Notice.Level)
	require.Contains(t, full.Notice.Text, "Bucket backups is full: 1.0 MiB of its 1.0 MiB quota.")
	require.NotContains(t, full.Notice.Text, "logs")

	ep := section(t, p, "endpoint")
	require.Equal(t, "Web console", ep.Info.Items[1].Label)
	require.Equal(t, ConsoleHint, ep.Info.Items[1].Hint)
	require.Contains(t, ConsoleHint, "MinIO's object browser")

	t.Run("drives", func(t *testing.T) {
		r := row(t, section(t, p, "capacity"), "/var/lib/quazzar/objects")
		require.Equal(t, "93.0 GiB of 100.0 GiB (93%)", r.Cells["used"].Text)
		require.Equal(t, &shared.Meter{Value: 93 << 30, Max: 100 << 30, Level: shared.LevelError}, r.Cells["used"].Meter)
		require.Equal(t, "critical", r.Cells["level"].Text)
		require.Equal(t, "ok", r.Cells["state"].Text)
		ch := section(t, p, "disk-growth").Charts[0]
		require.Equal(t, "Data drive", ch.Title)
		require.Equal(t, "At the last 7 days' rate, the disk is full in about 23 days.", ch.Forecast)
		require.Equal(t, &shared.ChartLimit{Value: 100 << 30, Label: "size 100.0 GiB"}, ch.Limit)
		require.Len(t, ch.Series[0].Points, 3, "two samples and the figure of the last refresh")
		require.Equal(t, shared.LevelError, ch.Level)
	})

	t.Run("buckets", func(t *testing.T) {
		sec := section(t, p, "buckets")
		b := row(t, sec, "backups")
		require.Equal(t, "1.0 MiB / 1.0 MiB (100%)", b.Cells["quota"].Text)
		require.Equal(t, "full: uploads are refused", b.Cells["quota"].Hint)
		require.Equal(t, shared.LevelError, b.Cells["quota"].Meter.Level)
		require.Equal(t, "off", b.Cells["versioning"].Text)
		require.Equal(t, "none", b.Cells["lifecycle"].Text)
		require.Equal(t, []string{"Make public", "Enable versioning", "Remove quota", "Delete"}, actionLabels(b))
		require.JSONEq(t, `{"name":"backups","bytes":0}`, string(b.Actions[2].Input))
		require.Contains(t, b.Actions[1].Confirm, "S3 cannot turn versioning off again, only suspend it")

		l := row(t, sec, "logs")
		require.Equal(t, "5.0 MiB / 10.0 MiB (50%)", l.Cells["quota"].Text)
		require.Equal(t, "at the last 2 hours' rate, bucket logs reaches its quota in about 6 days", l.Cells["quota"].Hint)
		require.Equal(t, shared.LevelInfo, l.Cells["quota"].Meter.Level)
		require.Contains(t, l.Cells["usage"].Hint, "9 versions of 3 objects (the size counts every version); 1 delete markers")
		require.Equal(t, "2 rules", l.Cells["lifecycle"].Text)
		require.Equal(t, []string{"Make public", "Suspend versioning", "Remove quota", "Delete"}, actionLabels(l))
		require.JSONEq(t, `{"name":"logs","state":"suspended"}`, string(l.Actions[1].Input))
		require.Contains(t, l.Actions[1].Confirm, "S3 has no way to turn versioning off")

		v := row(t, sec, "vault")
		require.Equal(t, "compliance, 365 days", v.Cells["lock"].Text)
		require.Contains(t, v.Cells["lock"].Hint, "not even root")
		require.Equal(t, []string{"Make public", "Delete"}, actionLabels(v), "object lock keeps versioning on: no suspend button")

		f := row(t, sec, "fresh")
		require.Equal(t, "— / 1.0 GiB", f.Cells["quota"].Text)
		require.Equal(t, "suspended", f.Cells["versioning"].Text)
		require.Equal(t, "Enable versioning", f.Actions[1].Label)
	})

	t.Run("bucket charts, fullest first", func(t *testing.T) {
		charts := section(t, p, "bucket-growth").Charts
		require.Len(t, charts, 4)
		require.Equal(t, "Bucket backups", charts[0].Title)
		require.Equal(t, "Bucket logs", charts[1].Title)
		require.Equal(t, &shared.ChartLimit{Value: 1 << 20, Label: "quota 1.0 MiB"}, charts[0].Limit)
		require.Equal(t, "Bucket backups is at its quota now.", charts[0].Forecast)
		require.Len(t, charts[0].Series[0].Points, 3)
		require.Equal(t, "At the last 2 hours' rate, bucket logs reaches its quota in about 6 days.", charts[1].Forecast)
		require.Len(t, charts[1].Series[0].Points, 1, "no history yet: the current figure")
		require.Equal(t, "Bucket fresh", charts[2].Title, "a quota, however empty, comes before none")
		require.Empty(t, charts[2].Series[0].Points, "fresh: not scanned, no samples")
		require.Equal(t, NoHistoryText, charts[2].Empty)
	})

	t.Run("settings forms", func(t *testing.T) {
		q := section(t, p, "quota").Form
		require.Equal(t, ActionSetQuota, q.Action)
		require.Len(t, q.Fields[0].Options, 4)
		require.Equal(t, "bytes", q.Fields[1].Name)
		require.Contains(t, q.Fields[1].Help, "within about one scan cycle")

		lc := section(t, p, "lifecycle")
		r := row(t, lc, "logs/cli-rule")
		require.Equal(t, "set elsewhere", r.Cells["id"].Hint)
		require.JSONEq(t, `{"name":"logs","id":"cli-rule"}`, string(r.Actions[0].Input))
		require.Equal(t, "added on this page", row(t, lc, "logs/quazzar-abcdefgh").Cells["id"].Hint)

		add := section(t, p, "add-lifecycle-rule").Form
		var names []string
		for _, f := range add.Fields {
			names = append(names, f.Name+":"+string(f.Type))
		}
		require.Equal(t, []string{"name:select", "prefix:text", "expire_days:number", "noncurrent_days:number", "keep_newest:number", "abort_multipart_days:number"}, names)
		require.Contains(t, section(t, p, "lifecycle-raw").Notice.Code, "<!-- bucket logs -->\n<LifecycleConfiguration>")

		ret := section(t, p, "retention").Form
		require.Equal(t, []shared.Option{{Value: "vault", Label: "vault"}}, ret.Fields[0].Options, "only object-locked buckets")

		nb := section(t, p, "new-bucket").Form
		require.Equal(t, "object_lock", nb.Fields[2].Name)
		require.Contains(t, nb.Fields[2].Help, "only be turned on when a bucket is created")
		compliance := nb.Fields[3].Options[2]
		require.Equal(t, "compliance", compliance.Value)
		require.Contains(t, compliance.Confirm, "nobody, not even root, can delete these objects")
		require.Equal(t, shared.FieldNumber, nb.Fields[4].Type)
	})
}

func TestConsoleWarningLevelAndEmptyNode(t *testing.T) {
	s := baseState()
	s.Capacity = shared.Capacity{Drives: []shared.Drive{{Path: "/d", Total: 100, Used: 85, Free: 15, State: "ok"}}, AsOf: now}
	p := build(t, s)
	n := section(t, p, "disk-warning-0")
	require.Equal(t, shared.LevelWarning, n.Notice.Level)
	require.True(t, strings.HasPrefix(n.Notice.Text, "The data drive is 85% full (15 B free of 100 B). Plan for more space before it reaches 90%."), n.Notice.Text)
	for _, id := range []string{"quota", "lifecycle", "add-lifecycle-rule", "retention", "lifecycle-raw", "bucket-growth", "full-buckets"} {
		for _, sec := range p.Sections {
			require.NotEqual(t, id, sec.ID, "no %s section without buckets", id)
		}
	}
	require.Equal(t, NoHistoryText, section(t, p, "disk-growth").Charts[0].Empty)
	require.Len(t, section(t, p, "disk-growth").Charts[0].Series[0].Points, 1, "the last refresh's figure")

	s.Capacity.Drives[0].Used = 79
	for _, sec := range build(t, s).Sections {
		require.NotContains(t, sec.ID, "disk-warning", "below 80%% no warning")
	}
}

func TestChartBuckets(t *testing.T) {
	var bs []shared.Bucket
	for i := range 20 {
		bs = append(bs, shared.Bucket{Name: fmt.Sprintf("b%02d", i), Usage: shared.Usage{Size: uint64(i)}})
	}
	bs[3].Quota, bs[3].Usage.Size = 10, 5
	bs[7].Quota, bs[7].Usage.Size = 10, 9
	got := ChartBuckets(bs)
	require.Len(t, got, MaxBucketCharts)
	require.Equal(t, []string{"b07", "b03", "b19", "b18"}, got[:4], "closest to quota first, then the largest")
}
