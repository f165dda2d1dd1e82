package kook

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func diffBase(t *testing.T) *Inventory {
	inv := New()
	inv.AddGroup(All).Vars["env"] = "prod"
	inv.AddMember("web", "web01")
	inv.AddMember("web", "web02")
	inv.AddMember("web", "web03")
	inv.AddMember("db", "db9")
	mustChild(t, inv, "dc", "web")
	mustChild(t, inv, "dc", "db")
	inv.AddGroup("old").Vars["gone"] = true
	inv.Hosts["web01"].Vars = Vars{"http_port": int64(80), "x": int64(1), "same": []any{"a", map[string]any{"b": 1.5}}}
	inv.Groups["web"].Vars = Vars{"tier": "front"}
	inv.Reconcile()
	return inv
}

func TestDiffIdentical(t *testing.T) {
	old := diffBase(t)
	if got := Diff(old, old.Clone()); got != nil {
		t.Errorf("Diff of identical inventories = %v, want nil", got)
	}
	if got := Diff(New(), New()); got != nil {
		t.Errorf("Diff of empty inventories = %v, want nil", got)
	}
}

func TestDiff(t *testing.T) {
	old := diffBase(t)
	new := old.Clone()
	h := new.Hosts["web01"]
	h.Vars["http_port"] = int64(8080)
	delete(h.Vars, "x")
	h.Vars["y"] = map[string]any{"k": []any{int64(1), "two", nil}}
	new.RemoveHost("db9")
	new.AddMember("db", "db10")
	new.Hosts["db10"].Vars["id"] = int64(10)
	new.RemoveGroup("old")
	new.AddMember("new", "web02")
	new.Groups["new"].Vars["n"] = 1.0
	mustChild(t, new, "new", "db")
	mustChild(t, new, All, "new")
	new.Groups["web"].Hosts = []string{"web03", "web02", "web01"}
	new.Groups["web"].Vars["tier"] = 1.0
	new.Groups[All].Vars["env"] = "prod" // unchanged

	want := []Change{
		{Op: Added, Kind: KindHost, Name: "db10"},
		{Op: Added, Kind: KindHost, Name: "db10", Detail: DetailVar, Var: "id", New: int64(10)},
		{Op: Removed, Kind: KindHost, Name: "db9"},
		{Op: Changed, Kind: KindHost, Name: "web01", Detail: DetailVar, Var: "http_port", Old: int64(80), New: int64(8080)},
		{Op: Removed, Kind: KindHost, Name: "web01", Detail: DetailVar, Var: "x", Old: int64(1)},
		{Op: Added, Kind: KindHost, Name: "web01", Detail: DetailVar, Var: "y", New: map[string]any{"k": []any{int64(1), "two", nil}}},
		{Op: Removed, Kind: KindGroup, Name: All, Detail: DetailChild, Child: "old"},
		{Op: Added, Kind: KindGroup, Name: All, Detail: DetailChild, Child: "new"},
		{Op: Removed, Kind: KindGroup, Name: "db", Detail: DetailMember, Member: "db9"},
		{Op: Added, Kind: KindGroup, Name: "db", Detail: DetailMember, Member: "db10"},
		{Op: Added, Kind: KindGroup, Name: "new"},
		{Op: Added, Kind: KindGroup, Name: "new", Detail: DetailVar, Var: "n", New: 1.0},
		{Op: Added, Kind: KindGroup, Name: "new", Detail: DetailMember, Member: "web02"},
		{Op: Added, Kind: KindGroup, Name: "new", Detail: DetailChild, Child: "db"},
		{Op: Removed, Kind: KindGroup, Name: "old"},
		{Op: Changed, Kind: KindGroup, Name: "web", Detail: DetailVar, Var: "tier", Old: "front", New: 1.0},
		{Op: Changed, Kind: KindGroup, Name: "web", Detail: DetailOrder, Reordered: "hosts"},
	}
	got := Diff(old, new)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Diff (-want +got):\n%s", diff)
	}

	wantText := `+ host db10
+ host db10: var id = 10
- host db9
~ host web01: var http_port 80 -> 8080
- host web01: var x (was 1)
+ host web01: var y = {"k":[1,"two",null]}
- group all: child old
+ group all: child new
- group db: host db9
+ group db: host db10
+ group new
+ group new: var n = 1.0
+ group new: host web02
+ group new: child db
- group old
~ group web: var tier "front" -> 1.0
~ group web: hosts reordered
`
	if diff := cmp.Diff(wantText, Changes(got).String()); diff != "" {
		t.Errorf("Changes.String (-want +got):\n%s", diff)
	}

	wantSum := Summary{HostsAdded: 1, HostsRemoved: 1, HostsChanged: 1, GroupsAdded: 1, GroupsRemoved: 1, GroupsChanged: 3}
	if diff := cmp.Diff(wantSum, Changes(got).Summary()); diff != "" {
		t.Errorf("Summary (-want +got):\n%s", diff)
	}
	if got, want := wantSum.String(), "hosts: 1 added, 1 removed, 1 changed; groups: 1 added, 1 removed, 3 changed"; got != want {
		t.Errorf("Summary.String = %q, want %q", got, want)
	}
	if wantSum.Empty() || !(Summary{}).Empty() {
		t.Errorf("Summary.Empty wrong")
	}

	// The reverse diff undoes it: every addition becomes a removal.
	back := Diff(new, old)
	if diff := cmp.Diff(Summary{HostsAdded: 1, HostsRemoved: 1, HostsChanged: 1, GroupsAdded: 1, GroupsRemoved: 1, GroupsChanged: 3},
		Changes(back).Summary()); diff != "" {
		t.Errorf("reverse Summary (-want +got):\n%s", diff)
	}
}

func TestDiffValueTypes(t *testing.T) {
	old := New()
	old.AddHost("h").Vars = Vars{"i": int64(1), "f": 1.0, "nan": math.NaN(), "s": "1", "nil": nil, "b": true}
	new := old.Clone()
	new.Hosts["h"].Vars = Vars{"i": 1.0, "f": int64(1), "nan": math.NaN(), "s": int64(1), "nil": false, "b": "true"}
	got := Changes(Diff(old, new)).String()
	want := `~ host h: var b true -> "true"
~ host h: var f 1.0 -> 1
~ host h: var i 1 -> 1.0
~ host h: var nil null -> false
~ host h: var s "1" -> 1
`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiffOrder(t *testing.T) {
	tests := []struct {
		name     string
		old, new []string
		want     string
	}{
		{"append", []string{"a", "b"}, []string{"a", "b", "c"}, "+ group g: host c\n"},
		{"prepend keeps relative order", []string{"a", "b"}, []string{"c", "a", "b"}, "+ group g: host c\n"},
		{"swap", []string{"a", "b"}, []string{"b", "a"}, "~ group g: hosts reordered\n"},
		{"remove and swap", []string{"a", "b", "c"}, []string{"c", "b"},
			"- group g: host a\n~ group g: hosts reordered\n"},
		{"replace all", []string{"a", "b"}, []string{"c", "d"},
			"- group g: host a\n- group g: host b\n+ group g: host c\n+ group g: host d\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			build := func(hosts, children []string) *Inventory {
				inv := New()
				inv.AddGroup("g")
				for _, h := range hosts {
					inv.AddMember("g", h)
				}
				for _, c := range children {
					mustChild(t, inv, "g", c)
				}
				inv.Reconcile()
				return inv
			}
			// The same hosts exist on both sides; only g's list differs.
			old, new := build(tt.old, nil), build(tt.new, nil)
			for _, h := range append(append([]string(nil), tt.old...), tt.new...) {
				old.AddHost(h)
				new.AddHost(h)
			}
			old.Groups[Ungrouped].Hosts, new.Groups[Ungrouped].Hosts = nil, nil
			if diff := cmp.Diff(tt.want, Changes(Diff(old, new)).String()); diff != "" {
				t.Errorf("hosts (-want +got):\n%s", diff)
			}
			old, new = build(nil, tt.old), build(nil, tt.new)
			for _, g := range append(append([]string(nil), tt.old...), tt.new...) {
				old.AddGroup(g)
				new.AddGroup(g)
			}
			old.Groups[All].Children, new.Groups[All].Children = []string{Ungrouped, "g"}, []string{Ungrouped, "g"}
			want := strings.NewReplacer(": host ", ": child ", "hosts reordered", "children reordered").Replace(tt.want)
			if diff := cmp.Diff(want, Changes(Diff(old, new)).String()); diff != "" {
				t.Errorf("children (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChangeStringQuoting(t *testing.T) {
	tests := []struct {
		c    Change
		want string
	}{
		{Change{Op: Added, Kind: KindHost, Name: "web 01"}, `+ host "web 01"`},
		{Change{Op: Added, Kind: KindHost, Name: "::1"}, `+ host ::1`},
		{Change{Op: Removed, Kind: KindHost, Name: ""}, `- host ""`},
		{Change{Op: Added, Kind: KindHost, Name: "h", Detail: DetailVar, Var: "", New: int64(1)}, `+ host h: var "" = 1`},
		{Change{Op: Added, Kind: KindHost, Name: "é", Detail: DetailVar, Var: "a b", New: "ü\n"}, `+ host é: var "a b" = "ü\n"`},
		{Change{Op: Added, Kind: KindGroup, Name: "g", Detail: DetailMember, Member: "tab\there"}, `+ group g: host "tab\there"`},
		{Change{Op: Removed, Kind: KindGroup, Name: "g", Detail: DetailVar, Var: "v", Old: map[string]any{"b": nil, "a": 1e-05}},
			`- group g: var v (was {"a":1e-05,"b":null})`},
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("String() = %s, want %s", got, tt.want)
		}
	}
}

// bigInventory returns n hosts in n/1000 groups of a few levels, each host
// with a handful of vars.
func bigInventory(n int) *Inventory {
	inv := New()
	inv.AddGroup(All).Vars = Vars{"env": "prod", "ntp": []any{"a", "b"}}
	groups := n / 1000
	if groups < 1 {
		groups = 1
	}
	for g := 0; g < groups; g++ {
		name := fmt.Sprintf("g%03d", g)
		inv.AddGroup(name).Vars = Vars{"rack": int64(g), PriorityVar: int64(g % 3)}
		if err := inv.AddChild(fmt.Sprintf("dc%d", g%4), name); err != nil {
			panic(err)
		}
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("host%06d.example.com", i)
		inv.AddMember(fmt.Sprintf("g%03d", i%groups), name)
		if i%7 == 0 {
			inv.AddMember(fmt.Sprintf("g%03d", (i+1)%groups), name)
		}
		inv.Hosts[name].Vars = Vars{
			"ansible_host": fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255),
			"id":           int64(i),
			"tags":         []any{"a", "b"},
			"meta":         map[string]any{"born": 1.5, "owner": "ops"},
		}
	}
	inv.Reconcile()
	return inv
}

func BenchmarkDiff100k(b *testing.B) {
	old := bigInventory(100000)
	new := old.Clone()
	new.Hosts["host050000.example.com"].Vars["id"] = int64(-1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := Diff(old, new); len(got) != 1 {
			b.Fatalf("Diff = %v", got)
		}
	}
}

func TestBigDiff(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	old := bigInventory(20000)
	new := old.Clone()
	new.Hosts["host010000.example.com"].Vars["id"] = int64(-1)
	want := []Change{{Op: Changed, Kind: KindHost, Name: "host010000.example.com", Detail: DetailVar, Var: "id", Old: int64(10000), New: int64(-1)}}
	if diff := cmp.Diff(want, Diff(old, new)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
