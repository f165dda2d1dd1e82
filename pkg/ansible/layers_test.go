package ansible_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// layeredCases returns the inventory directories whose vars come in both
// layers: this repository's dir-* cases and the corpus directories that
// have group_vars/ or host_vars/, each copied to a fresh directory so that
// Ansible finds no vars directory above it.
func layeredCases(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	root := filepath.Join(testutil.RepoRoot(), "testdata", "inventories")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "dir-") {
			out[e.Name()] = filepath.Join(root, e.Name())
		}
	}
	for name, path := range corpusVarsDirs() {
		out[name] = path
	}
	return out
}

// corpusVarsDirs returns the corpus directories with group_vars/ or
// host_vars/, by name relative to the corpus.
func corpusVarsDirs() map[string]string {
	out := map[string]string{}
	corpus := testutil.Corpus()
	if corpus == "" {
		return out
	}
	for _, sub := range []string{"group_vars", "host_vars"} {
		found, _ := filepath.Glob(filepath.Join(corpus, "*", "*", sub))
		for _, f := range found {
			dir := filepath.Dir(f)
			rel, _ := filepath.Rel(corpus, dir)
			out[rel] = dir
		}
	}
	return out
}

// ansibleRun runs ansible-inventory with args from an empty directory and
// returns what it printed.
func ansibleRun(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := testutil.AnsibleInventory(t)
	cwd := t.TempDir()
	cmd := exec.Command(bin, args...)
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_LOCAL_TEMP="+cwd)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ansible-inventory %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return out.Bytes()
}

// hostvarsOf returns _meta.hostvars of a --list document, each as JSON.
func hostvarsOf(t *testing.T, list []byte) map[string][]byte {
	t.Helper()
	v, err := kook.DecodeJSON(list)
	doc, ok := v.(map[string]any)
	if err != nil || !ok {
		t.Fatalf("reading ansible-inventory's --list: %v", err)
	}
	meta, _ := doc["_meta"].(map[string]any)
	hostvars, _ := meta["hostvars"].(map[string]any)
	out := map[string][]byte{}
	for h, vars := range hostvars {
		out[h] = []byte(kook.ShowJSON(vars))
	}
	return out
}

// TestLayersAnsible is the vars-file layer's contract, on every layered
// directory: EffectiveVars equals what Ansible gives every host (its --list
// and its --host), and Ansible reading WriteJSON's script document (the
// layers folded by OneLayer) prints exactly the --list it prints for the
// directory, and the same --list --export when nothing had to be carried.
func TestLayersAnsible(t *testing.T) {
	for name, path := range layeredCases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			src := filepath.Join(t.TempDir(), filepath.Base(path))
			copyTree(t, path, src)
			inv, err := ansible.Read([]string{src}, "", ansible.ReadOptions{Rules: ansible.Rules214})
			if err != nil {
				t.Skipf("not readable under these rules: %v", err)
			}
			list := ansibleRun(t, "-i", src, "--list")
			hostvars := hostvarsOf(t, list)
			all := inv.AllEffectiveVars()
			for _, h := range inv.HostNames() {
				want := []byte("{}")
				if v, ok := hostvars[h]; ok {
					want = v
				}
				got := []byte(kook.ShowJSON(map[string]any(inv.EffectiveVars(h))))
				if diff, err := testutil.JSONDiff(want, got); err != nil || diff != "" {
					t.Errorf("EffectiveVars(%s) differs from ansible-inventory --list (-ansible +kook): %v\n%s", h, err, diff)
				}
				if diff, err := testutil.JSONDiff(got, []byte(kook.ShowJSON(map[string]any(all[h])))); err != nil || diff != "" {
					t.Errorf("AllEffectiveVars[%s] differs from EffectiveVars: %v\n%s", h, err, diff)
				}
			}
			if strings.HasPrefix(name, "dir-") {
				for _, h := range inv.HostNames() {
					want := ansibleRun(t, "-i", src, "--host", h)
					got := []byte(kook.ShowJSON(map[string]any(inv.EffectiveVars(h))))
					if diff, err := testutil.JSONDiff(want, got); err != nil || diff != "" {
						t.Errorf("EffectiveVars(%s) differs from ansible-inventory --host (-ansible +kook): %v\n%s", h, err, diff)
					}
				}
			}

			var doc bytes.Buffer
			if err := ansible.WriteJSON(&doc, inv); err != nil {
				t.Fatal(err)
			}
			served, stderr, err := ansibleScript(t, doc.Bytes(), "--list")
			if err != nil {
				t.Fatalf("ansible-inventory on the script document: %v\n%s", err, stderr)
			}
			if diff, err := testutil.JSONDiff(list, []byte(served)); err != nil || diff != "" {
				t.Errorf("--list through the script protocol differs (-directory +script): %v\n%s\nscript document:\n%s", err, diff, doc.Bytes())
			}
			if _, carried := inv.OneLayer(); carried == 0 && !filePriority(inv) {
				want := ansibleRun(t, "-i", src, "--list", "--export")
				got, stderr, err := ansibleScript(t, doc.Bytes(), "--list", "--export")
				if err != nil {
					t.Fatalf("ansible-inventory --export on the script document: %v\n%s", err, stderr)
				}
				if diff, err := testutil.JSONDiff(want, []byte(got)); err != nil || diff != "" {
					t.Errorf("--list --export through the script protocol differs, with nothing carried (-directory +script): %v\n%s", err, diff)
				}
			}
		})
	}
}

// filePriority reports whether a vars file sets ansible_group_priority,
// which the script protocol cannot show on the group.
func filePriority(inv *kook.Inventory) bool {
	for _, g := range inv.Groups {
		if _, ok := g.FileVars[kook.PriorityVar]; ok {
			return true
		}
	}
	return false
}

// TestLayersCarriedCorpus measures how many host/key pairs the script
// protocol needs carried as host vars on the real-world corpus (run with
// -v to see the figures), and checks the layered cases of this repository
// carry what they were written to carry.
func TestLayersCarriedCorpus(t *testing.T) {
	dirs := corpusVarsDirs()
	names := make([]string, 0, len(dirs))
	for n := range dirs {
		names = append(names, n)
	}
	sort.Strings(names)
	total, pairs := 0, 0
	for _, n := range names {
		inv, err := ansible.Read([]string{dirs[n]}, "", ansible.ReadOptions{Rules: ansible.Rules214})
		if err != nil {
			t.Logf("%s: not readable under these rules, not counted: %v", n, err)
			continue
		}
		_, carried := inv.OneLayer()
		for _, h := range inv.Hosts {
			pairs += len(inv.EffectiveVars(h.Name))
		}
		t.Logf("%s: %d hosts, %d host/key pairs carried", n, len(inv.Hosts), carried)
		total += carried
	}
	t.Logf("corpus: %d host/key pairs carried as host vars, of %d host/key pairs in all", total, pairs)

	root := filepath.Join(testutil.RepoRoot(), "testdata", "inventories")
	for name, want := range map[string]int{
		// web01: env (prod's file under web's inline), http_port (all's
		// file under web's inline).
		"dir-layers-issue": 2,
		// h1: k2 (b's file under a's inline, a having priority 5) and
		// the priority b's file sets as a var; h3: that var.
		"dir-layers-priority": 3,
		// tier (app's file under monitoring's or web's inline) for d1,
		// w1, w2, w3; port (app's file under web's inline) for w1, w2, w3.
		"dir-layers-multi": 7,
		// d1: depth_key, list_key (its own file's shade wins anyway);
		// o1: shade; r1 and r2: deep_only, depth_key, list_key, shade.
		"dir-layers-depth": 11,
	} {
		inv, err := ansible.Read([]string{filepath.Join(root, name)}, "", ansible.ReadOptions{Rules: ansible.Rules214})
		if err != nil {
			t.Fatal(err)
		}
		if _, got := inv.OneLayer(); got != want {
			t.Errorf("%s: %d host/key pairs carried, want %d", name, got, want)
		}
	}
}

// TestVarsFilesOfSeveralDirectories: the vars files of two inventory
// directories merge into one layer where Ansible's order allows it (one
// group's vars in both, checked against ansible-inventory), and a var set
// for two different groups by files of different directories, whose order
// one layer cannot hold, is refused naming both files.
func TestVarsFilesOfSeveralDirectories(t *testing.T) {
	one := writeTree(t, map[string]string{
		"hosts":            "[a]\nh1\n[b]\nh1\n",
		"group_vars/a.yml": "k: one-a\nonly_one: 1\n",
	})
	two := writeTree(t, map[string]string{
		"more":             "[a]\nh2\n",
		"group_vars/a.yml": "k: two-a\n",
	})
	sources := []string{filepath.Join(one, "hosts"), filepath.Join(two, "more")}
	inv, err := ansible.Read(sources, "", ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := inv.Groups["a"].FileVars, (kook.Vars{"k": "two-a", "only_one": int64(1)}); !kook.EqualVars(got, want) {
		t.Errorf("a's vars files = %v, want %v", got, want)
	}
	if !testing.Short() {
		hostvars := hostvarsOf(t, ansibleRun(t, "-i", sources[0], "-i", sources[1], "--list"))
		for _, h := range inv.HostNames() {
			got := []byte(kook.ShowJSON(map[string]any(inv.EffectiveVars(h))))
			if diff, err := testutil.JSONDiff(hostvars[h], got); err != nil || diff != "" {
				t.Errorf("EffectiveVars(%s) differs from ansible-inventory (-ansible +kook): %v\n%s", h, err, diff)
			}
		}
	}

	// b sorts after a, but its file comes from the earlier directory:
	// Ansible gives h1 the later directory's value (a's), one layer merged
	// group by group would give b's.
	first := writeTree(t, map[string]string{
		"hosts":            "[a]\nh1\n[b]\nh1\n",
		"group_vars/b.yml": "k: first-b\n",
	})
	second := writeTree(t, map[string]string{
		"more":             "[a]\nh1\n",
		"group_vars/a.yml": "k: second-a\n",
	})
	sources = []string{filepath.Join(first, "hosts"), filepath.Join(second, "more")}
	_, err = ansible.Read(sources, "", ansible.ReadOptions{Rules: ansible.Rules214})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(first, "group_vars", "b")) || !strings.Contains(err.Error(), filepath.Join(second, "group_vars", "a")) {
		t.Errorf("Read = %v, want a refusal naming both vars files", err)
	}
	if !testing.Short() {
		got := hostvarsOf(t, ansibleRun(t, "-i", sources[0], "-i", sources[1], "--list"))["h1"]
		if want := []byte(`{"k":"second-a"}`); !bytes.Equal(got, want) {
			t.Errorf("Ansible gives h1 %s, not the later directory's %s: the refusal guards nothing", got, want)
		}
	}
}
