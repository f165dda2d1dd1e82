package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/pkg/kook/coord"
)

// coordFaultSession is the session timeout of the coordination fault
// tests: the least a server with zktest's tick grants is 1s.
const coordFaultSession = 4 * time.Second

// coordEnv writes a configuration for servers and root with the fault
// tests' session timeout and returns the environment naming it.
func coordEnv(t *testing.T, servers, root string) []string {
	t.Helper()
	cfg := writeTemp(t, "kook.yml", []byte(fmt.Sprintf("hosts: %s\nroot: %s\nsession_timeout: %s\n", servers, root, coordFaultSession)))
	return append(baseEnv(t), "KOOK_CONFIG="+cfg, "XDG_CACHE_HOME="+t.TempDir())
}

// readStamp reads a file holding `date +%s.%N`, waiting for it.
func readStamp(t *testing.T, p string, limit time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		b, err := os.ReadFile(p)
		if err == nil && bytes.HasSuffix(b, []byte("\n")) {
			f, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			return time.Unix(0, int64(f*1e9))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not written within %v", p, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func alivePid(pid int) bool {
	// A zombie still answers kill 0; its state in /proc says it is dead.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

// TestLockKilled: SIGKILL of kook lock kills its command (parent-death
// signal) and the lock is free again within the session timeout.
func TestLockKilled(t *testing.T) {
	srv := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	env := coordEnv(t, srv.Addr, root)
	mustImport(t, env, writeTemp(t, "inv.ini", []byte("h1\n")))
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	k := exec.Command(kookBin, "lock", "h1", "--", "sh", "-c", `echo $$ > `+pidFile+`.tmp && mv `+pidFile+`.tmp `+pidFile+` && exec sleep 600`)
	k.Env = env
	if err := k.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var pid int
	for pid == 0 {
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the command did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The answer with h1 locked goes into the cache.
	if groups, _, _ := listGroups(t, env); len(groups["kook_locked"]) != 1 {
		t.Fatalf("kook_locked = %v while h1 is locked", groups["kook_locked"])
	}
	killed := time.Now()
	k.Process.Signal(syscall.SIGKILL)
	k.Wait()
	for alivePid(pid) {
		if time.Since(killed) > 10*time.Second {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("the command (pid %d) outlived kook lock killed by SIGKILL", pid)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The lock is free within the session timeout: a wait of that long
	// gets it (the session ends when the server stops hearing from it).
	r := runFaultCmd(time.Minute, env, kookBin, "lock", "h1", "--wait", (coordFaultSession + time.Second).String(), "--", "true")
	if r.code != 0 {
		t.Fatalf("lock after its holder was killed: exit %d\n%s", r.code, r.stderr)
	}
	t.Logf("lock free %v after its holder was killed (session timeout %v)", r.end.Sub(killed).Round(time.Millisecond), coordFaultSession)
	if out := run(t, t.TempDir(), env, kookBin, "locks"); len(out.stdout) != 0 {
		t.Fatalf("locks left: %s", out.stdout)
	}
	// The unchanged-inventory check sees a lock released by an expiry.
	if groups, _, _ := listGroups(t, env); len(groups["kook_locked"]) != 0 {
		t.Fatalf("kook_locked = %v after the lock expired (a stale cached answer)", groups["kook_locked"])
	}
}

// TestLockNetworkCut: the lock holder's network is cut (a proxy drops
// everything); its command is stopped before another contender, waiting
// directly on ZooKeeper, gets the lock when the session expires. Never two
// commands for one host at once.
func TestLockNetworkCut(t *testing.T) {
	srv := zktest.Start(t)
	root := zktest.UniqueRoot(t)
	px := newFaultProxies(t, []string{srv.Addr})
	direct := coordEnv(t, srv.Addr, root)
	cut := coordEnv(t, px.Addrs()[0], root)
	mustImport(t, direct, writeTemp(t, "inv.ini", []byte("h1\n")))
	dir := t.TempDir()
	stamp := func(name string) string {
		return `date +%s.%N > ` + filepath.Join(dir, name) + `.tmp && mv ` + filepath.Join(dir, name) + `.tmp ` + filepath.Join(dir, name)
	}

	holder := make(chan faultRun, 1)
	go func() {
		holder <- runFaultCmd(2*time.Minute, cut, kookBin, "lock", "h1", "--", "sh", "-c",
			`trap '`+stamp("stop1")+`; exit 143' TERM; `+stamp("start1")+`; while :; do sleep 0.02; done`)
	}()
	readStamp(t, filepath.Join(dir, "start1"), 30*time.Second)
	px.Partition()
	cutAt := time.Now()
	next := runFaultCmd(2*time.Minute, direct, kookBin, "lock", "h1", "--wait", "1m", "--", "sh", "-c", stamp("start2"))
	if next.code != 0 {
		t.Fatalf("contender: exit %d\n%s", next.code, next.stderr)
	}
	start2 := readStamp(t, filepath.Join(dir, "start2"), time.Second)
	h := <-holder
	if h.code != 4 || !bytes.Contains(h.stderr, []byte("stopped")) {
		t.Fatalf("holder: exit %d, want 4 saying its command was stopped\n%s", h.code, h.stderr)
	}
	stop1 := readStamp(t, filepath.Join(dir, "stop1"), time.Second)
	if !stop1.Before(start2) {
		t.Fatalf("two commands for one host: the holder's stopped at %v, the next started at %v", stop1, start2)
	}
	t.Logf("network cut at 0; holder's command stopped at %v; next holder's started at %v: margin %v (session timeout %v)",
		stop1.Sub(cutAt).Round(time.Millisecond), start2.Sub(cutAt).Round(time.Millisecond),
		start2.Sub(stop1).Round(time.Millisecond), coordFaultSession)
}

// TestAliveAfterSessionLoss: a liveness node disappears when its holder's
// network is cut past the session timeout, and comes back once the
// network does, in the new session go-zookeeper opened.
func TestAliveAfterSessionLoss(t *testing.T) {
	srv := zktest.Start(t)
	root := zktest.UniqueRoot(t)
	px := newFaultProxies(t, []string{srv.Addr})
	held := openFaultStore(t, px.Addrs(), root, 5*time.Second, coordFaultSession)
	watcher := openFaultStore(t, []string{srv.Addr}, root, 5*time.Second, coordFaultSession)
	c := coord.New(held.Conn(), root, nil)
	w := coord.New(watcher.Conn(), root, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.HoldAlive(ctx, "h1", c.NewHolder(""), time.Second, nil) }()
	alive := func(want bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			st, err := w.ReadState(context.Background())
			if err == nil && st.Alive["h1"] == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("h1 alive is not %v within 60s (%v)", want, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	alive(true)
	before := held.Conn().SessionID()
	px.Partition()
	alive(false) // the session expired
	px.Heal()
	alive(true)
	if held.Conn().SessionID() == before {
		t.Fatal("alive again in the old session: the test did not make it expire")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	alive(false)
}
