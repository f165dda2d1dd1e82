package kook

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var ignoreIndex = cmpopts.IgnoreUnexported(Inventory{}, Group{})

// shape is an inventory's lists without its vars, for comparisons.
type shape struct {
	Hosts    map[string][]string // group -> members
	Children map[string][]string // group -> children
}

func shapeOf(inv *Inventory) shape {
	s := shape{Hosts: map[string][]string{}, Children: map[string][]string{}}
	for name, g := range inv.Groups {
		s.Hosts[name] = g.Hosts
		s.Children[name] = g.Children
	}
	return s
}

func TestNew(t *testing.T) {
	inv := New()
	want := &Inventory{
		Hosts: map[string]*Host{},
		Groups: map[string]*Group{
			All:       {Name: All, Vars: Vars{}, Children: []string{Ungrouped}},
			Ungrouped: {Name: Ungrouped, Vars: Vars{}},
		},
	}
	if diff := cmp.Diff(want, inv, ignoreIndex, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("New() (-want +got):\n%s", diff)
	}
}

func TestReconcileChildrenOfAll(t *testing.T) {
	inv := New()
	inv.AddGroup("zeta")
	mustChild(t, inv, All, "explicit") // linked while parsing: before the rest
	inv.AddGroup("alpha")
	mustChild(t, inv, "parent", "child") // child has a parent: not under all
	inv.AddGroup("mid")
	mustChild(t, inv, "zeta", "mid") // mid created before being linked
	inv.AddMember("late", "h")
	inv.Reconcile()
	want := []string{Ungrouped, "explicit", "zeta", "alpha", "parent", "late"}
	if diff := cmp.Diff(want, inv.Groups[All].Children); diff != "" {
		t.Errorf("all.Children (-want +got):\n%s", diff)
	}
}

func TestReconcileUngrouped(t *testing.T) {
	inv := New()
	inv.AddMember(Ungrouped, "u1")    // stays
	inv.AddMember(All, "a1")          // only in all: to ungrouped, in creation order
	inv.AddHost("n1")                 // in nothing: to ungrouped
	inv.AddMember(Ungrouped, "moved") // in ungrouped and web: leaves ungrouped
	inv.AddMember("web", "moved")
	inv.AddMember(All, "w1") // in all and web: stays out of ungrouped
	inv.AddMember("web", "w1")
	inv.AddMember(Ungrouped, "u2")
	inv.AddHost("n0")
	inv.Reconcile()
	want := shape{
		Hosts: map[string][]string{
			All:       nil,
			Ungrouped: {"u1", "u2", "a1", "n1", "n0"},
			"web":     {"moved", "w1"},
		},
		Children: map[string][]string{All: {Ungrouped, "web"}, Ungrouped: nil, "web": nil},
	}
	if diff := cmp.Diff(want, shapeOf(inv)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReconcileIdempotent(t *testing.T) {
	inv := New()
	inv.AddMember(All, "a")
	inv.AddMember("g", "b")
	inv.AddMember(Ungrouped, "b")
	mustChild(t, inv, "p", "g")
	inv.AddGroup("lone").Vars["x"] = int64(1)
	inv.Reconcile()
	once := inv.Clone()
	inv.Reconcile()
	if diff := cmp.Diff(once, inv, ignoreIndex); diff != "" {
		t.Errorf("second Reconcile changed the inventory (-once +twice):\n%s", diff)
	}
	// Growing a reconciled inventory and reconciling again only adds.
	inv.AddGroup("new")
	inv.AddHost("h")
	inv.Reconcile()
	if diff := cmp.Diff([]string{Ungrouped, "p", "lone", "new"}, inv.Groups[All].Children); diff != "" {
		t.Errorf("all.Children (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a", "h"}, inv.Groups[Ungrouped].Hosts); diff != "" {
		t.Errorf("ungrouped.Hosts (-want +got):\n%s", diff)
	}
}

func TestReconcileRestoresUngroupedLink(t *testing.T) {
	inv := New()
	inv.RemoveChild(All, Ungrouped)
	inv.AddGroup("g")
	inv.Reconcile()
	if diff := cmp.Diff([]string{Ungrouped, "g"}, inv.Groups[All].Children); diff != "" {
		t.Errorf("all.Children (-want +got):\n%s", diff)
	}
}

func TestAddChild(t *testing.T) {
	inv := New()
	mustChild(t, inv, "a", "b")
	mustChild(t, inv, "b", "c")
	mustChild(t, inv, "a", "b") // again: no-op
	tests := []struct{ parent, child, want string }{
		{"c", "a", "Adding group 'a' as child to 'c' creates a recursive dependency loop."},
		{"b", "a", "Adding group 'a' as child to 'b' creates a recursive dependency loop."},
		{"c", "b", "Adding group 'b' as child to 'c' creates a recursive dependency loop."},
		{"a", "a", "can't add group to itself"},
	}
	for _, tt := range tests {
		err := inv.AddChild(tt.parent, tt.child)
		if err == nil || err.Error() != tt.want {
			t.Errorf("AddChild(%q, %q) = %v, want %q", tt.parent, tt.child, err, tt.want)
		}
	}
	want := map[string][]string{All: {Ungrouped}, Ungrouped: nil, "a": {"b"}, "b": {"c"}, "c": nil}
	if diff := cmp.Diff(want, shapeOf(inv).Children); diff != "" {
		t.Errorf("children after refusals (-want +got):\n%s", diff)
	}
	// A diamond is not a cycle.
	mustChild(t, inv, "a", "c")
	if diff := cmp.Diff(map[string][]string{"b": {"a"}, "c": {"a", "b"}, Ungrouped: {All}}, inv.Parents()); diff != "" {
		t.Errorf("Parents (-want +got):\n%s", diff)
	}
}

func TestMembersAndRemoval(t *testing.T) {
	inv := New()
	inv.AddMember("web", "w1")
	inv.AddMember("web", "w2")
	inv.AddMember("web", "w1") // keeps its position
	inv.AddMember("db", "w1")
	if diff := cmp.Diff([]string{"w1", "w2"}, inv.Groups["web"].Hosts); diff != "" {
		t.Errorf("web.Hosts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string][]string{"w1": {"db", "web"}, "w2": {"web"}}, inv.HostGroups()); diff != "" {
		t.Errorf("HostGroups (-want +got):\n%s", diff)
	}
	inv.RemoveMember("web", "w1")
	inv.RemoveMember("web", "nobody")
	inv.RemoveMember("nogroup", "w1")
	if inv.Groups["web"].HasHost("w1") || !inv.Groups["db"].HasHost("w1") {
		t.Errorf("RemoveMember: web has w1 %v, db has w1 %v", inv.Groups["web"].HasHost("w1"), inv.Groups["db"].HasHost("w1"))
	}
	inv.AddMember("web", "w1") // back, now last
	if diff := cmp.Diff([]string{"w2", "w1"}, inv.Groups["web"].Hosts); diff != "" {
		t.Errorf("web.Hosts after re-adding (-want +got):\n%s", diff)
	}
	inv.RemoveHost("w1")
	mustChild(t, inv, "web", "db")
	inv.RemoveGroup("db")
	inv.RemoveGroup(All) // refused
	inv.RemoveGroup(Ungrouped)
	want := shape{
		Hosts:    map[string][]string{All: nil, Ungrouped: nil, "web": {"w2"}},
		Children: map[string][]string{All: {Ungrouped}, Ungrouped: nil, "web": {}},
	}
	if diff := cmp.Diff(want, shapeOf(inv), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("after removals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"w2"}, inv.HostNames()); diff != "" {
		t.Errorf("HostNames (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{All, Ungrouped, "web"}, inv.GroupNames()); diff != "" {
		t.Errorf("GroupNames (-want +got):\n%s", diff)
	}
}

// A group removed and created again comes last, as in Ansible, where the
// group dict is in insertion order.
func TestRecreatedGroupOrder(t *testing.T) {
	inv := New()
	inv.AddGroup("a")
	inv.AddGroup("b")
	inv.RemoveGroup("a")
	inv.AddGroup("a")
	inv.Reconcile()
	if diff := cmp.Diff([]string{Ungrouped, "b", "a"}, inv.Groups[All].Children); diff != "" {
		t.Errorf("all.Children (-want +got):\n%s", diff)
	}
}

func TestMerge(t *testing.T) {
	inv := New()
	inv.AddMember("web", "w1")
	inv.Hosts["w1"].Vars = Vars{"a": int64(1), "d": map[string]any{"x": int64(1)}}
	inv.Groups["web"].Vars = Vars{"tier": "front", "keep": true}
	inv.AddGroup("first")

	other := New()
	other.AddGroup("second")
	other.AddMember("web", "w2")
	other.AddMember("web", "w1")
	other.Hosts["w1"].Vars = Vars{"a": 1.0, "d": map[string]any{"y": int64(2)}}
	other.Groups["web"].Vars = Vars{"tier": "back"}
	mustChild(t, other, "dc", "web")
	other.AddGroup("third")

	if err := inv.Merge(other); err != nil {
		t.Fatal(err)
	}
	// Vars key by key, other winning, dicts replaced not merged.
	if diff := cmp.Diff(Vars{"a": 1.0, "d": map[string]any{"y": int64(2)}}, inv.Hosts["w1"].Vars); diff != "" {
		t.Errorf("w1 vars (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Vars{"tier": "back", "keep": true}, inv.Groups["web"].Vars); diff != "" {
		t.Errorf("web vars (-want +got):\n%s", diff)
	}
	// Members appended, existing ones keep their place.
	if diff := cmp.Diff([]string{"w1", "w2"}, inv.Groups["web"].Hosts); diff != "" {
		t.Errorf("web hosts (-want +got):\n%s", diff)
	}
	// New groups come after inv's own, in other's creation order.
	inv.Reconcile()
	if diff := cmp.Diff([]string{Ungrouped, "first", "second", "dc", "third"}, inv.Groups[All].Children); diff != "" {
		t.Errorf("all.Children (-want +got):\n%s", diff)
	}
	// Merged values are copies.
	other.Hosts["w1"].Vars["d"].(map[string]any)["y"] = "changed"
	if got := inv.Hosts["w1"].Vars["d"].(map[string]any)["y"]; got != int64(2) {
		t.Errorf("merged value changed with other's: %v", got)
	}
}

func TestMergeCycle(t *testing.T) {
	inv := New()
	mustChild(t, inv, "a", "b")
	other := New()
	mustChild(t, other, "b", "a")
	err := inv.Merge(other)
	if want := "Adding group 'a' as child to 'b' creates a recursive dependency loop."; err == nil || err.Error() != want {
		t.Errorf("Merge = %v, want %q", err, want)
	}
}

func TestClone(t *testing.T) {
	inv := New()
	inv.AddMember("web", "w1")
	inv.Hosts["w1"].Vars = Vars{"list": []any{int64(1)}, "map": map[string]any{"k": "v"}}
	inv.Groups["web"].Vars = Vars{"g": []any{"x"}}
	mustChild(t, inv, "dc", "web")
	inv.AddGroup("pending") // creation order survives the clone
	keep := New()
	keep.AddMember("web", "w1")
	keep.Hosts["w1"].Vars = Vars{"list": []any{int64(1)}, "map": map[string]any{"k": "v"}}
	keep.Groups["web"].Vars = Vars{"g": []any{"x"}}
	mustChild(t, keep, "dc", "web")
	keep.AddGroup("pending")

	c := inv.Clone()
	if diff := cmp.Diff(inv, c, ignoreIndex); diff != "" {
		t.Fatalf("Clone differs (-orig +clone):\n%s", diff)
	}
	c.Hosts["w1"].Vars["list"].([]any)[0] = "changed"
	c.Hosts["w1"].Vars["map"].(map[string]any)["k"] = "changed"
	c.Hosts["w1"].Vars["new"] = true
	c.Groups["web"].Vars["g"].([]any)[0] = "changed"
	c.AddMember("web", "w2") // the clone's index must be its own
	c.Groups["web"].Hosts[0] = "swapped"
	c.Groups["dc"].Children[0] = "swapped"
	c.RemoveHost("w1")
	c.AddGroup("extra")
	if diff := cmp.Diff(keep, inv, ignoreIndex); diff != "" {
		t.Errorf("original changed through its clone (-want +got):\n%s", diff)
	}
	if inv.Groups["web"].HasHost("w2") || !inv.Groups["web"].HasHost("w1") {
		t.Errorf("original's membership index changed through the clone")
	}
	inv.Reconcile()
	keep.Reconcile()
	if diff := cmp.Diff(keep.Groups[All].Children, inv.Groups[All].Children); diff != "" {
		t.Errorf("creation order lost (-want +got):\n%s", diff)
	}
}
