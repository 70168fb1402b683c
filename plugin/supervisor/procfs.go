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

// readStat returns the state and start time (field 22) of pid.
func readStat(pid int) (state byte, startTicks uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseStat(b)
}

// parseStat reads /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may itself hold spaces or parentheses, so fields are
// counted from the last ')'.
func parseStat(b []byte) (state byte, startTicks uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed /proc stat: no ')'")
	}
	fields := strings.Fields(string(b[i+1:]))
	// fields[0] is field 3 (state); field 22 is fields[19].
	if len(fields) < 20 || len(fields[0]) != 1 {
		return 0, 0, fmt.Errorf("malformed /proc stat: %d fields after the command name", len(fields))
	}
	st, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("malformed /proc stat start time %q: %w", fields[19], err)
	}
	return fields[0][0], st, nil
}

// readProc reads stat, exe and cmdline of pid. An error means the process
// is gone or cannot be inspected.
func readProc(pid int) (procInfo, error) {
	state, ticks, err := readStat(pid)
	if err != nil {
		return procInfo{}, err
	}
	info := procInfo{Pid: pid, State: state, StartTicks: ticks}
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
