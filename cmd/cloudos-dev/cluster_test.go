package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/bench"
	"github.com/quazzar/object-storage/host-sdk/addons"
	"github.com/quazzar/object-storage/host-sdk/launcher"
	"github.com/quazzar/object-storage/internal/netnstest"
	"github.com/quazzar/object-storage/internal/plugintest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/addon"
	"github.com/quazzar/object-storage/plugin/cluster"
	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/supervisor"
	"github.com/quazzar/object-storage/shared"
)

// The multi-node test: four nodes on one machine, each a network namespace
// with its own address on a bridge (internal/netnstest), each running this
// command with the add-on and one drive (a tmpfs mount: MinIO refuses
// drives of the root filesystem). Each node's panel listens on 127.0.0.1
// inside its namespace, as cloudos-dev requires; the test reaches it from
// inside the namespace (netnstest's loopback client), so the development
// panel keeps its loopback-only rule. MinIO listens on the node's address.
// Run it with `go test -run Cluster ./...` (as root; it skips elsewhere,
// and fails under CI=true without root).

const (
	clusterNodes = 4
	s3Port       = 9000
	passphrase   = "four nodes, one pool"
	addonPlugin  = "object-storage"
)

// node is one node of the test: its namespace, drive, state folder and
// the cloudos-dev process running there.
type node struct {
	ns    *netnstest.Node
	i     int
	drive string
	state string
	args  []string
	cmd   *exec.Cmd
	log   *os.File
	panel *http.Client
}

func (n *node) s3() string { return n.ns.HostPort(s3Port) }

// start runs cloudos-dev in the node's namespace.
func (n *node) start(t *testing.T) {
	t.Helper()
	n.cmd = n.ns.Command(n.args[0], n.args[1:]...)
	n.cmd.Stdout, n.cmd.Stderr = n.log, n.log
	require.NoError(t, n.cmd.Start())
}

// stop ends cloudos-dev with SIGTERM, which stops the add-on and its MinIO
// (SIGKILL after a minute), and returns once it has exited.
func (n *node) stop() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = n.cmd.Process.Kill()
		<-done
	}
	n.cmd = nil
}

// state is the add-on's state document through the node's panel, false
// while the panel does not answer.
func (n *node) stateDoc() (addon.StateDocument, bool) {
	resp, err := n.panel.Get("http://127.0.0.1:8080/api/plugins/" + addonPlugin + "/state")
	if err != nil {
		return addon.StateDocument{}, false
	}
	defer resp.Body.Close()
	var st addon.StateDocument
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&st) != nil {
		return addon.StateDocument{}, false
	}
	return st, true
}

// act runs one of the add-on's page actions through the node's panel.
func (n *node) act(t *testing.T, name string, input any) shared.ActionResult {
	t.Helper()
	b, err := json.Marshal(input)
	require.NoError(t, err)
	resp, err := n.panel.Post("http://127.0.0.1:8080/api/plugins/"+addonPlugin+"/actions/"+name, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	var res shared.ActionResult
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&res))
	return res
}

// waitState waits until the node's state document passes ok.
func (n *node) waitState(t *testing.T, what string, bound time.Duration, ok func(c *assert.CollectT, st addon.StateDocument)) addon.StateDocument {
	t.Helper()
	var (
		mu   sync.Mutex
		last addon.StateDocument
	)
	if !assert.EventuallyWithT(t, func(c *assert.CollectT) {
		st, up := n.stateDoc()
		if !assert.True(c, up, "node %d's panel answers", n.i) {
			return
		}
		mu.Lock()
		last = st
		mu.Unlock()
		ok(c, st)
	}, bound, 250*time.Millisecond) {
		mu.Lock()
		defer mu.Unlock()
		require.FailNow(t, fmt.Sprintf("node %d: %s", n.i, what), "last status: %+v; topology waiting for %v", last.Status, last.Topology.WaitingFor)
	}
	mu.Lock()
	defer mu.Unlock()
	return last
}

// files is what the test keeps of a node to check that a refused join
// wrote nothing: its env file, its layout record, its MinIO's pid.
type files struct {
	env, layout []byte
	pid         int
}

func (n *node) files(t *testing.T) files {
	t.Helper()
	env, err := os.ReadFile(filepath.Join(n.state, "minio.env"))
	require.NoError(t, err)
	lay, err := os.ReadFile(filepath.Join(n.state, addonPlugin, layout.FileName))
	require.NoError(t, err)
	rec, ok, err := supervisor.ReadRecord(filepath.Join(n.state, addonPlugin))
	require.NoError(t, err)
	require.True(t, ok)
	return files{env: env, layout: lay, pid: rec.PID}
}

func nodeStates(st addon.StateDocument) map[string]string {
	out := map[string]string{}
	for _, n := range st.Topology.Nodes {
		out[n.Address] = n.State
	}
	return out
}

// addonInfo is the add-on as the node's host lists it (GET /api/addons):
// its version, state and process.
func (n *node) addonInfo(t *testing.T) addons.Info {
	t.Helper()
	resp, err := n.panel.Get("http://127.0.0.1:8080/api/addons")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var list []addons.Info
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	for _, a := range list {
		if a.ID == addonPlugin {
			return a
		}
	}
	require.FailNow(t, "the add-on is not installed", "node %d lists %+v", n.i, list)
	return addons.Info{}
}

// minioProc is the MinIO the node's add-on supervises, as its state file
// records it (pid and start time name one process).
type minioProc struct {
	pid   int
	ticks uint64
}

// minio is the node's running MinIO: the pid of its page's status, which
// its state file records, checked in /proc to be the MinIO binary and to
// run in this node's namespace before the test signals it.
func (n *node) minio(t *testing.T, bin string) minioProc {
	t.Helper()
	st, ok := n.stateDoc()
	require.True(t, ok, "node %d's panel answers", n.i)
	require.Equal(t, shared.StateRunning, st.Status.State)
	rec, ok, err := supervisor.ReadRecord(filepath.Join(n.state, addonPlugin))
	require.NoError(t, err)
	require.True(t, ok, "node %d's add-on records its MinIO", n.i)
	require.NotZero(t, rec.PID)
	require.Equal(t, st.Status.PID, rec.PID, "node %d: the page and the state file name the same MinIO", n.i)
	same := func(a, b string) bool {
		sa, err := os.Stat(a)
		require.NoError(t, err)
		sb, err := os.Stat(b)
		require.NoError(t, err)
		return os.SameFile(sa, sb)
	}
	proc := fmt.Sprintf("/proc/%d/", rec.PID)
	require.True(t, same(proc+"exe", bin), "pid %d is MinIO", rec.PID)
	require.True(t, same(proc+"ns/net", "/var/run/netns/"+n.ns.Name), "pid %d runs in node %d's namespace", rec.PID, n.i)
	stat, err := os.ReadFile(proc + "stat")
	require.NoError(t, err)
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])) // from field 3, the state
	require.Greater(t, len(fields), 19)
	require.Equal(t, strconv.FormatUint(rec.StartTicks, 10), fields[19], "pid %d started when the state file says (field 22 of its stat)", rec.PID)
	return minioProc{pid: rec.PID, ticks: rec.StartTicks}
}

// loads runs S3 loads against c until finish (or their own bounds), and
// finish returns their figures together; it may be called again (a
// deferred call after a failure stops them).
func loads(ctx context.Context, c *minio.Client, ls ...bench.Load) (finish func() bench.Result) {
	ctx, cancel := context.WithCancel(ctx)
	results := make(chan bench.Result, len(ls))
	for _, l := range ls {
		go func() { results <- l.Run(ctx, c) }()
	}
	var (
		once sync.Once
		all  bench.Result
	)
	return func() bench.Result {
		once.Do(func() {
			cancel()
			for range ls {
				all.Add(<-results)
			}
		})
		return all
	}
}

// paced is a client's view of an outage: one request every interval (a
// PUT and a GET in turn), so that failed requests count time, not a tight
// loop of refused connections; its failures in spans of one kind (a span
// goes on across successful requests until another kind of failure).
type paced struct {
	requests, failed int
	spans            []failSpan
	// longest is the longest request that ended; stuck how long the one
	// in flight at the end had been waiting, if any.
	longest, stuck time.Duration
}

// failSpan is a run of failures of one kind, in a row.
type failSpan struct {
	kind        string
	n           int
	first, last time.Time
}

// describe is the spans in words, times from t0.
func (p paced) describe(t0 time.Time) string {
	var parts []string
	for _, s := range p.spans {
		parts = append(parts, fmt.Sprintf("%d × %s (%s to %s)", s.n, s.kind,
			s.first.Sub(t0).Round(10*time.Millisecond), s.last.Sub(t0).Round(10*time.Millisecond)))
	}
	out := strings.Join(parts, ", ")
	if out == "" {
		out = "no failure"
	}
	out += fmt.Sprintf("; longest request %s", p.longest.Round(10*time.Millisecond))
	if p.stuck > 0 {
		out += fmt.Sprintf("; one was still waiting at the end, for %s", p.stuck.Round(10*time.Millisecond))
	}
	return out
}

// failKind names a failure without its addresses and ports: MinIO's error
// code, or what the connection did.
func failKind(err error) string {
	if code := minio.ToErrorResponse(err).Code; code != "" {
		return code
	}
	msg := err.Error()
	for _, k := range []string{"connection refused", "connection reset by peer", "Connection closed by foreign host", "EOF", "timeout"} {
		if strings.Contains(msg, k) {
			return k
		}
	}
	return msg
}

// pacedLoad sends requests for object through c every interval, at most
// maxRequests of them and for at most bound, until finish.
func pacedLoad(ctx context.Context, c *minio.Client, bucket, object string, interval, bound time.Duration, maxRequests int) (finish func() paced) {
	ctx, cancel := context.WithTimeout(ctx, bound)
	done := make(chan paced, 1)
	go func() {
		var r paced
		defer func() { done <- r }()
		body := make([]byte, 8<<10)
		last := ""
		for i := range maxRequests {
			var err error
			t0 := time.Now()
			if i%2 == 0 {
				_, err = c.PutObject(ctx, bucket, object, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{})
			} else {
				var o *minio.Object
				if o, err = c.GetObject(ctx, bucket, object, minio.GetObjectOptions{}); err == nil {
					_, err = io.Copy(io.Discard, o)
					o.Close()
				}
			}
			if ctx.Err() != nil {
				if err != nil {
					r.stuck = time.Since(t0)
				}
				return
			}
			r.requests++
			r.longest = max(r.longest, time.Since(t0))
			if err != nil {
				r.failed++
				kind, now := failKind(err), time.Now()
				if kind == last && len(r.spans) > 0 {
					sp := &r.spans[len(r.spans)-1]
					sp.n, sp.last = sp.n+1, now
				} else if len(r.spans) < 50 {
					r.spans = append(r.spans, failSpan{kind: kind, n: 1, first: now, last: now})
				}
				last = kind
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(interval):
			}
		}
	}()
	var (
		once sync.Once
		res  paced
	)
	return func() paced {
		once.Do(func() {
			cancel()
			res = <-done
		})
		return res
	}
}

// install runs cloudos-dev install on the node, as its owner would, and
// returns its output.
func (n *node) install(t *testing.T, dev, bundlePath string) (string, error) {
	t.Helper()
	cmd := n.ns.Command(dev, "install", "--listen", "127.0.0.1:8080", bundlePath)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(5 * time.Minute):
		_ = cmd.Process.Kill()
		<-done
		return out.String(), fmt.Errorf("cloudos-dev install did not end within 5 minutes")
	}
}

// TestCluster: four nodes form a cluster from their pages; a wrong
// passphrase, a garbled token and tokens of another cluster are refused
// with nothing written; a bucket and a key made on node 1's page work
// with the AWS CLI on node 3; node 2 stopped entirely while a client reads
// and writes through node 1: no request fails, node 1's page shows node 2
// offline; node 2 started again rejoins, MinIO heals what it missed, and
// nothing is lost; node 3's MinIO killed under load is restarted by its
// add-on, and node 3's add-on upgraded adopts its MinIO, with no request
// through node 1 failing during either.
func TestCluster(t *testing.T) {
	minioBin := testkit.Require(t, "minio")
	awsBin := awsCLI(t)
	nw := netnstest.New(t, clusterNodes)
	dev := plugintest.Binary(t, "cloudos-dev")

	nodes := make([]*node, clusterNodes)
	for i := range nodes {
		ns := nw.Node(i + 1)
		n := &node{ns: ns, i: i + 1, drive: testkit.MountTmpfs(t, "256m"), state: filepath.Join(t.TempDir(), "state"), panel: ns.LoopbackClient(60 * time.Second)}
		var err error
		n.log, err = os.Create(filepath.Join(t.TempDir(), "node.log"))
		require.NoError(t, err)
		// Each node has its own plugins folder, as separate machines do:
		// an upgrade swaps the add-on's folder on the node it is made on.
		plugins := t.TempDir()
		plugintest.Dir(t, plugins, addonPlugin, plugintest.Options{})
		n.args = []string{dev, "--listen", "127.0.0.1:8080", "--state-dir", n.state, "--plugins", plugins,
			"--s3-address", n.s3(), "--console-address", "127.0.0.1:9001", "--data-dirs", n.drive,
			"--minio-binary", minioBin, "--usage-interval", "1s", "--scanner-speed", "fastest", "--log-level", "info"}
		nodes[i] = n
	}
	began := time.Now()
	t.Cleanup(func() {
		for _, n := range nodes {
			n.stop()
		}
		if t.Failed() {
			for _, n := range nodes {
				b, _ := os.ReadFile(n.log.Name())
				t.Logf("node %d log (last 6 KiB):\n%s", n.i, b[max(0, len(b)-6<<10):])
				var audit []string
				for _, line := range strings.Split(string(b), "\n") {
					if strings.Contains(line, "audit") {
						audit = append(audit, line)
					}
				}
				t.Logf("node %d log, lines about the audit log:\n%s", n.i, strings.Join(audit, "\n"))
			}
		}
		t.Logf("the cluster test took %s", time.Since(began).Round(time.Second))
	})
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	n1, n2, n3, n4 := nodes[0], nodes[1], nodes[2], nodes[3]
	var token string

	step("four single nodes", func(t *testing.T) {
		for _, n := range nodes {
			n.start(t)
		}
		for _, n := range nodes {
			n.waitState(t, "MinIO runs on its own", 3*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
				assert.Equal(c, shared.StateRunning, st.Status.State)
				assert.Equal(c, "single drive", st.Topology.Mode)
			})
		}
	})

	step("create on node 1", func(t *testing.T) {
		var lines []string
		for _, n := range nodes[1:] {
			lines = append(lines, n.s3()+" "+n.drive)
		}
		res := n1.act(t, "create_cluster", map[string]any{"passphrase": "short", "nodes": strings.Join(lines, "\n")})
		require.False(t, res.OK)
		require.Contains(t, res.FieldErrors, "passphrase")
		res = n1.act(t, "create_cluster", map[string]any{"passphrase": passphrase, "nodes": strings.Join(lines, "\n")})
		require.True(t, res.OK, res.Message)
		token = res.Token
		require.True(t, strings.HasPrefix(token, cluster.TokenPrefix), "the token is in the result, once")
		require.NotNil(t, res.Modal)
		require.Equal(t, token, res.Modal.Values[0].Value)
		st := n1.waitState(t, "waits for the three other nodes", 2*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
			assert.Equal(c, shared.StateStarting, st.Status.State)
			assert.Equal(c, []string{n2.s3(), n3.s3(), n4.s3()}, st.Topology.WaitingFor)
		})
		require.Equal(t, "cluster", st.Topology.Mode)
		require.Len(t, st.Topology.Nodes, clusterNodes)
		require.False(t, st.Topology.FromMinIO)
		require.Contains(t, st.Status.Message, "waiting for the cluster's pool to form")
		raw, err := json.Marshal(st)
		require.NoError(t, err)
		require.NotContains(t, string(raw), token, "the state never shows the token")
		t.Logf("node 1 while it waits: %s", st.Status.Message)
	})

	step("refused tokens write nothing", func(t *testing.T) {
		before := n4.files(t)
		id, err := cluster.Peek(token)
		require.NoError(t, err)
		otherID, err := cluster.NewID()
		require.NoError(t, err)
		other, err := cluster.Seal(cluster.Invitation{Cluster: otherID, Creator: "10.99.0.1:9000", Region: "us-east-1",
			Pools:    []layout.Pool{{Nodes: []layout.Node{{Address: "10.99.0.1:9000", Drives: []string{"/mnt/a"}}, {Address: "10.99.0.2:9000", Drives: []string{"/mnt/a"}}}}},
			RootUser: "quazzar-other", RootPassword: "another-cluster-password"}, passphrase)
		require.NoError(t, err)
		for _, tc := range []struct{ name, token, pass, field, msg string }{
			{"wrong passphrase", token, "not the passphrase", "passphrase", "does not open this join token"},
			{"garbled", token[:len(token)-8] + "AAAAAAAA", passphrase, "passphrase", "or the token was changed"},
			{"not a token", "hello there", passphrase, "token", "not a join token"},
			{"another cluster's token", other, passphrase, "token", "not one of the nodes of cluster " + otherID},
		} {
			res := n4.act(t, "join_cluster", map[string]any{"token": tc.token, "passphrase": tc.pass})
			require.False(t, res.OK, tc.name)
			require.Contains(t, res.Message, tc.msg, tc.name)
			require.Contains(t, res.FieldErrors, tc.field, tc.name)
			require.NotContains(t, res.Message, "another-cluster-password")
		}
		require.Equal(t, before, n4.files(t), "a refused token wrote nothing and left MinIO as it was")
		t.Logf("cluster %s; refusals checked on node 4", id)
	})

	step("join nodes 2 to 4", func(t *testing.T) {
		for _, n := range []*node{n2, n3} {
			res := n.act(t, "join_cluster", map[string]any{"token": token, "passphrase": passphrase})
			require.True(t, res.OK, res.Message)
		}
		n1.waitState(t, "waits for node 4 only", 2*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
			assert.Equal(c, []string{n4.s3()}, st.Topology.WaitingFor)
		})
		// Node 2 belongs to the cluster now: a token of another cluster
		// naming it is refused, and so is joining again.
		before := n2.files(t)
		otherID, err := cluster.NewID()
		require.NoError(t, err)
		other, err := cluster.Seal(cluster.Invitation{Cluster: otherID, Creator: n3.s3(), Region: "us-east-1",
			Pools:    []layout.Pool{{Nodes: []layout.Node{{Address: n2.s3(), Drives: []string{n2.drive}}, {Address: n3.s3(), Drives: []string{n3.drive}}}}},
			RootUser: "quazzar-other", RootPassword: "another-cluster-password"}, passphrase)
		require.NoError(t, err)
		res := n2.act(t, "join_cluster", map[string]any{"token": other, "passphrase": passphrase})
		require.False(t, res.OK)
		require.Contains(t, res.Message, "this token is for cluster "+otherID+", but this node belongs to cluster")
		res = n2.act(t, "join_cluster", map[string]any{"token": token, "passphrase": passphrase})
		require.False(t, res.OK)
		require.Contains(t, res.Message, "already a node")
		require.Equal(t, before, n2.files(t))

		res = n4.act(t, "join_cluster", map[string]any{"token": token, "passphrase": passphrase})
		require.True(t, res.OK, res.Message)
		for _, n := range nodes {
			st := n.waitState(t, "the pool formed", 3*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
				assert.Equal(c, shared.StateRunning, st.Status.State)
				assert.True(c, st.Topology.FromMinIO)
				assert.Len(c, st.Topology.Nodes, clusterNodes)
				for addr, s := range nodeStates(st) {
					assert.Equal(c, shared.NodeOnline, s, "node %s", addr)
				}
			})
			require.Equal(t, 2, st.Topology.Parity)
			require.Equal(t, 1, st.Topology.NodeWriteTolerance)
		}
	})

	var ak, sk string
	want := map[string][]byte{}
	step("bucket and key on node 1, AWS CLI on node 3", func(t *testing.T) {
		res := n1.act(t, "create_bucket", map[string]any{"name": "shared", "visibility": "private"})
		require.True(t, res.OK, res.Message)
		res = n1.act(t, "create_key", map[string]any{"name": "cluster-client"})
		require.True(t, res.OK, res.Message)
		ak, sk = res.AccessKey, res.SecretKey
		require.NoError(t, nw.Check(n3.s3()))
		aws := func(args ...string) string {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			home := t.TempDir()
			cmd := exec.CommandContext(ctx, awsBin, append([]string{"--endpoint-url", "http://" + n3.s3(), "--region", "us-east-1"}, args...)...)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8", "AWS_ACCESS_KEY_ID=" + ak,
				"AWS_SECRET_ACCESS_KEY=" + sk, "AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=",
				"AWS_CONFIG_FILE=" + filepath.Join(home, "c"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "k")}
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "aws %v: %s", args, out)
			return string(out)
		}
		src := filepath.Join(t.TempDir(), "via-node-3")
		body := randomBytes(t, 300<<10)
		require.NoError(t, os.WriteFile(src, body, 0o600))
		aws("s3", "cp", src, "s3://shared/via-node-3")
		want["via-node-3"] = body
		require.Contains(t, aws("s3", "ls", "s3://shared/"), "via-node-3")
		st, ok := n2.stateDoc()
		require.True(t, ok)
		require.True(t, slices.ContainsFunc(st.Buckets, func(b shared.Bucket) bool { return b.Name == "shared" }), "buckets are cluster-wide: node 2's page has it")
	})

	var lostAt time.Time
	step("node 2 stopped under load", func(t *testing.T) {
		require.NoError(t, nw.Check(n1.s3()))
		c, err := minio.New(n1.s3(), &minio.Options{Creds: credentials.NewStaticV4(ak, sk, ""), Region: "us-east-1", MaxRetries: 1})
		require.NoError(t, err)
		ctx := context.Background()
		gets := bench.Load{Op: "GET", Size: 64 << 10, Clients: 2, Bucket: "shared", Duration: 3 * time.Minute, MaxRequests: 20000}
		puts := bench.Load{Op: "PUT", Size: 64 << 10, Clients: 2, Bucket: "shared", Duration: 3 * time.Minute, MaxRequests: 20000}
		require.NoError(t, gets.Prepare(ctx, c))
		loadCtx, stopLoad := context.WithCancel(ctx)
		defer stopLoad()
		results := make(chan bench.Result, 2)
		for _, l := range []bench.Load{gets, puts} {
			go func() { results <- l.Run(loadCtx, c) }()
		}
		time.Sleep(3 * time.Second)
		lostAt = time.Now()
		n2.stop()
		st := n1.waitState(t, "node 2 shows offline", 2*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
			assert.Equal(c, shared.NodeOffline, nodeStates(st)[n2.s3()])
		})
		t.Logf("node 1's page showed node 2 offline %s after node 2 was stopped", time.Since(lostAt).Round(100*time.Millisecond))
		require.Equal(t, shared.StateRunning, st.Status.State, "3 of 4 nodes keep the write quorum")
		for i := range 12 {
			name := fmt.Sprintf("during-outage-%02d", i)
			b := randomBytes(t, 16<<10+i*4096)
			_, err := c.PutObject(ctx, "shared", name, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{})
			require.NoError(t, err, "a write with node 2 down")
			want[name] = b
		}
		time.Sleep(3 * time.Second)
		stopLoad()
		var all bench.Result
		for range 2 {
			all.Add(<-results)
		}
		t.Logf("load through node 1 while node 2 stopped: %d requests, %d failed (first: %v)", all.Requests, all.Failed, all.FirstErr)
		require.Positive(t, all.Requests)
		require.Zero(t, all.Failed, "no request failed: %v", all.FirstErr)
	})

	step("node 2 rejoins and heals", func(t *testing.T) {
		n2.start(t)
		n2.waitState(t, "node 2 runs again", 3*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
			assert.Equal(c, shared.StateRunning, st.Status.State)
		})
		n1.waitState(t, "node 1 sees node 2 online", 2*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
			assert.Equal(c, shared.NodeOnline, nodeStates(st)[n2.s3()])
		})
		healed := time.Now()
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			for name := range want {
				_, err := os.Stat(filepath.Join(n2.drive, "shared", name, "xl.meta"))
				assert.NoError(c, err, "%s not on node 2's drive yet", name)
			}
		}, 4*time.Minute, time.Second, "MinIO heals what node 2 missed")
		t.Logf("node 2's drive had every object %s after it was back (%s after it was stopped)", time.Since(healed).Round(time.Second), time.Since(lostAt).Round(time.Second))
		require.NoError(t, nw.Check(n2.s3()))
		c, err := minio.New(n2.s3(), &minio.Options{Creds: credentials.NewStaticV4(ak, sk, ""), Region: "us-east-1"})
		require.NoError(t, err)
		for name, b := range want {
			o, err := c.GetObject(context.Background(), "shared", name, minio.GetObjectOptions{})
			require.NoError(t, err)
			got, err := io.ReadAll(o)
			o.Close()
			require.NoError(t, err, name)
			require.True(t, bytes.Equal(b, got), "%s came back changed", name)
		}
	})

	// Supervision on a cluster node, as on a node of its own: node 3's
	// MinIO killed is restarted by its add-on, and node 3's add-on upgraded
	// adopts its MinIO (same process). The cluster keeps its quorum with 3
	// of 4 nodes, so no request through node 1 fails during either; during
	// the upgrade MinIO never stops, so none through node 3 fails either.
	// Requests through node 3 while its own MinIO is down do fail: they are
	// counted, by kind and time, not asserted. The upgrade's requests use
	// other objects than the crash's: a request in flight through node 3
	// when its MinIO is killed leaves MinIO's lock on that object held, and
	// a write to it through any node waits until MinIO expires the lock
	// (checked once: a GET cut by the kill made a PUT through node 1 wait
	// more than a minute, when minio-go gave up).
	step("node 3's MinIO killed, then its add-on upgraded, under load", func(t *testing.T) {
		ctx := context.Background()
		require.NoError(t, nw.Check(n1.s3()))
		require.NoError(t, nw.Check(n3.s3()))
		client := func(n *node) *minio.Client {
			c, err := minio.New(n.s3(), &minio.Options{Creds: credentials.NewStaticV4(ak, sk, ""), Region: "us-east-1", MaxRetries: 1})
			require.NoError(t, err)
			return c
		}
		c1, c3 := client(n1), client(n3)
		load := func(op string, size int64, clients int) bench.Load {
			return bench.Load{Op: op, Size: size, Clients: clients, Bucket: "shared", Duration: 2 * time.Minute, MaxRequests: 20000}
		}
		// Node 3's loads use other objects (another size) than node 1's.
		via1 := []bench.Load{load("GET", 64<<10, 2), load("PUT", 64<<10, 2)}
		via3 := []bench.Load{load("GET", 32<<10, 1), load("PUT", 32<<10, 1)}
		require.NoError(t, via1[0].Prepare(ctx, c1))
		require.NoError(t, via3[0].Prepare(ctx, c3))
		var (
			wmu     sync.Mutex
			written = map[string][]byte{}
		)
		put := func(c *minio.Client, name string, size int) error {
			b := make([]byte, size)
			_, _ = rand.Read(b)
			_, err := c.PutObject(ctx, "shared", name, bytes.NewReader(b), int64(len(b)), minio.PutObjectOptions{})
			if err == nil {
				wmu.Lock()
				written[name] = b
				wmu.Unlock()
			}
			return err
		}
		allOnline := func(what string) {
			t.Helper()
			for _, n := range nodes {
				n.waitState(t, what, 2*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
					assert.Equal(c, shared.StateRunning, st.Status.State)
					assert.Len(c, st.Topology.Nodes, clusterNodes)
					for addr, s := range nodeStates(st) {
						assert.Equal(c, shared.NodeOnline, s, "node %s", addr)
					}
				})
			}
		}
		allOnline("every node online before")

		// (a) MinIO killed: the add-on restarts it.
		st0, ok := n3.stateDoc()
		require.True(t, ok)
		crashed := n3.minio(t, minioBin)
		finish1 := loads(ctx, c1, via1...)
		defer finish1()
		finish3 := pacedLoad(ctx, c3, "shared", "paced-crash", 20*time.Millisecond, 2*time.Minute, 6000)
		defer finish3()
		time.Sleep(2 * time.Second)
		killedAt := time.Now()
		require.NoError(t, syscall.Kill(crashed.pid, syscall.SIGKILL))
		for i := range 6 {
			require.NoError(t, put(c1, fmt.Sprintf("node-3-crashed-%02d", i), 16<<10+i*4096), "a write through node 1 with node 3's MinIO killed")
		}
		st := n3.waitState(t, "MinIO restarted by the add-on", 2*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
			assert.Equal(c, shared.StateRunning, st.Status.State)
			assert.NotZero(c, st.Status.PID)
			assert.NotEqual(c, crashed.pid, st.Status.PID)
			assert.Greater(c, st.Status.Restarts, st0.Status.Restarts)
		})
		runningIn := time.Since(killedAt)
		allOnline("every node online after the crash")
		onlineIn := time.Since(killedAt)
		restarted := n3.minio(t, minioBin)
		require.Equal(t, st.Status.PID, restarted.pid)
		require.False(t, st.Status.Adopted)
		// Node 3 takes writes again: a few in a row succeed.
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			for i := range 5 {
				if !assert.NoError(c, put(c3, fmt.Sprintf("node-3-restarted-%02d", i), 4<<10+i*1024)) {
					return
				}
			}
		}, 2*time.Minute, 250*time.Millisecond, "writes through node 3 after its MinIO restarted")
		writableIn := time.Since(killedAt)
		time.Sleep(2 * time.Second)
		r1, r3 := finish1(), finish3()
		t.Logf("MinIO killed on node 3 (pid %d): restarted as pid %d (restarts %d -> %d); after the kill, node 3's page said running in %s, every page every node online in %s, node 3 took 5 writes in a row in %s",
			crashed.pid, restarted.pid, st0.Status.Restarts, st.Status.Restarts, runningIn.Round(100*time.Millisecond), onlineIn.Round(100*time.Millisecond), writableIn.Round(100*time.Millisecond))
		t.Logf("load through node 1 during the crash: %d requests, %d failed (first: %v); %s", r1.Requests, r1.Failed, r1.FirstErr, r1)
		t.Logf("requests through node 3 itself during the crash (one every 20 ms): %d, %d failed: %s", r3.requests, r3.failed, r3.describe(killedAt))
		require.Positive(t, r1.Requests)
		require.Positive(t, r3.requests)
		require.Zero(t, r1.Failed, "no request through node 1 failed while node 3's MinIO was killed: %v", r1.FirstErr)

		// (b) The add-on upgraded with cloudos-dev install on node 3: the
		// new add-on process adopts the MinIO running (same pid and start).
		before := n3.addonInfo(t)
		require.Equal(t, launcher.StateRunning, before.State)
		next := plugintest.Bundle(t, addonPlugin, plugintest.Options{Version: "0.1.1-cluster"})
		finish1 = loads(ctx, c1, via1...)
		defer finish1()
		finish3b := loads(ctx, c3, via3...)
		defer finish3b()
		finish3 = pacedLoad(ctx, c3, "shared", "paced-upgrade", 20*time.Millisecond, 2*time.Minute, 6000)
		defer finish3()
		var (
			wfailed  []error
			stopW    = make(chan struct{})
			writerWG sync.WaitGroup
		)
		writerWG.Go(func() { // named writes through both nodes during the upgrade
			for i := range 400 {
				select {
				case <-stopW:
					return
				case <-time.After(250 * time.Millisecond):
				}
				c, via := c1, 1
				if i%2 == 1 {
					c, via = c3, 3
				}
				name := fmt.Sprintf("node-3-upgrade-via-%d-%03d", via, i)
				if err := put(c, name, 8<<10+i*512); err != nil {
					wmu.Lock()
					wfailed = append(wfailed, fmt.Errorf("%s: %w", name, err))
					wmu.Unlock()
				}
			}
		})
		stopWriter := sync.OnceFunc(func() { close(stopW); writerWG.Wait() })
		defer stopWriter()
		time.Sleep(2 * time.Second)
		upgradeAt := time.Now()
		out, err := n3.install(t, dev, next)
		installTook := time.Since(upgradeAt)
		require.NoError(t, err, "cloudos-dev install: %s", out)
		require.Contains(t, out, "is installed")
		after := n3.addonInfo(t)
		require.Equal(t, "0.1.1-cluster", after.Version)
		require.Equal(t, launcher.StateRunning, after.State)
		require.NotEqual(t, before.PID, after.PID, "a new add-on process")
		st = n3.waitState(t, "MinIO adopted by the new add-on", 2*time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
			assert.Equal(c, shared.StateRunning, st.Status.State)
			assert.True(c, st.Status.Adopted)
			assert.Equal(c, restarted.pid, st.Status.PID)
		})
		adoptedIn := time.Since(upgradeAt)
		require.Equal(t, restarted, n3.minio(t, minioBin), "the same MinIO process (pid and start time)")
		allOnline("every node online after the upgrade")
		time.Sleep(2 * time.Second)
		stopWriter()
		r1, r3b, p3 := finish1(), finish3b(), finish3()
		t.Logf("node 3's add-on upgraded %s -> %s with cloudos-dev install: add-on pid %d -> %d, install answered in %s; MinIO pid %d adopted, its page running again %s after the install began",
			before.Version, after.Version, before.PID, after.PID, installTook.Round(100*time.Millisecond), st.Status.PID, adoptedIn.Round(100*time.Millisecond))
		t.Logf("load through node 1 during the upgrade: %d requests, %d failed (first: %v); %s", r1.Requests, r1.Failed, r1.FirstErr, r1)
		t.Logf("load through node 3 during the upgrade: %d requests, %d failed (first: %v); %s; paced: %d requests, %d failed: %s",
			r3b.Requests, r3b.Failed, r3b.FirstErr, r3b, p3.requests, p3.failed, p3.describe(upgradeAt))
		require.Positive(t, r1.Requests)
		require.Positive(t, r3b.Requests)
		require.Zero(t, r1.Failed, "no request through node 1 failed during node 3's upgrade: %v", r1.FirstErr)
		require.Zero(t, r3b.Failed, "no request through node 3 failed during its add-on's upgrade (MinIO never stopped): %v", r3b.FirstErr)
		require.Zero(t, p3.failed, "no request through node 3 failed during its add-on's upgrade: %s (from the install)", p3.describe(upgradeAt))
		require.Empty(t, wfailed, "writes during the upgrade")

		// What was written during the step reads back through both nodes.
		for _, c := range []*minio.Client{c1, c3} {
			for name, b := range written {
				o, err := c.GetObject(ctx, "shared", name, minio.GetObjectOptions{})
				require.NoError(t, err)
				got, err := io.ReadAll(o)
				o.Close()
				require.NoError(t, err, name)
				require.True(t, bytes.Equal(b, got), "%s came back changed", name)
			}
		}
		t.Logf("%d objects written during the step read back through nodes 1 and 3", len(written))
	})

	step("each node counts the key use it answered", func(t *testing.T) {
		// MinIO's audit webhook is one setting of the whole cluster; every
		// node's add-on listens where it points, node 3's new add-on too.
		keyUse := func(st addon.StateDocument) uint64 {
			for _, k := range st.Keys {
				if k.AccessKey == ak {
					return k.Requests24h
				}
			}
			return 0
		}
		before := map[*node]uint64{}
		for _, n := range nodes {
			st := n.waitState(t, fmt.Sprintf("node %d tracks last use", n.i), time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
				assert.True(c, st.Tracking, "not tracked: %s", st.TrackingProblem)
			})
			before[n] = keyUse(st)
		}
		const gets = 15
		for _, n := range nodes {
			require.NoError(t, nw.Check(n.s3()))
			c, err := minio.New(n.s3(), &minio.Options{Creds: credentials.NewStaticV4(ak, sk, ""), Region: "us-east-1"})
			require.NoError(t, err)
			for range gets {
				_, err := c.StatObject(context.Background(), "shared", "during-outage-00", minio.StatObjectOptions{})
				require.NoError(t, err)
			}
		}
		for _, n := range nodes {
			n.waitState(t, fmt.Sprintf("node %d counts the requests it answered", n.i), time.Minute, func(c *assert.CollectT, st addon.StateDocument) {
				assert.GreaterOrEqual(c, keyUse(st), before[n]+gets, "audit endpoint: %+v", st.Audit)
			})
		}
	})
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

// awsCLI is Debian's AWS CLI (the image's pip aws may come first on $PATH).
func awsCLI(t *testing.T) string {
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	return testkit.Require(t, "aws")
}
