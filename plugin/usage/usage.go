// Package usage keeps the per-bucket size and object count that MinIO's
// data-usage scanner reports, and the space of MinIO's drives, refreshed
// on an interval with the same two admin calls however many buckets there
// are. A recorder, when set, gets every fresh snapshot (usage history).
package usage

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/quazzar/object-storage/shared"
)

// Figures of one bucket.
type Figures struct {
	Size          uint64
	Objects       uint64
	Versions      uint64
	DeleteMarkers uint64
}

// Drive is one of MinIO's drives: its space now.
type Drive struct {
	Path      string
	State     string
	Total     uint64
	Used      uint64
	Available uint64
}

// Snapshot is one scan as MinIO reports it, and its drives at the time of
// the refresh. ScannedAt is zero before the scanner's first sweep; Drives
// is empty when MinIO did not say.
type Snapshot struct {
	ScannedAt time.Time
	Buckets   map[string]Figures
	Drives    []Drive
	// Topology is the store's nodes and drives (FromMinIO false when MinIO
	// did not say).
	Topology shared.Topology
}

// Recorder gets every snapshot a refresh fetched, and when it was
// fetched.
type Recorder func(snap Snapshot, fetched time.Time)

// Source fetches the current snapshot (MinIO's data usage info).
type Source func(ctx context.Context) (Snapshot, error)

// Poller caches the latest snapshot and refreshes it every interval.
type Poller struct {
	src Source
	log hclog.Logger

	mu       sync.Mutex
	interval time.Duration
	snap     Snapshot
	fetched  time.Time
	lastErr  error
	kick     chan struct{}
	record   Recorder
}

// New returns a poller; call Run to start refreshing.
func New(src Source, interval time.Duration, log hclog.Logger) *Poller {
	return &Poller{src: src, log: log, interval: interval, kick: make(chan struct{}, 1)}
}

// Run refreshes at once, then every interval, until ctx ends.
func (p *Poller) Run(ctx context.Context) {
	for {
		if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
			p.log.Debug("usage refresh failed", "error", err)
		}
		p.mu.Lock()
		d := p.interval
		p.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-p.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// SetRecorder sets what gets each fresh snapshot (nil: nothing).
func (p *Poller) SetRecorder(r Recorder) {
	p.mu.Lock()
	p.record = r
	p.mu.Unlock()
}

// Refresh fetches one snapshot now, then hands it to the recorder. When
// the source fails but still read the drives and nodes, those are kept
// with the previous bucket figures.
func (p *Poller) Refresh(ctx context.Context) error {
	snap, err := p.src(ctx)
	now := time.Now()
	p.mu.Lock()
	p.lastErr = err
	switch {
	case err == nil:
		p.snap, p.fetched = snap, now
	case snap.Topology.FromMinIO:
		p.snap.Topology, p.snap.Drives = snap.Topology, snap.Drives
	}
	record := p.record
	p.mu.Unlock()
	if err != nil {
		return err
	}
	if record != nil {
		record(snap, now)
	}
	return nil
}

// SetInterval changes the refresh interval and wakes the loop.
func (p *Poller) SetInterval(d time.Duration) {
	p.mu.Lock()
	p.interval = d
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Snapshot returns the cached snapshot, the time it was fetched and the
// error of the last refresh.
func (p *Poller) Snapshot() (Snapshot, time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snap, p.fetched, p.lastErr
}

// Usage returns a bucket's cached figures; Scanned is false until the
// scanner has swept the bucket.
func (p *Poller) Usage(bucket string) shared.Usage {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.snap.Usage(bucket)
}

// Usage returns a bucket's figures from this snapshot.
func (s Snapshot) Usage(bucket string) shared.Usage {
	f, ok := s.Buckets[bucket]
	if !ok || s.ScannedAt.IsZero() {
		return shared.Usage{}
	}
	return shared.Usage{Size: f.Size, Objects: f.Objects, Versions: f.Versions, DeleteMarkers: f.DeleteMarkers,
		Scanned: true, ScannedAt: s.ScannedAt}
}
