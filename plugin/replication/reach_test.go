package replication

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/shared"
)

// TestTargetReach: the liveness check before anything is configured says
// why a target cannot be used: a TLS certificate this node does not
// trust, nothing listening, something that is not MinIO.
func TestTargetReach(t *testing.T) {
	t.Parallel()
	m := New(nil, nil, nil, nil)
	ctx := context.Background()
	live := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/minio/health/live" {
			http.NotFound(w, r)
		}
	})

	tlsSrv := httptest.NewTLSServer(live)
	defer tlsSrv.Close()
	err := m.live(ctx, tlsSrv.URL)
	require.Equal(t, shared.CodeUnavailable, shared.CodeOf(err))
	require.Contains(t, err.Error(), "TLS certificate of the target "+tlsSrv.URL+" is not trusted by this node")

	plain := httptest.NewServer(live)
	defer plain.Close()
	require.NoError(t, m.live(ctx, plain.URL+"/"))

	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	err = m.live(ctx, other.URL)
	require.Contains(t, err.Error(), "answered HTTP 404")

	err = m.live(ctx, "http://"+testkit.FreeAddr(t))
	require.Equal(t, shared.CodeUnavailable, shared.CodeOf(err))
	require.Contains(t, err.Error(), "is unreachable")
}
