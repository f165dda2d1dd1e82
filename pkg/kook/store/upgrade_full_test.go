package store

import (
	"context"
	"testing"

	"github.com/kook-project/kook/pkg/kook"
)

// TestUpgradeByFullWrite: the first write to a root of an older schema
// may be a whole one (kook-import), small enough for one multi; it
// upgrades the root as a small write does.
func TestUpgradeByFullWrite(t *testing.T) {
	for _, fixture := range []string{"testdata/schema1-root.json", "testdata/schema3-root.json"} {
		t.Run(fixture, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			loadFixtureFile(t, s, fixture)
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
			if m := mustMeta(t, s); m.Schema != Schema {
				t.Errorf("meta after the upgrade is schema %d", m.Schema)
			}
		})
	}
}
