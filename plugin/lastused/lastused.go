// Package lastused keeps, per access key, when it was last used, for what
// and from where, and its requests, bytes and refusals over the last 24
// hours: aggregates of MinIO's audit events, never the requests
// themselves, bounded whatever the traffic, and saved in the add-on's one
// database (package store).
package lastused

import (
	"encoding/json"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/quazzar/object-storage/plugin/store"
)

// BucketName is the table's top-level bucket in the store.
const BucketName = "last-used"

// DefaultMaxKeys bounds how many access keys the table follows. The keys
// the add-on lists are always followed; others (keys made elsewhere since
// the last listing, the root user, temporary credentials) only up to the
// bound, and are dropped at the next listing.
const DefaultMaxKeys = 10000

// maxText bounds an operation name or a client address as kept.
const maxText = 64

// metaBucket (inside BucketName) holds sinceKey: when tracking began.
var (
	metaBucket = []byte("\x00meta")
	sinceKey   = []byte("since")
)

// slots is the number of hourly slots: 24 hours.
const slots = 24

// Event is one audited request, as much of it as the table keeps.
type Event struct {
	// AccessKey is the key that signed the request. Authenticated says
	// MinIO checked it; otherwise it is the key the request claimed (a
	// refused request names no key in MinIO's audit entry).
	AccessKey     string
	Authenticated bool
	Time          time.Time
	Operation     string // MinIO's API name: PutObject, GetObject, …
	Source        string // the client's address
	Status        int    // HTTP status of the answer
	Bytes         int64  // received plus sent
}

// Refused reports whether MinIO refused the request (401 or 403): a
// refusal is counted as an error of the key, never as a use.
func (e Event) Refused() bool { return e.Status == 401 || e.Status == 403 }

// Usage is what the table knows of one key.
type Usage struct {
	// LastUsed is the time of the last request MinIO did not refuse;
	// zero: never used since tracking began.
	LastUsed      time.Time `json:"last_used,omitzero"`
	LastOperation string    `json:"last_operation,omitempty"`
	LastSource    string    `json:"last_source,omitempty"`
	// Requests24h and Bytes24h count the requests not refused in the last
	// 24 hours (whole hours), Errors24h the refused ones (401, 403).
	Requests24h uint64 `json:"requests_24h"`
	Bytes24h    uint64 `json:"bytes_24h"`
	Errors24h   uint64 `json:"errors_24h"`
}

// slot counts one hour.
type slot struct {
	Hour     int64  `json:"h"` // Unix hour
	Requests uint64 `json:"r,omitempty"`
	Bytes    uint64 `json:"b,omitempty"`
	Errors   uint64 `json:"e,omitempty"`
}

// entry is one key's aggregate: fixed size but for two clipped strings.
type entry struct {
	LastUsed      time.Time   `json:"last_used,omitzero"`
	LastOperation string      `json:"op,omitempty"`
	LastSource    string      `json:"src,omitempty"`
	Slots         [slots]slot `json:"slots"`
}

func (e *entry) add(ev Event) {
	h := ev.Time.Unix() / 3600
	s := &e.Slots[h%slots]
	if s.Hour != h {
		if s.Hour > h {
			return // older than what this slot holds: outside the window
		}
		*s = slot{Hour: h}
	}
	if ev.Refused() {
		s.Errors++
		return
	}
	s.Requests++
	if ev.Bytes > 0 {
		s.Bytes += uint64(ev.Bytes)
	}
	if !ev.Time.Before(e.LastUsed) {
		e.LastUsed = ev.Time.UTC()
		e.LastOperation, e.LastSource = clip(ev.Operation), clip(ev.Source)
	}
}

func (e *entry) usage(now time.Time) Usage {
	u := Usage{LastUsed: e.LastUsed, LastOperation: e.LastOperation, LastSource: e.LastSource}
	from := now.Unix()/3600 - slots
	for _, s := range e.Slots {
		if s.Hour > from {
			u.Requests24h += s.Requests
			u.Bytes24h += s.Bytes
			u.Errors24h += s.Errors
		}
	}
	return u
}

// Stats count what the table did with the events it was given.
type Stats struct {
	Events  uint64 // events recorded
	Dropped uint64 // events of keys not followed (unknown, or over the bound)
	Keys    int    // keys followed now
}

// Table is the per-key aggregates. It is safe for concurrent use; one lock
// guards it, held for a map lookup and a few additions per event.
type Table struct {
	max int
	now func() time.Time

	mu sync.Mutex
	// since is when tracking began: the first start that saved a table.
	since   time.Time
	entries map[string]*entry
	known   map[string]bool
	dirty   map[string]bool // changed since the last Save
	removed map[string]bool // dropped since the last Save
	stats   Stats
}

// New returns an empty table following at most maxKeys keys (0:
// DefaultMaxKeys).
func New(maxKeys int) *Table {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxKeys
	}
	return &Table{max: maxKeys, now: time.Now, since: time.Now().UTC().Truncate(time.Second), entries: map[string]*entry{}, known: map[string]bool{},
		dirty: map[string]bool{}, removed: map[string]bool{}}
}

// Record adds events. An event of a key the table does not follow yet
// starts following it when MinIO authenticated the key and the bound is
// not reached, or when the key is known (SetKnown); otherwise it is
// dropped. An event dated in the future is taken as now.
func (t *Table) Record(events ...Event) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ev := range events {
		if ev.AccessKey == "" {
			t.stats.Dropped++
			continue
		}
		e, ok := t.entries[ev.AccessKey]
		if !ok {
			known := t.known[ev.AccessKey]
			if !known && (!ev.Authenticated || len(t.entries) >= t.max) {
				t.stats.Dropped++
				continue
			}
			e = &entry{}
			t.entries[ev.AccessKey] = e
			delete(t.removed, ev.AccessKey)
		}
		if ev.Time.IsZero() || ev.Time.After(now) {
			ev.Time = now
		}
		e.add(ev)
		t.dirty[ev.AccessKey] = true
		t.stats.Events++
	}
}

// SetKnown says which keys exist (the add-on's key list): they are always
// followed, and the table stops following every other key.
func (t *Table) SetKnown(accessKeys []string) {
	known := make(map[string]bool, len(accessKeys))
	for _, ak := range accessKeys {
		known[ak] = true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.known = known
	for ak := range t.entries {
		if !known[ak] {
			delete(t.entries, ak)
			delete(t.dirty, ak)
			t.removed[ak] = true
		}
	}
}

// Forget stops following a key (revoked).
func (t *Table) Forget(accessKey string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.entries[accessKey]; ok {
		delete(t.entries, accessKey)
		delete(t.dirty, accessKey)
		t.removed[accessKey] = true
	}
	delete(t.known, accessKey)
}

// Usage returns what is known of a key as of now; ok is false when the
// key has no event since tracking began.
func (t *Table) Usage(accessKey string) (Usage, bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[accessKey]
	if !ok {
		return Usage{}, false
	}
	return e.usage(now), true
}

// Since is when tracking began: a key without a use since then was never
// used as far as the table knows.
func (t *Table) Since() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.since
}

// Stats returns the table's counters.
func (t *Table) Stats() Stats {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.stats
	s.Keys = len(t.entries)
	return s
}

// Save writes the entries changed since the last Save, and removes the
// dropped ones, in one transaction of db.
func (t *Table) Save(db *store.DB) error {
	t.mu.Lock()
	put := make(map[string][]byte, len(t.dirty))
	for ak := range t.dirty {
		b, err := json.Marshal(t.entries[ak])
		if err != nil {
			t.mu.Unlock()
			return err
		}
		put[ak] = b
	}
	del := make([]string, 0, len(t.removed))
	for ak := range t.removed {
		del = append(del, ak)
	}
	t.dirty, t.removed = map[string]bool{}, map[string]bool{}
	since, _ := t.since.MarshalText()
	t.mu.Unlock()
	if len(put) == 0 && len(del) == 0 {
		return nil
	}
	err := db.Update(BucketName, func(b *bolt.Bucket) error {
		meta, err := b.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		if meta.Get(sinceKey) == nil {
			if err := meta.Put(sinceKey, since); err != nil {
				return err
			}
		}
		for _, ak := range del {
			if err := b.Delete([]byte(ak)); err != nil {
				return err
			}
		}
		for ak, v := range put {
			if err := b.Put([]byte(ak), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Not written: mark it all again for the next Save.
		t.mu.Lock()
		for ak := range put {
			if _, ok := t.entries[ak]; ok {
				t.dirty[ak] = true
			}
		}
		for _, ak := range del {
			if _, ok := t.entries[ak]; !ok {
				t.removed[ak] = true
			}
		}
		t.mu.Unlock()
	}
	return err
}

// Load reads the entries saved in db into the table, over what it has.
// Unreadable entries are skipped.
func (t *Table) Load(db *store.DB) error {
	loaded := map[string]*entry{}
	var since time.Time
	err := db.View(BucketName, func(b *bolt.Bucket) error {
		if b == nil {
			return nil
		}
		if meta := b.Bucket(metaBucket); meta != nil {
			_ = since.UnmarshalText(meta.Get(sinceKey))
		}
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return nil // the meta bucket
			}
			var e entry
			if json.Unmarshal(v, &e) == nil {
				loaded[string(k)] = &e
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !since.IsZero() {
		t.since = since
	}
	for ak, e := range loaded {
		if _, ok := t.entries[ak]; !ok && len(t.entries) < t.max {
			t.entries[ak] = e
		}
	}
	return nil
}

func clip(s string) string {
	if len(s) > maxText {
		return s[:maxText]
	}
	return s
}
