// Package zktest runs real, standalone ZooKeeper servers for tests: each on
// a free loopback port with its own temporary data directory.
//
// Start gives a test its own server (about a second to start); Shared gives
// every test of a binary the same one, to be used with a unique root per
// test (UniqueRoot). Both need Debian's zookeeper package and a java on
// PATH; when either is missing the test fails with what to install, it is
// never skipped silently. With -short (unit tests only) tests that need a
// server are skipped, saying so.
package zktest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Where Debian's zookeeper package puts the server and its configuration.
var (
	ZooKeeperJar = "/usr/share/java/zookeeper.jar"
	ConfDir      = "/etc/zookeeper/conf"
	// Log4jJars route the server's slf4j logging into the data directory;
	// without them it logs nothing at all, which makes failures opaque.
	Log4jJars = []string{"/usr/share/java/slf4j-log4j12.jar", "/usr/share/java/log4j-1.2.jar"}
)

// StartTimeout bounds how long Start and Restart wait for the server to
// serve requests.
var StartTimeout = 30 * time.Second

// Server is one standalone ZooKeeper process.
type Server struct {
	// Addr is "127.0.0.1:PORT", the client address.
	Addr string
	// TLSAddr is "127.0.0.1:PORT", the secureClientPort of a server
	// started by StartTLS; empty otherwise.
	TLSAddr string
	// Dir is the server's data directory; zookeeper.log and zookeeper.out
	// (the JVM's stdout and stderr) are in it.
	Dir string

	port int
	// production runs the JVM with its default GC and JIT, as Debian's
	// zkServer.sh does, instead of the settings that start fastest.
	production bool
	tls        *tlsSetup  // set by StartTLS
	tb         testing.TB // the test that owns it, for Restart; nil when shared
	mu         sync.Mutex
	cmd        *exec.Cmd
	done       chan struct{} // closed when cmd has been waited for
}

// Start starts a fresh standalone ZooKeeper on a free 127.0.0.1 port with a
// temporary data directory and returns once it serves requests. It is
// stopped when the test ends; if the test failed, the tail of the server's
// log is printed.
func Start(tb testing.TB) *Server {
	tb.Helper()
	checkInstalled(tb)
	return startOwned(tb, "zktest-", startNew)
}

// startOwned starts a server with start in a fresh temporary directory and
// ties its life to the test: stopped at the end, its log printed if the
// test failed, its directory removed.
func startOwned(tb testing.TB, prefix string, start func(dir string) (*Server, error)) *Server {
	tb.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		tb.Fatalf("zktest: %v", err)
	}
	s, err := start(dir)
	if err != nil {
		os.RemoveAll(dir)
		tb.Fatalf("zktest: %v", err)
	}
	s.tb = tb
	tb.Cleanup(func() {
		s.Stop()
		if tb.Failed() {
			tb.Logf("zktest: ZooKeeper at %s logged:\n%s", s.Addr, s.LogTail(8<<10))
		}
		os.RemoveAll(dir)
	})
	return s
}

var (
	sharedOnce sync.Once
	shared     *Server
	sharedErr  error
	sharedUsed atomic.Bool
)

// Shared returns one server for the whole test binary, started on first use.
// Tests sharing it must each work under their own root (see UniqueRoot) and
// must not Stop, Kill or Restart it. Call Main from TestMain so that it is
// stopped when the tests end.
func Shared(tb testing.TB) *Server {
	tb.Helper()
	checkInstalled(tb)
	sharedOnce.Do(func() {
		sharedUsed.Store(true)
		dir, err := os.MkdirTemp("", "zktest-shared-")
		if err != nil {
			sharedErr = err
			return
		}
		shared, sharedErr = startNew(dir)
	})
	if sharedErr != nil {
		tb.Fatalf("zktest: shared server: %v", sharedErr)
	}
	return shared
}

// Main runs the tests of a package that uses Shared and then stops the
// shared server; when the tests failed it prints the tail of the server's
// log. Use it as: func TestMain(m *testing.M) { zktest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Stop()
		if code != 0 {
			fmt.Fprintf(os.Stderr, "zktest: shared ZooKeeper at %s logged:\n%s\n", shared.Addr, shared.LogTail(8<<10))
		}
		os.RemoveAll(shared.Dir)
	}
	os.Exit(code)
}

var rootSeq atomic.Int64

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// UniqueRoot returns a znode path no other test of this process uses, made
// from the test's name, such as "/zktest/TestLoad_big-3". It is not created.
func UniqueRoot(tb testing.TB) string {
	name := unsafeChars.ReplaceAllString(tb.Name(), "_")
	return fmt.Sprintf("/zktest/%s-%d", name, rootSeq.Add(1))
}

func checkInstalled(tb testing.TB) {
	tb.Helper()
	if testing.Short() {
		tb.Skip("zktest: needs a real ZooKeeper, not run with -short")
	}
	if _, err := exec.LookPath("java"); err != nil {
		tb.Fatalf("zktest: java is not on PATH (%v); install ZooKeeper and a JRE with `make deps` or `apt-get install zookeeper default-jre-headless`", err)
	}
	if _, err := os.Stat(ZooKeeperJar); err != nil {
		tb.Fatalf("zktest: ZooKeeper is not installed (%v); install it with `make deps` or `apt-get install zookeeper`", err)
	}
}

func startNew(dir string) (*Server, error) { return startServer(dir, false) }

func startServer(dir string, production bool) (*Server, error) {
	var lastErr error
	// A free port can be taken between choosing and binding it: try again.
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, port: port, production: production}
		if err := s.writeConfig(); err != nil {
			return nil, err
		}
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) writeConfig() error {
	cfg := fmt.Sprintf(`tickTime=500
initLimit=10
syncLimit=5
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=*
preAllocSize=4096
maxClientCnxns=0
`, filepath.Join(s.Dir, "data"), s.port)
	if s.tls != nil {
		cfg += s.tls.config()
	}
	return os.WriteFile(filepath.Join(s.Dir, "zoo.cfg"), []byte(cfg), 0o644)
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	out, err := os.OpenFile(filepath.Join(s.Dir, "zookeeper.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	jars := append([]string{ConfDir, ZooKeeperJar}, Log4jJars...)
	if s.tls != nil {
		jars = append(jars, NettyJars...)
	}
	cp := strings.Join(jars, ":")
	// Tests start many short-lived servers: a serial collector and the
	// first JIT tier cut start-up time and memory. A benchmark measures
	// a server as operators run it.
	args := []string{"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"}
	if s.production {
		args = nil
	}
	cmd := exec.Command("java", append(args,
		"-Dzookeeper.log.dir="+s.Dir,
		"-Dzookeeper.root.logger=INFO,ROLLINGFILE",
		"-Dzookeeper.jmx.log4j.disable=true",
		"-cp", cp,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain",
		filepath.Join(s.Dir, "zoo.cfg"))...)
	cmd.Dir = s.Dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("starting ZooKeeper: %v", err)
	}
	out.Close()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(StartTimeout)
	for {
		if serving(s.Addr) && (s.tls == nil || s.tls.serving(s.TLSAddr)) {
			return nil
		}
		select {
		case <-done:
			s.cmd = nil
			return fmt.Errorf("ZooKeeper on %s exited while starting:\n%s", s.Addr, s.logTailLocked(4<<10))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stopLocked(syscall.SIGKILL)
			return fmt.Errorf("ZooKeeper on %s did not serve requests within %v:\n%s", s.Addr, StartTimeout, s.logTailLocked(4<<10))
		}
	}
}

// serving reports whether the server answers "srvr" with its state; "ruok"
// answers a moment before requests are served.
func serving(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	return answersSrvr(c)
}

// answersSrvr sends "srvr" over c, reports whether the server told its
// state, and closes c.
func answersSrvr(c net.Conn) bool {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return false
	}
	var buf bytes.Buffer
	buf.ReadFrom(bufio.NewReader(c))
	return bytes.Contains(buf.Bytes(), []byte("Mode: "))
}

// Stop stops the server (SIGTERM, then SIGKILL after 5 seconds) and waits
// for it to exit. The data directory stays for Restart. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(syscall.SIGTERM)
}

// Kill kills the server with SIGKILL, as a crash would, and waits for it to
// exit.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(syscall.SIGKILL)
}

func (s *Server) stopLocked(sig syscall.Signal) {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(sig)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Restart stops the server if it runs and starts it again on the same port
// with the same data. It fails the test that started the server if the
// server does not come back. The shared server must not be restarted.
func (s *Server) Restart() {
	if s.tb == nil {
		panic("zktest: the shared server cannot be restarted")
	}
	s.tb.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.tb.Fatalf("zktest: restarting: %v", err)
	}
}

// LogTail returns the last n bytes of the server's log and of the JVM's
// output.
func (s *Server) LogTail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logTailLocked(n)
}

func (s *Server) logTailLocked(n int) string {
	var b strings.Builder
	for _, name := range []string{"zookeeper.out", "zookeeper.log"} {
		data, err := os.ReadFile(filepath.Join(s.Dir, name))
		if err != nil {
			continue
		}
		if len(data) > n {
			data = data[len(data)-n:]
		}
		fmt.Fprintf(&b, "--- %s\n%s", filepath.Join(s.Dir, name), data)
	}
	return b.String()
}

// StartProcess starts a standalone ZooKeeper outside any test, with its
// data and logs in dir, for programs such as the benchmark driver. Unlike
// the servers tests start, it runs the JVM with its default settings, as
// Debian's zkServer.sh does. The caller stops it.
func StartProcess(dir string) (*Server, error) {
	if _, err := os.Stat(ZooKeeperJar); err != nil {
		return nil, fmt.Errorf("ZooKeeper is not installed (%v); install it with `make deps`", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return startServer(dir, true)
}
