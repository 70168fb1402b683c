package supervisor

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// procInfo is what /proc says about a process: enough to tell whether a
// recorded pid is still the same process.
type procInfo struct {
	Pid        int
	State      byte   // field 3 of /proc/<pid>/stat: R, S, D, Z, X, ...
	StartTicks uint64 // field 22: start time in clock ticks after boot
	Exe        string // /proc/<pid>/exe, without a " (deleted)" suffix
	ExeDeleted bool   // the binary was replaced or removed since it started
	Args       []string
}

// alive reports whether the process runs (a zombie or dead one does not).
func (p procInfo) alive() bool { return p.State != 'Z' && p.State != 'X' && p.State != 'x' }

// procStat is what the supervisor reads from /proc/<pid>/stat.
type procStat struct {
	state      byte   // field 3: R, S, D, Z, X, ...
	threads    int    // field 20: threads of the process that have not been released
	startTicks uint64 // field 22: start time in clock ticks after boot
}

// exited reports whether the whole process is gone but for its zombie. A
// killed process's main thread is a zombie while its other threads are
// still exiting and holding its files (MinIO's listening sockets, for tens
// of milliseconds when measured); only when the zombie is all that is
// left (one thread) are they closed.
func (s procStat) exited() bool {
	return (s.state == 'Z' || s.state == 'X' || s.state == 'x') && s.threads <= 1
}

// readStat reads /proc/<pid>/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// parseStat reads /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may itself hold spaces or parentheses, so fields are
// counted from the last ')'.
func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("malformed /proc stat: no ')'")
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state); field 20 is fields[17], field 22 fields[19].
	if len(fields) < 20 || len(fields[0]) != 1 {
		return procStat{}, fmt.Errorf("malformed /proc stat: %d fields after the command name", len(fields))
	}
	threads, err := strconv.Atoi(fields[17])
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc stat thread count %q: %w", fields[17], err)
	}
	st, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc stat start time %q: %w", fields[19], err)
	}
	return procStat{state: fields[0][0], threads: threads, startTicks: st}, nil
}

// readProc reads stat, exe and cmdline of pid. An error means the process
// is gone or cannot be inspected.
func readProc(pid int) (procInfo, error) {
	st, err := readStat(pid)
	if err != nil {
		return procInfo{}, err
	}
	info := procInfo{Pid: pid, State: st.state, StartTicks: st.startTicks}
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err == nil {
		if s, ok := strings.CutSuffix(exe, " (deleted)"); ok {
			exe, info.ExeDeleted = s, true
		}
		info.Exe = exe
	}
	cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err == nil {
		info.Args = strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
	}
	return info, nil
}

// clockTicks is USER_HZ, which is 100 on every Linux architecture Go
// supports.
const clockTicks = 100

// bootTime reads the boot time from /proc/stat ("btime").
func bootTime() (time.Time, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("malformed btime in /proc/stat: %w", err)
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("no btime in /proc/stat")
}

// startTimeOf turns a start time in clock ticks into wall-clock time (to the
// second, as precise as btime).
func startTimeOf(ticks uint64) time.Time {
	bt, err := bootTime()
	if err != nil {
		return time.Time{}
	}
	return bt.Add(time.Duration(ticks) * time.Second / clockTicks)
}

// sameFile reports whether two paths name the same file, following
// symbolic links.
func sameFile(a, b string) bool {
	if a == b {
		return true
	}
	ra, err1 := filepath.EvalSymlinks(a)
	rb, err2 := filepath.EvalSymlinks(b)
	return err1 == nil && err2 == nil && ra == rb
}
