package supervisor

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quazzar/object-storage/plugin/layout"
)

// reasonAge is how old a line of MinIO's log may be to explain its state.
const reasonAge = 2 * time.Minute

// silentPeers asks each other node's MinIO for /minio/health/live, which
// answers as soon as the process serves, before the pool forms, and
// returns the nodes that do not answer, in the layout's order.
func (s *Supervisor) silentPeers(ctx context.Context, peers []string) []string {
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	var (
		mu     sync.Mutex
		silent []string
		wg     sync.WaitGroup
	)
	for _, p := range peers {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p+"/minio/health/live", nil)
			ok := false
			if err == nil {
				if resp, err := s.client.Do(req); err == nil {
					resp.Body.Close()
					ok = resp.StatusCode == http.StatusOK
				}
			}
			if !ok {
				mu.Lock()
				silent = append(silent, p)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(silent, func(a, b string) int { return slices.Index(peers, a) - slices.Index(peers, b) })
	return silent
}

// minioReason is MinIO's last recent line saying why it does not serve.
func (s *Supervisor) minioReason() string {
	s.mu.Lock()
	t := s.tail
	s.mu.Unlock()
	return t.lastReason(reasonAge)
}

// waitingMessage says what a cluster's MinIO waits for before its pool
// forms.
func waitingMessage(lay layout.Layout, silent []string, reason string) string {
	msg := fmt.Sprintf("waiting for the cluster's pool to form (MinIO forms it once all %d nodes are up)", len(lay.Addresses()))
	if len(silent) > 0 {
		msg += "; not answering yet: " + strings.Join(silent, ", ")
	} else {
		msg += "; every node answers"
	}
	if reason != "" {
		msg += "; MinIO: " + reason
	}
	return msg
}

// degradedMessage says why a running MinIO does not answer its health
// check: MinIO's own reason and, in a cluster, the nodes that do not
// answer.
func degradedMessage(pid int, url, probe string, silent []string, reason string) string {
	msg := fmt.Sprintf("MinIO (pid %d) runs but %s/minio/health/cluster has not answered 200 for 3 checks", pid, url)
	if probe != "" {
		msg += " (" + probe + ")"
	}
	if len(silent) > 0 {
		msg += "; nodes not answering: " + strings.Join(silent, ", ")
	}
	if reason != "" {
		msg += "; MinIO: " + reason
	}
	return msg
}
