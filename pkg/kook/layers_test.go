package kook

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// issueInventory is issue 9's reproduction as a graph: web under prod,
// inline vars on web, vars files for all and prod.
func issueInventory(t testing.TB) *Inventory {
	inv := New()
	inv.AddMember("web", "web01")
	mustChild(t, inv, "prod", "web")
	inv.Groups["web"].Vars = Vars{"http_port": int64(8080), "env": "web-inline"}
	inv.Groups[All].FileVars = Vars{"http_port": int64(80)}
	inv.Groups["prod"].FileVars = Vars{"env": "prod-from-file"}
	inv.Reconcile()
	return inv
}

// TestEffectiveVarsLayers: a vars file beats a source var of any group at
// any depth; an ansible_group_priority from a file is a var and orders
// nothing; host_vars beat inline host vars; internal names are dropped in
// both layers.
func TestEffectiveVarsLayers(t *testing.T) {
	inv := issueInventory(t)
	if diff := cmp.Diff(Vars{"env": "prod-from-file", "http_port": int64(80)}, inv.EffectiveVars("web01")); diff != "" {
		t.Errorf("issue 9's reproduction (-want +got):\n%s", diff)
	}

	inv = New()
	inv.AddMember("a", "h")
	inv.AddMember("b", "h")
	inv.Groups["a"].Vars = Vars{"k": "a-inline", PriorityVar: int64(5)}
	inv.Groups["b"].Vars = Vars{"k": "b-inline", "j": "b-inline"}
	inv.Groups["a"].FileVars = Vars{"j": "a-file"}
	inv.Groups["b"].FileVars = Vars{PriorityVar: int64(10), "j": "b-file", "groups": "dropped"}
	inv.Hosts["h"].Vars = Vars{"x": "inline", "y": "inline"}
	inv.Hosts["h"].FileVars = Vars{"x": "file", "inventory_dir": "dropped"}
	inv.Reconcile()
	want := Vars{
		"k":         "a-inline", // a's source priority 5 puts it after b
		"j":         "a-file",   // files in the same order: b's file, then a's
		PriorityVar: int64(10),  // b's file's, an ordinary var
		"x":         "file",
		"y":         "inline",
	}
	if diff := cmp.Diff(want, inv.EffectiveVars("h")); diff != "" {
		t.Errorf("EffectiveVars (-want +got):\n%s", diff)
	}
}

// TestOneLayerIssue: folding the issue's inventory carries exactly the two
// values web's inline vars would otherwise win.
func TestOneLayerIssue(t *testing.T) {
	inv := issueInventory(t)
	one, carried := inv.OneLayer()
	if carried != 2 {
		t.Errorf("carried %d host/key pairs, want 2", carried)
	}
	if one.HasFileVars() || !inv.HasFileVars() {
		t.Errorf("OneLayer left file vars, or changed its receiver")
	}
	if diff := cmp.Diff(Vars{"env": "prod-from-file", "http_port": int64(80)}, one.Hosts["web01"].Vars); diff != "" {
		t.Errorf("web01's carried vars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Vars{"http_port": int64(80)}, one.Groups[All].Vars); diff != "" {
		t.Errorf("all's folded vars (-want +got):\n%s", diff)
	}
	if got := inv.OneLayerHostVars("web01"); !EqualVars(got, one.Hosts["web01"].Vars) {
		t.Errorf("OneLayerHostVars = %v, want %v", got, one.Hosts["web01"].Vars)
	}
}

// randomLayered builds a random inventory with vars in both layers over a
// few keys, so that every kind of conflict happens: nesting up to three
// deep, hosts in several groups, priorities in sources and in files.
func randomLayered(r *rand.Rand) *Inventory {
	inv := New()
	groups := []string{"a", "b", "c", "d", "e"}
	keys := []string{"k1", "k2", "k3", PriorityVar}
	vars := func(file bool) Vars {
		v := Vars{}
		for _, k := range keys {
			if r.IntN(3) > 0 {
				continue
			}
			if k == PriorityVar {
				if file || r.IntN(2) == 0 {
					v[k] = int64(r.IntN(4))
				}
				continue
			}
			v[k] = fmt.Sprintf("%s-%d", k, r.IntN(1000))
		}
		return v
	}
	for i, g := range groups {
		inv.AddGroup(g).Vars = vars(false)
		if r.IntN(2) == 0 {
			inv.Groups[g].FileVars = vars(true)
		}
		if i > 0 && r.IntN(2) == 0 {
			_ = inv.AddChild(groups[r.IntN(i)], g)
		}
	}
	inv.Groups[All].Vars = vars(false)
	delete(inv.Groups[All].Vars, PriorityVar)
	inv.Groups[All].FileVars = vars(true)
	for h := 0; h < 6; h++ {
		name := fmt.Sprintf("h%d", h)
		inv.AddHost(name)
		for _, g := range groups {
			if r.IntN(3) == 0 {
				inv.AddMember(g, name)
			}
		}
		if r.IntN(2) == 0 {
			inv.Hosts[name].Vars = vars(false)
		}
		if r.IntN(2) == 0 {
			inv.Hosts[name].FileVars = vars(true)
		}
	}
	inv.Reconcile()
	return inv
}

// TestOneLayerKeepsEffectiveVars: for random layered inventories, the
// folded one-layer inventory gives every host what the layered one gives
// it (EffectiveVars of a one-layer inventory is what Ansible computes from
// the script protocol, checked against ansible-inventory in
// TestEffectiveVarsAnsible and in pkg/ansible's TestLayersAnsible); and
// the Encoded fold equals the decoded one.
func TestOneLayerKeepsEffectiveVars(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 1))
	carried := 0
	for i := 0; i < 500; i++ {
		inv := randomLayered(r)
		one, n := inv.OneLayer()
		carried += n
		want, got := inv.AllEffectiveVars(), one.AllEffectiveVars()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("inventory %d: folding changed what hosts get (-layered +folded):\n%s", i, diff)
		}
		enc, m, err := mustEncode(t, inv).OneLayer()
		if err != nil {
			t.Fatal(err)
		}
		if m != n || !enc.Equal(mustEncode(t, one)) {
			t.Fatalf("inventory %d: Encoded.OneLayer (%d carried) differs from Inventory.OneLayer (%d)", i, m, n)
		}
		for _, h := range inv.HostNames() {
			if !EqualVars(inv.OneLayerHostVars(h), one.Hosts[h].Vars) {
				t.Fatalf("inventory %d: OneLayerHostVars(%s) differs from OneLayer", i, h)
			}
		}
	}
	if carried == 0 {
		t.Fatal("no random inventory needed anything carried: the test checks nothing")
	}
}

// TestOneLayerWithoutFiles: an inventory without vars files is returned as
// it is, decoded or encoded.
func TestOneLayerWithoutFiles(t *testing.T) {
	inv := New()
	inv.AddMember("g", "h")
	inv.Reconcile()
	if one, n := inv.OneLayer(); one != inv || n != 0 {
		t.Errorf("OneLayer copied an inventory without vars files")
	}
	enc := mustEncode(t, inv)
	if one, n, err := enc.OneLayer(); one != enc || n != 0 || err != nil {
		t.Errorf("Encoded.OneLayer copied an inventory without vars files")
	}
}

// TestLayersDiffMergeClone: Diff and DiffSummary see the vars-file layer
// apart; Merge sets each layer into the same layer; Clone copies both.
func TestLayersDiffMergeClone(t *testing.T) {
	old := issueInventory(t)
	cur := old.Clone()
	if d := Diff(old, cur); d != nil {
		t.Fatalf("Clone differs: %v", d)
	}
	cur.Groups["prod"].FileVars["env"] = "changed"
	cur.Hosts["web01"].FileVars = Vars{"x": int64(1)}
	if old.Groups["prod"].FileVars["env"] != "prod-from-file" {
		t.Fatal("Clone shares the vars-file layer")
	}
	got := Changes(Diff(old, cur)).String()
	want := "+ host web01: host_vars x = 1\n~ group prod: group_vars env \"prod-from-file\" -> \"changed\"\n"
	if got != want {
		t.Errorf("Diff:\n%s\nwant:\n%s", got, want)
	}
	if s := DiffSummary(old, cur); s != Changes(Diff(old, cur)).Summary() {
		t.Errorf("DiffSummary %v differs from Diff's summary", s)
	}

	into := New()
	into.AddMember("web", "web01")
	into.Groups["web"].FileVars = Vars{"env": "kept", "other": "kept"}
	if err := into.Merge(cur); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Vars{"env": "web-inline", "http_port": int64(8080)}, into.Groups["web"].Vars); diff != "" {
		t.Errorf("Merge: web's source vars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Vars{"env": "kept", "other": "kept"}, into.Groups["web"].FileVars); diff != "" {
		t.Errorf("Merge: web's file vars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Vars{"env": "changed"}, into.Groups["prod"].FileVars); diff != "" {
		t.Errorf("Merge: prod's file vars (-want +got):\n%s", diff)
	}
}

// TestDiffEffective: two inventories that hold the same host differently
// (here, a group only one has) give it other vars, and DiffEffective says
// which, as a person reads it.
func TestDiffEffective(t *testing.T) {
	src := issueInventory(t)
	stored := src.Clone()
	stored.AddMember("zcanary", "web01")
	stored.Groups["zcanary"].FileVars = Vars{"env": "canary"}
	stored.Reconcile()
	got := Changes(DiffEffective(stored, src, []string{"web01", "nobody"})).String()
	if want := "~ host web01: playbooks see env \"canary\" -> \"prod-from-file\"\n"; got != want {
		t.Errorf("DiffEffective:\n%s\nwant:\n%s", got, want)
	}
	if d := DiffEffective(src, src.Clone(), src.HostNames()); d != nil {
		t.Errorf("DiffEffective of equal inventories: %v", d)
	}
	if !strings.Contains(Change{Op: Added, Kind: KindGroup, Name: "g", Detail: DetailFileVar, Var: "v", New: "x"}.String(), "group_vars v") {
		t.Error("a group's vars-file change does not say group_vars")
	}
}

// TestValidateFileVars: a value outside kook's set is refused in the
// vars-file layer too, and a file's ansible_group_priority may be anything.
func TestValidateFileVars(t *testing.T) {
	inv := issueInventory(t)
	inv.Groups["prod"].FileVars[PriorityVar] = "not a number"
	if _, err := inv.Validate(); err != nil {
		t.Errorf("a vars file's ansible_group_priority was validated as a priority: %v", err)
	}
	inv.Hosts["web01"].FileVars = Vars{"bad": struct{}{}}
	if _, err := inv.Validate(); err == nil || !strings.Contains(err.Error(), "host_vars") {
		t.Errorf("Validate = %v, want an error about host_vars", err)
	}
}

// BenchmarkDiffEffective100k is what `kook-import --check` without --prune
// adds to Diff for a fleet of 100,000 hosts.
func BenchmarkDiffEffective100k(b *testing.B) {
	old := bigInventory(100000)
	new := old.Clone()
	names := old.HostNames()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := DiffEffective(old, new, names); len(got) != 0 {
			b.Fatalf("DiffEffective = %v", got)
		}
	}
}
