package cli

import (
	"io"
	"os"
	"syscall"
)

// fSetPipeSize is Linux's F_SETPIPE_SZ, which package syscall lacks.
const fSetPipeSize = 1031

// listPipeSize is the pipe buffer growPipe asks for: the most an
// unprivileged process may by default (/proc/sys/fs/pipe-max-size).
const listPipeSize = 1 << 20

// growPipe enlarges the pipe w writes to, when it is one. A --list answer
// runs to megabytes and the reader (Ansible) takes it a few kilobytes at
// a time; through the default 64 KiB pipe the two processes take turns
// some fifty times per 3 MB, and each turn waits on the scheduler. With a
// larger pipe the answer goes out in a few writes. Failure (not a pipe, a
// lower limit, the user's pipe quota spent) leaves the pipe as it was.
func growPipe(w io.Writer) {
	f, ok := w.(*os.File)
	if !ok {
		return
	}
	if c, err := f.SyscallConn(); err == nil {
		c.Control(func(fd uintptr) {
			syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSize, listPipeSize)
		})
	}
}
