//go:build !linux

package coord

import (
	"io"
	"syscall"
)

// procAttr puts the command in a process group of its own; without
// Linux's parent-death signal it outlives a kook that is killed.
func procAttr(io.Reader) *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
