package bundle

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Swapped is a plugin folder put in place by Swap, until the host keeps
// it (Commit) or puts the previous state back (Rollback).
type Swapped struct {
	dest   string
	staged string // where the new folder came from, and goes back to on Rollback
	old    string // the previous folder, moved aside; "" on a first install
}

// Swap moves the unpacked folder newDir to destDir with renames, so newDir
// must be on destDir's filesystem (Unpack's parent folder beside the
// plugins folder is). An existing destDir, the version being upgraded, is
// first moved aside to newDir+".old", in the staging folder, where the
// host does not look for plugins. A running plugin may keep running from
// the folder as it moves: stop it before or after, as the upgrade needs.
//
// Between the two renames destDir is missing for an instant; a host that
// dies there finds the old version at "<staging>/.bundle-*.old". On error
// nothing has changed.
func Swap(newDir, destDir string) (*Swapped, error) {
	s := &Swapped{dest: destDir, staged: newDir}
	switch _, err := os.Lstat(destDir); {
	case err == nil:
		s.old = newDir + ".old"
		if err := os.Rename(destDir, s.old); err != nil {
			return nil, fmt.Errorf("move the installed %s aside: %w%s", destDir, err, sameFilesystem)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("install into %s: %w", destDir, err)
	}
	if err := os.Rename(newDir, destDir); err != nil {
		err = fmt.Errorf("move %s into place at %s: %w%s", newDir, destDir, err, sameFilesystem)
		if s.old != "" {
			if backErr := os.Rename(s.old, destDir); backErr != nil {
				err = errors.Join(err, fmt.Errorf("put the installed version back from %s: %w", s.old, backErr))
			}
		}
		return nil, err
	}
	if err := syncDirs(filepath.Dir(destDir), filepath.Dir(newDir)); err != nil {
		return nil, errors.Join(err, s.undo())
	}
	return s, nil
}

const sameFilesystem = " (the staging folder must be on the same filesystem as the plugins folder)"

// Old is where the previous version sits until Commit or Rollback; "" on
// a first install.
func (s *Swapped) Old() string { return s.old }

// Commit keeps the new version and removes the previous one.
func (s *Swapped) Commit() error {
	if s.old == "" {
		return nil
	}
	if err := os.RemoveAll(s.old); err != nil {
		return fmt.Errorf("remove the previous version at %s: %w", s.old, err)
	}
	return nil
}

// Rollback puts the previous state back: the previous version at destDir
// (or no folder at all after a first install), and removes the new one.
func (s *Swapped) Rollback() error {
	if err := s.undo(); err != nil {
		return err
	}
	if err := os.RemoveAll(s.staged); err != nil {
		return fmt.Errorf("remove the new version at %s: %w", s.staged, err)
	}
	return syncDirs(filepath.Dir(s.dest), filepath.Dir(s.staged))
}

// undo moves the new version back to where it was staged and the previous
// one back into place.
func (s *Swapped) undo() error {
	if err := os.Rename(s.dest, s.staged); err != nil {
		return fmt.Errorf("move the new version out of %s: %w", s.dest, err)
	}
	if s.old != "" {
		if err := os.Rename(s.old, s.dest); err != nil {
			return fmt.Errorf("put the previous version back from %s to %s: %w", s.old, s.dest, err)
		}
	}
	return nil
}

// syncDirs makes renames between the two folders durable.
func syncDirs(dirs ...string) error {
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("sync %s: %w", d, err)
		}
	}
	return nil
}
