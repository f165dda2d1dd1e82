package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/internal/zktest"
)

// kookCmd runs the kook binary; a write must exit 0 and print nothing on
// stdout.
func kookCmd(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return run(t, t.TempDir(), env, kookBin, args...)
}

func mustKook(t *testing.T, env []string, args ...string) {
	t.Helper()
	r := kookCmd(t, env, args...)
	if r.code != 0 || len(r.stdout) != 0 {
		t.Fatalf("kook %s: exit %d, stdout %q\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
}

// iniWord quotes a shell word for an INI host line (Python's shlex in
// POSIX mode), so that the INI file hands Ansible the same word kook got.
func iniWord(w string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w) + `"`
}

// TestKookSeenByAnsible: hosts and vars written with kook are what the
// real ansible-inventory reads through kook-inventory, and exactly what it
// reads from the INI file holding the same lines: groups, typed vars,
// removals.
func TestKookSeenByAnsible(t *testing.T) {
	needAnsible(t)
	zk := zktest.Shared(t)
	env := zkEnv(zk.Addr, zktest.UniqueRoot(t))
	demo := filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "demo.ini")
	mustImport(t, env, "--prune", demo)

	assigns := []string{"port=8080", "flag=True", "off=False", "name='8080'", "list=[1, 2]", "empty=",
		"words=two words", "ratio=1.50", "ip=10.0.0.9", "hex=0x1F", "nothing=None", "dict={'a': 1}"}
	mustKook(t, env, append([]string{"host", "add", "new01.example.com", "--group", "web", "--group", "db"}, assigns...)...)
	mustKook(t, env, "host", "add", "new02.example.com", "--group", "canary", "--create-groups", "tier=2")
	mustKook(t, env, "group", "add-child", "frontend", "canary")
	mustKook(t, env, "host", "set", "app01.example.com", "weight=11", "note=hello")
	mustKook(t, env, "host", "unset", "app01.example.com", "note")
	mustKook(t, env, "host", "rm", "web03.example.com")

	// The same changes, written as INI.
	ini := string(mustRead(t, demo))
	var words []string
	for _, a := range assigns {
		words = append(words, iniWord(a))
	}
	ini = strings.Replace(ini, "web[01:03].example.com\n", "web[01:02].example.com\nnew01.example.com "+strings.Join(words, " ")+"\n", 1)
	ini = strings.Replace(ini, "app01.example.com weight=10\n", "app01.example.com weight=11\n", 1)
	ini = strings.Replace(ini, "[db]\ndb01.example.com ansible_host=10.0.0.21 primary=True\n", "[db]\ndb01.example.com ansible_host=10.0.0.21 primary=True\nnew01.example.com\n", 1)
	ini = strings.Replace(ini, "[frontend:children]\nweb\napp\n", "[canary]\nnew02.example.com tier=2\n\n[frontend:children]\nweb\napp\ncanary\n", 1)
	dir := t.TempDir()
	iniPath := filepath.Join(dir, "hosts.ini")
	if err := os.WriteFile(iniPath, []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}

	want := ansibleOn(t, iniPath, "--list")
	got := run(t, t.TempDir(), env, ansibleInv, "-i", kookInvent, "--list")
	if want.code != 0 || got.code != 0 {
		t.Fatalf("ansible-inventory: exit %d from the INI file, %d through kook-inventory\n%s\n%s", want.code, got.code, want.stderr, got.stderr)
	}
	assertSameJSON(t, "--list after kook's changes vs the same INI", want.stdout, got.stdout)
	if strings.Contains(string(got.stdout), "web03.example.com") {
		t.Error("a removed host is still seen by Ansible")
	}

	// --effective is what ansible-inventory --host prints.
	for _, h := range []string{"new01.example.com", "new02.example.com", "app01.example.com"} {
		ans := run(t, t.TempDir(), env, ansibleInv, "-i", kookInvent, "--host", h)
		mine := kookCmd(t, env, "host", "show", h, "--effective")
		if mine.code != 0 {
			t.Fatalf("kook host show %s --effective: exit %d\n%s", h, mine.code, mine.stderr)
		}
		assertSameJSON(t, "kook host show --effective "+h, ans.stdout, mine.stdout)
	}
}

// TestKookListFilters: --group, --where and --format pick and print what
// the original Kook's filters did (a var matching a regex, per-host output
// through a template), judged on what Ansible itself reports: the hosts
// of the pattern and their effective vars.
func TestKookListFilters(t *testing.T) {
	needAnsible(t)
	zk := zktest.Shared(t)
	env := zkEnv(zk.Addr, zktest.UniqueRoot(t))
	demo := filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "demo.ini")
	mustImport(t, env, "--prune", demo)
	mustKook(t, env, "host", "set", "web02.example.com", "tier=2")
	mustKook(t, env, "group", "set", "app", "tier=2")

	r := run(t, t.TempDir(), env, ansibleInv, "-i", kookInvent, "--list")
	var list map[string]struct {
		Hosts    []string
		Children []string
	}
	var meta struct {
		Meta struct{ Hostvars map[string]map[string]any } `json:"_meta"`
	}
	if err := json.Unmarshal(r.stdout, &list); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(r.stdout, &meta); err != nil {
		t.Fatal(err)
	}
	var hostsOf func(g string) []string
	hostsOf = func(g string) []string {
		out := append([]string(nil), list[g].Hosts...)
		for _, c := range list[g].Children {
			out = append(out, hostsOf(c)...)
		}
		return out
	}
	// The oracle: Ansible's hosts of the pattern, its effective vars,
	// non-strings in their JSON form.
	expect := func(group, key, re string) []string {
		rx := regexp.MustCompile(re)
		seen := map[string]bool{}
		var out []string
		for _, h := range hostsOf(group) {
			v, ok := meta.Meta.Hostvars[h][key]
			if !ok || seen[h] {
				continue
			}
			s, isString := v.(string)
			if !isString {
				b, _ := json.Marshal(v)
				s = string(b)
			}
			if rx.MatchString(s) {
				seen[h] = true
				out = append(out, h+" "+s)
			}
		}
		sort.Strings(out)
		return out
	}
	for _, c := range []struct{ group, key, re string }{
		{"production", "tier", "^2$"},
		{"frontend", "http_port", "80"},
		{"all", "env", "^prod"},
		{"db", "primary", "true"},
		{"all", "ntp_servers", "ntp2"},
	} {
		r := kookCmd(t, env, "host", "list", "--group", c.group, "--where", c.key+"="+c.re,
			"--format", `{{.Name}} {{with $v := index .Effective "`+c.key+`"}}{{if eq (printf "%T" $v) "string"}}{{$v}}{{else}}{{json $v}}{{end}}{{end}}`)
		if r.code != 0 {
			t.Fatalf("kook host list: exit %d\n%s", r.code, r.stderr)
		}
		got := strings.Split(strings.TrimSpace(string(r.stdout)), "\n")
		if len(got) == 1 && got[0] == "" {
			got = nil
		}
		sort.Strings(got)
		want := expect(c.group, c.key, c.re)
		if len(want) == 0 {
			t.Fatalf("case %v selects nothing in Ansible's view: a useless case", c)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("host list --group %s --where %s=%s (-Ansible +kook):\n%s", c.group, c.key, c.re, d)
		}
	}
}
