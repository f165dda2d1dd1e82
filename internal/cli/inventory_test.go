package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/cache"
)

// TestUnwrittenRoot: a root nothing was imported into (a mistyped
// KOOK_ROOT) is an error naming the root and the servers, for every answer;
// Ansible must not run a playbook against nothing.
func TestUnwrittenRoot(t *testing.T) {
	env, addr, root := zkRoot(t)
	noCache(t)
	for _, args := range [][]string{{"--list"}, {"--host", "h"}, {"--export"}, {"--list", "--no-cache"}} {
		r := runCmd(t, Inventory, env, "", args...)
		want := "kook-inventory: no kook inventory under " + root + " on ZooKeeper " + addr +
			": nothing was ever imported there; check --root, KOOK_ROOT or root: in the config file, or import an inventory there with kook-import\n"
		if r.code != 1 || r.stdout != "" || r.stderr != want {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and %q", args, r.code, r.stdout, r.stderr, want)
		}
	}
	r := mustRun(t, 0, Inventory, env, "", "--stat")
	if want := "servers     " + addr + "\nroot        " + root + "\ninventory   none: nothing was ever imported under this root\nversion     empty\n"; r.stdout != want {
		t.Errorf("--stat of an unwritten root:\n%s\nwant:\n%s", r.stdout, want)
	}
}

// TestDamagedCacheNotServed: a cache entry damaged on disk is dropped and
// the answer read from ZooKeeper.
func TestDamagedCacheNotServed(t *testing.T) {
	env, _, _ := zkRoot(t)
	cacheDir := noCache(t)
	mustRun(t, 0, Import, env, chainYAML, "-")
	want := mustRun(t, 0, Inventory, env, "", "--list").stdout
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "kook", "*.json"))
	if len(entries) != 1 {
		t.Fatalf("cache entries after --list: %v", entries)
	}
	data, err := os.ReadFile(entries[0])
	if err != nil {
		t.Fatal(err)
	}
	for name, damaged := range map[string][]byte{
		"truncated": data[:len(data)-20],
		"changed":   []byte(strings.Replace(string(data), `"h1"`, `"hX"`, 1)),
	} {
		if err := os.WriteFile(entries[0], damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		r := mustRun(t, 0, Inventory, env, "", "--list")
		if r.stdout != want || r.stderr != "" {
			t.Errorf("%s cache entry: served %q, stderr %q; want ZooKeeper's answer", name, r.stdout, r.stderr)
		}
		if !json.Valid([]byte(r.stdout)) {
			t.Errorf("%s cache entry: invalid JSON served", name)
		}
		// The entry was replaced by a good one, served as it is.
		if again, _ := os.ReadFile(entries[0]); string(again) != string(data) {
			t.Errorf("%s cache entry was not rewritten", name)
		}
	}
}

// TestGoodCacheServedExactly: an entry whose version is current is what
// --list prints, byte for byte, without reading the inventory: an answer
// kept under the current version (here one that differs from the
// inventory, which only the cache can hold) comes out as it was kept.
func TestGoodCacheServedExactly(t *testing.T) {
	env, addr, root := zkRoot(t)
	cacheDir := noCache(t)
	mustRun(t, 0, Import, env, chainYAML, "-")
	mustRun(t, 0, Inventory, env, "", "--list")
	entries, _ := filepath.Glob(filepath.Join(cacheDir, "kook", "*.json"))
	if len(entries) != 1 {
		t.Fatalf("cache entries after --list: %v", entries)
	}
	c := cache.At(filepath.Join(cacheDir, "kook"))
	e, ok := c.Get([]string{addr}, root)
	if !ok {
		t.Fatal("no cache entry for the root")
	}
	version := e.Version
	e.Close()
	kept := []byte("{\"_meta\": {\"hostvars\": {}}, \"all\": {\"children\": [\"ungrouped\"]}, \"marker\": \"\u00e9\"}\n")
	if err := c.Put([]string{addr}, root, version, kept); err != nil {
		t.Fatal(err)
	}
	if r := mustRun(t, 0, Inventory, env, "", "--list"); r.stdout != string(kept) || r.stderr != "" {
		t.Errorf("--list with a current cache entry printed %q, stderr %q; want the kept answer %q", r.stdout, r.stderr, kept)
	}
}

// TestStat: --stat says what the root holds, and its version is what
// exports carry.
func TestStat(t *testing.T) {
	env, addr, root := zkRoot(t)
	mustRun(t, 0, Import, env, chainYAML, "-")
	r := mustRun(t, 0, Inventory, env, "", "--stat")
	want := regexp.MustCompile(`^servers     ` + regexp.QuoteMeta(addr) + `
root        ` + regexp.QuoteMeta(root) + `
schema      \d+
generation  (g\d{10})
hosts       4
groups      5
version     (g\d{10})@0x[0-9a-f]+
$`)
	m := want.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != m[2] || r.stderr != "" {
		t.Errorf("--stat:\n%s\nstderr %q; want it to match\n%s", r.stdout, r.stderr, want)
	}
}

// TestInventoryUsageErrors: flags that cannot apply exit 2.
func TestInventoryUsageErrors(t *testing.T) {
	env := map[string]string{"KOOK_ZK": "127.0.0.1:1", "KOOK_CONFIG": writeFile(t, "kook.yml", "")}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "say what to print: --list, --host HOST, --export or --stat"},
		{[]string{"--list", "--format", "ini"}, "--format applies only to --export"},
		{[]string{"--host", "h", "--format", "yaml"}, "--format applies only to --export"},
		{[]string{"--stat", "--format", "json"}, "--format applies only to --export"},
		{[]string{"--stat", "--no-cache"}, "--no-cache cannot apply to --stat"},
		{[]string{"--list", "--timeout", "0"}, "--timeout 0s: give a time above zero"},
		{[]string{"--list", "--stat"}, "--list and --stat can't be used together"},
	} {
		r := runCmd(t, Inventory, env, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}
}

// TestChrootConnectString: KOOK_ZK may end in a chroot, as ZooKeeper's
// connect strings do; the inventory lives under chroot + root.
func TestChrootConnectString(t *testing.T) {
	env, addr, root := zkRoot(t)
	noCache(t)
	env["KOOK_ZK"] = addr + root
	env["KOOK_ROOT"] = "/inv"
	mustRun(t, 0, Import, env, "web1\n", "-")
	if h := load(t, addr, root+"/inv").Hosts["web1"]; h == nil {
		t.Fatalf("nothing under %s/inv", root)
	}
	r := mustRun(t, 0, Inventory, env, "", "--list")
	if !strings.Contains(r.stdout, `"web1"`) {
		t.Errorf("--list through the chroot: %s", r.stdout)
	}
}
