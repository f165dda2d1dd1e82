package zktest

import "syscall"

// procAttr makes the JVM die with the test binary, so a crashed or killed
// test run leaves no server behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
