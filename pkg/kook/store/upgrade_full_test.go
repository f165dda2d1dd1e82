package store

import (
	"context"
	"strings"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// TestUpgradeSchema1ByFullWrite: the first write to a schema-1 root may be
// a whole one (kook-import), small enough for one multi; it upgrades the
// root as a small write does.
func TestUpgradeSchema1ByFullWrite(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	loadFixture(t, s)
	if _, err := s.Update(ctx, func(inv *kook.Inventory) error {
		inv.AddMember("g3", "late03")
		return nil
	}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := fixtureInventory(t)
	want.AddMember("g3", "late03")
	want.Reconcile()
	got, _ := mustLoad(t, s)
	if d := diffInv(want, got); d != "" {
		t.Fatalf("after the upgrading write (-want +got):\n%s", d)
	}
	data, _, err := s.conn.Get(s.metaP)
	if err != nil || !strings.Contains(string(data), `"schema":4`) {
		t.Errorf("meta after the upgrade: %s, %v", data, err)
	}
}
