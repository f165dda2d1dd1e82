package cli

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/alecthomas/kong"

	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/pkg/kook/coord"
	"github.com/kook-project/kook/pkg/kook/store"
)

// kookCmd is the `kook` command line: one field per verb. Each verb is a
// struct in a kook_VERB.go file with a method
//
//	Run(k *kookRun) error
//
// that kong calls with the shared run state. Verbs print data on stdout and
// a one-line summary of a write on stderr.
type kookCmd struct {
	Host  hostCmd  `cmd:"" help:"Add, remove, change, show and list hosts."`
	Group groupCmd `cmd:"" help:"Add, remove, change, show and list groups, their hosts and children."`

	ZKFlags
	Version kong.VersionFlag `help:"Print kook's version and exit."`

	Log      logCmd      `cmd:"" help:"Show the change log: who changed what, newest first."`
	Register registerCmd `cmd:"" help:"Register a host (default: this machine) idempotently, as at boot."`
	Lock     lockCmd     `cmd:"" help:"Run a command while holding the locks of hosts: kook lock (HOST... | --group G) [--wait DUR] [--reason R] -- CMD [ARG...]. Exit 3: a lock is held (the command never ran); 4: the command was stopped because the locks could no longer be guaranteed."`
	Locks    locksCmd    `cmd:"" help:"List the held locks: holder (user@host, pid), reason, since."`
	Unlock   unlockCmd   `cmd:"" help:"Remove stuck locks (--force) and say whose they were."`
	Maint    maintCmd    `cmd:"" help:"Put hosts in maintenance, take them out, list them."`
	Roll     rollCmd     `cmd:"" help:"Run a command on hosts one slot at a time: kook roll (HOST... | --group G) [--max-unavailable N] [--max-fail F] [--order inventory|random] -- CMD [ARG...]."`
	Watch    watchCmd    `cmd:"" help:"Print one JSON line per change of the inventory and its coordination state, as it happens; with -- CMD, run CMD per change with the change on its stdin."`
}

const kookHelp = `Manage the Ansible inventory kept in ZooKeeper, and coordinate the hosts it lists.`

// kookRun is what every verb of kook shares: the process's streams, the
// resolved configuration and, once a verb asks for it, the store.
type kookRun struct {
	env   Env
	flags *ZKFlags
	ctx   context.Context

	cfg    *config.Config
	st     *store.Store
	cancel context.CancelFunc

	// command is what followed "--" for the verbs that run one.
	command []string
	// guard, once set, gets the session's events (kook_lock.go).
	guard atomic.Pointer[coord.Guard]
}

// config resolves the connection configuration once.
func (k *kookRun) config() (config.Config, error) {
	if k.cfg == nil {
		cfg, err := k.flags.load(k.env)
		if err != nil {
			return config.Config{}, err
		}
		k.cfg = &cfg
	}
	return *k.cfg, nil
}

// store connects to ZooKeeper once, on first use, so verbs that fail on
// their arguments never wait on a connection.
func (k *kookRun) store() (*store.Store, error) {
	if k.st != nil {
		return k.st, nil
	}
	cfg, err := k.config()
	if err != nil {
		return nil, err
	}
	st, err := openWith(k.ctx, cfg, "kook", k.env.Args, k.onEvent)
	if err != nil {
		return nil, err
	}
	k.st = st
	return st, nil
}

// writer is store for the verbs that write the inventory. A kook that may
// write is a trusted writer (store.Register): before its own write it
// applies what hosts that may not write have filed, so that a host filed
// at boot is there for the write that names it. Trouble applying them is
// said once on stderr and never fails the verb's own write.
func (k *kookRun) writer() (*store.Store, error) {
	st, err := k.store()
	if err != nil {
		return nil, err
	}
	n, err := st.ApplyRegistrations(k.ctx)
	if n > 0 {
		fmt.Fprintf(k.env.Stderr, "kook: applied %s\n", nouns(n, "filed registration"))
	}
	if err != nil {
		k.warn(fmt.Sprintf("filed registrations not applied: %v", err))
	}
	return st, nil
}

// warn prints a warning for the person at the terminal.
func (k *kookRun) warn(msg string) { fmt.Fprintf(k.env.Stderr, "warning: %s\n", msg) }

func (k *kookRun) close() {
	if k.st != nil {
		k.st.Close()
	}
}

// usageError marks an error in how a verb was called: kook exits 2.
type usageError struct{ error }

// Kook runs the kook command and returns its exit code: 0 done, 1 error,
// 2 usage.
func Kook(env Env) int {
	// Most verbs live for a few milliseconds with a heap of a few MiB,
	// most of it the connection's buffers: the collector's first cycle,
	// due at 4 MiB, costs such a process more than it frees (a fifth of
	// kook lock's CPU). kook watch, which keeps an inventory for as long
	// as it runs, sets the default back (kook_watch.go).
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	var cmd kookCmd
	if len(env.Args) == 0 {
		env.Args = []string{"--help"}
	}
	var command []string
	env.Args, command = splitCommand(env.Args)
	kctx, code := parseCommand("kook", kookHelp, &cmd, env, 2)
	if code != nil {
		return *code
	}
	if err := cmd.ZKFlags.usage(setFlags(kctx)); err != nil {
		return fail(env, "kook", 2, err)
	}
	if err := cmd.checkAnsibleVersion(); err != nil {
		return fail(env, "kook", 2, err)
	}
	k := &kookRun{env: env, flags: &cmd.ZKFlags, ctx: context.Background(), command: command}
	defer k.close()
	if err := kctx.Run(k); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			return fail(env, "kook", 2, err)
		}
		var ee exitError
		if errors.As(err, &ee) {
			if ee.err != nil {
				fail(env, "kook", ee.code, ee.err)
			}
			return ee.code
		}
		return fail(env, "kook", 1, err)
	}
	return 0
}
