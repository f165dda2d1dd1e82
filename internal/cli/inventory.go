package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	cfg, err := cmd.load(env)
	if err != nil {
		return fail(env, "kook-inventory", 1, err)
	}
	if err := cmd.run(env, cfg); err != nil {
		return fail(env, "kook-inventory", 1, err)
	}
	return 0
}

func (cmd *inventoryCmd) run(env Env, cfg config.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Timeout)
	defer cancel()

	// The cache holds the --list answer; --host and --export derive theirs
	// from it only when ZooKeeper is down and stale answers are allowed.
	var c *cache.Cache
	var cached cache.Entry
	var haveCached bool
	if !cmd.NoCache {
		if cc, err := cache.Open(); err == nil {
			c = cc
			cached, haveCached = c.Get(cfg.Servers, cfg.Root)
		}
	}

	st, err := open(ctx, cfg)
	if err != nil {
		if cfg.StaleOK && haveCached {
			fmt.Fprintf(env.Stderr, "kook-inventory: %v; serving the inventory cached %s ago\n",
				err, time.Since(cached.Saved).Round(time.Second))
			return cmd.answerFromList(env, cached.Data)
		}
		return err
	}
	defer st.Close()

	if cmd.List && haveCached {
		v, err := st.Stat(ctx)
		if err != nil {
			return err
		}
		if versionKey(v) == cached.Version {
			_, err := env.Stdout.Write(cached.Data)
			return err
		}
	}

	inv, v, err := st.Load(ctx)
	if err != nil {
		return err
	}
	if !cmd.List {
		return cmd.answer(env, inv)
	}
	var buf bytes.Buffer
	if err := ansible.WriteJSON(&buf, inv); err != nil {
		return err
	}
	if _, err := env.Stdout.Write(buf.Bytes()); err != nil {
		return err
	}
	if c != nil {
		// A cache that cannot be written only costs speed; Ansible must not
		// see a complaint about it.
		_ = c.Put(cfg.Servers, cfg.Root, versionKey(v), buf.Bytes())
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
	inv, err := ansible.ParseJSON("cache", list, nil)
	if err != nil {
		return fmt.Errorf("cached inventory unreadable: %w", err)
	}
	inv.Reconcile()
	return cmd.answer(env, inv)
}
