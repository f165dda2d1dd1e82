package coord

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Command is a command run under a lock: in its own process group, so
// that stopping it stops what it started too (an ssh), and, on Linux, with
// a parent-death signal, so that it dies with kook.
type Command struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartCommand starts argv with env (nil: this process's) and streams.
func StartCommand(argv []string, env []string, stdin io.Reader, stdout, stderr io.Writer) (*Command, error) {
	if len(argv) == 0 {
		return nil, errors.New("no command to run")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	cmd.SysProcAttr = procAttr(stdin)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("cannot start %s: %w", argv[0], err)
	}
	c := &Command{cmd: cmd, done: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	return c, nil
}

// Done is closed when the command has exited.
func (c *Command) Done() <-chan struct{} { return c.done }

// Pid is the command's process id (and its process group's).
func (c *Command) Pid() int { return c.cmd.Process.Pid }

// Signal sends sig to the command's whole process group.
func (c *Command) Signal(sig syscall.Signal) {
	syscall.Kill(-c.cmd.Process.Pid, sig)
}

// ExitCode returns the command's exit status once Done: its exit code, or
// 128+N when signal N ended it, as a shell reports it.
func (c *Command) ExitCode() (int, error) {
	<-c.done
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return ee.ExitCode(), nil
	}
	if c.err != nil {
		return 1, c.err
	}
	return 0, nil
}

// FencedError is the error of a command stopped because the lock it ran
// under could no longer be guaranteed.
type FencedError struct {
	Why  string
	Code int // the command's exit status after it was stopped
}

func (e *FencedError) Error() string {
	return "command stopped: " + e.Why
}

// RunFenced waits for c while g's session is safe. When the session is in
// danger, no answer from ZooKeeper for T/2, it sends SIGTERM to the
// command's group, and SIGKILL at 3T/4 since the last answer, a quarter
// of T before the server could expire the session; a session lost outright
// gets SIGKILL at once, since its locks are gone already. A signal on
// stop (the person's ^C, a service stop) is passed to the group as well.
// It returns the command's exit status, or a *FencedError.
func RunFenced(c *Command, g *Guard, stop <-chan os.Signal) (int, error) {
	tick := time.NewTicker(g.T / 40)
	defer tick.Stop()
	why := ""
	termed, killed := false, false
	for {
		select {
		case <-c.Done():
			code, err := c.ExitCode()
			if why != "" {
				return code, &FencedError{Why: why, Code: code}
			}
			return code, err
		case sig := <-stop:
			if s, ok := sig.(syscall.Signal); ok {
				c.Signal(s)
			}
		case <-g.Lost():
			if !killed {
				why = g.Err().Error()
				c.Signal(syscall.SIGKILL)
				killed = true
			}
		case <-tick.C:
			quiet := g.Quiet()
			if !termed && quiet >= g.T/2 {
				why = fmt.Sprintf("no answer from ZooKeeper for %v, the lock could not be guaranteed much longer (session timeout %v)", quiet.Round(time.Millisecond), g.T)
				c.Signal(syscall.SIGTERM)
				termed = true
			}
			if !killed && quiet >= 3*g.T/4 {
				c.Signal(syscall.SIGKILL)
				killed = true
			}
		}
	}
}
