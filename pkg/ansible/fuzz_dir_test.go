package ansible_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// dirLayout turns a fuzzed byte into the names of a small inventory
// directory: which inventory file (and so which detection path), how the
// group_vars and host_vars are spelled (file, extension, directory), and
// where the extra file goes (top level, a sub-directory, a hidden name
// Ansible skips).
type dirLayout struct {
	inventory, groupVars, hostVars, extra string
}

func layoutOf(b uint8) dirLayout {
	return dirLayout{
		inventory: []string{"hosts", "hosts.yml", "hosts.json", "hosts.toml"}[b&3],
		groupVars: []string{"group_vars/g", "group_vars/all.yml", "group_vars/g/main.yml", "group_vars/g.json"}[b>>2&3],
		hostVars:  []string{"host_vars/h", "host_vars/h.yml", "host_vars/h/sub/x", "host_vars/h.yaml"}[b>>4&3],
		extra:     []string{"more.yaml", "sub/more", ".hidden", "sub/deeper/more.json"}[b>>6&3],
	}
}

// FuzzReadDir builds an inventory directory from the input — an inventory
// file, one group_vars file, one host_vars file and an extra file whose
// names the first argument picks — and reads it with ansible.Read, as
// `kook-import dir/` would. Read must not panic; it fails only with an
// *ansible.Error naming a file under the directory and returns nothing
// with it; what it accepts is reconciled, consistent and read the same way
// twice.
func FuzzReadDir(f *testing.F) {
	seeds := []struct {
		layout                  uint8
		inv, group, host, extra string
	}{
		{0, "[g]\nh a=1\n[g:vars]\nb=2\n", "x: 1\n", "y: [1, 2]\n", "[k:children]\ng\n"},
		{1, "all:\n  children:\n    g:\n      hosts:\n        h:\n", "---\nx: &a {p: 1}\nz: *a\n", "{\"y\": 1.0}", ""},
		{2, `{"g": {"hosts": ["h"], "vars": {"v": 1}}, "_meta": {"hostvars": {"h": {"w": 2}}}}`, "x: !unsafe '{{ y }}'\n", "y: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  61\n", "[g]\nh2\n"},
		{3, "h[1:3]\n[g]\nh\n", "- not a mapping\n", "y: 1\n", "g:\n  hosts:\n    h: {a: 1}\n"},
		{0x40, "[g]\nh\n", "x:\n  <<: {a: 1}\n  b: 2\n", "", "[g]\nh ansible_port=22\n"},
		{0x80, "[g]\nh\n", "", "", "not: [valid\n"},
		{0xc0, "", "", "", `{"__meta__": {"groups": "/g", "hosts": "/h"}, "/h": {"h": {"vars": {"a": 1}}}}`},
		{0x15, "[g]\nh\n", "x: [unclosed\n", "y: 1\n", ""},
		{0x2a, "g:\n  hosts: h\n", "{\"x\": {\"y\": [1, {\"z\": null}]}}", "y: 1\n", "[sub]\nh\n"},
	}
	for _, s := range seeds {
		f.Add(s.layout, []byte(s.inv), []byte(s.group), []byte(s.host), []byte(s.extra))
	}
	f.Fuzz(func(t *testing.T, layout uint8, invData, groupData, hostData, extraData []byte) {
		l := layoutOf(layout)
		dir := t.TempDir()
		files := []struct {
			name string
			data []byte
		}{{l.inventory, invData}, {l.groupVars, groupData}, {l.hostVars, hostData}, {l.extra, extraData}}
		for _, file := range files {
			if len(file.data) == 0 && file.name != l.inventory {
				continue
			}
			p := filepath.Join(dir, filepath.FromSlash(file.name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, file.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		inv, err := ansible.Read([]string{dir}, "", ansible.ReadOptions{Rules: ansible.Rules214})
		if err != nil {
			checkDirError(t, dir, inv, err)
			return
		}
		checkReconciled(t, inv)
		if len(inv.Hosts) > 20000 {
			return // a huge host range: correct, too slow to read twice on every run
		}
		again, err := ansible.Read([]string{dir}, "", ansible.ReadOptions{Rules: ansible.Rules214})
		if err != nil {
			t.Fatalf("second read fails: %v", err)
		}
		if diff := sameGraph(inv, again); diff != "" {
			t.Fatalf("two reads of one directory differ (-first +second):\n%s", diff)
		}
	})
}

// checkDirError checks what every failed Read of dir must satisfy: an
// *ansible.Error (possibly wrapped) naming dir or a file under it, with no
// inventory.
func checkDirError(t *testing.T, dir string, inv *kook.Inventory, err error) {
	t.Helper()
	var e *ansible.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not an *ansible.Error", err, err)
	}
	if e.File != dir && !strings.HasPrefix(e.File, dir+string(filepath.Separator)) {
		t.Fatalf("error names %q, not a file under %s: %v", e.File, dir, err)
	}
	if e.Line < 0 {
		t.Fatalf("error has line %d: %v", e.Line, err)
	}
	if inv != nil {
		t.Fatalf("inventory returned with error %v", err)
	}
}

// checkReconciled checks that inv is what Read promises: reconciled (all
// and ungrouped present, all holding no host directly) and consistent
// (every member and child it links exists).
func checkReconciled(t *testing.T, inv *kook.Inventory) {
	t.Helper()
	if inv == nil {
		t.Fatal("nil inventory without error")
	}
	all, ungrouped := inv.Groups["all"], inv.Groups["ungrouped"]
	if all == nil || ungrouped == nil {
		t.Fatal("all or ungrouped missing")
	}
	if len(all.Hosts) != 0 {
		t.Fatalf("all holds hosts directly after reconciling: %d", len(all.Hosts))
	}
	for name, g := range inv.Groups {
		if g.Name != name {
			t.Fatalf("group %q is stored as %q", g.Name, name)
		}
		for _, h := range g.Hosts {
			if inv.Hosts[h] == nil {
				t.Fatalf("group %q lists host %q the inventory does not hold", name, h)
			}
		}
		for _, c := range g.Children {
			if inv.Groups[c] == nil {
				t.Fatalf("group %q lists child %q the inventory does not hold", name, c)
			}
		}
	}
	for name, h := range inv.Hosts {
		if h.Name != name {
			t.Fatalf("host %q is stored as %q", h.Name, name)
		}
	}
}
