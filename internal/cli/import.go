package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// importCmd is kook-import's command line.
type importCmd struct {
	Sources []string `arg:"" name:"SOURCE" help:"Inventory files or directories (INI, YAML, JSON, kook dump archives), - for stdin. Several merge as several -i do in Ansible."`
	Format  string   `help:"Read every file source as this format instead of detecting it: ini, yaml, json or archive." enum:",ini,yaml,json,archive" default:""`
	Output  string   `help:"Do not touch ZooKeeper: print the sources as one inventory in this format (json, yaml or ini)." enum:",json,yaml,ini" default:""`
	Prune   bool     `help:"Make ZooKeeper equal the sources: also remove what they lack. Without it kook-import adds and updates, never deletes."`
	DryRun  bool     `help:"Print the changes the import would make; write nothing." xor:"plan"`
	Check   bool     `help:"For CI: exit 0 when the import would change nothing, 1 and the changes when it would, 2 on error." xor:"plan"`
	ZKFlags
}

const importHelp = `Import Ansible inventories into ZooKeeper, check them for drift, or convert them.`

// Import runs kook-import and returns its exit code.
func Import(env Env) int {
	var cmd importCmd
	if code := parse("kook-import", importHelp, &cmd, env, 2); code != nil {
		return *code
	}
	if err := cmd.checkAnsibleVersion(); err != nil {
		return fail(env, "kook-import", 2, err)
	}
	errCode := 1
	if cmd.Check {
		errCode = 2
	}
	code, err := cmd.run(env)
	if err != nil {
		return fail(env, "kook-import", errCode, err)
	}
	return code
}

func (cmd *importCmd) run(env Env) (int, error) {
	start := time.Now()
	// An import holds the sources, the stored inventory and the encoded
	// buckets at once, all alive until it ends: a collection every time
	// the heap doubles from a small start is most of the collector's work
	// and buys nothing in a process this short. The memory limit brings
	// the collector back should a huge import approach it.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(2 << 30))
	warn := func(msg string) { fmt.Fprintf(env.Stderr, "warning: %s\n", msg) }
	rules, err := cmd.rules(env)
	if err != nil {
		return 0, err
	}
	// The sources are read while the store connects and loads: on two
	// cores that hides most of one behind the other.
	type parsed struct {
		inv *kook.Inventory
		err error
	}
	parsing := make(chan parsed, 1)
	go func() {
		inv, err := ansible.ReadFrom(cmd.Sources, ansible.Format(cmd.Format), env.Stdin, ansible.ReadOptions{Rules: rules, Warn: warn})
		parsing <- parsed{inv, err}
	}()
	var src *kook.Inventory
	sources := func() (*kook.Inventory, error) {
		if src == nil {
			p := <-parsing
			if p.err != nil {
				return nil, p.err
			}
			src = p.inv
		}
		return src, nil
	}
	if cmd.Output != "" {
		if _, err := sources(); err != nil {
			return 0, err
		}
		return 0, writeFormat(env.Stdout, src, cmd.Output)
	}

	cfg, err := cmd.load(env)
	if err == nil {
		var st *store.Store
		if st, err = open(context.Background(), cfg); err == nil {
			defer st.Close()
			return cmd.apply(env, cfg, st, sources, rules, start)
		}
	}
	// Bad sources are the first thing to fix, whatever else failed.
	if _, perr := sources(); perr != nil {
		return 0, perr
	}
	return 0, err
}

// apply plans and, unless it is a dry run or a check, writes the import.
func (cmd *importCmd) apply(env Env, cfg config.Config, st *store.Store, sources func() (*kook.Inventory, error), rules ansible.Rules, start time.Time) (int, error) {
	ctx := context.Background()
	recorded, err := recordedRules(ctx, st)
	if err != nil {
		return 0, err
	}
	rulesMoved := recorded != "" && recorded != rules

	if cmd.DryRun || cmd.Check {
		cur, _, err := st.Load(ctx)
		if err != nil {
			return 0, err
		}
		src, err := sources()
		if err != nil {
			return 0, err
		}
		changes := kook.Diff(cur, plan(cur, src, cmd.Prune))
		for _, c := range changes {
			fmt.Fprintln(env.Stdout, c.String())
		}
		// The rules are part of what is checked: the inventory may hold
		// what other rules made of the same files, and the import would
		// record the new ones.
		if rulesMoved {
			fmt.Fprintf(env.Stdout, "~ reading rules: %s recorded, %s used now\n", recorded, rules)
		}
		what := summarize(changes)
		if rulesMoved {
			what = fmt.Sprintf("imported under %s, checked under %s; %s", recorded, rules, what)
		}
		if cmd.Check && (len(changes) > 0 || rulesMoved) {
			fmt.Fprintf(env.Stderr, "kook-import: %s differs from the sources: %s\n", cfg.Root, what)
			return 1, nil
		}
		if cmd.DryRun {
			fmt.Fprintf(env.Stderr, "dry run under %s: %s; nothing written\n", rules, what)
		}
		return 0, nil
	}
	if rulesMoved {
		fmt.Fprintf(env.Stderr, "warning: %s was imported under %s; this import reads the sources under %s and records them\n", cfg.Root, recorded, rules)
	}

	opts := store.WriteOptions{Rules: string(rules)}
	if isTerminal(env.Stderr) {
		opts.Progress = newProgress(env.Stderr, "importing")
	}
	// Apply loads the stored inventory before it calls fn, so the load
	// overlaps the parse; a source that fails stops it before any write.
	var src *kook.Inventory
	ready := func() error {
		if src != nil {
			return nil
		}
		// ansible.ReadFrom reconciles what it returns, so with --prune the
		// sources are the plan as they are (Apply does not modify them).
		var err error
		src, err = sources()
		return err
	}
	var summary func() kook.Summary
	res, err := st.Apply(ctx, func(cur *kook.Inventory) (*kook.Inventory, error) {
		if err := ready(); err != nil {
			return nil, err
		}
		// plan returns a reconciled inventory, so Apply need not
		// reconcile it again.
		next := src
		if !cmd.Prune {
			next = plan(cur, src, false)
		}
		// Only the counts are printed: building every Change of a large
		// first import would cost more than the import's own encoding.
		// They are counted on another core while the store encodes next;
		// neither side modifies cur or next.
		counted := make(chan kook.Summary, 1)
		go func() { counted <- kook.DiffSummary(cur, next) }()
		summary = sync.OnceValue(func() kook.Summary { return <-counted })
		return next, nil
	}, opts)
	if opts.Progress != nil {
		opts.Progress(-1, -1)
	}
	if err != nil {
		return 0, err
	}
	fmt.Fprintf(env.Stderr, "imported %s hosts, %s groups into %s (generation %s) under %s in %s; wrote %d buckets; %s\n",
		humanInt(res.Hosts), humanInt(res.Groups), cfg.Root, res.Version.Generation, rules,
		time.Since(start).Round(time.Millisecond), res.BucketsWritten, summary())
	return 0, nil
}

// recordedRules returns the reading rules the stored inventory was imported
// under, "" for an empty root. A root written before rules were recorded
// was imported under 2.14's, the only ones kook had.
func recordedRules(ctx context.Context, st *store.Store) (ansible.Rules, error) {
	r, exists, err := st.Rules(ctx)
	switch {
	case err != nil || !exists:
		return "", err
	case r == "":
		return ansible.Rules214, nil
	}
	return ansible.Rules(r), nil
}

// plan returns what the store should hold after importing src into cur:
// src itself with prune, else cur with src merged over it.
func plan(cur, src *kook.Inventory, prune bool) *kook.Inventory {
	if prune {
		return src.Clone()
	}
	next := cur.Clone()
	if err := next.Merge(src); err != nil {
		// A cycle between what ZooKeeper holds and the sources: keep the
		// sources' links, which the person asked for.
		next = src.Clone()
	}
	next.Reconcile()
	return next
}

// summarize counts changes for one line of output.
func summarize(changes []kook.Change) string {
	if len(changes) == 0 {
		return "no changes"
	}
	return kook.Changes(changes).Summary().String()
}

func writeFormat(w io.Writer, inv *kook.Inventory, format string) error {
	var buf bytes.Buffer
	var err error
	switch format {
	case "json":
		err = ansible.WriteJSON(&buf, inv)
	case "yaml":
		err = ansible.WriteYAML(&buf, inv)
	case "ini":
		err = ansible.WriteINI(&buf, inv)
	default:
		err = errors.New("unknown output format " + format)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
