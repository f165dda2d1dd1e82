package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/alecthomas/kong"

	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// importCmd is kook-import's command line.
type importCmd struct {
	Sources []string `arg:"" name:"SOURCE" help:"Inventory files or directories (INI, YAML, JSON, kook dump archives), - for stdin. Several merge as several -i do in Ansible."`
	Format  string   `help:"Read every file source as this format instead of detecting it: ini, yaml, json or archive." enum:",ini,yaml,json,archive" default:""`
	Output  string   `help:"Do not touch ZooKeeper: print the sources as one inventory in this format (json, yaml or ini), or write them as an inventory directory with group_vars/ and host_vars/ (dir, with --to)." enum:",json,yaml,ini,dir" default:""`
	To      string   `help:"The directory --output dir writes: new, empty, or an earlier kook export." placeholder:"DIR"`
	Prune   bool     `help:"Make ZooKeeper equal the sources: also remove what they lack. Without it kook-import adds and updates, never deletes."`
	// AllowEmpty exists because an empty source (a failed pipe, the wrong
	// file) would otherwise make --prune delete every host.
	AllowEmpty bool   `help:"With --prune: allow sources without any host to empty the inventory."`
	IfVersion  string `help:"Write only if the inventory is still at this version (kook-inventory --stat prints it, --export writes it at the top); else fail and write nothing." placeholder:"V"`
	DryRun     bool   `help:"Print the changes the import would make; write nothing." xor:"plan"`
	Check      bool   `help:"For CI: exit 0 when the import would change nothing, 1 and the changes when it would, 2 on error." xor:"plan"`
	// SkipUnparsed is Ansible's own way with a bad file in a directory.
	SkipUnparsed bool `help:"In a source directory, skip a file no inventory plugin can read, as Ansible does: its warnings, and what its plugins read before failing kept. Without it such a file fails the import."`
	ZKFlags
	Version kong.VersionFlag `help:"Print kook-import's version and exit."`
}

// usage returns the error of flags that cannot apply together, given the
// flags the command line set.
func (cmd *importCmd) usage(set map[string]bool) error {
	if cmd.Output != "" {
		for _, f := range []string{"check", "dry-run", "prune", "allow-empty", "if-version", "zk", "root", "config", "timeout"} {
			if set[f] {
				return fmt.Errorf("--output prints the sources and never touches ZooKeeper: --%s cannot apply to it", f)
			}
		}
	}
	if cmd.AllowEmpty && !cmd.Prune {
		return errors.New("--allow-empty applies only with --prune: without it kook-import never removes anything")
	}
	if set["if-version"] && (cmd.DryRun || cmd.Check) {
		return errors.New("--if-version guards a write: --dry-run and --check write nothing")
	}
	return cmd.ZKFlags.usage(set)
}

const importHelp = `Import Ansible inventories into ZooKeeper, check them for drift, or convert them.`

// Validate refuses --to without --output dir and --output dir without --to.
func (cmd *importCmd) Validate() error { return validateDirTarget("--output", cmd.Output, cmd.To) }

// validateDirTarget is the rule both commands follow: the dir format
// writes into --to, and --to means nothing to any other.
func validateDirTarget(flag, format, to string) error {
	switch {
	case format == "dir" && to == "":
		return fmt.Errorf("%s dir needs --to DIR, the directory to write", flag)
	case format != "dir" && to != "":
		return fmt.Errorf("--to is only for %s dir", flag)
	}
	return nil
}

// Import runs kook-import and returns its exit code.
func Import(env Env) int {
	var cmd importCmd
	kctx, exit := parseCommand("kook-import", importHelp, &cmd, env, 2)
	if exit != nil {
		return *exit
	}
	if err := cmd.usage(setFlags(kctx)); err != nil {
		return fail(env, "kook-import", 2, err)
	}
	if err := cmd.checkAnsibleVersion(); err != nil {
		return fail(env, "kook-import", 2, err)
	}
	if err := cmd.checkSkipUnparsed(); err != nil {
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

// checkSkipUnparsed refuses --skip-unparsed where it cannot apply: with
// --format, every file is read one way and no plugin fallback happens;
// without a directory source, no file is skipped (Ansible skips a file
// given as a source too, but kook refuses to import nothing in its place).
func (cmd *importCmd) checkSkipUnparsed() error {
	if !cmd.SkipUnparsed {
		return nil
	}
	if cmd.Format != "" {
		return errors.New("--skip-unparsed cannot apply with --format: every file is read as that format alone")
	}
	for _, src := range cmd.Sources {
		if st, err := os.Stat(src); err == nil && st.IsDir() {
			return nil
		}
	}
	return errors.New("--skip-unparsed applies to files inside source directories, and no source is a directory")
}

func (cmd *importCmd) run(env Env) (int, error) {
	start := time.Now()
	// An import holds the sources, the stored inventory and the encoded
	// buckets at once, all alive until it ends: a collection every time
	// the heap doubles from a small start is most of the collector's work
	// and buys nothing in a process this short. The memory limit brings
	// the collector back as a large import approaches it: at 512 MiB a
	// 100,000-host YAML fleet peaks near 540 MB instead of 860 MB, for
	// about a fifth more CPU; lower, the collector runs all the time.
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(512 << 20))
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
		inv, err := ansible.ReadFrom(cmd.Sources, ansible.Format(cmd.Format), env.Stdin, ansible.ReadOptions{Rules: rules, Warn: warn, SkipUnparsed: cmd.SkipUnparsed})
		parsing <- parsed{inv, err}
	}()
	var src *kook.Inventory
	sources := func() (*kook.Inventory, error) {
		if src == nil {
			p := <-parsing
			if p.err != nil {
				return nil, p.err
			}
			if err := p.inv.CheckReserved(); err != nil {
				return nil, fmt.Errorf("the sources define %w", err)
			}
			src = p.inv
		}
		return src, nil
	}
	if cmd.Output != "" {
		if _, err := sources(); err != nil {
			return 0, err
		}
		if cmd.Output == "dir" {
			return 0, ansible.WriteDir(cmd.To, src)
		}
		return 0, writeFormat(env.Stdout, src, cmd.Output)
	}

	cfg, err := cmd.load(env)
	if err == nil {
		var st *store.Store
		if st, err = open(context.Background(), cfg, "kook-import", env.Args); err == nil {
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
	planOpts := kook.ImportOptions{Prune: cmd.Prune, AllowEmpty: cmd.AllowEmpty}
	recorded, err := recordedRules(ctx, st)
	if err != nil {
		return 0, err
	}
	rulesMoved := recorded != "" && recorded != rules

	if cmd.DryRun || cmd.Check {
		cur, _, err := st.Load(ctx)
		if errors.Is(err, store.ErrNoInventory) {
			// Nothing there yet: the import would add everything, all
			// and ungrouped included.
			cur, err = &kook.Inventory{Hosts: map[string]*kook.Host{}, Groups: map[string]*kook.Group{}}, nil
		}
		if err != nil {
			return 0, err
		}
		src, err := sources()
		if err != nil {
			return 0, err
		}
		next, err := kook.Plan(cur, src, planOpts)
		if err != nil {
			return 0, err
		}
		changes := kook.Diff(cur, next)
		// Without --prune, what ZooKeeper keeps beside the sources (a
		// group, a vars-file layer) can still give the sources' hosts
		// other vars after the import: say so, since playbooks see them.
		var seen []kook.Change
		if !cmd.Prune {
			seen = kook.DiffEffective(next, src, src.HostNames())
		}
		// The rules are part of what is checked: the inventory may hold
		// what other rules made of the same files, and the import would
		// record the new ones.
		if rulesMoved {
			fmt.Fprintf(env.Stdout, "~ reading rules: %s recorded, %s used now\n", recorded, rules)
		}
		for _, c := range append(changes, seen...) {
			fmt.Fprintln(env.Stdout, c.String())
		}
		what := summarize(append(changes, seen...))
		if rulesMoved {
			what = fmt.Sprintf("imported under %s, checked under %s; %s", recorded, rules, what)
		}
		if cmd.Check && (len(changes)+len(seen) > 0 || rulesMoved) {
			fmt.Fprintf(env.Stderr, "kook-import: %s differs from the sources: %s\n", cfg.Root, what)
			if len(seen) > 0 {
				fmt.Fprintf(env.Stderr, "kook-import: playbooks would see other vars than the sources give for %d hosts (\"playbooks see\" lines: the stored value, then the sources'); --prune removes what only ZooKeeper holds\n", kook.Changes(seen).Summary().HostsChanged)
			}
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

	opts := store.WriteOptions{What: "import " + strings.Join(cmd.Sources, " "), Rules: string(rules)}
	if cmd.Prune {
		opts.What = "import --prune " + strings.Join(cmd.Sources, " ")
	}
	if cmd.IfVersion != "" {
		v, err := store.ParseVersion(cmd.IfVersion)
		if err != nil {
			return 0, fmt.Errorf("--if-version: %w", err)
		}
		opts.ExpectVersion = &v
	}
	if isTerminal(env.Stderr) {
		opts.Progress = newProgress(env.Stderr, "importing")
	}
	// The store is read before the sources are needed, so the read
	// overlaps the parse; a source that fails stops the write before
	// anything is written.
	var src *kook.Inventory
	ready := func() error {
		if src != nil {
			return nil
		}
		// ansible.ReadFrom reconciles what it returns, so with --prune the
		// sources are the plan as they are (the store does not modify them).
		var err error
		src, err = sources()
		return err
	}
	var res store.Result
	if cmd.Prune {
		// Only the number of stored hosts is needed: the store then reads
		// no value, and compares what it would write bucket by bucket.
		res, err = st.ReplaceFrom(ctx, func(stored int) (*kook.Inventory, error) {
			if err := ready(); err != nil {
				return nil, err
			}
			if err := kook.CheckPrune(stored, src, planOpts); err != nil {
				return nil, err
			}
			return src, nil
		}, opts)
	} else {
		res, err = st.Apply(ctx, func(cur *kook.Inventory) (*kook.Inventory, error) {
			if err := ready(); err != nil {
				return nil, err
			}
			// Plan returns a reconciled inventory, so Apply need not
			// reconcile it again.
			return kook.Plan(cur, src, planOpts)
		}, opts)
	}
	if opts.Progress != nil {
		opts.Progress(-1, -1)
	}
	if errors.Is(err, store.ErrConflict) && opts.ExpectVersion != nil {
		return 0, fmt.Errorf("%w; nothing written: export again, redo the edit and import with the new version", err)
	}
	if err != nil {
		return 0, err
	}
	changed := res.Summary
	if res.Created {
		// The root held nothing: all and ungrouped are new too, not
		// changed from the empty inventory Apply starts from.
		changed = kook.Summary{HostsAdded: res.Hosts, GroupsAdded: res.Groups}
	}
	fmt.Fprintf(env.Stderr, "imported %s, %s into %s (version %v) under %s in %s; wrote %s; %s\n",
		nouns(res.Hosts, "host"), nouns(res.Groups, "group"), cfg.Root, res.Version, rules,
		time.Since(start).Round(time.Millisecond), nouns(res.BucketsWritten, "bucket"), changed)
	// A writer with full credentials applies what hosts that may not
	// write have filed (store.Register); its trouble does not undo the
	// import, which is done.
	n, err := st.ApplyRegistrations(ctx)
	if n > 0 {
		fmt.Fprintf(env.Stderr, "applied %s\n", nouns(n, "filed registration"))
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "warning: filed registrations: %v\n", err)
	}
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
