package supervisor

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/internal/testkit"
)

// residentMemory returns VmRSS of the current process in bytes.
func residentMemory() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/self/status")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// BenchmarkColdStart measures Start until /minio/health/cluster answers
// 200, on a fresh data dir each time (first boot: credentials generated,
// MinIO formats its drive).
func BenchmarkColdStart(b *testing.B) {
	bin := testkit.Require(b, "minio")
	const reps = 3
	var times []time.Duration
	for range b.N {
		for range reps {
			set := testSettings(b, bin)
			sup := New(set, hclog.NewNullLogger())
			t0 := time.Now()
			if err := sup.Start(context.Background()); err != nil {
				b.Fatalf("start: %v", err)
			}
			times = append(times, time.Since(t0))
			stopAll(sup)
		}
	}
	b.ReportMetric(ms(quantile(times, 0.5)), "ms-to-ready-median")
	b.ReportMetric(ms(quantile(times, 1)), "ms-to-ready-max")
}

// BenchmarkAdopt measures Start when a MinIO recorded in the state file is
// still running (warm: a new supervisor after Detach), until it is adopted
// and answers.
func BenchmarkAdopt(b *testing.B) {
	bin := testkit.Require(b, "minio")
	set := testSettings(b, bin)
	first := New(set, hclog.NewNullLogger())
	if err := first.Start(context.Background()); err != nil {
		b.Fatalf("start: %v", err)
	}
	pid := first.Status().PID
	first.Detach()
	b.Cleanup(func() { killRecorded(set.StateDir) })
	const reps = 20
	var times []time.Duration
	for range b.N {
		for range reps {
			sup := New(set, hclog.NewNullLogger())
			t0 := time.Now()
			if err := sup.Start(context.Background()); err != nil {
				b.Fatalf("adopt: %v", err)
			}
			times = append(times, time.Since(t0))
			if st := sup.Status(); !st.Adopted || st.PID != pid {
				b.Fatalf("not adopted: %+v", st)
			}
			sup.Detach()
		}
	}
	last := New(set, hclog.NewNullLogger())
	if err := last.Start(context.Background()); err == nil {
		stopAll(last)
	}
	b.ReportMetric(ms(quantile(times, 0.5)), "ms-to-adopted-median")
	b.ReportMetric(ms(quantile(times, 0.99)), "ms-to-adopted-p99")
}

// BenchmarkSupervisorRSS runs a supervisor alone in a child process (the
// test binary as TestHelperSupervisor, as the add-on would) and reports its
// resident memory once MinIO runs.
func BenchmarkSupervisorRSS(b *testing.B) {
	bin := testkit.Require(b, "minio")
	for range b.N {
		set := testSettings(b, bin)
		raw, err := json.Marshal(set)
		if err != nil {
			b.Fatal(err)
		}
		helper := exec.Command(os.Args[0], "-test.run=^TestHelperSupervisor$")
		helper.Env = append(os.Environ(), "SUPERVISOR_TEST_HELPER_SETTINGS="+string(raw))
		helper.Stderr = io.Discard
		out, err := helper.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := helper.Start(); err != nil {
			b.Fatal(err)
		}
		var rss int64
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, err := fmt.Sscanf(sc.Text(), "RSS %d", &rss); err == nil {
				break
			}
		}
		_ = helper.Process.Signal(syscall.SIGKILL)
		_ = helper.Wait()
		sup := New(set, hclog.NewNullLogger())
		if err := sup.Start(context.Background()); err == nil {
			stopAll(sup)
		}
		killRecorded(set.StateDir)
		if rss == 0 {
			b.Fatal("helper did not report its resident memory")
		}
		b.ReportMetric(float64(rss)/(1<<20), "supervisor-RSS-MiB")
	}
}
