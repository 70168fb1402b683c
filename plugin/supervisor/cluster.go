package supervisor

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/quazzar/object-storage/plugin/layout"
)

// reasonAge is how old a line of MinIO's log may be to explain its state.
const reasonAge = 2 * time.Minute

// What a peer's MinIO answers to /minio/health/cluster, as peerStates
// reads it.
const (
	peerDown    = "not answering"
	peerAlone   = "runs a MinIO of its own (not joined yet)"
	peerWaiting = "waits for the pool"
	peerServing = "serving"
	peerOther   = "answers otherwise"
)

// peerStates asks each other node's MinIO /minio/health/cluster: no answer
// (down); 200 from a node whose pool has not formed with ours yet means it
// runs a deployment of its own; 503 with X-Minio-Server-Status "offline"
// means a MinIO whose object layer is not up, waiting for its pool like
// this one.
func (s *Supervisor) peerStates(ctx context.Context, peers []string) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	var (
		mu  sync.Mutex
		out = make(map[string]string, len(peers))
		wg  sync.WaitGroup
	)
	for _, p := range peers {
		wg.Go(func() {
			state := peerDown
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p+"/minio/health/cluster", nil)
			if err == nil {
				if resp, err := s.client.Do(req); err == nil {
					resp.Body.Close()
					switch {
					case resp.StatusCode == http.StatusOK:
						state = peerServing
					case resp.Header.Get("X-Minio-Server-Status") == "offline":
						state = peerWaiting
					default:
						state = peerOther
					}
				}
			}
			mu.Lock()
			out[p] = state
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// notJoined are the peers a forming pool waits for (every peer but those
// whose MinIO waits for the pool too), in the layout's order, and a
// sentence on each.
func notJoined(peers []string, states map[string]string) ([]string, []string) {
	var addrs, words []string
	for _, p := range peers {
		st := states[p]
		if st == peerWaiting {
			continue
		}
		if st == peerServing {
			st = peerAlone
		}
		addrs = append(addrs, p)
		words = append(words, p+" ("+st+")")
	}
	return addrs, words
}

// down are the peers that do not answer at all.
func down(peers []string, states map[string]string) []string {
	var out []string
	for _, p := range peers {
		if states[p] == peerDown {
			out = append(out, p)
		}
	}
	return out
}

// minioReason is MinIO's last recent line saying why it does not serve.
func (s *Supervisor) minioReason() string {
	s.mu.Lock()
	t := s.tail
	s.mu.Unlock()
	return t.lastReason(reasonAge)
}

// waitingMessage says what a cluster's MinIO waits for before its pool
// forms: the nodes that have not joined, each with what it answers.
func waitingMessage(lay layout.Layout, waiting []string, reason string) string {
	msg := fmt.Sprintf("waiting for the cluster's pool to form (MinIO forms it once all %d nodes have joined and run)", len(lay.Addresses()))
	if len(waiting) > 0 {
		msg += "; waiting for " + strings.Join(waiting, ", ")
	} else {
		msg += "; every node has joined"
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
