package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// layeredDirs are this repository's inventory directories whose vars come
// in both layers (inventory sources and group_vars/, host_vars/ files).
func layeredDirs(t *testing.T) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "dir-layers-*"))
	if err != nil || len(found) == 0 {
		t.Fatalf("no layered cases in testdata/inventories: %v", err)
	}
	return found
}

// carries reports whether serving src through the script protocol needs
// values carried as host vars (or leaves a vars file's
// ansible_group_priority off its group), where --list --export cannot
// equal Ansible's for the source itself.
func carries(t *testing.T, src string) bool {
	t.Helper()
	inv, err := ansible.Read([]string{src}, "", ansible.ReadOptions{})
	if err != nil {
		return false // refused: nothing is served
	}
	if _, n := inv.OneLayer(); n > 0 {
		return true
	}
	for _, g := range inv.Groups {
		if _, ok := g.FileVars[kook.PriorityVar]; ok {
			return true
		}
	}
	return false
}

// hostNames returns the hosts of a --list document.
func hostNames(t *testing.T, list []byte) []string {
	t.Helper()
	inv, err := ansible.ParseJSON("list.json", list, ansible.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return inv.HostNames()
}

// TestLayersThroughZooKeeper: each layered directory, imported, gives every
// host through kook-inventory what Ansible gives it from the directory
// (--list and --host of every host); kook-inventory --host agrees with its
// --list; --check and --check --prune find nothing; and both ways of
// writing a directory (kook-inventory --export --format dir, kook-import
// --output dir) write one that Ansible reads as kook serves it and that
// checks clean against the same root.
func TestLayersThroughZooKeeper(t *testing.T) {
	needAnsible(t)
	zk := zktest.Shared(t)
	for _, src := range layeredDirs(t) {
		t.Run(filepath.Base(src), func(t *testing.T) {
			t.Parallel()
			env := zkEnv(zk.Addr, zktest.UniqueRoot(t))
			mustImport(t, env, src)
			want := ansibleOn(t, src, "--list")
			if want.code != 0 {
				t.Fatalf("ansible-inventory -i %s --list: exit %d\n%s", src, want.code, want.stderr)
			}
			dir := t.TempDir()
			served := run(t, dir, env, ansibleInv, "-i", kookInvent, "--list")
			assertSameJSON(t, "--list through ZooKeeper", want.stdout, served.stdout)
			direct := run(t, dir, env, kookInvent, "--list")
			doc, err := ansible.ParseJSON("kook-inventory --list", direct.stdout, ansible.ReadOptions{Rules: ansible.Rules214})
			if err != nil {
				t.Fatal(err)
			}
			// Ansible's --host H is _meta.hostvars[H] of its --list
			// (pkg/ansible's TestLayersAnsible checks both on these cases).
			oracle, err := ansible.ParseJSON("ansible-inventory --list", want.stdout, ansible.ReadOptions{Rules: ansible.Rules214})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hostNames(t, want.stdout) {
				g := run(t, dir, env, ansibleInv, "-i", kookInvent, "--host", h)
				assertSameJSON(t, "--host "+h+" through ZooKeeper", []byte(kook.ShowJSON(map[string]any(oracle.Hosts[h].Vars))), g.stdout)
				k := run(t, dir, env, kookInvent, "--host", h)
				assertSameJSON(t, "kook-inventory --host "+h+" against its --list", []byte(kook.ShowJSON(map[string]any(doc.Hosts[h].Vars))), k.stdout)
			}
			if !carries(t, src) {
				e := run(t, dir, env, ansibleInv, "-i", kookInvent, "--list", "--export")
				assertSameJSON(t, "--list --export through ZooKeeper", ansibleOn(t, src, "--list", "--export").stdout, e.stdout)
			}
			for _, args := range [][]string{{"--check", src}, {"--check", "--prune", src}} {
				if r := run(t, dir, env, kookImport, args...); r.code != 0 {
					t.Errorf("kook-import %v after importing it: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
				}
			}

			exported := filepath.Join(t.TempDir(), "exported")
			if r := run(t, dir, env, kookInvent, "--export", "--format", "dir", "--to", exported); r.code != 0 || len(r.stdout) != 0 || len(r.stderr) != 0 {
				t.Fatalf("kook-inventory --export --format dir: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			converted := filepath.Join(t.TempDir(), "converted")
			if r := run(t, dir, nil, kookImport, "--output", "dir", "--to", converted, src); r.code != 0 {
				t.Fatalf("kook-import --output dir: exit %d\n%s", r.code, r.stderr)
			}
			for _, out := range []string{exported, converted} {
				l := run(t, dir, nil, ansibleInv, "-i", out, "--list")
				assertSameJSON(t, "ansible-inventory -i "+filepath.Base(out), served.stdout, l.stdout)
				if r := run(t, dir, env, kookImport, "--check", "--prune", out); r.code != 0 {
					t.Errorf("kook-import --check --prune %s: exit %d\n%s%s", filepath.Base(out), r.code, r.stdout, r.stderr)
				}
			}
			// A second export replaces the first; a directory kook did not
			// write is refused before anything is written.
			if r := run(t, dir, env, kookInvent, "--export", "--format", "dir", "--to", exported); r.code != 0 {
				t.Errorf("exporting again into an earlier export: exit %d\n%s", r.code, r.stderr)
			}
			if r := run(t, dir, env, kookInvent, "--export", "--format", "dir", "--to", filepath.Dir(src)); r.code != 1 || !strings.Contains(string(r.stderr), "not an earlier kook export") {
				t.Errorf("exporting into a directory kook did not write: exit %d\n%s", r.code, r.stderr)
			}
		})
	}
}

// TestLayersIssueReproduction is issue 9's reproduction: group_vars files
// win over inline group vars of any group at any depth, through
// ZooKeeper; and --check --prune tells a store that holds the inline
// values apart from the directory.
func TestLayersIssueReproduction(t *testing.T) {
	needAnsible(t)
	zk := zktest.Shared(t)
	src := filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "dir-layers-issue")
	want := []byte(`{"env": "prod-from-file", "http_port": 80}`)
	assertSameJSON(t, "ansible-inventory -i DIR --host web01", want, ansibleOn(t, src, "--host", "web01").stdout)

	env := zkEnv(zk.Addr, zktest.UniqueRoot(t))
	mustImport(t, env, src)
	dir := t.TempDir()
	assertSameJSON(t, "ansible-inventory -i kook-inventory --host web01", want,
		run(t, dir, env, ansibleInv, "-i", kookInvent, "--host", "web01").stdout)
	if r := run(t, dir, env, kookImport, "--check", "--prune", src); r.code != 0 {
		t.Errorf("--check --prune right after the import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// The inventory file alone (the inline values) in ZooKeeper: the
	// directory is not in sync, and the check says where.
	alone := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(alone, mustRead(t, filepath.Join(src, "hosts")), 0o644); err != nil {
		t.Fatal(err)
	}
	mustImport(t, env, "--prune", alone)
	r := run(t, dir, env, kookImport, "--check", "--prune", src)
	if r.code != 1 {
		t.Fatalf("--check --prune with the inline values stored: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range []string{`+ group all: group_vars http_port = 80`, `+ group prod: group_vars env = "prod-from-file"`} {
		if !strings.Contains(string(r.stdout), line) {
			t.Errorf("--check does not say %q:\n%s", line, r.stdout)
		}
	}
}

// TestCheckSeesEffectiveVars: without --prune, a vars-file layer only
// ZooKeeper holds (another source's group_vars/) can give a host of the
// sources other vars than the sources give it, while the import itself
// would change nothing; --check says so instead of "in sync".
func TestCheckSeesEffectiveVars(t *testing.T) {
	zk := zktest.Shared(t)
	src := filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "dir-layers-issue")
	other := t.TempDir()
	for name, content := range map[string]string{
		"hosts":                  "[zcanary]\nweb01\n",
		"group_vars/zcanary.yml": "env: canary-from-file\n",
	} {
		p := filepath.Join(other, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := zkEnv(zk.Addr, zktest.UniqueRoot(t))
	mustImport(t, env, src)
	mustImport(t, env, other)
	r := run(t, t.TempDir(), env, kookImport, "--check", src)
	if r.code != 1 {
		t.Fatalf("--check with another group_vars layer stored: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if line := `~ host web01: playbooks see env "canary-from-file" -> "prod-from-file"`; !strings.Contains(string(r.stdout), line) {
		t.Errorf("--check does not say %q:\n%s", line, r.stdout)
	}
}

// TestDirTargetUsage: --to goes with the dir format and only with it.
func TestDirTargetUsage(t *testing.T) {
	src := filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "dir-layers-issue")
	to := filepath.Join(t.TempDir(), "out")
	for _, c := range []struct {
		bin  string
		args []string
	}{
		{kookImport, []string{"--output", "dir", src}},
		{kookImport, []string{"--output", "yaml", "--to", to, src}},
		{kookImport, []string{"--to", to, src}},
		{kookInvent, []string{"--export", "--format", "dir"}},
		{kookInvent, []string{"--export", "--format", "ini", "--to", to}},
		{kookInvent, []string{"--list", "--format", "dir", "--to", to}},
	} {
		r := run(t, t.TempDir(), nil, c.bin, c.args...)
		if r.code != 2 || len(r.stdout) != 0 {
			t.Errorf("%s %v: exit %d, want 2 (usage)\n%s%s", filepath.Base(c.bin), c.args, r.code, r.stdout, r.stderr)
		}
	}
	if _, err := os.Stat(to); err == nil {
		t.Errorf("a refused command wrote %s", to)
	}
}
