//go:build !linux

package launcher

import "os/exec"

// setParentDeathSignal does nothing off Linux: the plugin-side watchdog of
// shared.Serve is what ends an orphaned plugin there.
func setParentDeathSignal(*exec.Cmd) {}
