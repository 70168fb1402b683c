// Package testkit finds the external programs that tests run (MinIO, mc,
// Caddy, Chromium, S3 clients) and hands out free loopback addresses. A
// missing program fails the test under CI=true and skips it elsewhere, with
// a message saying what to install.
package testkit

import (
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// InstallHint says how to get each program the tests use.
var InstallHint = map[string]string{
	"minio":    "run `make tools` (go install of the pinned MinIO into .tools/bin)",
	"mc":       "run `make tools` (go install of the pinned mc into .tools/bin)",
	"caddy":    "apt-get install caddy (or `make test`, which installs it)",
	"chromium": "apt-get install chromium (or `make test`, which installs it)",
	"aws":      "apt-get install awscli (or `make test`, which installs it)",
	"s3cmd":    "apt-get install s3cmd (or `make test`, which installs it)",
	"rclone":   "apt-get install rclone (or `make test`, which installs it)",
}

// ModuleRoot is the repository root (the folder holding go.mod).
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ToolsDir is the project-local folder `make tools` installs into.
func ToolsDir() string {
	if d := os.Getenv("QUAZZAR_TOOLS_BIN"); d != "" {
		return d
	}
	return filepath.Join(ModuleRoot(), ".tools", "bin")
}

// Lookup finds name in the tools folder, then on $PATH.
func Lookup(name string) (string, bool) {
	p := filepath.Join(ToolsDir(), name)
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return p, true
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	return "", false
}

// InCI reports whether tests run under CI, where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require returns the path of a program, or ends the test: a failure in CI,
// a skip elsewhere, with what to install.
func Require(t testing.TB, name string) string {
	t.Helper()
	if p, ok := Lookup(name); ok {
		return p
	}
	Missing(t, name+" is not installed: "+hint(name))
	return ""
}

// Missing ends the test because something it needs is not there: fatal
// under CI, skip elsewhere.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if InCI() {
		t.Fatalf("missing in CI: %s", msg)
	}
	t.Skipf("skipped: %s", msg)
}

func hint(name string) string {
	if h, ok := InstallHint[name]; ok {
		return h
	}
	return "install it"
}

// FreeAddr returns a free TCP address on 127.0.0.1 ("127.0.0.1:port").
// The port is released before returning, for a server the test starts
// later. It is taken below the kernel's ephemeral range: a port from that
// range (what a listen on port 0 gives) can be taken meanwhile as the
// source port of any outgoing loopback connection, and was, in CI ("is in
// use by another process" from a MinIO console address). A port is never
// handed out twice by one test process; another process may still take
// it, which is unlikely.
func FreeAddr(t testing.TB) string {
	t.Helper()
	lo, hi := freePortLow, ephemeralLow()-1
	tries := 500
	if hi-lo < 1000 {
		tries = 0 // no room below the ephemeral range: take one in it
	}
	for range tries {
		port := lo + rand.IntN(hi-lo+1)
		freeMu.Lock()
		taken := freeHanded[port]
		freeHanded[port] = true
		freeMu.Unlock()
		if taken {
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		_ = l.Close()
		return addr
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// freePortLow is the lowest port FreeAddr hands out.
const freePortLow = 20000

var (
	freeMu     sync.Mutex
	freeHanded = map[int]bool{}
)

// ephemeralLow is the first port of the kernel's ephemeral range (32768
// when it cannot be read).
func ephemeralLow() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return 32768
	}
	return n
}

// Buffer collects output written from several goroutines (a logger, a
// child process), for tests that search it.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
