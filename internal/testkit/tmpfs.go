package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	MountTmpfsAt(t, dir, size)
	return dir
}

// MountTmpfsAt mounts a new tmpfs of size on the existing folder dir (a
// drive replaced at the same mount point), unmounted when the test ends
// if it still is mounted then. Root only, as MountTmpfs.
func MountTmpfsAt(t testing.TB, dir, size string) {
	t.Helper()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		Missing(t, "cannot mount a tmpfs (needs root): mount -t tmpfs -o size="+size+" tmpfs "+dir+": "+strings.TrimSpace(string(out))+": "+err.Error())
	}
	// Registered after the folder's t.TempDir: runs before it is removed.
	t.Cleanup(func() {
		if !isMountPoint(dir) {
			return // unmounted by the test already
		}
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			// Something still holds it (a process the test did not
			// stop): detach it now, it goes when released.
			if out2, err2 := exec.Command("umount", "-l", dir).CombinedOutput(); err2 != nil {
				t.Errorf("unmount %s: %v: %s; lazy unmount: %v: %s", dir, err, out, err2, out2)
			}
		}
	})
}

// Unmount detaches the filesystem mounted on dir at once, even while
// processes use it (a drive pulled out): dir is then the empty folder
// below it again.
func Unmount(t testing.TB, dir string) {
	t.Helper()
	if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
		t.Fatalf("unmount %s: %v: %s", dir, err, out)
	}
}

// isMountPoint reports whether a filesystem is mounted on dir (it is on
// another device than its parent).
func isMountPoint(dir string) bool {
	var a, b syscall.Stat_t
	if syscall.Stat(dir, &a) != nil || syscall.Stat(filepath.Dir(dir), &b) != nil {
		return false
	}
	return a.Dev != b.Dev
}

// FailDrive makes the drive mounted on dir fail as a dead disk does: its
// filesystem is detached (Unmount) and an empty read-only tmpfs takes its
// place, so that a process using dir can neither reach the old data nor
// write anything new there. An unmount alone leaves the empty folder
// below, on the root filesystem, which MinIO may take for a replaced
// drive, format and write to. Unmount then MountTmpfsAt replace it.
func FailDrive(t testing.TB, dir string) {
	t.Helper()
	Unmount(t, dir)
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "ro,size=1m,mode=0500", "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("mount a read-only tmpfs on %s: %v: %s", dir, err, out)
	}
	t.Cleanup(func() {
		if isMountPoint(dir) {
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
}
