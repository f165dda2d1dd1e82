package kook

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// varsCase is one inventory for the precedence tests, with the vars
// Ansible 2.14 gives each host (worked out by hand; the Ansible test
// checks the same inventories against the real thing).
type varsCase struct {
	name  string
	build func() *Inventory
	want  map[string]Vars
}

func mustChild(t testing.TB, inv *Inventory, parent, child string) {
	t.Helper()
	if err := inv.AddChild(parent, child); err != nil {
		t.Fatal(err)
	}
}

func varsCases(t testing.TB) []varsCase {
	return []varsCase{
		{
			name: "nesting",
			build: func() *Inventory {
				inv := New()
				inv.AddGroup(All).Vars = Vars{"x": "all", "y": "all", "only_all": int64(1)}
				// a (1) > b (2) > c (3); d under a and c is depth 4.
				mustChild(t, inv, "a", "b")
				mustChild(t, inv, "b", "c")
				mustChild(t, inv, "c", "d")
				mustChild(t, inv, "a", "d")
				inv.Groups["a"].Vars = Vars{"x": "a", "y": "a", "z": "a", "w": "a"}
				inv.Groups["b"].Vars = Vars{"x": "b", "y": "b"}
				inv.Groups["c"].Vars = Vars{"x": "c"}
				inv.Groups["d"].Vars = Vars{"w": "d", "dict": map[string]any{"k": int64(1)}}
				inv.AddGroup("b").Vars["dict"] = map[string]any{"j": int64(2)}
				inv.AddMember("c", "h1") // in c, b, a
				inv.AddMember("a", "h1")
				inv.AddMember("d", "h2") // in d, c, b, a
				inv.AddMember("b", "h3")
				inv.Hosts["h3"].Vars = Vars{"y": "host", "n": 1.0}
				inv.Reconcile()
				return inv
			},
			want: map[string]Vars{
				"h1": {"x": "c", "y": "b", "z": "a", "w": "a", "only_all": int64(1), "dict": map[string]any{"j": int64(2)}},
				"h2": {"x": "c", "y": "b", "z": "a", "w": "d", "only_all": int64(1), "dict": map[string]any{"k": int64(1)}},
				"h3": {"x": "b", "y": "host", "z": "a", "w": "a", "only_all": int64(1), "dict": map[string]any{"j": int64(2)}, "n": 1.0},
			},
		},
		{
			name: "priority",
			build: func() *Inventory {
				inv := New()
				// Same depth: priority decides, then the name.
				inv.AddGroup("p10").Vars = Vars{"x": "p10", PriorityVar: int64(10)}
				inv.AddGroup("p2").Vars = Vars{"x": "p2", "y": "p2", PriorityVar: "2"}
				inv.AddGroup("p0").Vars = Vars{"x": "p0", "y": "p0", "z": "p0", PriorityVar: false}
				inv.AddGroup("pf").Vars = Vars{"z": "pf", PriorityVar: 2.7}
				// Depth beats priority: deep (depth 2, priority 1) over top (depth 1, 100).
				inv.AddGroup("top").Vars = Vars{"d": "top", PriorityVar: int64(100)}
				mustChild(t, inv, "top", "deep")
				inv.Groups["deep"].Vars = Vars{"d": "deep"}
				inv.AddGroup(All).Vars = Vars{PriorityVar: int64(5), "a": "all"}
				for _, g := range []string{"p10", "p2", "p0", "pf", "deep"} {
					inv.AddMember(g, "h1")
				}
				inv.AddMember("p2", "h2")
				inv.AddMember("pf", "h2")
				inv.Hosts["h2"].Vars = Vars{PriorityVar: int64(7)} // a host var like any other
				inv.Reconcile()
				return inv
			},
			want: map[string]Vars{
				"h1": {"x": "p10", "y": "p2", "z": "pf", "d": "deep", "a": "all"},
				"h2": {"x": "p2", "y": "p2", "z": "pf", "a": "all", PriorityVar: int64(7)},
			},
		},
		{
			name: "name ties",
			build: func() *Inventory {
				inv := New()
				// Plain code point order: "B" < "Z" < "a" < "a_" < "aa" < "é".
				for _, g := range []string{"é", "aa", "a_", "a", "Z", "B"} {
					inv.AddGroup(g).Vars = Vars{"x": g, "v_" + g: g}
					inv.AddMember(g, "h1")
				}
				inv.AddMember("Z", "h2")
				inv.AddMember("B", "h2")
				inv.Reconcile()
				return inv
			},
			want: map[string]Vars{
				"h1": {"x": "é", "v_é": "é", "v_aa": "aa", "v_a_": "a_", "v_a": "a", "v_Z": "Z", "v_B": "B"},
				"h2": {"x": "Z", "v_Z": "Z", "v_B": "B"},
			},
		},
		{
			name: "internal names and ungrouped",
			build: func() *Inventory {
				inv := New()
				inv.AddGroup(All).Vars = Vars{"groups": "g", "omit": "o", "keep": "all", "ansible_check_mode": true}
				inv.AddGroup(Ungrouped).Vars = Vars{"u": "ungrouped", "playbook_dir": "/x"}
				inv.AddHost("lonely")
				inv.AddMember("web", "w1")
				inv.Hosts["w1"].Vars = Vars{
					"inventory_hostname": "x", "inventory_file": "f", "ansible_facts": map[string]any{},
					"ansible_limit": "l", "group_names": []any{"a"}, "role_names": []any{"kept"},
					"ansible_version": "2", "own": nil,
				}
				inv.Reconcile()
				return inv
			},
			want: map[string]Vars{
				"lonely": {"keep": "all", "ansible_check_mode": true, "u": "ungrouped"},
				"w1":     {"keep": "all", "ansible_check_mode": true, "role_names": []any{"kept"}, "own": nil},
			},
		},
		{
			name: "raw",
			// Not reconciled: the answer must be what Reconcile would give.
			build: func() *Inventory {
				inv := New()
				inv.AddGroup(All).Vars = Vars{"x": "all"}
				inv.AddGroup(Ungrouped).Vars = Vars{"x": "ungrouped", "u": true}
				inv.AddGroup("top").Vars = Vars{"x": "top"}
				mustChild(t, inv, "top", "sub") // top has no parent yet: depth 1, sub 2
				inv.Groups["sub"].Vars = Vars{"x": "sub"}
				inv.AddGroup("other").Vars = Vars{"x": "other", PriorityVar: int64(9)}
				inv.AddMember(All, "in_all")       // goes to ungrouped
				inv.AddHost("in_nothing")          // goes to ungrouped
				inv.AddMember(Ungrouped, "moving") // leaves ungrouped for sub
				inv.AddMember("sub", "moving")
				inv.AddMember("other", "moving")
				return inv
			},
			want: map[string]Vars{
				"in_all":     {"x": "ungrouped", "u": true},
				"in_nothing": {"x": "ungrouped", "u": true},
				"moving":     {"x": "sub"},
			},
		},
	}
}

func TestEffectiveVars(t *testing.T) {
	for _, tc := range varsCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			inv := tc.build()
			got := map[string]Vars{}
			for _, h := range inv.HostNames() {
				got[h] = inv.EffectiveVars(h)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("EffectiveVars (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, inv.AllEffectiveVars()); diff != "" {
				t.Errorf("AllEffectiveVars (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEffectiveVarsUnknownHost(t *testing.T) {
	if got := New().EffectiveVars("nope"); got != nil {
		t.Errorf("EffectiveVars(unknown) = %v, want nil", got)
	}
}

func TestEffectiveVarsCopies(t *testing.T) {
	inv := New()
	inv.AddMember("g", "h")
	inv.Groups["g"].Vars["list"] = []any{int64(1)}
	inv.Hosts["h"].Vars["map"] = map[string]any{"k": "v"}
	for _, vars := range []Vars{inv.EffectiveVars("h"), inv.AllEffectiveVars()["h"]} {
		vars["list"].([]any)[0] = "changed"
		vars["map"].(map[string]any)["k"] = "changed"
	}
	want := New()
	want.AddMember("g", "h")
	want.Groups["g"].Vars["list"] = []any{int64(1)}
	want.Hosts["h"].Vars["map"] = map[string]any{"k": "v"}
	if diff := cmp.Diff(want.Groups["g"].Vars, inv.Groups["g"].Vars); diff != "" {
		t.Errorf("group vars changed through the result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Hosts["h"].Vars, inv.Hosts["h"].Vars); diff != "" {
		t.Errorf("host vars changed through the result (-want +got):\n%s", diff)
	}
}

func TestDepths(t *testing.T) {
	inv := New()
	mustChild(t, inv, "a", "b")
	mustChild(t, inv, "b", "c")
	mustChild(t, inv, "x", "c") // a shallower second parent does not lift c
	mustChild(t, inv, "c", "d")
	mustChild(t, inv, "a", "d")
	inv.AddGroup("lone")
	want := map[string]int{All: 0, Ungrouped: 1, "a": 1, "b": 2, "c": 3, "x": 1, "d": 4, "lone": 1}
	if diff := cmp.Diff(want, inv.Depths()); diff != "" {
		t.Errorf("raw Depths (-want +got):\n%s", diff)
	}
	inv.Reconcile()
	if diff := cmp.Diff(want, inv.Depths()); diff != "" {
		t.Errorf("reconciled Depths (-want +got):\n%s", diff)
	}
	// A cycle (only possible by editing Children directly) must not hang.
	inv.Groups["d"].Children = append(inv.Groups["d"].Children, "a")
	if got := inv.Depths(); len(got) != len(want) {
		t.Errorf("Depths with a cycle = %v", got)
	}
}

func TestGroupPriority(t *testing.T) {
	tests := []struct {
		v       any
		want    int64
		wantErr string
	}{
		{int64(3), 3, ""},
		{true, 1, ""},
		{false, 0, ""},
		{2.9, 2, ""},
		{-2.9, -2, ""},
		{"3", 3, ""},
		{" \t-42\n", -42, ""},
		{"+7", 7, ""},
		{"1_000", 1000, ""},
		{"٣", 3, ""},          // ARABIC-INDIC DIGIT THREE
		{"\U0001D7D7", 9, ""}, // MATHEMATICAL BOLD DIGIT NINE (third run of ten in a row)
		// Python orders by these; kook cannot and says so.
		{"99999999999999999999", 0, "beyond the 64-bit range"},
		{"-99999999999999999999", 0, "beyond the 64-bit range"},
		{1e300, 0, "beyond the 64-bit range"},
		{"\x1c3", 0, "invalid literal"}, // int() strips only ASCII and non-ASCII spaces
		{"abc", 0, "invalid literal for int() with base 10: 'abc'"},
		{"2.5", 0, "invalid literal for int() with base 10: '2.5'"},
		{"1__0", 0, "invalid literal"},
		{"_1", 0, "invalid literal"},
		{"1_", 0, "invalid literal"},
		{"", 0, "invalid literal"},
		{"-", 0, "invalid literal"},
		{nil, 0, "not 'NoneType'"},
		{[]any{}, 0, "not 'list'"},
		{map[string]any{}, 0, "not 'dict'"},
		{math.NaN(), 0, "NaN"},
		{math.Inf(1), 0, "infinity"},
	}
	for _, tt := range tests {
		g := &Group{Vars: Vars{PriorityVar: tt.v}}
		got, err := g.Priority()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("Priority(%#v) error %v", tt.v, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("Priority(%#v) error %v, want one containing %q", tt.v, err, tt.wantErr)
		case tt.wantErr == "" && got != tt.want:
			t.Errorf("Priority(%#v) = %d, want %d", tt.v, got, tt.want)
		}
	}
	if got, err := (&Group{Vars: Vars{}}).Priority(); got != 1 || err != nil {
		t.Errorf("Priority() unset = %d, %v; want 1, nil", got, err)
	}
}

// scriptDocument renders inv as an inventory script's --list answer: every
// group with hosts, vars and children (never the bare {} that would mean a
// host), "all" first so its children keep their order. A host in no group
// is listed under "all", the only way the protocol can name it.
func scriptDocument(inv *Inventory) []byte {
	hostGroups := inv.HostGroups()
	names := inv.GroupNames()
	sort.SliceStable(names, func(i, j int) bool { return names[i] == All && names[j] != All })
	var b []byte
	b = append(b, `{"_meta":{"hostvars":{`...)
	for i, h := range inv.HostNames() {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, h)
		b = append(b, ':')
		b = mustJSON(b, inv.Hosts[h].Vars)
	}
	b = append(b, "}}"...)
	strs := func(list []string) []any {
		out := make([]any, len(list))
		for i, s := range list {
			out[i] = s
		}
		return out
	}
	for _, name := range names {
		g := inv.Groups[name]
		b = append(b, ',')
		b = AppendString(b, name)
		b = append(b, `:{"hosts":`...)
		hosts := g.Hosts
		if name == All {
			for _, h := range inv.HostNames() {
				if len(hostGroups[h]) == 0 {
					hosts = append(hosts[:len(hosts):len(hosts)], h)
				}
			}
		}
		b = mustJSON(b, strs(hosts))
		b = append(b, `,"children":`...)
		b = mustJSON(b, strs(g.Children))
		b = append(b, `,"vars":`...)
		b = mustJSON(b, g.Vars)
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// ansibleInventory runs ansible-inventory on doc served by a script in an
// otherwise empty directory, so that no group_vars/ or host_vars/ apply.
func ansibleInventory(t *testing.T, doc []byte, args ...string) []byte {
	t.Helper()
	stdout, _ := ansibleRun(t, doc, args...)
	return stdout
}

// ansibleStderr is ansibleInventory's warnings.
func ansibleStderr(t *testing.T, doc []byte, args ...string) string {
	t.Helper()
	_, stderr := ansibleRun(t, doc, args...)
	return stderr
}

func ansibleRun(t *testing.T, doc []byte, args ...string) (stdout []byte, stderr string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "inv.json"), doc, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "inv.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec cat \"$(dirname \"$0\")/inv.json\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ansible-inventory", append([]string{"-i", script}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"ANSIBLE_HOME="+dir, "ANSIBLE_LOCAL_TEMP="+dir, "ANSIBLE_INVENTORY_UNPARSED_FAILED=true",
		"ANSIBLE_INVENTORY_ENABLED=script", "ANSIBLE_NOCOLOR=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("ansible-inventory %v: %v\n%s", args, err, errOut.Bytes())
	}
	if strings.Contains(errOut.String(), "Failed to parse") {
		t.Fatalf("ansible-inventory %v did not parse the script:\n%s", args, errOut.Bytes())
	}
	return out.Bytes(), errOut.String()
}

func decodeVarsMap(t *testing.T, data []byte) map[string]any {
	t.Helper()
	v, err := DecodeJSON(data)
	if err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("not an object: %s", data)
	}
	return m
}

// TestEffectiveVarsAnsible checks EffectiveVars against ansible-inventory:
// --host for every host of every case, and --list's _meta.hostvars.
func TestEffectiveVarsAnsible(t *testing.T) {
	needAnsible(t)
	for _, tc := range varsCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := tc.build()
			doc := scriptDocument(inv)
			all := inv.AllEffectiveVars()
			list := decodeVarsMap(t, ansibleInventory(t, doc, "--list"))
			hostvars, _ := list["_meta"].(map[string]any)["hostvars"].(map[string]any)
			for _, h := range inv.HostNames() {
				ansible := decodeVarsMap(t, ansibleInventory(t, doc, "--host", h))
				if diff := cmp.Diff(map[string]any(inv.EffectiveVars(h)), ansible); diff != "" {
					t.Errorf("host %s: EffectiveVars vs ansible-inventory --host (-kook +ansible):\n%s\ndocument: %s", h, diff, doc)
				}
				// --list leaves out hosts whose vars are empty.
				want, _ := hostvars[h].(map[string]any)
				if want == nil {
					want = map[string]any{}
				}
				if diff := cmp.Diff(map[string]any(all[h]), want); diff != "" {
					t.Errorf("host %s: AllEffectiveVars vs ansible-inventory --list (-kook +ansible):\n%s", h, diff)
				}
			}
		})
	}
}

func BenchmarkAllEffectiveVars100k(b *testing.B) {
	inv := bigInventory(100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		inv.AllEffectiveVars()
	}
}

// needAnsible skips under -short and otherwise fails when the oracle is
// missing: make test installs it, so a silent skip would hide a broken set-up.
func needAnsible(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real ansible-inventory; skipped under -short")
	}
	if _, err := exec.LookPath("ansible-inventory"); err != nil {
		t.Fatalf("ansible-inventory not found (make deps installs ansible-core): %v", err)
	}
}
