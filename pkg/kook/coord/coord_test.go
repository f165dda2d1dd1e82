package coord

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

func TestMain(m *testing.M) { zktest.Main(m) }

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// connect opens a session on the shared server; it ends with the test.
func connect(t *testing.T) *zk.Conn {
	t.Helper()
	srv := zktest.Shared(t)
	conn, ev, err := zk.Connect([]string{srv.Addr}, 4*time.Second, zk.WithLogger(nopLogger{}), zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	for e := range ev {
		if e.State == zk.StateHasSession {
			break
		}
	}
	t.Cleanup(conn.Close)
	return conn
}

// pair returns two clients of one root, each with its own session.
func pair(t *testing.T) (*Client, *Client) {
	t.Helper()
	root := zktest.UniqueRoot(t)
	return New(connect(t), root, nil), New(connect(t), root, nil)
}

func TestNodeName(t *testing.T) {
	for _, name := range []string{"web01", ".", "..", "a/b", "x~1", "100%", "ünï", "sp ace", "tab\t", "...", "a.b"} {
		enc := NodeName(name)
		if enc == "." || enc == ".." || len(enc) == 0 {
			t.Errorf("NodeName(%q) = %q, which ZooKeeper refuses", name, enc)
		}
		for _, bad := range []string{"/", "~", " "} {
			if contains(enc, bad) {
				t.Errorf("NodeName(%q) = %q holds %q", name, enc, bad)
			}
		}
		back, err := ParseNodeName(enc)
		if err != nil || back != name {
			t.Errorf("ParseNodeName(NodeName(%q)) = %q, %v", name, back, err)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestLockHeldAndWait(t *testing.T) {
	a, b := pair(t)
	ctx := context.Background()
	la, err := a.Lock(ctx, []string{"h1"}, a.NewHolder("kernel"), 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Lock(ctx, []string{"h2", "h1"}, b.NewHolder(""), 0)
	var held *HeldError
	if !errors.As(err, &held) || held.Host != "h1" || held.Holder.Reason != "kernel" {
		t.Fatalf("second lock: %v, want h1 held for kernel", err)
	}
	// A failed Lock releases what it took (h2) and leaves no contender.
	if got := locked(t, b); !cmp.Equal(got, []string{"h1"}) {
		t.Fatalf("locked after a refused lock: %v, want [h1]", got)
	}
	// A bounded wait that runs out is refused the same way.
	if _, err := b.Lock(ctx, []string{"h1"}, b.NewHolder(""), 200*time.Millisecond); !errors.As(err, &held) {
		t.Fatalf("lock with a short wait: %v, want held", err)
	}
	got := make(chan error, 1)
	go func() {
		l, err := b.Lock(ctx, []string{"h1"}, b.NewHolder("next"), time.Minute)
		if err == nil {
			defer l.Release()
		}
		got <- err
	}()
	waitFor(t, func() bool { infos, _ := a.Locks(ctx); return len(infos) == 1 && infos[0].Waiting == 1 })
	select {
	case err := <-got:
		t.Fatalf("waiter got the lock while it was held: %v", err)
	default:
	}
	la.Release()
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
}

// locked lists the hosts whose lock is held.
func locked(t *testing.T, c *Client) []string {
	t.Helper()
	infos, err := c.Locks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, i := range infos {
		hosts = append(hosts, i.Host)
	}
	return hosts
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two callers locking the same hosts named in opposite orders both finish:
// the global order prevents a deadlock.
func TestLockNoDeadlock(t *testing.T) {
	a, b := pair(t)
	hosts := []string{"h1", "h2", "h3", "h4"}
	rev := []string{"h4", "h3", "h2", "h1"}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for _, c := range []struct {
		cl    *Client
		hosts []string
	}{{a, hosts}, {b, rev}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				l, err := c.cl.Lock(context.Background(), c.hosts, c.cl.NewHolder(""), 30*time.Second)
				if err != nil {
					errs <- err
					return
				}
				l.Release()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// A session's end releases its locks, and the state's key moves with it.
func TestLockFreedBySessionEnd(t *testing.T) {
	root := zktest.UniqueRoot(t)
	conn := connect(t)
	a := New(conn, root, nil)
	b := New(connect(t), root, nil)
	ctx := context.Background()
	if _, err := a.Lock(ctx, []string{"h1"}, a.NewHolder(""), 0); err != nil {
		t.Fatal(err)
	}
	key, err := b.StateKey(ctx)
	if err != nil || key == "" {
		t.Fatalf("StateKey = %q, %v", key, err)
	}
	conn.Close()
	if _, err := b.Lock(ctx, []string{"h1"}, b.NewHolder(""), 10*time.Second); err != nil {
		t.Fatalf("lock after its holder's session ended: %v", err)
	}
	again, err := b.StateKey(ctx)
	if err != nil || again == key {
		t.Fatalf("StateKey after the holder's session ended = %q (was %q), %v", again, key, err)
	}
}

func TestForceUnlock(t *testing.T) {
	a, b := pair(t)
	ctx := context.Background()
	if _, err := a.Lock(ctx, []string{"h1"}, a.NewHolder("stuck"), 0); err != nil {
		t.Fatal(err)
	}
	h, err := b.ForceUnlock(ctx, "h1")
	if err != nil || h.Reason != "stuck" {
		t.Fatalf("ForceUnlock = %+v, %v", h, err)
	}
	if _, err := b.ForceUnlock(ctx, "h1"); err == nil {
		t.Fatal("ForceUnlock of a free lock succeeded")
	}
}

func TestMaint(t *testing.T) {
	a, _ := pair(t)
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	a.Now = func() time.Time { return now }
	until := now.Add(time.Hour)
	if err := a.MaintOn(ctx, []string{"h1"}, Maint{Owner: "o", Reason: "disk", Since: now}); err != nil {
		t.Fatal(err)
	}
	k1, _ := a.StateKey(ctx)
	// Replacing a record moves the key (delete and create), as cached
	// readers need.
	if err := a.MaintOn(ctx, []string{"h1", "h2"}, Maint{Owner: "o", Reason: "disk", Since: now, Until: &until}); err != nil {
		t.Fatal(err)
	}
	k2, _ := a.StateKey(ctx)
	if k1 == k2 {
		t.Fatalf("state key did not move when a record was replaced: %s", k1)
	}
	list, err := a.MaintList(ctx)
	if err != nil || len(list) != 2 || list[0].Host != "h1" || list[0].Until == nil || !list[0].Until.Equal(until) {
		t.Fatalf("MaintList = %+v, %v", list, err)
	}
	a.Now = func() time.Time { return until }
	if list, _ := a.MaintList(ctx); len(list) != 0 {
		t.Fatalf("MaintList at until = %+v, want none (until evaluated at read time)", list)
	}
	off, err := a.MaintOff(ctx, []string{"h1", "nope"})
	if err != nil || len(off) != 1 || off[0].Host != "h1" {
		t.Fatalf("MaintOff = %+v, %v", off, err)
	}
}

func TestShowState(t *testing.T) {
	a, _ := pair(t)
	ctx := context.Background()
	inv := kook.New()
	inv.AddMember("web", "h1")
	inv.AddMember("web", "h2")
	inv.Hosts["h1"].Vars["x"] = int64(1)
	inv.Reconcile()

	st, err := a.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := inv.Encode()
	if err != nil {
		t.Fatal(err)
	}
	again, _ := inv.Encode()
	if _, err := st.Show(enc, time.Now()); err != nil || !enc.Equal(again) {
		t.Fatalf("an unused state changed the inventory (%v)", err)
	}

	since := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	until := since.Add(time.Hour)
	a.Now = func() time.Time { return since }
	if _, err := a.Lock(ctx, []string{"h1", "gone"}, a.NewHolder("r"), 0); err != nil {
		t.Fatal(err)
	}
	if err := a.MaintOn(ctx, []string{"h2"}, Maint{Owner: "o", Reason: "m", Since: since, Until: &until}); err != nil {
		t.Fatal(err)
	}
	st, err = a.ReadState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if enc, err = inv.Encode(); err != nil {
		t.Fatal(err)
	}
	expires, err := st.Show(enc, since)
	if err != nil || !expires.Equal(until) {
		t.Fatalf("Show: expires %v, %v; want %v", expires, err, until)
	}
	groups := map[string][]string{}
	for _, g := range enc.Groups {
		groups[g.Name] = g.Hosts
	}
	want := map[string][]string{"kook_locked": {"h1"}, "kook_maintenance": {"h2"}, "kook_alive": nil}
	for g, hosts := range want {
		if got, ok := groups[g]; !ok || !cmp.Equal(got, hosts) {
			t.Errorf("group %s = %v (present %v), want %v", g, got, ok, hosts)
		}
	}
	vars := map[string]string{}
	for _, h := range enc.Hosts {
		vars[h.Name] = string(h.Vars)
	}
	wantVars := map[string]string{
		"h1": `{"kook_lock":{"owner":"` + Owner() + `","reason":"r","since":"2030-01-02T03:04:05Z"},"x":1}`,
		"h2": `{"kook_maintenance":{"owner":"o","reason":"m","since":"2030-01-02T03:04:05Z","until":"2030-01-02T04:04:05Z"}}`,
	}
	if diff := cmp.Diff(wantVars, vars); diff != "" {
		t.Errorf("host vars (-want +got):\n%s", diff)
	}
	// After until the record is not shown.
	if enc, err = inv.Encode(); err != nil {
		t.Fatal(err)
	}
	st.Show(enc, until)
	for _, g := range enc.Groups {
		if g.Name == "kook_maintenance" && len(g.Hosts) != 0 {
			t.Errorf("kook_maintenance after until = %v", g.Hosts)
		}
	}
}

func TestSem(t *testing.T) {
	a, b := pair(t)
	ctx := context.Background()
	sa, err := a.JoinSem(ctx, "web", 2, a.NewHolder(""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.JoinSem(ctx, "web", 3, b.NewHolder("other"))
	var conflict *SemConflictError
	if !errors.As(err, &conflict) || conflict.N != 2 {
		t.Fatalf("JoinSem with another bound: %v, want a conflict naming 2", err)
	}
	sb, err := b.JoinSem(ctx, "web", 2, b.NewHolder(""))
	if err != nil {
		t.Fatal(err)
	}
	r1, err := sa.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := sb.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	third := make(chan error, 1)
	go func() {
		r, err := sb.Acquire(ctx)
		if err == nil {
			r()
		}
		third <- err
	}()
	select {
	case err := <-third:
		t.Fatalf("a third slot was given with a bound of 2 (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	r1()
	if err := <-third; err != nil {
		t.Fatal(err)
	}
	r2()
	sa.Leave()
	sb.Leave()
	// With every roll gone, another bound is fine.
	if s, err := b.JoinSem(ctx, "web", 3, b.NewHolder("")); err != nil {
		t.Fatalf("JoinSem after the others left: %v", err)
	} else {
		s.Leave()
	}
}

func TestHoldAlive(t *testing.T) {
	a, b := pair(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.HoldAlive(ctx, "h1", a.NewHolder(""), time.Second, nil) }()
	alive := func() bool {
		st, err := b.ReadState(context.Background())
		return err == nil && st.Alive["h1"]
	}
	waitFor(t, alive)
	// A node lost (as with its session) is made again.
	kids, _, err := b.conn.Children(b.path(store.AliveNode))
	if err != nil || len(kids) != 1 {
		t.Fatalf("alive nodes: %v, %v", kids, err)
	}
	if err := b.conn.Delete(b.path(store.AliveNode)+"/"+kids[0], -1); err != nil {
		t.Fatal(err)
	}
	waitFor(t, alive)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if alive() {
		t.Fatal("still alive after HoldAlive ended")
	}
}

func TestGuardHeartbeat(t *testing.T) {
	conn := connect(t)
	g, err := NewGuard(conn, "/", 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	first := g.Safe()
	waitFor(t, func() bool { return g.Safe().After(first) })
	select {
	case <-g.Lost():
		t.Fatalf("lost: %v", g.Err())
	default:
	}
	g.Event(zk.Event{Type: zk.EventSession, State: zk.StateExpired})
	select {
	case <-g.Lost():
	default:
		t.Fatal("an expired session is not lost")
	}
}
