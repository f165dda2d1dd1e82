package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/zktest"
)

// TestRulesRecorded: the rules an import used are recorded with the
// inventory and named in its summary; --check under other rules fails
// with the reason even when the graphs agree; an import under other rules
// warns and records the new ones; a plain source reads alike under both.
func TestRulesRecorded(t *testing.T) {
	zk := zktest.Shared(t)
	env := zkEnv(zk.Addr, zktest.UniqueRoot(t))
	src := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(src, []byte("[web]\nw1 port=80\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	r := mustImport(t, env, "--ansible-version", "2.16.3", src)
	if !strings.Contains(string(r.stderr), "under Ansible 2.14 rules") {
		t.Errorf("import summary does not name the rules:\n%s", r.stderr)
	}
	check := func(want int, extraEnv []string, args ...string) result {
		t.Helper()
		r := run(t, t.TempDir(), append(env, extraEnv...), kookImport, append([]string{"--check", "--prune"}, append(args, src)...)...)
		if r.code != want {
			t.Errorf("kook-import --check %v (%v): exit %d, want %d\n%s%s", args, extraEnv, r.code, want, r.stdout, r.stderr)
		}
		return r
	}
	check(0, nil, "--ansible-version", "2.14")
	check(0, []string{"KOOK_ANSIBLE_VERSION=2.18"})
	r = check(1, nil) // the default is 2.19
	if !strings.Contains(string(r.stdout), "~ reading rules: Ansible 2.14 rules recorded, Ansible 2.19 rules used now") ||
		!strings.Contains(string(r.stderr), "imported under Ansible 2.14 rules, checked under Ansible 2.19 rules") {
		t.Errorf("--check under other rules does not say why it fails:\n%s%s", r.stdout, r.stderr)
	}
	// The flag wins over the environment.
	check(0, []string{"KOOK_ANSIBLE_VERSION=2.19"}, "--ansible-version", "2.14")

	r = mustImport(t, env, src)
	if !strings.Contains(string(r.stderr), "warning: ") || !strings.Contains(string(r.stderr), "was imported under Ansible 2.14 rules; this import reads the sources under Ansible 2.19 rules") {
		t.Errorf("import under other rules does not warn:\n%s", r.stderr)
	}
	check(0, nil)
	check(1, nil, "--ansible-version", "2.14")

	// The config file's ansible_version: comes last.
	cfg := filepath.Join(t.TempDir(), "kook.yml")
	if err := os.WriteFile(cfg, []byte("ansible_version: \"2.15\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	check(1, []string{"KOOK_CONFIG=" + cfg})
	check(0, []string{"KOOK_CONFIG=" + cfg, "KOOK_ANSIBLE_VERSION=2.20"})
}

// TestRulesBadVersion: a version that names no rule set is refused by
// every command, as a usage error when it is a flag.
func TestRulesBadVersion(t *testing.T) {
	src := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(src, []byte("[web]\nw1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		env  []string
		bin  string
		args []string
		code int
	}{
		{nil, kookImport, []string{"--ansible-version", "2.9", "--output", "json", src}, 2},
		{nil, kookImport, []string{"--ansible-version", "latest", "--check", src}, 2},
		{[]string{"KOOK_ANSIBLE_VERSION=2.13"}, kookImport, []string{"--output", "json", src}, 1},
		{nil, kookInvent, []string{"--ansible-version", "banana", "--list"}, 2},
		{[]string{"KOOK_ANSIBLE_VERSION=2.1", "KOOK_ZK=127.0.0.1:1"}, kookInvent, []string{"--list"}, 1},
	} {
		r := run(t, t.TempDir(), tt.env, tt.bin, tt.args...)
		if r.code != tt.code || len(r.stdout) != 0 || !strings.Contains(string(r.stderr), "ansible version") {
			t.Errorf("%s %v %v: exit %d, want %d and a message\nstdout: %s\nstderr: %s", filepath.Base(tt.bin), tt.env, tt.args, r.code, tt.code, r.stdout, r.stderr)
		}
	}
}

// TestRulesOutputWithoutZooKeeper: --output reads with the rules the
// environment names, without any ZooKeeper configured.
func TestRulesOutputWithoutZooKeeper(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hosts.ini"), []byte("[web]\nw1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, t.TempDir(), []string{"KOOK_ANSIBLE_VERSION=2.14"}, kookImport, "--output", "json", dir)
	if r.code == 0 || !strings.Contains(string(r.stderr), "hosts.ini") {
		t.Errorf("2.14 rules read an .ini file inside a directory: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, t.TempDir(), []string{"KOOK_ANSIBLE_VERSION=2.19"}, kookImport, "--output", "json", dir)
	if r.code != 0 || !strings.Contains(string(r.stdout), `"w1"`) {
		t.Errorf("2.19 rules did not read hosts.ini: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
