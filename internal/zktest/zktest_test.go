package zktest

import (
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

func connect(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, 5*time.Second, zk.WithLogger(nopLogger{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestStartRestartKill(t *testing.T) {
	t0 := time.Now()
	s := Start(t)
	t.Logf("started %s in %v", s.Addr, time.Since(t0))
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") {
		t.Fatalf("Addr = %q", s.Addr)
	}
	c := connect(t, s.Addr)
	if _, err := c.Create("/x", []byte("hello"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if serving(s.Addr) {
		t.Fatal("still serving after Kill")
	}
	s.Restart()
	c2 := connect(t, s.Addr)
	data, _, err := c2.Get("/x")
	if err != nil || string(data) != "hello" {
		t.Fatalf("after restart: %q, %v", data, err)
	}
	s.Stop()
	s.Stop()
	if serving(s.Addr) {
		t.Fatal("still serving after Stop")
	}
}

func TestShared(t *testing.T) {
	a, b := Shared(t), Shared(t)
	if a != b {
		t.Fatal("Shared returned two servers")
	}
	r1, r2 := UniqueRoot(t), UniqueRoot(t)
	if r1 == r2 || !strings.HasPrefix(r1, "/zktest/TestShared-") {
		t.Fatalf("roots %q %q", r1, r2)
	}
	c := connect(t, a.Addr)
	if _, _, err := c.Exists("/"); err != nil {
		t.Fatal(err)
	}
}

func TestMain(m *testing.M) { Main(m) }
