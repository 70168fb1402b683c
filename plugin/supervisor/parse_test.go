package supervisor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/stretchr/testify/require"
)

func TestParseStat(t *testing.T) {
	tail := " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21\n"
	cases := []struct {
		name    string
		in      string
		state   byte
		threads int
		ticks   uint64
		wantErr bool
	}{
		{"plain", "123 (minio) S" + tail, 'S', 17, 424242, false},
		{"name with spaces and parens", "123 (a) b (c) Z" + tail, 'Z', 17, 424242, false},
		{"too short", "123 (minio) S 1 2 3\n", 0, 0, 0, true},
		{"no parens", "123 minio S" + tail, 0, 0, 0, true},
		{"thread count not a number", "123 (minio) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 x 18 424242 20 21\n", 0, 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, err := parseStat([]byte(tc.in))
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.state, st.state)
			require.Equal(t, tc.threads, st.threads)
			require.Equal(t, tc.ticks, st.startTicks)
		})
	}
}

func TestReadStatOfSelf(t *testing.T) {
	st, err := readStat(os.Getpid())
	require.NoError(t, err)
	require.NotEqual(t, byte('Z'), st.state)
	require.False(t, st.exited())
	require.Greater(t, st.threads, 1, "a Go test runs several threads")
	require.NotZero(t, st.startTicks)
	started := startTimeOf(st.startTicks)
	require.WithinDuration(t, time.Now(), started, 10*time.Minute)
	info, err := readProc(os.Getpid())
	require.NoError(t, err)
	exe, err := os.Executable()
	require.NoError(t, err)
	require.True(t, sameFile(info.Exe, exe))
	require.Equal(t, os.Args, info.Args)
}

func TestParseVersion(t *testing.T) {
	cases := map[string]string{
		"minio version DEVELOPMENT.GOGET (commit-id=DEVELOPMENT.GOGET)\nRuntime: go1.26\n": "DEVELOPMENT.GOGET",
		"minio version RELEASE.2025-04-22T22-12-26Z (commit-id=abc)\n":                     "RELEASE.2025-04-22T22-12-26Z",
		"something else\n": "something else",
	}
	for in, want := range cases {
		require.Equal(t, want, parseVersion(in))
	}
}

func TestCleanLine(t *testing.T) {
	cases := []struct{ in, want string }{
		{"\x1b[34mAPI: \x1b[0m\x1b[1mhttp://127.0.0.1:9000 \x1b[0m", "API: http://127.0.0.1:9000"},
		{"   RootPass: s3cr3t-value ", "RootPass: [redacted]"},
		{"   ", ""},
	}
	for _, tc := range cases {
		require.Equal(t, tc.want, cleanLine(tc.in, []string{"s3cr3t-value", ""}))
	}
}

func TestProbeAddress(t *testing.T) {
	cases := map[string]string{
		"127.0.0.1:9000": "127.0.0.1:9000",
		"0.0.0.0:9000":   "127.0.0.1:9000",
		":9000":          "127.0.0.1:9000",
		"[::]:9000":      "[::1]:9000",
		"[::1]:9000":     "[::1]:9000",
	}
	for in, want := range cases {
		require.Equal(t, want, probeAddress(in), in)
	}
}

func TestLogTailForwardsRedactsAndRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), LogFileName)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.WriteString("old line before the tail started\n")
	require.NoError(t, err)

	buf := &testkit.Buffer{}
	log := hclog.New(&hclog.LoggerOptions{Output: buf, Level: hclog.Trace})
	tail := startTail(path, fileSize(path), 200, log, []string{"topsecret"})
	_, err = f.WriteString("ERROR something failed\nRootPass: topsecret\npartial")
	require.NoError(t, err)
	_, err = f.WriteString(" line\n" + strings.Repeat("x", 250) + "\n")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return strings.Contains(buf.String(), "partial line") }, 5*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return fileSize(path) == 0 }, 5*time.Second, 20*time.Millisecond, "log over the cap is rotated")
	_, err = f.WriteString("after rotation\n")
	require.NoError(t, err)
	tail.close()

	out := buf.String()
	require.NotContains(t, out, "old line", "only lines written after the tail started")
	require.Contains(t, out, "[ERROR] ERROR something failed")
	require.Contains(t, out, "RootPass: [redacted]")
	require.NotContains(t, out, "topsecret")
	require.Contains(t, out, "after rotation")
	old, err := os.ReadFile(path + ".1")
	require.NoError(t, err)
	require.Contains(t, string(old), "partial line")
	cur, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "after rotation\n", string(cur), "MinIO's O_APPEND writes land at the start after truncation")
	require.Equal(t, []string{"after rotation"}, lastLines(path, 5, nil))
}
