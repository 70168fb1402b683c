// Package store is the add-on's one embedded database: a single bbolt file
// (FileName) in its state folder, for every piece of state that grows
// (DESIGN.md, decision 10).
//
// Each idea keeps its data in its own top-level bbolt bucket, named by the
// package that owns it: usage history (package history) today; last-used
// aggregates, rotation deadlines, the drive layout and the key cache are
// meant to join it the same way. One file gives transactions, crash
// safety and one place to back up. The supervisor's process record stays a
// plain file: an adopting process reads it before anything else.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/quazzar/object-storage/shared"
)

// FileName is the database's name in the state folder.
const FileName = "object-storage.db"

// OpenTimeout bounds the wait for the file's lock: another add-on process
// (an upgrade that has not let go yet) holds it.
const OpenTimeout = 5 * time.Second

// DB is the open database. It is safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	path string
}

// Options tune Open; the zero value is what the add-on uses.
type Options struct {
	// NoSync skips fsync on commit: only for tests and benchmarks that
	// fill a store quickly. A crash may then lose the last transactions.
	NoSync bool
	// Timeout bounds the wait for the file's lock (default OpenTimeout).
	Timeout time.Duration
}

// Open opens (or creates, mode 0600) the database in stateDir.
func Open(stateDir string, opts Options) (*DB, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, shared.Errorf(shared.CodeUnavailable, "create the state folder %s: %w", stateDir, err)
	}
	path := filepath.Join(stateDir, FileName)
	if opts.Timeout <= 0 {
		opts.Timeout = OpenTimeout
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: opts.Timeout, NoSync: opts.NoSync})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, shared.Errorf(shared.CodeUnavailable, "the add-on's database %s is held by another process (an add-on that is still stopping?): %w", path, err)
		}
		return nil, shared.Errorf(shared.CodeUnavailable, "open the add-on's database %s: %w", path, err)
	}
	return &DB{bolt: b, path: path}, nil
}

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Close closes the file, after any transaction still running.
func (d *DB) Close() error { return d.bolt.Close() }

// Update runs fn in a read-write transaction on the top-level bucket
// name, created when missing. An error from fn rolls everything back.
func (d *DB) Update(name string, fn func(*bolt.Bucket) error) error {
	return d.bolt.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return fmt.Errorf("bucket %s: %w", name, err)
		}
		return fn(b)
	})
}

// View runs fn in a read-only transaction on the top-level bucket name;
// fn gets nil when the bucket does not exist yet.
func (d *DB) View(name string, fn func(*bolt.Bucket) error) error {
	return d.bolt.View(func(tx *bolt.Tx) error {
		return fn(tx.Bucket([]byte(name)))
	})
}

// Size is the file's size in bytes.
func (d *DB) Size() (int64, error) {
	st, err := os.Stat(d.path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}
