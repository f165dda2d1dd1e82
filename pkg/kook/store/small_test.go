package store

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// TestSmallWrites checks every small write against the same edit made
// with kook's graph methods and Reconcile on a local copy.
func TestSmallWrites(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	base := sampleInventories()["mixed"]
	if _, err := s.Replace(ctx, base, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := base.Clone()
	steps := []struct {
		name  string
		store func() error
		local func(inv *kook.Inventory)
	}{
		{"set host var", func() error { return s.SetHostVar(ctx, "web01", "new", 2.0) },
			func(inv *kook.Inventory) { inv.Hosts["web01"].Vars["new"] = 2.0 }},
		{"set host var int", func() error { return s.SetHostVar(ctx, "db1", "n", 7) },
			func(inv *kook.Inventory) { inv.Hosts["db1"].Vars["n"] = int64(7) }},
		{"unset host var", func() error { return s.UnsetHostVar(ctx, "web01", "int") },
			func(inv *kook.Inventory) { delete(inv.Hosts["web01"].Vars, "int") }},
		{"set group var", func() error { return s.SetGroupVar(ctx, "web", "x", map[string]any{"a": []any{1, "b"}}) },
			func(inv *kook.Inventory) {
				inv.Groups["web"].Vars["x"] = map[string]any{"a": []any{int64(1), "b"}}
			}},
		{"unset group var", func() error { return s.UnsetGroupVar(ctx, "web", "http_port") },
			func(inv *kook.Inventory) { delete(inv.Groups["web"].Vars, "http_port") }},
		{"add host", func() error { return s.AddHost(ctx, "new01", kook.Vars{"a": 1}) },
			func(inv *kook.Inventory) { inv.AddHost("new01").Vars["a"] = int64(1) }},
		{"add host again", func() error { return s.AddHost(ctx, "web01", kook.Vars{"b": "x"}) },
			func(inv *kook.Inventory) { inv.Hosts["web01"].Vars["b"] = "x" }},
		{"add member (leaves ungrouped)", func() error { return s.AddMember(ctx, "web", "new01") },
			func(inv *kook.Inventory) { inv.AddMember("web", "new01") }},
		{"add member new group new host", func() error { return s.AddMember(ctx, "fresh", "new02") },
			func(inv *kook.Inventory) { inv.AddMember("fresh", "new02") }},
		{"add member existing", func() error { return s.AddMember(ctx, "web", "web02") },
			func(inv *kook.Inventory) { inv.AddMember("web", "web02") }},
		{"remove member (to ungrouped)", func() error { return s.RemoveMember(ctx, "db", "db1") },
			func(inv *kook.Inventory) { inv.RemoveMember("db", "db1") }},
		{"remove member keeps other", func() error { return s.RemoveMember(ctx, "db", "web01") },
			func(inv *kook.Inventory) { inv.RemoveMember("db", "web01") }},
		{"add child", func() error { return s.AddChild(ctx, "prod", "fresh") },
			func(inv *kook.Inventory) { inv.AddChild("prod", "fresh") }},
		{"add child new parent", func() error { return s.AddChild(ctx, "region", "prod") },
			func(inv *kook.Inventory) { inv.AddChild("region", "prod") }},
		{"remove child (still under all)", func() error { return s.RemoveChild(ctx, "prod", "fresh") },
			func(inv *kook.Inventory) { inv.RemoveChild("prod", "fresh") }},
		{"remove child (orphan to all)", func() error { return s.RemoveChild(ctx, "zzz", "db") },
			func(inv *kook.Inventory) { inv.RemoveChild("zzz", "db") }},
		{"remove child orphan 2", func() error { return s.RemoveChild(ctx, "prod", "db") },
			func(inv *kook.Inventory) { inv.RemoveChild("prod", "db") }},
		{"add member to ungrouped", func() error { return s.AddMember(ctx, "ungrouped", "web02") },
			func(inv *kook.Inventory) { inv.AddMember("ungrouped", "web02") }},
		{"add child under all", func() error { return s.AddChild(ctx, "all", "web") },
			func(inv *kook.Inventory) { inv.AddChild("all", "web") }},
		{"remove host", func() error { return s.RemoveHost(ctx, "web02") },
			func(inv *kook.Inventory) { inv.RemoveHost("web02") }},
		{"remove absent host", func() error { return s.RemoveHost(ctx, "nope") },
			func(inv *kook.Inventory) {}},
	}
	for _, st := range steps {
		before, v0 := mustLoad(t, s)
		if err := st.store(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		st.local(want)
		want.Reconcile()
		got, v1 := mustLoad(t, s)
		if d := diffInv(want, got); d != "" {
			t.Fatalf("%s (-want +got):\n%s", st.name, d)
		}
		if diffInv(before, got) != "" && v1 == v0 {
			t.Errorf("%s: version did not move", st.name)
		}
	}

	if err := s.SetHostVar(ctx, "ghost", "a", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetHostVar on a missing host: %v", err)
	}
	if err := s.SetGroupVar(ctx, "ghosts", "a", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetGroupVar on a missing group: %v", err)
	}
	err := s.AddChild(ctx, "web", "region")
	if err == nil || !strings.Contains(err.Error(), "recursive dependency loop") {
		t.Errorf("cycle: %v", err)
	}
	if err := s.SetHostVar(ctx, "web01", "bad", struct{}{}); err == nil {
		t.Error("a struct value was accepted")
	}
}

func TestSmallWritesOnEmptyRoot(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if err := s.AddMember(ctx, "web", "web01"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHostVar(ctx, "web01", "a", "b"); err != nil {
		t.Fatal(err)
	}
	want := kook.New()
	want.AddMember("web", "web01")
	want.Hosts["web01"].Vars["a"] = "b"
	want.Reconcile()
	got, _ := mustLoad(t, s)
	if d := diffInv(want, got); d != "" {
		t.Fatal(d)
	}
}

// TestSmallWriteTouchesOneBucket checks that a host var write sets one
// bucket and meta only.
func TestSmallWriteTouchesOneBucket(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Replace(ctx, fleet(2000), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	sn0, err := s.snapshot(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if sn0.meta.HostBuckets < 2 {
		t.Fatalf("only %d host buckets for 2000 hosts", sn0.meta.HostBuckets)
	}
	if err := s.SetHostVar(ctx, "host000042.example.com", "checked_in", true); err != nil {
		t.Fatal(err)
	}
	sn1, err := s.snapshot(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for i := range sn0.hostVer {
		if sn0.hostVer[i] != sn1.hostVer[i] {
			changed++
		}
	}
	for i := range sn0.groupVer {
		if sn0.groupVer[i] != sn1.groupVer[i] {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("%d buckets changed, want 1", changed)
	}
}
