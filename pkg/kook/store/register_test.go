package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook"
)

// TestRegisterDirect: without credentials a registration writes directly,
// creates missing groups under all, and is idempotent.
func TestRegisterDirect(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Replace(ctx, fleet(50), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	r := Registration{Host: "new01", Groups: []string{"booted", "group0001"}, Vars: kook.Vars{"port": int64(8080)}}
	for i := range 2 {
		filed, err := s.Register(ctx, r)
		if err != nil || filed {
			t.Fatalf("register %d: filed=%v, %v", i, filed, err)
		}
	}
	got, _ := mustLoad(t, s)
	if got.Hosts["new01"].Vars["port"] != int64(8080) || !got.Groups["booted"].HasHost("new01") ||
		!got.Groups["group0001"].HasHost("new01") || !got.Groups[kook.All].HasChild("booted") || got.Groups[kook.Ungrouped].HasHost("new01") {
		t.Errorf("after register: host %+v, booted %+v", got.Hosts["new01"], got.Groups["booted"])
	}
	entries, err := s.Log(ctx, LogQuery{Host: "new01"})
	if err != nil || len(entries) != 1 {
		t.Errorf("a repeated registration wrote again: %d entries, %v", len(entries), err)
	}
	if _, err := s.Register(ctx, Registration{Host: "x", Groups: []string{""}}); err == nil {
		t.Error("empty group name accepted")
	}
}

// TestRegisterQueue: a registrar identity can only file registrations
// (ZooKeeper CREATE on ROOT/queue); it cannot read, change or wipe the
// inventory or the queue. The operator applies what is filed.
func TestRegisterQueue(t *testing.T) {
	ctx := context.Background()
	srv := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	op, err := Open(ctx, Config{Servers: []string{srv.Addr}, Root: root, Digest: "admin:op-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if _, err := op.Replace(ctx, fleet(20), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	reg, err := Open(ctx, Config{Servers: []string{srv.Addr}, Root: root, Digest: "boot:reg-secret"})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	r := Registration{Host: "boot01", Groups: []string{"booted"}, Vars: kook.Vars{"zone": "b"}}
	if _, err := reg.Register(ctx, r); !errors.Is(err, ErrNoQueue) {
		t.Fatalf("register without a queue: %v", err)
	}
	if err := op.OpenQueue(ctx, "boot:reg-secret"); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			filed, err := reg.Register(ctx, Registration{Host: fmt.Sprintf("boot%02d", i), Groups: []string{"booted"}, Vars: kook.Vars{"zone": "b"}})
			if err == nil && !filed {
				err = errors.New("applied directly by an identity that may not write")
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("registration %d: %v", i, err)
		}
	}
	// The registrar can do nothing else.
	c := reg.conn
	if _, err := reg.Replace(ctx, kook.New(), WriteOptions{}); err == nil {
		t.Error("the registrar replaced the inventory")
	}
	if err := reg.RemoveHost(ctx, "host000001.example.com"); err == nil {
		t.Error("the registrar removed a host")
	}
	if _, _, err := c.Children(root + "/queue"); !errors.Is(err, zk.ErrNoAuth) {
		t.Errorf("the registrar listed the queue: %v", err)
	}
	for _, p := range []string{root + "/meta", root + "/log", root + "/queue", root} {
		if err := c.Delete(p, -1); !errors.Is(err, zk.ErrNoAuth) && !errors.Is(err, zk.ErrNotEmpty) {
			t.Errorf("registrar delete %s: %v", p, err)
		}
		if _, err := c.Set(p, []byte("x"), -1); !errors.Is(err, zk.ErrNoAuth) {
			t.Errorf("registrar set %s: %v", p, err)
		}
	}
	kids, _, err := op.conn.Children(root + "/queue")
	if err != nil || len(kids) != n {
		t.Fatalf("%d filed, %v", len(kids), err)
	}
	if err := c.Delete(root+"/queue/"+kids[0], -1); !errors.Is(err, zk.ErrNoAuth) {
		t.Errorf("the registrar deleted a filed registration: %v", err)
	}
	applied, err := op.ApplyRegistrations(ctx)
	if err != nil || applied != n {
		t.Fatalf("applied %d: %v", applied, err)
	}
	got, _ := mustLoad(t, op)
	for i := range n {
		h := fmt.Sprintf("boot%02d", i)
		if !got.Groups["booted"].HasHost(h) || got.Hosts[h].Vars["zone"] != "b" {
			t.Errorf("%s not registered", h)
		}
	}
	if kids, _, _ := op.conn.Children(root + "/queue"); len(kids) != 0 {
		t.Errorf("%d registrations left after applying", len(kids))
	}
	e, err := op.Log(ctx, LogQuery{Host: "boot03"})
	if err != nil || len(e) != 1 || !strings.Contains(e[0].What, "filed by boot") {
		t.Errorf("log of an applied registration: %+v, %v", e, err)
	}
	// A bad filed registration is dropped and named; the rest applies.
	if _, err := op.conn.Create(root+"/queue/r-", []byte(`{"host":"","groups":[],"vars":{}}`), zk.FlagSequence, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Register(ctx, Registration{Host: "late", Vars: kook.Vars{}}); err != nil {
		t.Fatal(err)
	}
	applied, err = op.ApplyRegistrations(ctx)
	if applied != 1 || err == nil || !strings.Contains(err.Error(), "empty host name") {
		t.Errorf("applied %d, %v", applied, err)
	}
}

// TestRegisterStorm: many sessions registering at once all succeed, none
// is lost, nothing is left filed, and they share commits (the applier
// applies what others filed, many per multi).
func TestRegisterStorm(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.Replace(ctx, fleet(300), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	const n = 40
	inSessions(t, s, n, func(i int, st *Store) error {
		filed, err := st.Register(ctx, Registration{Host: fmt.Sprintf("storm%02d", i), Groups: []string{fmt.Sprintf("storm%d", i%3)}, Vars: kook.Vars{"i": int64(i)}})
		if err == nil && filed {
			err = errors.New("filed, not applied, by a store that may write")
		}
		return err
	})
	got, _ := mustLoad(t, s)
	for i := range n {
		h := fmt.Sprintf("storm%02d", i)
		if !got.Groups[fmt.Sprintf("storm%d", i%3)].HasHost(h) || got.Hosts[h].Vars["i"] != int64(i) {
			t.Errorf("%s lost", h)
		}
	}
	if kids, _, _ := s.conn.Children(s.queueP()); len(kids) != 0 {
		t.Errorf("%d registrations left filed", len(kids))
	}
	if ok, _, _ := s.conn.Exists(s.applierP()); ok {
		t.Error("the applier lock is still held")
	}
	entries, err := s.Log(ctx, LogQuery{N: 1000})
	if err != nil {
		t.Fatal(err)
	}
	hosts := 0
	for _, e := range entries[:len(entries)-1] { // the last is the Replace
		hosts += len(e.Hosts)
	}
	t.Logf("%d registrations in %d commits", hosts, len(entries)-1)
	if hosts != n {
		t.Errorf("the log names %d registered hosts, want %d", hosts, n)
	}
}
