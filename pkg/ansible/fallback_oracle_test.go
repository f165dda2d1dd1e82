package ansible_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/pkg/ansible"
)

// fallbackCase is one input on one of the paths between readings (yaml
// then ini, script output then yaml then ini, the entries of a directory)
// with what kook must do about it.
type fallbackCase struct {
	name  string
	files map[string]string // relative path: content; a name ending in "*" is made executable
	src   string            // the source given, relative
	skip  bool              // read with SkipUnparsed
	// want: "same" (kook reads what Ansible reads), "refused" (kook
	// refuses, naming the plugins Ansible names in its warnings), or
	// "refused-beyond" (Ansible reads the file, kook cannot and says so).
	want string
}

var fallbackCases = []fallbackCase{
	// yaml then ini
	{name: "yaml accepted", files: map[string]string{"hosts.yml": "all:\n  children:\n    web:\n      hosts:\n        w1: {p: 1}\n"}, src: "hosts.yml", want: "same"},
	{name: "ini after yaml fails", files: map[string]string{"hosts": "[web]\nw1 p=1\n[db:children]\nweb\n"}, src: "hosts", want: "same"},
	{name: "ini in a .yml", files: map[string]string{"hosts.yml": "[web]\nw1\n"}, src: "hosts.yml", want: "same"},
	{name: "yaml tab", files: map[string]string{"bad.yml": "all:\n  hosts:\n\ta: 1\n"}, src: "bad.yml", want: "refused"},
	{name: "yaml unclosed flow", files: map[string]string{"bad.yml": "all:\n  hosts: [a, b\n"}, src: "bad.yml", want: "refused"},
	{name: "bad yaml inventory", files: map[string]string{"bad.yml": "web:\n  hosts:\n    a:\ndb:\n  hosts: 5\n"}, src: "bad.yml", want: "refused"},
	{name: "bad ini without extension", files: map[string]string{"hosts": "[web\nw1\n"}, src: "hosts", want: "refused"},
	// script output, then yaml, then ini (a .json file)
	{name: "json yaml inventory", files: map[string]string{"inv.json": `{"all": {"children": {"web": {"hosts": {"h1": {"a": 1}}}}}}`}, src: "inv.json", want: "same"},
	{name: "ini in a .json", files: map[string]string{"inv.json": "[web]\nw1\n"}, src: "inv.json", want: "same"},
	{name: "json nothing reads", files: map[string]string{"inv.json": "{\"g\": {\n\"hosts\": 1}}"}, src: "inv.json", want: "refused"},
	// directory entries
	{name: "dir readme refused", files: map[string]string{"inv/hosts.yml": "all:\n  hosts:\n    web1:\n", "inv/README": "Inventory\n=========\n\nThis is the inventory of prod.\n"}, src: "inv", want: "refused"},
	{name: "dir readme skipped", files: map[string]string{"inv/hosts.yml": "all:\n  hosts:\n    web1:\n", "inv/README": "Inventory\n=========\n\nThis is the inventory of prod.\n"}, src: "inv", skip: true, want: "same"},
	{name: "dir markdown readme skipped", files: map[string]string{"inv/hosts": "[web]\nw1\n", "inv/README": "# Prod\n\nRun `ansible-playbook site.yml`.\n"}, src: "inv", skip: true, want: "same"},
	{name: "dir bad yaml skipped", files: map[string]string{"inv/a.yml": "all:\n  hosts: [a, b\n", "inv/b": "[web]\nw1\n"}, src: "inv", skip: true, want: "same"},
	{name: "dir yaml half read skipped", files: map[string]string{"inv/a.yml": "web:\n  hosts:\n    a:\n  vars:\n    x: 1\ndb:\n  hosts: 5\n", "inv/b": "[web]\nw1\n"}, src: "inv", skip: true, want: "same"},
	{name: "dir ini half read skipped", files: map[string]string{"inv/a": "[web]\nw1 x=1\n[db]\nd1\nthis is no host line\n", "inv/b.yml": "all:\n  hosts:\n    z:\n"}, src: "inv", skip: true, want: "same"},
	{name: "dir kook limit not skipped", files: map[string]string{"inv/a": "h v=99999999999999999999\n", "inv/b": "[web]\nw1\n"}, src: "inv", skip: true, want: "refused-beyond"},
	{name: "dir script refused", files: map[string]string{"inv/ec2.py*": "#!/bin/sh\necho '{\"web\": [\"w9\"]}'\n", "inv/b": "[web]\nw1\n"}, src: "inv", skip: true, want: "refused-beyond"},
	// A top-level source no reading accepts is refused even so: Ansible
	// would import nothing in its place.
	{name: "top-level not skipped", files: map[string]string{"bad.yml": "all:\n  hosts: [a, b\n"}, src: "bad.yml", skip: true, want: "refused"},
}

// TestFallbacksAnsible runs each path between readings against the real
// ansible-inventory (2.14, and 2.19 where installed): where kook reads a
// source, Ansible reads the same inventory (with the same warnings for a
// skipped file); where kook refuses, its error names each plugin Ansible's
// warnings name, each at its line, or says that kook cannot reproduce what
// Ansible reads.
func TestFallbacksAnsible(t *testing.T) {
	bins := map[ansible.Rules]string{ansible.Rules214: testutil.AnsibleInventory(t)}
	if b := testutil.Ansible219(); b != "" {
		bins[ansible.Rules219] = b
	} else {
		t.Error("ansible-core 2.19 is not installed (make deps installs it): only 2.14 is checked")
	}
	for rules, bin := range bins {
		for _, c := range fallbackCases {
			t.Run(string(rules)+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				checkFallback(t, rules, bin, c)
			})
		}
	}
}

func checkFallback(t *testing.T, rules ansible.Rules, bin string, c fallbackCase) {
	dir := t.TempDir()
	for name, content := range c.files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, "*") {
			name, mode = strings.TrimSuffix(name, "*"), 0o755
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	src := filepath.Join(dir, c.src)
	var warnings []string
	inv, err := ansible.Read([]string{src}, "", ansible.ReadOptions{Rules: rules, SkipUnparsed: c.skip,
		Warn: func(m string) { warnings = append(warnings, m) }})
	aout, aerr := ansibleListFile(t, bin, dir, src)
	// Ansible wraps its warnings anywhere, paths included: compare
	// without whitespace.
	flat := squeeze(aerr)
	switch c.want {
	case "same":
		if err != nil {
			t.Fatalf("kook refused what Ansible reads: %v\nAnsible printed:\n%s", err, aout)
		}
		var doc bytes.Buffer
		if err := ansible.WriteJSON(&doc, inv); err != nil {
			t.Fatal(err)
		}
		got := ansibleListScript(t, bin, dir, doc.Bytes())
		if diff, err := testutil.JSONDiff([]byte(aout), []byte(got)); err != nil || diff != "" {
			t.Errorf("kook's inventory differs from Ansible's (-ansible +kook):\n%s%v", diff, err)
		}
		// Each warning a skipped file gives is one Ansible gives.
		for _, w := range warnings {
			if !strings.Contains(w, "Failed to parse") && !strings.HasPrefix(w, "Unable to parse") {
				continue
			}
			head := w
			if i := strings.Index(w, " plugin"); i >= 0 && strings.Contains(w, "Failed to parse") {
				head = w[:i+len(" plugin")]
			}
			head = strings.TrimPrefix(head, "* ")
			if !strings.Contains(flat, squeeze(head)) {
				t.Errorf("kook warns %q; Ansible's warnings have no %q:\n%s", w, head, aerr)
			}
		}
		if c.skip && len(warnings) == 0 {
			t.Errorf("no warning for the skipped file; Ansible's:\n%s", aerr)
		}
	case "refused":
		var ue *ansible.UnparsedError
		if !errors.As(err, &ue) {
			t.Fatalf("kook gives %v, want an *UnparsedError; Ansible printed:\n%s\n%s", err, aout, aerr)
		}
		if !strings.Contains(flat, "Unabletoparse") {
			t.Errorf("Ansible parsed what kook refuses:\n%s\n%s", aout, aerr)
		}
		for _, f := range ue.Failures {
			var e *ansible.Error
			if !errors.As(f.Err, &e) || e.Line == 0 {
				t.Errorf("%s plugin's failure has no line: %v", f.Plugin, f.Err)
			}
			if f.Plugin == "script output" {
				continue
			}
			if !regexp.MustCompile(`Failedtoparse(\S+with)?'?` + f.Plugin + `'?plugin`).MatchString(flat) {
				t.Errorf("kook's error names the %s plugin, Ansible's warnings do not:\n%s", f.Plugin, aerr)
			}
		}
	case "refused-beyond":
		if err == nil {
			t.Fatalf("kook read a file Ansible reads differently or runs; Ansible printed:\n%s", aout)
		}
		if strings.Contains(flat, squeeze("Unable to parse "+filepath.Join(dir, c.src))) {
			t.Errorf("Ansible could not parse the source either:\n%s", aerr)
		}
		if !strings.Contains(err.Error(), "kook") {
			t.Errorf("the error does not say kook cannot do this: %v", err)
		}
	default:
		t.Fatalf("bad want %q", c.want)
	}
}

func squeeze(s string) string { return strings.Join(strings.Fields(s), "") }

// ansibleListFile is `ansible-inventory -i src --list` run by bin in dir.
func ansibleListFile(t *testing.T, bin, dir, src string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, "-i", src, "--list")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ANSIBLE_NOCOLOR=1", "ANSIBLE_LOCAL_TEMP="+dir, "ANSIBLE_DEPRECATION_WARNINGS=false")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s -i %s: %v\n%s", bin, src, err, errb.String())
	}
	return out.String(), errb.String()
}

// ansibleListScript is what bin prints with --list for a script serving doc.
func ansibleListScript(t *testing.T, bin, dir string, doc []byte) string {
	t.Helper()
	sdir := filepath.Join(dir, ".kook-script")
	if err := os.MkdirAll(sdir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(sdir, "inv.py")
	if err := os.WriteFile(script, []byte(standIn), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script+".json", doc, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-i", script, "--list")
	cmd.Dir = sdir
	cmd.Env = append(os.Environ(), "ANSIBLE_INVENTORY_ENABLED=script", "ANSIBLE_NOCOLOR=1",
		"ANSIBLE_INVENTORY_UNPARSED_FAILED=true", "ANSIBLE_LOCAL_TEMP="+sdir, "ANSIBLE_DEPRECATION_WARNINGS=false")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s through a script: %v\n%s", bin, err, errb.String())
	}
	return out.String()
}
