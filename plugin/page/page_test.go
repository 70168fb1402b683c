package page

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/panel"
	"github.com/quazzar/object-storage/shared"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func baseState() State {
	return State{
		Status:   shared.Status{State: shared.StateRunning, S3Address: "127.0.0.1:9000", ConsoleAddress: "127.0.0.1:9001"},
		Endpoint: shared.Endpoint{S3URL: "http://127.0.0.1:9000", ConsoleURL: "http://127.0.0.1:9001", Region: "us-east-1"},
		Now:      now,
	}
}

// build builds the page and checks that the host's panel can render it.
func build(t *testing.T, s State) shared.Page {
	t.Helper()
	p := Build(s)
	require.NoError(t, panel.Validate(p), "the panel cannot render the page")
	return p
}

func section(t *testing.T, p shared.Page, id string) shared.Section {
	t.Helper()
	for _, s := range p.Sections {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no section %q in page", id)
	return shared.Section{}
}

func TestEmptyNode(t *testing.T) {
	p := build(t, baseState())
	require.Equal(t, shared.SchemaVersion, p.SchemaVersion)
	require.Equal(t, "/storage/objects", p.Route)
	require.Equal(t, 30, p.RefreshSeconds)
	require.Nil(t, p.Banner, "a running server has no banner")

	ep := section(t, p, "endpoint")
	require.Equal(t, "Endpoint", ep.Title)
	require.Equal(t, "http://127.0.0.1:9000", ep.Info.Items[0].Value)
	require.True(t, ep.Info.Items[0].Copy)
	require.Equal(t, "http://127.0.0.1:9001", ep.Info.Items[1].Value)
	require.Equal(t, "us-east-1", ep.Info.Items[2].Value)
	require.Equal(t, "expose", ep.Info.Form.Action)
	require.Len(t, ep.Info.Items, 3, "no exposure yet")

	b := section(t, p, "buckets")
	require.Empty(t, b.Table.Rows)
	require.NotEmpty(t, b.Table.Empty)
	nb := section(t, p, "new-bucket")
	require.Equal(t, "create_bucket", nb.Form.Action)
	require.Equal(t, PublicWarning, nb.Form.Fields[1].Options[1].Warning)
	ck := section(t, p, "create-key")
	require.Equal(t, "create_key", ck.Form.Action)
	require.Len(t, ck.Form.Fields[2].Templates, 3)
	require.Contains(t, ck.Form.Fields[2].Templates[0].Value, "arn:aws:s3:::photos/*")
	require.Equal(t, PolicyHelp, ck.Form.Fields[2].Help)
	require.Equal(t, "admin", ck.Form.Fields[3].Name)
	require.Equal(t, shared.FieldCheckbox, ck.Form.Fields[3].Type)
	require.Equal(t, AdminWarning, ck.Form.Fields[3].Help)
	require.Empty(t, section(t, p, "keys").Table.Rows)
}

func TestNodeWithData(t *testing.T) {
	s := baseState()
	s.Endpoint.Domain = "s3.example.com"
	s.Endpoint.PublicURL = "https://s3.example.com"
	s.Buckets = []shared.Bucket{
		{Name: "cdn", Visibility: shared.Public, Usage: shared.Usage{Size: 1 << 20, Objects: 3, Scanned: true, ScannedAt: now.Add(-40 * time.Second)}},
		{Name: "fresh", Visibility: shared.Private},
		{Name: "odd", Visibility: shared.Custom},
	}
	s.Keys = []shared.Key{
		{Name: "backup-agent", AccessKey: "quazzar-ABCDEFGHIJ", PolicyKind: shared.PolicyCustom, Status: "on", Managed: true, CreatedAt: now},
		{Name: "", AccessKey: "someoneelse", PolicyKind: shared.PolicyInherited, Admin: true, Status: "on", FirstSeen: now,
			MayHaveCreated: []string{"minted1"}},
		{Name: "all", AccessKey: "quazzar-KLMNOPQRST", PolicyKind: shared.PolicyAllBuckets, Status: "on", Managed: true, CreatedAt: now},
	}
	p := build(t, s)
	rows := section(t, p, "buckets").Table.Rows
	require.Len(t, rows, 3)
	require.Equal(t, "1.0 MiB / 3", rows[0].Cells["usage"].Text)
	require.Equal(t, "scanned 40 s ago", rows[0].Cells["usage"].Hint)
	require.Equal(t, "0 / —", rows[1].Cells["usage"].Text)
	require.Equal(t, "not scanned yet", rows[1].Cells["usage"].Hint)
	del := rows[1].Actions[len(rows[1].Actions)-1]
	require.Equal(t, "delete_bucket", del.Action)
	require.NotEmpty(t, del.Confirm)
	require.True(t, del.Danger)
	require.JSONEq(t, `{"name":"fresh","force":false}`, string(del.Input))
	require.JSONEq(t, `{"name":"odd","visibility":"private","overwrite_custom":true}`, string(rows[2].Actions[0].Input))

	ep := section(t, p, "endpoint")
	var labels []string
	for _, it := range ep.Info.Items {
		labels = append(labels, it.Label+"="+it.Value)
	}
	require.Contains(t, labels, "Public endpoint=https://s3.example.com")
	require.Contains(t, labels, "Public URL of cdn=https://s3.example.com/cdn/<key>")
	require.Equal(t, "unexpose", section(t, p, "unexpose").Form.Action)

	krows := section(t, p, "keys").Table.Rows
	require.Equal(t, "revoke_key", krows[0].Actions[0].Action)
	require.NotEmpty(t, krows[0].Actions[0].Confirm)
	require.Equal(t, "custom", krows[0].Cells["policy"].Text)
	// A key made elsewhere is revocable after a confirmation naming it;
	// an administrator key that may have made keys offers to revoke them.
	require.Equal(t, "created outside this page", krows[1].Cells["created"].Text)
	require.Equal(t, "administrator", krows[1].Cells["policy"].Text)
	require.Equal(t, []string{"revoke_key", "revoke_key"}, []string{krows[1].Actions[0].Action, krows[1].Actions[1].Action})
	require.Contains(t, krows[1].Actions[0].Confirm, "someoneelse")
	require.Contains(t, krows[1].Actions[0].Confirm, "created outside this page")
	require.JSONEq(t, `{"access_key":"someoneelse","also_revoke":["minted1"]}`, string(krows[1].Actions[1].Input))
	require.Contains(t, krows[1].Actions[1].Confirm, "minted1")
	require.Equal(t, "all buckets", krows[2].Cells["policy"].Text)
	require.Equal(t, AllBucketsText, krows[2].Cells["policy"].Hint)
	require.Contains(t, section(t, p, "create-key").Form.Fields[2].Templates[0].Value, "arn:aws:s3:::cdn")
}

func TestBanners(t *testing.T) {
	s := baseState()
	s.Status = shared.Status{State: shared.StateNotInstalled, InstallCommand: "go install github.com/minio/minio@v1"}
	p := build(t, s)
	require.Equal(t, shared.LevelError, p.Banner.Level)
	require.Contains(t, p.Banner.Text, "not installed")
	require.Equal(t, "go install github.com/minio/minio@v1", p.Banner.Code)

	s.Status = shared.Status{State: shared.StateFailed, LastError: "127.0.0.1:9000 is in use by another process"}
	p = Build(s)
	require.Equal(t, "MinIO failed: 127.0.0.1:9000 is in use by another process", p.Banner.Text)

	s.Status = shared.Status{State: shared.StateStarting}
	require.Contains(t, build(t, s).Banner.Text, "starting")
}

func TestSecretModal(t *testing.T) {
	e := shared.Endpoint{S3URL: "http://127.0.0.1:9000", Region: "us-east-1"}
	m := SecretModal(shared.Key{Name: "ci", AccessKey: "quazzar-ABCDEFGHIJ"}, "sekrit", e)
	require.Contains(t, m.Warning, "Copy it now — there is no way to retrieve it later")
	require.Equal(t, "sekrit", m.Values[1].Value)
	require.Contains(t, m.Blocks[0].Text, "aws configure set aws_secret_access_key 'sekrit'")
	require.Contains(t, m.Blocks[1].Text, "mc alias set quazzar http://127.0.0.1:9000 quazzar-ABCDEFGHIJ 'sekrit'")
	// The schema must never carry a secret: the page built from state has none.
	b, _ := json.Marshal(Build(baseState()))
	require.NotContains(t, string(b), "sekrit")
}

func TestHumanBytesAndAgo(t *testing.T) {
	require.Equal(t, "0 B", HumanBytes(0))
	require.Equal(t, "1.0 KiB", HumanBytes(1024))
	require.Equal(t, "1.5 MiB", HumanBytes(3<<19))
	require.Equal(t, "40 s ago", Ago(now.Add(-40*time.Second), now))
	require.Equal(t, "3 min ago", Ago(now.Add(-3*time.Minute), now))
}

// TestInputIsJSONMarshal: a row action's input is byte for byte what
// encoding/json makes of it, escapes and key order included.
func TestInputIsJSONMarshal(t *testing.T) {
	t.Parallel()
	for _, v := range []map[string]any{
		{},
		{"name": "photos", "visibility": shared.Public, "force": false},
		{"access_key": "quazzar-ABCDEFGHIJ", "enabled": true, "overlap": "24h"},
		{"name": `a"b\c<d>&e`, "n": 42, "neg": -7, "u": "été\u2028", "ctl": "\x01\t\n"},
		{"list": []string{"a", "b"}, "nil": nil, "f": 1.5, "u64": uint64(9)},
	} {
		want, err := json.Marshal(v)
		require.NoError(t, err)
		require.Equal(t, string(want), string(input(v)))
	}
}
