package launcher

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal has the kernel SIGKILL the plugin when the thread
// that forked it dies (see startOnLockedThread for why that thread lives as
// long as the plugin).
func setParentDeathSignal(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
