package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
)

const coordInventory = `[web]
w1
w2
w3

[db]
d1
`

// listGroups runs kook-inventory --list and returns its groups' hosts
// and its hostvars.
func listGroups(t *testing.T, env []string, args ...string) (map[string][]string, map[string]map[string]any, []byte) {
	t.Helper()
	r := run(t, t.TempDir(), env, kookInvent, append([]string{"--list"}, args...)...)
	if r.code != 0 || len(r.stderr) > 0 {
		t.Fatalf("--list: exit %d\n%s", r.code, r.stderr)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(r.stdout, &doc); err != nil {
		t.Fatal(err)
	}
	groups := map[string][]string{}
	var meta struct {
		Hostvars map[string]map[string]any `json:"hostvars"`
	}
	for name, raw := range doc {
		if name == "_meta" {
			json.Unmarshal(raw, &meta)
			continue
		}
		var g struct {
			Hosts []string `json:"hosts"`
		}
		json.Unmarshal(raw, &g)
		groups[name] = g.Hosts
	}
	return groups, meta.Hostvars, r.stdout
}

// TestCoordVisibleToAnsible: locks and maintenance show in --list as the
// groups and host vars a play can use, an inventory that never used them
// prints what it printed before, the cache follows every change, and the
// names are reserved.
func TestCoordVisibleToAnsible(t *testing.T) {
	needAnsible(t)
	zk := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := append(zkEnv(zk.Addr, root), "XDG_CACHE_HOME="+filepath.Join(t.TempDir(), "cache"))
	mustImport(t, env, writeTemp(t, "inv.ini", []byte(coordInventory)))

	_, _, before := listGroups(t, env, "--no-cache")
	if bytes.Contains(before, []byte("kook_")) {
		t.Fatalf("an inventory that never used coordination shows it:\n%s", before)
	}
	if _, _, cached := listGroups(t, env); !bytes.Equal(cached, before) {
		t.Fatalf("--list through the cache differs:\n%s\nwant:\n%s", cached, before)
	}

	if r := run(t, t.TempDir(), env, kookBin, "maint", "on", "w2", "--reason", "disk swap"); r.code != 0 {
		t.Fatalf("maint on: exit %d\n%s", r.code, r.stderr)
	}
	// The play's pattern, run by Ansible while w1 is locked.
	r := run(t, t.TempDir(), env, kookBin, "lock", "w1", "--reason", "deploy", "--",
		"ansible", "-i", kookInvent, "web:!kook_locked:!kook_maintenance", "--list-hosts")
	if r.code != 0 {
		t.Fatalf("kook lock -- ansible: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := strings.Fields(string(r.stdout)); !slices.Equal(got, []string{"hosts", "(1):", "w3"}) {
		t.Fatalf("ansible web:!kook_locked:!kook_maintenance listed %q, want only w3", got)
	}

	// An import with --prune, and --check, leave the state alone.
	mustImport(t, env, "--prune", writeTemp(t, "inv.ini", []byte(coordInventory)))
	if r := run(t, t.TempDir(), env, kookImport, "--check", "--prune", writeTemp(t, "inv.ini", []byte(coordInventory))); r.code != 0 {
		t.Fatalf("--check --prune with state present: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	groups, vars, _ := listGroups(t, env)
	if !slices.Equal(groups["kook_maintenance"], []string{"w2"}) || len(groups["kook_locked"]) != 0 {
		t.Fatalf("after the lock: kook_maintenance %v, kook_locked %v", groups["kook_maintenance"], groups["kook_locked"])
	}
	if m, _ := vars["w2"]["kook_maintenance"].(map[string]any); m["reason"] != "disk swap" || m["until"] != nil {
		t.Fatalf("w2's kook_maintenance = %v", vars["w2"]["kook_maintenance"])
	}

	// A lock held by a process in the background: exit 3 for the next.
	bg := exec.Command(kookBin, "lock", "d1", "--reason", "backup", "--", "sleep", "60")
	bg.Env = append(baseEnv(t), env...)
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	waitLocked(t, env, "d1")
	groups, vars, _ = listGroups(t, env)
	if !slices.Equal(groups["kook_locked"], []string{"d1"}) {
		t.Fatalf("kook_locked = %v, want [d1]", groups["kook_locked"])
	}
	if l, _ := vars["d1"]["kook_lock"].(map[string]any); l["reason"] != "backup" || l["owner"] == "" || l["since"] == "" {
		t.Fatalf("d1's kook_lock = %v", vars["d1"]["kook_lock"])
	}
	for _, args := range [][]string{{"lock", "d1", "--", "true"}, {"lock", "--wait", "100ms", "--group", "db", "--", "true"}} {
		r := run(t, t.TempDir(), env, kookBin, args...)
		if r.code != 3 || !bytes.Contains(r.stderr, []byte("backup")) {
			t.Fatalf("kook %s: exit %d, want 3 naming the holder\n%s", strings.Join(args, " "), r.code, r.stderr)
		}
	}
	// ^C or a service stop reaches the command; kook exits as it did.
	bg.Process.Signal(syscall.SIGTERM)
	bg.Wait()
	if code := bg.ProcessState.ExitCode(); code != 128+int(syscall.SIGTERM) {
		t.Fatalf("kook lock after SIGTERM: exit %d, want %d", code, 128+int(syscall.SIGTERM))
	}

	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"lock", "w1", "--", "sh", "-c", "exit 7"}, 7},
		{[]string{"lock", "w1"}, 2},
		{[]string{"lock", "w1", "--group", "web", "--", "true"}, 2},
		{[]string{"lock", "nope", "--", "true"}, 1},
		{[]string{"unlock", "w1"}, 2},
		{[]string{"maint", "on", "w1"}, 2},
		{[]string{"maint", "on", "w1", "--reason", "x", "--until", "-1h"}, 2},
	} {
		if r := run(t, t.TempDir(), env, kookBin, c.args...); r.code != c.code {
			t.Errorf("kook %s: exit %d, want %d\n%s", strings.Join(c.args, " "), r.code, c.code, r.stderr)
		}
	}
	// --group G takes G and the groups below it.
	r = run(t, t.TempDir(), env, kookBin, "lock", "--group", "all", "--", kookBin, "locks", "--json")
	if r.code != 0 || bytes.Count(r.stdout, []byte("\n")) != 4 {
		t.Fatalf("kook lock --group all -- kook locks: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A cached answer is not served past the earliest until it shows.
	until := time.Now().Add(5 * time.Second).UTC().Format(time.RFC3339)
	if r := run(t, t.TempDir(), env, kookBin, "maint", "on", "w3", "--reason", "short", "--until", until); r.code != 0 {
		t.Fatalf("maint on --until: exit %d\n%s", r.code, r.stderr)
	}
	if groups, _, _ = listGroups(t, env); !slices.Contains(groups["kook_maintenance"], "w3") {
		t.Fatalf("kook_maintenance = %v, want w3 until %s", groups["kook_maintenance"], until)
	}
	end, _ := time.Parse(time.RFC3339, until)
	time.Sleep(time.Until(end) + 100*time.Millisecond)
	if groups, _, _ = listGroups(t, env); slices.Contains(groups["kook_maintenance"], "w3") {
		t.Fatalf("kook_maintenance = %v after w3's until passed (the cached answer was served)", groups["kook_maintenance"])
	}

	if r := run(t, t.TempDir(), env, kookBin, "maint", "off", "w2"); r.code != 0 {
		t.Fatalf("maint off: exit %d\n%s", r.code, r.stderr)
	}
	run(t, t.TempDir(), env, kookBin, "maint", "off", "w3")
	// Once used, the groups stay, empty, so patterns never warn.
	groups, _, _ = listGroups(t, env)
	for _, g := range []string{"kook_locked", "kook_maintenance", "kook_alive"} {
		if h, ok := groups[g]; !ok || len(h) != 0 {
			t.Errorf("group %s = %v (present %v), want present and empty", g, h, ok)
		}
	}
	// State, not inventory: not exported, and an import may not define it.
	exp := run(t, t.TempDir(), env, kookInvent, "--export")
	if exp.code != 0 || bytes.Contains(exp.stdout, []byte("kook_")) {
		t.Fatalf("--export: exit %d, shows state:\n%s", exp.code, exp.stdout)
	}
	for _, src := range []string{"[kook_locked]\nw1\n", "w1 kook_lock=1\n", "[web]\nw1\n[web:vars]\nkook_maintenance=yes\n"} {
		r := run(t, t.TempDir(), env, kookImport, writeTemp(t, "bad.ini", []byte(src)))
		if r.code == 0 || !bytes.Contains(r.stderr, []byte("reserved")) {
			t.Errorf("import of %q: exit %d, want a refusal naming the reserved name\n%s", src, r.code, r.stderr)
		}
	}
	if again := run(t, t.TempDir(), env, kookInvent, "--export"); !bytes.Equal(again.stdout, exp.stdout) {
		t.Fatalf("a refused import changed the inventory")
	}
}

// waitLocked waits until host's lock is held.
func waitLocked(t *testing.T, env []string, host string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r := run(t, t.TempDir(), env, kookBin, "locks", "--json")
		if bytes.Contains(r.stdout, []byte(`"host":"`+host+`"`)) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s not locked within 30s", host)
}

// TestWatchGroupAndCommand: kook watch --group G -- CMD runs CMD once per
// change about G's hosts, with the change on its stdin.
func TestWatchGroupAndCommand(t *testing.T) {
	zk := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := append(baseEnv(t), append(zkEnv(zk.Addr, root), "XDG_CACHE_HOME="+filepath.Join(t.TempDir(), "cache"))...)
	mustImport(t, env, writeTemp(t, "inv.ini", []byte(coordInventory)))
	out := filepath.Join(t.TempDir(), "events")
	w := exec.Command(kookBin, "watch", "--group", "db", "--", "sh", "-c", "cat >> "+out)
	w.Env = env
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { w.Process.Kill(); w.Wait() }()
	// The watch reports changes from when it has read the state once:
	// until a first event shows up, keep making one.
	deadline := time.Now().Add(30 * time.Second)
	for {
		run(t, t.TempDir(), env, kookBin, "maint", "on", "d1", "--reason", "probe")
		run(t, t.TempDir(), env, kookBin, "maint", "off", "d1")
		if b, _ := os.ReadFile(out); len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("kook watch ran no command within 30s")
		}
	}
	time.Sleep(200 * time.Millisecond)
	os.Remove(out)
	for _, args := range [][]string{{"lock", "w1", "--", "true"}, {"maint", "on", "w2", "--reason", "x"}, {"maint", "on", "d1", "--reason", "disk"}} {
		if r := run(t, t.TempDir(), env, kookBin, args...); r.code != 0 {
			t.Fatalf("kook %v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, _ := os.ReadFile(out); len(b) > 0 {
			break
		}
	}
	time.Sleep(500 * time.Millisecond) // anything about w1 or w2 would be here by now
	b, _ := os.ReadFile(out)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"event":"maint_on","host":"d1"`) || !strings.Contains(lines[0], `"reason":"disk"`) {
		t.Fatalf("commands got:\n%s\nwant one maint_on of d1", b)
	}
}
