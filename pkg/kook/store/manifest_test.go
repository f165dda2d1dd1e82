package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/pkg/kook"
)

// TestUpgradeSchema3 reads a root written by the schema-3 kook
// (testdata/schema3-root.json: every znode of the root kook at commit
// f90d538 wrote with a Replace of fixtureInventory's first part, then
// AddMember("g2", "late01") and SetHostVar("h01", "x", "y")), upgrades it
// in place on the next write, and keeps every promise across the upgrade:
// the same inventory, a version that moves, new members after the members
// small writes added before the upgrade, the change log kept and extended.
func TestUpgradeSchema3(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	loadFixtureFile(t, s, "testdata/schema3-root.json")
	want := fixtureInventory(t)
	got, v0 := mustLoad(t, s)
	if d := diffInv(want, got); d != "" {
		t.Fatalf("schema-3 root read (-want +got):\n%s", d)
	}
	if m := mustMeta(t, s); m.Schema != 3 {
		t.Fatalf("fixture is schema %d", m.Schema)
	}
	upgradeBySmallWrite(t, s, want, v0)
	entries, err := s.Log(ctx, LogQuery{})
	if err != nil || len(entries) != 4 || entries[0].Hosts["late02"] != LogAdded || entries[3].What != "import fixture" {
		t.Errorf("log after the upgrade: %+v, %v", entries, err)
	}
}

// manyBuckets makes writes under it spread a fleet over hundreds of small
// buckets, and s's multis small, so that a change of a few hundred hosts
// spans 300+ buckets and cannot fit one multi, as a medium change of a
// 100,000-host fleet cannot.
func manyBuckets(t *testing.T) *Store {
	t.Helper()
	old := targetBucket
	targetBucket = 2 << 10
	t.Cleanup(func() { targetBucket = old })
	return open(t, func(c *Config) { c.MaxBuffer = 160 << 10 })
}

// mediumRoot is a manyBuckets store holding fleet(4000), which it returns.
func mediumRoot(t *testing.T) (*Store, *kook.Inventory) {
	t.Helper()
	s := manyBuckets(t)
	inv := fleet(4000)
	if _, err := s.Replace(context.Background(), inv, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return s, inv
}

// roundEdits sets the var "round" of hosts to round.
func roundEdits(hosts []string, round int64) []HostEdit {
	edits := make([]HostEdit, len(hosts))
	for i, h := range hosts {
		edits[i] = HostEdit{Name: h, Set: kook.Vars{"round": round}}
	}
	return edits
}

// spread returns every step-th host of inv, in name order.
func spread(inv *kook.Inventory, step int) []string {
	var out []string
	for i, h := range inv.HostNames() {
		if i%step == 0 {
			out = append(out, h)
		}
	}
	return out
}

// checkManifest checks that every generation under the root and every
// bucket in it is one meta names: nothing replaced is left behind.
func checkManifest(t *testing.T, s *Store) {
	t.Helper()
	m := mustMeta(t, s)
	named := map[string]bool{}
	for _, p := range bucketPaths(s.cfg.Root, m) {
		named[p] = true
	}
	for _, k := range rootKids(t, s) {
		if !genName.MatchString(k) {
			continue
		}
		if !m.generations()[k] {
			t.Errorf("generation %s is left though meta does not name it", k)
			continue
		}
		for _, sub := range []string{"/h", "/g"} {
			dir := s.cfg.Root + "/" + k + sub
			kids, _, err := s.conn.Children(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range kids {
				if !named[dir+"/"+b] {
					t.Errorf("bucket %s/%s is left though meta does not name it", dir, b)
				}
			}
		}
	}
}

// TestMediumChangeCopyOnWrite: a change of hundreds of hosts spread over
// 300+ buckets, too large for one multi, lands copy-on-write in ONE commit
// (one log entry, one version step), by a small write (EditHosts) and by
// a full one (Update), without a new generation of the whole inventory;
// what it replaced is deleted; new members still go to the end.
func TestMediumChangeCopyOnWrite(t *testing.T) {
	ctx := context.Background()
	s, inv := mediumRoot(t)
	if m := mustMeta(t, s); m.HostBuckets < 300 {
		t.Fatalf("only %d host buckets", m.HostBuckets)
	}
	hosts := spread(inv, 7)
	_, v0 := mustLoad(t, s)
	for _, h := range hosts {
		inv.Hosts[h].Vars["round"] = int64(1)
	}
	changed, err := s.EditHosts(ctx, "set round", roundEdits(hosts, 1))
	if err != nil || len(changed) != len(hosts) {
		t.Fatalf("EditHosts: %d changed, %v", len(changed), err)
	}
	got, v1 := mustLoad(t, s)
	if d := diffInv(inv, got); d != "" {
		t.Fatalf("after the small medium change (-want +got):\n%s", d)
	}
	m := mustMeta(t, s)
	moved := 0
	for i := range m.HostBuckets {
		if m.genOf(m.HostGens, i) != m.Current {
			moved++
		}
	}
	if moved < 300 {
		t.Errorf("%d host buckets replaced; want 300+", moved)
	}
	entries, err := s.Log(ctx, LogQuery{})
	if err != nil || len(entries) != 2 || entries[0].What != "set round" || len(entries[0].Hosts) != len(hosts) || entries[0].Seq != entries[1].Seq+1 {
		t.Errorf("not one commit after %v: %+v, %v", v0, entries, err)
	}
	if v1.Generation != v0.Generation {
		t.Errorf("generation moved: %v -> %v", v0, v1)
	}
	checkManifest(t, s)

	// A full write of as many hosts does the same.
	res, err := s.Update(ctx, func(cur *kook.Inventory) error {
		for _, h := range hosts {
			cur.Hosts[h].Vars["round"] = int64(2)
		}
		return nil
	}, WriteOptions{})
	for _, h := range hosts {
		inv.Hosts[h].Vars["round"] = int64(2)
	}
	if err != nil || res.NewGeneration || res.BucketsWritten < 300 {
		t.Fatalf("Update: %+v, %v", res, err)
	}
	got, _ = mustLoad(t, s)
	if d := diffInv(inv, got); d != "" {
		t.Fatalf("after the full medium change (-want +got):\n%s", d)
	}
	checkManifest(t, s)

	// Small writes land in the replaced buckets, in place, and new
	// members still come after every old one.
	if err := s.AddMember(ctx, "group0001", "zz-late"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetHostVar(ctx, hosts[3], "round", int64(3)); err != nil {
		t.Fatal(err)
	}
	inv.AddMember("group0001", "zz-late")
	inv.Reconcile()
	inv.Hosts[hosts[3]].Vars["round"] = int64(3)
	got, _ = mustLoad(t, s)
	if d := diffInv(inv, got); d != "" {
		t.Fatalf("after small writes (-want +got):\n%s", d)
	}
	if g := got.Groups["group0001"].Hosts; g[len(g)-1] != "zz-late" {
		t.Errorf("group0001 ends with %v", g[len(g)-3:])
	}
	// A full write of two hosts lands in place, wherever meta says their
	// buckets are.
	res, err = s.ReplaceFrom(ctx, func(int) (*kook.Inventory, error) {
		inv.Hosts[hosts[5]].Vars["round"] = int64(4)
		inv.Hosts["host000002.example.com"].Vars["round"] = int64(4)
		return inv, nil
	}, WriteOptions{})
	if err != nil || res.NewGeneration || res.BucketsWritten != 2 || res.Summary.HostsChanged != 2 {
		t.Fatalf("ReplaceFrom: %+v, %v", res, err)
	}
	got, _ = mustLoad(t, s)
	if d := diffInv(inv, got); d != "" {
		t.Fatalf("after an in-place full write (-want +got):\n%s", d)
	}
	checkManifest(t, s)

	// A change of the bucket count still builds a whole generation, and
	// leaves nothing of the manifest behind.
	targetBucket = 64 << 10
	big := fleet(4000)
	big.Hosts[hosts[0]].Vars["size"] = "larger"
	if res, err := s.Replace(ctx, big, WriteOptions{}); err != nil || !res.NewGeneration {
		t.Fatalf("Replace: %+v, %v", res, err)
	}
	if m := mustMeta(t, s); m.HostGens != nil || m.GroupGens != nil {
		t.Errorf("manifest left after a new generation: %+v", m)
	}
	got, _ = mustLoad(t, s)
	if d := diffInv(big, got); d != "" {
		t.Fatalf("after a new generation (-want +got):\n%s", d)
	}
	checkManifest(t, s)
}

// TestMediumChangeReadersNeverMix: readers reading while medium changes
// replace hundreds of buckets copy-on-write (and delete those replaced)
// always get one version: every changed host with the same round.
func TestMediumChangeReadersNeverMix(t *testing.T) {
	ctx := context.Background()
	s := manyBuckets(t)
	inv := fleet(4000)
	hosts := spread(inv, 7)
	for _, h := range hosts {
		inv.Hosts[h].Vars["round"] = int64(0)
	}
	if _, err := s.Replace(ctx, inv, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	r := openRoot(t, s)
	var stop atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 2 {
		wg.Go(func() {
			for !stop.Load() {
				got, _, err := r.Load(ctx)
				if err != nil {
					errs <- err
					return
				}
				round := got.Hosts[hosts[0]].Vars["round"]
				for _, h := range hosts {
					if v := got.Hosts[h].Vars["round"]; v != round {
						errs <- fmt.Errorf("a read mixed rounds: %s has %v, %s has %v", hosts[0], round, h, v)
						return
					}
				}
				reads.Add(1)
			}
		})
	}
	for round := int64(1); round <= 6; round++ {
		if _, err := s.EditHosts(ctx, "round", roundEdits(hosts, round)); err != nil {
			t.Fatal(err)
		}
	}
	// Let the readers finish a read of the last round too.
	deadline := time.Now().Add(10 * time.Second)
	for n := reads.Load(); reads.Load() < n+2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if reads.Load() == 0 {
		t.Error("no read completed")
	}
	t.Logf("%d consistent reads", reads.Load())
}

// TestMediumChangeKilledWriter: a writer that dies after building its
// copy-on-write buckets and before the multi that switches them in leaves
// the previous inventory intact; the next write deletes what it built.
func TestMediumChangeKilledWriter(t *testing.T) {
	ctx := context.Background()
	s, inv := mediumRoot(t)
	before := countGens(t, s)
	killed := errors.New("killed")
	testHookBeforeSwitch = func() error { return killed }
	_, err := s.EditHosts(ctx, "killed", roundEdits(spread(inv, 7), 1))
	testHookBeforeSwitch = nil
	if !errors.Is(err, killed) {
		t.Fatalf("EditHosts: %v", err)
	}
	if n := countGens(t, s); n != before+1 {
		t.Fatalf("%d generations after the killed write, want %d", n, before+1)
	}
	got, _ := mustLoad(t, s)
	if d := diffInv(inv, got); d != "" {
		t.Fatalf("after the killed write (-want +got):\n%s", d)
	}
	if err := s.SetHostVar(ctx, "host000001.example.com", "x", "y"); err != nil {
		t.Fatal(err)
	}
	inv.Hosts["host000001.example.com"].Vars["x"] = "y"
	got, _ = mustLoad(t, s)
	if d := diffInv(inv, got); d != "" {
		t.Fatalf("after the next write (-want +got):\n%s", d)
	}
	checkManifest(t, s)
}

// TestManifestCorruptBucket: a bucket missing while meta still names it is
// reported as corruption, not read around.
func TestManifestCorruptBucket(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Replace(ctx, fleet(50), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	p := bucketPaths(s.cfg.Root, mustMeta(t, s))[0]
	if err := s.conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		t.Fatal(err)
	}
	if _, _, err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Load of a root missing %s: %v", p, err)
	}
}
