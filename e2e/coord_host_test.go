package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
)

// TestCoordHostAnswer: kook-inventory --host H shows the state vars
// (kook_lock, kook_maintenance) exactly as --list puts them in
// _meta.hostvars, and Ansible sees them through either answer: through
// --list, and through --host when the script's --list has no _meta (then
// Ansible asks --host for every host).
func TestCoordHostAnswer(t *testing.T) {
	needAnsible(t)
	zk := zktest.Shared(t)
	env := append(zkEnv(zk.Addr, zktest.UniqueRoot(t)), "XDG_CACHE_HOME="+filepath.Join(t.TempDir(), "cache"))
	mustImport(t, env, writeTemp(t, "inv.ini", []byte("[web]\nw1 port=80\nw2\nw3 port=81\n\n[db]\nd1 role=main\n")))
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	for _, args := range [][]string{{"maint", "on", "w2", "--reason", "disk swap"}, {"maint", "on", "w3", "--reason", "kernel", "--until", until}} {
		if r := run(t, t.TempDir(), env, kookBin, args...); r.code != 0 {
			t.Fatalf("kook %v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	bg := exec.Command(kookBin, "lock", "d1", "--reason", "backup", "--", "sleep", "60")
	bg.Env = append(baseEnv(t), env...)
	if err := bg.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { bg.Process.Kill(); bg.Wait() }()
	waitLocked(t, env, "d1")

	_, hostvars, list := listGroups(t, env)
	for h, key := range map[string]string{"w2": "kook_maintenance", "w3": "kook_maintenance", "d1": "kook_lock"} {
		if _, ok := hostvars[h][key]; !ok {
			t.Fatalf("--list shows no %s for %s: the case tests nothing\n%s", key, h, list)
		}
	}
	for _, h := range []string{"w1", "w2", "w3", "d1", "nosuch"} {
		r := run(t, t.TempDir(), env, kookInvent, "--host", h)
		if r.code != 0 || len(r.stderr) != 0 {
			t.Fatalf("--host %s: exit %d\n%s", h, r.code, r.stderr)
		}
		want, err := json.Marshal(hostvars[h])
		if err != nil {
			t.Fatal(err)
		}
		if hostvars[h] == nil {
			want = []byte("{}")
		}
		assertSameJSON(t, "--host "+h+" vs --list's _meta.hostvars", want, r.stdout)
	}

	// Ansible through --list, and through --host alone.
	viaList := run(t, t.TempDir(), env, ansibleInv, "-i", kookInvent, "--host", "d1")
	if viaList.code != 0 {
		t.Fatalf("ansible-inventory --host d1: exit %d\n%s", viaList.code, viaList.stderr)
	}
	var d1 map[string]any
	if err := json.Unmarshal(viaList.stdout, &d1); err != nil {
		t.Fatal(err)
	}
	if l, _ := d1["kook_lock"].(map[string]any); l["reason"] != "backup" {
		t.Fatalf("ansible-inventory --host d1 through kook-inventory: kook_lock = %v", d1["kook_lock"])
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "inv")
	body := fmt.Sprintf("#!/bin/sh\ncase \"$1\" in\n--list) '%s' --list | python3 -c 'import json, sys; d = json.load(sys.stdin); d.pop(\"_meta\"); json.dump(d, sys.stdout)';;\n*) exec '%s' \"$@\";;\nesac\n", kookInvent, kookInvent)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"w2", "w3", "d1", "w1"} {
		want := run(t, t.TempDir(), env, ansibleInv, "-i", kookInvent, "--host", h)
		got := run(t, t.TempDir(), env, ansibleInv, "-i", script, "--host", h)
		if want.code != 0 || got.code != 0 {
			t.Fatalf("ansible-inventory --host %s: exit %d through --list, %d through --host\n%s\n%s", h, want.code, got.code, want.stderr, got.stderr)
		}
		assertSameJSON(t, "ansible-inventory --host "+h+": through kook-inventory --host vs --list", want.stdout, got.stdout)
	}
}
