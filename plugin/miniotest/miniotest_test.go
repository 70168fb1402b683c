package miniotest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/shared"
)

func TestStartAndStartSupervised(t *testing.T) {
	t.Parallel()
	for name, start := range map[string]func(testing.TB) *Server{
		"Start":           Start,
		"StartSupervised": func(t testing.TB) *Server { return StartSupervised(t, SupervisedOptions{}) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := start(t)
			require.NotEmpty(t, s.AccessKey)
			require.NotEmpty(t, s.SecretKey)
			resp, err := http.Get(s.Endpoint() + "/minio/health/cluster")
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.NoError(t, WaitReady(context.Background(), s.Address, 5*time.Second))
			if s.Supervisor != nil {
				require.Equal(t, shared.StateRunning, s.Supervisor.Status().State)
			}
		})
	}
}
