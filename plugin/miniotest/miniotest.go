// Package miniotest starts a real MinIO server for tests, on free loopback
// ports in a temporary folder, and removes it when the test ends.
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/quazzar/object-storage/host-sdk/testtools"
)

// Server is a running MinIO with its root credentials.
type Server struct {
	Address        string // host:port of the S3 API
	ConsoleAddress string
	AccessKey      string
	SecretKey      string
	DataDir        string
	EnvFile        string
	Region         string
	Cmd            *exec.Cmd
}

// Endpoint is the http URL of the S3 API.
func (s *Server) Endpoint() string { return "http://" + s.Address }

// Binary returns the MinIO binary, or ends the test (fail in CI, skip
// elsewhere) when it is not installed.
func Binary(t testing.TB) string { return testtools.Require(t, "minio") }

// Start runs MinIO and waits until /minio/health/cluster answers 200.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	s := &Server{
		Address:        testtools.FreeAddr(t),
		ConsoleAddress: testtools.FreeAddr(t),
		AccessKey:      "root" + randHex(t, 4),
		SecretKey:      randHex(t, 24),
		DataDir:        filepath.Join(dir, "data"),
		EnvFile:        filepath.Join(dir, "minio.env"),
		Region:         "us-east-1",
	}
	env := fmt.Sprintf("MINIO_ROOT_USER=%s\nMINIO_ROOT_PASSWORD=%s\n", s.AccessKey, s.SecretKey)
	if err := os.WriteFile(s.EnvFile, []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(s.DataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "minio.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "server", "--quiet", "--address", s.Address, "--console-address", s.ConsoleAddress, s.DataDir)
	cmd.Env = append(os.Environ(), "MINIO_CONFIG_ENV_FILE="+s.EnvFile, "MINIO_BROWSER=off", "MINIO_UPDATE=off")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start minio: %v", err)
	}
	s.Cmd = cmd
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = logf.Close()
	})
	if err := WaitReady(context.Background(), s.Address, 60*time.Second); err != nil {
		log, _ := os.ReadFile(logf.Name())
		t.Fatalf("minio not ready: %v\n%s", err, log)
	}
	return s
}

// WaitReady polls /minio/health/cluster until it answers 200.
func WaitReady(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	url := "http://" + addr + "/minio/health/cluster"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s (last error: %v)", url, timeout, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
