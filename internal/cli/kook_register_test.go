package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook/store"
)

// TestKookRegister: `kook register` with typed K=V, idempotent, groups
// created under all; a registrar identity files and kook-import or
// `kook register --apply` applies; bad usage exits 2.
func TestKookRegister(t *testing.T) {
	srv, op, reg, src := registrarRoot(t)
	for range 2 {
		code, out, errs := runEnv(Kook, op, "register", "db01", "--group", "db", "port=5432", "note=two words", "flag=True")
		if code != 0 || out != "" || !strings.Contains(errs, "registered db01") {
			t.Fatalf("register: %d %q %s", code, out, errs)
		}
	}
	st := openTestStore(t, srv.Addr, "admin:op-pw")
	inv, _, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	h := inv.Hosts["db01"]
	if h == nil || h.Vars["port"] != int64(5432) || h.Vars["note"] != "two words" || h.Vars["flag"] != true || !inv.Groups["db"].HasHost("db01") || !inv.Groups["all"].HasChild("db") {
		t.Fatalf("db01 after register: %+v", h)
	}
	if e, _ := st.Log(context.Background(), store.LogQuery{Host: "db01"}); len(e) != 1 {
		t.Errorf("a repeated register wrote again: %d entries", len(e))
	}

	if code, _, errs := runEnv(Kook, op, "register", "--open-queue"); code != 0 {
		t.Fatalf("--open-queue: %s", errs)
	}
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Go(func() {
			code, _, _ := runEnv(Kook, reg, "register", "boot0"+string(rune('0'+i)), "-g", "booted")
			codes[i] = code
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 0 {
			t.Errorf("registrar %d: exit %d", i, c)
		}
	}
	code, _, errs := runEnv(Kook, reg, "register", "boot09", "-g", "booted")
	if code != 0 || !strings.Contains(errs, "filed the registration of boot09") {
		t.Fatalf("registrar: %d %s", code, errs)
	}
	if code, _, errs := runEnv(Kook, reg, "register", "--apply"); code == 0 {
		t.Errorf("the registrar applied registrations: %s", errs)
	}
	// The next import applies all six; --apply then finds none.
	if code, _, errs := runEnv(Import, op, src); code != 0 || !strings.Contains(errs, "applied 6 filed registrations") {
		t.Fatalf("import applying: %d %s", code, errs)
	}
	if code, _, errs := runEnv(Kook, op, "register", "--apply"); code != 0 || !strings.Contains(errs, "applied 0 filed") {
		t.Errorf("--apply: %d %s", code, errs)
	}
	inv, _, _ = st.Load(context.Background())
	for _, h := range []string{"boot00", "boot04", "boot09"} {
		if !inv.Groups["booted"].HasHost(h) {
			t.Errorf("%s not registered", h)
		}
	}
	for _, args := range [][]string{{"register", "--apply", "h"}, {"register", "h", "novalue"}, {"register", "--open-queue", "-g", "x"}} {
		if code, _, _ := runEnv(Kook, op, args...); code != 2 {
			t.Errorf("kook %v: exit %d, want 2", args, code)
		}
	}
}

// registrarRoot starts a ZooKeeper of its own (digest ACLs on the root's
// parents would lock other tests out of the shared one) holding an
// inventory at /regtest imported from src, and returns the environments
// of the operator (full credentials; KOOK_REGISTRAR names the registrar)
// and of the registrar (boot:boot-pw).
func registrarRoot(t *testing.T) (srv *zktest.Server, op, reg map[string]string, src string) {
	t.Helper()
	srv = zktest.Start(t)
	dir := t.TempDir()
	conf := func(name, digest string) string {
		p := filepath.Join(dir, name)
		body := "hosts: " + srv.Addr + "\nroot: /regtest\ndigest: " + digest + "\n"
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	op = map[string]string{"KOOK_CONFIG": conf("op.yml", "admin:op-pw"), "XDG_CACHE_HOME": t.TempDir(), "KOOK_REGISTRAR": "boot:boot-pw"}
	reg = map[string]string{"KOOK_CONFIG": conf("reg.yml", "boot:boot-pw"), "XDG_CACHE_HOME": t.TempDir()}
	src = filepath.Join(dir, "a.ini")
	if err := os.WriteFile(src, []byte("[web]\nweb01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runEnv(Import, op, src); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	return srv, op, reg, src
}

func openTestStore(t *testing.T, addr, digest string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Servers: []string{addr}, Root: "/regtest", Digest: digest})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestKookWritesApplyFiled: every kook verb that writes the inventory,
// run with full credentials, first applies the registrations hosts have
// filed, so a write may name a host filed a moment before; a writer that
// may not apply them still writes, and says so once on stderr.
func TestKookWritesApplyFiled(t *testing.T) {
	srv, op, reg, _ := registrarRoot(t)
	root := "/regtest"
	if code, _, errs := runEnv(Kook, op, "register", "--open-queue"); code != 0 {
		t.Fatalf("--open-queue: %s", errs)
	}
	file := func(host string) {
		t.Helper()
		code, _, errs := runEnv(Kook, reg, "register", host, "-g", "booted")
		if code != 0 || !strings.Contains(errs, "filed the registration of "+host) {
			t.Fatalf("registrar filing %s: %d %s", host, code, errs)
		}
	}
	st := openTestStore(t, srv.Addr, "admin:op-pw")
	registered := func(host string) bool {
		t.Helper()
		inv, _, err := st.Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return inv.Groups["booted"] != nil && inv.Groups["booted"].HasHost(host)
	}

	// A read applies nothing; each kind of write applies what was filed.
	file("boot01")
	file("boot02")
	if code, _, errs := runEnv(Kook, op, "host", "show", "web01"); code != 0 || registered("boot01") {
		t.Fatalf("host show: exit %d, boot01 registered %v\n%s", code, registered("boot01"), errs)
	}
	for _, w := range [][]string{
		{"host", "set", "web01", "x=1"},
		{"host", "add", "web02", "--group", "web"},
		{"group", "set", "web", "y=2"},
		{"group", "add", "extra"},
		{"group", "add-host", "extra", "web01"},
		{"host", "rm", "web02"},
	} {
		code, out, errs := runEnv(Kook, op, w...)
		if code != 0 || out != "" || !strings.Contains(errs, "kook: applied 2 filed registrations\n") {
			t.Fatalf("kook %v: exit %d, stdout %q, stderr %q; want the two filed registrations applied", w, code, out, errs)
		}
		if !registered("boot01") || !registered("boot02") {
			t.Fatalf("kook %v did not apply what was filed", w)
		}
		file("boot01")
		file("boot02")
	}
	// Applied before the verb's own write: a host filed a moment ago can
	// be named by it.
	file("boot03")
	if code, _, errs := runEnv(Kook, op, "host", "set", "boot03", "role=cache"); code != 0 {
		t.Fatalf("host set of a filed host: exit %d\n%s", code, errs)
	}
	inv, _, _ := st.Load(context.Background())
	if h := inv.Hosts["boot03"]; h == nil || h.Vars["role"] != "cache" {
		t.Fatalf("boot03 after host set: %+v", h)
	}

	// A writer that may write the inventory but not read the queue (its
	// ACL now grants the registrar CREATE and nobody anything else).
	conn, _, err := zk.Connect([]string{srv.Addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.AddAuth("digest", []byte("admin:op-pw")); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.SetACL(root+"/queue", zk.DigestACL(zk.PermCreate, "boot", "boot-pw"), -1); err != nil {
		t.Fatal(err)
	}
	file("boot04")
	code, out, errs := runEnv(Kook, op, "host", "set", "web01", "x=2")
	if code != 0 || out != "" {
		t.Fatalf("host set while the queue cannot be read: exit %d, stdout %q\n%s", code, out, errs)
	}
	if n := strings.Count(errs, "warning: filed registrations not applied"); n != 1 || !strings.Contains(errs, "kook: host web01 changed") {
		t.Errorf("stderr: want one warning and the summary, got %q", errs)
	}
	inv, _, _ = st.Load(context.Background())
	if inv.Hosts["web01"].Vars["x"] != int64(2) || registered("boot04") {
		t.Errorf("web01 vars %v, boot04 registered %v: want x=2 written and boot04 still filed", inv.Hosts["web01"].Vars, registered("boot04"))
	}
}
