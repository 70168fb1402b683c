// Package rotation keeps the access keys being rotated, and when each old
// key is to be revoked (Due), in the add-on's one database (package
// store), so that a rotation outlives a restart of the add-on.
package rotation

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/quazzar/object-storage/plugin/store"
	"github.com/quazzar/object-storage/shared"
)

// BucketName is the rotations' top-level bucket in the store.
const BucketName = "rotations"

// Bounds of an overlap.
const (
	MinOverlap = 10 * time.Second
	MaxOverlap = 90 * 24 * time.Hour
	// UnusedFor is how long an old key may go unused (by last use) before
	// it is revoked ahead of its deadline.
	UnusedFor = time.Hour
)

// Rotation is one rotation in progress: Old is revoked at Deadline, or
// once it has been unused for UnusedFor.
type Rotation struct {
	Old      string    `json:"old"`
	New      string    `json:"new"`
	Started  time.Time `json:"started"`
	Deadline time.Time `json:"deadline"`
}

// CheckOverlap checks an overlap (the field is named overlap).
func CheckOverlap(d time.Duration) error {
	if d < MinOverlap || d > MaxOverlap {
		return shared.FieldError("overlap", "overlap %s is out of range: give a duration from 10s to 90 days, such as 24h (the default)", d)
	}
	return nil
}

// ParseOverlap reads the page's overlap: empty (the default), a Go
// duration (90m, 24h) or days (7d).
func ParseOverlap(s string) (time.Duration, error) {
	if s == "" {
		return shared.DefaultRotationOverlap, nil
	}
	var d time.Duration
	var days int
	if _, err := fmt.Sscanf(s, "%dd", &days); err == nil && fmt.Sprintf("%dd", days) == s {
		d = time.Duration(days) * 24 * time.Hour
	} else if d, err = time.ParseDuration(s); err != nil {
		return 0, shared.FieldError("overlap", "overlap %q is not a duration: give one such as 24h, 90m or 7d", s)
	}
	return d, CheckOverlap(d)
}

// Due says whether r's old key is to be revoked at now, and why: its
// deadline has passed, or (when last use is tracked) it has not been used
// for UnusedFor since the rotation began, lastUsed being its last use.
func Due(r Rotation, lastUsed time.Time, tracked bool, now time.Time) (bool, string) {
	if !now.Before(r.Deadline) {
		return true, "its deadline " + r.Deadline.UTC().Format(time.RFC3339) + " passed"
	}
	if !tracked {
		return false, ""
	}
	quiet := r.Started
	if lastUsed.After(quiet) {
		quiet = lastUsed
	}
	if now.Sub(quiet) >= UnusedFor {
		return true, "it was not used for an hour"
	}
	return false, ""
}

// Set is the rotations in progress, in memory and written through to the
// store. It is safe for concurrent use.
type Set struct {
	db *store.DB

	mu    sync.Mutex
	byOld map[string]Rotation
}

// Open reads the rotations from db.
func Open(db *store.DB) (*Set, error) {
	s := &Set{db: db, byOld: map[string]Rotation{}}
	err := db.View(BucketName, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r Rotation
			if json.Unmarshal(v, &r) == nil && r.Old == string(k) {
				s.byOld[r.Old] = r
			}
			return nil
		})
	})
	return s, err
}

// Of returns the rotation a key is a half of, and whether it is.
func (s *Set) Of(accessKey string) (Rotation, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.byOld[accessKey]; ok {
		return r, true
	}
	for _, r := range s.byOld {
		if r.New == accessKey {
			return r, true
		}
	}
	return Rotation{}, false
}

// Add records a rotation.
func (s *Set) Add(r Rotation) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.db.Update(BucketName, func(b *bolt.Bucket) error { return b.Put([]byte(r.Old), v) }); err != nil {
		return err
	}
	s.byOld[r.Old] = r
	return nil
}

// Remove forgets the rotation of an old key (done, or either half
// revoked).
func (s *Set) Remove(old string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byOld[old]; !ok {
		return nil
	}
	if err := s.db.Update(BucketName, func(b *bolt.Bucket) error { return b.Delete([]byte(old)) }); err != nil {
		return err
	}
	delete(s.byOld, old)
	return nil
}

// All returns the rotations, by deadline.
func (s *Set) All() []Rotation {
	s.mu.Lock()
	out := make([]Rotation, 0, len(s.byOld))
	for _, r := range s.byOld {
		out = append(out, r)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Deadline.Before(out[j].Deadline) })
	return out
}
