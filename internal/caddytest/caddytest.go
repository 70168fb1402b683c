// Package caddytest starts a real Caddy for tests: its admin API and HTTPS
// servers on free loopback ports, its state (and so its internal CA) in a
// temporary folder, and nothing bound to :80/:443 or installed into the
// system trust store.
package caddytest

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
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

	"github.com/quazzar/object-storage/internal/testkit"
)

// DefaultServer is the name of the HTTP server Start configures.
const DefaultServer = "srv0"

// Server is a running Caddy.
type Server struct {
	AdminURL   string            // http://127.0.0.1:port of the admin API
	HTTPSAddr  string            // 127.0.0.1:port the first server listens on
	HTTPSPort  int               // port of HTTPSAddr
	ServerName string            // name of the first HTTP server
	Listen     map[string]string // every HTTP server: name -> listen address
	DataDir    string            // XDG_DATA_HOME of the Caddy process
	LogFile    string
	Cmd        *exec.Cmd
}

// Start runs Caddy with one HTTP server, DefaultServer, and no routes.
func Start(t testing.TB) *Server { return StartServers(t, DefaultServer) }

// StartServers runs Caddy with one empty HTTP server per name, each on its
// own free 127.0.0.1 port. The first name is the Server's HTTPSAddr.
func StartServers(t testing.TB, names ...string) *Server {
	t.Helper()
	if len(names) == 0 {
		t.Fatal("caddytest: at least one server name is needed")
	}
	bin := testkit.Require(t, "caddy")
	dir := t.TempDir()
	s := &Server{
		ServerName: names[0],
		Listen:     map[string]string{},
		DataDir:    filepath.Join(dir, "data"),
		LogFile:    filepath.Join(dir, "caddy.log"),
	}
	adminAddr := testkit.FreeAddr(t)
	s.AdminURL = "http://" + adminAddr
	servers := map[string]any{}
	for i, name := range names {
		addr := testkit.FreeAddr(t)
		s.Listen[name] = addr
		if i == 0 {
			s.HTTPSAddr = addr
			_, port, _ := net.SplitHostPort(addr)
			s.HTTPSPort, _ = strconv.Atoi(port)
		}
		servers[name] = map[string]any{
			"listen": []string{addr},
			// HTTP/3 would also bind UDP; the tests need TCP only.
			"protocols": []string{"h1", "h2"},
			// No http->https redirect server, so nothing binds http_port.
			"automatic_https": map[string]any{"disable_redirects": true},
		}
	}
	// http_port is never bound (redirects are off) but points at a free
	// loopback port rather than :80 in case a Caddy version binds it anyway.
	_, httpPort, _ := net.SplitHostPort(testkit.FreeAddr(t))
	cfg := map[string]any{
		"admin": map[string]any{
			"listen": adminAddr,
			"config": map[string]any{"persist": false},
		},
		"apps": map[string]any{
			"http": map[string]any{
				"http_port":  mustAtoi(t, httpPort),
				"https_port": s.HTTPSPort,
				"servers":    servers,
			},
			"pki": map[string]any{
				"certificate_authorities": map[string]any{
					"local": map[string]any{"install_trust": false},
				},
			},
		},
	}
	cfgFile := filepath.Join(dir, "caddy.json")
	raw, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(s.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfgFile)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"HOME="+dir,
		"XDG_DATA_HOME="+s.DataDir,
		"XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start caddy: %v", err)
	}
	s.Cmd = cmd
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = logf.Close()
	})
	if err := s.waitReady(30 * time.Second); err != nil {
		t.Fatalf("caddy not ready: %v\n%s", err, s.Log())
	}
	return s
}

func mustAtoi(t testing.TB, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// waitReady polls the admin API, then the HTTPS listeners.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if s.Cmd.ProcessState != nil {
			return fmt.Errorf("caddy exited: %s", s.Cmd.ProcessState)
		}
		last = s.probe()
		if last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %s: %w", timeout, last)
}

func (s *Server) probe() error {
	resp, err := http.Get(s.AdminURL + "/config/")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("admin API answered %s", resp.Status)
	}
	for _, addr := range s.Listen {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		c.Close()
	}
	return nil
}

// Log returns what Caddy has logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogFile)
	return string(b)
}

// RootCAPath is where Caddy keeps the root certificate of its internal CA.
func (s *Server) RootCAPath() string {
	return filepath.Join(s.DataDir, "caddy", "pki", "authorities", "local", "root.crt")
}

// RootCAs loads Caddy's internal root certificate into a pool, waiting up
// to ten seconds for Caddy to write it.
func (s *Server) RootCAs(t testing.TB) *x509.CertPool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pem, err := os.ReadFile(s.RootCAPath())
		if err == nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				t.Fatalf("caddy root certificate %s holds no PEM certificate", s.RootCAPath())
			}
			return pool
		}
		if time.Now().After(deadline) {
			t.Fatalf("caddy root certificate not written: %v\n%s", err, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Transport is an HTTP transport that trusts Caddy's internal CA and dials
// the first server's HTTPS address whatever the URL's host is, so that a
// request to https://any.name:<HTTPSPort>/ reaches Caddy with that name as
// both SNI and Host, without touching name resolution.
func (s *Server) Transport(t testing.TB) *http.Transport {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, s.HTTPSAddr)
		},
		TLSClientConfig:     &tls.Config{RootCAs: s.RootCAs(t), MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 16,
	}
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// Client is an http.Client over Transport.
func (s *Server) Client(t testing.TB) *http.Client {
	t.Helper()
	return &http.Client{Transport: s.Transport(t), Timeout: 30 * time.Second}
}

// URL is https://host:<HTTPSPort> + path.
func (s *Server) URL(host, path string) string {
	return "https://" + net.JoinHostPort(host, strconv.Itoa(s.HTTPSPort)) + path
}

// Raw sends one HTTP/1.1 request to the first server over TLS, with SNI and
// Host set to host and the request target exactly as given (no cleaning,
// no escaping: "//a/./b%2F" goes out as it is), and returns the answer
// with its body read.
func (s *Server) Raw(t testing.TB, method, host, target string) (*http.Response, string) {
	t.Helper()
	d := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(d, "tcp", s.HTTPSAddr, &tls.Config{ServerName: host, RootCAs: s.RootCAs(t), MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("%s https://%s%s: %v", method, host, target, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", method, target, net.JoinHostPort(host, strconv.Itoa(s.HTTPSPort))); err != nil {
		t.Fatalf("%s https://%s%s: %v", method, host, target, err)
	}
	req, _ := http.NewRequest(method, "/", nil) // tells ReadResponse whether a body follows (HEAD)
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("%s https://%s%s: %v", method, host, target, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s https://%s%s: read the body: %v", method, host, target, err)
	}
	return resp, string(body)
}

// PathVariants are p (an absolute path of two segments or more, in lower
// case) and spellings of it that a proxy may match differently from how
// its upstream routes them: upper case, a doubled or percent-encoded
// slash, an encoded letter, dot segments, a query string, and tails of
// ".." segments that normalise p away (to "/" and "/x") while the upstream
// receives it as sent.
func PathVariants(p string) []string {
	i := strings.Index(p[1:], "/") + 1 // p is first + rest
	first, rest := p[:i], p[i:]
	return []string{
		p,
		strings.ToUpper(first) + rest,
		"/" + p,
		first + "%2F" + rest[1:],
		"/%" + strconv.FormatInt(int64(p[1]), 16) + p[2:],
		"/." + p,
		first + "/x/.." + rest,
		"/x/.." + p,
		p + "?x=1",
		// Caddy trims trailing dots before it normalises: one ".." more
		// than p has segments reaches "/".
		p + strings.Repeat("/..", strings.Count(p, "/")+1),
		p + strings.Repeat("/..", strings.Count(p, "/")) + "/x",
	}
}
