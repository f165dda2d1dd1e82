package store

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kook-project/kook/pkg/ansible"
	"github.com/kook-project/kook/pkg/kook"
)

// renderEncoded is the --list document of an Encoded inventory.
func renderEncoded(t testing.TB, enc *kook.Encoded) string {
	t.Helper()
	var b bytes.Buffer
	if err := ansible.WriteEncodedJSON(&b, enc); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkFastPath reads the store both ways and fails unless LoadEncoded
// rendered, Encode(Load) rendered and WriteJSON(Load) are the same bytes,
// whenever both reads saw the same version. It reports whether they did.
func checkFastPath(t testing.TB, s *Store, what string) bool {
	t.Helper()
	ctx := context.Background()
	enc, v1, err := s.LoadEncoded(ctx)
	if err != nil {
		t.Fatalf("%s: LoadEncoded: %v", what, err)
	}
	inv, v2, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("%s: Load: %v", what, err)
	}
	if v1 != v2 {
		return false
	}
	fast := renderEncoded(t, enc)
	full := renderEncoded(t, mustEncode(t, inv))
	var direct bytes.Buffer
	if err := ansible.WriteJSON(&direct, inv); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(full, fast); d != "" {
		t.Fatalf("%s: LoadEncoded differs from Load (-full +fast):\n%s", what, d)
	}
	if direct.String() != full {
		t.Fatalf("%s: WriteJSON(Load) differs from WriteEncodedJSON(Load.Encode())", what)
	}
	if !enc.Equal(mustEncode(t, inv)) {
		t.Fatalf("%s: LoadEncoded is not Encode(Load)", what)
	}
	return true
}

// TestLoadEncodedEqualsLoad checks the fast path after every kind of write:
// Replace of varied inventories, Update, and each small write.
func TestLoadEncodedEqualsLoad(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	names := make([]string, 0)
	for name := range sampleInventories() {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if _, err := s.Replace(ctx, sampleInventories()[name], WriteOptions{}); err != nil {
			t.Fatalf("Replace %s: %v", name, err)
		}
		checkFastPath(t, s, "Replace "+name)
	}
	if _, err := s.Replace(ctx, fleet(300), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	checkFastPath(t, s, "Replace fleet")
	if _, err := s.Update(ctx, func(inv *kook.Inventory) error {
		inv.AddMember("web", "web01")
		inv.AddMember("web", "ünïcode-höst ✓")
		inv.AddMember("db", "db1")
		inv.AddHost("web01").Vars["port"] = int64(80)
		inv.AddHost("db1").Vars["weight"] = 1.0
		inv.AddGroup("web").Vars["tier"] = map[string]any{"a": []any{int64(1), "x\"y", nil, true}}
		inv.AddGroup("_meta").Vars["odd"] = "group named like the protocol's key"
		inv.AddHost("quote\"host").Vars["\\key"] = "\u2028"
		return inv.AddChild("dc", "web")
	}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	checkFastPath(t, s, "Update")
	steps := []struct {
		name string
		do   func() error
	}{
		{"SetHostVar", func() error { return s.SetHostVar(ctx, "web01", "new", 2.0) }},
		{"UnsetHostVar", func() error { return s.UnsetHostVar(ctx, "web01", "port") }},
		{"SetGroupVar", func() error { return s.SetGroupVar(ctx, "web", "x", []any{"a", int64(1)}) }},
		{"UnsetGroupVar", func() error { return s.UnsetGroupVar(ctx, "web", "tier") }},
		{"AddHost", func() error { return s.AddHost(ctx, "new01", kook.Vars{"a": int64(1)}) }},
		{"AddMember", func() error { return s.AddMember(ctx, "web", "new01") }},
		{"AddMember new group", func() error { return s.AddMember(ctx, "fresh", "new02") }},
		{"RemoveMember", func() error { return s.RemoveMember(ctx, "web", "web01") }},
		{"AddChild", func() error { return s.AddChild(ctx, "dc", "fresh") }},
		{"RemoveChild", func() error { return s.RemoveChild(ctx, "dc", "web") }},
		{"RemoveHost", func() error { return s.RemoveHost(ctx, "db1") }},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		checkFastPath(t, s, st.name)
	}
}

// TestLoadEncodedRacingWriters reads both ways while writers change the
// inventory: an Update that sets a counter on every host and group in one
// write, and small writes on single hosts. Every LoadEncoded answer must be
// a whole version (every host shows the same counter), and equal Load's
// whenever the two reads saw the same version.
func TestLoadEncodedRacingWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("races writers against readers for a few seconds")
	}
	ctx := context.Background()
	s := open(t)
	base := fleet(400)
	for i := 0; i < 5; i++ {
		base.AddGroup(fmt.Sprintf("race%d", i)) // so that every group gets the counter
	}
	base.Reconcile()
	if _, err := s.Replace(ctx, base, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	hosts := base.HostNames()
	w1, w2 := openRoot(t, s), openRoot(t, s)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { // whole-inventory writer
		defer wg.Done()
		for i := int64(1); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, err := w1.Update(ctx, func(inv *kook.Inventory) error {
				for _, h := range inv.Hosts {
					h.Vars["counter"] = i
				}
				for _, g := range inv.Groups {
					g.Vars["counter"] = i
				}
				return nil
			}, WriteOptions{})
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	go func() { // small writes, as hosts checking in
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			h := hosts[i*7%len(hosts)]
			var err error
			switch i % 4 {
			case 0, 1:
				err = w2.SetHostVar(ctx, h, "checkin", int64(i))
			case 2:
				err = w2.AddMember(ctx, fmt.Sprintf("race%d", i%5), h)
			default:
				err = w2.RemoveMember(ctx, fmt.Sprintf("race%d", (i-1)%5), hosts[(i-1)*7%len(hosts)])
			}
			if err != nil {
				errs <- err
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	deadline := time.Now().Add(4 * time.Second)
	same, reads := 0, 0
	for time.Now().Before(deadline) {
		enc, _, err := s.LoadEncoded(ctx)
		if err != nil {
			t.Fatal(err)
		}
		reads++
		checkWhole(t, enc)
		if checkFastPath(t, s, fmt.Sprintf("read %d", reads)) {
			same++
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkFastPath(t, s, "after the race")
	t.Logf("%d reads, %d compared at the same version", reads, same)
	if same == 0 {
		t.Errorf("no read pair saw the same version; nothing was compared")
	}
}

// checkWhole fails unless every host and group of enc carries the same
// "counter" var (or none does), that is, unless enc is one whole version.
func checkWhole(t *testing.T, enc *kook.Encoded) {
	t.Helper()
	counter := func(vars []byte) string {
		v, err := kook.DecodeJSON(vars)
		if err != nil {
			t.Fatalf("vars %s: %v", vars, err)
		}
		return fmt.Sprint(v.(map[string]any)["counter"])
	}
	want := ""
	for i, h := range enc.Hosts {
		c := counter(h.Vars)
		if i == 0 {
			want = c
		} else if c != want {
			t.Fatalf("a mixed answer: host %s has counter %s, %s has %s", h.Name, c, enc.Hosts[0].Name, want)
		}
	}
	for _, g := range enc.Groups {
		if c := counter(g.Vars); c != want {
			t.Fatalf("a mixed answer: group %s has counter %s, hosts have %s", g.Name, c, want)
		}
	}
}
