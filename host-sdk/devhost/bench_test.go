package devhost_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

// BenchmarkAddonResidentMemory reports the add-on process's resident
// memory once it runs MinIO and has served a few calls, as the host
// launches it.
func BenchmarkAddonResidentMemory(b *testing.B) {
	h := uiStartHost(b)
	p, ok := h.Addons.Plugin(addonID)
	require.True(b, ok)
	c, err := p.Client()
	require.NoError(b, err)
	ctx := context.Background()
	for b.Loop() {
		_, err := c.Page(ctx, shared.PageRequest{})
		require.NoError(b, err)
	}
	time.Sleep(5 * time.Second) // a few usage refreshes, and idle
	b.ReportMetric(rssMiB(b, p.Info().PID), "addon-RSS-MiB")
	st, err := c.Status(ctx, shared.StatusRequest{})
	require.NoError(b, err)
	b.ReportMetric(rssMiB(b, st.PID), "minio-RSS-MiB")
}

func rssMiB(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	require.NoError(b, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			require.NoError(b, err)
			return float64(kb) / 1024
		}
	}
	b.Fatalf("no VmRSS for pid %d", pid)
	return 0
}
