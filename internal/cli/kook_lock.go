package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook/coord"
)

// Exit codes of kook lock beside 0, 1 and 2.
const (
	exitHeld   = 3 // a lock is held by someone else: the command never started
	exitFenced = 4 // the command was stopped: its locks could no longer be guaranteed
)

// exitError makes kook exit with code, printing err when it is not nil.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e exitError) Unwrap() error { return e.err }

// commandVerbs are the verbs whose command line ends in "-- CMD [ARG...]".
var commandVerbs = []string{"lock", "roll", "watch"}

// splitCommand takes "-- CMD [ARG...]" off the arguments of a verb that
// runs a command, before kong sees them: what follows "--" is the
// command's, flags included.
func splitCommand(args []string) (rest, command []string) {
	i := slices.Index(args, "--")
	if i < 0 || !slices.ContainsFunc(args[:i], func(a string) bool { return slices.Contains(commandVerbs, a) }) {
		return args, nil
	}
	return args[:i], args[i+1:]
}

// onEvent passes the session's events to the guard, once there is one.
func (k *kookRun) onEvent(ev zk.Event) {
	if g := k.guard.Load(); g != nil {
		g.Event(ev)
	}
}

// coord returns a coordination client over the store's session.
func (k *kookRun) coord() (*coord.Client, error) {
	st, err := k.store()
	if err != nil {
		return nil, err
	}
	c := coord.New(st.Conn(), st.Root(), st.ACL())
	c.Timeout = st.Timeout()
	return c, nil
}

// startGuard starts fencing the store's session.
func (k *kookRun) startGuard() (*coord.Guard, error) {
	g, err := coord.NewGuard(k.st.Conn(), k.st.Root(), k.st.SessionTimeout())
	if err != nil {
		return nil, err
	}
	k.guard.Store(g)
	return g, nil
}

// targets resolves "HOST... | --group G" against the inventory: every host
// named must be in it.
func (k *kookRun) targets(hosts []string, group string) ([]string, error) {
	if (len(hosts) == 0) == (group == "") {
		return nil, usageError{errors.New("name the hosts, or a group with --group, not both")}
	}
	st, err := k.store()
	if err != nil {
		return nil, err
	}
	if group == "" {
		// Only the buckets of the hosts named: kook lock H stays cheap
		// in a large fleet.
		missing, err := st.MissingHosts(k.ctx, hosts)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("no host %q in the inventory", missing[0])
		}
		return hosts, nil
	}
	inv, _, err := st.Load(k.ctx)
	if err != nil {
		return nil, err
	}
	list, err := inv.HostsUnder(group)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("group %s holds no hosts", group)
	}
	return list, nil
}

// lockCmd is `kook lock`.
type lockCmd struct {
	Hosts  []string      `arg:"" optional:"" name:"HOST" help:"Hosts to lock."`
	Group  string        `help:"Lock every host of group G and of the groups below it." placeholder:"G"`
	Wait   time.Duration `help:"Wait this long for locks held by others (default: fail at once with exit 3)." placeholder:"DUR"`
	Reason string        `help:"Why, for kook locks and Ansible's kook_lock var." placeholder:"R"`
}

func (cmd *lockCmd) Run(k *kookRun) error {
	if len(k.command) == 0 {
		return usageError{errors.New("say what to run under the lock: kook lock HOST... -- CMD [ARG...]")}
	}
	if cmd.Wait < 0 {
		return usageError{errors.New("--wait must not be negative")}
	}
	if (len(cmd.Hosts) == 0) == (cmd.Group == "") {
		return usageError{errors.New("name the hosts, or a group with --group, not both")}
	}
	c, err := k.coord()
	if err != nil {
		return err
	}
	// The hosts are checked while the guard's first heartbeat and the
	// state parents' check are in flight: one round trip for the three.
	var g *coord.Guard
	var gerr, perr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); g, gerr = k.startGuard() }()
	go func() { defer wg.Done(); perr = c.Prepare() }()
	hosts, err := k.targets(cmd.Hosts, cmd.Group)
	wg.Wait()
	if g != nil {
		defer g.Close()
	}
	if err = errors.Join(err, gerr, perr); err != nil {
		return err
	}
	// Signals are caught before anything is locked, so a ^C while waiting
	// releases what was taken (the session's end would, later).
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancel(k.ctx)
	defer cancel()
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	l, err := c.Lock(ctx, hosts, c.NewHolder(cmd.Reason), cmd.Wait)
	var held *coord.HeldError
	if errors.As(err, &held) {
		if cmd.Wait > 0 {
			err = fmt.Errorf("%w (waited %v)", err, cmd.Wait)
		}
		return exitError{exitHeld, err}
	}
	if err != nil {
		return err
	}
	defer l.Release()
	// From here on signals go to the command, not to the wait.
	cancel()
	// A wait long enough to outlast the session's safety must not start
	// the command on locks that may be gone.
	if err := g.Err(); err != nil {
		return exitError{exitFenced, fmt.Errorf("command not started: %w", err)}
	}
	if q := g.Quiet(); q >= g.T/2 {
		return exitError{exitFenced, fmt.Errorf("command not started: no answer from ZooKeeper for %v", q.Round(time.Millisecond))}
	}
	proc, err := coord.StartCommand(k.command, nil, k.env.Stdin, k.env.Stdout, k.env.Stderr)
	if err != nil {
		return err
	}
	code, err := coord.RunFenced(proc, g, sigs)
	var fenced *coord.FencedError
	if errors.As(err, &fenced) {
		return exitError{exitFenced, err}
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return exitError{code: code}
	}
	return nil
}

// locksCmd is `kook locks`.
type locksCmd struct {
	JSON bool `name:"json" help:"One JSON object per lock instead of a table."`
}

func (cmd *locksCmd) Run(k *kookRun) error {
	c, err := k.coord()
	if err != nil {
		return err
	}
	locks, err := c.Locks(k.ctx)
	if err != nil {
		return err
	}
	if cmd.JSON {
		return writeJSONLines(k.env.Stdout, locks)
	}
	if len(locks) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(k.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tHOLDER\tPID\tSINCE\tWAITING\tREASON")
	for _, l := range locks {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\n", l.Host, l.Holder.Owner, l.Holder.PID,
			l.Holder.Since.UTC().Format(time.RFC3339), l.Waiting, l.Holder.Reason)
	}
	return tw.Flush()
}

// unlockCmd is `kook unlock --force`.
type unlockCmd struct {
	Force bool     `help:"Required: the holder's command goes on running, unaware it lost its lock."`
	Hosts []string `arg:"" name:"HOST" help:"Hosts whose lock to remove."`
}

func (cmd *unlockCmd) Run(k *kookRun) error {
	if !cmd.Force {
		return usageError{errors.New("kook unlock takes a lock from its holder, whose command goes on running: say --force")}
	}
	c, err := k.coord()
	if err != nil {
		return err
	}
	var errs []error
	for _, h := range cmd.Hosts {
		hd, err := c.ForceUnlock(k.ctx, h)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(k.env.Stderr, "unlocked %s, held by %s\n", h, hd)
	}
	return errors.Join(errs...)
}

// writeJSONLines writes each item as one JSON object on a line.
func writeJSONLines[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}
