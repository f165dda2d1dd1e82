package kook

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncode(t *testing.T) {
	inv := diffBase(t)
	inv.AddHost("b-novars")
	inv.Reconcile()
	enc := mustEncode(t, inv)
	var names []string
	for _, h := range enc.Hosts {
		names = append(names, h.Name)
		if want := mustJSON(nil, map[string]any(inv.Hosts[h.Name].Vars)); !bytes.Equal(h.Vars, want) {
			t.Errorf("host %s: vars %s, want %s", h.Name, h.Vars, want)
		}
	}
	if d := cmp.Diff(inv.HostNames(), names); d != "" {
		t.Errorf("host order (-want +got):\n%s", d)
	}
	for i, g := range enc.Groups {
		if i > 0 && enc.Groups[i-1].Name >= g.Name {
			t.Errorf("groups not sorted: %s before %s", enc.Groups[i-1].Name, g.Name)
		}
		src := inv.Groups[g.Name]
		if !bytes.Equal(g.Vars, mustJSON(nil, map[string]any(src.Vars))) || !equalStrings(g.Hosts, src.Hosts) || !equalStrings(g.Children, src.Children) {
			t.Errorf("group %s encoded as %+v", g.Name, g)
		}
	}
	if !enc.Equal(mustEncode(t, inv.Clone())) {
		t.Error("Encode of a clone differs")
	}
	other := inv.Clone()
	other.Hosts["web01"].Vars["x"] = 1.0
	if enc.Equal(mustEncode(t, other)) {
		t.Error("Encode ignores 1 vs 1.0")
	}
}

func TestSortEncodedHosts(t *testing.T) {
	var hosts []EncodedHost
	want := New()
	for i := 0; i < 500; i++ {
		name := fmt.Sprintf("h%d.x%c", (i*7919)%1000, 'a'+i%26)
		if i%50 == 0 {
			name = name[:2]
		}
		if want.Hosts[name] == nil {
			want.AddHost(name)
			hosts = append(hosts, EncodedHost{Name: name})
		}
	}
	SortEncodedHosts(hosts)
	var got []string
	for _, h := range hosts {
		got = append(got, h.Name)
	}
	if d := cmp.Diff(want.HostNames(), got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestDiffSummary(t *testing.T) {
	old := diffBase(t)
	cases := map[string]func(inv *Inventory){
		"same":         func(inv *Inventory) {},
		"host var":     func(inv *Inventory) { inv.Hosts["web01"].Vars["x"] = 1.0 },
		"host removed": func(inv *Inventory) { inv.RemoveHost("web02") },
		"host added":   func(inv *Inventory) { inv.AddMember("db", "db10"); inv.Hosts["db10"].Vars["a"] = "b" },
		"group gone":   func(inv *Inventory) { inv.RemoveGroup("old") },
		"reorder":      func(inv *Inventory) { g := inv.Groups["web"]; g.Hosts[0], g.Hosts[1] = g.Hosts[1], g.Hosts[0] },
		"child":        func(inv *Inventory) { inv.RemoveChild("dc", "db") },
	}
	for name, edit := range cases {
		new := old.Clone()
		edit(new)
		new.Reconcile()
		want := Changes(Diff(old, new)).Summary()
		if got := DiffSummary(old, new); got != want {
			t.Errorf("%s: DiffSummary = %+v, want %+v", name, got, want)
		}
		if got, want := DiffSummary(New(), new), Changes(Diff(New(), new)).Summary(); got != want {
			t.Errorf("%s from empty: DiffSummary = %+v, want %+v", name, got, want)
		}
	}
}
