package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestImportSkipUnparsed: a directory holding a file no plugin reads (a
// README) fails the import, naming the file, each plugin's finding and
// that Ansible skips it; --skip-unparsed does what Ansible does, with its
// warnings, and prints the inventory Ansible prints for the directory;
// the flag is a usage error where it cannot apply.
func TestImportSkipUnparsed(t *testing.T) {
	needAnsible(t)
	dir := t.TempDir()
	inv := filepath.Join(dir, "inv")
	files := map[string]string{
		"hosts.yml": "all:\n  children:\n    web:\n      hosts:\n        web1:\n",
		"README":    "Inventory\n=========\n\nThis is the inventory of prod.\n",
	}
	if err := os.MkdirAll(inv, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(inv, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	r := run(t, dir, nil, kookImport, "--ansible-version", "2.14", "--output", "json", "inv")
	if r.code != 1 || len(r.stdout) != 0 {
		t.Fatalf("without --skip-unparsed: exit %d, stdout %q; want 1 and nothing", r.code, r.stdout)
	}
	for _, want := range []string{
		"inv/README: no inventory plugin can read this file",
		"* yaml plugin: inv/README:1: ",
		"* ini plugin: inv/README:4: Expected key=value host variable assignment, got: is",
		`Ansible warns "Unable to parse inv/README as an inventory source" and skips it`,
		"hosts =========, Inventory", "--skip-unparsed",
	} {
		if !strings.Contains(string(r.stderr), want) {
			t.Errorf("error lacks %q:\n%s", want, r.stderr)
		}
	}

	r = run(t, dir, nil, kookImport, "--ansible-version", "2.14", "--output", "json", "--skip-unparsed", "inv")
	if r.code != 0 {
		t.Fatalf("--skip-unparsed: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"warning: * Failed to parse inv/README with yaml plugin: ",
		"warning: * Failed to parse inv/README with ini plugin: inv/README:4: Expected key=value",
		"warning: Unable to parse inv/README as an inventory source",
	} {
		if !strings.Contains(string(r.stderr), want) {
			t.Errorf("warnings lack %q:\n%s", want, r.stderr)
		}
	}
	a := run(t, dir, nil, "ansible-inventory", "-i", "inv", "--list")
	e := run(t, dir, nil, "ansible-inventory", "-i", "inv", "--list", "--export")
	if a.code != 0 || e.code != 0 {
		t.Fatalf("ansible-inventory: exit %d, %d\n%s", a.code, e.code, a.stderr)
	}
	checkThroughAnsible(t, r.stdout, a.stdout, e.stdout)

	for _, args := range [][]string{
		{"--output", "json", "--skip-unparsed", "inv/hosts.yml"},
		{"--output", "json", "--skip-unparsed", "--format", "yaml", "inv"},
	} {
		r := run(t, dir, nil, kookImport, args...)
		if r.code != 2 || !strings.Contains(string(r.stderr), "--skip-unparsed") {
			t.Errorf("kook-import %v: exit %d, want 2 and a word on --skip-unparsed\n%s", args, r.code, r.stderr)
		}
	}
}
