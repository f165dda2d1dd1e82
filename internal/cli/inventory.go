package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/kook-project/kook/internal/cache"
	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// inventoryCmd is kook-inventory's command line: Ansible's script protocol
// plus export of the live inventory.
type inventoryCmd struct {
	List    bool   `help:"Print the whole inventory as Ansible's script protocol wants it." xor:"mode"`
	Host    string `help:"Print the vars of one host ({} for a host the inventory lacks)." xor:"mode" placeholder:"HOST"`
	Export  bool   `help:"Print the live inventory as a file in --format." xor:"mode"`
	Format  string `help:"Format of --export: json, yaml or ini." enum:"json,yaml,ini" default:"json"`
	NoCache bool   `help:"Neither read nor write the local cache of the last answer."`
	ZKFlags
}

const inventoryHelp = `Serve the Ansible inventory kept in ZooKeeper.

Point ansible.cfg's "inventory =" at this program; Ansible runs it with --list.
Nothing but the answer goes to stdout, and nothing at all to stderr on success.`

// Inventory runs kook-inventory and returns its exit code.
func Inventory(env Env) int {
	var cmd inventoryCmd
	if code := parse("kook-inventory", inventoryHelp, &cmd, env, 2); code != nil {
		return *code
	}
	if !cmd.List && cmd.Host == "" && !cmd.Export {
		return fail(env, "kook-inventory", 2, errors.New("say what to print: --list, --host HOST or --export"))
	}
	if err := cmd.checkAnsibleVersion(); err != nil {
		return fail(env, "kook-inventory", 2, err)
	}
	cfg, err := cmd.load(env)
	if err == nil {
		// Only the cached answer is ever parsed here; the rules are
		// resolved anyway so that a bad setting is reported by every
		// command, not only by the next import.
		_, err = rulesFor(cfg.AnsibleVersion, cfg.AnsibleVersionFrom)
	}
	if err != nil {
		return fail(env, "kook-inventory", 1, err)
	}
	if err := cmd.run(env, cfg); err != nil {
		return fail(env, "kook-inventory", 1, err)
	}
	return 0
}

func (cmd *inventoryCmd) run(env Env, cfg config.Config) error {
	// kook-inventory lives for one answer, and its heap is mostly the
	// buckets it read and what it assembles from them, alive until the end:
	// collecting while they grow only burns CPU. A memory limit keeps the
	// collector as a safety net for a fleet far past the expected sizes.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	// The whole answer, not each request, must come within the deadline:
	// Ansible waits on this process with no timeout of its own.
	ctx, cancel := context.WithTimeoutCause(context.Background(), cfg.Timeout,
		deadlineError{cfg.Timeout})
	defer cancel()

	// The cache holds the --list answer; --host and --export derive theirs
	// from it only when ZooKeeper is down and stale answers are allowed.
	var c *cache.Cache
	var cached *cache.Entry
	if !cmd.NoCache {
		if cc, err := cache.Open(); err == nil {
			c = cc
			if e, ok := c.Get(cfg.Servers, cfg.Root); ok {
				cached = e
				defer cached.Close()
			}
		}
	}

	st, err := open(ctx, cfg)
	if err != nil {
		if cfg.StaleOK && cached != nil {
			list, rerr := cached.Data()
			if rerr != nil {
				return err
			}
			fmt.Fprintf(env.Stderr, "kook-inventory: %v; serving the inventory cached %s ago\n",
				err, time.Since(cached.Saved).Round(time.Second))
			return cmd.answerFromList(env, list)
		}
		return err
	}
	// Closing the session waits for the server to log its end, which no
	// answer depends on: it is sent once ZooKeeper has told all it will,
	// and runs while the answer is written.
	var closed chan struct{}
	closeSoon := func() {
		closed = make(chan struct{})
		go func() { st.Close(); close(closed) }()
	}
	defer func() {
		if closed == nil {
			closeSoon()
		}
		<-closed
	}()

	if cmd.List && cached != nil {
		v, err := st.Stat(ctx)
		if err != nil {
			return err
		}
		if versionKey(v) == cached.Version {
			closeSoon()
			growPipe(env.Stdout)
			_, err := cached.WriteTo(env.Stdout)
			return err
		}
	}

	if !cmd.List {
		inv, _, err := st.Load(ctx)
		if err != nil {
			return err
		}
		closeSoon()
		return cmd.answer(env, inv)
	}
	// --list never needs a decoded value: the buckets hold each vars
	// object as the canonical JSON --list prints, so they are copied as
	// they are (store.LoadEncoded, ansible.WriteEncodedJSON).
	enc, v, err := st.LoadEncoded(ctx)
	if err != nil {
		return err
	}
	closeSoon()
	// The answer goes out as it is rendered, and into the cache on the
	// way: nothing holds the whole of it.
	out := env.Stdout
	var cw *cache.Writer
	if c != nil {
		cw, _ = c.Create(cfg.Servers, cfg.Root, versionKey(v))
	}
	if cw != nil {
		out = io.MultiWriter(env.Stdout, cw)
	}
	growPipe(env.Stdout)
	if err := ansible.WriteEncodedJSON(out, enc); err != nil {
		if cw != nil {
			cw.Abort()
		}
		return err
	}
	if cw != nil {
		// A cache that cannot be written only costs speed; Ansible must not
		// see a complaint about it.
		_ = cw.Commit()
	}
	return nil
}

// answer prints what --host or --export asked for.
func (cmd *inventoryCmd) answer(env Env, inv *kook.Inventory) error {
	if cmd.Host != "" {
		return ansible.WriteHostJSON(env.Stdout, inv, cmd.Host)
	}
	switch cmd.Format {
	case "yaml":
		return ansible.WriteYAML(env.Stdout, inv)
	case "ini":
		return ansible.WriteINI(env.Stdout, inv)
	default:
		return ansible.WriteJSON(env.Stdout, inv)
	}
}

// answerFromList answers from a cached --list document.
func (cmd *inventoryCmd) answerFromList(env Env, list []byte) error {
	if cmd.List {
		_, err := env.Stdout.Write(list)
		return err
	}
	// The cache holds kook-inventory's own --list answer, which every rule
	// set reads alike.
	inv, err := ansible.ParseJSON("cache", list, ansible.ReadOptions{})
	if err != nil {
		return fmt.Errorf("cached inventory unreadable: %w", err)
	}
	inv.Reconcile()
	return cmd.answer(env, inv)
}

// deadlineError is the cause of a missed deadline, worded for the person
// at the terminal; it still counts as context.DeadlineExceeded.
type deadlineError struct{ after time.Duration }

func (e deadlineError) Error() string        { return fmt.Sprintf("timed out after %v", e.after) }
func (e deadlineError) Is(target error) bool { return target == context.DeadlineExceeded }
