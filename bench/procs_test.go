package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/miniotest"
)

// rssMiB is a process's resident memory (VmRSS) in MiB.
func rssMiB(pid int) (float64, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// mustRSS is rssMiB, ending the benchmark on an error.
func mustRSS(b *testing.B, pid int) float64 {
	b.Helper()
	v, err := rssMiB(pid)
	if err != nil {
		b.Fatalf("resident memory of pid %d: %v", pid, err)
	}
	return v
}

// mustCPU is the CPU time (user and system) a process has used so far.
func mustCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatalf("CPU time of pid %d: %v", pid, err)
	}
	s := string(stat)
	// Fields after the command name: state is field 3, utime 14, stime 15.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("CPU time of pid %d: %q", pid, s)
	}
	const ticks = 100 // USER_HZ, 100 on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// childOf returns the pid of a child of ppid whose command name is comm.
func childOf(ppid int, comm string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open {
			continue
		}
		var state string
		var parent int
		if _, err := fmt.Sscanf(s[close+2:], "%s %d", &state, &parent); err != nil {
			continue
		}
		if parent == ppid && s[open+1:close] == comm {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no child %q of pid %d", comm, ppid)
}

// procStrings reads a NUL-separated /proc file (cmdline, environ).
func procStrings(pid int, name string) ([]string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, name))
	if err != nil {
		return nil, err
	}
	return strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00"), nil
}

// firstLine is the first line of a program's output, for versions.
func firstLine(bin string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// loadAvg is the first three fields of /proc/loadavg.
func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// startBareMinIO starts a second MinIO by hand with the command line and
// environment of the running add-on MinIO (read from /proc, so they cannot
// drift from what the supervisor uses), its folders moved from fromDir to
// toDir (the same temporary filesystem) and its two addresses replaced by
// free ones. Its root credentials are the add-on's (the env file is
// copied). It is killed when the benchmark ends. It returns the S3 address
// and the pid.
func startBareMinIO(b *testing.B, pid int, fromDir, toDir string, addrs map[string]string) (string, int) {
	b.Helper()
	args, err := procStrings(pid, "cmdline")
	if err != nil {
		b.Fatalf("command line of MinIO: %v", err)
	}
	env, err := procStrings(pid, "environ")
	if err != nil {
		b.Fatalf("environment of MinIO: %v", err)
	}
	cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		b.Fatalf("working folder of MinIO: %v", err)
	}
	move := func(s string) string {
		s = strings.ReplaceAll(s, fromDir, toDir)
		for from, to := range addrs {
			s = strings.ReplaceAll(s, from, to)
		}
		return s
	}
	for i := range args {
		args[i] = move(args[i])
	}
	for i := range env {
		env[i] = move(env[i])
	}
	s3Addr := args[indexAfter(b, args, "--address")]
	for _, d := range []string{filepath.Join(toDir, "objects"), move(cwd)} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			b.Fatal(err)
		}
	}
	envFile, err := os.ReadFile(filepath.Join(fromDir, "minio.env"))
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(toDir, "minio.env"), envFile, 0o600); err != nil {
		b.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(toDir, "minio.log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env, cmd.Dir = env, move(cwd)
	cmd.Stdout, cmd.Stderr = logf, logf
	// A session of its own, as the supervisor starts the add-on's MinIO:
	// with the kernel's autogroup scheduling, a session is one group that
	// shares the cores fairly with the others, so a bare MinIO in the
	// benchmark's session would share a group with the load generator.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start bare MinIO: %v", err)
	}
	b.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = logf.Close()
	})
	if err := miniotest.WaitReady(context.Background(), s3Addr, 60*time.Second); err != nil {
		log, _ := os.ReadFile(logf.Name())
		b.Fatalf("bare MinIO not ready: %v\n%s", err, log)
	}
	return s3Addr, cmd.Process.Pid
}

// indexAfter is the index of the argument that follows flag.
func indexAfter(b *testing.B, args []string, flag string) int {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return i + 1
		}
	}
	b.Fatalf("MinIO's command line %q has no %s", args, flag)
	return 0
}

// s3Client is a root S3 client of a MinIO with keep-alive connections,
// enough for the load's clients.
func s3Client(b *testing.B, endpoint string, creds envfile.Credentials, secure bool, tr *http.Transport) *minio.Client {
	b.Helper()
	if tr == nil {
		d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
		tr = &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 32, IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	}
	b.Cleanup(tr.CloseIdleConnections)
	c, err := minio.New(endpoint, &minio.Options{
		Creds: credentials.NewStaticV4(creds.User, creds.Password, ""), Secure: secure,
		Transport: tr, Region: "us-east-1", BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// devHostProcess is bin/cloudos-dev running in a child process.
type devHostProcess struct {
	cmd      *exec.Cmd
	panelURL string
	log      *os.File
}

// startDevHost runs bin/cloudos-dev with args and waits until it has
// printed its panel and s3 lines. It is stopped (SIGINT, which stops its
// plugins and their MinIO, then SIGKILL after 30 s) when the benchmark
// ends.
func startDevHost(b *testing.B, bin, logPath string, args ...string) *devHostProcess {
	b.Helper()
	logf, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", bin, err)
	}
	d := &devHostProcess{cmd: cmd, log: logf}
	exited := make(chan struct{})
	b.Cleanup(func() { d.stop(b, exited) })
	lines := make(chan string)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody waits any more
			}
		}
		_, _ = io.Copy(io.Discard, out)
		_ = cmd.Wait()
	}()
	timeout := time.After(2 * time.Minute)
	var seen []string
	for s3 := false; !s3; {
		select {
		case l := <-lines:
			seen = append(seen, l)
			if u, ok := strings.CutPrefix(l, "panel: "); ok {
				d.panelURL = u
			}
			s3 = strings.HasPrefix(l, "s3: ")
		case <-exited:
			b.Fatalf("%s exited; it printed %q; its log:\n%s", bin, seen, readTail(logPath))
		case <-timeout:
			b.Fatalf("%s did not print its panel and s3 lines within 2 minutes; it printed %q; its log:\n%s", bin, seen, readTail(logPath))
		}
	}
	return d
}

func (d *devHostProcess) stop(b *testing.B, exited <-chan struct{}) {
	_ = d.cmd.Process.Signal(os.Interrupt)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		b.Logf("cloudos-dev did not stop within 30 s of SIGINT: killing it")
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	_ = d.log.Close()
}

// readTail is the end of a log file, for failure messages.
func readTail(path string) string {
	raw, _ := os.ReadFile(path)
	const max = 8000
	if len(raw) > max {
		raw = raw[len(raw)-max:]
	}
	return string(bytes.TrimSpace(raw))
}

// killIfMinIO kills pid if it is still a MinIO of binary bin: the
// benchmark's safety net for the MinIO its add-on started, should the
// host that owns it fail to stop it.
func killIfMinIO(pid int, bin string) {
	if pid <= 0 {
		return
	}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil || filepath.Clean(exe) != filepath.Clean(bin) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
}

// toolsOrSkip returns the external programs the table needs, or ends the
// benchmark (fail in CI, skip elsewhere) with what to install.
func toolsOrSkip(b *testing.B) (minioBin, mcBin string) {
	b.Helper()
	minioBin = testkit.Require(b, "minio")
	mcBin = testkit.Require(b, "mc")
	testkit.Require(b, "caddy")
	return minioBin, mcBin
}
