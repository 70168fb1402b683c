package testkit

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// ReadEachFile calls fn with the path and contents of every regular file
// under the roots, and returns how many it read. Files larger than max
// bytes are skipped when max > 0. A running MinIO creates and removes its
// temporary files at any time: a file gone between the listing and the
// read is skipped (it holds nothing any more); any other error fails the
// test.
func ReadEachFile(t testing.TB, max int64, fn func(path string, b []byte), roots ...string) int {
	t.Helper()
	gone := func(err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	n := 0
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return gone(err)
			}
			if max > 0 {
				if info, err := d.Info(); err != nil || info.Size() > max {
					return gone(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return gone(err)
			}
			n++
			fn(path, b)
			return nil
		})
		if err != nil {
			t.Fatalf("reading the files under %s: %v", root, err)
		}
	}
	return n
}
