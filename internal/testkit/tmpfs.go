package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// MountTmpfs mounts a tmpfs of size (mount's syntax: "64m") on a new empty
// folder and returns it; it is unmounted when the test ends, failed or
// not, before the folder is removed. Mounting needs root: under CI=true a
// failure to mount fails the test, elsewhere it skips with why.
func MountTmpfs(t testing.TB, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatalf("make the mount point: %v", err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		Missing(t, "cannot mount a tmpfs (needs root): mount -t tmpfs -o size="+size+" tmpfs "+dir+": "+strings.TrimSpace(string(out))+": "+err.Error())
	}
	// Registered after t.TempDir: runs before the folder is removed.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			// Something still holds it (a process the test did not
			// stop): detach it now, it goes when released.
			if out2, err2 := exec.Command("umount", "-l", dir).CombinedOutput(); err2 != nil {
				t.Errorf("unmount %s: %v: %s; lazy unmount: %v: %s", dir, err, out, err2, out2)
			}
		}
	})
	return dir
}
