package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// TestEditHostsMatchesGraph: EditHosts and UpdateGroups give the graph the
// same edits made with kook's methods and Reconcile give, from an empty
// root (the whole-inventory path) and on a stored one (the small path).
func TestEditHostsMatchesGraph(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	edits := []HostEdit{
		{Name: "a", Create: true, Join: []string{"web"}, CreateGroups: true, Set: kook.Vars{"x": int64(1)}},
		{Name: "b", Create: true},
	}
	if _, err := s.EditHosts(ctx, "first", edits); err != nil {
		t.Fatal(err)
	}
	want := kook.New()
	want.AddMember("web", "a")
	want.Hosts["a"].Vars["x"] = int64(1)
	want.AddHost("b")
	want.Reconcile()
	got, _ := mustLoad(t, s)
	if d := diffInv(want, got); d != "" {
		t.Fatalf("after the first write (-want +got):\n%s", d)
	}

	changed, err := s.EditHosts(ctx, "second", []HostEdit{
		{Name: "b", Join: []string{"web", "db"}, CreateGroups: true, Set: kook.Vars{"y": "z"}},
		{Name: "a", Leave: []string{"web"}, Unset: []string{"x"}},
		{Name: "gone", Remove: true, MissingOK: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(changed) != "[b a]" {
		t.Errorf("changed = %v, want [b a]", changed)
	}
	if _, err := s.UpdateGroups(ctx, "third", func(inv *kook.Inventory) error {
		inv.Groups["db"].Vars["tier"] = int64(2)
		if err := inv.AddChild("web", "db"); err != nil {
			return err
		}
		inv.RemoveChild(kook.All, "db")
		inv.AddGroup("empty")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want.AddMember("web", "b")
	want.AddMember("db", "b")
	want.Hosts["b"].Vars["y"] = "z"
	want.RemoveMember("web", "a")
	delete(want.Hosts["a"].Vars, "x")
	want.Groups["db"].Vars["tier"] = int64(2)
	_ = want.AddChild("web", "db")
	want.RemoveChild(kook.All, "db")
	want.AddGroup("empty")
	want.Reconcile()
	got, v := mustLoad(t, s)
	if d := diffInv(want, got); d != "" {
		t.Fatalf("after the small writes (-want +got):\n%s", d)
	}

	// Errors write nothing and say what is missing.
	for _, e := range []HostEdit{
		{Name: "ghost", Set: kook.Vars{"a": int64(1)}},
		{Name: "a", Join: []string{"nope"}},
		{Name: "a", Leave: []string{"nope"}},
		{Name: "ghost", Remove: true},
	} {
		if _, err := s.EditHosts(ctx, "bad", []HostEdit{{Name: "b", Set: kook.Vars{"w": int64(9)}}, e}); !errors.Is(err, ErrNotFound) {
			t.Errorf("edit %+v: err = %v, want ErrNotFound", e, err)
		}
	}
	if _, err := s.UpdateGroups(ctx, "cycle", func(inv *kook.Inventory) error { return inv.AddChild("db", "web") }); err == nil {
		t.Error("a cycle was written")
	}
	if _, v2 := mustLoad(t, s); v2 != v {
		t.Errorf("failed edits wrote: %v -> %v", v, v2)
	}

	h, err := s.LoadHost(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	if d := diffVars(got.EffectiveVars("b"), h.EffectiveVars("b")); d != "" {
		t.Errorf("LoadHost's effective vars (-whole +LoadHost):\n%s", d)
	}
	vars, groups, err := s.GetHost(ctx, "b")
	if err != nil || fmt.Sprint(groups) != "[db web]" || vars["y"] != "z" {
		t.Errorf("GetHost = %v %v %v", vars, groups, err)
	}
}

func diffVars(a, b kook.Vars) string {
	if kook.EqualVars(a, b) {
		return ""
	}
	return fmt.Sprintf("%v\n%v", a, b)
}

// TestEditHostsConcurrent: writers adding hosts to one group at once all
// succeed (conflicts are retried) and none is lost.
func TestEditHostsConcurrent(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.EditHosts(ctx, "seed", []HostEdit{{Name: "seed", Create: true, Join: []string{"g"}, CreateGroups: true}}); err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s2 := openRoot(t, s)
			_, err := s2.EditHosts(ctx, "add", []HostEdit{{Name: fmt.Sprintf("h%02d", i), Create: true, Join: []string{"g"}}})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	inv, _ := mustLoad(t, s)
	if got := len(inv.Groups["g"].Hosts); got != n+1 {
		t.Errorf("group g holds %d hosts, want %d", got, n+1)
	}
}
