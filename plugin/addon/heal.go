package addon

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/plugin/minioadmin"
	"github.com/quazzar/object-storage/plugin/topology"
	"github.com/quazzar/object-storage/shared"
)

// healPoll is how often a heal sequence's results are read: MinIO
// pauses a sequence once 1,000 results wait to be read.
const healPoll = 2 * time.Second

// healer asks MinIO to heal everything when a node or drive it saw
// offline comes back. MinIO heals by itself a drive replaced by an empty
// one, and an object read while one of its copies is missing, but not
// what a node or drive missed while it was away, until its scanner comes
// to each object (one cycle in 1,024); this is `mc admin heal -r` at the
// moment it is needed. One sequence at a time, started by one node of a
// cluster (topology.LeadsHeal); it ends with the service.
type healer struct {
	ctx   context.Context
	admin *minioadmin.Client
	log   hclog.Logger

	mu      sync.Mutex
	prev    shared.Topology
	running bool
}

// seen takes the topology of a refresh and starts a heal when something
// came back.
func (h *healer) seen(t shared.Topology) {
	h.mu.Lock()
	back := topology.Returned(h.prev, t)
	h.prev = t
	if len(back) == 0 || h.running || !topology.LeadsHeal(t, back) {
		h.mu.Unlock()
		return
	}
	h.running = true
	h.mu.Unlock()
	go func() {
		defer func() {
			h.mu.Lock()
			h.running = false
			h.mu.Unlock()
		}()
		h.heal(strings.Join(back, ", "))
	}()
}

// Heal attempts: MinIO may see a node online (server info) some seconds
// before its erasure sets reconnect to its drives; a heal then finds the
// drives offline and heals nothing, so it runs again.
const (
	healAttempts = 6
	healRetry    = 10 * time.Second
)

// heal runs heal sequences to their end, reading their results, until
// one reaches every drive.
func (h *healer) heal(back string) {
	for attempt := 1; attempt <= healAttempts; attempt++ {
		unreached, ok := h.once(back)
		if !ok || unreached == 0 {
			return
		}
		if attempt == healAttempts {
			h.log.Warn("MinIO's heal did not reach every drive; MinIO heals the rest when it is read or when its scanner reaches it", "back", back, "unreached", unreached)
			return
		}
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(healRetry):
		}
	}
}

// once runs one heal sequence and says how many items it could not heal
// on every drive; ok is false when there is nothing more to do (an
// error, a heal already running, the service stopping).
func (h *healer) once(back string) (unreached int, ok bool) {
	ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
	token, err := h.admin.StartHeal(ctx)
	cancel()
	switch {
	case err != nil:
		h.log.Warn("back online, but MinIO's heal could not be started: MinIO heals what was missed when it is read, or when its scanner reaches it", "back", back, "error", err)
		return 0, false
	case token == "":
		h.log.Info("back online; a heal MinIO runs already will cover it", "back", back)
		return 0, false
	}
	h.log.Info("back online: MinIO heals what was written while it was away", "back", back)
	items := 0
	for {
		select {
		case <-h.ctx.Done():
			return 0, false
		case <-time.After(healPoll):
		}
		ctx, cancel := context.WithTimeout(h.ctx, 30*time.Second)
		st, err := h.admin.HealStatus(ctx, token)
		cancel()
		if err != nil {
			h.log.Warn("the heal's progress could not be read; MinIO goes on with it", "error", err)
			return 0, false
		}
		items += st.Items
		unreached += st.Unreached
		if st.Ended() {
			h.log.Info("heal ended", "back", back, "summary", st.Summary, "items", items, "unreached", unreached, "detail", st.Detail)
			return unreached, true
		}
	}
}
