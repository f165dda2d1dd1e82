package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/zktest"
)

// TestKookTypingFollowsRules: `kook host add h K=V...` types each value
// under the configured reading rules (--ansible-version, else
// KOOK_ANSIBLE_VERSION, else ansible_version: in the config file, else
// 2.19), so that Ansible of those rules reads through kook-inventory
// exactly what it reads from an INI file holding the line `h K=V...`.
// The values are ones 2.14 and 2.19 type differently: bytes (a plain
// string in 2.14, an unsafe one in 2.19), and complex numbers, Ellipsis
// sets and bytes inside containers, which 2.19 prints and 2.14 cannot (kook then refuses them as
// a usage error, writing nothing, where Ansible fails on the INI file).
func TestKookTypingFollowsRules(t *testing.T) {
	needAnsible219(t)
	zk := zktest.Shared(t)
	common := []string{"port=8080", "b=b'raw'", "t=(1, (2, 3))"}
	only219 := []string{"n=[1, b'x', {'k': b'v'}]", "c1=1j", "c2=-1.5+2j", "e=...", "s={3, 1, 2}", "deep=[..., 1j, set(), {8, 1, 16}]"}
	cfgFile := filepath.Join(t.TempDir(), "kook.yaml")
	if err := os.WriteFile(cfgFile, []byte("ansible_version: \"2.19.1\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		env   []string // beside KOOK_ZK and KOOK_ROOT
		flags []string // before the verb
		bin   func() string
		is219 bool
	}{
		{"flag 2.16", nil, []string{"--ansible-version", "2.16"}, func() string { return ansibleInv }, false},
		{"env 2.14", []string{"KOOK_ANSIBLE_VERSION=2.14"}, nil, func() string { return ansibleInv }, false},
		{"env 2.19", []string{"KOOK_ANSIBLE_VERSION=2.19"}, nil, func() string { return ansible219 }, true},
		{"config 2.19.1", []string{"KOOK_CONFIG=" + cfgFile}, nil, func() string { return ansible219 }, true},
		{"default", nil, nil, func() string { return ansible219 }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := append(zkEnv(zk.Addr, zktest.UniqueRoot(t)), c.env...)
			dir := t.TempDir()
			base := filepath.Join(dir, "base.ini")
			if err := os.WriteFile(base, []byte("[web]\nweb01 port=80\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			mustImport(t, env, append(append([]string{}, c.flags...), "--prune", base)...)

			assigns := common
			if c.is219 {
				assigns = append(append([]string{}, common...), only219...)
			} else {
				// 2.14 cannot print these: Ansible fails on the INI line,
				// kook refuses the argument and writes nothing.
				for _, a := range only219 {
					ini := writeINI(t, "[web]\nweb01 port=80\nnew01 "+iniWord(a)+"\n")
					if r := ansibleOnWith(t, c.bin(), ini, "--list"); r.code == 0 {
						t.Fatalf("ansible-inventory accepted %s under 2.14; the case is wrong:\n%s", a, r.stdout)
					}
					r := kookCmd(t, env, append(append([]string{}, c.flags...), "host", "add", "new01", "--group", "web", a)...)
					if r.code != 2 || len(r.stdout) != 0 || !strings.Contains(string(r.stderr), a) {
						t.Errorf("kook host add new01 %s under 2.14: exit %d, stdout %q, stderr %q; want exit 2 naming the argument", a, r.code, r.stdout, r.stderr)
					}
				}
			}
			mustKook(t, env, append(append(append([]string{}, c.flags...), "host", "add", "new01", "--group", "web"), assigns...)...)

			var words []string
			for _, a := range assigns {
				words = append(words, iniWord(a))
			}
			ini := writeINI(t, "[web]\nweb01 port=80\nnew01 "+strings.Join(words, " ")+"\n")
			want := ansibleOnWith(t, c.bin(), ini, "--list")
			got := run(t, t.TempDir(), env, c.bin(), "-i", kookInvent, "--list")
			if want.code != 0 || got.code != 0 {
				t.Fatalf("ansible-inventory: exit %d from the INI file, %d through kook-inventory\n%s\n%s", want.code, got.code, want.stderr, got.stderr)
			}
			assertSameJSON(t, "--list after kook host add vs the same INI line", want.stdout, got.stdout)
		})
	}
}

// writeINI writes text to a hosts.ini of its own and returns the path.
func writeINI(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hosts.ini")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
