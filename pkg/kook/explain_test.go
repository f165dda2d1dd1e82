package kook

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestExplainVars: the winner of each effective var and the values it beat
// follow Ansible's order (all, depth, priority, name, host), and agree
// with EffectiveVars key for key.
func TestExplainVars(t *testing.T) {
	inv := New()
	inv.Groups[All].Vars["x"] = "all"
	inv.Groups[All].Vars["only_all"] = int64(1)
	if err := inv.AddChild("parent", "child"); err != nil {
		t.Fatal(err)
	}
	inv.AddMember("child", "h")
	inv.AddMember("other", "h")
	inv.Groups["parent"].Vars["x"] = "parent"
	inv.Groups["child"].Vars["x"] = "child"
	inv.Groups["other"].Vars["x"] = "other"
	inv.Groups["other"].Vars[PriorityVar] = int64(10)
	inv.Groups["other"].Vars["y"] = "other"
	inv.Hosts["h"].Vars["y"] = "host"
	inv.Reconcile()

	got := inv.ExplainVars("h")
	src := func(kind, name string, v any) VarOrigin { return VarOrigin{kind, name, LayerSource, v} }
	want := []VarExplanation{
		{Key: "only_all", Value: int64(1), From: src(KindGroup, All, int64(1))},
		// At depth 1 parent (priority 1) comes before other (priority
		// 10); child, at depth 2, comes last and wins.
		{Key: "x", Value: "child", From: src(KindGroup, "child", "child"), Overrode: []VarOrigin{
			src(KindGroup, "other", "other"), src(KindGroup, "parent", "parent"), src(KindGroup, All, "all")}},
		{Key: "y", Value: "host", From: src(KindHost, "h", "host"), Overrode: []VarOrigin{src(KindGroup, "other", "other")}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ExplainVars (-want +got):\n%s", d)
	}
	eff := inv.EffectiveVars("h")
	if len(eff) != len(got) {
		t.Errorf("EffectiveVars has %d vars, ExplainVars %d", len(eff), len(got))
	}
	for _, e := range got {
		if !EqualValues(eff[e.Key], e.Value) {
			t.Errorf("%s: EffectiveVars %v, ExplainVars %v", e.Key, eff[e.Key], e.Value)
		}
	}
	if inv.ExplainVars("nobody") != nil {
		t.Error("an unknown host is explained")
	}
}

// TestEncodedPartial: the groups and the hosts asked for decode to what the
// whole inventory holds, and their effective vars are the same.
func TestEncodedPartial(t *testing.T) {
	inv := New()
	_ = inv.AddChild("p", "c")
	inv.AddMember("c", "a")
	inv.AddMember("p", "b")
	inv.Groups["p"].Vars["v"] = []any{int64(1), 1.5}
	inv.Hosts["a"].Vars["w"] = map[string]any{"k": "x"}
	inv.Reconcile()
	enc := mustEncode(t, inv)
	part, err := enc.Partial(nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(inv.GroupHosts("p"), part.GroupHosts("p")); d != "" || len(part.Hosts) != 0 {
		t.Errorf("Partial: GroupHosts differ (%s) or hosts decoded: %v", d, part.Hosts)
	}
	if err := enc.DecodeHosts(part, []string{"a", "ghost"}, nil); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(inv.EffectiveVarsOf([]string{"a"}), part.EffectiveVarsOf([]string{"a"})); d != "" {
		t.Errorf("effective vars through Partial (-whole +partial):\n%s", d)
	}
	if d := cmp.Diff([]string{"b", "a"}, inv.GroupHosts("p")); d != "" {
		t.Errorf("GroupHosts(p) (-want +got):\n%s", d)
	}
}

// TestEffectiveVarsOfKeys: asking for a few keys gives exactly those keys
// of the full answer, for every host of a generated-like inventory.
func TestEffectiveVarsOfKeys(t *testing.T) {
	inv := New()
	_ = inv.AddChild("p", "c")
	_ = inv.AddChild("q", "c")
	inv.AddMember("c", "a")
	inv.AddMember("q", "b")
	inv.AddHost("lone")
	inv.Groups[All].Vars["k"] = "all"
	inv.Groups["p"].Vars["k"] = "p"
	inv.Groups["q"].Vars["k"] = "q"
	inv.Groups["q"].Vars[PriorityVar] = int64(5)
	inv.Groups["c"].Vars["m"] = int64(1)
	inv.Hosts["b"].Vars["m"] = int64(2)
	inv.Hosts["b"].Vars["groups"] = "internal"
	// Vars files: every group's layer wins over every group's vars, a
	// host's over its own vars.
	inv.Groups[All].FileVars = Vars{"f": "all-file"}
	inv.Groups["c"].Vars["f"] = "c"
	inv.Groups["p"].FileVars = Vars{"m": "p-file"}
	inv.Hosts["a"].Vars["h"] = "own"
	inv.Hosts["a"].FileVars = Vars{"h": "host-file", "k": "host-file"}
	inv.Reconcile()
	names := inv.HostNames()
	full := inv.EffectiveVarsOf(names)
	enc := mustEncode(t, inv)
	part, err := enc.Partial(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.DecodeHosts(part, names, nil); err != nil {
		t.Fatal(err)
	}
	keys := []string{"k", "m", "f", "h", "groups", PriorityVar, "none"}
	for _, from := range []*Inventory{inv, part} {
		some := from.EffectiveVarsOf(names, keys...)
		for _, h := range names {
			want := Vars{}
			for _, k := range keys {
				if v, ok := full[h][k]; ok {
					want[k] = v
				}
			}
			if d := cmp.Diff(want, some[h]); d != "" {
				t.Errorf("host %s (-full +keys):\n%s", h, d)
			}
		}
	}
	if got := full["a"]; got["h"] != "host-file" || got["k"] != "host-file" || got["m"] != "p-file" || got["f"] != "all-file" {
		t.Errorf("a's effective vars: %v", got)
	}
}
