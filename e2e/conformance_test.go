package e2e

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kook-project/kook/internal/testutil"
)

// ruleSet is one Ansible whose reading kook reproduces: the rules passed to
// kook-import and the ansible-inventory that checks the result.
type ruleSet struct {
	version string
	bin     func(t *testing.T) string
}

var ruleSets = []ruleSet{
	{"2.14", func(t *testing.T) string { needAnsible(t); return ansibleInv }},
	{"2.19", func(t *testing.T) string { needAnsible219(t); return ansible219 }},
}

// TestConformanceCorpus: for every real-world inventory and under both
// rule sets, what kook-import --output json prints, served as a script to
// that Ansible (live), makes it print exactly what the stored oracle says
// it printed for the file itself (F.list.json for 2.14,
// F.ansible-2.19.list.json for 2.19, _meta.profile included).
func TestConformanceCorpus(t *testing.T) {
	needAnsible(t)
	corpus := testutil.Corpus()
	if corpus == "" {
		t.Skip("shared/inventories/realworld is not on this machine")
	}
	for _, rs := range ruleSets {
		for _, c := range testutil.Cases(corpus, 2) {
			t.Run(rs.version+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				bin := rs.bin(t)
				list, export, errTxt := c.List, c.Export, c.Error
				if rs.version == "2.19" {
					list, export, errTxt = c.List219, c.Export219, c.Error219
				}
				if list == "" && errTxt == "" {
					t.Fatalf("no stored %s oracle for %s", rs.version, c.Path)
				}
				r := run(t, t.TempDir(), nil, kookImport, "--ansible-version", rs.version, "--output", "json", c.Path)
				if errTxt != "" {
					assertRejected(t, c.Path, errTxt, r)
					return
				}
				if r.code != 0 {
					t.Fatalf("kook-import --output json %s: exit %d\n%s", c.Path, r.code, r.stderr)
				}
				var wantExport []byte
				if !carries(t, c.Path) {
					wantExport = mustRead(t, export)
				}
				checkThroughAnsibleWith(t, bin, r.stdout, mustRead(t, list), wantExport)
			})
		}
	}
}

// TestConformanceTestdata does the same for the project's own cases, with
// each Ansible run live on each source as the oracle.
func TestConformanceTestdata(t *testing.T) {
	needAnsible(t)
	dir := filepath.Join(testutil.RepoRoot(), "testdata", "inventories")
	for _, rs := range ruleSets {
		for _, c := range testutil.Cases(dir, 1) {
			t.Run(rs.version+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				bin := rs.bin(t)
				list, export, ok := oracleWith(t, bin, c.Path)
				r := run(t, t.TempDir(), nil, kookImport, "--ansible-version", rs.version, "--output", "json", c.Path)
				if !ok {
					if r.code == 0 {
						t.Fatalf("kook-import accepted %s, which Ansible %s rejected", c.Path, rs.version)
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
				checkThroughAnsibleWith(t, bin, r.stdout, list, export)
			})
		}
	}
}

// oracleWith returns what the ansible-inventory bin prints for src
// (--list, --list --export), or ok=false when it refuses it. A kook
// archive has no oracle: Ansible cannot read one, so it is compared with
// its golden file only.
func oracleWith(t *testing.T, bin, src string) (list, export []byte, ok bool) {
	t.Helper()
	if strings.HasSuffix(src, ".json") && strings.Contains(string(mustRead(t, src)), `"__meta__"`) {
		t.Skip("a kook dump archive has no Ansible oracle; see pkg/ansible's golden tests")
	}
	// Several suites ask for the same answers: each Ansible run costs
	// seconds of Python, so each is run once per test binary.
	v, _ := oracles.LoadOrStore(bin+"\x00"+src, &oracleAnswer{})
	a := v.(*oracleAnswer)
	a.once.Do(func() { a.list, a.export, a.ok = runOracle(t, bin, src) })
	return a.list, a.export, a.ok
}

// oracles memoizes oracleWith by ansible-inventory and source.
var oracles sync.Map

type oracleAnswer struct {
	once         sync.Once
	list, export []byte
	ok           bool
}

func runOracle(t *testing.T, bin, src string) (list, export []byte, ok bool) {
	t.Helper()
	if strings.HasSuffix(src, ".json") {
		data := mustRead(t, src)
		l := ansibleThroughScriptWith(t, bin, data, "--list")
		e := ansibleThroughScriptWith(t, bin, data, "--list", "--export")
		if l.code == 0 && e.code == 0 {
			return l.stdout, e.stdout, true
		}
		// Not a script document: Ansible's yaml plugin reads a .json file
		// given to -i as a YAML inventory, and so does kook-import.
	}
	l := ansibleOnWith(t, bin, src, "--list")
	e := ansibleOnWith(t, bin, src, "--list", "--export")
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
	checkThroughAnsibleWith(t, ansibleInv, doc, wantList, wantExport)
}

// checkThroughAnsibleWith is checkThroughAnsible with the given
// ansible-inventory.
func checkThroughAnsibleWith(t *testing.T, bin string, doc, wantList, wantExport []byte) {
	t.Helper()
	l := ansibleThroughScriptWith(t, bin, doc, "--list")
	if l.code != 0 {
		t.Fatalf("ansible-inventory --list through kook's JSON: exit %d\n%s\ndocument:\n%s", l.code, l.stderr, doc)
	}
	assertSameJSON(t, "ansible-inventory --list", wantList, l.stdout)
	if wantExport != nil {
		e := ansibleThroughScriptWith(t, bin, doc, "--list", "--export")
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
		r := ansibleThroughScriptWith(t, bin, doc, "--host", h)
		if r.code != 0 {
			t.Errorf("ansible-inventory --host %s: exit %d\n%s", h, r.code, r.stderr)
			continue
		}
		want := []byte(list.Meta.Hostvars[h])
		if bin == ansible219 {
			// 2.19 marks a value unsafe in its JSON only under
			// _meta.hostvars and a group's vars; --host prints the same
			// values bare.
			want = withoutUnsafeMarks(t, want)
		}
		assertSameJSON(t, "ansible-inventory --host "+h, want, r.stdout)
	}
}

// withoutUnsafeMarks replaces every {"__ansible_unsafe": X} in a JSON
// document by X.
func withoutUnsafeMarks(t *testing.T, doc []byte) []byte {
	t.Helper()
	if !strings.Contains(string(doc), "__ansible_unsafe") {
		return doc
	}
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	var strip func(any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if u, ok := x["__ansible_unsafe"]; ok && len(x) == 1 {
				return u
			}
			for k, e := range x {
				x[k] = strip(e)
			}
		case []any:
			for i, e := range x {
				x[i] = strip(e)
			}
		}
		return v
	}
	out, err := json.Marshal(strip(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}
