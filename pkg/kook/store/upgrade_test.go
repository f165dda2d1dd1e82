package store

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/pkg/kook"
)

// loadFixture loads testdata/schema1-root.json: every znode of a root that
// kook at commit 6dd708c (schema 1) wrote with a Replace of
// fixtureInventory's first part, then AddMember("g2", "late01") and
// SetHostVar("h01", "x", "y"). Paths are relative to the root.
func loadFixture(t *testing.T, s *Store) { loadFixtureFile(t, s, "testdata/schema1-root.json") }

// loadFixtureFile creates under s's root every znode the file holds.
func loadFixtureFile(t *testing.T, s *Store, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var nodes map[string]string
	if err := json.Unmarshal(data, &nodes); err != nil {
		t.Fatal(err)
	}
	paths := make([]string, 0, len(nodes))
	for p := range nodes {
		paths = append(paths, p)
	}
	sort.Strings(paths) // parents first
	if err := s.ensurePath(context.Background(), s.cfg.Root); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := s.conn.Create(s.cfg.Root+p, []byte(nodes[p]), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
	}
}

// fixtureInventory is what the fixture holds.
func fixtureInventory(t *testing.T) *kook.Inventory {
	inv := kook.New()
	for i := 0; i < 30; i++ {
		h := fmt.Sprintf("h%02d", i)
		inv.AddMember(fmt.Sprintf("g%d", i%4), h)
		inv.Hosts[h].Vars["n"] = int64(i)
	}
	if err := inv.AddChild("g0", "g1"); err != nil {
		t.Fatal(err)
	}
	inv.Reconcile()
	inv.AddMember("g2", "late01")
	inv.Hosts["h01"].Vars["x"] = "y"
	inv.Reconcile()
	return inv
}

// TestUpgradeSchema1 reads a root written by the schema-1 kook, upgrades it
// in place on the next write, and keeps every promise across the upgrade:
// the same inventory, a version that moves, new members at the end of
// their group, and the change log from then on.
func TestUpgradeSchema1(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	loadFixture(t, s)
	want := fixtureInventory(t)
	got, v0 := mustLoad(t, s)
	if d := diffInv(want, got); d != "" {
		t.Fatalf("schema-1 root read (-want +got):\n%s", d)
	}
	if entries, err := s.Log(ctx, LogQuery{}); err != nil || len(entries) != 0 {
		t.Fatalf("log of a schema-1 root: %v, %v", entries, err)
	}

	upgradeBySmallWrite(t, s, want, v0)
	entries, err := s.Log(ctx, LogQuery{})
	if err != nil || len(entries) != 1 || entries[0].Hosts["late02"] != LogAdded {
		t.Errorf("log after the upgrade: %+v, %v", entries, err)
	}

	// A full write on the upgraded root, then a bigger one that builds a
	// new generation.
	if _, err := s.Update(ctx, func(inv *kook.Inventory) error {
		inv.AddMember("g3", "late03")
		return nil
	}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want.AddMember("g3", "late03")
	want.Reconcile()
	big := fleet(3000)
	if _, err := s.Replace(ctx, big, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ = mustLoad(t, s)
	if d := diffInv(big, got); d != "" {
		t.Fatalf("after a new generation (-want +got):\n%s", d)
	}
	if n := countGens(t, s); n != 1 {
		t.Errorf("%d generations after the switch", n)
	}
}

// upgradeBySmallWrite adds late02 to g2 in a root loaded from a fixture
// that holds want at version v0, which upgrades the root, and checks what
// every upgrade keeps: the inventory, a version that moves, new members
// after those small writes added before (late01), and meta at this
// schema. want gets the change.
func upgradeBySmallWrite(t *testing.T, s *Store, want *kook.Inventory, v0 Version) {
	t.Helper()
	if err := s.AddMember(context.Background(), "g2", "late02"); err != nil {
		t.Fatal(err)
	}
	want.AddMember("g2", "late02")
	want.Reconcile()
	got, v1 := mustLoad(t, s)
	if d := diffInv(want, got); d != "" {
		t.Fatalf("after the upgrading write (-want +got):\n%s", d)
	}
	if v1 == v0 {
		t.Errorf("version did not move: %v", v1)
	}
	if g := got.Groups["g2"].Hosts; g[len(g)-1] != "late02" || g[len(g)-2] != "late01" {
		t.Errorf("g2 holds %v; want late01, late02 at the end", g)
	}
	if m := mustMeta(t, s); m.Schema != Schema {
		t.Errorf("meta after the upgrade is schema %d", m.Schema)
	}
}
