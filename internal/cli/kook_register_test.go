package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook/store"
)

// TestKookRegister: `kook register` with typed K=V, idempotent, groups
// created under all; a registrar identity files and kook-import or
// `kook register --apply` applies; bad usage exits 2.
func TestKookRegister(t *testing.T) {
	srv := zktest.Start(t)
	dir := t.TempDir()
	conf := func(name, digest string) string {
		p := filepath.Join(dir, name)
		body := "hosts: " + srv.Addr + "\nroot: /regtest\n"
		if digest != "" {
			body += "digest: " + digest + "\n"
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	op := map[string]string{"KOOK_CONFIG": conf("op.yml", "admin:op-pw"), "XDG_CACHE_HOME": t.TempDir(), "KOOK_REGISTRAR": "boot:boot-pw"}
	reg := map[string]string{"KOOK_CONFIG": conf("reg.yml", "boot:boot-pw"), "XDG_CACHE_HOME": t.TempDir()}
	src := filepath.Join(dir, "a.ini")
	if err := os.WriteFile(src, []byte("[web]\nweb01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runEnv(Import, op, src); code != 0 {
		t.Fatalf("import: %s", errs)
	}
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

func openTestStore(t *testing.T, addr, digest string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Config{Servers: []string{addr}, Root: "/regtest", Digest: digest})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
