package kook

import (
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestValidateClean(t *testing.T) {
	for name, inv := range map[string]*Inventory{"new": New(), "base": diffBase(t), "raw": rawForValidate(t)} {
		warnings, err := inv.Validate()
		if err != nil || warnings != nil {
			t.Errorf("%s: Validate() = %q, %v; want nil, nil", name, warnings, err)
		}
	}
}

func rawForValidate(t *testing.T) *Inventory {
	inv := New()
	inv.AddMember(All, "h")
	inv.AddHost("lonely")
	mustChild(t, inv, "a", "b")
	inv.AddGroup("c").Vars[PriorityVar] = " 12 "
	return inv
}

func warningsInventory() *Inventory {
	inv := New()
	for _, g := range []string{"web-1", "db", "1st", "zz", "mixed", "a b"} {
		inv.AddMember(g, "h_"+g)
	}
	inv.AddHost("zz")
	inv.AddHost("db")
	inv.AddHost(Ungrouped)
	inv.Reconcile()
	return inv
}

func TestValidateWarnings(t *testing.T) {
	warnings, err := warningsInventory().Validate()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Invalid characters were found in group names but not replaced, use -vvvv to see details",
		"Found both group and host with same name: db",
		"Found both group and host with same name: ungrouped",
		"Found both group and host with same name: zz",
	}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestValidateWarningsAnsible compares the warnings with those
// ansible-inventory prints, which come in hash order: sorted here.
func TestValidateWarningsAnsible(t *testing.T) {
	needAnsible(t)
	inv := warningsInventory()
	want, err := inv.Validate()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	// Ansible wraps warnings at 79 columns; continuation lines lack the tag.
	for _, line := range strings.Split(ansibleStderr(t, scriptDocument(inv), "--list"), "\n") {
		switch {
		case strings.HasPrefix(line, "[WARNING]: "):
			got = append(got, strings.TrimPrefix(line, "[WARNING]: "))
		case line != "" && len(got) > 0:
			got[len(got)-1] += " " + line
		}
	}
	sort.Strings(got[1:])
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-kook +ansible):\n%s", diff)
	}
}

// invalidNames are checked against Ansible's regex ^[\d\W]|[^\w] by hand
// here and by ansible-inventory in TestInvalidGroupNameAnsible.
var invalidNames = map[string]bool{
	"web":       false,
	"_a":        false,
	"a1":        false,
	"é":         false,
	"ｅ":         false, // fullwidth letter
	"a²":        false, // superscript two is a number (No), so \w
	"Ⅻ":         false, // roman numeral (Nl) is \w and not \d
	"½a":        false, // vulgar fraction is \w and not \d, even first
	"a٣":        false,
	"ǅ":         false, // title case letter
	"aʰ":        false, // modifier letter
	"٣a":        true,  // Arabic-Indic digit is \d
	"1a":        true,
	"a-b":       true,
	"a b":       true,
	"a.b":       true,
	"x\u0301":   true, // combining accent is not \w
	"a\u200d":   true, // zero width joiner
	"all-hosts": true,
}

func TestInvalidGroupName(t *testing.T) {
	for name, want := range invalidNames {
		if got := invalidGroupName(name); got != want {
			t.Errorf("invalidGroupName(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestInvalidGroupNameAnsible runs ansible-inventory once on all the valid
// names together and once per invalid name.
func TestInvalidGroupNameAnsible(t *testing.T) {
	needAnsible(t)
	type set struct {
		names []string
		want  bool
	}
	valid := set{}
	var sets []set
	for name, invalid := range invalidNames {
		if invalid {
			sets = append(sets, set{[]string{name}, true})
		} else {
			valid.names = append(valid.names, name)
		}
	}
	sets = append(sets, valid)
	for _, s := range sets {
		names, want := s.names, s.want
		t.Run(strings.Join(names, ","), func(t *testing.T) {
			t.Parallel()
			inv := New()
			for _, n := range names {
				inv.AddMember(n, "h")
			}
			inv.Reconcile()
			warned := strings.Contains(ansibleStderr(t, scriptDocument(inv), "--list"), "Invalid characters were found")
			if warned != want {
				t.Errorf("ansible-inventory warns for %q: %v; kook says invalid: %v", names, warned, want)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func(inv *Inventory)
		want  []string
	}{
		{
			name: "cycle",
			build: func(inv *Inventory) {
				mustChild(t, inv, "a", "b")
				mustChild(t, inv, "b", "c")
				inv.Groups["c"].Children = append(inv.Groups["c"].Children, "a")
			},
			want: []string{"group cycle: a -> b -> c -> a"},
		},
		{
			name: "self cycle and all as a child",
			build: func(inv *Inventory) {
				inv.AddGroup("x").Children = []string{"x", All}
			},
			want: []string{
				`group "all" cannot be a child of "x"`,
				"group cycle: x -> x",
			},
		},
		{
			name: "dangling",
			build: func(inv *Inventory) {
				inv.AddMember("web", "w1")
				g := inv.Groups["web"]
				g.Hosts = append(g.Hosts, "ghost", "w1")
				g.Children = append(g.Children, "nogroup")
			},
			want: []string{
				`group "web" lists host "ghost", which does not exist`,
				`group "web" lists host "w1" twice`,
				`group "web" lists child "nogroup", which does not exist`,
			},
		},
		{
			name: "names",
			build: func(inv *Inventory) {
				inv.Hosts[""] = &Host{Vars: Vars{}}
				inv.Groups[""] = &Group{Vars: Vars{}}
				inv.Hosts["a"] = &Host{Name: "b"}
				inv.Groups["g"] = &Group{Name: "h"}
				inv.Hosts["nil"] = nil
				delete(inv.Groups, Ungrouped)
				inv.Groups[All].Children = nil
			},
			want: []string{
				`group "ungrouped" is missing`,
				"empty host name",
				`host "b" is stored under the name "a"`,
				`host "nil" is nil`,
				"empty group name",
				`group "h" is stored under the name "g"`,
			},
		},
		{
			name: "values and priority",
			build: func(inv *Inventory) {
				inv.AddHost("h").Vars = Vars{"n": 1, "ok": []any{int64(1)}, "deep": map[string]any{"k": []any{float32(1)}}}
				inv.AddGroup("g").Vars = Vars{PriorityVar: "high"}
				inv.AddGroup("f").Vars = Vars{PriorityVar: 2.5} // int(2.5) is fine
			},
			want: []string{
				`host "h": var "deep": ["k"]: [0]: value of type float32 cannot be stored in an inventory`,
				`host "h": var "n": value of type int cannot be stored in an inventory`,
				`group "g": ansible_group_priority: invalid literal for int() with base 10: 'high'`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := New()
			tt.build(inv)
			_, err := inv.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil error, want %q", tt.want)
			}
			if diff := cmp.Diff(tt.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			// Deterministic: the same answer every time.
			for i := 0; i < 5; i++ {
				if _, again := inv.Validate(); again.Error() != err.Error() {
					t.Fatalf("Validate not deterministic:\n%v\nthen\n%v", err, again)
				}
			}
		})
	}
}
