package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/quazzar/object-storage/plugin/auditlog"
	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/lastused"
	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/miniotest"
)

// Bounds of the audit webhook benchmark.
const (
	auditRounds = 36 // six cycles of BalancedOrder(3, …)
	auditSlice  = 400 * time.Millisecond
	// auditSettle follows each switch of the webhook: the switch is an
	// encrypted admin call (argon2id in MinIO), not part of the load.
	auditSettle = 300 * time.Millisecond
)

// BenchmarkAuditWebhookOverhead measures S3 GET throughput with MinIO's
// audit webhook posting to the add-on's endpoint (as the add-on configures
// it: batches of 100, a queue of 10,000) as a ratio to the same MinIO with
// the webhook off, in one run: each round runs on, off and off again (the
// order rotating each round), and the ratio is the median of the
// per-round ratios; off again against off says how closely the rounds
// tell two equal states apart. The goal is ≥ 0.95. On shared cores the per-round throughput
// swings with the neighbours' load, so it also reports MinIO's CPU time
// per request either way, which the neighbours sway less.
func BenchmarkAuditWebhookOverhead(b *testing.B) {
	s := miniotest.Start(b)
	ctx := context.Background()
	admin, recv := auditReceiver(b, minioadmin.Config{Endpoint: s.Address, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Region: s.Region})
	c, err := minio.New(s.Address, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: s.Region})
	if err != nil {
		b.Fatal(err)
	}
	set := func(on bool) {
		line := auditlog.OffLine()
		if on {
			line = recv.ConfigLine()
		}
		live, err := admin.SetConfigKV(ctx, line)
		if err != nil || !live {
			b.Fatalf("audit webhook on=%v: live %v, %v", on, live, err)
		}
	}
	for _, size := range []int64{64 << 10, 1 << 20} {
		l := Load{Op: "GET", Size: size, Clients: s3Clients, Bucket: "audit-bench", Duration: auditSlice}
		if err := l.Prepare(ctx, c); err != nil {
			b.Fatal(err)
		}
		var on, off, off2 []Result
		var allOn, allOff Result
		var cpuOn, cpuOff time.Duration
		before := recv.Stats().Entries
		// Each round runs on, off and off again, in a balanced order (each
		// state follows each other one equally often, so what a run with
		// the webhook on leaves behind falls as often on off as on off
		// again): off again against off is what the rounds cannot tell
		// apart.
		const stOn, stOff, stOff2 = 0, 1, 2
		for round := range auditRounds {
			for _, state := range BalancedOrder(3, round) {
				set(state == stOn)
				time.Sleep(auditSettle)
				cpu0 := mustCPU(b, s.Cmd.Process.Pid)
				r := l.Run(ctx, c)
				cpu := mustCPU(b, s.Cmd.Process.Pid) - cpu0
				if r.Failed > 0 {
					b.Fatalf("GET %s failed %d times: %v", sizeName(size), r.Failed, r.FirstErr)
				}
				switch state {
				case stOn:
					on, allOn, cpuOn = append(on, r), add(allOn, r), cpuOn+cpu
				case stOff:
					off, allOff, cpuOff = append(off, r), add(allOff, r), cpuOff+cpu
				default:
					off2 = append(off2, r)
				}
			}
		}
		set(true)
		time.Sleep(2 * time.Second) // the last batches
		ratio := pairedRatio(on, off)
		perOn, perOff := cpuOn/time.Duration(max(allOn.Requests, 1)), cpuOff/time.Duration(max(allOff.Requests, 1))
		fmt.Printf("audit webhook, S3 GET %s, %d clients, %d rounds of %s: on %s, off %s: on/off %.3f (goal ≥ 0.95; off again/off %.3f); MinIO CPU per request on %s, off %s (%.2f×); %d of %d requests' audit entries received\n",
			sizeName(size), s3Clients, auditRounds, auditSlice, allOn, allOff, ratio, pairedRatio(off2, off), perOn.Round(time.Microsecond), perOff.Round(time.Microsecond),
			float64(perOn)/float64(max(perOff, 1)), recv.Stats().Entries-before, allOn.Requests)
		b.ReportMetric(float64(perOn)/float64(max(perOff, 1)), "cpu-on/off-GET-"+strings.ReplaceAll(sizeName(size), " ", ""))
		b.ReportMetric(ratio, "on/off-GET-"+strings.ReplaceAll(sizeName(size), " ", ""))
		b.ReportMetric(pairedRatio(off2, off), "offagain/off-GET-"+strings.ReplaceAll(sizeName(size), " ", ""))
	}
	b.ReportMetric(0, "ns/op")
}

// auditReceiver returns an admin client of a MinIO and a receiver of its
// audit log that keeps last use as the add-on does, closed when the
// benchmark ends; recv.ConfigLine() is the webhook the add-on sets.
func auditReceiver(b *testing.B, cfg minioadmin.Config) (*minioadmin.Client, *auditlog.Receiver) {
	b.Helper()
	admin, err := minioadmin.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	table := lastused.New(0)
	recv, err := auditlog.Start(func(evs []lastused.Event) { table.Record(evs...) }, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = recv.Close() })
	return admin, recv
}

// auditWebhook gives the MinIO at addr the audit webhook the add-on gives
// its own (auditlog's target, batch and queue), posting to a receiver of
// the benchmark's.
func auditWebhook(b *testing.B, ctx context.Context, addr string, creds envfile.Credentials) {
	b.Helper()
	admin, recv := auditReceiver(b, minioadmin.Config{Endpoint: addr, AccessKey: creds.User, SecretKey: creds.Password, Region: "us-east-1"})
	live, err := admin.SetConfigKV(ctx, recv.ConfigLine())
	if err != nil || !live {
		b.Fatalf("audit webhook of the audited bare MinIO: live %v, %v", live, err)
	}
}

func add(a, b Result) Result {
	a.Add(b)
	return a
}
