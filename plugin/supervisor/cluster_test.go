package supervisor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quazzar/object-storage/internal/testkit"
	"github.com/quazzar/object-storage/plugin/layout"
)

// TestPeerStates: what another node's MinIO answers to its cluster health
// check tells whether it joined the forming pool (503, server offline),
// still runs a deployment of its own (200), or is down.
func TestPeerStates(t *testing.T) {
	t.Parallel()
	serve := func(code int, status string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			require.Equal(t, "/minio/health/cluster", r.URL.Path)
			if status != "" {
				w.Header().Set("X-Minio-Server-Status", status)
			}
			w.WriteHeader(code)
		}))
		t.Cleanup(srv.Close)
		return strings.TrimPrefix(srv.URL, "http://")
	}
	alone, joined, quorumless, gone := serve(200, ""), serve(503, "offline"), serve(503, ""), testkit.FreeAddr(t)
	peers := []string{alone, joined, quorumless, gone}
	sup := New(testSettings(t, "minio"), nil)
	states := sup.peerStates(context.Background(), peers)
	require.Equal(t, map[string]string{alone: peerServing, joined: peerWaiting, quorumless: peerOther, gone: peerDown}, states)

	waiting, words := notJoined(peers, states)
	require.Equal(t, []string{alone, quorumless, gone}, waiting, "the pool waits for every node not waiting for it too")
	require.Equal(t, alone+" (runs a MinIO of its own (not joined yet))", words[0])
	require.Equal(t, []string{gone}, down(peers, states))

	msg := waitingMessage(layout.Layout{Cluster: "c", Self: "10.0.0.1:9000", Pools: []layout.Pool{{Nodes: []layout.Node{
		{Address: "10.0.0.1:9000", Drives: []string{"/a"}}, {Address: "10.0.0.2:9000", Drives: []string{"/a"}}}}}}, words[:1], "Waiting for all other servers to be online to format the drives")
	require.Contains(t, msg, "once all 2 nodes have joined")
	require.Contains(t, msg, "waiting for "+alone)
	require.Contains(t, msg, "MinIO: Waiting for all other servers")
}
