package ansible

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/pkg/kook"
)

// exportView is what `ansible-inventory --list --export` shows of an
// inventory: groups (hosts, children, vars) and each host's own vars,
// with the groups Ansible leaves out (nothing to show) left out.
type exportView struct {
	Groups map[string]exportGroup
	Hosts  map[string]kook.Vars
}

type exportGroup struct {
	Hosts    []string
	Children []string
	Vars     kook.Vars
}

// ansibleInternalVars are deleted from what ansible-inventory prints.
var ansibleInternalVars = map[string]bool{
	"ansible_diff_mode": true, "ansible_config_file": true, "ansible_facts": true, "ansible_forks": true,
	"ansible_inventory_sources": true, "ansible_limit": true, "ansible_playbook_python": true,
	"ansible_run_tags": true, "ansible_skip_tags": true, "ansible_verbosity": true, "ansible_version": true,
	"inventory_dir": true, "inventory_file": true, "inventory_hostname": true, "inventory_hostname_short": true,
	"groups": true, "group_names": true, "omit": true, "hostvars": true, "playbook_dir": true,
}

func viewOf(inv *kook.Inventory) exportView {
	v := exportView{Groups: map[string]exportGroup{}, Hosts: map[string]kook.Vars{}}
	for name, g := range inv.Groups {
		eg := exportGroup{Vars: kook.Vars{}}
		if name != kook.All {
			eg.Hosts = append(eg.Hosts, g.Hosts...)
		}
		eg.Children = append(eg.Children, g.Children...)
		for k, x := range g.Vars {
			eg.Vars[k] = x
		}
		if len(eg.Hosts) == 0 && len(eg.Children) == 0 && len(eg.Vars) == 0 {
			continue
		}
		v.Groups[name] = eg
	}
	for name, h := range inv.Hosts {
		vars := kook.Vars{}
		for k, x := range h.Vars {
			if !ansibleInternalVars[k] {
				vars[k] = x
			}
		}
		if len(vars) > 0 {
			v.Hosts[name] = vars
		}
	}
	return v
}

func viewOfExportJSON(t *testing.T, data []byte) exportView {
	t.Helper()
	doc, err := kook.DecodeJSON(pyJSONSpecials(data))
	if err != nil {
		t.Fatal(err)
	}
	doc = unSpecial(doc)
	v := exportView{Groups: map[string]exportGroup{}, Hosts: map[string]kook.Vars{}}
	strs := func(x any) []string {
		var out []string
		for _, e := range x.([]any) {
			out = append(out, e.(string))
		}
		return out
	}
	for name, raw := range doc.(map[string]any) {
		m := raw.(map[string]any)
		if name == "_meta" {
			for h, hv := range m["hostvars"].(map[string]any) {
				if vars := hv.(map[string]any); len(vars) > 0 {
					v.Hosts[h] = kook.Vars(vars)
				}
			}
			continue
		}
		eg := exportGroup{Vars: kook.Vars{}}
		if x, ok := m["hosts"]; ok {
			eg.Hosts = strs(x)
		}
		if x, ok := m["children"]; ok {
			eg.Children = strs(x)
		}
		if x, ok := m["vars"]; ok {
			eg.Vars = kook.Vars(x.(map[string]any))
		}
		v.Groups[name] = eg
	}
	return v
}

// pyJSONSpecials replaces Python's bare NaN, Infinity and -Infinity with
// marker strings that unSpecial turns back into floats.
func pyJSONSpecials(data []byte) []byte {
	var out []byte
	inStr := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inStr {
			out = append(out, c)
			if c == '\\' && i+1 < len(data) {
				i++
				out = append(out, data[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
		case bytes.HasPrefix(data[i:], []byte("NaN")):
			out, i = append(out, `"\u0000NaN"`...), i+2
			continue
		case bytes.HasPrefix(data[i:], []byte("-Infinity")):
			out, i = append(out, `"\u0000-Inf"`...), i+8
			continue
		case bytes.HasPrefix(data[i:], []byte("Infinity")):
			out, i = append(out, `"\u0000Inf"`...), i+7
			continue
		}
		out = append(out, c)
	}
	return out
}

func unSpecial(v any) any {
	switch x := v.(type) {
	case string:
		switch x {
		case "\x00NaN":
			return math.NaN()
		case "\x00Inf":
			return math.Inf(1)
		case "\x00-Inf":
			return math.Inf(-1)
		}
	case []any:
		for i := range x {
			x[i] = unSpecial(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = unSpecial(x[k])
		}
	}
	return v
}

var varsCmp = cmp.Comparer(kook.EqualVars)

// TestParseYAMLRealWorld parses the YAML files of the real-world corpus and
// compares the result with what ansible-inventory printed for them.
func TestParseYAMLRealWorld(t *testing.T) {
	root := "../../../shared/inventories/realworld"
	if _, err := os.Stat(root); err != nil {
		t.Skip("real-world corpus not available")
	}
	var files []string
	for _, pat := range []string{"*/*.yml", "*/*.yaml"} {
		m, _ := filepath.Glob(filepath.Join(root, pat))
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatal("no YAML files in the corpus")
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var warnings []string
			inv, err := ParseYAML(f, data, ReadOptions{Rules: Rules214, Warn: func(m string) { warnings = append(warnings, m) }})
			if errData, e := os.ReadFile(f + ".error.txt"); e == nil {
				if err == nil {
					t.Fatalf("parsed, Ansible rejected it:\n%s", errData)
				}
				if !strings.Contains(strings.Join(strings.Fields(string(errData)), " "), perrMessage(err)) {
					t.Errorf("error %q not in Ansible's:\n%s", err, errData)
				}
				return
			}
			want, e := os.ReadFile(f + ".export.json")
			if e != nil {
				t.Skip("no oracle output")
			}
			if errors.Is(err, ErrNotYAMLInventory) {
				// Ansible's ini plugin then reads the file; for these
				// comment-only files that is an empty inventory.
				inv, err = kook.New(), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			inv.Reconcile()
			if diff := cmp.Diff(viewOfExportJSON(t, want), viewOf(inv), varsCmp); diff != "" {
				t.Errorf("export differs (-ansible +kook):\n%s", diff)
			}
			if w, e := os.ReadFile(f + ".warnings.txt"); e == nil {
				flat := strings.Join(strings.Fields(string(w)), " ")
				for _, m := range warnings {
					if !strings.Contains(flat, m) {
						t.Errorf("warning %q not printed by Ansible", m)
					}
				}
			}
		})
	}
}

// perrMessage is an error's message without the file:line prefix.
func perrMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Err.Error()
	}
	return err.Error()
}

// TestDecodeYAMLVarsTyping checks YAML 1.1 typing against what
// ansible-inventory 2.14 printed for the same scalars.
func TestDecodeYAMLVarsTyping(t *testing.T) {
	cases := []struct {
		yaml string
		want any
	}{
		{"yes", true}, {"Off", false}, {"y", "y"}, {"n", "n"}, {"TRUE", true}, {"tRue", "tRue"}, {"ON", true},
		{"0777", int64(511)}, {"0x1F", int64(31)}, {"0b101", int64(5)}, {"1_000", int64(1000)},
		{"1:20", int64(80)}, {"-1:20", int64(-80)}, {"08", "08"}, {"0o17", "0o17"}, {"-0_", int64(0)}, {"+12", int64(12)},
		{"1.10", 1.1}, {".inf", math.Inf(1)}, {"-.Inf", math.Inf(-1)}, {"1e3", "1e3"}, {"1.e+3", 1000.0},
		{"1.0e5", "1.0e5"}, {"1:20.5", 80.5}, {"1.", 1.0}, {"+.nan", "+.nan"}, {"1e400", "1e400"}, {"1.0", 1.0},
		{"~", nil}, {"", nil}, {"Null", nil}, {"NULL", nil}, {"nULL", "nULL"},
		{"2001-12-14", "2001-12-14"},
		{"2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.100000-05:00"},
		{"2001-12-14 21:59:43.10", "2001-12-14T21:59:43.100000"},
		{"2001-12-14T21:59:43Z", "2001-12-14T21:59:43+00:00"},
		{"2001-1-2 1:02:03 +5", "2001-01-02T01:02:03+05:00"},
		{"!unsafe 'x{{y}}'", map[string]any{"__ansible_unsafe": "x{{y}}"}},
		{"!unsafe 12", map[string]any{"__ansible_unsafe": "12"}},
		{"!unsafe", map[string]any{"__ansible_unsafe": ""}},
		{"!unsafe {a: {b: c}, l: [1, [2]], n: ~, s: x}", map[string]any{
			"a": map[string]any{}, "l": []any{}, "n": nil, "s": map[string]any{"__ansible_unsafe": "x"}}},
		{"!unsafe [{a: b}, [c], d, 1]", []any{map[string]any{}, []any{}, map[string]any{"__ansible_unsafe": "d"}, int64(1)}},
		{"!vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3031", map[string]any{"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n3031\n"}},
		{"!!str 12", "12"}, {"!!float 1", 1.0}, {"!!int \"0x10\"", int64(16)}, {"! 12", int64(12)}, {"!!bool tRue", true},
		{"!!null foo", nil}, {`"yes"`, "yes"}, {"'1:20'", "1:20"},
		{"{1: a, 1.5: c, ~: d, true: e}", map[string]any{"1": "e", "1.5": "c", "null": "d"}},
		{"!!omap [a: 1, b: 2]", []any{[]any{"a", int64(1)}, []any{"b", int64(2)}}},
		{"plain multi\n  line", "plain multi line"},
		{"|\n  lit\n  eral", "lit\neral\n"}, {"|-\n  lit", "lit"},
		{"'it''s'", "it's"},
	}
	for _, c := range cases {
		got, err := DecodeYAMLVars("f.yml", []byte("v: "+c.yaml+"\n"))
		if err != nil {
			t.Errorf("%q: %v", c.yaml, err)
			continue
		}
		if !kook.EqualValues(got["v"], c.want) {
			t.Errorf("%q: got %#v, want %#v", c.yaml, got["v"], c.want)
		}
	}
}

// TestDecodeYAMLVarsErrors checks values PyYAML refuses to construct.
func TestDecodeYAMLVarsErrors(t *testing.T) {
	cases := []struct {
		yaml string
		line int
		msg  string
	}{
		{"a: 1\nv: =\n", 2, "could not determine a constructor for the tag 'tag:yaml.org,2002:value'"},
		{"a: 1\nv: !foo 1\n", 2, "could not determine a constructor for the tag '!foo'"},
		{"v: !!int 1e3\n", 1, "invalid literal for int()"},
		{"v: !!bool y\n", 1, "is not a YAML boolean"},
		{"v: !!float 0x10\n", 1, "could not convert string to float: '0x10'"},
		{"a: 1\nb: 2\nv: 2001-02-30\n", 3, "day is out of range for month"},
		{"v: 2001-1-1 1:00:00 +25\n", 1, "offset must be a timedelta"},
		{"v: !!str {a: 1}\n", 1, ""},
		{"a: &x 1\nb: &x 2\n", 2, "found duplicate anchor"},
		{"a: *y\n", 1, "found undefined alias"},
		{"v:\n  - {[1]: 2}\n", 2, ""},
		{"v: 0b_\n", 1, "invalid literal for int()"},
		{"- 1\n- 2\n", 1, "expected dicts"},
		{"a: 1\n---\nb: 2\n", 2, "expected a single document"},
		{"a: &a [1, *a]\n", 1, "recursive"},
		// Python keeps it exactly and Ansible prints it so; a float would not.
		{"a: 1\nv: 123456789012345678901234567890\n", 2, "integer 123456789012345678901234567890 is beyond the 64-bit range"},
		{"v: " + strings.Repeat("1", 4301) + "\n", 1, "Exceeds the limit (4300 digits)"},
	}
	for _, c := range cases {
		_, err := DecodeYAMLVars("f.yml", []byte(c.yaml))
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: got %v, want an *Error", c.yaml, err)
			continue
		}
		if e.Line != c.line || !strings.Contains(e.Err.Error(), c.msg) {
			t.Errorf("%q: got line %d %q, want line %d %q", c.yaml, e.Line, e.Err, c.line, c.msg)
		}
	}
}

// TestDecodeYAMLVarsDuplicates checks Ansible's duplicate-key warning: the
// mapping's position (its anchor or tag when it has one), breadth-first
// order, merge keys counting as duplicates.
func TestDecodeYAMLVarsDuplicates(t *testing.T) {
	src := "a: {x: {p: 1, p: 2}, x2: 3, x2: 4}\n" +
		"base: &b {x: 1, y: 2}\n" +
		"m: &anc2\n  <<: *b\n  x: 3\n" +
		"m2: !!map\n  a: 1\n  a: 2\n" +
		"a: 5\n"
	var warnings []string
	vars, err := DecodeYAMLVarsWarn("F", []byte(src), func(m string) { warnings = append(warnings, m) })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"While constructing a mapping from F, line 1, column 1, found a duplicate dict key (a). Using last defined value only.",
		"While constructing a mapping from F, line 1, column 4, found a duplicate dict key (x2). Using last defined value only.",
		"While constructing a mapping from F, line 3, column 4, found a duplicate dict key (x). Using last defined value only.",
		"While constructing a mapping from F, line 6, column 5, found a duplicate dict key (a). Using last defined value only.",
		"While constructing a mapping from F, line 1, column 8, found a duplicate dict key (p). Using last defined value only.",
	}
	if diff := cmp.Diff(want, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	wantVars := kook.Vars{
		"a":    int64(5),
		"base": map[string]any{"x": int64(1), "y": int64(2)},
		"m":    map[string]any{"x": int64(3), "y": int64(2)},
		"m2":   map[string]any{"a": int64(2)},
	}
	if diff := cmp.Diff(wantVars, vars, varsCmp); diff != "" {
		t.Errorf("vars (-want +got):\n%s", diff)
	}
}

// TestDecodeYAMLVarsEmpty: empty and falsy documents are no vars.
func TestDecodeYAMLVarsEmpty(t *testing.T) {
	for _, src := range []string{"", "# comment\n", "---\n", "~\n", "{}\n", "false\n", "0\n", "[]\n", "''\n"} {
		v, err := DecodeYAMLVars("f.yml", []byte(src))
		if err != nil || len(v) != 0 {
			t.Errorf("%q: got %v, %v; want no vars", src, v, err)
		}
	}
}

// TestDecodeYAMLVarsJSON: a JSON document is read as JSON, where 1e3 is a
// float, before YAML is tried.
func TestDecodeYAMLVarsJSON(t *testing.T) {
	v, err := DecodeYAMLVars("f.json", []byte(`{"a": 1e3, "b": 1, "c": "yes", "d": [1.5], "a2": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	want := kook.Vars{"a": 1000.0, "b": int64(1), "c": "yes", "d": []any{1.5}, "a2": int64(2)}
	if diff := cmp.Diff(want, v, varsCmp); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestYAMLAliasBomb: a billion-laughs document is refused, not expanded.
func TestYAMLAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + itoa(i-1))
		}
		b.WriteString("]\n")
	}
	_, err := DecodeYAMLVars("bomb.yml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "alias bomb") {
		t.Fatalf("got %v, want an alias bomb error", err)
	}
	merge := "a0: &a0 {k0: 1}\n"
	for i := 1; i < 40; i++ {
		merge += "a" + itoa(i) + ": &a" + itoa(i) + " {<<: [*a" + itoa(i-1) + ", *a" + itoa(i-1) + "]}\n"
	}
	if _, err := DecodeYAMLVars("merge.yml", []byte(merge)); err == nil || !strings.Contains(err.Error(), "alias bomb") {
		t.Fatalf("merge bomb: got %v, want an alias bomb error", err)
	}
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	if _, err := DecodeYAMLVars("deep.yml", []byte("v: "+deep+"\n")); err == nil {
		t.Fatal("5000 levels of nesting accepted")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// graphView is every exported field of a reconciled inventory.
type graphView struct {
	Hosts  map[string]kook.Vars
	Groups map[string]exportGroup
}

func graphOf(inv *kook.Inventory) graphView {
	g := graphView{Hosts: map[string]kook.Vars{}, Groups: map[string]exportGroup{}}
	for n, h := range inv.Hosts {
		g.Hosts[n] = h.Vars
	}
	for n, gr := range inv.Groups {
		g.Groups[n] = exportGroup{
			Hosts:    append([]string{}, gr.Hosts...),
			Children: append([]string{}, gr.Children...),
			Vars:     gr.Vars,
		}
	}
	return g
}

var graphCmp = []cmp.Option{varsCmp}

// yamlRoundTrip parses, reconciles, writes and parses again, and reports
// a difference between the two graphs.
func yamlRoundTrip(t *testing.T, name string, data []byte) {
	t.Helper()
	inv, err := ParseYAML(name, data, ReadOptions{Rules: Rules214})
	if err != nil {
		t.Fatal(err)
	}
	inv.Reconcile()
	var buf bytes.Buffer
	if err := WriteYAML(&buf, inv); err != nil {
		t.Fatal(err)
	}
	back, err := ParseYAML("written.yml", buf.Bytes(), ReadOptions{Rules: Rules214})
	if err != nil {
		t.Fatalf("reading back: %v\n%s", err, buf.String())
	}
	back.Reconcile()
	if diff := cmp.Diff(graphOf(inv), graphOf(back), graphCmp...); diff != "" {
		t.Errorf("round trip differs (-read +written and read back):\n%s\n%s", diff, buf.String())
	}
	var again bytes.Buffer
	if err := WriteYAML(&again, back); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), again.Bytes()) {
		t.Errorf("second write differs:\n%s\n---\n%s", buf.String(), again.String())
	}
}

// TestWriteYAMLRoundTrip: every testdata case survives
// ParseYAML -> Reconcile -> WriteYAML -> ParseYAML -> Reconcile.
func TestWriteYAMLRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/inventories/yaml-*.yml")
	more, _ := filepath.Glob("../../../shared/inventories/realworld/*/*.y*ml")
	for _, f := range append(files, more...) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ParseYAML(f, data, ReadOptions{Rules: Rules214}); err != nil {
				t.Skip(err)
			}
			yamlRoundTrip(t, f, data)
		})
	}
}

// TestWriteYAMLValues: values YAML 1.1 would retype are written so they
// keep their type.
func TestWriteYAMLValues(t *testing.T) {
	inv := yamlValuesInventory()
	var buf bytes.Buffer
	if err := WriteYAML(&buf, inv); err != nil {
		t.Fatal(err)
	}
	back, err := ParseYAML("w.yml", buf.Bytes(), ReadOptions{Rules: Rules214})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	back.Reconcile()
	if diff := cmp.Diff(graphOf(inv), graphOf(back), graphCmp...); diff != "" {
		t.Errorf("(-want +got):\n%s\n%s", diff, buf.String())
	}
}

// yamlValuesInventory holds values that are easy to write wrongly.
func yamlValuesInventory() *kook.Inventory {
	inv := kook.New()
	inv.AddMember("g", "h1")
	inv.Hosts["h1"].Vars = kook.Vars{
		"s": []any{"yes", "No", "on", "0777", "1:20", "1e3", "1.0", "~", "null", "", " x", "x ", "<<", "=", "a: b", "#c",
			"- d", "[e]", "{f}", "!g", "&h", "*i", "|", ">", "'", "\"", "%", "@", "`", "multi\nline", "tab\t", "\x00\x7f\u0085\u2028",
			"ünïcödé", "2001-12-14", "0x1F", ".inf", ".nan", "y", "08", "+1", "-1", "1_0", "0b1", "?", ",", "a #b"},
		"f":     []any{1.0, 0.5, 1e16, 1.5e-7, -2.0, math.Inf(1), math.Inf(-1), math.NaN(), 1e300},
		"i":     []any{int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64)},
		"b":     []any{true, false, nil},
		"u":     map[string]any{"__ansible_unsafe": "{{ x }}"},
		"v":     map[string]any{"__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\n3031\n"},
		"nest":  []any{[]any{}, map[string]any{}, []any{[]any{int64(1), map[string]any{"a": []any{"b"}}}}, map[string]any{"k": map[string]any{"__ansible_unsafe": "x"}, "l": []any{int64(1)}}},
		"1":     "key that YAML would type",
		"true":  "k",
		"<<":    "merge key",
		"a b":   "space",
		"":      "empty key",
		"yes":   map[string]any{"no": "x"},
		"empty": map[string]any{},
	}
	inv.Groups["g"].Vars = kook.Vars{"ansible_group_priority": int64(5), "x": 1.0}
	inv.Reconcile()
	return inv
}

// TestWriteYAMLRefuses: names that a YAML host key cannot carry.
func TestWriteYAMLRefuses(t *testing.T) {
	for _, name := range []string{"web[1:3]", "host:22", "[::1]:22", ""} {
		inv := kook.New()
		inv.AddMember("g", name)
		inv.Reconcile()
		err := WriteYAML(&bytes.Buffer{}, inv)
		if err == nil || (name != "" && !strings.Contains(err.Error(), name)) {
			t.Errorf("%q: got %v, want an error naming the host", name, err)
		}
	}
	inv := kook.New()
	inv.AddGroup("g").Vars["ansible_group_priority"] = "3"
	inv.Reconcile()
	if err := WriteYAML(&bytes.Buffer{}, inv); err == nil {
		t.Error("string ansible_group_priority written")
	}
}

// TestWriteYAMLOrder: hosts and children keep their order, a host's vars
// are written once, all's children keep theirs.
func TestWriteYAMLOrder(t *testing.T) {
	inv := kook.New()
	inv.AddMember("b", "z")
	inv.AddMember("b", "a")
	inv.AddMember("a", "a")
	inv.AddMember("a", "z")
	inv.Hosts["a"].Vars["v"] = int64(1)
	if err := inv.AddChild("b", "c"); err != nil {
		t.Fatal(err)
	}
	if err := inv.AddChild("b", "a"); err != nil {
		t.Fatal(err)
	}
	inv.AddMember("plugin", "p1")
	inv.AddMember("ungrouped", "lone")
	inv.Reconcile()
	var buf bytes.Buffer
	if err := WriteYAML(&buf, inv); err != nil {
		t.Fatal(err)
	}
	back, err := ParseYAML("w.yml", buf.Bytes(), ReadOptions{Rules: Rules214})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	back.Reconcile()
	if diff := cmp.Diff(graphOf(inv), graphOf(back), graphCmp...); diff != "" {
		t.Errorf("(-want +got):\n%s\n%s", diff, buf.String())
	}
}

// TestParseYAMLErrors: fatal input, Ansible's message, the right line.
func TestParseYAMLErrors(t *testing.T) {
	cases := []struct {
		src  string
		line int
		msg  string
	}{
		{"g:\n  hosts:\n    1234:\n", 3, "Host pattern 1234 must be a string. Enclose integers/floats in quotation marks."},
		{"g:\n  hosts:\n    1.5: {}\n", 3, "Host pattern 1.5 must be a string."},
		{"g:\n  vars: {a: 1}\n  hosts: [h1]\n", 3, `Invalid "hosts" entry for "g" group, requires a dictionary, found a list instead.`},
		{"g:\n  children: 5\n", 2, `Invalid "children" entry for "g" group, requires a dictionary, found an integer instead.`},
		{"g:\n  hosts:\n    h1: yes\n", 3, "Invalid data from file, expected dictionary and got:\n\nTrue"},
		{"g:\n  hosts:\n    h1: [a]\n", 3, "Invalid data from file, expected dictionary and got:\n\n['a']"},
		{"123:\n  hosts:\n", 1, "Unable to add group 123: Invalid group name supplied, expected a string but got an integer for 123"},
		{"a: 1\n~: {}\n", 2, "Unable to add group None: Invalid empty/false group name provided: None"},
		{"g:\n  children:\n    x: [1]\n", 3, "x is not a known host nor group"},
		// The inner link b -> a is made first; a -> b then closes the loop.
		{"a:\n  children:\n    b:\n      children:\n        a:\n", 3, "Adding group 'b' as child to 'a' creates a recursive dependency loop."},
		{"g:\n  vars:\n    ansible_group_priority: high\n", 3, "invalid literal for int() with base 10: 'high'"},
		{"g:\n  vars:\n    ansible_group_priority: ~\n", 3, "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"},
		{"g:\n  hosts:\n    \"\":\n", 3, "Invalid empty host name provided"},
		{"g:\n  hosts: {h1: 1\n", 2, "YAML syntax error"},
	}
	for _, c := range cases {
		inv, err := ParseYAML("f.yml", []byte(c.src), ReadOptions{Rules: Rules214})
		var e *Error
		if inv != nil || !errors.As(err, &e) {
			t.Errorf("%q: got %v, %v; want nil and an *Error", c.src, inv, err)
			continue
		}
		if e.File != "f.yml" || e.Line != c.line || !strings.Contains(e.Err.Error(), c.msg) {
			t.Errorf("%q: got %s:%d %q, want line %d %q", c.src, e.File, e.Line, e.Err, c.line, c.msg)
		}
		if errors.Is(err, ErrNotYAMLInventory) {
			t.Errorf("%q: fatal error reported as not-an-inventory", c.src)
		}
	}
}

// TestParseYAMLNotInventory: what the yaml plugin declines (and Ansible
// then hands to the ini plugin) is ErrNotYAMLInventory.
func TestParseYAMLNotInventory(t *testing.T) {
	cases := map[string]string{
		"":                    "Parsed empty YAML file",
		"# only a comment\n":  "Parsed empty YAML file",
		"{}\n":                "Parsed empty YAML file",
		"false\n":             "Parsed empty YAML file",
		"- a\n- b\n":          "YAML inventory has invalid structure, it should be a dictionary, got: a list",
		"just text\n":         "YAML inventory has invalid structure, it should be a dictionary, got: a string",
		"[1, 2]":              "YAML inventory has invalid structure, it should be a dictionary, got: a list",
		"plugin: aws_ec2\n":   "Plugin configuration YAML file, not YAML inventory",
		"g: {}\nplugin: x\n":  "Plugin configuration YAML file, not YAML inventory",
		"host1 a=1\nhost2\n":  "YAML inventory has invalid structure",
		"{\"plugin\": \"x\"}": "Plugin configuration YAML file, not YAML inventory",
	}
	for src, msg := range cases {
		_, err := ParseYAML("f.yml", []byte(src), ReadOptions{Rules: Rules214})
		var e *Error
		if !errors.Is(err, ErrNotYAMLInventory) || !errors.As(err, &e) || e.Err.Error() != msg && !strings.HasPrefix(e.Err.Error(), msg) {
			t.Errorf("%q: got %v, want ErrNotYAMLInventory %q", src, err, msg)
		}
	}
	// A byte order mark is not part of the first group's name.
	if inv, err := ParseYAML("f.yml", []byte("\ufeffg:\n  hosts:\n    h1:\n"), ReadOptions{Rules: Rules214}); err != nil || inv.Groups["g"] == nil {
		t.Errorf("BOM: got %v, %v; want group g", inv, err)
	}
	// A falsy plugin key is not a plugin configuration: it is a group.
	inv, err := ParseYAML("f.yml", []byte("plugin:\ng:\n"), ReadOptions{Rules: Rules214})
	if err != nil || inv.Groups["plugin"] == nil {
		t.Errorf("null plugin key: got %v, %v; want a group named plugin", inv, err)
	}
}

// TestParseYAMLWarnings: skipped keys and definitions warn as Ansible does,
// in document order.
func TestParseYAMLWarnings(t *testing.T) {
	data, err := os.ReadFile("../../testdata/inventories/yaml-skipped-keys.yml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	inv, err := ParseYAML("f.yml", data, ReadOptions{Rules: Rules214, Warn: func(m string) { got = append(got, m) }})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Skipping key (comment) in group (good) as it is not a mapping, it is a <class 'ansible.parsing.yaml.objects.AnsibleUnicode'>",
		"Skipping key (list) in group (good) as it is not a mapping, it is a <class 'ansible.parsing.yaml.objects.AnsibleSequence'>",
		`Skipping unexpected key (extra) in group (good), only "vars", "children" and "hosts" are valid`,
		"Skipping 'not_a_group' as this is not a valid group definition",
		"Skipping 'also_not' as this is not a valid group definition",
		"Invalid characters were found in group names but not replaced, use -vvvv to see details",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if inv.Groups["not_a_group"] != nil || inv.Groups["bad-name"] == nil {
		t.Error("skipped group created or bad-name dropped")
	}
}

// TestParseYAMLGraph checks the raw graph of the nesting, multi-definition
// and host pattern cases: creation by document order, links in order,
// ports only on new hosts, vars set key by key.
func TestParseYAMLGraph(t *testing.T) {
	read := func(name string) *kook.Inventory {
		data, err := os.ReadFile("../../testdata/inventories/" + name)
		if err != nil {
			t.Fatal(err)
		}
		inv, err := ParseYAML(name, data, ReadOptions{Rules: Rules214})
		if err != nil {
			t.Fatal(err)
		}
		inv.Reconcile()
		return inv
	}
	inv := read("yaml-multi-define.yml")
	want := graphView{
		Hosts: map[string]kook.Vars{"w1": {"a": int64(1), "b": int64(2)}, "w2": {}, "w3": {}},
		Groups: map[string]exportGroup{
			"all":       {Hosts: []string{}, Children: []string{"ungrouped", "web", "prod"}, Vars: kook.Vars{}},
			"ungrouped": {Hosts: []string{}, Children: []string{}, Vars: kook.Vars{}},
			"web":       {Hosts: []string{"w1", "w2", "w3"}, Children: []string{}, Vars: kook.Vars{"x": "last", "y": "second"}},
			"prod":      {Hosts: []string{}, Children: []string{"web"}, Vars: kook.Vars{}},
		},
	}
	if diff := cmp.Diff(want, graphOf(inv), graphCmp...); diff != "" {
		t.Errorf("multi-define (-want +got):\n%s", diff)
	}
	inv = read("yaml-host-patterns.yml")
	wantHosts := map[string]kook.Vars{
		"www01.example.com": {"http_port": int64(8080)}, "www02.example.com": {"http_port": int64(8080)},
		"www03.example.com": {"http_port": int64(8080)},
		"db-a":              {}, "db-b": {}, "db-c": {},
		"app1":              {"ansible_port": int64(2222)},
		"2001:db8::1":       {"ansible_port": int64(22)},
		"plain.example.com": {},
		"new-host":          {"ansible_port": int64(9999)},
	}
	if diff := cmp.Diff(wantHosts, graphOf(inv).Hosts, varsCmp); diff != "" {
		t.Errorf("host patterns (-want +got):\n%s", diff)
	}
	if got := inv.Groups["other"].Hosts; !cmp.Equal(got, []string{"www01.example.com", "new-host"}) {
		t.Errorf("other.Hosts = %v", got)
	}
	inv = read("yaml-string-sections.yml")
	if got := inv.Groups["g1"].Vars; !kook.EqualVars(got, kook.Vars{"x": nil}) {
		t.Errorf("g1 vars = %v", got)
	}
	if got := inv.Groups["g2"].Hosts; !cmp.Equal(got, []string{"folded host name"}) {
		t.Errorf("g2 hosts = %q", got)
	}
	inv = read("yaml-priority.yml")
	for g, want := range map[string]any{"low": int64(3), "high": int64(10), "default": nil, "truncated": int64(2)} {
		if got := inv.Groups[g].Vars["ansible_group_priority"]; !kook.EqualValues(got, want) {
			t.Errorf("%s priority = %#v, want %#v", g, got, want)
		}
	}
}

// TestYAMLSyntaxErrors: a YAML syntax error is an *Error naming the file
// and the line to look at, with libyaml's diagnosis in words.
func TestYAMLSyntaxErrors(t *testing.T) {
	cases := []struct {
		src  string
		line int
		msg  string
	}{
		{"all:\n  hosts:\n\thost1:\n", 3,
			"YAML syntax error: found a tab character that cannot start any token (YAML indents with spaces only) at line 3, column 1"},
		{"g:\n  hosts: {h1: 1\n", 2,
			"YAML syntax error: did not find expected ',' or '}' before the end of the file, in a flow mapping that starts at line 2, column 10"},
		{"g:\n  vars:\n    v: [a, b\n  hosts:\n", 4,
			"YAML syntax error: did not find expected ',' or ']' at line 4, column 8, in a flow sequence that starts at line 3, column 8"},
		{"g:\n  vars:\n    v: 'open\n", 3,
			"YAML syntax error: found unexpected end of stream, in a quoted scalar that starts at line 3, column 8"},
		{"g:\n  hosts:\n    a: b: c\n", 3, "YAML syntax error: mapping values are not allowed in this context at line 3, column 9"},
		{"g:\n  hosts:\n    h1:\n   h2:\n", 4,
			"YAML syntax error: did not find expected key at line 4, column 4, in a block mapping that starts at line 2, column 3"},
	}
	for _, c := range cases {
		for _, read := range []func() error{
			func() error { _, err := ParseYAML("f.yml", []byte(c.src), ReadOptions{}); return err },
			func() error { _, err := DecodeYAMLVars("f.yml", []byte(c.src)); return err },
		} {
			err := read()
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%q: got %v, want an *Error", c.src, err)
				continue
			}
			if e.File != "f.yml" || e.Line != c.line || e.Err.Error() != c.msg {
				t.Errorf("%q:\ngot  %s:%d: %s\nwant f.yml:%d: %s", c.src, e.File, e.Line, e.Err, c.line, c.msg)
			}
		}
	}
}
