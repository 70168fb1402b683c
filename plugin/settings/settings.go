// Package settings holds the add-on's settings: their names as the host
// passes them, the product page's production defaults, and their checks.
package settings

import (
	"fmt"
	"math"
	"net"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quazzar/object-storage/shared"
)

// Setting names, as in plugin.json and the host's ConfigureRequest.
const (
	KeyMinIOBinary    = "minio_binary"
	KeyDataDir        = "data_dir"
	KeyDataDirs       = "data_dirs"
	KeyEnvFile        = "env_file"
	KeyS3Address      = "s3_address"
	KeyConsoleAddress = "console_address"
	KeyRegion         = "region"
	KeyStateDir       = "state_dir"
	KeyScannerSpeed   = "scanner_speed"
	KeyUsageInterval  = "usage_interval"
)

// Settings of the add-on. Every field has a production default and can be
// changed by the host.
type Settings struct {
	// MinIOBinary is a path, or a bare name looked up on $PATH.
	MinIOBinary string
	// DataDir is MinIO's one drive; with several drives, the first of
	// DataDirs.
	DataDir string
	// DataDirs are MinIO's drives (one mount point each) when there are
	// two or more, else empty: see Drives.
	DataDirs       []string
	EnvFile        string
	S3Address      string
	ConsoleAddress string
	Region         string
	// StateDir holds the add-on's own files: state file, lock, MinIO's log.
	StateDir string
	// ScannerSpeed is MinIO's scanner speed ("" keeps MinIO's default;
	// fastest, fast, default, slow, slowest).
	ScannerSpeed string
	// UsageInterval is how often per-bucket usage is refreshed.
	UsageInterval time.Duration
}

// Defaults are the production defaults of the product page.
func Defaults() Settings {
	return Settings{
		MinIOBinary:    "minio",
		DataDir:        "/var/lib/quazzar/objects",
		EnvFile:        "/etc/quazzar/minio.env",
		S3Address:      "127.0.0.1:9000",
		ConsoleAddress: "127.0.0.1:9001",
		Region:         "us-east-1",
		StateDir:       "/var/lib/quazzar/object-storage",
		UsageInterval:  30 * time.Second,
	}
}

// UnderFolder returns the defaults with the add-on's data (<dir>/objects),
// env file (<dir>/minio.env) and own state (<dir>/object-storage) under
// one folder, made absolute: how a development host lays them out.
func UnderFolder(dir string) (Settings, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Settings{}, fmt.Errorf("state folder %q: %w", dir, err)
	}
	s := Defaults()
	s.DataDir = filepath.Join(abs, "objects")
	s.EnvFile = filepath.Join(abs, "minio.env")
	s.StateDir = filepath.Join(abs, "object-storage")
	return s, nil
}

// ScannerSpeeds are the values MinIO's scanner "speed" takes.
var ScannerSpeeds = []string{"fastest", "fast", "default", "slow", "slowest"}

// Parse overlays the host's values on the defaults and checks them. An
// unknown name or a bad value is an invalid_argument naming the setting.
//
// data_dirs, when set, lists MinIO's drives and data_dir is then its
// first (a list of one is data_dir alone).
func Parse(values map[string]string) (Settings, error) {
	s := Defaults()
	dataDirs := ""
	for k, v := range values {
		v = strings.TrimSpace(v)
		switch k {
		case KeyMinIOBinary:
			s.MinIOBinary = v
		case KeyDataDir:
			s.DataDir = v
		case KeyDataDirs:
			dataDirs = v
		case KeyEnvFile:
			s.EnvFile = v
		case KeyS3Address:
			s.S3Address = v
		case KeyConsoleAddress:
			s.ConsoleAddress = v
		case KeyRegion:
			s.Region = v
		case KeyStateDir:
			s.StateDir = v
		case KeyScannerSpeed:
			s.ScannerSpeed = v
		case KeyUsageInterval:
			if v == "" {
				continue
			}
			d, err := time.ParseDuration(v)
			if err != nil {
				secs, err2 := strconv.ParseInt(v, 10, 64)
				if err2 != nil {
					return s, shared.FieldError(k, "setting %s must be a duration such as 30s, got %q", k, v)
				}
				// A bare number is seconds; past this it would wrap around.
				if maxSecs := int64(math.MaxInt64 / time.Second); secs > maxSecs || secs < -maxSecs {
					return s, shared.FieldError(k, "setting %s is too long (%s seconds): use a duration such as 30s or 10m", k, v)
				}
				d = time.Duration(secs) * time.Second
			}
			s.UsageInterval = d
		default:
			return s, shared.FieldError(k, "unknown setting %q", k)
		}
	}
	if dataDirs != "" {
		dirs := SplitList(dataDirs)
		if len(dirs) == 0 {
			return s, shared.FieldError(KeyDataDirs, "setting %s must list absolute paths separated by commas, got %q", KeyDataDirs, dataDirs)
		}
		s = s.WithDrives(dirs)
	}
	return s, s.Validate()
}

// Validate checks every setting and names the first one at fault.
func (s Settings) Validate() error {
	if s.MinIOBinary == "" {
		return shared.FieldError(KeyMinIOBinary, "setting %s must name the MinIO binary (a path or a name on $PATH)", KeyMinIOBinary)
	}
	for _, p := range []struct{ key, val string }{
		{KeyDataDir, s.DataDir}, {KeyEnvFile, s.EnvFile}, {KeyStateDir, s.StateDir},
	} {
		if p.val == "" || !filepath.IsAbs(p.val) {
			return shared.FieldError(p.key, "setting %s must be an absolute path, got %q", p.key, p.val)
		}
	}
	if err := s.checkDrives(); err != nil {
		return err
	}
	for _, a := range []struct{ key, val string }{
		{KeyS3Address, s.S3Address}, {KeyConsoleAddress, s.ConsoleAddress},
	} {
		host, port, err := net.SplitHostPort(a.val)
		if err != nil || host == "" || port == "" {
			return shared.FieldError(a.key, "setting %s must be host:port such as 127.0.0.1:9000, got %q", a.key, a.val)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return shared.FieldError(a.key, "setting %s has port %q: it must be 1-65535", a.key, port)
		}
	}
	if s.S3Address == s.ConsoleAddress {
		return shared.FieldError(KeyConsoleAddress, "settings %s and %s must differ, both are %q", KeyS3Address, KeyConsoleAddress, s.S3Address)
	}
	if s.Region == "" || strings.ContainsAny(s.Region, " \t/") {
		return shared.FieldError(KeyRegion, "setting %s must be a region name such as us-east-1, got %q", KeyRegion, s.Region)
	}
	if s.ScannerSpeed != "" && !slices.Contains(ScannerSpeeds, s.ScannerSpeed) {
		return shared.FieldError(KeyScannerSpeed, "setting %s must be one of %s, got %q", KeyScannerSpeed, strings.Join(ScannerSpeeds, ", "), s.ScannerSpeed)
	}
	if s.UsageInterval < time.Second {
		return shared.FieldError(KeyUsageInterval, "setting %s must be at least 1s, got %s", KeyUsageInterval, s.UsageInterval)
	}
	return nil
}

// checkDrives checks DataDirs: absolute, each once, none inside another,
// DataDir the first.
func (s Settings) checkDrives() error {
	if len(s.DataDirs) == 0 {
		return nil
	}
	if len(s.DataDirs) == 1 || s.DataDirs[0] != s.DataDir {
		return shared.FieldError(KeyDataDirs, "setting %s lists two or more drives with %s the first of them (one drive is %s alone)", KeyDataDirs, KeyDataDir, KeyDataDir)
	}
	for i, d := range s.DataDirs {
		if !filepath.IsAbs(d) || filepath.Clean(d) != d {
			return shared.FieldError(KeyDataDirs, "setting %s must list absolute paths (one mount point per drive), got %q", KeyDataDirs, d)
		}
		for _, e := range s.DataDirs[:i] {
			switch {
			case e == d:
				return shared.FieldError(KeyDataDirs, "setting %s lists %s twice: each drive once", KeyDataDirs, d)
			case strings.HasPrefix(d, e+"/") || strings.HasPrefix(e, d+"/") || e == "/" || d == "/":
				return shared.FieldError(KeyDataDirs, "setting %s lists %s and %s, one inside the other: each drive is its own mount point", KeyDataDirs, e, d)
			}
		}
	}
	return nil
}

// Drives are MinIO's drives: DataDirs, or DataDir alone.
func (s Settings) Drives() []string {
	if len(s.DataDirs) > 0 {
		return slices.Clone(s.DataDirs)
	}
	return []string{s.DataDir}
}

// WithDrives returns s with drives as MinIO's drives (DataDir alone for
// one).
func (s Settings) WithDrives(drives []string) Settings {
	s.DataDir, s.DataDirs = "", nil
	if len(drives) > 0 {
		s.DataDir = drives[0]
	}
	if len(drives) > 1 {
		s.DataDirs = slices.Clone(drives)
	}
	return s
}

// SplitList splits a comma-separated list, trimming each item and
// dropping empty ones.
func SplitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// ResolveBinary returns the absolute path of the MinIO binary, or an error
// when it cannot be found.
func (s Settings) ResolveBinary() (string, error) {
	p, err := exec.LookPath(s.MinIOBinary)
	if err != nil {
		return "", fmt.Errorf("MinIO binary %q not found: %w", s.MinIOBinary, err)
	}
	return filepath.Abs(p)
}

// InstallCommand is what the page shows when MinIO is missing.
const InstallCommand = "go install github.com/minio/minio@" + PinnedMinIOVersion

// PinnedMinIOVersion is the MinIO version this add-on is built and tested
// against (the Makefile installs the same one).
const PinnedMinIOVersion = "v0.0.0-20260212201848-7aac2a2c5b7c"

// S3URL is the URL clients use to reach the S3 API directly.
func (s Settings) S3URL() string { return "http://" + s.S3Address }

// ConsoleURL is the URL of MinIO's web console.
func (s Settings) ConsoleURL() string { return "http://" + s.ConsoleAddress }

// Map returns the settings as the host passes them.
func (s Settings) Map() map[string]string {
	return map[string]string{
		KeyMinIOBinary: s.MinIOBinary, KeyDataDir: s.DataDir, KeyDataDirs: strings.Join(s.DataDirs, ","), KeyEnvFile: s.EnvFile,
		KeyS3Address: s.S3Address, KeyConsoleAddress: s.ConsoleAddress, KeyRegion: s.Region,
		KeyStateDir: s.StateDir, KeyScannerSpeed: s.ScannerSpeed, KeyUsageInterval: s.UsageInterval.String(),
	}
}
