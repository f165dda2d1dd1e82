package kook

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// storedWithChain is what ZooKeeper holds in the cycle cases: a -> b -> c,
// hosts in each and one ungrouped.
func storedWithChain(t *testing.T) *Inventory {
	t.Helper()
	cur := New()
	mustChild(t, cur, "a", "b")
	mustChild(t, cur, "b", "c")
	cur.AddMember("a", "h1")
	cur.AddMember("b", "h2")
	cur.AddMember("c", "h3")
	cur.AddHost("lone")
	cur.Reconcile()
	return cur
}

func TestPlanMergeRefusesCycle(t *testing.T) {
	cur := storedWithChain(t)
	before := cur.Clone()
	src := New()
	mustChild(t, src, "c", "a")
	src.AddMember("c", "new")
	src.Reconcile()

	next, err := Plan(cur, src, ImportOptions{})
	var ce *CycleError
	if !errors.As(err, &ce) {
		t.Fatalf("Plan = %v, %v; want a *CycleError", next, err)
	}
	if diff := cmp.Diff([]string{"c", "a", "b", "c"}, ce.Cycle); diff != "" {
		t.Errorf("cycle (-want +got):\n%s", diff)
	}
	if want := `merging would make a group cycle: c -> a -> b -> c (the sources make "a" a child of "c"); nothing written: fix the sources, or use --prune to replace what is stored`; err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
	if next != nil {
		t.Errorf("Plan returned an inventory with its error")
	}
	if diff := cmp.Diff(mustEncode(t, before), mustEncode(t, cur)); diff != "" {
		t.Errorf("Plan modified cur (-before +after):\n%s", diff)
	}
}

func TestPlanMergeKeepsStored(t *testing.T) {
	cur := storedWithChain(t)
	src := New()
	mustChild(t, src, "d", "a")
	src.AddMember("d", "new")
	src.Reconcile()
	next, err := Plan(cur, src, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"h1", "h2", "h3", "lone", "new"} {
		if next.Hosts[h] == nil {
			t.Errorf("host %s lost by a merge", h)
		}
	}
	if diff := cmp.Diff([]string{"a"}, next.Groups["d"].Children); diff != "" {
		t.Errorf("d's children (-want +got):\n%s", diff)
	}
}

func TestPlanPruneEmpty(t *testing.T) {
	cur := storedWithChain(t)
	empty := New()
	empty.Reconcile()
	_, err := Plan(cur, empty, ImportOptions{Prune: true})
	if !errors.Is(err, ErrEmptySources) {
		t.Fatalf("Plan(prune, empty) = %v, want ErrEmptySources", err)
	}
	if want := "the sources hold no host: --prune would remove all 4 stored hosts; nothing written (give --allow-empty to empty the inventory on purpose)"; err.Error() != want {
		t.Errorf("message:\n got %s\nwant %s", err, want)
	}
	next, err := Plan(cur, empty, ImportOptions{Prune: true, AllowEmpty: true})
	if err != nil || len(next.Hosts) != 0 {
		t.Errorf("Plan(prune, empty, allow) = %d hosts, %v; want 0 hosts", len(next.Hosts), err)
	}
	// Groups without hosts over an inventory without hosts lose nothing.
	groupsOnly := New()
	groupsOnly.AddGroup("pending")
	groupsOnly.Reconcile()
	if _, err := Plan(empty, groupsOnly, ImportOptions{Prune: true}); err != nil {
		t.Errorf("Plan(prune, no hosts over no hosts) = %v", err)
	}
	// A merge of nothing is harmless and needs no flag.
	if next, err := Plan(cur, empty, ImportOptions{}); err != nil || len(next.Hosts) != 4 {
		t.Errorf("Plan(merge, empty) = %v, %v; want the 4 stored hosts", next, err)
	}
}
