package ansible_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// writeTree creates files (path -> content) under a new temporary
// directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// copyTree copies src (a file or a directory) into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	out, err := exec.Command("cp", "-r", src, dst).CombinedOutput()
	if err != nil {
		t.Fatalf("cp -r %s %s: %v\n%s", src, dst, err, out)
	}
}

// ansibleExport runs ansible-inventory -i source --list --export from an
// empty directory and reads its output back into a reconciled inventory.
func ansibleExport(t *testing.T, source string) *kook.Inventory {
	t.Helper()
	if testing.Short() {
		t.Skip("runs ansible-inventory; skipped with -short")
	}
	bin := testutil.AnsibleInventory(t)
	cwd := t.TempDir()
	cmd := exec.Command(bin, "-i", source, "--list", "--export")
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_LOCAL_TEMP="+cwd)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ansible-inventory -i %s: %v\n%s", source, err, stderr.Bytes())
	}
	inv, err := ansible.ParseJSON("ansible-output.json", out.Bytes(), ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatalf("reading ansible-inventory's output: %v\n%s", err, out.Bytes())
	}
	inv.Reconcile()
	return inv
}

func readOne(t *testing.T, source string) (*kook.Inventory, []string) {
	t.Helper()
	var warnings []string
	inv, err := ansible.Read([]string{source}, "", ansible.ReadOptions{Rules: ansible.Rules214, Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil {
		t.Fatalf("Read(ansible.ReadOptions{Rules: ansible.Rules214, Warn: %s}): %v", source, err)
	}
	return inv, warnings
}

// TestReadCorpusDirectories compares Read on each corpus directory with
// what Ansible printed for it (--export: group_vars on the groups,
// host_vars on the hosts).
func TestReadCorpusDirectories(t *testing.T) {
	corpus := testutil.Corpus()
	if corpus == "" {
		t.Skip("real-world corpus not present")
	}
	for _, dir := range []string{
		"ansible/var_blending", "ansible/inventory_constructed_invs1",
		"ceph-ansible/all_daemons", "ceph-ansible/external_clients_inventory",
	} {
		t.Run(dir, func(t *testing.T) {
			path := filepath.Join(corpus, dir)
			export, err := os.ReadFile(path + ".export.json")
			if err != nil {
				t.Fatal(err)
			}
			want, err := ansible.ParseJSON(path+".export.json", export, ansible.ReadOptions{Rules: ansible.Rules214})
			if err != nil {
				t.Fatal(err)
			}
			want.Reconcile()
			got, _ := readOne(t, path)
			if diff := testutil.GraphDiff(want, exportView(got)); diff != "" {
				t.Errorf("Read differs from Ansible's --export (-ansible +kook):\n%s", diff)
			}
		})
	}
	t.Run("kubespray/sample", func(t *testing.T) {
		_, err := ansible.Read([]string{filepath.Join(corpus, "kubespray/sample")}, "", ansible.ReadOptions{Rules: ansible.Rules214})
		var e *ansible.Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), "Unable to parse") || !strings.Contains(err.Error(), "inventory.ini") {
			t.Errorf("Read(ansible.ReadOptions{Rules: ansible.Rules214, Warn: kubespray/sample}) = %v, want an *Error saying nothing is parsable and naming inventory.ini", err)
		}
	})
}

// TestReadTestdataAnsible compares Read with Ansible on this repository's
// directory and script cases.
func TestReadTestdataAnsible(t *testing.T) {
	root := filepath.Join(testutil.RepoRoot(), "testdata", "inventories")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "dir-"):
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				// A copy, so that Ansible runs on a path without group_vars above it.
				src := filepath.Join(t.TempDir(), name)
				copyTree(t, filepath.Join(root, name), src)
				want := ansibleExport(t, src)
				got, _ := readOne(t, src)
				if diff := testutil.GraphDiff(want, exportView(got)); diff != "" {
					t.Errorf("Read differs from Ansible (-ansible +kook):\n%s", diff)
				}
			})
		case strings.HasPrefix(name, "json-") && !strings.Contains(name, "bad-"):
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				doc, err := os.ReadFile(filepath.Join(root, name))
				if err != nil {
					t.Fatal(err)
				}
				out, stderr, err := ansibleScript(t, doc, "--list", "--export")
				if err != nil {
					t.Fatalf("ansible-inventory: %v\n%s", err, stderr)
				}
				want, err := ansible.ParseJSON("ansible-output.json", []byte(out), ansible.ReadOptions{Rules: ansible.Rules214})
				if err != nil {
					t.Fatal(err)
				}
				want.Reconcile()
				got, _ := readOne(t, filepath.Join(root, name))
				if diff := testutil.GraphDiff(want, got); diff != "" {
					t.Errorf("Read differs from Ansible (-ansible +kook):\n%s", diff)
				}
			})
		}
	}
}

// TestReadFileVars: a file source gets the group_vars/ and host_vars/ of
// its directory as its vars-file layer, apart from inline vars; a second
// source's directory is read too, after the first; only existing groups
// and hosts are looked up.
func TestReadFileVars(t *testing.T) {
	one := writeTree(t, map[string]string{
		"hosts":              "[g]\nh1 a=inline b=inline\n[g:vars]\nx=file\ny=file\n",
		"group_vars/g.yml":   "x: one\n",
		"group_vars/all":     "top: one\n",
		"host_vars/h1.yaml":  "a: one\n",
		"group_vars/missing": "{broken: [\n",
	})
	two := writeTree(t, map[string]string{
		"more.yml":              "all:\n  children:\n    g:\n      hosts:\n        h2:\n",
		"group_vars/g/a.yml":    "y: two\n",
		"group_vars/g/b.json":   `{"y": "two-b"}`,
		"group_vars/g/c.cfg":    "{broken: [\n",
		"group_vars/g/d~":       "{broken: [\n",
		"host_vars/h1.json":     `{"b": "two"}`,
		"host_vars/h2/vars.yml": "c: two\n",
	})
	got, err := ansible.Read([]string{filepath.Join(one, "hosts"), filepath.Join(two, "more.yml")}, "", ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatal(err)
	}
	want := graph(map[string]G{
		"all": {Children: []string{"ungrouped", "g"}},
		"g":   {Hosts: []string{"h1", "h2"}, Vars: kook.Vars{"x": "file", "y": "file"}},
	}, map[string]kook.Vars{"h1": {"a": "inline", "b": "inline"}})
	want.Groups["all"].FileVars = kook.Vars{"top": "one"}
	want.Groups["g"].FileVars = kook.Vars{"x": "one", "y": "two-b"}
	want.Hosts["h1"].FileVars = kook.Vars{"a": "one", "b": "two"}
	want.Hosts["h2"].FileVars = kook.Vars{"c": "two"}
	if diff := testutil.GraphDiff(want, got); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	if testing.Short() {
		return
	}
	ansibleWant := ansibleExportSources(t, filepath.Join(one, "hosts"), filepath.Join(two, "more.yml"))
	if diff := testutil.GraphDiff(ansibleWant, exportView(got)); diff != "" {
		t.Errorf("Read differs from Ansible (-ansible +kook):\n%s", diff)
	}
}

// ansibleExportSources is ansibleExport for several -i sources.
func ansibleExportSources(t *testing.T, sources ...string) *kook.Inventory {
	t.Helper()
	bin := testutil.AnsibleInventory(t)
	cwd := t.TempDir()
	var args []string
	for _, s := range sources {
		args = append(args, "-i", s)
	}
	cmd := exec.Command(bin, append(args, "--list", "--export")...)
	cmd.Dir = cwd
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_LOCAL_TEMP="+cwd)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible-inventory: %v", err)
	}
	inv, err := ansible.ParseJSON("ansible-output.json", out, ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatal(err)
	}
	inv.Reconcile()
	return inv
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, data string
		want       ansible.Format
	}{
		{"inv.json", `{"g": ["h"]}`, ansible.FormatJSON},
		{"inv.json", `{"__meta__": {}}`, ansible.FormatArchive},
		{"inv.json", `not json`, ansible.FormatJSON},
		{"hosts", "[g]\nh\n", ansible.FormatYAML},
		{"inv.yml", "all: {}\n", ansible.FormatYAML},
		{"inv.yaml", "", ansible.FormatYAML},
		{".hosts", "[g]\n", ansible.FormatYAML},
		{"inv.ini", "all:\n", ansible.FormatINI},
		{"inv.cfg", "", ansible.FormatINI},
		{"-", `  {"__meta__": {}}`, ansible.FormatArchive},
		{"-", `{"g": []}`, ansible.FormatJSON},
		{"-", `{g: []}`, ansible.FormatYAML},
		{"-", "[g]\nh\n", ansible.FormatYAML},
	}
	for _, tt := range tests {
		if got := ansible.DetectFormat(tt.name, []byte(tt.data)); got != tt.want {
			t.Errorf("DetectFormat(%q, %q) = %q, want %q", tt.name, tt.data, got, tt.want)
		}
	}
}

// TestParseSourceFallback: a file without extension or named .yml is YAML
// when it is a YAML inventory, INI otherwise; when it is neither, the error
// says what each reading found, as Ansible's warnings do.
func TestParseSourceFallback(t *testing.T) {
	inv, err := ansible.ParseSource("hosts", []byte("[web]\nw1\n"), "", ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatalf("INI in an extension-less file: %v", err)
	}
	if inv.Groups["web"] == nil || !inv.Groups["web"].HasHost("w1") {
		t.Errorf("INI in an extension-less file: web/w1 missing")
	}
	inv, err = ansible.ParseSource("hosts.yml", []byte("all:\n  hosts:\n    h1:\n"), "", ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil || inv.Hosts["h1"] == nil {
		t.Fatalf("YAML: %v", err)
	}
	// Neither (not YAML and bad INI, a YAML inventory that is wrong):
	// both readings' errors, each at its line.
	for _, c := range []struct{ name, data string }{
		{"hosts", "[web\nw1\n"},
		{"hosts.yml", "all:\n  hosts:\n    1234: {}\n"},
	} {
		_, err = ansible.ParseSource(c.name, []byte(c.data), "", ansible.ReadOptions{Rules: ansible.Rules214})
		_, yerr := ansible.ParseYAML(c.name, []byte(c.data), ansible.ReadOptions{Rules: ansible.Rules214})
		_, ierr := ansible.ParseINI(c.name, []byte(c.data), ansible.ReadOptions{Rules: ansible.Rules214})
		want := c.name + ": no inventory plugin can read this file:\n  * yaml plugin: " + yerr.Error() + "\n  * ini plugin: " + ierr.Error()
		var ue *ansible.UnparsedError
		if !errors.As(err, &ue) || err.Error() != want {
			t.Errorf("%s: got %v, want\n%s", c.name, err, want)
		}
		var e *ansible.Error
		if !errors.As(err, &e) || e.Error() != yerr.Error() {
			t.Errorf("%s: errors.As finds %v, want the first reading's %v", c.name, e, yerr)
		}
	}
	// A YAML inventory written as JSON in a .json file, as Ansible reads it;
	// a bad script document that is no YAML inventory either: JSON's error.
	inv, err = ansible.ParseSource("inv.json", []byte(`{"all": {"children": {"web": {"hosts": {"h1": {"a": 1}}}}}}`), "", ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil || inv.Hosts["h1"] == nil || inv.Hosts["h1"].Vars["a"] != int64(1) {
		t.Errorf("YAML inventory in a .json file: %v", err)
	}
	_, err = ansible.ParseSource("inv.json", []byte(`{"web": {"hosts": 5}}`), "", ansible.ReadOptions{Rules: ansible.Rules214})
	if err == nil || !strings.Contains(err.Error(), "bad data for the host list") {
		t.Errorf("bad script document: got %v, want the script protocol's error", err)
	}
	// An explicit format is the only one tried.
	if _, err := ansible.ParseSource("hosts", []byte("[web]\nw1\n"), ansible.FormatYAML, ansible.ReadOptions{Rules: ansible.Rules214}); err == nil {
		t.Errorf("INI read with FormatYAML: no error")
	}
	if _, err := ansible.ParseSource("x.json", []byte(`{"g": ["h"]}`), ansible.FormatINI, ansible.ReadOptions{Rules: ansible.Rules214}); err == nil {
		t.Errorf("JSON read with FormatINI: no error")
	}
	// A script is not run: its error says so.
	_, err = ansible.ParseSource("ec2.py", []byte("#!/usr/bin/env python3\nimport json\n"), "", ansible.ReadOptions{Rules: ansible.Rules214})
	if err == nil || !strings.Contains(err.Error(), "kook does not run scripts") {
		t.Errorf("script: got %v, want a hint that scripts are not run", err)
	}
}

func TestReadErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"good":              "[g]\nh\n",
		"d/a-ok":            "[a]\nx\n",
		"d/b-bad.json":      "{\"g\": {\n\"hosts\": 1}}",
		"cycle1.json":       `{"a": {"children": ["b"]}}`,
		"cycle2.json":       `{"b": {"children": ["a"]}}`,
		"vars/hosts":        "[g]\nh\n",
		"vars/group_vars/g": "a: [\n",
	})
	tests := []struct {
		sources []string
		want    string
	}{
		{[]string{"good", "missing"}, "missing: no such file or directory"},
		{[]string{"good", "d"}, "d/b-bad.json: no inventory plugin can read this file:\n  * as a script's output: d/b-bad.json:2: You defined a group 'g' with bad data for the host list: {'hosts': 1}"},
		{[]string{"cycle1.json", "cycle2.json"}, "cycle2.json: Adding group 'a' as child to 'b' creates a recursive dependency loop."},
		{[]string{"vars/hosts"}, "vars/group_vars/g:"},
	}
	for _, tt := range tests {
		var sources []string
		for _, s := range tt.sources {
			sources = append(sources, filepath.Join(dir, s))
		}
		inv, err := ansible.Read(sources, "", ansible.ReadOptions{Rules: ansible.Rules214})
		var e *ansible.Error
		if err == nil || inv != nil || !errors.As(err, &e) {
			t.Errorf("Read(ansible.ReadOptions{Rules: ansible.Rules214, Warn: %v}) = %v, %v; want nil and an *Error", tt.sources, inv, err)
			continue
		}
		if msg := strings.ReplaceAll(err.Error(), dir+"/", ""); !strings.HasPrefix(msg, tt.want) {
			t.Errorf("Read(ansible.ReadOptions{Rules: ansible.Rules214, Warn: %v}):\n got %s\nwant %s...", tt.sources, msg, tt.want)
		}
	}
}

func TestReadStdin(t *testing.T) {
	for _, tt := range []struct {
		data  string
		group string
	}{
		{`{"fromjson": ["h"]}`, "fromjson"},
		{"[fromini]\nh\n", "fromini"},
		{"fromyaml:\n  hosts:\n    h:\n", "fromyaml"},
		{`{"__meta__": {"groups": "/g", "hosts": "/h"}, "/g": {"fromarchive": {"members": ["/h/h"]}}}`, "fromarchive"},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			w.Write([]byte(tt.data))
			w.Close()
		}()
		saved := os.Stdin
		os.Stdin = r
		inv, err := ansible.Read([]string{"-"}, "", ansible.ReadOptions{Rules: ansible.Rules214})
		os.Stdin = saved
		r.Close()
		if err != nil {
			t.Errorf("stdin %q: %v", tt.data, err)
			continue
		}
		if g := inv.Groups[tt.group]; g == nil || !g.HasHost("h") {
			t.Errorf("stdin %q: group %s with host h missing", tt.data, tt.group)
		}
	}
}

// TestReadDirOrder: entries in sorted order, sub-directories recursed,
// ignored names skipped, and a sub-directory's group_vars never read.
func TestReadDirOrder(t *testing.T) {
	dir := filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "dir-entries")
	got, warnings := readOne(t, dir)
	want := graph(map[string]G{
		"all": {Children: []string{"ungrouped", "a", "b", "c"}},
		"a":   {Hosts: []string{"h2"}},
		"b":   {Hosts: []string{"h1"}},
		"c":   {Hosts: []string{"h3"}},
	}, nil)
	if diff := testutil.GraphDiff(want, got); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// TestReadWarnsOnce: Ansible shows an identical warning once per run, and
// warns about names used for both a group and a host.
func TestReadWarnsOnce(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.json": `{"web": {"x": 1}}`,
		"b.json": `{"web": {"y": 1}}`,
	})
	_, warnings := func() (*kook.Inventory, []string) {
		var w []string
		inv, err := ansible.Read([]string{filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")}, "", ansible.ReadOptions{Rules: ansible.Rules214, Warn: func(m string) { w = append(w, m) }})
		if err != nil {
			t.Fatal(err)
		}
		return inv, w
	}()
	if diff := cmp.Diff([]string{"Found both group and host with same name: web"}, warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// exportView is what `ansible-inventory --list --export` prints for inv's
// sources, as a graph: each group's vars-file vars over its source vars,
// the priority a source set (not 1) over those; each host's host_vars over
// its inline vars.
func exportView(inv *kook.Inventory) *kook.Inventory {
	out := inv.Clone()
	for _, g := range out.Groups {
		prio, set := g.Vars[kook.PriorityVar]
		for k, v := range g.FileVars {
			g.Vars[k] = v
		}
		if set {
			g.Vars[kook.PriorityVar] = prio
		}
		g.FileVars = nil
	}
	for _, h := range out.Hosts {
		for k, v := range h.FileVars {
			h.Vars[k] = v
		}
		h.FileVars = nil
	}
	return out
}
