package devhost_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/host-sdk/devhost"
	"github.com/quazzar/object-storage/host-sdk/hostapi"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/pairing"
	"github.com/quazzar/object-storage/plugin/replication"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// rpNode is one Cloud OS node of the off-site copy tests: a development
// host (adStart) with its own add-on and MinIO on free loopback ports,
// which can be stopped and started again on the same folders and ports.
type rpNode struct {
	*adHost
	name string
	cfg  devhost.Config

	mu      sync.Mutex
	answers []string // every API answer the test read from this node
}

// rpStartBoth starts the source and target nodes, one after the other
// (adStart requires on the test goroutine), each with the add-on built
// into a plugins folder of its own.
func rpStartBoth(t testing.TB) (src, dst *rpNode) {
	t.Helper()
	nodes := [2]*rpNode{{name: "source"}, {name: "target"}}
	for _, n := range nodes {
		plugins := t.TempDir()
		uiBuildAddon(t, plugins)
		n.adHost = adStart(t, plugins, func(c *devhost.Config) { n.cfg = *c })
		t.Cleanup(func() {
			if t.Failed() {
				uiDumpLog(t, filepath.Join(n.State, "object-storage", "minio.log"))
			}
		})
	}
	for _, n := range nodes {
		n.waitMinIO(t)
	}
	return nodes[0], nodes[1]
}

// stop stops the node's host, its add-on and its MinIO.
func (n *rpNode) stop(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	require.NoError(t, n.Shutdown(ctx))
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + n.Settings[settings.KeyS3Address] + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
		}
		return err != nil
	}, time.Minute, 200*time.Millisecond, "MinIO of the %s stopped", n.name)
}

// restart starts the node again on the same folders and ports.
func (n *rpNode) restart(t testing.TB) {
	t.Helper()
	s, err := devhost.New(n.cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	require.NoError(t, s.Start(context.Background()))
	<-s.Ready()
	n.Server, n.URL = s, s.PanelURL()
	n.waitMinIO(t)
}

func (n *rpNode) keep(b []byte) {
	n.mu.Lock()
	n.answers = append(n.answers, string(b))
	n.mu.Unlock()
}

// try runs an action through the panel's JSON API and returns its result,
// failed or not.
func (n *rpNode) try(t testing.TB, name string, input any) shared.ActionResult {
	t.Helper()
	res, raw := n.tryAction(t, name, input)
	n.keep(raw)
	return res
}

func (n *rpNode) do(t testing.TB, name string, input any) shared.ActionResult {
	t.Helper()
	res := n.try(t, name, input)
	require.True(t, res.OK, "%s on the %s: %s", name, n.name, res.Message)
	return res
}

// doc is the node's state document, also kept as an answer read.
func (n *rpNode) doc(t assert.TestingT) (map[string]shared.Bucket, bool) {
	resp, err := http.Get(n.URL + "/api/plugins/" + addonID + "/state")
	if !assert.NoError(t, err) {
		return nil, false
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if !assert.NoError(t, err) || !assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw) {
		return nil, false
	}
	n.keep(raw)
	var st struct {
		Buckets []shared.Bucket `json:"buckets"`
	}
	if !assert.NoError(t, json.Unmarshal(raw, &st)) {
		return nil, false
	}
	out := map[string]shared.Bucket{}
	for _, b := range st.Buckets {
		out[b.Name] = b
	}
	return out, true
}

func (n *rpNode) creds(t testing.TB) envfile.Credentials {
	t.Helper()
	c, err := envfile.Load(n.Settings[settings.KeyEnvFile])
	require.NoError(t, err)
	return c
}

func (n *rpNode) admin(t testing.TB) *minioadmin.Client {
	t.Helper()
	c := n.creds(t)
	a, err := minioadmin.New(minioadmin.Config{Endpoint: n.Settings[settings.KeyS3Address], AccessKey: c.User, SecretKey: c.Password})
	require.NoError(t, err)
	return a
}

func (n *rpNode) s3URL() string { return "http://" + n.Settings[settings.KeyS3Address] }

// storage is the add-on's StorageModule as another plugin reaches it:
// through the host's forwarding, on behalf of caller.
type rpForwarded struct {
	n      *rpNode
	caller string
}

func (f rpForwarded) call(t testing.TB, method string, req, resp any) error {
	t.Helper()
	body, err := json.Marshal(req)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := hostapi.New(nil, f.n.Addons).Forward(ctx, f.caller, addonID, method, body)
	if err != nil {
		return err
	}
	f.n.keep(out)
	require.NoError(t, json.Unmarshal(out, resp))
	return nil
}

// rpFiles writes count files of random sizes (1 to 64 KiB) into a new
// folder and returns it with each file's SHA-256 by name.
func rpFiles(t *testing.T, count int) (string, map[string][32]byte) {
	t.Helper()
	dir := t.TempDir()
	sums := map[string][32]byte{}
	for i := range count {
		b := make([]byte, 1024+i*1300)
		_, err := rand.Read(b)
		require.NoError(t, err)
		name := fmt.Sprintf("file-%02d.bin", i)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o600))
		sums[name] = sha256.Sum256(b)
	}
	return dir, sums
}

// rpSum reads an object and returns its SHA-256.
func rpSum(ctx context.Context, c *minio.Client, bucket, key string) ([32]byte, error) {
	obj, err := c.GetObject(ctx, bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return [32]byte{}, err
	}
	defer obj.Close()
	h := sha256.New()
	if _, err := io.Copy(h, obj); err != nil {
		return [32]byte{}, err
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s, nil
}

// rpNoSource checks that nothing of replication is configured on the
// source's bucket, and that its versioning is as it was.
func rpNoSource(t *testing.T, src *rpNode, bucket string, versioning shared.Versioning) {
	t.Helper()
	ctx := context.Background()
	ts, err := src.admin(t).ListRemoteTargets(ctx, "")
	require.NoError(t, err)
	require.Empty(t, ts, "no remote target on the source")
	cfg, err := src.root(t).GetBucketReplication(ctx, bucket)
	require.NoError(t, err)
	require.True(t, cfg.Empty(), "no replication rule on the source")
	bs, ok := src.doc(t)
	require.True(t, ok)
	require.Equal(t, versioning, bs[bucket].Versioning, "versioning of the source bucket as it was")
	require.Nil(t, bs[bucket].Replication)
}

// rpBucketKeys lists a node's buckets and keys, to see that nothing was
// made or changed.
func rpBucketKeys(t *testing.T, n *rpNode) string {
	t.Helper()
	ctx := context.Background()
	bs, err := n.root(t).ListBuckets(ctx)
	require.NoError(t, err)
	var out []string
	for _, b := range bs {
		count := 0
		for o := range n.root(t).ListObjects(ctx, b.Name, minio.ListObjectsOptions{WithVersions: true, Recursive: true}) {
			require.NoError(t, o.Err)
			count++
		}
		out = append(out, fmt.Sprintf("bucket %s: %d versions", b.Name, count))
	}
	keys, err := n.admin(t).ListServiceAccounts(ctx, "")
	require.NoError(t, err)
	for _, k := range keys {
		out = append(out, "key "+k.AccessKey+" "+k.Status)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// rpNoSecretIn fails when any of secrets appears in a file under root
// (files larger than 64 MiB are skipped) or in texts.
func rpNoSecretIn(t *testing.T, what, root string, texts []string, secrets map[string]string) {
	t.Helper()
	for _, s := range texts {
		for label, secret := range secrets {
			require.NotContains(t, s, secret, "%s of %s appears in an answer or log of the %s", label, what, what)
		}
	}
	files := testkit.ReadEachFile(t, 64<<20, func(path string, b []byte) {
		for label, secret := range secrets {
			require.False(t, bytes.Contains(b, []byte(secret)), "%s appears in %s", label, path)
		}
	}, root)
	require.Positive(t, files)
}

// TestReplicationEndToEnd: two nodes, each a development host with its own
// add-on and MinIO. The target makes a replica bucket and a sealed token
// (called as another plugin would, through the host); the source pairs a
// bucket that already holds objects (through the page's JSON API); 50
// uploads with the AWS CLI reach the target, byte-identical and readable
// with the token's key, and the existing objects with the resync; a delete
// arrives as a delete marker; the key reaches no other bucket; no root
// credential crosses; stop keeps both copies.
func TestReplicationEndToEnd(t *testing.T) {
	t.Parallel()
	src, dst := rpStartBoth(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	// The source's bucket, with objects from before the pairing.
	src.do(t, "create_bucket", map[string]any{"name": "photos", "visibility": "private"})
	before := map[string][32]byte{}
	for i := range 5 {
		body := bytes.Repeat([]byte{byte('a' + i)}, 2048+i)
		key := fmt.Sprintf("before/%d.txt", i)
		_, err := src.root(t).PutObject(ctx, "photos", key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
		require.NoError(t, err)
		before[key] = sha256.Sum256(body)
	}
	// The target: another bucket that the key must not reach.
	dst.do(t, "create_bucket", map[string]any{"name": "private-stuff", "visibility": "private"})
	_, err := dst.root(t).PutObject(ctx, "private-stuff", "secret.txt", strings.NewReader("not yours"), 9, minio.PutObjectOptions{})
	require.NoError(t, err)

	agent := rpForwarded{n: dst, caller: "backup-agent"}
	var made shared.CreateReplicaTargetResponse
	require.NoError(t, agent.call(t, "CreateReplicaTarget", shared.CreateReplicaTargetRequest{Name: "photos-copy", Passphrase: "correct horse battery"}, &made))
	require.True(t, made.Sealed)
	require.True(t, made.CreatedBucket)
	require.Equal(t, dst.s3URL(), made.Endpoint)
	target, err := pairing.Decode(made.Token, "correct horse battery")
	require.NoError(t, err)

	res := src.do(t, "replicate_bucket", map[string]any{"name": "photos", "token": made.Token, "passphrase": "correct horse battery"})
	require.Contains(t, res.Message, "Versioning was turned on")
	require.Contains(t, res.Message, "Deletes are replicated too")

	// 50 uploads with the AWS CLI, with an ordinary key of the source.
	key := src.do(t, "create_key", map[string]any{"name": "uploader"})
	dir, sums := rpFiles(t, 50)
	out, err := uiAWS(t, t.TempDir(), src.s3URL(), key.AccessKey, key.SecretKey, "s3", "cp", "--recursive", "--only-show-errors", dir, "s3://photos/batch/")
	require.NoError(t, err, "%s", out)
	want := map[string][32]byte{}
	for name, s := range sums {
		want["batch/"+name] = s
	}
	for k, s := range before {
		want[k] = s
	}

	// Everything arrives, byte-identical, readable with the token's key.
	kc := dst.client(t, target.AccessKey, target.SecretKey)
	began := time.Now()
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		missing := 0
		for k, s := range want {
			got, err := rpSum(ctx, kc, "photos-copy", k)
			if err != nil || got != s {
				missing++
			}
		}
		assert.Zero(ct, missing, "objects not (yet) on the target")
	}, 5*time.Minute, 2*time.Second)
	t.Logf("55 objects on the target %s after the upload finished", time.Since(began).Round(time.Second))

	// The state on both sides.
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		bs, ok := src.doc(ct)
		if !ok || !assert.NotNil(ct, bs["photos"].Replication) {
			return
		}
		r := bs["photos"].Replication
		assert.Equal(ct, target.Where(), r.Target)
		assert.Equal(ct, shared.ReplicationHealthy, r.State, "%+v", r)
		assert.Zero(ct, r.PendingObjects, "%+v", r)
		assert.Zero(ct, r.PendingBytes)
		assert.False(ct, r.LastSuccess.IsZero())
		assert.Equal(ct, shared.VersioningEnabled, bs["photos"].Versioning)
		ds, ok := dst.doc(ct)
		if ok && assert.NotNil(ct, ds["photos-copy"].ReplicaOf) {
			assert.Equal(ct, "photos", ds["photos-copy"].ReplicaOf.Bucket)
			assert.Equal(ct, src.s3URL(), ds["photos-copy"].ReplicaOf.Endpoint)
		}
	}, 2*time.Minute, time.Second)
	var status shared.Replication
	require.NoError(t, rpForwarded{n: src, caller: "backup-agent"}.call(t, "ReplicationStatus", shared.ReplicationStatusRequest{Name: "photos"}, &status))
	require.Equal(t, target.Where(), status.Target)

	// A delete replicates as a delete marker.
	out, err = uiAWS(t, t.TempDir(), src.s3URL(), key.AccessKey, key.SecretKey, "s3", "rm", "s3://photos/batch/file-07.bin")
	require.NoError(t, err, "%s", out)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		latestIsMarker := false
		for o := range kc.ListObjects(ctx, "photos-copy", minio.ListObjectsOptions{WithVersions: true, Prefix: "batch/file-07.bin"}) {
			if assert.NoError(ct, o.Err) && o.IsLatest {
				latestIsMarker = o.IsDeleteMarker
			}
		}
		assert.True(ct, latestIsMarker, "the target's latest version is a delete marker")
	}, 2*time.Minute, time.Second)
	_, err = kc.StatObject(ctx, "photos-copy", "batch/file-08.bin", minio.StatObjectOptions{})
	require.NoError(t, err, "the other objects stay")

	// The token's key reaches its bucket only.
	listed, err := kc.ListBuckets(ctx)
	require.NoError(t, err)
	require.Len(t, listed, 1, "MinIO lists the key only the bucket it may list")
	require.Equal(t, "photos-copy", listed[0].Name)
	for o := range kc.ListObjects(ctx, "private-stuff", minio.ListObjectsOptions{Recursive: true}) {
		require.Error(t, o.Err, "the key cannot list another bucket")
	}
	_, err = kc.StatObject(ctx, "private-stuff", "secret.txt", minio.StatObjectOptions{})
	require.Error(t, err, "the key cannot read another bucket")
	_, err = rpSum(ctx, kc, "private-stuff", "secret.txt")
	require.Error(t, err, "the key cannot download from another bucket")
	out, err = uiAWS(t, t.TempDir(), dst.s3URL(), target.AccessKey, target.SecretKey, "s3", "ls", "s3://private-stuff")
	require.Error(t, err, "the AWS CLI with the key cannot list another bucket: %s", out)
	require.Contains(t, out, "AccessDenied")
	_, err = kc.PutObject(ctx, "private-stuff", "x", strings.NewReader("x"), 1, minio.PutObjectOptions{})
	require.Error(t, err, "nor write there")
	require.Error(t, kc.MakeBucket(ctx, "made-by-key", minio.MakeBucketOptions{}), "nor make buckets")
	var keyPolicy string
	for _, k := range rpKeys(t, dst) {
		if k.AccessKey == target.AccessKey {
			keyPolicy = k.Policy
		}
	}
	require.JSONEq(t, replication.TargetPolicy("photos-copy"), keyPolicy)

	// No root credential of either node in the other's files, logs or
	// answers; the target's key only in MinIO's own configuration on the
	// source, never in the add-on's files or logs.
	srcRoot, dstRoot := src.creds(t), dst.creds(t)
	rpNoSecretIn(t, "target", dst.State, append(dst.answers, dst.logs.String()), map[string]string{
		"the source's root user": srcRoot.User, "the source's root password": srcRoot.Password})
	rpNoSecretIn(t, "source", src.State, append(src.answers, src.logs.String()), map[string]string{
		"the target's root user": dstRoot.User, "the target's root password": dstRoot.Password})
	rpNoSecretIn(t, "source add-on", filepath.Join(src.State, "object-storage"), []string{src.logs.String()}, map[string]string{
		"the token's secret": target.SecretKey, "the token": made.Token})
	for _, a := range src.answers {
		require.NotContains(t, a, target.SecretKey, "the token's secret in an answer of the source")
	}

	// Stop: the rule and the remote target go, both copies stay.
	st := src.do(t, "stop_replication", map[string]any{"name": "photos"})
	require.Contains(t, st.Message, "Both copies stay")
	rpNoSource(t, src, "photos", shared.VersioningEnabled)
	for _, n := range []struct {
		c      *minio.Client
		bucket string
	}{{src.root(t), "photos"}, {kc, "photos-copy"}} {
		got, err := rpSum(ctx, n.c, n.bucket, "batch/file-08.bin")
		require.NoError(t, err, n.bucket)
		require.Equal(t, want["batch/file-08.bin"], got, n.bucket)
	}
	require.False(t, src.try(t, "stop_replication", map[string]any{"name": "photos"}).OK, "stopped already")
}

// rpKeys lists a node's keys as its state API says them.
func rpKeys(t *testing.T, n *rpNode) []shared.Key {
	t.Helper()
	resp, err := http.Get(n.URL + "/api/plugins/" + addonID + "/state")
	require.NoError(t, err)
	defer resp.Body.Close()
	var st struct {
		Keys []shared.Key `json:"keys"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&st))
	return st.Keys
}

// TestReplicationTargetDown: the target node (its host, add-on and MinIO)
// stops while 20 uploads happen on the source: every upload succeeds, the
// source's state says the target is offline with 20 pending; the target
// starts again on the same folders and ports: pending drains to 0 and all
// 20 are there.
func TestReplicationTargetDown(t *testing.T) {
	t.Parallel()
	src, dst := rpStartBoth(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	src.do(t, "create_bucket", map[string]any{"name": "docs", "visibility": "private"})
	made := dst.do(t, "create_replica_target", map[string]any{"name": "docs-copy"})
	require.NotEmpty(t, made.Token)
	src.do(t, "replicate_bucket", map[string]any{"name": "docs", "token": made.Token})
	target, err := pairing.Decode(made.Token, "")
	require.NoError(t, err)

	// One object goes through while the target is up.
	_, err = src.root(t).PutObject(ctx, "docs", "first", strings.NewReader("first"), 5, minio.PutObjectOptions{})
	require.NoError(t, err)
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		_, err := dst.client(t, target.AccessKey, target.SecretKey).StatObject(ctx, "docs-copy", "first", minio.StatObjectOptions{})
		assert.NoError(ct, err)
	}, 2*time.Minute, time.Second)

	dst.stop(t)
	sums := map[string][32]byte{}
	for i := range 20 {
		body := bytes.Repeat([]byte(fmt.Sprintf("%02d", i)), 4096)
		k := fmt.Sprintf("while-down/%02d", i)
		_, err := src.root(t).PutObject(ctx, "docs", k, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
		require.NoError(t, err, "an upload while the target is down succeeds")
		sums[k] = sha256.Sum256(body)
	}
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		bs, ok := src.doc(ct)
		if !ok || !assert.NotNil(ct, bs["docs"].Replication) {
			return
		}
		r := bs["docs"].Replication
		assert.Equal(ct, shared.ReplicationOffline, r.State, "%+v", r)
		assert.EqualValues(ct, 20, r.PendingObjects, "%+v", r)
		assert.EqualValues(ct, 20*8192, r.PendingBytes, "%+v", r)
	}, 2*time.Minute, time.Second)
	page, err := http.Get(src.URL + "/api/plugins/" + addonID + "/page")
	require.NoError(t, err)
	pageBody, _ := io.ReadAll(page.Body)
	page.Body.Close()
	require.Contains(t, string(pageBody), "target offline")
	require.Contains(t, string(pageBody), "20 objects (160.0 KiB) pending")

	restarted := time.Now()
	dst.restart(t)
	began := time.Now()
	require.EventuallyWithT(t, func(ct *assert.CollectT) {
		bs, ok := src.doc(ct)
		if !ok || !assert.NotNil(ct, bs["docs"].Replication) {
			return
		}
		r := bs["docs"].Replication
		assert.Zero(ct, r.PendingObjects, "%+v", r)
		assert.Equal(ct, shared.ReplicationHealthy, r.State, "%+v", r)
	}, 5*time.Minute, 2*time.Second)
	t.Logf("the target's host and MinIO took %s to start again; 20 pending drained %s after it answered",
		began.Sub(restarted).Round(time.Second), time.Since(began).Round(time.Second))
	kc := dst.client(t, target.AccessKey, target.SecretKey)
	for k, s := range sums {
		got, err := rpSum(ctx, kc, "docs-copy", k)
		require.NoError(t, err, k)
		require.Equal(t, s, got, k)
	}
}

// TestReplicationBadTokens: a token with a wrong passphrase, a token for a
// bucket deleted since, a token whose key was revoked, and a garbled
// token are each refused with their reason, and nothing is configured on
// either node.
func TestReplicationBadTokens(t *testing.T) {
	t.Parallel()
	src, dst := rpStartBoth(t)
	src.do(t, "create_bucket", map[string]any{"name": "photos", "visibility": "private"})

	sealed := dst.do(t, "create_replica_target", map[string]any{"name": "copy-a", "passphrase": "correct horse battery"})
	gone := dst.do(t, "create_replica_target", map[string]any{"name": "copy-gone"})
	dst.do(t, "delete_bucket", map[string]any{"name": "copy-gone"})
	revoked := dst.do(t, "create_replica_target", map[string]any{"name": "copy-revoked"})
	dst.do(t, "revoke_key", map[string]any{"access_key": revoked.AccessKey})
	i := len(pairing.PlainPrefix) + 40
	garbled := gone.Token[:i] + strings.ToUpper(gone.Token[i:i+1]) + strings.ToLower(gone.Token[i+1:i+2]) + gone.Token[i+2:]
	if garbled == gone.Token {
		garbled = gone.Token[:len(gone.Token)-3]
	}

	dstBefore := rpBucketKeys(t, dst)
	cases := []struct {
		name, token, passphrase, field, want string
	}{
		{"wrong passphrase", sealed.Token, "correct horse battery!", "passphrase", "the passphrase does not open this pairing token"},
		{"deleted bucket", gone.Token, "", "token", "bucket copy-gone does not exist on the target"},
		{"revoked key", revoked.Token, "", "token", "refused the token's key " + revoked.AccessKey},
		{"garbled", garbled, "", "token", "garbled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := src.try(t, "replicate_bucket", map[string]any{"name": "photos", "token": c.token, "passphrase": c.passphrase})
			require.False(t, res.OK)
			require.Contains(t, res.Message, c.want)
			require.Contains(t, res.FieldErrors, c.field, res.Message)
			rpNoSource(t, src, "photos", shared.VersioningOff)
		})
	}
	require.Equal(t, dstBefore, rpBucketKeys(t, dst), "nothing changed on the target")
	// The right passphrase works, after all that.
	src.do(t, "replicate_bucket", map[string]any{"name": "photos", "token": sealed.Token, "passphrase": "correct horse battery"})
}
