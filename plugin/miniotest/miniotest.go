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

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/plugin/settings/settingstest"
	"github.com/quazzar/object-storage/plugin/supervisor"
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
	// Cmd is the MinIO process started by Start; nil for StartSupervised.
	Cmd *exec.Cmd
	// Supervisor runs MinIO for StartSupervised (nil for Start), with the
	// Settings it was given.
	Supervisor *supervisor.Supervisor
	Settings   settings.Settings
}

// Endpoint is the http URL of the S3 API.
func (s *Server) Endpoint() string { return "http://" + s.Address }

// Binary returns the MinIO binary, or ends the test (fail in CI, skip
// elsewhere) when it is not installed.
func Binary(t testing.TB) string { return testkit.Require(t, "minio") }

// Start runs MinIO and waits until /minio/health/cluster answers 200.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	s := &Server{
		Address:        testkit.FreeAddr(t),
		ConsoleAddress: testkit.FreeAddr(t),
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

// SupervisedOptions tune StartSupervised. The zero value is fine.
type SupervisedOptions struct {
	// Region of MinIO (default us-east-1).
	Region string
	// Log receives the supervisor's and MinIO's log lines (default: none).
	Log hclog.Logger
	// Supervisor options (timeouts, backoff, ...).
	Supervisor []supervisor.Option
}

// StartSupervised runs MinIO the way the add-on does, through the
// supervisor (first boot: generated env file, own session, state file), on
// free loopback ports in a temporary folder, and stops it when the test
// ends. AccessKey and SecretKey are the generated root credentials.
func StartSupervised(t testing.TB, opts SupervisedOptions) *Server {
	t.Helper()
	bin := Binary(t)
	set := settingstest.New(t, bin)
	if opts.Region != "" {
		set.Region = opts.Region
	}
	if err := set.Validate(); err != nil {
		t.Fatalf("miniotest settings: %v", err)
	}
	sup := supervisor.New(set, opts.Log, opts.Supervisor...)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := sup.Stop(ctx); err != nil {
			t.Errorf("stop supervised MinIO: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := sup.Start(ctx); err != nil {
		log, _ := os.ReadFile(sup.LogFile())
		t.Fatalf("supervised MinIO did not start: %v\n%s", err, log)
	}
	c := sup.Credentials()
	return &Server{
		Address: set.S3Address, ConsoleAddress: set.ConsoleAddress,
		AccessKey: c.User, SecretKey: c.Password,
		DataDir: set.DataDir, EnvFile: set.EnvFile, Region: set.Region,
		Supervisor: sup, Settings: set,
	}
}
