package settings

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		values map[string]string
		check  func(t *testing.T, s Settings) // for good values
		field  string                         // for bad values: the setting named
		msg    string                         // for bad values: part of the message
	}{
		{name: "no values are the defaults", values: nil,
			check: func(t *testing.T, s Settings) { require.Equal(t, Defaults(), s) }},
		{name: "every setting", values: map[string]string{
			KeyMinIOBinary: "/opt/minio/bin/minio", KeyDataDir: "/srv/objects", KeyEnvFile: "/srv/etc/minio.env",
			KeyS3Address: "0.0.0.0:9100", KeyConsoleAddress: "127.0.0.1:9101", KeyRegion: "eu-west-1",
			KeyStateDir: "/srv/state", KeyScannerSpeed: "slow", KeyUsageInterval: "2m",
		}, check: func(t *testing.T, s Settings) {
			require.Equal(t, Settings{
				MinIOBinary: "/opt/minio/bin/minio", DataDir: "/srv/objects", EnvFile: "/srv/etc/minio.env",
				S3Address: "0.0.0.0:9100", ConsoleAddress: "127.0.0.1:9101", Region: "eu-west-1",
				StateDir: "/srv/state", ScannerSpeed: "slow", UsageInterval: 2 * time.Minute,
			}, s)
		}},
		{name: "values are trimmed", values: map[string]string{KeyRegion: "  us-west-2\n", KeyScannerSpeed: " fastest "},
			check: func(t *testing.T, s Settings) {
				require.Equal(t, "us-west-2", s.Region)
				require.Equal(t, "fastest", s.ScannerSpeed)
			}},
		{name: "binary as a bare name", values: map[string]string{KeyMinIOBinary: "minio-2026"},
			check: func(t *testing.T, s Settings) { require.Equal(t, "minio-2026", s.MinIOBinary) }},
		{name: "IPv6 and host names", values: map[string]string{KeyS3Address: "[::1]:9000", KeyConsoleAddress: "localhost:9001"},
			check: func(t *testing.T, s Settings) { require.Equal(t, "[::1]:9000", s.S3Address) }},
		{name: "same port on two hosts", values: map[string]string{KeyS3Address: "127.0.0.1:9000", KeyConsoleAddress: "127.0.0.2:9000"},
			check: func(t *testing.T, s Settings) { require.Equal(t, "127.0.0.2:9000", s.ConsoleAddress) }},
		{name: "highest port", values: map[string]string{KeyS3Address: "127.0.0.1:65535"},
			check: func(t *testing.T, s Settings) { require.Equal(t, "127.0.0.1:65535", s.S3Address) }},
		{name: "empty scanner speed keeps MinIO's", values: map[string]string{KeyScannerSpeed: ""},
			check: func(t *testing.T, s Settings) { require.Empty(t, s.ScannerSpeed) }},
		{name: "usage interval as a duration", values: map[string]string{KeyUsageInterval: "30s"},
			check: func(t *testing.T, s Settings) { require.Equal(t, 30*time.Second, s.UsageInterval) }},
		{name: "usage interval as seconds", values: map[string]string{KeyUsageInterval: "45"},
			check: func(t *testing.T, s Settings) { require.Equal(t, 45*time.Second, s.UsageInterval) }},
		{name: "usage interval of exactly 1s", values: map[string]string{KeyUsageInterval: "1s"},
			check: func(t *testing.T, s Settings) { require.Equal(t, time.Second, s.UsageInterval) }},
		{name: "empty usage interval keeps the default", values: map[string]string{KeyUsageInterval: " "},
			check: func(t *testing.T, s Settings) { require.Equal(t, 30*time.Second, s.UsageInterval) }},

		{name: "data_dirs lists the drives, data_dir is the first", values: map[string]string{KeyDataDir: "/var/lib/quazzar/objects", KeyDataDirs: " /mnt/d1, /mnt/d2 ,/mnt/d3,/mnt/d4 "},
			check: func(t *testing.T, s Settings) {
				require.Equal(t, "/mnt/d1", s.DataDir)
				require.Equal(t, []string{"/mnt/d1", "/mnt/d2", "/mnt/d3", "/mnt/d4"}, s.DataDirs)
				require.Equal(t, s.DataDirs, s.Drives())
			}},
		{name: "data_dirs of one drive is data_dir alone", values: map[string]string{KeyDataDirs: "/mnt/only,"},
			check: func(t *testing.T, s Settings) {
				require.Equal(t, "/mnt/only", s.DataDir)
				require.Nil(t, s.DataDirs)
				require.Equal(t, []string{"/mnt/only"}, s.Drives())
			}},
		{name: "empty data_dirs keeps data_dir", values: map[string]string{KeyDataDir: "/srv/objects", KeyDataDirs: " "},
			check: func(t *testing.T, s Settings) { require.Equal(t, []string{"/srv/objects"}, s.Drives()) }},
		{name: "data_dirs of commas only", values: map[string]string{KeyDataDirs: " , ,"},
			field: KeyDataDirs, msg: "must list absolute paths separated by commas"},
		{name: "relative drive", values: map[string]string{KeyDataDirs: "/mnt/d1,mnt/d2"},
			field: KeyDataDirs, msg: `must list absolute paths (one mount point per drive), got "mnt/d2"`},
		{name: "unclean drive path", values: map[string]string{KeyDataDirs: "/mnt/d1,/mnt/../mnt/d2"},
			field: KeyDataDirs, msg: "must list absolute paths"},
		{name: "a drive twice", values: map[string]string{KeyDataDirs: "/mnt/d1,/mnt/d2,/mnt/d1"},
			field: KeyDataDirs, msg: "lists /mnt/d1 twice"},
		{name: "a drive inside another", values: map[string]string{KeyDataDirs: "/mnt/d1,/mnt/d1/x"},
			field: KeyDataDirs, msg: "one inside the other"},
		{name: "relative first drive", values: map[string]string{KeyDataDirs: "mnt/d1,/mnt/d2"},
			field: KeyDataDir, msg: "must be an absolute path"},
		{name: "unknown setting", values: map[string]string{"minio_region": "us-east-1"},
			field: "minio_region", msg: `unknown setting "minio_region"`},
		{name: "empty binary", values: map[string]string{KeyMinIOBinary: " "},
			field: KeyMinIOBinary, msg: "must name the MinIO binary"},
		{name: "relative data dir", values: map[string]string{KeyDataDir: "var/objects"},
			field: KeyDataDir, msg: `must be an absolute path, got "var/objects"`},
		{name: "empty data dir", values: map[string]string{KeyDataDir: ""},
			field: KeyDataDir, msg: "must be an absolute path"},
		{name: "relative env file", values: map[string]string{KeyEnvFile: "./minio.env"},
			field: KeyEnvFile, msg: "must be an absolute path"},
		{name: "relative state dir", values: map[string]string{KeyStateDir: "state"},
			field: KeyStateDir, msg: "must be an absolute path"},
		{name: "address without a port", values: map[string]string{KeyS3Address: "127.0.0.1"},
			field: KeyS3Address, msg: "must be host:port"},
		{name: "address without a host", values: map[string]string{KeyS3Address: ":9000"},
			field: KeyS3Address, msg: "must be host:port"},
		{name: "port 0", values: map[string]string{KeyS3Address: "127.0.0.1:0"},
			field: KeyS3Address, msg: `has port "0": it must be 1-65535`},
		{name: "port too high", values: map[string]string{KeyConsoleAddress: "127.0.0.1:65536"},
			field: KeyConsoleAddress, msg: `has port "65536"`},
		{name: "port not a number", values: map[string]string{KeyConsoleAddress: "127.0.0.1:http"},
			field: KeyConsoleAddress, msg: `has port "http"`},
		{name: "negative port", values: map[string]string{KeyS3Address: "127.0.0.1:-1"},
			field: KeyS3Address, msg: `has port "-1"`},
		{name: "equal S3 and console addresses", values: map[string]string{KeyS3Address: "127.0.0.1:9000", KeyConsoleAddress: "127.0.0.1:9000"},
			field: KeyConsoleAddress, msg: `must differ, both are "127.0.0.1:9000"`},
		{name: "empty region", values: map[string]string{KeyRegion: ""},
			field: KeyRegion, msg: "must be a region name such as us-east-1"},
		{name: "region with a space", values: map[string]string{KeyRegion: "us east 1"},
			field: KeyRegion, msg: `got "us east 1"`},
		{name: "region with a tab", values: map[string]string{KeyRegion: "us\teast"},
			field: KeyRegion, msg: "must be a region name"},
		{name: "region with a slash", values: map[string]string{KeyRegion: "us/east"},
			field: KeyRegion, msg: "must be a region name"},
		{name: "unknown scanner speed", values: map[string]string{KeyScannerSpeed: "turbo"},
			field: KeyScannerSpeed, msg: `must be one of fastest, fast, default, slow, slowest, got "turbo"`},
		{name: "scanner speed in capitals", values: map[string]string{KeyScannerSpeed: "Fast"},
			field: KeyScannerSpeed, msg: `got "Fast"`},
		{name: "usage interval not a duration", values: map[string]string{KeyUsageInterval: "soon"},
			field: KeyUsageInterval, msg: `must be a duration such as 30s, got "soon"`},
		{name: "usage interval as fractional seconds", values: map[string]string{KeyUsageInterval: "1.5"},
			field: KeyUsageInterval, msg: "must be a duration such as 30s"},
		{name: "usage interval below 1s", values: map[string]string{KeyUsageInterval: "500ms"},
			field: KeyUsageInterval, msg: "must be at least 1s, got 500ms"},
		{name: "usage interval of 0 seconds", values: map[string]string{KeyUsageInterval: "0"},
			field: KeyUsageInterval, msg: "must be at least 1s"},
		{name: "negative usage interval", values: map[string]string{KeyUsageInterval: "-30s"},
			field: KeyUsageInterval, msg: "must be at least 1s"},
		{name: "usage interval in seconds past a duration's range", values: map[string]string{KeyUsageInterval: "9223372037"},
			field: KeyUsageInterval, msg: "is too long (9223372037 seconds)"},
		{name: "negative usage interval in seconds past a duration's range", values: map[string]string{KeyUsageInterval: "-9223372037"},
			field: KeyUsageInterval, msg: "is too long"},
		{name: "usage interval of a billion seconds", values: map[string]string{KeyUsageInterval: "1000000000"},
			check: func(t *testing.T, s Settings) { require.Equal(t, 1e9*time.Second, s.UsageInterval) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.values)
			if tc.check != nil {
				require.NoError(t, err)
				tc.check(t, s)
				return
			}
			require.ErrorIs(t, err, shared.ErrInvalidArgument)
			require.Equal(t, tc.field, shared.AsError(err).Field, "the setting at fault is named: %v", err)
			require.Contains(t, err.Error(), tc.msg)
		})
	}
}

func TestParseScannerSpeeds(t *testing.T) {
	t.Parallel()
	for _, speed := range ScannerSpeeds {
		s, err := Parse(map[string]string{KeyScannerSpeed: speed})
		require.NoError(t, err)
		require.Equal(t, speed, s.ScannerSpeed)
	}
}

// TestValidateNamesFirstFault: Validate checks in a fixed order and names
// the first setting at fault, whatever else is wrong.
func TestValidateNamesFirstFault(t *testing.T) {
	t.Parallel()
	require.NoError(t, Defaults().Validate())
	s := Defaults()
	s.Region = "bad region"
	s.ScannerSpeed = "turbo"
	require.Equal(t, KeyRegion, shared.AsError(s.Validate()).Field)
	s.DataDir = "relative"
	require.Equal(t, KeyDataDir, shared.AsError(s.Validate()).Field)
}

// TestDrivesAreDataDirFirst: a Settings value made by hand with several
// drives must have data_dir as the first of them.
func TestDrivesAreDataDirFirst(t *testing.T) {
	t.Parallel()
	s := Defaults().WithDrives([]string{"/mnt/a", "/mnt/b"})
	require.NoError(t, s.Validate())
	require.Equal(t, "/mnt/a", s.DataDir)
	s.DataDir = "/mnt/other"
	require.Equal(t, KeyDataDirs, shared.AsError(s.Validate()).Field)
	require.Equal(t, []string{"/mnt/x"}, Defaults().WithDrives([]string{"/mnt/x"}).Drives())
	require.Equal(t, "/mnt/x", Defaults().WithDrives([]string{"/mnt/x"}).DataDir)
}

func TestMapRoundTrip(t *testing.T) {
	t.Parallel()
	custom := Settings{
		MinIOBinary: "/usr/local/bin/minio", DataDir: "/data", EnvFile: "/etc/minio.env",
		S3Address: "10.0.0.5:9000", ConsoleAddress: "10.0.0.5:9001", Region: "ap-south-1",
		StateDir: "/var/lib/state", ScannerSpeed: "fastest", UsageInterval: 90 * time.Second,
	}
	drives := custom.WithDrives([]string{"/mnt/a", "/mnt/b", "/mnt/c"})
	for _, s := range []Settings{Defaults(), custom, drives} {
		m := s.Map()
		for _, k := range []string{KeyMinIOBinary, KeyDataDir, KeyDataDirs, KeyEnvFile, KeyS3Address, KeyConsoleAddress,
			KeyRegion, KeyStateDir, KeyScannerSpeed, KeyUsageInterval} {
			require.Contains(t, m, k, "Map carries every setting")
		}
		require.Len(t, m, 10, "Map carries nothing but the settings")
		back, err := Parse(m)
		require.NoError(t, err)
		require.Equal(t, s, back)
	}
}

// executable writes an empty executable file.
func executable(t *testing.T, path string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755))
}

// TestResolveBinary changes $PATH and the working directory, so it does
// not run in parallel.
func TestResolveBinary(t *testing.T) {
	dir := t.TempDir()
	onPath := filepath.Join(dir, "path")
	executable(t, filepath.Join(onPath, "minio"))
	absolute := filepath.Join(dir, "opt", "minio-custom")
	executable(t, absolute)
	executable(t, filepath.Join(dir, "work", "bin", "minio"))
	notExecutable := filepath.Join(dir, "opt", "minio-plain")
	require.NoError(t, os.WriteFile(notExecutable, []byte("x"), 0o644))
	t.Setenv("PATH", onPath)
	t.Chdir(filepath.Join(dir, "work"))

	cases := []struct {
		name, binary, want, wantErr string
	}{
		{"name on $PATH", "minio", filepath.Join(onPath, "minio"), ""},
		{"absolute path", absolute, absolute, ""},
		{"relative path from the working directory", "./bin/minio", filepath.Join(dir, "work", "bin", "minio"), ""},
		{"name not on $PATH", "minio-custom", "", `MinIO binary "minio-custom" not found`},
		{"missing absolute path", filepath.Join(dir, "nope", "minio"), "", "not found"},
		{"not executable", notExecutable, "", "not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Defaults()
			s.MinIOBinary = tc.binary
			got, err := s.ResolveBinary()
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.Empty(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}
