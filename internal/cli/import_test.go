package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/testutil"
)

const chainYAML = `all:
  children:
    a:
      hosts: {h1: }
      children:
        b:
          hosts: {h2: }
    c:
      hosts: {h3: }
  hosts:
    lone:
`

// TestMergeClosingCycleRefused: a merge whose child links would close a
// cycle with what ZooKeeper holds is refused naming the cycle, and nothing
// is written (an earlier kook fell back to the sources alone and deleted
// every other host).
func TestMergeClosingCycleRefused(t *testing.T) {
	env, addr, root := zkRoot(t)
	mustRun(t, 0, Import, env, chainYAML, "-")
	before := load(t, addr, root)

	cycle := writeFile(t, "cycle.yml", "all:\n  children:\n    b:\n      children:\n        a:\n")
	for _, args := range [][]string{{cycle}, {"--dry-run", cycle}} {
		r := mustRun(t, 1, Import, env, "", args...)
		want := `kook-import: merging would make a group cycle: b -> a -> b (the sources make "a" a child of "b"); nothing written`
		if !strings.HasPrefix(r.stderr, want) {
			t.Errorf("%v: stderr %q, want it to start %q", args, r.stderr, want)
		}
	}
	r := mustRun(t, 2, Import, env, "", "--check", cycle)
	if !strings.Contains(r.stderr, "b -> a -> b") {
		t.Errorf("--check: %q", r.stderr)
	}
	if d := testutil.GraphDiff(before, load(t, addr, root)); d != "" {
		t.Errorf("a refused merge changed the inventory (-before +after):\n%s", d)
	}
}

// TestPruneEmptyRefused: --prune of sources without a host would delete
// every host: refused unless --allow-empty.
func TestPruneEmptyRefused(t *testing.T) {
	env, addr, root := zkRoot(t)
	mustRun(t, 0, Import, env, chainYAML, "-")
	empty := writeFile(t, "empty.ini", "")
	for _, args := range [][]string{{"--prune", "-"}, {"--prune", empty}, {"--prune", "--dry-run", empty}} {
		r := mustRun(t, 1, Import, env, "", args...)
		want := "kook-import: the sources hold no host: --prune would remove all 4 stored hosts; nothing written (give --allow-empty to empty the inventory on purpose)\n"
		if r.stderr != want {
			t.Errorf("%v: stderr %q, want %q", args, r.stderr, want)
		}
	}
	if n := len(load(t, addr, root).Hosts); n != 4 {
		t.Fatalf("refused prunes left %d hosts, want 4", n)
	}
	mustRun(t, 0, Import, env, "", "--prune", "--allow-empty", empty)
	if n := len(load(t, addr, root).Hosts); n != 0 {
		t.Errorf("--prune --allow-empty left %d hosts", n)
	}
	// Emptied on purpose, the root still serves its empty inventory.
	noCache(t)
	r := mustRun(t, 0, Inventory, env, "", "--list")
	if !strings.Contains(r.stdout, `"ungrouped"`) || r.stderr != "" {
		t.Errorf("--list of an emptied root: %q, stderr %q", r.stdout, r.stderr)
	}
}

// TestPruneIfVersion: export, edit, --prune import with the export's
// version refuses when a host was registered in between, instead of
// silently removing it; it succeeds when nothing moved.
func TestPruneIfVersion(t *testing.T) {
	env, addr, root := zkRoot(t)
	noCache(t)
	mustRun(t, 0, Import, env, chainYAML, "-")
	for _, format := range []string{"ini", "yaml"} {
		export := mustRun(t, 0, Inventory, env, "", "--export", "--format", format).stdout
		m := regexp.MustCompile(`^# kook version: (\S+)\n`).FindStringSubmatch(export)
		if m == nil {
			t.Fatalf("%s export does not start with its version:\n%s", format, export)
		}
		stat := mustRun(t, 0, Inventory, env, "", "--stat").stdout
		if !strings.Contains(stat, "version     "+m[1]+"\n") {
			t.Errorf("--stat does not print the export's version %s:\n%s", m[1], stat)
		}
		edited := writeFile(t, "edited."+format, export)

		// A host registers meanwhile.
		st := openRoot(t, addr, root)
		if err := st.AddHost(context.Background(), "registered-"+format, nil); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, 1, Import, env, "", "--prune", "--if-version", m[1], edited)
		if !strings.Contains(r.stderr, "conflict") || !strings.Contains(r.stderr, "nothing written") {
			t.Errorf("stale --if-version: %q", r.stderr)
		}
		if load(t, addr, root).Hosts["registered-"+format] == nil {
			t.Fatalf("the host registered after the %s export was removed", format)
		}

		// Exported again, nothing moves: the import goes through.
		export = mustRun(t, 0, Inventory, env, "", "--export", "--format", format).stdout
		v := regexp.MustCompile(`^# kook version: (\S+)\n`).FindStringSubmatch(export)[1]
		mustRun(t, 0, Import, env, "", "--prune", "--if-version", v, writeFile(t, "again."+format, export))
	}
	r := mustRun(t, 1, Import, env, "", "--prune", "--if-version", "yesterday", writeFile(t, "x.ini", "h\n"))
	if !strings.Contains(r.stderr, `--if-version: "yesterday" is not an inventory version`) {
		t.Errorf("bad --if-version: %q", r.stderr)
	}
}

// TestImportUsageErrors: flags that cannot apply together exit 2 before
// anything is read or written.
func TestImportUsageErrors(t *testing.T) {
	src := writeFile(t, "inv.ini", "h1\n")
	env := map[string]string{"KOOK_ZK": "127.0.0.1:1", "KOOK_CONFIG": writeFile(t, "kook.yml", "")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--output", "ini", "--check", src}, "--output prints the sources and never touches ZooKeeper: --check cannot apply to it"},
		{[]string{"--output", "ini", "--prune", src}, "--prune cannot apply"},
		{[]string{"--output", "json", "--dry-run", src}, "--dry-run cannot apply"},
		{[]string{"--output", "yaml", "--zk", "zk:2181", src}, "--zk cannot apply"},
		{[]string{"--output", "yaml", "--root", "/x", src}, "--root cannot apply"},
		{[]string{"--output", "yaml", "--config", src, src}, "--config cannot apply"},
		{[]string{"--output", "yaml", "--timeout", "1s", src}, "--timeout cannot apply"},
		{[]string{"--output", "yaml", "--if-version", "empty", src}, "--if-version cannot apply"},
		{[]string{"--output", "yaml", "--allow-empty", src}, "--allow-empty cannot apply"},
		{[]string{"--allow-empty", src}, "--allow-empty applies only with --prune"},
		{[]string{"--check", "--if-version", "empty", src}, "--if-version guards a write"},
		{[]string{"--dry-run", "--if-version", "empty", src}, "--if-version guards a write"},
		{[]string{"--timeout", "0", src}, "--timeout 0s: give a time above zero, such as 5s"},
		{[]string{"--timeout=-1s", src}, "--timeout -1s: give a time above zero"},
		{[]string{"--check", "--dry-run", src}, "--dry-run and --check can't be used together"},
	} {
		r := runCmd(t, Import, env, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
	if r := runCmd(t, Kook, env, "", "--timeout", "0", "host", "list"); r.code != 2 || !strings.Contains(r.stderr, "kook: --timeout 0s: give a time above zero") {
		t.Errorf("kook --timeout 0: exit %d, %q", r.code, r.stderr)
	}
	// --output alone still converts, with no ZooKeeper anywhere.
	if r := runCmd(t, Import, env, "", "--output", "ini", src); r.code != 0 || r.stdout == "" {
		t.Errorf("--output: exit %d, %q", r.code, r.stderr)
	}
}

// TestImportSummary: the summary counts what a first import added (all and
// ungrouped included) and words its counts as English does.
func TestImportSummary(t *testing.T) {
	env, _, _ := zkRoot(t)
	r := mustRun(t, 0, Import, env, "web1\n", "-")
	want := regexp.MustCompile(`^imported 1 host, 2 groups into /zktest/\S+ \(version g\d{10}@0x[0-9a-f]+\) under Ansible 2\.19 rules in \S+; wrote \d+ buckets?; hosts: 1 added, 0 removed, 0 changed; groups: 2 added, 0 removed, 0 changed\n$`)
	if !want.MatchString(r.stderr) {
		t.Errorf("first import said %q", r.stderr)
	}
	r = mustRun(t, 0, Import, env, "web2\n", "-")
	want = regexp.MustCompile(`; wrote 1 bucket; hosts: 1 added, 0 removed, 0 changed; groups: 0 added, 0 removed, 1 changed\n$`)
	if !want.MatchString(r.stderr) {
		t.Errorf("second import said %q", r.stderr)
	}
}

// TestVersionFlag: every command says which build it is.
func TestVersionFlag(t *testing.T) {
	for name, cmd := range map[string]func(Env) int{"kook-import": Import, "kook-inventory": Inventory, "kook": Kook} {
		r := runCmd(t, cmd, nil, "", "--version")
		if r.code != 0 || r.stdout != name+" "+Version()+"\n" {
			t.Errorf("%s --version: exit %d, %q %q", name, r.code, r.stdout, r.stderr)
		}
	}
}
