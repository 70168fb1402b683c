package devhost_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/devhost"
	"github.com/quazzar/object-storage/internal/plugintest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/shared"
)

// baPlugin is a plugin these tests install (plugintest builds it).
type baPlugin struct{ id string }

var (
	baAddon       = baPlugin{id: addonID}
	baBackupAgent = baPlugin{id: "backup-agent"}
)

// baInstall installs p into root/<id> with a stamped manifest, with
// defaults replacing the template's setting defaults.
func baInstall(t *testing.T, root string, p baPlugin, defaults map[string]string) {
	t.Helper()
	plugintest.Dir(t, root, p.id, plugintest.Options{Defaults: defaults})
}

// baLog is the host's log, JSON lines, safe for concurrent writes. It is
// printed to the test log when the test fails.
type baLog struct{ testkit.Buffer }

// Entries are the log lines as JSON objects (lines that are not JSON are
// left out).
func (l *baLog) Entries() []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(l.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e map[string]any
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			out = append(out, e)
		}
	}
	return out
}

// baStart starts a development host on free loopback ports with a state
// folder of its own and the plugins under pluginsDir (adStart); the host
// and everything it started are stopped when the test ends.
func baStart(t *testing.T, pluginsDir string, edit func(*devhost.Config)) (*devhost.Server, *baLog) {
	t.Helper()
	h := adStart(t, pluginsDir, edit)
	return h.Server, h.logs
}

// baAddonClient is the add-on's client, as the host holds it.
func baAddonClient(t *testing.T, s *devhost.Server) *shared.PluginClient {
	t.Helper()
	p, ok := s.Addons.Plugin(addonID)
	require.True(t, ok, "the add-on is loaded")
	c, err := p.Client()
	require.NoError(t, err)
	return c
}

// baWaitRunning waits until the add-on's MinIO is running.
func baWaitRunning(t *testing.T, s *devhost.Server) shared.Status {
	t.Helper()
	c := baAddonClient(t, s)
	var st shared.Status
	var err error
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		st, err = c.Status(context.Background(), shared.StatusRequest{})
		if err == nil && st.State == shared.StateRunning {
			return st
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("MinIO not running after 90s: status %+v, error %v", st, err)
	return st
}

// baAgentDetail waits until the backup agent has finished its run (and its
// probes: at least lines lines in its Health detail) and returns that
// detail by line.
func baAgentDetail(t *testing.T, s *devhost.Server, lines int) []string {
	t.Helper()
	var last shared.HealthResponse
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		// It requires storage: the host starts it once the add-on is ready.
		p, ok := s.Addons.Plugin(baBackupAgent.id)
		if !ok {
			time.Sleep(200 * time.Millisecond)
			continue
		}
		c, err := p.Client()
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			last, err = c.Health(ctx, shared.HealthRequest{})
			cancel()
		}
		if err == nil {
			got := strings.Split(last.Detail, "\n")
			if !strings.HasPrefix(got[0], "backup running") && len(got) >= lines {
				return got
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the backup agent did not finish within 2 minutes; last health: %+v", last)
	return nil
}

// baLine returns the line that starts with prefix.
func baLine(t *testing.T, lines []string, prefix string) string {
	t.Helper()
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no line starting with %q in the backup agent's health: %q", prefix, lines)
	return ""
}

// baLogged returns the log entries with that message whose field key is
// value.
func baLogged(logs *baLog, message, key, value string) []map[string]any {
	var out []map[string]any
	for _, e := range logs.Entries() {
		if e["@message"] == message && e[key] == value {
			out = append(out, e)
		}
	}
	return out
}

func TestBackupAgentEndToEnd(t *testing.T) {
	t.Parallel()
	plugins := t.TempDir()
	baInstall(t, plugins, baAddon, nil)
	baInstall(t, plugins, baBackupAgent, map[string]string{"run_probes": "true"})
	var stateDir string
	s, logs := baStart(t, plugins, func(c *devhost.Config) { stateDir = c.StateDir })
	st := baWaitRunning(t, s)
	ctx := context.Background()

	lines := baAgentDetail(t, s, 7)
	p, _ := s.Addons.Plugin(baBackupAgent.id)
	c, err := p.Client()
	require.NoError(t, err)
	health, err := c.Health(ctx, shared.HealthRequest{})
	require.NoError(t, err)
	require.True(t, health.OK, "agent health: %s", health.Detail)

	// The backup went through the host end to end.
	backup := baLine(t, lines, "backup ")
	m := regexp.MustCompile(`^backup ok: backups/(backup-agent/\S+\.bin) 262144 bytes read back and verified; key (quazzar-[A-Za-z0-9]+) limited to bucket backups; endpoint http://(\S+)$`).FindStringSubmatch(backup)
	require.NotNil(t, m, "backup line: %s", backup)
	object, accessKey, endpoint := m[1], m[2], m[3]
	require.Equal(t, st.S3Address, endpoint, "the agent got the add-on's endpoint")

	// The bucket exists and is private, as the add-on sees it.
	addon := baAddonClient(t, s)
	buckets, err := addon.ListBuckets(ctx, shared.ListBucketsRequest{})
	require.NoError(t, err)
	var names []string
	for _, b := range buckets.Buckets {
		names = append(names, b.Name)
		if b.Name == "backups" {
			require.Equal(t, shared.Private, b.Visibility)
		}
	}
	require.Equal(t, []string{"backups"}, names, "the backups bucket, and no probe bucket left behind")

	// Private for real: an anonymous GET of the uploaded object is refused.
	resp, err := http.Get("http://" + endpoint + "/backups/" + object)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "anonymous GET of a backup")

	// The key it made is listed with its own policy on that bucket only.
	keys, err := addon.ListKeys(ctx, shared.ListKeysRequest{})
	require.NoError(t, err)
	require.Len(t, keys.Keys, 1)
	k := keys.Keys[0]
	require.Equal(t, accessKey, k.AccessKey)
	require.Equal(t, "backup-agent", k.Name)
	require.True(t, k.Managed)
	require.Equal(t, shared.PolicyCustom, k.PolicyKind)
	var policy struct {
		Statement []struct {
			Effect   string
			Resource []string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(k.Policy), &policy), "policy %s", k.Policy)
	require.Len(t, policy.Statement, 1)
	require.Equal(t, "Allow", policy.Statement[0].Effect)
	require.ElementsMatch(t, []string{"arn:aws:s3:::backups", "arn:aws:s3:::backups/*"}, policy.Statement[0].Resource)

	// The add-on saw every call as coming from backup-agent, attached by
	// the host.
	require.Len(t, baLogged(logs, "bucket created", "bucket", "backups"), 1, "bucket creation logged once")
	require.Equal(t, "backup-agent", baLogged(logs, "bucket created", "bucket", "backups")[0]["caller"])
	created := baLogged(logs, "access key created", "access_key", accessKey)
	require.Len(t, created, 1, "key creation logged once")
	require.Equal(t, "backup-agent", created[0]["caller"])

	// A call claiming the add-on's own identity is still seen as the
	// agent's.
	imp := baLine(t, lines, "probe impersonation: ")
	pm := regexp.MustCompile(`^probe impersonation: ok: bucket (ba-probe-[0-9a-f]{8}) created while claiming caller object-storage$`).FindStringSubmatch(imp)
	require.NotNil(t, pm, "impersonation probe: %s", imp)
	probe := baLogged(logs, "bucket created", "bucket", pm[1])
	require.Len(t, probe, 1, "probe bucket creation logged")
	require.Equal(t, "backup-agent", probe[0]["caller"], "the host replaced the claimed caller")
	for _, e := range logs.Entries() {
		require.NotEqual(t, "object-storage", e["caller"], "no call reached the add-on as caller object-storage: %v", e)
	}

	// Refusals, each with its typed code.
	cases := []struct{ prefix, want string }{
		{"probe not-loaded: ", `not_enabled: no plugin "no-such-plugin" is loaded on this node`},
		{"probe not-storage: ", `not_enabled: plugin "backup-agent" does not provide object storage`},
		{"probe host-only-method: ", "permission_denied: plugin backup-agent may not call Action on another plugin"},
		{"probe admin-key: ", "permission_denied: plugin backup-agent may not create an administrator key: only the node owner can, on the Object Storage page; ask for a key with an S3 policy instead"},
		{"probe admin-policy: ", "permission_denied: plugin backup-agent may not create a key that can administer the server: ask for a key with an S3 policy (or none, for S3 access to every bucket); only the node owner can make administrator keys, on the Object Storage page"},
	}
	for _, c := range cases {
		require.Equal(t, c.prefix+c.want, baLine(t, lines, c.prefix))
	}
	buckets, err = addon.ListBuckets(ctx, shared.ListBucketsRequest{})
	require.NoError(t, err)
	for _, b := range buckets.Buckets {
		require.NotEqual(t, "ba-forbidden", b.Name, "the host-only method did nothing")
	}

	// The key's secret is nowhere in the host's log or the agent's health.
	// MinIO keeps service-account secrets in clear in its IAM store under
	// the data folder: the test reads it from there.
	secret := baServiceAccountSecret(t, filepath.Join(stateDir, "objects"), accessKey)
	require.False(t, strings.Contains(logs.String(), secret), "the secret of key %s is in the host's log", accessKey)
	require.False(t, strings.Contains(health.Detail, secret), "the secret of key %s is in the agent's health", accessKey)
}

// baServiceAccountSecret reads a service account's secret from MinIO's IAM
// store under dataDir. With one drive and no KMS, MinIO keeps the record
// (identity.json, a small object) inline in the object's xl.meta, its JSON
// in clear.
func baServiceAccountSecret(t *testing.T, dataDir, accessKey string) string {
	t.Helper()
	path := filepath.Join(dataDir, ".minio.sys", "config", "iam", "service-accounts", accessKey, "identity.json", "xl.meta")
	raw, err := os.ReadFile(path)
	require.NoError(t, err, "MinIO's record of service account %s", accessKey)
	m := regexp.MustCompile(`"credentials":\{"accessKey":"` + regexp.QuoteMeta(accessKey) + `","secretKey":"([^"]+)"`).FindSubmatch(raw)
	require.NotNil(t, m, "no clear credentials for %s in %s (IAM store encrypted? MinIO's format changed?)", accessKey, path)
	require.GreaterOrEqual(t, len(m[1]), 8, "secret of %s", accessKey)
	return string(m[1])
}

// TestBackupAgentRunsAgain configures the agent a second time through the
// host: the bucket is kept, the previous key is revoked and a new one made.
func TestBackupAgentRunsAgain(t *testing.T) {
	t.Parallel()
	plugins := t.TempDir()
	baInstall(t, plugins, baAddon, nil)
	baInstall(t, plugins, baBackupAgent, nil)
	s, logs := baStart(t, plugins, nil)
	baWaitRunning(t, s)
	ctx := context.Background()

	keyOf := func(lines []string) string {
		m := regexp.MustCompile(`^backup ok: .* key (quazzar-[A-Za-z0-9]+) `).FindStringSubmatch(lines[0])
		require.NotNil(t, m, "backup line: %s", lines[0])
		return m[1]
	}
	lines := baAgentDetail(t, s, 1)
	require.Len(t, lines, 1, "no probes unless asked")
	first := keyOf(lines)

	p, _ := s.Addons.Plugin(baBackupAgent.id)
	_, err := p.Configure(ctx, shared.ConfigureRequest{Settings: map[string]string{"key_name": "backup-agent"}})
	require.NoError(t, err)
	// Configure marks the run as running before it returns, so this waits
	// for the second run.
	second := keyOf(baAgentDetail(t, s, 1))
	require.NotEqual(t, first, second, "a new key for the second run")

	keys, err := baAddonClient(t, s).ListKeys(ctx, shared.ListKeysRequest{})
	require.NoError(t, err)
	require.Len(t, keys.Keys, 1, "the previous key is revoked")
	require.Equal(t, second, keys.Keys[0].AccessKey)
	require.Len(t, baLogged(logs, "bucket created", "bucket", "backups"), 1, "the bucket is created once and then kept")

	// Settings the agent refuses are refused through the host, naming the
	// setting.
	bad := []struct{ key, value, want string }{
		{"bucket", " ", "bucket is empty"},
		{"run_on_configure", "sometimes", `run_on_configure "sometimes" is neither true nor false`},
	}
	for _, b := range bad {
		_, err := p.Configure(ctx, shared.ConfigureRequest{Settings: map[string]string{b.key: b.value}})
		require.ErrorIs(t, err, shared.ErrInvalidArgument, "%s=%q", b.key, b.value)
		require.ErrorContains(t, err, b.want)
		require.Equal(t, b.key, shared.AsError(err).Field)
	}
}
