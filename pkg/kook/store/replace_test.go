package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// TestReplaceFromSummary: ReplaceFrom stores exactly the inventory next
// returns, tells next how many hosts are stored, and its Summary, counted
// from the rewritten buckets alone, is kook.DiffSummary's for every kind
// of change, large ones (a new generation) included.
func TestReplaceFromSummary(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	cur := fleet(400)
	if _, err := s.Replace(ctx, cur, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	edits := []struct {
		name string
		edit func(inv *kook.Inventory)
	}{
		{"nothing", func(inv *kook.Inventory) {}},
		{"host vars", func(inv *kook.Inventory) {
			for i := 0; i < 10; i++ {
				inv.Hosts[fmt.Sprintf("host%06d.example.com", i*37)].Vars["rack"] = "moved"
			}
		}},
		{"host file vars", func(inv *kook.Inventory) {
			inv.Hosts["host000003.example.com"].FileVars = kook.Vars{"from": "host_vars"}
		}},
		{"hosts added and removed", func(inv *kook.Inventory) {
			inv.RemoveHost("host000005.example.com")
			inv.RemoveHost("host000006.example.com")
			inv.AddMember("group0002", "new01.example.com")
			inv.AddMember("group0007", "new02.example.com")
		}},
		{"member moved to another group", func(inv *kook.Inventory) {
			inv.RemoveMember("group0001", "host000011.example.com")
			inv.AddMember("group0003", "host000011.example.com")
		}},
		{"group order reversed", func(inv *kook.Inventory) {
			slices.Reverse(inv.Groups["group0004"].Hosts)
		}},
		{"group vars, children, groups added and removed", func(inv *kook.Inventory) {
			inv.Groups["group0008"].Vars["port"] = int64(1)
			inv.RemoveChild("group0000", "group0003")
			inv.RemoveGroup("group0030")
			inv.AddGroup("fresh").Vars["x"] = true
		}},
		{"everything (a new generation)", func(inv *kook.Inventory) {
			*inv = *fleet(3000)
		}},
	}
	for _, e := range edits {
		next := cur.Clone()
		e.edit(next)
		next.Reconcile()
		stored := -1
		res, err := s.ReplaceFrom(ctx, func(n int) (*kook.Inventory, error) {
			stored = n
			return next, nil
		}, WriteOptions{})
		if err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
		if stored != len(cur.Hosts) {
			t.Errorf("%s: next was told %d hosts are stored, want %d", e.name, stored, len(cur.Hosts))
		}
		if want := kook.DiffSummary(cur, next); res.Summary != want {
			t.Errorf("%s: summary %+v, want %+v", e.name, res.Summary, want)
		}
		got, _ := mustLoad(t, s)
		if d := diffInv(next, got); d != "" {
			t.Fatalf("%s: stored (-want +got):\n%s", e.name, d)
		}
		cur = next
	}
	refuse := errors.New("refused")
	if _, err := s.ReplaceFrom(ctx, func(int) (*kook.Inventory, error) { return nil, refuse }, WriteOptions{}); !errors.Is(err, refuse) {
		t.Errorf("next's error: %v", err)
	}
}
