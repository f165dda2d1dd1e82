package e2e

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/testutil"
)

// TestConformanceCorpus: for every real-world inventory, what kook-import
// --output json prints, served to Ansible as a script, makes Ansible print
// exactly what it printed for the file itself.
func TestConformanceCorpus(t *testing.T) {
	needAnsible(t)
	corpus := testutil.Corpus()
	if corpus == "" {
		t.Skip("shared/inventories/realworld is not on this machine")
	}
	for _, c := range testutil.Cases(corpus, 2) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			r := run(t, t.TempDir(), nil, kookImport, "--output", "json", c.Path)
			if c.Error != "" {
				assertRejected(t, c.Path, c.Error, r)
				return
			}
			if r.code != 0 {
				t.Fatalf("kook-import --output json %s: exit %d\n%s", c.Path, r.code, r.stderr)
			}
			var export []byte
			if !carries(t, c.Path) {
				export = mustRead(t, c.Export)
			}
			checkThroughAnsible(t, r.stdout, mustRead(t, c.List), export)
		})
	}
}

// TestConformanceTestdata does the same for the project's own cases, with
// Ansible run live on each source as the oracle.
func TestConformanceTestdata(t *testing.T) {
	needAnsible(t)
	dir := filepath.Join(testutil.RepoRoot(), "testdata", "inventories")
	for _, c := range testutil.Cases(dir, 1) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			list, export, ok := oracle(t, c.Path)
			r := run(t, t.TempDir(), nil, kookImport, "--output", "json", c.Path)
			if !ok {
				if r.code == 0 {
					t.Fatalf("kook-import accepted %s, which Ansible rejected", c.Path)
				}
				if !strings.Contains(string(r.stderr), c.Path) {
					t.Errorf("error does not name %s:\n%s", c.Path, r.stderr)
				}
				return
			}
			if r.code != 0 {
				t.Fatalf("kook-import --output json %s: exit %d\n%s", c.Path, r.code, r.stderr)
			}
			if carries(t, c.Path) {
				export = nil
			}
			checkThroughAnsible(t, r.stdout, list, export)
		})
	}
}

// oracle returns what Ansible prints for src (--list, --list --export), or
// ok=false when it refuses it. A kook archive has no oracle: Ansible
// cannot read one, so it is compared with its golden file only.
func oracle(t *testing.T, src string) (list, export []byte, ok bool) {
	t.Helper()
	if strings.HasSuffix(src, ".json") {
		data := mustRead(t, src)
		if strings.Contains(string(data), `"__meta__"`) {
			t.Skip("a kook dump archive has no Ansible oracle; see pkg/ansible's golden tests")
		}
		l := ansibleThroughScript(t, data, "--list")
		e := ansibleThroughScript(t, data, "--list", "--export")
		if l.code == 0 && e.code == 0 {
			return l.stdout, e.stdout, true
		}
		// Not a script document: Ansible's yaml plugin reads a .json file
		// given to -i as a YAML inventory, and so does kook-import.
	}
	l := ansibleOn(t, src, "--list")
	e := ansibleOn(t, src, "--list", "--export")
	if l.code == 0 && strings.Contains(string(l.stderr), "Unexpected Exception") {
		return nil, nil, false
	}
	return l.stdout, e.stdout, l.code == 0 && e.code == 0
}

// checkThroughAnsible serves doc to Ansible and compares --list, --list
// --export and --host of a few hosts with the expected outputs; --export
// only when wantExport is not nil (it cannot match where values had to be
// carried as host vars, see kook.Inventory.OneLayer).
func checkThroughAnsible(t *testing.T, doc, wantList, wantExport []byte) {
	t.Helper()
	l := ansibleThroughScript(t, doc, "--list")
	if l.code != 0 {
		t.Fatalf("ansible-inventory --list through kook's JSON: exit %d\n%s\ndocument:\n%s", l.code, l.stderr, doc)
	}
	assertSameJSON(t, "ansible-inventory --list", wantList, l.stdout)
	if wantExport != nil {
		e := ansibleThroughScript(t, doc, "--list", "--export")
		assertSameJSON(t, "ansible-inventory --list --export", wantExport, e.stdout)
	}

	// --host H prints _meta.hostvars[H] of --list; check the first and last
	// host (sorted) whose names --host can address.
	var list struct {
		Meta struct {
			Hostvars map[string]json.RawMessage `json:"hostvars"`
		} `json:"_meta"`
	}
	if err := json.Unmarshal(wantList, &list); err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for h := range list.Meta.Hostvars {
		if !strings.ContainsAny(h, " *?[]!&:,~") && !strings.HasPrefix(h, "@") {
			hosts = append(hosts, h)
		}
	}
	sort.Strings(hosts)
	if len(hosts) > 2 {
		hosts = []string{hosts[0], hosts[len(hosts)-1]}
	}
	for _, h := range hosts {
		r := ansibleThroughScript(t, doc, "--host", h)
		if r.code != 0 {
			t.Errorf("ansible-inventory --host %s: exit %d\n%s", h, r.code, r.stderr)
			continue
		}
		assertSameJSON(t, "ansible-inventory --host "+h, list.Meta.Hostvars[h], r.stdout)
	}
}
