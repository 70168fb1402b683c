package store

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/quazzar/object-storage/shared"
)

func TestOpenUpdateView(t *testing.T) {
	dir := t.TempDir() + "/state"
	db, err := Open(dir, Options{})
	require.NoError(t, err)
	st, err := os.Stat(db.Path())
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	require.NoError(t, db.View("a", func(b *bolt.Bucket) error {
		require.Nil(t, b, "a bucket nobody wrote does not exist")
		return nil
	}))
	require.NoError(t, db.Update("a", func(b *bolt.Bucket) error { return b.Put([]byte("k"), []byte("v")) }))
	boom := errors.New("boom")
	require.ErrorIs(t, db.Update("a", func(b *bolt.Bucket) error {
		require.NoError(t, b.Put([]byte("k"), []byte("changed")))
		return boom
	}), boom)
	require.NoError(t, db.View("a", func(b *bolt.Bucket) error {
		require.Equal(t, "v", string(b.Get([]byte("k"))), "a failed update changes nothing")
		return nil
	}))
	size, err := db.Size()
	require.NoError(t, err)
	require.Positive(t, size)
	require.NoError(t, db.Close())

	// Reopened, the data is there.
	db, err = Open(dir, Options{})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.View("a", func(b *bolt.Bucket) error {
		require.Equal(t, "v", string(b.Get([]byte("k"))))
		return nil
	}))
}

// TestHeldByAnotherOpen: the file is locked while open; a second open (an
// add-on process that has not let go) waits, then says so.
func TestHeldByAnotherOpen(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	require.NoError(t, err)
	defer db.Close()
	_, err = Open(dir, Options{Timeout: 100 * time.Millisecond})
	require.ErrorIs(t, err, shared.ErrUnavailable)
	require.Contains(t, err.Error(), "held by another process")
}
