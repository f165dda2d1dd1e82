package ansible_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// G describes one group of an expected (reconciled) inventory.
type G struct {
	Hosts, Children []string
	Vars            kook.Vars
}

// graph builds the reconciled inventory a test expects: groups (all and
// ungrouped included) and the hosts' own vars; hosts named in groups but
// not in hosts get no vars.
func graph(groups map[string]G, hosts map[string]kook.Vars) *kook.Inventory {
	inv := &kook.Inventory{Hosts: map[string]*kook.Host{}, Groups: map[string]*kook.Group{}}
	for _, name := range []string{kook.All, kook.Ungrouped} {
		inv.Groups[name] = &kook.Group{Name: name, Vars: kook.Vars{}}
	}
	inv.Groups[kook.All].Children = []string{kook.Ungrouped}
	for name, g := range groups {
		vars := g.Vars
		if vars == nil {
			vars = kook.Vars{}
		}
		inv.Groups[name] = &kook.Group{Name: name, Vars: vars, Hosts: g.Hosts, Children: g.Children}
		for _, h := range g.Hosts {
			inv.Hosts[h] = &kook.Host{Name: h, Vars: kook.Vars{}}
		}
	}
	for name, vars := range hosts {
		inv.Hosts[name] = &kook.Host{Name: name, Vars: vars}
	}
	return inv
}

func parseJSONReconciled(t *testing.T, doc string) (*kook.Inventory, []string) {
	t.Helper()
	var warnings []string
	inv, err := ansible.ParseJSON("t.json", []byte(doc), ansible.ReadOptions{Rules: ansible.Rules214, Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatalf("ParseJSON: %v", err)
	}
	inv.Reconcile()
	return inv, warnings
}

func TestParseJSON(t *testing.T) {
	tests := []struct {
		name     string
		doc      string
		want     *kook.Inventory
		warnings []string
	}{
		{
			name: "list value is the hosts, keys in document order",
			doc:  `{"web": ["w2", "w1"], "db": ["d1"], "all": {"children": ["db"]}}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "db", "web"}},
				"web": {Hosts: []string{"w2", "w1"}},
				"db":  {Hosts: []string{"d1"}},
			}, nil),
		},
		{
			name: "hosts vars children and _meta",
			doc: `{
				"top": {"children": ["web", "late"], "vars": {"a": 1}},
				"web": {"hosts": ["h1", "h2"], "vars": {"b": "x"}},
				"_meta": {"hostvars": {"h1": {"c": [1, 2.5]}, "nowhere": {"d": 1}}}
			}`,
			want: graph(map[string]G{
				"all":  {Children: []string{"ungrouped", "top"}},
				"top":  {Children: []string{"web", "late"}, Vars: kook.Vars{"a": int64(1)}},
				"web":  {Hosts: []string{"h1", "h2"}, Vars: kook.Vars{"b": "x"}},
				"late": {},
			}, map[string]kook.Vars{"h1": {"c": []any{int64(1), 2.5}}}),
		},
		{
			name: "an object without hosts vars or children is a host with group vars",
			doc:  `{"web": {"port": 80}, "db": {}}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "web", "db"}},
				"web": {Hosts: []string{"web"}, Vars: kook.Vars{"port": int64(80)}},
				"db":  {Hosts: []string{"db"}},
			}, nil),
			warnings: []string{
				"Found both group and host with same name: web",
				"Found both group and host with same name: db",
			},
		},
		{
			name: "children string is iterated per character, object by keys",
			doc:  `{"p": {"children": "xy"}, "q": {"children": {"z": {"hosts": ["ignored"]}}}}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "p", "q"}},
				"p":   {Children: []string{"x", "y"}},
				"q":   {Children: []string{"z"}},
				"x":   {}, "y": {}, "z": {},
			}, nil),
		},
		{
			name: "a repeated key keeps its first place and its last value",
			doc:  `{"a": ["h1"], "b": [], "a": ["h2"]}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "a", "b"}},
				"a":   {Hosts: []string{"h2"}},
				"b":   {},
			}, nil),
		},
		{
			name: "numbers typed like Python",
			doc:  `{"g": {"vars": {"i": 1, "f": 1.0, "e": 1e2, "neg": -0, "inf": -Infinity}}}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "g"}},
				"g": {Vars: kook.Vars{"i": int64(1), "f": 1.0, "e": 100.0, "neg": int64(0),
					"inf": math.Inf(-1)}},
			}, nil),
		},
		{
			name: "host names verbatim, all.hosts go to ungrouped",
			doc:  `{"all": {"hosts": ["web[1:3]", "db:22", "ünï"]}}`,
			want: graph(map[string]G{
				"ungrouped": {Hosts: []string{"web[1:3]", "db:22", "ünï"}},
			}, nil),
		},
		{
			name: "ansible_group_priority through int(), dropped when 1",
			doc: `{"a": {"vars": {"ansible_group_priority": " 1_0 "}}, "b": {"vars": {"ansible_group_priority": 2.9}},
			       "c": {"vars": {"ansible_group_priority": true}}, "d": {"vars": {"ansible_group_priority": "1"}}}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "a", "b", "c", "d"}},
				"a":   {Vars: kook.Vars{"ansible_group_priority": int64(10)}},
				"b":   {Vars: kook.Vars{"ansible_group_priority": int64(2)}},
				"c":   {}, "d": {},
			}, nil),
		},
		{
			name: "unsafe and vault markers kept as Ansible prints them",
			doc: `{"g": {"hosts": [{"__ansible_unsafe": "h"}], "vars": {"u": {"__ansible_unsafe": "{{ x }}", "dropped": 1},
			        "l": {"__ansible_unsafe": ["s", 2]}, "v": {"__ansible_vault": "$ANSIBLE_VAULT;1.1"}}}}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "g"}},
				"g": {Hosts: []string{"h"}, Vars: kook.Vars{
					"u": map[string]any{"__ansible_unsafe": "{{ x }}"},
					"l": []any{map[string]any{"__ansible_unsafe": "s"}, int64(2)},
					"v": map[string]any{"__ansible_vault": "$ANSIBLE_VAULT;1.1"},
				}},
			}, nil),
		},
		{
			name: "escapes and surrogate pairs",
			doc:  `{"g": {"vars": {"s": "a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}}}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "g"}},
				"g":   {Vars: kook.Vars{"s": "a\"\\/\b\f\n\r\té😀"}},
			}, nil),
		},
		{
			name: "group names that are not identifiers are kept, with one warning",
			doc:  `{"a": {"children": ["b-c"]}, "1x": ["h"]}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "a", "1x"}},
				"a":   {Children: []string{"b-c"}},
				"b-c": {},
				"1x":  {Hosts: []string{"h"}},
			}, nil),
			warnings: []string{"Invalid characters were found in group names but not replaced, use -vvvv to see details"},
		},
		{
			name: "_meta without hostvars, and a _meta list",
			doc:  `{"g": ["h"], "_meta": {"other": 1}}`,
			want: graph(map[string]G{
				"all": {Children: []string{"ungrouped", "g"}},
				"g":   {Hosts: []string{"h"}},
			}, nil),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warnings := parseJSONReconciled(t, tt.doc)
			if diff := testutil.GraphDiff(tt.want, got); diff != "" {
				t.Errorf("inventory (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.warnings, warnings); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseJSONErrors checks Ansible's wording (probed with ansible-core
// 2.14.18 through a script) and the line of the offending value.
func TestParseJSONErrors(t *testing.T) {
	tests := []struct{ doc, want string }{
		{``, `t.json:1: Expecting value: line 1 column 1 (char 0)`},
		{`{"a": [1,]}`, `t.json:1: Expecting value: line 1 column 10 (char 9)`},
		{"{\n\"a\": 1 \"b\"}", `t.json:2: Expecting ',' delimiter: line 2 column 8 (char 9)`},
		{"{\"a\": 1,\n}", `t.json:2: Expecting property name enclosed in double quotes: line 2 column 1 (char 9)`},
		{`{"a" 1}`, `t.json:1: Expecting ':' delimiter: line 1 column 6 (char 5)`},
		{"{\"é\": \"x\ny\"}", `t.json:1: Invalid control character at: line 1 column 9 (char 8)`},
		{`{"a": "\q"}`, `t.json:1: Invalid \escape: line 1 column 8 (char 7)`},
		{`{"a": "\u12"}`, `t.json:1: Invalid \uXXXX escape: line 1 column 9 (char 8)`},
		{"{\"a\": \"abc", `t.json:1: Unterminated string starting at: line 1 column 7 (char 6)`},
		{"{}\n{}", `t.json:2: Extra data: line 2 column 1 (char 3)`},
		{"\ufeff{}", `t.json:1: Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)`},
		{"{\"a\":\n\"\xff\"}", `t.json:2: contains characters that cannot be interpreted as UTF-8: line 2 column 2 (char 7)`},
		{"\n[1]", `t.json:2: needs to be a json dict, got list`},
		{`{"": []}`, `t.json:1: Invalid empty/false group name provided: `},
		{"{\"web\": {\n\"hosts\": \"h1\"}}", `t.json:2: You defined a group 'web' with bad data for the host list: {'hosts': 'h1'}`},
		{`{"web": null}`, `t.json:1: You defined a group 'web' with bad data for the host list: {'hosts': None}`},
		{"{\"g\": {\"vars\": [1]}}", `t.json:1: You defined a group 'g' with bad data for variables: {'vars': [1]}`},
		{"{\"web\": {\"hosts\": [\n\"a\",\n1]}}", `t.json:3: Invalid host name supplied, expected a string but got an integer for 1`},
		{`{"g": {"hosts": [""]}}`, `t.json:1: Invalid empty host name provided: `},
		{`{"g": {"hosts": [null]}}`, `t.json:1: Invalid empty host name provided: None`},
		{`{"g": {"hosts": [[1]]}}`, `t.json:1: unhashable type: 'list'`},
		{`{"a": {"children": null}}`, `t.json:1: 'NoneType' object is not iterable`},
		{`{"a": {"children": [""]}}`, `t.json:1: Invalid empty/false group name provided: `},
		{`{"a": {"children": [1]}}`, `t.json:1: Invalid group name supplied, expected a string but got an integer for 1`},
		{"{\"a\": {\"children\": [\n\"a\"]}}", `t.json:2: can't add group to itself`},
		{"{\"a\": {\"children\": [\"b\"]},\n \"b\": {\"children\": [\"a\"]}}", `t.json:2: Adding group 'a' as child to 'b' creates a recursive dependency loop.`},
		{"{\"g\": [\"h\"],\n\"_meta\": {\"hostvars\": []}}", `t.json:2: Improperly formatted host information for h: 'list' object has no attribute 'get'`},
		{"{\"g\": [\"h\"], \"_meta\": {\"hostvars\": {\n\"h\": null}}}", `t.json:2: Invalid data from file, expected dictionary and got: None`},
		{"{\"g\": {\"vars\": {\n\"ansible_group_priority\": \"abc\"}}}", `t.json:2: invalid literal for int() with base 10: 'abc'`},
		{`{"g": {"vars": {"ansible_group_priority": null}}}`, `t.json:1: int() argument must be a string, a bytes-like object or a real number, not 'NoneType'`},
		{`{"g": {"vars": {"ansible_group_priority": NaN}}}`, `t.json:1: cannot convert float NaN to integer`},
		{`{"_meta": 5}`, `t.json:1: argument of type 'int' is not iterable`},
		{`{"g": ["x"], "_meta": "hostvars"}`, `t.json:1: string indices must be integers, not 'str'`},
		{`{"g": ["x"], "_meta": ["hostvars"]}`, `t.json:1: list indices must be integers or slices, not str`},
		{`{"a": ` + strings.Repeat("9", 4301) + `}`, `t.json:1: Exceeds the limit (4300 digits) for integer string conversion: value has 4301 digits; use sys.set_int_max_str_digits() to increase the limit: line 1 column 7 (char 6)`},
		// Python keeps it exactly and Ansible prints it so; a float would not.
		{`{"g": {"vars": {"big": 100000000000000000000}}}`, `t.json:1: integer 100000000000000000000 is beyond the 64-bit range kook keeps integers in: line 1 column 24 (char 23)`},
		{strings.Repeat("[", 1001), `t.json:1: maximum recursion depth exceeded while decoding a JSON array from a unicode string: line 1 column 1001 (char 1000)`},
	}
	for _, tt := range tests {
		inv, err := ansible.ParseJSON("t.json", []byte(tt.doc), ansible.ReadOptions{Rules: ansible.Rules214})
		if err == nil {
			t.Errorf("ParseJSON(ansible.ReadOptions{Rules: ansible.Rules214, Warn: %q}) = %v, want error %q", tt.doc, inv, tt.want)
			continue
		}
		var e *ansible.Error
		if !errors.As(err, &e) || inv != nil {
			t.Errorf("ParseJSON(ansible.ReadOptions{Rules: ansible.Rules214, Warn: %q}): error %T and inventory %v, want *ansible.Error and nil", tt.doc, err, inv)
		}
		if err.Error() != tt.want {
			t.Errorf("ParseJSON(ansible.ReadOptions{Rules: ansible.Rules214, Warn: %q}):\n got %s\nwant %s", tt.doc, err, tt.want)
		}
	}
}

// TestParseJSONAnsibleOutput reads what ansible-inventory printed for every
// accepted corpus source (--list and --list --export) and checks it gives
// the same groups, hosts and orders; --export also gives the same vars as
// the source itself when the source is a script document.
func TestParseJSONAnsibleOutput(t *testing.T) {
	corpus := testutil.Corpus()
	if corpus == "" {
		t.Skip("real-world corpus not present")
	}
	for _, c := range testutil.Cases(corpus, 2) {
		if c.Export == "" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			read := func(path string) *kook.Inventory {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				inv, err := ansible.ParseJSON(path, data, ansible.ReadOptions{Rules: ansible.Rules214})
				if err != nil {
					t.Fatal(err)
				}
				inv.Reconcile()
				return inv
			}
			export, list := read(c.Export), read(c.List)
			// --list puts every var on the hosts; the graph is the same.
			for _, inv := range []*kook.Inventory{export, list} {
				for _, g := range inv.Groups {
					g.Vars = nil
				}
				for _, h := range inv.Hosts {
					h.Vars = nil
				}
			}
			if diff := testutil.GraphDiff(export, list); diff != "" {
				t.Errorf("--list and --export give different graphs (-export +list):\n%s", diff)
			}
			if filepath.Ext(c.Path) == ".json" {
				src, exp := read(c.Path), read(c.Export)
				if diff := testutil.GraphDiff(src, exp); diff != "" {
					t.Errorf("source and its --export differ (-source +export):\n%s", diff)
				}
			}
		})
	}
}

// TestJSONCorpusRoundTrip: ParseJSON -> Reconcile -> WriteJSON -> ParseJSON
// -> Reconcile is the identity on the corpus' script documents.
func TestJSONCorpusRoundTrip(t *testing.T) {
	corpus := testutil.Corpus()
	if corpus == "" {
		t.Skip("real-world corpus not present")
	}
	for _, rel := range []string{"ansible/inventory_script.json", "ansible-docs/developing_inventory_script.json"} {
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(corpus, rel))
			if err != nil {
				t.Fatal(err)
			}
			first, _ := parseJSONReconciled(t, string(data))
			var buf bytes.Buffer
			if err := ansible.WriteJSON(&buf, first); err != nil {
				t.Fatal(err)
			}
			second, _ := parseJSONReconciled(t, buf.String())
			if diff := testutil.GraphDiff(first, second); diff != "" {
				t.Errorf("round trip changed the inventory (-first +second):\n%s\nwritten:\n%s", diff, buf.Bytes())
			}
		})
	}
}

// TestParseJSONLargeHostvars: a document large enough that _meta.hostvars
// is read on several cores gives every host its vars, and of two bad
// entries reports the first in the order the hosts were listed, as one
// core would.
func TestParseJSONLargeHostvars(t *testing.T) {
	const n = 20000
	doc := func(bad ...int) []byte {
		var b strings.Builder
		b.WriteString(`{"web": {"hosts": [`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"h%05d"`, i)
		}
		b.WriteString("]},\n\"_meta\": {\"hostvars\": {\n")
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(",\n")
			}
			if slices.Contains(bad, i) {
				fmt.Fprintf(&b, `"h%05d": "bad%d"`, i, i)
				continue
			}
			fmt.Fprintf(&b, `"h%05d": {"n": %d}`, i, i)
		}
		b.WriteString("}}}\n")
		return []byte(b.String())
	}
	inv, err := ansible.ParseJSON("big.json", doc(), ansible.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if v := inv.Hosts[fmt.Sprintf("h%05d", i)].Vars["n"]; v != int64(i) {
			t.Fatalf("h%05d has n=%v", i, v)
		}
	}
	for _, bad := range [][]int{{3000, 16000}, {12000, 19000}} {
		_, err := ansible.ParseJSON("big.json", doc(bad...), ansible.ReadOptions{})
		want := fmt.Sprintf("big.json:%d: Invalid data from file, expected dictionary and got: bad%d", bad[0]+3, bad[0])
		if err == nil || err.Error() != want {
			t.Errorf("bad hosts %v: %v, want %s", bad, err, want)
		}
	}
}
