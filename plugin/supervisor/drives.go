package supervisor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/quazzar/object-storage/internal/atomicfile"
	"github.com/quazzar/object-storage/plugin/envfile"
	"github.com/quazzar/object-storage/plugin/layout"
	"github.com/quazzar/object-storage/plugin/settings"
	"github.com/quazzar/object-storage/shared"
)

// Names of the supervisor's files for layouts beyond one drive.
const (
	// PoolsFileName holds several pools for MinIO's --config.
	PoolsFileName = "minio.pools.json"
	// ClusterEnvLink is a link to the env file, named the same on every
	// node: see minioEnv.
	ClusterEnvLink = "minio-cluster.env"
)

// ClusterEnvPath is the env file's path as a cluster's MinIO is given it:
// the same string on every node, through the link in MinIO's working
// folder (the state folder).
const ClusterEnvPath = "/proc/self/cwd/" + ClusterEnvLink

// resolveLayout is the layout MinIO runs with: the record when the
// settings agree with it, or, on a first start, the settings' drives as
// one pool (recorded reports whether it is written already). A changed
// list, or an expansion nobody confirmed, is refused: MinIO is not started
// on it.
func resolveLayout(set settings.Settings) (lay layout.Layout, recorded bool, err error) {
	rec, ok, err := layout.Read(set.StateDir)
	if err != nil {
		return layout.Layout{}, false, err
	}
	drives := set.Drives()
	if ok {
		if v := layout.Check(rec, drives, set.S3Address); v.Kind != layout.Same {
			return layout.Layout{}, false, v.Err
		}
		return rec, true, nil
	}
	if len(drives) > 1 {
		var with, without []string
		for _, d := range drives {
			if envfile.HasMinIOData(d) {
				with = append(with, d)
			} else {
				without = append(without, d)
			}
		}
		if len(with) > 0 && len(without) > 0 {
			return layout.Layout{}, false, shared.Errorf(shared.CodeConflict,
				"drives %s hold MinIO data and %s do not, and the add-on has no record of the drives MinIO was set up with (%s in %s): MinIO was not started, since it could format the empty drives into another deployment. Restore the record from a backup, or list the drives MinIO was set up with",
				strings.Join(with, ", "), strings.Join(without, ", "), layout.FileName, set.StateDir)
		}
	}
	return layout.Single(drives), false, nil
}

// prepareDrives checks this node's drives before MinIO starts. A single
// drive of a node of its own is created when missing, as always. With
// several drives (or in a cluster) each must exist already, as the mount
// point of a drive of its own: the add-on never creates one, so that a
// drive that failed to mount does not put data on the root disk, and a
// drive on the root filesystem is refused with MinIO's reason. Every drive
// is made 0700: MinIO keeps access-key secrets there.
func (s *Supervisor) prepareDrives(lay layout.Layout) error {
	drives := lay.Local()
	if len(drives) == 1 && !lay.Distributed() {
		return s.ensureDataDir(drives[0])
	}
	if err := CheckDrives(lay); err != nil {
		return err
	}
	for _, d := range drives {
		if err := s.ensureDataDir(d); err != nil {
			return err
		}
	}
	return nil
}

// CheckDrives checks this node's drives of a layout of several drives
// (or a cluster's) as the supervisor does before it starts MinIO on them,
// creating nothing: each an existing folder, on a filesystem other than
// the root one.
func CheckDrives(lay layout.Layout) error {
	root, err := os.Stat("/")
	if err != nil {
		return fmt.Errorf("check the root filesystem: %w", err)
	}
	for _, d := range lay.Local() {
		st, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) {
			return shared.Errorf(shared.CodeUnavailable,
				"drive %s does not exist: mount the drive there (with several drives the add-on never creates a drive's folder, so that a drive that did not mount puts no data on the root disk)", d)
		}
		if err != nil {
			return fmt.Errorf("check drive %s: %w", d, err)
		}
		if !st.IsDir() {
			return shared.Errorf(shared.CodeInvalidArgument, "drive %s is not a folder", d)
		}
		if sameDevice(st, root) {
			return shared.Errorf(shared.CodeInvalidArgument,
				"drive %s is on the root filesystem: MinIO refuses a drive of the root disk when it runs several drives (it reports \"drive not found\"), and erasure coding across folders of one disk would not survive that disk; mount a drive of its own at %s", d, d)
		}
	}
	return nil
}

// sameDevice reports whether two files are on the same filesystem.
func sameDevice(a, b os.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && sa.Dev == sb.Dev
}

// writeLaunchFiles writes what MinIO's command line and environment name
// beside the layout: the pools file for several pools, and in a cluster
// the link to the env file.
func writeLaunchFiles(set settings.Settings, lay layout.Layout) error {
	if _, cfg := lay.Command(filepath.Join(set.StateDir, PoolsFileName)); cfg != nil {
		if err := atomicfile.Write(filepath.Join(set.StateDir, PoolsFileName), cfg, 0o600); err != nil {
			return fmt.Errorf("write MinIO's pools file: %w", err)
		}
	}
	if lay.Distributed() {
		link := filepath.Join(set.StateDir, ClusterEnvLink)
		if target, err := os.Readlink(link); err != nil || target != set.EnvFile {
			_ = os.Remove(link)
			if err := os.Symlink(set.EnvFile, link); err != nil {
				return fmt.Errorf("link the env file for MinIO: %w", err)
			}
		}
	}
	return nil
}
