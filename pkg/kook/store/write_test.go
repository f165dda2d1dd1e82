package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook"
)

func rootKids(t *testing.T, s *Store) []string {
	t.Helper()
	kids, _, err := s.conn.Children(s.cfg.Root)
	if err != nil {
		t.Fatal(err)
	}
	return kids
}

func countGens(t *testing.T, s *Store) int {
	n := 0
	for _, k := range rootKids(t, s) {
		if genName.MatchString(k) {
			n++
		}
	}
	return n
}

func TestUpdateAndExpectVersion(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Replace(ctx, fleet(50), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	want, v0 := mustLoad(t, s)
	res, err := s.Update(ctx, func(inv *kook.Inventory) error {
		inv.AddMember("late", "host000003.example.com")
		inv.AddHost("solo")
		inv.Groups["group0001"].Vars["port"] = 1.5
		return nil
	}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewGeneration || res.BucketsWritten == 0 || res.BucketsWritten > 4 {
		t.Errorf("small Update: %+v", res)
	}
	want.AddMember("late", "host000003.example.com")
	want.AddHost("solo")
	want.Groups["group0001"].Vars["port"] = 1.5
	want.Reconcile()
	got, v1 := mustLoad(t, s)
	if d := diffInv(want, got); d != "" {
		t.Fatal(d)
	}
	// fn's error stops the write.
	boom := errors.New("boom")
	if _, err := s.Update(ctx, func(*kook.Inventory) error { return boom }, WriteOptions{}); err != boom {
		t.Errorf("fn error: %v", err)
	}
	// A stale ExpectVersion is a conflict, the right one succeeds.
	_, err = s.Replace(ctx, fleet(10), WriteOptions{ExpectVersion: &v0})
	if !errors.Is(err, ErrConflict) {
		t.Errorf("stale ExpectVersion: %v", err)
	}
	if _, err := s.Replace(ctx, fleet(10), WriteOptions{ExpectVersion: &v1}); err != nil {
		t.Errorf("current ExpectVersion: %v", err)
	}
}

// TestReorderKeepsPositions checks that inserting one host in the middle
// of a big group rewrites only that host's bucket.
func TestReorderKeepsPositions(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	inv := kook.New()
	for i := 0; i < 3000; i++ {
		inv.AddMember("big", fmt.Sprintf("h%05d", i))
	}
	inv.Reconcile()
	if _, err := s.Replace(ctx, inv, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	// Insert a host in the middle of "big" and move one to the front.
	g := inv.Groups["big"]
	hosts := append([]string{"h02999"}, g.Hosts[:1500]...)
	hosts = append(hosts, "inserted")
	hosts = append(hosts, g.Hosts[1500:2999]...)
	g.Hosts = hosts
	inv.AddHost("inserted")
	res, err := s.Replace(ctx, inv, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewGeneration || res.BucketsWritten > 2 {
		t.Errorf("insert in the middle: %+v", res)
	}
	got, _ := mustLoad(t, s)
	if d := diffInv(inv, got); d != "" {
		t.Fatal(d)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	ctx := context.Background()
	s1 := open(t)
	s2 := openRoot(t, s1)
	if _, err := s1.Replace(ctx, fleet(100), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	const n = 15
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := map[string][]string{} // key -> hosts whose write reported success
	for w, s := range []*Store{s1, s2, s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				key := fmt.Sprintf("w%d_%d", w, i)
				_, err := s.Update(ctx, func(inv *kook.Inventory) error {
					inv.Hosts["host000001.example.com"].Vars[key] = int64(i)
					return nil
				}, WriteOptions{})
				mu.Lock()
				if err == nil {
					ok[key] = append(ok[key], "host000001.example.com")
				} else if !errors.Is(err, ErrConflict) {
					t.Errorf("Update: %v", err)
				}
				mu.Unlock()
				err = s.SetHostVar(ctx, "host000002.example.com", key, i)
				mu.Lock()
				if err == nil {
					ok[key] = append(ok[key], "host000002.example.com")
				} else if !errors.Is(err, ErrConflict) {
					t.Errorf("SetHostVar: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	inv, _ := mustLoad(t, s1)
	succeeded := 0
	for key, hosts := range ok {
		for _, h := range hosts {
			succeeded++
			var i int64
			fmt.Sscanf(key[strings.IndexByte(key, '_')+1:], "%d", &i)
			if inv.Hosts[h].Vars[key] != i {
				t.Errorf("%s: %s reported success but is lost: %v", h, key, inv.Hosts[h].Vars[key])
			}
		}
	}
	t.Logf("%d of %d racing writes succeeded", succeeded, 8*n)
	if succeeded < 4*n {
		t.Errorf("only %d of %d racing writes succeeded", succeeded, 8*n)
	}
}

// TestRacingReplace: two Replaces of different inventories with
// ExpectVersion: one wins, the other conflicts, the result is one of them.
func TestRacingReplace(t *testing.T) {
	ctx := context.Background()
	s1 := open(t)
	s2 := openRoot(t, s1)
	if _, err := s1.Replace(ctx, fleet(20), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, v := mustLoad(t, s1)
	a, b := fleet(600), fleet(30)
	var wg sync.WaitGroup
	var errA, errB error
	wg.Add(2)
	go func() { defer wg.Done(); _, errA = s1.Replace(ctx, a, WriteOptions{ExpectVersion: &v}) }()
	go func() { defer wg.Done(); _, errB = s2.Replace(ctx, b, WriteOptions{ExpectVersion: &v}) }()
	wg.Wait()
	got, _ := mustLoad(t, s1)
	switch {
	case errA == nil && errors.Is(errB, ErrConflict):
		if d := diffInv(a, got); d != "" {
			t.Fatal(d)
		}
	case errB == nil && errors.Is(errA, ErrConflict):
		if d := diffInv(b, got); d != "" {
			t.Fatal(d)
		}
	default:
		t.Fatalf("want one success and one conflict: %v / %v", errA, errB)
	}
}

func TestBigReplaceNewGeneration(t *testing.T) {
	if testing.Short() {
		t.Skip("big")
	}
	ctx := context.Background()
	s := open(t)
	if _, err := s.Replace(ctx, fleet(100), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	big := fleet(20000)
	calls := 0
	res, err := s.Replace(ctx, big, WriteOptions{Progress: func(done, total int) {
		calls++
		if done > total {
			t.Errorf("progress %d/%d", done, total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.NewGeneration || calls < 2 || res.Hosts != 20000 {
		t.Errorf("big Replace: %+v, %d progress calls", res, calls)
	}
	got, v := mustLoad(t, s)
	if d := diffInv(big, got); d != "" {
		t.Fatal(d)
	}
	if n := countGens(t, s); n != 1 {
		t.Errorf("%d generations left, want 1: %v", n, rootKids(t, s))
	}
	// Changing 10 hosts writes only their buckets, in one multi.
	for i := 0; i < 10; i++ {
		big.Hosts[fmt.Sprintf("host%06d.example.com", i*997)].Vars["changed"] = true
	}
	res, err = s.Replace(ctx, big, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewGeneration || res.BucketsWritten > 10 || res.Version.Generation != v.Generation {
		t.Errorf("10 changes: %+v", res)
	}
	// Shrinking a lot re-buckets into a new generation and drops the old.
	res, err = s.Replace(ctx, fleet(10), WriteOptions{})
	if err != nil || !res.NewGeneration {
		t.Fatalf("shrink: %+v %v", res, err)
	}
	if n := countGens(t, s); n != 1 {
		t.Errorf("%d generations left after shrinking", n)
	}
}

// TestKilledWriter builds half a generation by hand, as a writer killed
// mid-import leaves it: readers keep the old inventory, the next write
// (even a small one) collects it.
func TestKilledWriter(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	old := fleet(40)
	if _, err := s.Replace(ctx, old, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	c := s.conn
	gen, err := c.Create(s.cfg.Root+"/g", genData(4, 1), zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{gen + "/h", gen + "/h/0", gen + "/h/1"} {
		if _, err := c.Create(p, []byte(`{"x":{"vars":{},"groups":{}}}`), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := mustLoad(t, s)
	if d := diffInv(old, got); d != "" {
		t.Fatal(d)
	}
	if n := countGens(t, s); n != 2 {
		t.Fatalf("%d generations", n)
	}
	if err := s.SetHostVar(ctx, "host000001.example.com", "after", true); err != nil {
		t.Fatal(err)
	}
	if n := countGens(t, s); n != 1 {
		t.Errorf("the killed writer's generation was not collected: %v", rootKids(t, s))
	}
}

func TestRefusedRoots(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	root := s.cfg.Root
	if err := s.ensurePath(ctx, root); err != nil {
		t.Fatal(err)
	}
	// An empty existing root is fine.
	if _, err := s.Replace(ctx, fleet(5), WriteOptions{}); err != nil {
		t.Fatalf("empty root: %v", err)
	}

	foreign := open(t)
	if err := foreign.ensurePath(ctx, foreign.cfg.Root+"/config"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := foreign.Load(ctx); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("foreign root Load: %v", err)
	}
	if _, err := foreign.Replace(ctx, fleet(5), WriteOptions{}); err == nil {
		t.Error("foreign root overwritten")
	}
	if err := foreign.AddHost(ctx, "x", nil); err == nil {
		t.Error("foreign root written by AddHost")
	}

	for name, data := range map[string]string{
		"not json":     "hello",
		"not kook":     `{"a":1}`,
		"newer schema": `{"schema":5,"current":"g0000000001"}`,
	} {
		s := open(t)
		if err := s.ensurePath(ctx, s.cfg.Root); err != nil {
			t.Fatal(err)
		}
		if _, err := s.conn.Create(s.metaP, []byte(data), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.Load(ctx)
		if err == nil {
			t.Errorf("%s: Load succeeded", name)
			continue
		}
		if name == "newer schema" && !strings.Contains(err.Error(), "written by a newer kook (schema 5") {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := s.Replace(ctx, fleet(5), WriteOptions{}); err == nil {
			t.Errorf("%s: overwritten", name)
		}
		if data2, _, _ := s.conn.Get(s.metaP); string(data2) != data {
			t.Errorf("%s: meta changed to %s", name, data2)
		}
	}
}

func TestCorruptBucket(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	res, err := s.Replace(ctx, fleet(5), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := hostBucketPath(s.cfg.Root+"/"+res.Version.Generation, 0, 1)
	if _, err := s.conn.Set(p, []byte(`{"a":{"vars":{`), -1); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Load(ctx)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("corrupt bucket: %v", err)
	}
}

func TestOpenTimeout(t *testing.T) {
	// A listener that accepts and never answers, and a closed port.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for _, addr := range []string{l.Addr().String(), "127.0.0.1:1"} {
		t0 := time.Now()
		_, err := Open(context.Background(), Config{Servers: []string{addr}, Timeout: 700 * time.Millisecond})
		el := time.Since(t0)
		if err == nil || !strings.Contains(err.Error(), "cannot reach ZooKeeper at "+addr) {
			t.Errorf("%s: %v", addr, err)
		}
		if el > 1500*time.Millisecond {
			t.Errorf("%s: took %v", addr, el)
		}
		t.Logf("%s: %v after %v", addr, err, el)
	}
}

// TestDeadServer: a store whose server dies fails each call within Timeout.
func TestDeadServer(t *testing.T) {
	srv := zktest.Start(t)
	ctx := context.Background()
	s, err := Open(ctx, Config{Servers: []string{srv.Addr}, Root: "/kook", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Replace(ctx, fleet(5), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	t0 := time.Now()
	_, _, err = s.Load(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot reach ZooKeeper") || time.Since(t0) > 1500*time.Millisecond {
		t.Errorf("Load of a dead server: %v after %v", err, time.Since(t0))
	}
	t0 = time.Now()
	if err := s.SetHostVar(ctx, "host000001.example.com", "a", 1); err == nil || time.Since(t0) > 1500*time.Millisecond {
		t.Errorf("write to a dead server: %v after %v", err, time.Since(t0))
	}
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, err = s.Load(ctx)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("after restart: %v", err)
	}
}

func TestDigestACL(t *testing.T) {
	ctx := context.Background()
	srv := zktest.Shared(t)
	root := zktest.UniqueRoot(t) + "/deep/kook"
	const secret = "s3cret-pw"
	for _, worldRead := range []bool{false, true} {
		root := fmt.Sprintf("%s%v", root, worldRead)
		s, err := Open(ctx, Config{Servers: []string{srv.Addr}, Root: root, Digest: "admin:" + secret, WorldRead: worldRead})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Replace(ctx, fleet(5), WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetHostVar(ctx, "host000001.example.com", "a", 1); err != nil {
			t.Fatal(err)
		}
		anon, err := Open(ctx, Config{Servers: []string{srv.Addr}, Root: root})
		if err != nil {
			t.Fatal(err)
		}
		defer anon.Close()
		_, _, err = anon.Load(ctx)
		if worldRead && err != nil {
			t.Errorf("world_read: anonymous Load: %v", err)
		}
		if !worldRead && err == nil {
			t.Error("anonymous Load allowed without world_read")
		}
		err = anon.SetHostVar(ctx, "host000001.example.com", "a", 2)
		if err == nil {
			t.Error("anonymous write allowed")
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("error shows the password: %v", err)
		}
		if _, err := anon.Replace(ctx, fleet(3), WriteOptions{}); err == nil {
			t.Error("anonymous Replace allowed")
		}
		// Every znode, the root's parents included, refuses deletes and sets.
		c := anon.conn
		var walk func(p string)
		walk = func(p string) {
			if err := c.Delete(p, -1); !errors.Is(err, zk.ErrNoAuth) && !errors.Is(err, zk.ErrNotEmpty) {
				t.Errorf("anonymous delete of %s: %v", p, err)
			}
			if _, err := c.Set(p, []byte("x"), -1); !errors.Is(err, zk.ErrNoAuth) {
				t.Errorf("anonymous set of %s: %v", p, err)
			}
			kids, _, _ := s.conn.Children(p)
			for _, k := range kids {
				walk(p + "/" + k)
			}
		}
		walk(strings.TrimSuffix(root, fmt.Sprintf("/deep/kook%v", worldRead)) + "/deep")
		if strings.Contains(fmt.Sprint(s.cfg), secret) || strings.Contains(fmt.Sprintf("%#v", s.cfg), secret) {
			t.Error("Config prints the password")
		}
	}
}
