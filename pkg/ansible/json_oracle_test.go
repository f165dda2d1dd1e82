package ansible_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/ansible"
)

// standIn is an inventory script that serves the document stored next to
// it, as the corpus oracle did: the document for --list, its
// _meta.hostvars[H] (or {}) for --host H.
const standIn = `#!/usr/bin/env python3
import json, sys
doc = open(sys.argv[0] + '.json', encoding='utf-8').read()
if sys.argv[1] == '--list':
    sys.stdout.write(doc)
else:
    hv = json.loads(doc).get('_meta', {}).get('hostvars', {})
    print(json.dumps(hv.get(sys.argv[2], {})))
`

// ansibleScript serves doc to ansible-inventory through the script plugin
// and returns what it prints with args (--list, --list --export), or
// skips the test when Ansible is not installed or -short is given.
func ansibleScript(t *testing.T, doc []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs ansible-inventory; skipped with -short")
	}
	bin := testutil.AnsibleInventory(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "inv.py")
	if err := os.WriteFile(script, []byte(standIn), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script+".json", doc, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"-i", script}, args...)...)
	cmd.Dir = dir // no group_vars/ in the cwd
	cmd.Env = append(os.Environ(),
		"ANSIBLE_INVENTORY_ENABLED=script", "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_LOCAL_TEMP="+dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// TestWriteJSONAnsible is the writer's contract: for every source of the
// corpus that Ansible accepted, Ansible reading what WriteJSON wrote for
// it prints what it printed for the source, with and without --export.
// The source is read from Ansible's own --export output, which is known to
// describe it fully.
func TestWriteJSONAnsible(t *testing.T) {
	corpus := testutil.Corpus()
	if corpus == "" {
		t.Skip("real-world corpus not present")
	}
	for _, c := range testutil.Cases(corpus, 2) {
		if c.Export == "" || c.List == "" {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			export, err := os.ReadFile(c.Export)
			if err != nil {
				t.Fatal(err)
			}
			inv, err := ansible.ParseJSON(c.Export, export, ansible.ReadOptions{Rules: ansible.Rules214})
			if err != nil {
				t.Fatal(err)
			}
			inv.Reconcile()
			var doc bytes.Buffer
			if err := ansible.WriteJSON(&doc, inv); err != nil {
				t.Fatal(err)
			}
			for _, x := range []struct {
				want string
				args []string
			}{{c.Export, []string{"--list", "--export"}}, {c.List, []string{"--list"}}} {
				got, stderr, err := ansibleScript(t, doc.Bytes(), x.args...)
				if err != nil {
					t.Fatalf("ansible-inventory %s: %v\n%s\ndocument:\n%s", strings.Join(x.args, " "), err, stderr, doc.Bytes())
				}
				want, err := os.ReadFile(x.want)
				if err != nil {
					t.Fatal(err)
				}
				diff, err := testutil.JSONDiff(want, []byte(got))
				if err != nil {
					t.Fatal(err)
				}
				if diff != "" {
					t.Errorf("ansible-inventory %s differs (-source +kook):\n%s\ndocument:\n%s", strings.Join(x.args, " "), diff, doc.Bytes())
				}
			}
		})
	}
}
