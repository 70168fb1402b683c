package cluster

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/quazzar/object-storage/shared"
)

// systemFolder is MinIO's own folder on each drive (format, IAM, config).
const systemFolder = ".minio.sys"

// CheckEmpty refuses drives that hold buckets or access keys: a node takes
// part in a new cluster only with its single-node deployment empty, since
// MinIO cannot carry data or IAM from one deployment into another (the
// cluster formats its drives anew). What MinIO keeps for an empty
// deployment (its format, configuration, the root user's settings) may
// go.
func CheckEmpty(drives []string) error {
	for _, d := range drives {
		entries, err := os.ReadDir(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read drive %s: %w", d, err)
		}
		var buckets []string
		for _, e := range entries {
			if e.IsDir() && !strings.HasPrefix(e.Name(), ".") && e.Name() != "lost+found" {
				buckets = append(buckets, e.Name())
			}
		}
		if len(buckets) > 0 {
			return shared.Errorf(shared.CodeConflict,
				"this node's MinIO holds buckets (%s): a node takes part in a new cluster only without data, since MinIO cannot carry a deployment's data into another; copy the data off (e.g. mc mirror), delete the buckets, then try again. Nothing was changed",
				strings.Join(buckets, ", "))
		}
		for _, what := range []string{"service-accounts", "users", "sts"} {
			if has, err := holdsFiles(filepath.Join(d, systemFolder, "config", "iam", what)); err != nil {
				return err
			} else if has {
				return shared.Errorf(shared.CodeConflict,
					"this node's MinIO holds access keys or users (%s): they would be lost when it joins a cluster (the cluster has its own); revoke them first, then try again. Nothing was changed", what)
			}
		}
	}
	return nil
}

// holdsFiles reports whether a folder holds a regular file at any depth.
func holdsFiles(dir string) (bool, error) {
	found := false
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found, err
}

// Clear removes MinIO's system folder from each drive, with MinIO stopped
// and after CheckEmpty, so that the cluster formats the drives anew.
func Clear(drives []string) error {
	if err := CheckEmpty(drives); err != nil {
		return err
	}
	for _, d := range drives {
		if err := os.RemoveAll(filepath.Join(d, systemFolder)); err != nil {
			return fmt.Errorf("clear drive %s for the cluster: %w", d, err)
		}
	}
	return nil
}
