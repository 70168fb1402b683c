package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// proc is one MinIO process: either our child (started by this supervisor)
// or an adopted one that a previous add-on process started. exited is closed
// once it is gone, with reason saying how.
type proc struct {
	pid        int
	startTicks uint64
	startedAt  time.Time
	adopted    bool

	exited chan struct{}
	reason string // set before exited is closed

	stopWatch chan struct{} // ends the /proc polling of an adopted process
}

// launch starts the binary in its own session (so its process group is its
// pid and it outlives us), with output appended to logPath.
func launch(bin string, args, env []string, dir, logPath string) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open MinIO log file %s: %w", logPath, err)
	}
	defer logf.Close() // the child keeps its own copy of the descriptor
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf // a file, never a pipe: MinIO must survive us
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start MinIO %s: %w", bin, err)
	}
	p := &proc{pid: cmd.Process.Pid, startedAt: time.Now(), exited: make(chan struct{})}
	if st, err := readStat(p.pid); err == nil {
		p.startTicks = st.startTicks
	}
	go func() {
		err := cmd.Wait()
		switch {
		case err == nil:
			p.reason = "exited with status 0"
		case cmd.ProcessState != nil:
			p.reason = cmd.ProcessState.String()
		default:
			p.reason = err.Error()
		}
		close(p.exited)
	}()
	return p, nil
}

// adoptPoll is how often an adopted process is looked at in /proc.
const adoptPoll = 200 * time.Millisecond

// adopt watches a process that is not our child by polling /proc every
// poll, since only its parent can wait for it.
func adopt(pid int, ticks uint64, startedAt time.Time, poll time.Duration) *proc {
	p := &proc{pid: pid, startTicks: ticks, startedAt: startedAt, adopted: true,
		exited: make(chan struct{}), stopWatch: make(chan struct{})}
	go func() {
		t := time.NewTicker(poll)
		defer t.Stop()
		for {
			if p.gone() {
				p.reason = "exited (an adopted process is not our child, so its exit status is unknown)"
				close(p.exited)
				return
			}
			select {
			case <-p.stopWatch:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// isSame reports whether pid still runs and is the process we know (same
// start time), so that a signal never reaches a process that reused the pid.
func (p *proc) isSame() bool {
	st, err := readStat(p.pid)
	if err != nil {
		return false
	}
	return st.state != 'Z' && st.state != 'X' && (p.startTicks == 0 || st.startTicks == p.startTicks)
}

// gone reports whether an adopted process has exited completely, threads
// and files included (its ports are free again), or pid is another process
// now. A process whose main thread is already a zombie is not gone yet.
func (p *proc) gone() bool {
	st, err := readStat(p.pid)
	return err != nil || (p.startTicks != 0 && st.startTicks != p.startTicks) || st.exited()
}

func (p *proc) done() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// signalGroup sends sig to the process group (MinIO leads its own session).
func (p *proc) signalGroup(sig syscall.Signal) error {
	if p.done() || !p.isSame() {
		return nil
	}
	err := syscall.Kill(-p.pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// terminate sends SIGTERM to the group, waits up to grace (or until ctx
// ends), then sends SIGKILL to the group and waits for the exit.
func (p *proc) terminate(ctx context.Context, grace time.Duration) error {
	if err := p.signalGroup(syscall.SIGTERM); err != nil {
		return fmt.Errorf("send SIGTERM to MinIO (pid %d): %w", p.pid, err)
	}
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.exited:
		return nil
	case <-t.C:
	case <-ctx.Done():
	}
	if err := p.signalGroup(syscall.SIGKILL); err != nil {
		return fmt.Errorf("send SIGKILL to MinIO (pid %d): %w", p.pid, err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("MinIO (pid %d) still runs 10s after SIGKILL", p.pid)
	}
}

// unwatch stops polling an adopted process (Detach).
func (p *proc) unwatch() {
	if p.stopWatch != nil {
		select {
		case <-p.stopWatch:
		default:
			close(p.stopWatch)
		}
	}
}
