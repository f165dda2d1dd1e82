package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook/store"
)

// zkEnv is the environment that points both binaries at a root.
func zkEnv(addr, root string) []string {
	return []string{"KOOK_ZK=" + addr, "KOOK_ROOT=" + root}
}

func mustImport(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := run(t, t.TempDir(), env, kookImport, args...)
	if r.code != 0 {
		t.Fatalf("kook-import %s: exit %d\n%s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

func openStore(t *testing.T, addr, root string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Servers: []string{addr}, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestImportServeCorpus: every accepted inventory of the corpus and of
// testdata, imported into a fresh root under each rule set (given through
// KOOK_ANSIBLE_VERSION), is what that Ansible reads back through
// kook-inventory, and --check then reports no drift.
func TestImportServeCorpus(t *testing.T) {
	needAnsible(t)
	zk := zktest.Shared(t)
	var cases []testutil.Case
	if corpus := testutil.Corpus(); corpus != "" {
		cases = testutil.Cases(corpus, 2)
	}
	for _, c := range testutil.Cases(filepath.Join(testutil.RepoRoot(), "testdata", "inventories"), 1) {
		c.Name = "testdata/" + c.Name
		cases = append(cases, c)
	}
	for _, rs := range ruleSets {
		for _, c := range cases {
			t.Run(rs.version+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				bin := rs.bin(t)
				own := c.List == "" && c.Error == ""
				if rs.version == "2.19" {
					c.List, c.Export, c.Error = c.List219, c.Export219, c.Error219
				}
				if c.Error != "" {
					t.Skip("Ansible rejects it; TestConformanceCorpus checks kook-import refuses it")
				}
				if own {
					// Our own cases: Ansible run live is the oracle.
					l, e, ok := oracleWith(t, bin, c.Path)
					if !ok {
						t.Skip("Ansible rejects it")
					}
					c.List, c.Export = writeTemp(t, "list.json", l), writeTemp(t, "export.json", e)
				}
				env := append(zkEnv(zk.Addr, zktest.UniqueRoot(t)), "KOOK_ANSIBLE_VERSION="+rs.version)
				mustImport(t, env, c.Path)

				dir := t.TempDir()
				l := run(t, dir, env, bin, "-i", kookInvent, "--list")
				if l.code != 0 {
					t.Fatalf("ansible-inventory -i kook-inventory --list: exit %d\n%s", l.code, l.stderr)
				}
				assertSameJSON(t, "--list through ZooKeeper", mustRead(t, c.List), l.stdout)
				if !carries(t, c.Path) {
					e := run(t, dir, env, bin, "-i", kookInvent, "--list", "--export")
					assertSameJSON(t, "--list --export through ZooKeeper", mustRead(t, c.Export), e.stdout)
				}

				for _, args := range [][]string{{"--check", c.Path}, {"--check", "--prune", c.Path}} {
					r := run(t, dir, env, kookImport, args...)
					if r.code != 0 {
						t.Errorf("kook-import %v after importing it: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
					}
				}
			})
		}
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

var demo = filepath.Join(testutil.RepoRoot(), "testdata", "inventories", "demo.ini")

// TestCheckAndPrune: --check notices a var changed through the Go API and
// names it; --prune removes what the sources lack and nothing else.
func TestCheckAndPrune(t *testing.T) {
	zk := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := zkEnv(zk.Addr, root)
	mustImport(t, env, demo)

	st := openStore(t, zk.Addr, root)
	if err := st.SetHostVar(context.Background(), "app01.example.com", "weight", int64(11)); err != nil {
		t.Fatal(err)
	}
	r := run(t, t.TempDir(), env, kookImport, "--check", demo)
	if r.code != 1 {
		t.Fatalf("--check after a change: exit %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(string(r.stdout), "app01.example.com") || !strings.Contains(string(r.stdout), "weight") {
		t.Errorf("--check does not name the changed var:\n%s%s", r.stdout, r.stderr)
	}

	// Something only ZooKeeper has: merge keeps it, --prune removes it.
	extra := writeTemp(t, "extra.ini", []byte("[canary]\ncanary01 track=beta\n"))
	mustImport(t, env, extra)
	mustImport(t, env, demo)
	inv, _, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if inv.Hosts["canary01"] == nil {
		t.Fatal("a merge import removed a host the sources lack")
	}
	mustImport(t, env, "--prune", demo)
	inv, _, err = st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := ansible.Read([]string{demo}, "", ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatal(err)
	}
	if diff := testutil.GraphDiff(want, inv); diff != "" {
		t.Errorf("after --prune ZooKeeper differs from the source (-want +got):\n%s", diff)
	}
	if r := run(t, t.TempDir(), env, kookImport, "--check", "--prune", demo); r.code != 0 {
		t.Errorf("--check --prune right after --prune: exit %d\n%s", r.code, r.stdout)
	}
}

// TestExportReimports: each export format of the live inventory checks
// clean against the same ZooKeeper.
func TestExportReimports(t *testing.T) {
	zk := zktest.Shared(t)
	env := zkEnv(zk.Addr, zktest.UniqueRoot(t))
	mustImport(t, env, demo)
	for _, format := range []string{"json", "yaml", "ini"} {
		r := run(t, t.TempDir(), env, kookInvent, "--export", "--format", format)
		if r.code != 0 || len(r.stderr) != 0 {
			t.Fatalf("--export --format %s: exit %d, stderr %q", format, r.code, r.stderr)
		}
		path := writeTemp(t, "export."+format, r.stdout)
		if c := run(t, t.TempDir(), env, kookImport, "--check", "--prune", "--format", format, path); c.code != 0 {
			t.Errorf("--check of the %s export: exit %d\n%s%s\nexport:\n%s", format, c.code, c.stdout, c.stderr, r.stdout)
		}
	}
}

// TestInventoryProtocol: stdout carries only JSON, stderr stays silent,
// an unknown host is {}, and the cache never serves a stale answer.
func TestInventoryProtocol(t *testing.T) {
	zk := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := append(zkEnv(zk.Addr, root), "XDG_CACHE_HOME="+t.TempDir())
	mustImport(t, env, demo)
	dir := t.TempDir()

	first := run(t, dir, env, kookInvent, "--list")
	if first.code != 0 || len(first.stderr) != 0 {
		t.Fatalf("--list: exit %d, stderr %q", first.code, first.stderr)
	}
	again := run(t, dir, env, kookInvent, "--list")
	if !bytes.Equal(first.stdout, again.stdout) || len(again.stderr) != 0 {
		t.Fatalf("--list from the cache differs or complains: %q", again.stderr)
	}
	entries, _ := filepath.Glob(filepath.Join(strings.TrimPrefix(env[len(env)-1], "XDG_CACHE_HOME="), "kook", "*.json"))
	if len(entries) != 1 {
		t.Errorf("cache entries under XDG_CACHE_HOME: %v, want one", entries)
	}

	st := openStore(t, zk.Addr, root)
	if err := st.SetHostVar(context.Background(), "web01.example.com", "http_port", int64(9090)); err != nil {
		t.Fatal(err)
	}
	after := run(t, dir, env, kookInvent, "--list")
	if !strings.Contains(string(after.stdout), "9090") {
		t.Errorf("--list after a write still serves the old inventory")
	}
	host := run(t, dir, env, kookInvent, "--host", "web01.example.com")
	assertSameJSON(t, "--host", []byte(`{"http_port": 9090}`), host.stdout)
	unknown := run(t, dir, env, kookInvent, "--host", "nosuchhost")
	if strings.TrimSpace(string(unknown.stdout)) != "{}" || unknown.code != 0 {
		t.Errorf("--host of an unknown host: exit %d, %q", unknown.code, unknown.stdout)
	}
}

// TestUnreachableZooKeeper: a dead ZooKeeper gives a clear error and a
// non-zero exit instead of a hang; with stale_ok the last answer is served
// with a note of its age.
func TestUnreachableZooKeeper(t *testing.T) {
	zk := zktest.Start(t)
	root := "/kook"
	cacheDir := t.TempDir()
	cfgPath := writeTemp(t, "kook.yml", []byte(fmt.Sprintf("hosts: %s\nroot: %s\ntimeout: 1s\nstale_ok: true\n", zk.Addr, root)))
	env := []string{"KOOK_CONFIG=" + cfgPath, "XDG_CACHE_HOME=" + cacheDir}
	mustImport(t, env, demo)
	fresh := run(t, t.TempDir(), env, kookInvent, "--list")
	if fresh.code != 0 {
		t.Fatalf("--list: %s", fresh.stderr)
	}
	zk.Kill()

	plainCfg := writeTemp(t, "plain.yml", []byte(fmt.Sprintf("hosts: %s\ntimeout: 1s\n", zk.Addr)))
	done := make(chan result, 1)
	go func() { done <- run(t, t.TempDir(), []string{"KOOK_CONFIG=" + plainCfg}, kookInvent, "--list") }()
	select {
	case r := <-done:
		if r.code == 0 || len(r.stdout) != 0 {
			t.Errorf("--list against a dead ZooKeeper: exit %d, stdout %q", r.code, r.stdout)
		}
		if !strings.Contains(string(r.stderr), "cannot reach ZooKeeper at "+zk.Addr) {
			t.Errorf("unclear error: %s", r.stderr)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("kook-inventory hung on a dead ZooKeeper")
	}

	stale := run(t, t.TempDir(), env, kookInvent, "--list")
	if stale.code != 0 || !bytes.Equal(stale.stdout, fresh.stdout) {
		t.Fatalf("stale_ok did not serve the cached inventory: exit %d\n%s", stale.code, stale.stderr)
	}
	if !strings.Contains(string(stale.stderr), "cached") {
		t.Errorf("stale answer without a note of its age: %q", stale.stderr)
	}
}

// TestRacingImports: two imports racing on the same hosts both end with
// success or a clear conflict, and the result is one of the two.
func TestRacingImports(t *testing.T) {
	zk := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := zkEnv(zk.Addr, root)
	a := writeTemp(t, "a.ini", []byte("[web]\nweb[01:50] color=blue\n[web:vars]\nside=a\n"))
	b := writeTemp(t, "b.ini", []byte("[web]\nweb[01:50] color=green\n[db]\nweb[01:05]\n[web:vars]\nside=b\n"))
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		results := make([]result, 2)
		for i, src := range []string{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = run(t, t.TempDir(), env, kookImport, "--prune", src)
			}()
		}
		wg.Wait()
		for i, r := range results {
			if r.code != 0 && !strings.Contains(string(r.stderr), "conflict") {
				t.Fatalf("round %d import %d: exit %d without a conflict message:\n%s", round, i, r.code, r.stderr)
			}
		}
		inv, _, err := openStore(t, zk.Addr, root).Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		matched := false
		for _, src := range []string{a, b} {
			want, err := ansible.Read([]string{src}, "", ansible.ReadOptions{Rules: ansible.Rules214})
			if err != nil {
				t.Fatal(err)
			}
			if testutil.GraphDiff(want, inv) == "" {
				matched = true
			}
		}
		if !matched {
			t.Fatalf("round %d: the final state is neither import", round)
		}
	}
}

// TestConcurrentFirstImports: twelve kook-imports of disjoint hosts into
// a fresh root, at once, as hosts registering at first boot do: every one
// succeeds and none is lost (they used to meet each other's half-made
// root and fail).
func TestConcurrentFirstImports(t *testing.T) {
	zk := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := zkEnv(zk.Addr, root)
	const n = 12
	srcs := make([]string, n)
	for i := range srcs {
		srcs[i] = writeTemp(t, fmt.Sprintf("h%d.ini", i), []byte(fmt.Sprintf("[boot%d]\nhost%02d-[1:3] n=%d\n", i%3, i, i)))
	}
	var wg sync.WaitGroup
	results := make([]result, n)
	for i, src := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = run(t, t.TempDir(), env, kookImport, src)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("import %d: exit %d:\n%s", i, r.code, r.stderr)
		}
	}
	inv, _, err := openStore(t, zk.Addr, root).Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		for j := 1; j <= 3; j++ {
			h := fmt.Sprintf("host%02d-%d", i, j)
			if inv.Hosts[h] == nil || !inv.Groups[fmt.Sprintf("boot%d", i%3)].HasHost(h) {
				t.Errorf("host %s lost", h)
			}
		}
	}
}

// TestKookArchive: the original Python Kook's dump imports and Ansible
// reads the result as kook-import's own translation of it.
func TestKookArchive(t *testing.T) {
	needAnsible(t)
	archive := testutil.KookArchive()
	if archive == "" {
		t.Skip("shared/inventories/kook-archive is not on this machine")
	}
	zk := zktest.Shared(t)
	env := zkEnv(zk.Addr, zktest.UniqueRoot(t))
	r := mustImport(t, env, archive)
	if !strings.Contains(string(r.stderr), "warning") {
		t.Errorf("no warning about the archive's disagreeing memberships:\n%s", r.stderr)
	}
	want := run(t, t.TempDir(), nil, kookImport, "--output", "json", archive)
	wantList := ansibleThroughScript(t, want.stdout, "--list")
	got := run(t, t.TempDir(), env, ansibleInv, "-i", kookInvent, "--list")
	if got.code != 0 {
		t.Fatalf("ansible-inventory: %s", got.stderr)
	}
	assertSameJSON(t, "archive through ZooKeeper", wantList.stdout, got.stdout)
	inv, err := ansible.ParseJSON("list", got.stdout, ansible.ReadOptions{Rules: ansible.Rules214})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(inv.Hosts); n != 20 {
		t.Errorf("Ansible sees %d hosts, the archive holds 20", n)
	}
}
