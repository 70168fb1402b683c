// Package history keeps usage over time: one figure per series (a bucket's
// size, a drive's used bytes) at every refresh for the last day, then one
// per hour for 90 days, in the add-on's one database (package store), and
// says when a limit will be reached at the recent rate (Predict).
//
// The layout bounds the file whatever runs for how long. A sample is
// stored only when its figure changed, so idle buckets cost nothing; at
// worst (every figure changes at every refresh) a series holds one day of
// refreshes and 90 × 24 hourly samples, a few bytes each (see Bound).
//
// Keys are time first (the hour or the day, then the series name), so that
// a refresh writes into one contiguous run of keys, not one page per
// series. Downsampling and expiry run once an hour, in the same
// transaction as a refresh's samples.
package history

import (
	"encoding/binary"
	"slices"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/quazzar/object-storage/plugin/store"
)

// BucketName is history's top-level bucket in the store.
const BucketName = "usage-history"

// Sub-buckets of BucketName.
var (
	rawBucket    = []byte("raw")    // hour start + series → that hour's samples
	hourlyBucket = []byte("hourly") // day start + series → that day's hourly samples
	lastBucket   = []byte("last")   // series → its newest sample
	metaBucket   = []byte("meta")
	compactedKey = []byte("compacted") // the hour compaction last ran for
)

// Policy says how long samples are kept at each resolution.
type Policy struct {
	// Raw is how long every sample is kept.
	Raw time.Duration
	// Hourly is how long one sample per hour is kept.
	Hourly time.Duration
}

// DefaultPolicy is the product's: every refresh for 24 hours, hourly for
// 90 days.
var DefaultPolicy = Policy{Raw: 24 * time.Hour, Hourly: 90 * 24 * time.Hour}

// Sample is one figure at one time (whole seconds).
type Sample struct {
	At    time.Time `json:"t"`
	Value uint64    `json:"v"`
}

// Point is a sample of one series, as a refresh records it.
type Point struct {
	Series string
	Sample
}

// Series names.
const (
	bucketPrefix = "bucket/"
	drivePrefix  = "drive/"
)

// BucketSeries is the series of a bucket's size.
func BucketSeries(bucket string) string { return bucketPrefix + bucket }

// DriveSeries is the series of a drive's used bytes.
func DriveSeries(path string) string { return drivePrefix + path }

// SplitSeries returns the kind ("bucket" or "drive") and the name of a
// series.
func SplitSeries(series string) (kind, name string) {
	if n, ok := strings.CutPrefix(series, bucketPrefix); ok {
		return "bucket", n
	}
	if n, ok := strings.CutPrefix(series, drivePrefix); ok {
		return "drive", n
	}
	return "", series
}

// History reads and writes the samples. It is safe for concurrent use (the
// store serialises writes).
type History struct {
	db     *store.DB
	policy Policy

	// mu guards the in-memory copy of each series' newest sample and of
	// the hour compaction last ran for, so that a refresh that changes
	// nothing opens no write transaction. The store stays the truth: a
	// transaction checks again.
	mu        sync.Mutex
	last      map[string]Sample
	compacted time.Time
}

// New returns the history kept in db.
func New(db *store.DB, p Policy) *History {
	return &History{db: db, policy: p}
}

// Policy returns the retention policy.
func (h *History) Policy() Policy { return h.policy }

// Record downsamples and expires old samples (once per hour of now), then
// stores the points whose figure changed since the series' newest sample
// (a point not newer than it is ignored). One transaction.
func (h *History) Record(now time.Time, points []Point) error {
	changed, due, err := h.filter(now, points)
	if err != nil || (len(changed) == 0 && !due) {
		return err
	}
	var expired []string
	err = h.db.Update(BucketName, func(root *bolt.Bucket) error {
		b, err := subBuckets(root)
		if err != nil {
			return err
		}
		if expired, err = b.compactOnce(now, h.policy); err != nil {
			return err
		}
		for _, p := range changed {
			if err := b.add(p, now.Add(-h.policy.Hourly)); err != nil {
				return err
			}
		}
		return nil
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if err != nil {
		h.last = nil // reload: the transaction was rolled back
		return err
	}
	h.compacted = floor(now, hour)
	for _, s := range expired {
		delete(h.last, s)
	}
	for _, p := range changed {
		if cur, ok := h.last[p.Series]; !ok || p.At.After(cur.At) {
			h.last[p.Series] = Sample{At: p.At.Truncate(time.Second), Value: p.Value}
		}
	}
	return nil
}

// filter returns the points whose figure changed (by the in-memory copy
// of the newest samples, loaded on first use) and whether compaction is
// due for now.
func (h *History) filter(now time.Time, points []Point) ([]Point, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		last := map[string]Sample{}
		var compacted time.Time
		if err := h.db.View(BucketName, func(root *bolt.Bucket) error {
			if root == nil {
				return nil
			}
			if m := root.Bucket(metaBucket); m != nil {
				if v := m.Get(compactedKey); len(v) == 8 {
					compacted = time.Unix(int64(binary.BigEndian.Uint64(v)), 0).UTC()
				}
			}
			if lb := root.Bucket(lastBucket); lb != nil {
				return lb.ForEach(func(k, v []byte) error {
					if s, ok := decodeLast(v); ok {
						last[string(k)] = s
					}
					return nil
				})
			}
			return nil
		}); err != nil {
			return nil, false, err
		}
		h.last, h.compacted = last, compacted
	}
	var changed []Point
	for _, p := range points {
		if cur, ok := h.last[p.Series]; ok && !cur.At.Before(now.Add(-h.policy.Hourly)) &&
			(!p.At.Truncate(time.Second).After(cur.At) || cur.Value == p.Value) {
			continue
		}
		changed = append(changed, p)
	}
	return changed, floor(now, hour).After(h.compacted), nil
}

// Forget removes every sample of a series (a deleted bucket).
func (h *History) Forget(series string) error {
	err := h.db.Update(BucketName, func(root *bolt.Bucket) error {
		b, err := subBuckets(root)
		if err != nil {
			return err
		}
		for _, tier := range []*bolt.Bucket{b.raw, b.hourly} {
			var doomed [][]byte
			c := tier.Cursor()
			for k, _ := c.First(); k != nil; k, _ = c.Next() {
				if string(k[8:]) == series {
					doomed = append(doomed, slices.Clone(k))
				}
			}
			for _, k := range doomed {
				if err := tier.Delete(k); err != nil {
					return err
				}
			}
		}
		return b.last.Delete([]byte(series))
	})
	h.mu.Lock()
	delete(h.last, series)
	h.mu.Unlock()
	return err
}

// Series returns a series' samples kept as of now, oldest first.
func (h *History) Series(series string, now time.Time) ([]Sample, error) {
	var out []Sample
	err := h.db.View(BucketName, func(root *bolt.Bucket) error {
		if root == nil {
			return nil
		}
		name := []byte(series)
		from := now.Add(-h.policy.Hourly)
		if hb := root.Bucket(hourlyBucket); hb != nil {
			for d := floor(from, day); !d.After(now); d = d.Add(day) {
				out = appendBlock(out, d, hb.Get(key(d, name)))
			}
		}
		if rb := root.Bucket(rawBucket); rb != nil {
			// Raw blocks are folded once an hour, at a refresh: start
			// from the oldest one the last compaction may have left.
			first := floor(now.Add(-h.policy.Raw-hour), hour)
			if m := root.Bucket(metaBucket); m != nil {
				if v := m.Get(compactedKey); len(v) == 8 {
					c := floor(time.Unix(int64(binary.BigEndian.Uint64(v)), 0).Add(-h.policy.Raw), hour)
					if c.Before(first) && c.After(from) {
						first = c
					}
				}
			}
			for hr := first; !hr.After(now); hr = hr.Add(hour) {
				out = appendBlock(out, hr, rb.Get(key(hr, name)))
			}
		}
		return nil
	})
	return clip(out, now.Add(-h.policy.Hourly)), err
}

// All returns every series' samples kept as of now, by series name.
func (h *History) All(now time.Time) (map[string][]Sample, error) {
	out := map[string][]Sample{}
	err := h.db.View(BucketName, func(root *bolt.Bucket) error {
		if root == nil {
			return nil
		}
		for _, tier := range []struct {
			name []byte
			unit time.Duration
		}{{hourlyBucket, day}, {rawBucket, hour}} {
			tb := root.Bucket(tier.name)
			if tb == nil {
				continue
			}
			if err := tb.ForEach(func(k, v []byte) error {
				start, series, ok := splitKey(k)
				if !ok {
					return nil
				}
				out[series] = appendBlock(out[series], start, v)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	for s, samples := range out {
		slices.SortFunc(samples, func(a, b Sample) int { return a.At.Compare(b.At) })
		if samples = clip(samples, now.Add(-h.policy.Hourly)); len(samples) == 0 {
			delete(out, s)
		} else {
			out[s] = samples
		}
	}
	return out, err
}

const (
	hour = time.Hour
	day  = 24 * time.Hour
)

// tiers are the sub-buckets of one transaction.
type tiers struct {
	raw, hourly, last, meta *bolt.Bucket
}

func subBuckets(root *bolt.Bucket) (tiers, error) {
	var t tiers
	for _, s := range []struct {
		dst  **bolt.Bucket
		name []byte
	}{{&t.raw, rawBucket}, {&t.hourly, hourlyBucket}, {&t.last, lastBucket}, {&t.meta, metaBucket}} {
		b, err := root.CreateBucketIfNotExists(s.name)
		if err != nil {
			return t, err
		}
		*s.dst = b
	}
	return t, nil
}

// add appends p to its hour's raw block when its figure changed since the
// series' newest sample (one older than expired counts as none).
func (t tiers) add(p Point, expired time.Time) error {
	at := p.At.Truncate(time.Second)
	name := []byte(p.Series)
	last, hasLast := decodeLast(t.last.Get(name))
	if hasLast && !last.At.Before(expired) && (!at.After(last.At) || last.Value == p.Value) {
		return nil
	}
	start := floor(at, hour)
	k := key(start, name)
	block := t.raw.Get(k)
	// The newest sample is in the newest non-empty block, so a non-empty
	// block for p's hour ends with it: append a delta from it.
	var base uint64
	if len(block) > 0 {
		base = last.Value
	}
	if err := t.raw.Put(k, appendSample(slices.Clone(block), start, base, len(block) == 0, Sample{At: at, Value: p.Value})); err != nil {
		return err
	}
	return t.last.Put(name, encodeLast(Sample{At: at, Value: p.Value}))
}

// compactOnce runs compact at most once per hour of now, and returns the
// series it forgot.
func (t tiers) compactOnce(now time.Time, p Policy) ([]string, error) {
	h := floor(now, hour)
	if v := t.meta.Get(compactedKey); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) >= h.Unix() {
		return nil, nil
	}
	expired, err := t.compact(now, p)
	if err != nil {
		return nil, err
	}
	return expired, t.meta.Put(compactedKey, binary.BigEndian.AppendUint64(nil, uint64(h.Unix())))
}

// compact folds raw blocks older than p.Raw into hourly samples (the last
// sample of each hour), drops hourly blocks older than p.Hourly, and
// forgets series with nothing left (returned).
func (t tiers) compact(now time.Time, p Policy) ([]string, error) {
	rawCut := floor(now.Add(-p.Raw), hour)
	type moved struct {
		series string
		s      Sample
	}
	var fold []moved
	var doomed [][]byte
	c := t.raw.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		start, series, ok := splitKey(k)
		if ok && !start.Before(rawCut) {
			break // time-major keys: everything after is newer
		}
		doomed = append(doomed, slices.Clone(k))
		if samples := appendBlock(nil, start, v); ok && len(samples) > 0 {
			fold = append(fold, moved{series, samples[len(samples)-1]})
		}
	}
	for _, k := range doomed {
		if err := t.raw.Delete(k); err != nil {
			return nil, err
		}
	}
	for _, m := range fold {
		start := floor(m.s.At, day)
		k := key(start, []byte(m.series))
		old := appendBlock(nil, start, t.hourly.Get(k))
		var base uint64
		if len(old) > 0 {
			base = old[len(old)-1].Value
		}
		if err := t.hourly.Put(k, appendSample(slices.Clone(t.hourly.Get(k)), start, base, len(old) == 0, m.s)); err != nil {
			return nil, err
		}
	}
	hourlyCut := floor(now.Add(-p.Hourly), day)
	doomed = doomed[:0]
	c = t.hourly.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if start, _, ok := splitKey(k); ok && !start.Before(hourlyCut) {
			break
		}
		doomed = append(doomed, slices.Clone(k))
	}
	for _, k := range doomed {
		if err := t.hourly.Delete(k); err != nil {
			return nil, err
		}
	}
	// A series whose newest sample has expired is forgotten, so that its
	// next figure is stored again even when unchanged.
	doomed = doomed[:0]
	if err := t.last.ForEach(func(k, v []byte) error {
		if s, ok := decodeLast(v); !ok || s.At.Before(now.Add(-p.Hourly)) {
			doomed = append(doomed, slices.Clone(k))
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var expired []string
	for _, k := range doomed {
		if err := t.last.Delete(k); err != nil {
			return nil, err
		}
		expired = append(expired, string(k))
	}
	return expired, nil
}

// ---- encoding ----

// key is a block's key: its start (unix seconds, big-endian, so that keys
// sort by time) and the series name.
func key(start time.Time, series []byte) []byte {
	k := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(series)), uint64(start.Unix()))
	return append(k, series...)
}

func splitKey(k []byte) (time.Time, string, bool) {
	if len(k) < 8 {
		return time.Time{}, "", false
	}
	return time.Unix(int64(binary.BigEndian.Uint64(k[:8])), 0).UTC(), string(k[8:]), true
}

// A block is a run of samples after its start: each the offset from the
// start in seconds (uvarint), then the value: in full (uvarint) for the
// first sample, as a zigzag delta from the previous sample (varint) after.
func appendSample(block []byte, start time.Time, prev uint64, first bool, s Sample) []byte {
	block = binary.AppendUvarint(block, uint64(s.At.Unix()-start.Unix()))
	if first {
		return binary.AppendUvarint(block, s.Value)
	}
	return binary.AppendVarint(block, int64(s.Value-prev))
}

// appendBlock decodes a block onto out; a damaged tail is dropped.
func appendBlock(out []Sample, start time.Time, block []byte) []Sample {
	var prev uint64
	for i := 0; len(block) > 0; i++ {
		off, n := binary.Uvarint(block)
		if n <= 0 {
			return out
		}
		block = block[n:]
		var v uint64
		if i == 0 {
			if v, n = binary.Uvarint(block); n <= 0 {
				return out
			}
		} else {
			d, m := binary.Varint(block)
			if m <= 0 {
				return out
			}
			v, n = prev+uint64(d), m
		}
		block = block[n:]
		prev = v
		out = append(out, Sample{At: start.Add(time.Duration(off) * time.Second), Value: v})
	}
	return out
}

func encodeLast(s Sample) []byte {
	b := binary.AppendVarint(nil, s.At.Unix())
	return binary.AppendUvarint(b, s.Value)
}

func decodeLast(b []byte) (Sample, bool) {
	t, n := binary.Varint(b)
	if n <= 0 {
		return Sample{}, false
	}
	v, m := binary.Uvarint(b[n:])
	if m <= 0 {
		return Sample{}, false
	}
	return Sample{At: time.Unix(t, 0).UTC(), Value: v}, true
}

// floor is t truncated to a whole unit (an hour, a day) in UTC.
func floor(t time.Time, unit time.Duration) time.Time {
	return time.Unix(t.Unix()-t.Unix()%int64(unit/time.Second), 0).UTC()
}

// clip drops samples before from.
func clip(s []Sample, from time.Time) []Sample {
	i, _ := slices.BinarySearchFunc(s, from, func(x Sample, t time.Time) int { return x.At.Compare(t) })
	return s[i:]
}
