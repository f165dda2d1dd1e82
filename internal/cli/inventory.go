package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/kook-project/kook/internal/cache"
	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// inventoryCmd is kook-inventory's command line: Ansible's script protocol
// plus export of the live inventory.
type inventoryCmd struct {
	List    bool   `help:"Print the whole inventory as Ansible's script protocol wants it." xor:"mode"`
	Host    string `help:"Print the vars of one host ({} for a host the inventory lacks)." xor:"mode" placeholder:"HOST"`
	Export  bool   `help:"Print the live inventory as a file in --format; yaml and ini start with a '# kook version: V' line for kook-import --if-version." xor:"mode"`
	Stat    bool   `help:"Print what the root holds: servers, root, schema, generation, host and group counts, and the version for kook-import --if-version." xor:"mode"`
	Format  string `help:"Format of --export: json, yaml or ini (one file, the vars-file layer folded in), or dir (an inventory directory with group_vars/ and host_vars/, written to --to)." enum:"json,yaml,ini,dir" default:"json"`
	To      string `help:"The directory --export --format dir writes: new, empty, or an earlier kook export." placeholder:"DIR"`
	NoCache bool   `help:"Neither read nor write the local cache of the last answer."`
	ZKFlags
	Version kong.VersionFlag `help:"Print kook-inventory's version and exit."`
}

// usage returns the error of flags that cannot apply together, given the
// flags the command line set.
func (cmd *inventoryCmd) usage(set map[string]bool) error {
	if !cmd.List && cmd.Host == "" && !cmd.Export && !cmd.Stat {
		return errors.New("say what to print: --list, --host HOST, --export or --stat")
	}
	if set["format"] && !cmd.Export {
		return errors.New("--format applies only to --export")
	}
	if cmd.NoCache && cmd.Stat {
		return errors.New("--no-cache cannot apply to --stat, which never uses the cache")
	}
	return cmd.ZKFlags.usage(set)
}

const inventoryHelp = `Serve the Ansible inventory kept in ZooKeeper.

Point ansible.cfg's "inventory =" at this program; Ansible runs it with --list.
Nothing but the answer goes to stdout, and nothing at all to stderr on success.`

// Inventory runs kook-inventory and returns its exit code.
func Inventory(env Env) int {
	var cmd inventoryCmd
	kctx, exit := parseCommand("kook-inventory", inventoryHelp, &cmd, env, 2)
	if exit != nil {
		return *exit
	}
	if err := cmd.usage(setFlags(kctx)); err != nil {
		return fail(env, "kook-inventory", 2, err)
	}
	if err := validateDirTarget("--format", cmd.Format, cmd.To); err != nil {
		return fail(env, "kook-inventory", 2, err)
	}
	if cmd.Format == "dir" && !cmd.Export {
		return fail(env, "kook-inventory", 2, errors.New("--format dir is only for --export"))
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
		if errors.Is(err, store.ErrNoInventory) {
			// Most likely a mistyped root: say where the root came from.
			err = fmt.Errorf("%w; check --root, KOOK_ROOT or root: in the config file, or import an inventory there with kook-import", err)
		}
		return fail(env, "kook-inventory", 1, err)
	}
	return 0
}

func (cmd *inventoryCmd) run(env Env, cfg config.Config) error {
	// kook-inventory lives for one answer, and its heap is mostly the
	// buckets it read and what it assembles from them, alive until the end:
	// collecting while they grow only burns CPU (at 100,000 hosts, 8% of
	// the run). The collector is off; the memory limit keeps it as a
	// safety net for a fleet far past the expected sizes.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(256 << 20))
	// The whole answer, not each request, must come within the deadline:
	// Ansible waits on this process with no timeout of its own.
	ctx, cancel := context.WithTimeoutCause(context.Background(), cfg.Timeout,
		deadlineError{cfg.Timeout})
	defer cancel()

	if cmd.Stat {
		return cmd.stat(ctx, env, cfg)
	}

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

	st, err := open(ctx, cfg, "kook-inventory", env.Args)
	if err != nil {
		if cfg.StaleOK && cached != nil {
			list, rerr := cached.Data()
			if rerr != nil {
				// A damaged entry is no answer: report ZooKeeper's error.
				return err
			}
			fmt.Fprintf(env.Stderr, "kook-inventory: %v; serving the inventory cached %s ago\n",
				err, time.Since(cached.Saved).Round(time.Second))
			return cmd.answerFromList(env, list)
		}
		return err
	}
	// Closing the session waits for the server to log its end, which no
	// answer depends on: the close is sent once ZooKeeper has told all it
	// will, while the answer is written, and the process waits only for
	// the request to be out (store.CloseSoon).
	var closeSent <-chan struct{}
	closeSoon := func() {
		if closeSent == nil {
			closeSent = st.CloseSoon()
		}
	}
	defer func() {
		closeSoon()
		<-closeSent
	}()

	if cmd.List && cached != nil {
		key, err := statList(ctx, st)
		if err != nil {
			return err
		}
		if cachedFresh(cached.Version, key, time.Now()) {
			// The entry is read once and checked before a byte of it is
			// written: a damaged one is dropped and the answer read
			// afresh, on the session still open for that.
			list, err := cached.Data()
			if err == nil {
				closeSoon()
				growPipe(env.Stdout)
				return cached.WriteAnswer(env.Stdout, list)
			}
			if !errors.Is(err, cache.ErrCorrupt) {
				return err
			}
			c.Remove(cfg.Servers, cfg.Root)
		}
	}

	if !cmd.List {
		load := st.Load
		if cmd.Host != "" {
			load = func(ctx context.Context) (*kook.Inventory, store.Version, error) { return loadHost(ctx, st, cmd.Host) }
		}
		inv, v, err := load(ctx)
		if err != nil {
			return err
		}
		closeSoon()
		if cmd.Export && (cmd.Format == "yaml" || cmd.Format == "ini") {
			// What kook-import --prune --if-version takes back, so that an
			// edited export does not undo what changed meanwhile.
			fmt.Fprintf(env.Stdout, "# kook version: %v\n", v)
		}
		return cmd.answer(env, inv)
	}
	// --list never needs a decoded value: the buckets hold each vars
	// object as the canonical JSON --list prints, so they are copied as
	// they are (store.LoadEncoded, ansible.WriteEncodedJSON).
	enc, version, err := loadList(ctx, st)
	if err != nil {
		return err
	}
	closeSoon()
	// The answer goes out as it is rendered, and into the cache on the
	// way: nothing holds the whole of it.
	out := env.Stdout
	var cw *cache.Writer
	if c != nil {
		cw, _ = c.Create(cfg.Servers, cfg.Root, version)
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

// stat prints --stat: one "name  value" line each, for people and for
// scripts (awk '$1 == "version" {print $2}').
func (cmd *inventoryCmd) stat(ctx context.Context, env Env, cfg config.Config) error {
	st, err := open(ctx, cfg, "kook-inventory", env.Args)
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := st.Stat(ctx)
	if err != nil {
		return err
	}
	var b strings.Builder
	line := func(name string, value any) { fmt.Fprintf(&b, "%-11s %v\n", name, value) }
	line("servers", strings.Join(s.Servers, ","))
	line("root", s.Root)
	if !s.Exists {
		line("inventory", "none: nothing was ever imported under this root")
	} else {
		line("schema", s.Schema)
		line("generation", s.Generation)
		line("hosts", humanInt(s.Hosts))
		line("groups", humanInt(s.Groups))
	}
	line("version", s.Version)
	_, err = io.WriteString(env.Stdout, b.String())
	return err
}

// answer prints what --host or --export asked for.
func (cmd *inventoryCmd) answer(env Env, inv *kook.Inventory) error {
	if cmd.Host != "" {
		return ansible.WriteHostJSON(env.Stdout, inv, cmd.Host)
	}
	switch cmd.Format {
	case "dir":
		return ansible.WriteDir(cmd.To, inv)
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
	if cmd.Format == "dir" {
		return errors.New("the cached answer holds one layer of vars, not the vars-file layer a directory needs: export again when ZooKeeper answers")
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
