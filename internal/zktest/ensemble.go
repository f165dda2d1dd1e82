package zktest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Ensemble is a replicated ZooKeeper: n servers on loopback, each with its
// own client, quorum and election port and its own data directory. It is
// what the fault tests kill leaders of.
type Ensemble struct {
	// Servers are the members; Servers[i] has myid i+1.
	Servers []*Server
	// Connect is the client connect string, "127.0.0.1:p1,127.0.0.1:p2,...",
	// as KOOK_ZK and hosts: in kook's configuration take it.
	Connect string

	tb testing.TB
}

// StartEnsemble starts n ZooKeeper servers forming one ensemble and
// returns once every one of them serves requests, that is once a leader
// was elected and each member follows it (about 2.5 s for three). The
// servers use the standalone harness's settings (tickTime 500 ms, so
// sessions may be as short as 1 s). They are stopped when the test ends;
// if it failed, the tail of every member's log is printed.
func StartEnsemble(tb testing.TB, n int) *Ensemble {
	tb.Helper()
	checkInstalled(tb)
	if n < 1 {
		tb.Fatalf("zktest: an ensemble needs at least one server, not %d", n)
	}
	var lastErr error
	// Ports are chosen free but bound later by the JVMs; another process
	// may take one in between: start again on new ports.
	for attempt := 0; attempt < 3; attempt++ {
		e, err := startEnsemble(tb, n)
		if err == nil {
			return e
		}
		lastErr = err
	}
	tb.Fatalf("zktest: ensemble of %d: %v", n, lastErr)
	return nil
}

func startEnsemble(tb testing.TB, n int) (*Ensemble, error) {
	ports, err := freePorts(3 * n)
	if err != nil {
		return nil, err
	}
	var quorum strings.Builder
	for i := 0; i < n; i++ {
		// server.N=host:quorumPort:electionPort;clientHost:clientPort
		fmt.Fprintf(&quorum, "server.%d=127.0.0.1:%d:%d\n", i+1, ports[3*i+1], ports[3*i+2])
	}
	e := &Ensemble{tb: tb}
	addrs := make([]string, n)
	for i := 0; i < n; i++ {
		dir, err := os.MkdirTemp("", fmt.Sprintf("zktest-ensemble-%d-", i+1))
		if err != nil {
			e.remove()
			return nil, err
		}
		s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", ports[3*i]), Dir: dir, port: ports[3*i], tb: tb}
		e.Servers = append(e.Servers, s)
		addrs[i] = s.Addr
		if err := writeMemberConfig(s, i+1, quorum.String()); err != nil {
			e.remove()
			return nil, err
		}
	}
	e.Connect = strings.Join(addrs, ",")
	if err := e.startAll(e.Servers); err != nil {
		e.stopAll()
		e.remove()
		return nil, err
	}
	tb.Cleanup(func() {
		e.stopAll()
		if tb.Failed() {
			for i, s := range e.Servers {
				tb.Logf("zktest: ensemble member %d (%s) logged:\n%s", i, s.Addr, s.LogTail(6<<10))
			}
		}
		e.remove()
	})
	return e, nil
}

// writeMemberConfig writes the standalone configuration plus the
// ensemble's server lines, and the data directory's myid file.
func writeMemberConfig(s *Server, myid int, quorum string) error {
	if err := s.writeConfig(); err != nil {
		return err
	}
	cfg := filepath.Join(s.Dir, "zoo.cfg")
	f, err := os.OpenFile(cfg, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	// A killed leader's peers reconnect to it in a loop; a short connect
	// timeout keeps the election that follows quick.
	_, err = fmt.Fprintf(f, "cnxTimeout=1000\n%s", quorum)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	data := filepath.Join(s.Dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintf("%d\n", myid)), 0o644)
}

// freePorts returns n distinct free loopback ports: every listener is held
// until all are chosen, so none is handed out twice.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %v", err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports, nil
}

// startAll starts the given stopped members at once (a member serves only
// once a quorum runs, so they cannot be started one after the other) and
// waits until each serves requests.
func (e *Ensemble) startAll(members []*Server) error {
	errs := make([]error, len(members))
	var wg sync.WaitGroup
	for i, s := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.start()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *Ensemble) stopAll() {
	var wg sync.WaitGroup
	for _, s := range e.Servers {
		wg.Add(1)
		go func() { defer wg.Done(); s.Stop() }()
	}
	wg.Wait()
}

func (e *Ensemble) remove() {
	for _, s := range e.Servers {
		os.RemoveAll(s.Dir)
	}
}

// In returns the same ensemble reporting its failures to tb: subtests
// that share an ensemble started by their parent use it, since a test may
// only fail itself from its own goroutine.
func (e *Ensemble) In(tb testing.TB) *Ensemble {
	return &Ensemble{Servers: e.Servers, Connect: e.Connect, tb: tb}
}

// Addrs returns the members' client addresses, "127.0.0.1:PORT", in
// member order.
func (e *Ensemble) Addrs() []string {
	out := make([]string, len(e.Servers))
	for i, s := range e.Servers {
		out[i] = s.Addr
	}
	return out
}

// Mode returns what member i says it is in answer to "srvr": "leader",
// "follower" (or "standalone", "observer"), or "" when it does not serve
// requests: stopped, starting, or without a quorum.
func (e *Ensemble) Mode(i int) string {
	return mode(e.Servers[i].Addr)
}

func mode(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return ""
	}
	var buf bytes.Buffer
	buf.ReadFrom(bufio.NewReader(c))
	for _, line := range strings.Split(buf.String(), "\n") {
		if m, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(m)
		}
	}
	return ""
}

// Leader returns the member that says it leads and its index, waiting up
// to StartTimeout for an election to end; it fails the test when none
// leads by then. Call it from the test's goroutine.
func (e *Ensemble) Leader() (*Server, int) {
	e.tb.Helper()
	deadline := time.Now().Add(StartTimeout)
	for {
		for i, s := range e.Servers {
			if e.Mode(i) == "leader" {
				return s, i
			}
		}
		if time.Now().After(deadline) {
			e.tb.Fatalf("zktest: no member of the ensemble %s leads after %v", e.Connect, StartTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitQuorum waits until a member leads and a majority of the members
// serve requests, and reports how long that took; it fails the test after
// timeout. It is how a test sees that an ensemble is back after a fault.
// (Right after a leader dies its followers may still say "follower" for a
// moment; a leader is only there once an election ended.)
func (e *Ensemble) WaitQuorum(timeout time.Duration) time.Duration {
	e.tb.Helper()
	start := time.Now()
	for {
		leaders, serving := 0, 0
		for i := range e.Servers {
			switch e.Mode(i) {
			case "leader":
				leaders++
				serving++
			case "follower":
				serving++
			}
		}
		if leaders > 0 && serving > len(e.Servers)/2 {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			e.tb.Fatalf("zktest: the ensemble %s has no quorum after %v", e.Connect, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill kills member i with SIGKILL, as a crash would, and waits for it to
// exit.
func (e *Ensemble) Kill(i int) { e.Servers[i].Kill() }

// Restart stops member i if it runs, starts it again with the same ports
// and data, and waits until it serves requests again, which needs a
// quorum of the other members to run. It fails the test otherwise.
func (e *Ensemble) Restart(i int) {
	e.tb.Helper()
	s := e.Servers[i]
	s.Stop()
	if err := s.start(); err != nil {
		e.tb.Fatalf("zktest: restarting ensemble member %d: %v", i, err)
	}
}

// KillAll kills every member at once with SIGKILL.
func (e *Ensemble) KillAll() {
	var wg sync.WaitGroup
	for _, s := range e.Servers {
		wg.Add(1)
		go func() { defer wg.Done(); s.Kill() }()
	}
	wg.Wait()
}

// RestartAll starts every member that is not running, all at once, and
// waits until each serves requests; it fails the test otherwise.
func (e *Ensemble) RestartAll() {
	e.tb.Helper()
	var stopped []*Server
	for _, s := range e.Servers {
		s.mu.Lock()
		running := s.cmd != nil
		s.mu.Unlock()
		if !running {
			stopped = append(stopped, s)
		}
	}
	if err := e.startAll(stopped); err != nil {
		e.tb.Fatalf("zktest: restarting the ensemble: %v", err)
	}
}
