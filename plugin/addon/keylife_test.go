package addon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/keys"
	"github.com/quazzar/object-storage/plugin/page"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// awsAs runs Debian's AWS CLI against the add-on's MinIO with a key, in a
// clean environment (this machine sets AWS_CA_BUNDLE and others), and
// returns its output and error.
func awsAs(t *testing.T, f *fixture, ak, sk string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsCLI(t), append([]string{"--endpoint-url", "http://" + f.settings[settings.KeyS3Address], "--region", "us-east-1"}, args...)...)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_ACCESS_KEY_ID=" + ak, "AWS_SECRET_ACCESS_KEY=" + sk, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// lastUsedCell is the key's "last used" cell on the page.
func lastUsedCell(t *testing.T, f *fixture, ak string) shared.Cell {
	t.Helper()
	p, err := f.a.Page(context.Background(), shared.PageRequest{})
	require.NoError(t, err)
	for _, s := range p.Sections {
		if s.ID == "keys" {
			for _, r := range s.Table.Rows {
				if r.ID == ak {
					return r.Cells["last_used"]
				}
			}
		}
	}
	t.Fatalf("no row for key %s on the page", ak)
	return shared.Cell{}
}

func TestKeyLastUseDisableEnable(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	list, err := f.a.ListKeys(ctx, shared.ListKeysRequest{})
	require.NoError(t, err)
	require.True(t, list.Tracking, "MinIO took the audit webhook: %s", list.TrackingProblem)
	_, err = f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "photos", Visibility: shared.Private})
	require.NoError(t, err)
	used, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "app"})
	require.NoError(t, err)
	idle, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "idle"})
	require.NoError(t, err)
	require.Equal(t, page.NeverUsed, lastUsedCell(t, f, used.Key.AccessKey).Text)

	local := filepath.Join(t.TempDir(), "hello.txt")
	require.NoError(t, os.WriteFile(local, []byte("hello"), 0o600))
	began := time.Now()
	out, err := awsAs(t, f, used.Key.AccessKey, used.SecretKey, "s3", "cp", local, "s3://photos/hello.txt")
	require.NoError(t, err, out)
	done := time.Now()
	var seen time.Duration
	var seenAt time.Time
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		cell := lastUsedCell(t, f, used.Key.AccessKey)
		seenAt = time.Now()
		assert.True(c, strings.HasPrefix(cell.Text, "last used just now (PutObject from 127.0.0.1)"), cell.Text)
		seen = time.Since(done)
	}, 60*time.Second, 50*time.Millisecond)
	k := keyNamed(t, f, used.Key.AccessKey)
	t.Logf("\"last used\" on the page %s after MinIO answered the PUT (its audit entry's time), %s after the AWS CLI exited, %s after it started (the issue asks for within 5 s)",
		seenAt.Sub(k.LastUsed).Round(10*time.Millisecond), seen.Round(10*time.Millisecond), (seen + done.Sub(began)).Round(10*time.Millisecond))
	require.Equal(t, "PutObject", k.LastOperation)
	require.Equal(t, "127.0.0.1", k.LastSource)
	require.EqualValues(t, 1, k.Requests24h)
	require.Zero(t, k.Errors24h)
	lastUse := k.LastUsed
	require.Equal(t, page.NeverUsed, lastUsedCell(t, f, idle.Key.AccessKey).Text, "an unused key says never used")

	// Disable: the next request is refused, and counted as an error, not
	// as a use.
	off, err := f.a.SetKeyStatus(ctx, shared.SetKeyStatusRequest{AccessKey: used.Key.AccessKey, Enabled: false})
	require.NoError(t, err)
	require.Equal(t, shared.KeyOff, off.Status)
	out, err = awsAs(t, f, used.Key.AccessKey, used.SecretKey, "s3", "ls", "s3://photos")
	require.Error(t, err, "a disabled key is refused: %s", out)
	require.Contains(t, out, "Your account is disabled", "MinIO answers 403 InvalidAccessKeyId")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		k := keyNamed(t, f, used.Key.AccessKey)
		assert.EqualValues(c, 1, k.Errors24h, "the refusal is counted")
		assert.Equal(c, lastUse, k.LastUsed, "the refusal is not a use")
		assert.EqualValues(c, 1, k.Requests24h)
	}, 60*time.Second, 100*time.Millisecond)
	require.Equal(t, shared.KeyOff, keyNamed(t, f, used.Key.AccessKey).Status)
	require.Equal(t, shared.PolicyAllBuckets, keyNamed(t, f, used.Key.AccessKey).PolicyKind, "the policy survived the status change")

	// Enable: the same secret works again, with its policy.
	_, err = f.a.SetKeyStatus(ctx, shared.SetKeyStatusRequest{AccessKey: used.Key.AccessKey, Enabled: true})
	require.NoError(t, err)
	out, err = awsAs(t, f, used.Key.AccessKey, used.SecretKey, "s3", "ls", "s3://photos")
	require.NoError(t, err, out)
	require.Contains(t, out, "hello.txt")
	out, err = mcAs(t, f, used.Key.AccessKey, used.SecretKey, "admin", "info", "node")
	require.Error(t, err, "still no admin API after enabling: %s", out)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, "ListObjectsV2", keyNamed(t, f, used.Key.AccessKey).LastOperation)
	}, 60*time.Second, 100*time.Millisecond)
}

func TestKeyEditPolicyToReadOnly(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	_, err := f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "photos", Visibility: shared.Private})
	require.NoError(t, err)
	k, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "app", Description: "first"})
	require.NoError(t, err)
	local := filepath.Join(t.TempDir(), "a.txt")
	require.NoError(t, os.WriteFile(local, []byte("a"), 0o600))
	out, err := awsAs(t, f, k.Key.AccessKey, k.SecretKey, "s3", "cp", local, "s3://photos/a.txt")
	require.NoError(t, err, "full access writes: %s", out)

	// The page's action: policy from full access to read-only, description.
	r := act(t, f.a, page.ActionUpdateKey, map[string]any{"access_key": k.Key.AccessKey, "policy": keys.ReadOnlyPolicy("photos"), "description": "read only now", "expiry": ""})
	require.True(t, r.OK, r.Message)
	require.Contains(t, r.Message, "policy, description changed; its secret is unchanged")
	require.Empty(t, r.SecretKey, "an edit never shows a secret")
	out, err = awsAs(t, f, k.Key.AccessKey, k.SecretKey, "s3", "cp", local, "s3://photos/b.txt")
	require.Error(t, err, "PUT refused right after the edit: %s", out)
	require.Contains(t, out, "AccessDenied")
	out, err = awsAs(t, f, k.Key.AccessKey, k.SecretKey, "s3", "cp", "s3://photos/a.txt", filepath.Join(t.TempDir(), "back.txt"))
	require.NoError(t, err, "GET works with the same secret: %s", out)
	got := keyNamed(t, f, k.Key.AccessKey)
	require.Equal(t, shared.PolicyCustom, got.PolicyKind)
	require.JSONEq(t, keys.ReadOnlyPolicy("photos"), got.Policy)
	require.Equal(t, "read only now", got.Description)

	// Expiry: set, then never; the policy stays (MinIO would drop it from
	// an update without one).
	r = act(t, f.a, page.ActionUpdateKey, map[string]any{"access_key": k.Key.AccessKey, "expiry": "30d"})
	require.True(t, r.OK, r.Message)
	exp := keyNamed(t, f, k.Key.AccessKey).Expiry
	require.WithinDuration(t, time.Now().Add(30*24*time.Hour), exp, time.Hour)
	require.NoError(t, f.mustRefreshKeys(ctx))
	require.True(t, keyNamed(t, f, k.Key.AccessKey).Expiry.Equal(exp), "MinIO has the expiry")
	r = act(t, f.a, page.ActionUpdateKey, map[string]any{"access_key": k.Key.AccessKey, "expiry": "never"})
	require.True(t, r.OK, r.Message)
	require.NoError(t, f.mustRefreshKeys(ctx))
	got = keyNamed(t, f, k.Key.AccessKey)
	require.True(t, got.Expiry.IsZero(), "MinIO removed the expiry: %s", got.Expiry)
	require.JSONEq(t, keys.ReadOnlyPolicy("photos"), got.Policy, "the policy survived the expiry changes")
	out, err = awsAs(t, f, k.Key.AccessKey, k.SecretKey, "s3", "cp", local, "s3://photos/c.txt")
	require.Error(t, err, "still read-only: %s", out)
}

func TestKeyRotationSurvivesRestart(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	_, err := f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "photos", Visibility: shared.Private})
	require.NoError(t, err)
	policy := keys.ReadWritePolicy("photos")
	old, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "app", Description: "the app", Policy: policy})
	require.NoError(t, err)
	works := func(c *minio.Client) error {
		_, err := c.PutObject(ctx, "photos", "x", bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{})
		return err
	}

	// Through the page's action: a modal with the new secret.
	r := act(t, f.a, page.ActionRotateKey, map[string]any{"access_key": old.Key.AccessKey, "overlap": "15s"})
	require.True(t, r.OK, r.Message)
	require.NotEmpty(t, r.SecretKey)
	require.NotEqual(t, old.Key.AccessKey, r.AccessKey)
	require.NotNil(t, r.Modal)
	nu := keyNamed(t, f, r.AccessKey)
	require.Equal(t, "app", nu.Name)
	require.Equal(t, "the app", nu.Description)
	require.JSONEq(t, policy, nu.Policy)
	require.Equal(t, shared.KeyRotating, nu.Status)
	require.Equal(t, shared.RotationNew, nu.Rotation.Role)
	o := keyNamed(t, f, old.Key.AccessKey)
	require.Equal(t, shared.KeyRotating, o.Status)
	require.Equal(t, r.AccessKey, o.Rotation.Peer)
	// Both work during the overlap.
	require.NoError(t, works(f.keyClient(t, old.Key.AccessKey, old.SecretKey)))
	require.NoError(t, works(f.keyClient(t, r.AccessKey, r.SecretKey)))
	again := act(t, f.a, page.ActionRotateKey, map[string]any{"access_key": r.AccessKey})
	require.False(t, again.OK)
	require.Equal(t, shared.CodeConflict, again.Code, again.Message)
	// After the deadline the old one is refused, the new one works.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Error(c, works(f.keyClient(t, old.Key.AccessKey, old.SecretKey)))
	}, 90*time.Second, 500*time.Millisecond)
	require.NoError(t, works(f.keyClient(t, r.AccessKey, r.SecretKey)))
	require.Equal(t, shared.KeyOn, keyNamed(t, f, r.AccessKey).Status, "no longer rotating")

	// A rotation whose deadline passes while the add-on is away: the next
	// add-on process revokes the old key when it comes back.
	second, err := f.a.RotateKey(ctx, shared.RotateKeyRequest{AccessKey: r.AccessKey, OverlapSeconds: 30})
	require.NoError(t, err)
	minioPID := f.a.conn.sup.Status().PID
	t.Cleanup(func() { killIfMinIO(minioPID) }) // should the test stop before the next add-on adopts it
	_, err = f.a.Shutdown(ctx, shared.ShutdownRequest{StopServices: false})
	require.NoError(t, err)
	require.True(t, time.Now().Before(second.Old.Rotation.Deadline), "the add-on stopped within the overlap (busy machine? the overlap is 30 s)")
	time.Sleep(time.Until(second.Old.Rotation.Deadline) + time.Second) // past the deadline, add-on away
	require.NoError(t, works(f.keyClient(t, r.AccessKey, r.SecretKey)), "nothing revokes it while the add-on is away")
	logs := &testkit.Buffer{}
	next := New(hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug}))
	_, err = next.Configure(ctx, shared.ConfigureRequest{Settings: f.settings})
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = next.Shutdown(context.Background(), shared.ShutdownRequest{StopServices: true}) })
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Error(c, works(f.keyClient(t, r.AccessKey, r.SecretKey)), "old half revoked by the next process")
	}, 90*time.Second, 500*time.Millisecond, "log: %s", logs.String())
	require.NoError(t, works(f.keyClient(t, second.Key.AccessKey, second.SecretKey)))
}

// TestAuditFlood: 100,000 audit events posted to the add-on's endpoint
// (most of unknown keys) leave its memory bounded and S3 requests
// unaffected, and the known key's use is still counted.
func TestAuditFlood(t *testing.T) {
	// Not parallel: the heap is the test process's, and the package's
	// parallel tests wait while this one runs, so their allocations do not
	// count as the flood's.
	// An hour's interval: the periodic read of the key list (an argon2id
	// derivation of 64 MiB, live while it runs) does not fall between the
	// two heap readings; the flood must not cause one either (checked).
	f := start(t, map[string]string{settings.KeyUsageInterval: "1h"})
	ctx := context.Background()
	svc, err := f.a.conn.services()
	require.NoError(t, err)
	_, err = f.a.CreateBucket(ctx, shared.CreateBucketRequest{Name: "photos", Visibility: shared.Private})
	require.NoError(t, err)
	k, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "app"})
	require.NoError(t, err)
	c := f.keyClient(t, k.Key.AccessKey, k.SecretKey)
	derivations := keyReadsSettled(t, svc) // the next read is an hour away

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const events, perBatch = 100000, 100
	line := func(i int) string {
		ak := fmt.Sprintf("flood%07d", i) // a different claimed key each
		if i%1000 == 0 {
			ak = k.Key.AccessKey
		}
		return fmt.Sprintf(`{"version":"1","time":%q,"api":{"name":"GetObject","statusCode":200,"rx":0,"tx":10},"remotehost":"127.0.0.1","accessKey":%q,"requestHeader":{"User-Agent":"flood"}}`+"\n",
			time.Now().UTC().Format(time.RFC3339Nano), ak)
	}
	var wg sync.WaitGroup
	var s3Failed, s3Done int
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // S3 requests during the flood
		defer wg.Done()
		for i := 0; i < 2000; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, err := c.PutObject(ctx, "photos", "during", bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{})
			s3Done++
			if err != nil {
				s3Failed++
			}
		}
	}()
	start := time.Now()
	for b := 0; b < events/perBatch; b++ {
		var body bytes.Buffer
		for i := range perBatch {
			body.WriteString(line(b*perBatch + i))
		}
		req, err := http.NewRequest(http.MethodPost, svc.audit.URL(), &body)
		require.NoError(t, err)
		req.Header.Set("Authorization", auditToken(t, svc))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	took := time.Since(start)
	close(stop)
	wg.Wait()
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	st := svc.lastUsed.Stats()
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("flood of %d events in %s; the table follows %d keys, dropped %d events; heap %d KiB before, %d KiB after (%+d KiB); %d S3 PUTs meanwhile, %d failed",
		events, took.Round(time.Millisecond), st.Keys, st.Dropped, before.HeapAlloc>>10, after.HeapAlloc>>10, grew>>10, s3Done, s3Failed)
	require.Equal(t, derivations, svc.admin.Stats().KeyDerivations, "no read of the key list during the flood")
	require.Zero(t, s3Failed, "S3 requests are unaffected")
	require.Positive(t, s3Done)
	require.LessOrEqual(t, st.Keys, 10000+10, "the table stays at its bound")
	require.Less(t, grew, int64(32<<20), "the heap grows by a bounded amount")
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.GreaterOrEqual(c, keyNamed(t, f, k.Key.AccessKey).Requests24h, uint64(100+1), "the known key's flood events and its real PUTs are counted")
	}, 60*time.Second, 200*time.Millisecond)
}

// killIfMinIO kills a MinIO the test left running (it runs in its own
// session), after checking the pid is still a MinIO.
func killIfMinIO(pid int) {
	if pid <= 0 {
		return
	}
	if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && strings.Contains(string(cmd), "minio") {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// auditToken reads the endpoint's token from the config line the add-on
// gives MinIO (the test stands in for MinIO).
func auditToken(t *testing.T, svc *services) string {
	t.Helper()
	for _, f := range strings.Fields(svc.audit.ConfigLine()) {
		if v, ok := strings.CutPrefix(f, "auth_token="); ok {
			return v
		}
	}
	t.Fatal("no auth_token in the audit webhook's configuration")
	return ""
}

func TestKeyActionsBadInput(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	ctx := context.Background()
	k, err := f.a.CreateKey(ctx, shared.CreateKeyRequest{Name: "app", Description: "d"})
	require.NoError(t, err)
	before := keyNamed(t, f, k.Key.AccessKey)
	ak := k.Key.AccessKey
	cases := []struct {
		action string
		input  any
		field  string
		want   string
		code   shared.Code
	}{
		{"update_key", map[string]any{"policy": keys.ReadOnlyPolicy("x")}, "access_key", "access key is required", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak}, "access_key", "nothing to change", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak, "policy": "", "description": "", "expiry": ""}, "access_key", "nothing to change", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": "quazzar-NOSUCHKEY0", "description": "x"}, "access_key", "there is no key quazzar-NOSUCHKEY0", shared.CodeNotFound},
		{"update_key", map[string]any{"access_key": ak, "policy": "{"}, "policy", "not valid JSON", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak, "policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"]}]}`}, "policy", "beyond S3", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak, "policy": keys.ReadOnlyPolicy("x"), "admin": true}, "policy", "takes no policy", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak, "description": strings.Repeat("d", 300)}, "description", "too long", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak, "expiry": "tomorrowish"}, "expiry", "not a date", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak, "expiry": "1m"}, "expiry", "too soon", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak, "expiry": "400d"}, "expiry", "too far", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak, "policy": 5}, "policy", "must be a string", shared.CodeInvalidArgument},
		{"update_key", map[string]any{"access_key": ak, "secret": "x"}, "", "unknown input field", shared.CodeInvalidArgument},
		{"set_key_status", map[string]any{"access_key": ak}, "enabled", "enabled is required", shared.CodeInvalidArgument},
		{"set_key_status", map[string]any{"access_key": ak, "enabled": "no"}, "enabled", "true or false", shared.CodeInvalidArgument},
		{"set_key_status", map[string]any{"enabled": false}, "access_key", "access key is required", shared.CodeInvalidArgument},
		{"set_key_status", map[string]any{"access_key": "quazzar-NOSUCHKEY0", "enabled": false}, "access_key", "there is no key", shared.CodeNotFound},
		{"rotate_key", map[string]any{"overlap": "1h"}, "access_key", "access key is required", shared.CodeInvalidArgument},
		{"rotate_key", map[string]any{"access_key": ak, "overlap": "soon"}, "overlap", "not a duration", shared.CodeInvalidArgument},
		{"rotate_key", map[string]any{"access_key": ak, "overlap": "1s"}, "overlap", "out of range", shared.CodeInvalidArgument},
		{"rotate_key", map[string]any{"access_key": ak, "overlap": "100d"}, "overlap", "out of range", shared.CodeInvalidArgument},
		{"rotate_key", map[string]any{"access_key": ak, "expiry": "1m"}, "expiry", "too soon", shared.CodeInvalidArgument},
		{"rotate_key", map[string]any{"access_key": "quazzar-NOSUCHKEY0"}, "access_key", "there is no key", shared.CodeNotFound},
	}
	for _, c := range cases {
		b, _ := json.Marshal(c.input)
		t.Run(c.action+"/"+string(b), func(t *testing.T) {
			r := act(t, f.a, c.action, c.input)
			require.False(t, r.OK)
			require.Equal(t, c.code, r.Code, r.Message)
			require.Contains(t, r.Message, c.want)
			if c.field != "" {
				require.Contains(t, r.FieldErrors, c.field, r.Message)
			}
		})
	}
	// Nothing changed: the same key, alone, with the same policy.
	require.NoError(t, f.mustRefreshKeys(ctx))
	list, err := f.a.ListKeys(ctx, shared.ListKeysRequest{})
	require.NoError(t, err)
	require.Len(t, list.Keys, 1, "no rotation left a key behind")
	after := list.Keys[0]
	require.Equal(t, before.Policy, after.Policy)
	require.Equal(t, before.Description, after.Description)
	require.Equal(t, before.Expiry, after.Expiry)
	require.Equal(t, shared.KeyOn, after.Status)
}

// TestPluginsKeysAndHoldings: a key or bucket made by a plugin (the caller
// id the host attaches) records it as owner; a plugin may change only its
// own keys and ask only about its own holdings.
func TestPluginsKeysAndHoldings(t *testing.T) {
	t.Parallel()
	f := start(t, nil)
	agent := shared.WithCaller(context.Background(), "backup-agent")
	other := shared.WithCaller(context.Background(), "cdn")
	host := context.Background()
	_, err := f.a.CreateBucket(agent, shared.CreateBucketRequest{Name: "backups", Visibility: shared.Private})
	require.NoError(t, err)
	mine, err := f.a.CreateKey(agent, shared.CreateKeyRequest{Name: "backup-agent", Policy: keys.ReadWritePolicy("backups")})
	require.NoError(t, err)
	require.Equal(t, "backup-agent", mine.Key.Owner)
	owners, err := f.a.CreateKey(host, shared.CreateKeyRequest{Name: "ops"})
	require.NoError(t, err)
	require.Equal(t, "", owners.Key.Owner)
	require.Contains(t, lastUsedCell(t, f, mine.Key.AccessKey).Text, page.NeverUsed)

	held, err := f.a.Owned(host, shared.OwnedRequest{Plugin: "backup-agent"})
	require.NoError(t, err)
	require.Len(t, held.Keys, 1)
	require.Equal(t, mine.Key.AccessKey, held.Keys[0].AccessKey)
	require.Equal(t, []string{"backups"}, held.Buckets)
	held, err = f.a.Owned(agent, shared.OwnedRequest{Plugin: "backup-agent"})
	require.NoError(t, err, "a plugin may ask about itself")
	require.Len(t, held.Keys, 1)
	_, err = f.a.Owned(other, shared.OwnedRequest{Plugin: "backup-agent"})
	require.ErrorIs(t, err, shared.ErrPermission, "not about another plugin")
	_, err = f.a.Owned(host, shared.OwnedRequest{})
	require.ErrorIs(t, err, shared.ErrInvalidArgument)

	_, err = f.a.SetKeyStatus(other, shared.SetKeyStatusRequest{AccessKey: mine.Key.AccessKey, Enabled: false})
	require.ErrorIs(t, err, shared.ErrPermission, "another plugin's key")
	_, err = f.a.SetKeyStatus(agent, shared.SetKeyStatusRequest{AccessKey: owners.Key.AccessKey, Enabled: false})
	require.ErrorIs(t, err, shared.ErrPermission, "the node owner's key")
	empty := ""
	_, err = f.a.UpdateKey(agent, shared.UpdateKeyRequest{AccessKey: mine.Key.AccessKey, Policy: &empty, Admin: true})
	require.ErrorIs(t, err, shared.ErrPermission, "never an administrator key")
	rot, err := f.a.RotateKey(agent, shared.RotateKeyRequest{AccessKey: mine.Key.AccessKey})
	require.NoError(t, err, "its own key")
	require.Equal(t, "backup-agent", rot.Key.Owner, "the new half keeps the owner")
	require.Equal(t, shared.KeyOn, keyNamed(t, f, owners.Key.AccessKey).Status)

	// Revoked and deleted: no longer owned.
	_, err = f.a.RevokeKey(host, shared.RevokeKeyRequest{AccessKey: mine.Key.AccessKey, AlsoRevoke: []string{rot.Key.AccessKey}})
	require.NoError(t, err)
	_, err = f.a.DeleteBucket(host, shared.DeleteBucketRequest{Name: "backups"})
	require.NoError(t, err)
	held, err = f.a.Owned(host, shared.OwnedRequest{Plugin: "backup-agent"})
	require.NoError(t, err)
	require.Empty(t, held.Keys)
	require.Empty(t, held.Buckets)
}
