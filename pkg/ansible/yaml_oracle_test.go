package ansible

import (
	"bytes"
	"github.com/kook-project/kook/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ansibleYAMLExport runs `ansible-inventory --list --export` on data saved
// alone in a fresh directory (so no group_vars/ is picked up), with only
// the yaml plugin enabled, and returns stdout and the warnings it printed
// (unwrapped). It skips the test when Ansible is missing or -short is set.
func ansibleYAMLExport(t *testing.T, data []byte) ([]byte, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs ansible-inventory; skipped with -short")
	}
	bin := testutil.AnsibleInventory(t)
	dir := t.TempDir()
	f := filepath.Join(dir, "inv.yml")
	if err := os.WriteFile(f, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-i", f, "--list", "--export")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_INVENTORY_ENABLED=yaml", "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_LOCAL_TEMP="+dir)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("ansible-inventory: %v\n%s", err, errb.String())
	}
	return out.Bytes(), strings.Join(strings.Fields(errb.String()), " ")
}

// TestParseYAMLAnsible compares ParseYAML with ansible-inventory on every
// testdata/inventories/yaml-*.yml case: same export view, and every kook
// warning printed by Ansible too.
func TestParseYAMLAnsible(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/inventories/yaml-*.yml")
	if len(files) == 0 {
		t.Fatal("no yaml-*.yml cases")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var warnings []string
			inv, err := ParseYAML("inv.yml", data, ReadOptions{Rules: Rules214, Warn: func(m string) { warnings = append(warnings, m) }})
			if err != nil {
				t.Fatal(err)
			}
			inv.Reconcile()
			out, stderr := ansibleYAMLExport(t, data)
			if diff := cmp.Diff(viewOfExportJSON(t, out), viewOf(inv), varsCmp); diff != "" {
				t.Errorf("export differs (-ansible +kook):\n%s", diff)
			}
			for _, w := range warnings {
				w = strings.Join(strings.Fields(w), " ")
				w = strings.ReplaceAll(w, "from inv.yml,", "from "+"")
				if !strings.Contains(stderr, strings.TrimSpace(w)) && !strings.Contains(w, "duplicate dict key") {
					t.Errorf("warning %q not printed by Ansible:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestWriteYAMLAnsible is the writer's contract checked against Ansible:
// ansible-inventory reading what WriteYAML wrote prints the inventory it
// was written from.
func TestWriteYAMLAnsible(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/inventories/yaml-*.yml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			inv, err := ParseYAML(f, data, ReadOptions{Rules: Rules214})
			if err != nil {
				t.Fatal(err)
			}
			inv.Reconcile()
			var buf bytes.Buffer
			if err := WriteYAML(&buf, inv); err != nil {
				t.Fatal(err)
			}
			out, _ := ansibleYAMLExport(t, buf.Bytes())
			if diff := cmp.Diff(viewOfExportJSON(t, out), viewOf(inv), varsCmp); diff != "" {
				t.Errorf("Ansible reads the written file differently (-ansible +kook):\n%s\n%s", diff, buf.String())
			}
		})
	}
}

// TestWriteYAMLValuesAnsible: Ansible reads the awkward values back with
// their types.
func TestWriteYAMLValuesAnsible(t *testing.T) {
	inv := yamlValuesInventory()
	var buf bytes.Buffer
	if err := WriteYAML(&buf, inv); err != nil {
		t.Fatal(err)
	}
	out, _ := ansibleYAMLExport(t, buf.Bytes())
	if diff := cmp.Diff(viewOfExportJSON(t, out), viewOf(inv), varsCmp); diff != "" {
		t.Errorf("(-ansible +kook):\n%s\n%s", diff, buf.String())
	}
}
