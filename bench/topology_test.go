package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/minio/minio-go/v7"
	"golang.org/x/sys/unix"

	"github.com/quazzar/object-storage/internal/netnstest"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/cluster"
	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/supervisor"
)

// Sizes and bounds of the topology table. Every loop stops at its count
// or its time bound, whichever comes first; the whole table takes about
// five minutes on 2 cores.
const (
	topoClients  = 8
	topoSize     = 1 << 20
	topoDuration = 15 * time.Second // each load on each layout
	topoMaxReqs  = 2500             // each load on each layout
	topoBucket   = "topology"
	// The heal row: fillCount objects of fillSize, 2 GiB, which at EC:2
	// on 4 drives is 1 GiB on each drive.
	healBucket = "heal"
	fillCount  = 512
	fillSize   = 4 << 20
	fillBound  = 4 * time.Minute
	healPoll   = 500 * time.Millisecond
	healBound  = 10 * time.Minute
	// Sizes of the tmpfs drives. MinIO moves an overwritten object's
	// data to its trash (.minio.sys/tmp/.trash) and did not empty it
	// within the run (seen: 3.4 GiB on the drive after 3,401 PUTs of
	// the 8 objects), so a drive holds every byte a PUT load sends:
	// topoMaxReqs MiB on (a), half that on each drive of (b) and (c),
	// plus (b)'s 1 GiB of the heal row. tmpfs takes memory only for
	// what it holds, and each layout's drives are unmounted after it.
	loadDrive = "4g"
	healDrive = "3g" // each drive of layout (b)
	// clusterPort is MinIO's S3 port on each node of layout (c).
	clusterPort = 9000
)

// BenchmarkTopology measures S3 throughput of MinIO started by the
// add-on's supervisor on three drive layouts (1 drive; 4 drives on one
// node; 4 nodes of one drive each, in network namespaces), and the time
// MinIO takes to heal a replaced drive holding 1 GiB. It writes its table
// to results-topology.md. It needs root (tmpfs drives, namespaces) and
// MinIO; run it with -benchtime 1x.
func BenchmarkTopology(b *testing.B) {
	if os.Geteuid() != 0 {
		testkit.Missing(b, "BenchmarkTopology needs root: its drives are tmpfs mounts and its cluster nodes network namespaces")
	}
	minioBin := testkit.Require(b, "minio")
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	began := time.Now()
	load := loadAvg()
	tmp := b.TempDir()

	put := Load{Op: "PUT", Size: topoSize, Clients: topoClients, Bucket: topoBucket, Duration: topoDuration, MaxRequests: topoMaxReqs}
	get := put
	get.Op = "GET"
	type figures struct {
		put, get Result
		used     uint64 // bytes on the most used drive after the PUT load
	}
	measure := func(d *deployment) figures {
		var f figures
		for _, l := range []Load{put, get} {
			d.check(b)
			if err := l.Prepare(ctx, d.s3); err != nil {
				d.fatal(b, "prepare the %s load: %v", l.Op, err)
			}
			r := l.Run(ctx, d.s3)
			if l.Op == "PUT" {
				f.put = r
				for _, dr := range d.drives {
					f.used = max(f.used, usedBytes(b, dr))
				}
			} else {
				f.get = r
			}
		}
		return f
	}

	// (a) one drive.
	one := startLocal(b, ctx, tmp, "one-drive", minioBin, []string{testkit.MountTmpfs(b, loadDrive)})
	fa := measure(one)
	one.stop(b)

	// (b) four drives on one node: first the heal of one of them (on
	// drives that hold the fill only), then the loads.
	var drives []string
	for range 4 {
		drives = append(drives, testkit.MountTmpfs(b, healDrive))
	}
	four := startLocal(b, ctx, tmp, "four-drives", minioBin, drives)
	erasure := four.backend(b, ctx)
	heal := four.healRow(b, ctx, 1)
	fb := measure(four)
	four.stop(b)

	// (c) four nodes of one drive each.
	nodes := startCluster(b, ctx, tmp, minioBin, 4)
	clustered := nodes.backend(b, ctx)
	fc := measure(nodes)
	nodes.stop(b)

	row := func(id, op, layoutName string, r, base Result, isBase bool, used uint64) Row {
		fig := fmt.Sprintf("S3 %s 1 MiB, %d clients, %s: MB/s, latency median / p99 (%d requests, %d failed%s)",
			op, topoClients, layoutName, r.Requests, r.Failed, firstErr(r))
		if used > 0 {
			fig += fmt.Sprintf("; a drive's used space after it: %d MiB", used>>20)
		}
		row := Row{ID: id, Figure: fig, Ours: r.String()}
		if !isBase {
			row.Alt = "(a) 1 drive: " + base.String()
			row.Ratio = Ratio(r.MBps(), base.MBps())
		}
		return row
	}
	nameB := fmt.Sprintf("(b) 4 drives on one node (%s)", erasure)
	nameC := fmt.Sprintf("(c) 4 nodes of 1 drive each (%s)", clustered)
	rows := []Row{
		row("1a", "PUT", "(a) 1 drive", fa.put, fa.put, true, fa.used),
		row("1b", "PUT", nameB, fb.put, fa.put, false, fb.used),
		row("1c", "PUT", nameC, fc.put, fa.put, false, fc.used),
		row("2a", "GET", "(a) 1 drive", fa.get, fa.get, true, 0),
		row("2b", "GET", nameB, fb.get, fa.get, false, 0),
		row("2c", "GET", nameC, fc.get, fa.get, false, 0),
		heal,
	}
	for _, m := range []struct {
		r    Result
		unit string
	}{
		{fa.put, "put-1drive-MB/s"}, {fb.put, "put-4drives-MB/s"}, {fc.put, "put-4nodes-MB/s"},
		{fa.get, "get-1drive-MB/s"}, {fb.get, "get-4drives-MB/s"}, {fc.get, "get-4nodes-MB/s"},
	} {
		b.ReportMetric(m.r.MBps(), m.unit)
	}

	t := Table{
		Title: "`make bench`: MinIO's drive layouts (BenchmarkTopology)",
		Header: []string{
			fmt.Sprintf("date: %s", began.UTC().Format("2006-01-02 15:04 UTC")),
			fmt.Sprintf("machine: %d cores, %s; load average %s at the start, %s at the end (the cores are shared with other work)", runtime.NumCPU(), cpuModel(), load, loadAvg()),
			fmt.Sprintf("versions: %s; MinIO %s", runtime.Version(), firstLine(minioBin, "--version")),
			fmt.Sprintf("run time: %s", time.Since(began).Round(time.Second)),
		},
		Rows: rows,
		Notes: []string{
			"Every MinIO is started by the add-on's own supervisor (package plugin/supervisor: `supervisor.New(settings, log).Start`), so its command line, environment, env file and layout record are the add-on's. (a) and (b): settings with `data_dir`, or `data_dirs` of 4 drives, the layout recorded by the supervisor at the first start (one pool). (c): a network namespace per node (internal/netnstest: a bridge, a veth pair each, addresses of a private /24), each node with its own state folder, env file (the same root credentials on every node) and the layout record a cluster's node has (cluster id, this node's address, one pool of the 4 nodes); each node's `Start` is called on an OS thread that has entered the node's namespace, so the supervisor launches that node's MinIO inside it (`server --address <node>:9000 --console-address 127.0.0.1:9001 --certs-dir … http://<node1>:9000/<drive> … http://<node4>:9000/<drive>`, `MINIO_CONFIG_ENV_FILE=/proc/self/cwd/minio-cluster.env`), and watches it from the benchmark's namespace over the bridge.",
			"Drives are tmpfs mounts (MinIO refuses several drives on the root filesystem; no MINIO_CI_CD), so the figures are MinIO's CPU and network path, not a disk's. All MinIOs and the benchmark's clients share the machine's cores: in (c) the 4 MinIOs, the erasure coding and the traffic between nodes (over the veth bridge) all run on them.",
			fmt.Sprintf("S3 rows: %d clients in parallel over keep-alive HTTP/1.1 connections (minio-go, PUT with UNSIGNED-PAYLOAD, single-part), one run of %s or %d requests per load and layout, whichever comes first, the layouts one after the other (not interleaved: rows of different layouts saw whatever else the machine did at that moment); each PUT client overwrites its own object, each GET client reads its own. In (c) every client talks to node 1, as a client of one node's domain does; node 1 spreads the shards over the nodes. The ratio is the layout's MB/s over (a)'s. A failed request is counted, not fatal. A drive's used space after the PUT load is the most used drive's: MinIO moves an overwritten object's data to `.minio.sys/tmp/.trash` and did not empty it within the run, so a drive holds about every byte the load sent it (on (b) also the heal row's 1 GiB).", topoClients, topoDuration, topoMaxReqs),
			fmt.Sprintf("Row 3: on layout (b), before its loads, %d objects of %d MiB written by %d clients (1 GiB on each drive at EC:2; the fill's throughput is in the row), then one drive is pulled (lazy unmount) and a new empty tmpfs mounted at the same path at once; the time runs from that mount until every object's `xl.meta` is on the new drive (stat every %s, at most %s) and the admin API's server info shows every drive `ok` and none healing. MinIO finds the new drive by itself (no heal call): the time includes its detection. MB/s is the bytes on the new drive (its filesystem's used space at the end) over that time.", fillCount, fillSize>>20, topoClients, healPoll, healBound),
		},
	}
	md := t.Markdown()
	if err := os.WriteFile(filepath.Join(testkit.ModuleRoot(), "bench", "results-topology.md"), []byte(md), 0o644); err != nil {
		b.Fatal(err)
	}
	fmt.Print("\n" + md + "\n")
	b.ReportMetric(0, "ns/op") // one op is the whole table: not a useful figure
}

// firstErr is ", first error: …" for a load with failures.
func firstErr(r Result) string {
	if r.FirstErr == nil {
		return ""
	}
	msg := r.FirstErr.Error()
	if len(msg) > 160 {
		msg = msg[:160] + "…"
	}
	return "; first error: " + msg
}

// deployment is one MinIO deployment of the table: the supervisors of its
// nodes (one, or one per node), and clients of the S3 address the load
// goes to.
type deployment struct {
	name     string
	drives   []string // this machine's drives of the deployment
	sups     []*supervisor.Supervisor
	logs     []string // the supervisors' own logs
	endpoint string
	// check is called before each load: the endpoint is still one the
	// benchmark may send traffic to.
	checkAddr func() error
	creds     envfile.Credentials
	s3        *minio.Client
	admin     *minioadmin.Client
}

// supervised makes a supervisor for set, logging to a file beside its
// state folder; it is stopped when the benchmark ends.
func supervised(b *testing.B, set settings.Settings) (*supervisor.Supervisor, string) {
	b.Helper()
	logPath := filepath.Join(filepath.Dir(set.StateDir), "supervisor.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
		b.Fatal(err)
	}
	logf, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	sup := supervisor.New(set, hclog.New(&hclog.LoggerOptions{Name: "bench", Output: logf, Level: hclog.Info}))
	b.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := sup.Stop(sctx); err != nil {
			b.Logf("stop MinIO of %s: %v", set.StateDir, err)
		}
		_ = logf.Close()
	})
	return sup, logPath
}

// startLocal starts MinIO through the supervisor on drives, on a node of
// its own (loopback addresses).
func startLocal(b *testing.B, ctx context.Context, tmp, name, minioBin string, drives []string) *deployment {
	b.Helper()
	set, err := settings.UnderFolder(filepath.Join(tmp, name))
	if err != nil {
		b.Fatal(err)
	}
	set.MinIOBinary = minioBin
	set.S3Address, set.ConsoleAddress = testkit.FreeAddr(b), testkit.FreeAddr(b)
	set = set.WithDrives(drives)
	sup, logPath := supervised(b, set)
	d := &deployment{name: name, drives: drives, sups: []*supervisor.Supervisor{sup}, logs: []string{logPath}, endpoint: set.S3Address,
		checkAddr: func() error { return nil }} // loopback
	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := sup.Start(sctx); err != nil {
		d.fatal(b, "start MinIO on %s: %v", strings.Join(drives, ", "), err)
	}
	d.clients(b)
	return d
}

// startCluster starts n nodes, each a network namespace with one tmpfs
// drive and its own supervisor, as n nodes that joined one cluster.
func startCluster(b *testing.B, ctx context.Context, tmp, minioBin string, n int) *deployment {
	b.Helper()
	nw := netnstest.New(b, n)
	id, err := cluster.NewID()
	if err != nil {
		b.Fatal(err)
	}
	creds, err := envfile.Generate()
	if err != nil {
		b.Fatal(err)
	}
	pool := layout.Pool{}
	var drives []string
	sets := make([]settings.Settings, n)
	for i := range n {
		addr := nw.Node(i + 1).HostPort(clusterPort) // checked: an address of the test's namespaces
		drive := testkit.MountTmpfs(b, loadDrive)
		pool.Nodes = append(pool.Nodes, layout.Node{Address: addr, Drives: []string{drive}})
		drives = append(drives, drive)
		set, err := settings.UnderFolder(filepath.Join(tmp, fmt.Sprintf("node%d", i+1)))
		if err != nil {
			b.Fatal(err)
		}
		set.MinIOBinary, set.S3Address, set.ConsoleAddress = minioBin, addr, "127.0.0.1:9001"
		sets[i] = set.WithDrives([]string{drive})
	}
	d := &deployment{name: "cluster", drives: drives, endpoint: pool.Nodes[0].Address, creds: creds,
		checkAddr: func() error { return nw.Check(pool.Nodes[0].Address) }}
	for i, set := range sets {
		// What joining writes on a node: the cluster's root credentials
		// in its env file, and the cluster's layout with this node's
		// address.
		if err := envfile.Write(set.EnvFile, creds); err != nil {
			b.Fatal(err)
		}
		if err := os.MkdirAll(set.StateDir, 0o700); err != nil {
			b.Fatal(err)
		}
		lay := layout.Layout{Cluster: id, Self: pool.Nodes[i].Address, Pools: []layout.Pool{pool}}
		if err := layout.Write(set.StateDir, lay); err != nil {
			b.Fatal(err)
		}
		sup, logPath := supervised(b, set)
		d.sups, d.logs = append(d.sups, sup), append(d.logs, logPath)
	}
	// A cluster's MinIO is ready once every node runs: the starts wait for
	// each other.
	sctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, sup := range d.sups {
		wg.Go(func() {
			errs[i] = inNamespace(nw.Node(i+1).Name, func() error { return sup.Start(sctx) })
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		d.fatal(b, "start the cluster's MinIOs: %v", err)
	}
	for i, sup := range d.sups {
		if got := sup.Credentials(); got != creds {
			b.Fatalf("node %d's supervisor reads other root credentials than the cluster's", i+1)
		}
	}
	d.check(b)
	d.clients(b)
	return d
}

// inNamespace runs f on an OS thread that has entered the network
// namespace ns (ip netns): a process the thread starts is a process of
// that namespace, and a socket it opens one of that namespace. The thread
// goes back to its own namespace afterwards; one that cannot is ended with
// its goroutine (it stays locked).
func inNamespace(ns string, f func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		home, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer home.Close()
		target, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("enter namespace %s: %w", ns, err)
			return
		}
		err = f()
		if unix.Setns(int(home.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		done <- err
	}()
	return <-done
}

// clients makes the root S3 and admin clients of the deployment's
// endpoint.
func (d *deployment) clients(b *testing.B) {
	b.Helper()
	if d.creds == (envfile.Credentials{}) {
		d.creds = d.sups[0].Credentials()
	}
	d.s3 = s3Client(b, d.endpoint, d.creds, false, nil)
	var err error
	d.admin, err = minioadmin.New(minioadmin.Config{Endpoint: d.endpoint, AccessKey: d.creds.User, SecretKey: d.creds.Password})
	if err != nil {
		b.Fatal(err)
	}
}

// check ends the benchmark if the endpoint may not be sent traffic.
func (d *deployment) check(b *testing.B) {
	b.Helper()
	if err := d.checkAddr(); err != nil {
		b.Fatalf("%s: %v", d.name, err)
	}
}

// fatal ends the benchmark with the end of the deployment's logs.
func (d *deployment) fatal(b *testing.B, format string, args ...any) {
	b.Helper()
	var logs []string
	for i, sup := range d.sups {
		logs = append(logs, fmt.Sprintf("%s, supervisor %d:\n%s\nMinIO:\n%s", d.name, i+1, readTail(d.logs[i]), readTail(sup.LogFile())))
	}
	b.Fatalf("%s: %s\n%s", d.name, fmt.Sprintf(format, args...), strings.Join(logs, "\n"))
}

// stop stops the deployment's MinIOs now, so that the next layout has the
// cores to itself (the cleanup stops them again, harmlessly), and
// unmounts its drives, handing their memory back.
func (d *deployment) stop(b *testing.B) {
	b.Helper()
	var wg sync.WaitGroup
	for _, sup := range d.sups {
		wg.Go(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := sup.Stop(sctx); err != nil {
				b.Errorf("stop %s: %v", d.name, err)
			}
		})
	}
	wg.Wait()
	for _, dr := range d.drives {
		testkit.Unmount(b, dr)
	}
}

// backend checks that MinIO runs the layout it was given: one erasure
// set of 4 drives, all online, parity 2; it returns it in words.
func (d *deployment) backend(b *testing.B, ctx context.Context) string {
	b.Helper()
	d.check(b)
	var info minioadmin.ServerInfo
	deadline := time.Now().Add(time.Minute)
	for {
		var err error
		info, err = d.admin.ServerInfo(ctx)
		if err == nil && info.Backend.OnlineDrives == 4 {
			break
		}
		if time.Now().After(deadline) {
			d.fatal(b, "MinIO does not report 4 drives online within a minute: %+v, %v", info.Backend, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	be := info.Backend
	if be.StandardParity != 2 || len(be.Sets) != 1 || be.Sets[0] != 1 || len(be.DrivesPerSet) != 1 || be.DrivesPerSet[0] != 4 {
		d.fatal(b, "MinIO runs another layout than one erasure set of 4 drives at parity 2: %+v", be)
	}
	servers := "1 MinIO server"
	if n := len(info.Servers); n != 1 {
		servers = fmt.Sprintf("%d MinIO servers", n)
	}
	return fmt.Sprintf("one erasure set, EC:%d, %s", be.StandardParity, servers)
}

// healRow fills the deployment until each drive holds about 1 GiB,
// replaces drive i with a new empty one and times MinIO's heal of it.
func (d *deployment) healRow(b *testing.B, ctx context.Context, i int) Row {
	b.Helper()
	if err := d.s3.MakeBucket(ctx, healBucket, minio.MakeBucketOptions{}); err != nil {
		d.fatal(b, "make bucket %s: %v", healBucket, err)
	}
	fill := d.fill(b, ctx)
	names := map[string][]string{}
	for _, bucket := range []string{healBucket} {
		for o := range d.s3.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err != nil {
				d.fatal(b, "list %s: %v", bucket, o.Err)
			}
			names[bucket] = append(names[bucket], o.Key)
		}
	}
	if len(names[healBucket]) != fillCount {
		d.fatal(b, "%d objects listed in %s, %d written", len(names[healBucket]), healBucket, fillCount)
	}
	objects := len(names[healBucket])
	drive := d.drives[i]
	before := usedBytes(b, drive)

	// The drive pulled out, a new empty one in its place.
	testkit.Unmount(b, drive)
	testkit.MountTmpfsAt(b, drive, healDrive)
	mounted := time.Now()
	var (
		seenHealing, allMeta time.Duration // from the mount; 0 until seen
		missing              int
		lastInfo             string
		lastErr              error
	)
	deadline := mounted.Add(healBound)
	for {
		missing = 0
		for bucket, keys := range names {
			for _, k := range keys {
				if _, err := os.Stat(filepath.Join(drive, bucket, k, "xl.meta")); err != nil {
					missing++
				}
			}
		}
		if missing == 0 && allMeta == 0 {
			allMeta = time.Since(mounted)
		}
		d.check(b)
		healing, ok := false, true
		info, err := d.admin.ServerInfo(ctx)
		if err != nil {
			lastErr, ok = err, false
		} else {
			var states []string
			for _, s := range info.Servers {
				for _, dr := range s.Drives {
					healing = healing || dr.Healing
					ok = ok && dr.State == "ok"
					states = append(states, fmt.Sprintf("%s %s healing=%v", dr.Path, dr.State, dr.Healing))
				}
			}
			lastInfo = strings.Join(states, "; ")
		}
		if healing && seenHealing == 0 {
			seenHealing = time.Since(mounted)
		}
		if missing == 0 && ok && !healing {
			break
		}
		if time.Now().After(deadline) {
			d.fatal(b, "drive %s not healed within %s: %d of %d objects' xl.meta missing; drives: %s; last server info error: %v",
				drive, healBound, missing, objects, lastInfo, lastErr)
		}
		time.Sleep(healPoll)
	}
	took := time.Since(mounted)
	after := usedBytes(b, drive)
	mbps := float64(after) / 1e6 / took.Seconds()
	b.ReportMetric(took.Seconds(), "heal-s")
	b.ReportMetric(mbps, "heal-MB/s")
	healingSeen := "never seen healing in the server info (polled every 500 ms)"
	if seenHealing > 0 {
		healingSeen = fmt.Sprintf("server info showed it healing %s after the mount", seenHealing.Round(100*time.Millisecond))
	}
	return Row{
		ID: "3",
		Figure: fmt.Sprintf("heal of a replaced drive of layout (b) holding %.2f GiB (%d objects; the fill: %d PUTs of %d MiB by %d clients, %s, %d failed); %s; every xl.meta back %s after the mount",
			float64(before)/(1<<30), objects, fill.Requests, fillSize>>20, topoClients, fill.String(), fill.Failed, healingSeen, allMeta.Round(100*time.Millisecond)),
		Ours: fmt.Sprintf("%s from the new mount to healed, %.1f MB/s (%.2f GiB on the new drive)", took.Round(100*time.Millisecond), mbps, float64(after)/(1<<30)),
	}
}

// fill writes fillCount distinct objects of fillSize to the heal bucket
// with topoClients clients; a failed PUT ends the benchmark.
func (d *deployment) fill(b *testing.B, ctx context.Context) Result {
	b.Helper()
	d.check(b)
	ctx, cancel := context.WithTimeout(ctx, fillBound)
	defer cancel()
	p := make([]byte, fillSize)
	_, _ = rand.Read(p)
	var (
		mu   sync.Mutex
		next int
		res  Result
		wg   sync.WaitGroup
	)
	start := time.Now()
	for range topoClients {
		wg.Go(func() {
			for {
				mu.Lock()
				n := next
				next++
				mu.Unlock()
				if n >= fillCount || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				_, err := d.s3.PutObject(ctx, healBucket, fmt.Sprintf("fill/%04d", n), bytes.NewReader(p), fillSize, putOptions)
				dur := time.Since(t0)
				mu.Lock()
				res.record(fillSize, dur, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	if res.Failed > 0 || res.Requests < fillCount {
		d.fatal(b, "fill: %d of %d PUTs sent within %s, %d failed: %v", res.Requests, fillCount, fillBound, res.Failed, res.FirstErr)
	}
	return res
}

// usedBytes is the used space of the filesystem at dir.
func usedBytes(b *testing.B, dir string) uint64 {
	b.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		b.Fatalf("statfs %s: %v", dir, err)
	}
	return (st.Blocks - st.Bfree) * uint64(st.Bsize)
}
