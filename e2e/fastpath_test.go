package e2e

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/fleet"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// listBoth runs kook-inventory --list twice, through the local cache and
// without it, and fails unless both print the same document, which must
// be WriteJSON of what the store holds.
func listBoth(t *testing.T, env []string, st *store.Store, what string) {
	t.Helper()
	cached := run(t, t.TempDir(), env, kookInvent, "--list")
	if cached.code != 0 || len(cached.stderr) > 0 {
		t.Fatalf("%s: --list: exit %d\n%s", what, cached.code, cached.stderr)
	}
	again := run(t, t.TempDir(), env, kookInvent, "--list") // answered from the cache
	cold := run(t, t.TempDir(), env, kookInvent, "--list", "--no-cache")
	if cold.code != 0 || len(cold.stderr) > 0 {
		t.Fatalf("%s: --list --no-cache: exit %d\n%s", what, cold.code, cold.stderr)
	}
	inv, _, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := ansible.WriteJSON(&want, inv); err != nil {
		t.Fatal(err)
	}
	for _, got := range []struct {
		name string
		out  []byte
	}{{"--list", cached.stdout}, {"--list (cached)", again.stdout}, {"--list --no-cache", cold.stdout}} {
		if !bytes.Equal(got.out, want.Bytes()) {
			t.Fatalf("%s: %s differs from WriteJSON(Load):\n%s\nwant:\n%s", what, got.name, got.out, want.Bytes())
		}
	}
}

// TestFastPathAfterEachWrite: the cached and uncached --list answers equal
// the full scan after an import and after every kind of write.
func TestFastPathAfterEachWrite(t *testing.T) {
	zk := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := append(zkEnv(zk.Addr, root), "XDG_CACHE_HOME="+filepath.Join(t.TempDir(), "cache"))
	st := openStore(t, zk.Addr, root)
	ctx := context.Background()

	src := writeTemp(t, "fleet.json", func() []byte {
		var b bytes.Buffer
		if err := ansible.WriteJSON(&b, fleet.Generate(500, 7)); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}())
	// A root nothing was imported into is an error, not an empty answer.
	if r := run(t, t.TempDir(), env, kookInvent, "--list"); r.code != 1 || !strings.Contains(string(r.stderr), "no kook inventory under "+root) {
		t.Fatalf("--list of an unwritten root: exit %d, %s", r.code, r.stderr)
	}
	mustImport(t, env, "--prune", src)
	listBoth(t, env, st, "import")
	host := "host-000007.dc0.example.com"
	steps := []struct {
		name string
		do   func() error
	}{
		{"Update", func() error {
			_, err := st.Update(ctx, func(inv *kook.Inventory) error {
				inv.AddMember("web", "ünïcode-höst ✓")
				inv.AddHost("ünïcode-höst ✓").Vars["q"] = "a\"b\\c\u2028"
				inv.AddGroup("web").Vars["f"] = 1.0
				return nil
			}, store.WriteOptions{})
			return err
		}},
		{"Replace", func() error {
			inv, _, err := st.Load(ctx)
			if err != nil {
				return err
			}
			inv.Hosts[host].Vars["replaced"] = true
			_, err = st.Replace(ctx, inv, store.WriteOptions{})
			return err
		}},
		{"SetHostVar", func() error { return st.SetHostVar(ctx, host, "checkin", int64(1)) }},
		{"UnsetHostVar", func() error { return st.UnsetHostVar(ctx, host, "rack") }},
		{"SetGroupVar", func() error { return st.SetGroupVar(ctx, "web", "x", []any{"a", nil}) }},
		{"UnsetGroupVar", func() error { return st.UnsetGroupVar(ctx, "web", "f") }},
		{"AddHost", func() error { return st.AddHost(ctx, "new01", kook.Vars{"a": int64(1)}) }},
		{"AddMember", func() error { return st.AddMember(ctx, "web", "new01") }},
		{"RemoveMember", func() error { return st.RemoveMember(ctx, "web", "new01") }},
		{"AddChild", func() error { return st.AddChild(ctx, "region_000", "web") }},
		{"RemoveChild", func() error { return st.RemoveChild(ctx, "region_000", "web") }},
		{"RemoveHost", func() error { return st.RemoveHost(ctx, host) }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		listBoth(t, env, st, s.name)
	}
}

// TestFastPathRacingWriter runs many cached and uncached --list calls
// while a writer sets a counter on every host in one Update, and small
// writes change single hosts: every answer must parse and be one whole
// version (all hosts show the same counter).
func TestFastPathRacingWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("races a writer against --list for a few seconds")
	}
	zk := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := append(zkEnv(zk.Addr, root), "XDG_CACHE_HOME="+filepath.Join(t.TempDir(), "cache"))
	st := openStore(t, zk.Addr, root)
	ctx := context.Background()
	base := fleet.Generate(300, 3)
	if _, err := st.Replace(ctx, base, store.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	names := base.HostNames()
	writer := openStore(t, zk.Addr, root)
	stop := make(chan struct{})
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := int64(1); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			var err error
			if i%2 == 0 {
				_, err = writer.Update(ctx, func(inv *kook.Inventory) error {
					for _, h := range inv.Hosts {
						h.Vars["counter"] = i
					}
					return nil
				}, store.WriteOptions{})
			} else {
				err = writer.SetHostVar(ctx, names[int(i)%len(names)], "checkin", i)
			}
			if err != nil {
				errs <- err
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	counters := map[string]bool{}
	deadline := time.Now().Add(5 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		args := []string{"--list"}
		if n%2 == 1 {
			args = append(args, "--no-cache")
		}
		r := run(t, t.TempDir(), env, kookInvent, args...)
		if r.code != 0 || len(r.stderr) > 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		inv, err := ansible.ParseJSON("list", r.stdout, ansible.ReadOptions{Rules: ansible.Rules214})
		if err != nil {
			t.Fatalf("%v printed bad JSON: %v", args, err)
		}
		if len(inv.Hosts) != len(names) {
			t.Fatalf("%v: %d hosts, want %d", args, len(inv.Hosts), len(names))
		}
		want := fmt.Sprint(inv.Hosts[names[0]].Vars["counter"])
		for _, h := range inv.Hosts {
			if got := fmt.Sprint(h.Vars["counter"]); got != want {
				t.Fatalf("%v: a mixed answer: host %s has counter %s, %s has %s", args, h.Name, got, names[0], want)
			}
		}
		counters[want] = true
	}
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	if len(counters) < 2 {
		t.Errorf("the answers saw only %d versions; the race did not happen", len(counters))
	}
	listBoth(t, env, st, "after the race")
}
