package coord

import (
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// procAttr puts the command in a process group of its own, killed when
// kook dies. When kook runs in the foreground of a terminal that is the
// command's stdin, the command's group becomes the foreground one, so that
// it reads the terminal and gets the person's ^C.
func procAttr(stdin io.Reader) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if f, ok := stdin.(*os.File); ok && f == os.Stdin {
		if pg, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP); err == nil && pg == syscall.Getpgrp() {
			a.Foreground, a.Ctty = true, 0
		}
	}
	return a
}
