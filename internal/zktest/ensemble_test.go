package zktest

import (
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// TestEnsemble: three members elect one leader; data written through one
// member is read through the others; killing the leader elects another,
// and a killed member restarts into the ensemble with its data.
func TestEnsemble(t *testing.T) {
	t0 := time.Now()
	e := StartEnsemble(t, 3)
	t.Logf("ensemble %s serves after %v", e.Connect, time.Since(t0))
	if got := strings.Join(e.Addrs(), ","); got != e.Connect || len(e.Addrs()) != 3 {
		t.Fatalf("Addrs() = %q, Connect = %q", got, e.Connect)
	}
	leaders := 0
	for i := range e.Servers {
		switch m := e.Mode(i); m {
		case "leader":
			leaders++
		case "follower":
		default:
			t.Errorf("member %d: mode %q, want leader or follower", i, m)
		}
	}
	if leaders != 1 {
		t.Fatalf("%d leaders", leaders)
	}
	leader, li := e.Leader()
	if leader != e.Servers[li] {
		t.Fatal("Leader() returned a server that is not Servers[i]")
	}

	// Written through one member, read through another: one ensemble.
	c := connect(t, e.Servers[(li+1)%3].Addr)
	if _, err := c.Create("/x", []byte("hello"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	c2 := connect(t, e.Servers[(li+2)%3].Addr)
	if _, err := c2.Sync("/x"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := c2.Get("/x"); err != nil || string(data) != "hello" {
		t.Fatalf("read through another member: %q, %v", data, err)
	}

	killed := time.Now()
	e.Kill(li)
	if e.Mode(li) != "" {
		t.Fatal("the killed leader still answers")
	}
	back := e.WaitQuorum(10 * time.Second)
	_, nl := e.Leader()
	t.Logf("leader %d killed; quorum back after %v, member %d leads after %v", li, back, nl, time.Since(killed))
	if nl == li {
		t.Fatal("the killed member leads")
	}

	e.Restart(li)
	if m := e.Mode(li); m != "follower" && m != "leader" {
		t.Fatalf("restarted member: mode %q", m)
	}
	c3 := connect(t, e.Servers[li].Addr)
	if _, err := c3.Sync("/x"); err != nil {
		t.Fatal(err)
	}
	if data, _, err := c3.Get("/x"); err != nil || string(data) != "hello" {
		t.Fatalf("read through the restarted member: %q, %v", data, err)
	}

	// All down, then all back: the data is still there.
	e.KillAll()
	for i := range e.Servers {
		if m := e.Mode(i); m != "" {
			t.Fatalf("member %d answers %q after KillAll", i, m)
		}
	}
	t1 := time.Now()
	e.RestartAll()
	t.Logf("whole ensemble restarted in %v", time.Since(t1))
	c4 := connectAll(t, e.Addrs())
	if data, _, err := c4.Get("/x"); err != nil || string(data) != "hello" {
		t.Fatalf("after a full restart: %q, %v", data, err)
	}
}

func connectAll(t *testing.T, addrs []string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect(addrs, 5*time.Second, zk.WithLogger(nopLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
