package addon

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/page"
	"github.com/quazzar/object-storage/shared"
)

func act(t *testing.T, a *Addon, action string, input any) shared.ActionResult {
	t.Helper()
	raw, ok := input.(string)
	if !ok {
		b, err := json.Marshal(input)
		require.NoError(t, err)
		raw = string(b)
	}
	res, err := a.Action(context.Background(), shared.ActionRequest{Action: action, Input: json.RawMessage(raw)})
	require.NoError(t, err, "actions answer failures as results")
	return res
}

// badInput is an action's input that is refused: the field at fault
// (empty for none) and words of the message.
type badInput struct {
	action string
	input  any
	field  string
	want   string
}

// requireRefused sends each bad input: each fails with a code, the field
// at fault and a message saying it, and answers no secret or token.
func requireRefused(t *testing.T, a *Addon, cases []badInput) {
	t.Helper()
	for _, c := range cases {
		res := act(t, a, c.action, c.input)
		require.False(t, res.OK, "%s %v", c.action, c.input)
		require.Contains(t, res.Message, c.want, "%s %v", c.action, c.input)
		require.NotEmpty(t, res.Code)
		if c.field != "" {
			require.Contains(t, res.FieldErrors, c.field, "%s %v: %s", c.action, c.input, res.Message)
		}
		require.Empty(t, res.SecretKey)
		require.Empty(t, res.Token)
	}
}

// TestActionsBadInput sends each action its bad inputs: each gets a clear
// message bound to its field, and nothing changes.
func TestActionsBadInput(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	a := f.a
	ok := act(t, a, "create_bucket", map[string]any{"name": "photos", "visibility": "private"})
	require.True(t, ok.OK, ok.Message)
	require.True(t, ok.Refresh)
	ok = act(t, a, "create_key", map[string]any{"name": "existing"})
	require.True(t, ok.OK, ok.Message)

	long := strings.Repeat("x", 64)
	cases := []badInput{
		{"create_bucket", map[string]any{"name": "", "visibility": "private"}, "name", "required"},
		{"create_bucket", map[string]any{"name": "ab", "visibility": "private"}, "name", "too short"},
		{"create_bucket", map[string]any{"name": long, "visibility": "private"}, "name", "too long"},
		{"create_bucket", map[string]any{"name": "Photos2", "visibility": "private"}, "name", "uppercase"},
		{"create_bucket", map[string]any{"name": "a_b", "visibility": "private"}, "name", "character"},
		{"create_bucket", map[string]any{"name": "-ab", "visibility": "private"}, "name", "start and end"},
		{"create_bucket", map[string]any{"name": "a..b", "visibility": "private"}, "name", "two dots"},
		{"create_bucket", map[string]any{"name": "10.1.2.3", "visibility": "private"}, "name", "IP address"},
		{"create_bucket", map[string]any{"name": "xn--abc", "visibility": "private"}, "name", "xn--"},
		{"create_bucket", map[string]any{"name": "abc-s3alias", "visibility": "private"}, "name", "-s3alias"},
		{"create_bucket", map[string]any{"name": "abc--ol-s3", "visibility": "private"}, "name", "--ol-s3"},
		{"create_bucket", map[string]any{"name": "photos", "visibility": "private"}, "name", "already exists"},
		{"create_bucket", map[string]any{"name": "newone", "visibility": "open"}, "visibility", "private or public"},
		{"create_bucket", map[string]any{"name": "newone"}, "visibility", "required"},
		{"create_bucket", map[string]any{"name": 42, "visibility": "private"}, "name", "must be a string"},
		{"create_bucket", `[1,2]`, "", "JSON object"},
		{"create_bucket", map[string]any{"name": "newone", "visibility": "private", "extra": 1}, "", "unknown input field"},
		{"set_visibility", map[string]any{"name": "photos", "visibility": "secret"}, "visibility", "private or public"},
		{"set_visibility", map[string]any{"name": "nope-missing", "visibility": "public"}, "", "does not exist"},
		{"delete_bucket", map[string]any{"name": "BAD"}, "name", "uppercase"},
		{"delete_bucket", map[string]any{"name": "missing-bucket"}, "", "does not exist"},
		{"delete_bucket", map[string]any{"name": "photos", "force": "yes"}, "force", "true or false"},
		{"create_key", map[string]any{"name": ""}, "name", "required"},
		{"create_key", map[string]any{"name": strings.Repeat("k", 33)}, "name", "too long"},
		{"create_key", map[string]any{"name": "my key"}, "name", "character ' '"},
		{"create_key", map[string]any{"name": "existing"}, "name", "already exists"},
		{"create_key", map[string]any{"name": "k1", "policy": "{not json"}, "policy", "not valid JSON"},
		{"create_key", map[string]any{"name": "k1", "policy": `{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::p/*"]}]}`}, "policy", "Version"},
		{"create_key", map[string]any{"name": "k1", "policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Sometimes","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::p/*"]}]}`}, "policy", "Effect"},
		{"create_key", map[string]any{"name": "k1", "policy": keys.ReadOnlyPolicy(strings.Repeat("p", 4000))}, "policy", "4096"},
		{"create_key", map[string]any{"name": "k1", "expiry": "10m"}, "expiry", "15 minutes"},
		{"create_key", map[string]any{"name": "k1", "expiry": "400d"}, "expiry", "365 days"},
		{"create_key", map[string]any{"name": "k1", "expiry": "someday"}, "expiry", "not a date"},
		{"revoke_key", map[string]any{"access_key": ""}, "access_key", "required"},
		{"revoke_key", map[string]any{"access_key": "quazzar-ZZZZZZZZZZ"}, "access_key", "there is no key"},
		{"expose", map[string]any{"domain": "s3.example.com"}, "", shared.ReverseProxyNotEnabled},
		{"expose", map[string]any{"domain": ""}, "domain", "required"},
		{"unexpose", map[string]any{}, "", shared.ReverseProxyNotEnabled},
		{"launch_rockets", map[string]any{}, "", "unknown action"},
	}
	requireRefused(t, a, cases)
	// Nothing changed: one bucket, one key.
	bs, err := a.ListBuckets(context.Background(), shared.ListBucketsRequest{})
	require.NoError(t, err)
	require.Len(t, bs.Buckets, 1)
	ks, err := a.ListKeys(context.Background(), shared.ListKeysRequest{})
	require.NoError(t, err)
	require.Len(t, ks.Keys, 1)
	ep, _ := a.Endpoint(context.Background(), shared.EndpointRequest{})
	require.Empty(t, ep.Domain, "nothing stored by a failed expose")
}

func TestActionsGoodInput(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	a := f.a
	r := act(t, a, "create_bucket", map[string]any{"name": "cdn", "visibility": "public"})
	require.True(t, r.OK, r.Message)
	require.Equal(t, "Bucket cdn created (public).", r.Message)
	r = act(t, a, "set_visibility", map[string]any{"name": "cdn", "visibility": "private"})
	require.True(t, r.OK, r.Message)
	_, err := f.rootClient(t).PutObject(context.Background(), "cdn", "a", strings.NewReader("x"), 1, minio.PutObjectOptions{})
	require.NoError(t, err)
	r = act(t, a, "delete_bucket", map[string]any{"name": "cdn"})
	require.False(t, r.OK)
	require.Equal(t, "bucket cdn is not empty: empty it first via the console, the S3 API, or `mc rb --force`", r.Message)
	r = act(t, a, "delete_bucket", map[string]any{"name": "cdn", "force": true})
	require.True(t, r.OK, r.Message)
	require.Contains(t, r.Message, "1 objects removed")

	exp := time.Now().Add(72 * time.Hour).UTC().Format("2006-01-02T15:04")
	r = act(t, a, "create_key", map[string]any{"name": "ci-pipeline", "description": "CI", "policy": keys.ReadWritePolicy("cdn"), "expiry": exp})
	require.True(t, r.OK, r.Message)
	require.True(t, keys.IsManaged(r.AccessKey))
	require.Len(t, r.SecretKey, 40)
	require.NotNil(t, r.Modal)
	require.Contains(t, r.Modal.Warning, "Copy it now — there is no way to retrieve it later")
	r2 := act(t, a, "revoke_key", map[string]any{"access_key": r.AccessKey})
	require.True(t, r2.OK, r2.Message)
}

// TestActionTableMatchesPage: every action the page can send is in the
// dispatch table, and every table entry is reachable from the page.
func TestActionTableMatchesPage(t *testing.T) {
	st := page.State{
		Status:   shared.Status{State: shared.StateRunning},
		Endpoint: shared.Endpoint{S3URL: "http://127.0.0.1:9000", Domain: "s3.example.com", PublicURL: "https://s3.example.com"},
		Buckets: []shared.Bucket{
			{Name: "a", Visibility: shared.Private, Quota: 1 << 20, Lifecycle: []shared.LifecycleRule{{ID: "r1", Text: "x"}},
				Replication: &shared.Replication{Target: "https://s3.friend.example/a-copy", State: shared.ReplicationHealthy}},
			{Name: "b", Visibility: shared.Public, ObjectLock: true, Versioning: shared.VersioningEnabled},
			{Name: "c", Visibility: shared.Custom},
		},
		Keys:        []shared.Key{{Name: "k", AccessKey: "quazzar-ABCDEFGHIJ", Managed: true, Status: shared.KeyOn}},
		PendingPool: []string{"/mnt/e1", "/mnt/e2", "/mnt/e3", "/mnt/e4"}, PendingPoolText: "Add 4 drives as pool 2.",
	}
	used := map[string]bool{}
	p := page.Build(st)
	for _, s := range p.Sections {
		if s.Form != nil {
			used[s.Form.Action] = true
		}
		if s.Info != nil && s.Info.Form != nil {
			used[s.Info.Form.Action] = true
		}
		if s.Table != nil {
			for _, r := range s.Table.Rows {
				for _, a := range r.Actions {
					used[a.Action] = true
				}
			}
		}
	}
	names := ActionNames()
	for a := range used {
		require.Contains(t, names, a, "the page sends %s, which the add-on does not dispatch", a)
	}
	for _, n := range names {
		require.True(t, used[n], "action %s is dispatched but no part of the page sends it", n)
	}
	res, err := New(nil).Action(context.Background(), shared.ActionRequest{Action: "nope"})
	require.NoError(t, err)
	require.False(t, res.OK)
	require.Equal(t, "unknown action \"nope\": the actions are "+strings.Join(names, ", "), res.Message)
}
