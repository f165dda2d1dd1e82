package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/testutil"
	"github.com/kook-project/kook/internal/zktest"
)

// freeLoopbackPort returns a port nothing listens on just now.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// fakeJava puts a "java" on PATH that runs script (bash) instead of
// ZooKeeper; $PORT is the clientPort of the zoo.cfg it was given.
func fakeJava(t *testing.T, script string) []string {
	t.Helper()
	bin := t.TempDir()
	text := "#!/usr/bin/env bash\ncfg=${@: -1}\nPORT=$(sed -n 's/^clientPort=//p' \"$cfg\")\n" + script
	if err := os.WriteFile(filepath.Join(bin, "java"), []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
}

// zkScript runs scripts/zk.sh with its state in a directory of the test's.
func zkScript(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	env = append(env, "KOOK_ZK_DIR="+dir)
	return run(t, testutil.RepoRoot(), env, filepath.Join(testutil.RepoRoot(), "scripts", "zk.sh"), args...)
}

// TestZKScriptWaitsAreBounded: a server that accepts connections and never
// answers (what hung `make demo` for 15 minutes) or that exits makes
// `zk.sh start` fail within its bound, saying why and which log to read.
func TestZKScriptWaitsAreBounded(t *testing.T) {
	for name, tc := range map[string]struct{ java, want string }{
		"never answers": {
			java: "echo 'fake ZooKeeper: accepting, never answering'\n" +
				`exec python3 -c 'import socket,time,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(50); c=[]; [c.append(s.accept()) for _ in iter(int, 1)]' "$PORT"` + "\n",
			want: "no answer to srvr within 3s",
		},
		"exits": {
			java: "echo 'java.net.BindException: Address already in use'\nexit 1\n",
			want: "the server exited",
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			port := freeLoopbackPort(t)
			env := append(fakeJava(t, tc.java), "ZK_START_TIMEOUT=3")
			r := zkScript(t, dir, env, "start", strconv.Itoa(port))
			stderr := string(r.stderr)
			if r.code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and %q", r.code, stderr, tc.want)
			}
			log := filepath.Join(dir, "zookeeper.log")
			if !strings.Contains(stderr, "its log is "+log) {
				t.Errorf("stderr does not point at %s:\n%s", log, stderr)
			}
			if first := strings.SplitN(string(mustRead(t, log)), "\n", 2)[0]; !strings.Contains(stderr, first) {
				t.Errorf("stderr does not show the log's end (%q):\n%s", first, stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "pid")); !os.IsNotExist(err) {
				t.Errorf("a failed start left its pid file: %v", err)
			}
		})
	}

	// A port another process holds is refused before anything starts.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	r := zkScript(t, t.TempDir(), nil, "start", strconv.Itoa(port))
	if want := fmt.Sprintf("port %d on 127.0.0.1 is already taken by another process", port); r.code != 1 || !strings.Contains(string(r.stderr), want) {
		t.Errorf("taken port: exit %d, %s", r.code, r.stderr)
	}
}

// TestZKScriptStartStop: the real ZooKeeper starts, answers and stops.
func TestZKScriptStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a JVM; skipped in -short mode")
	}
	zktest.Shared(t) // fails with what to install when ZooKeeper is missing
	dir := t.TempDir()
	port := freeLoopbackPort(t)
	t.Cleanup(func() { zkScript(t, dir, nil, "stop") })
	if r := zkScript(t, dir, nil, "start", strconv.Itoa(port)); r.code != 0 {
		t.Fatalf("start: exit %d\n%s", r.code, r.stderr)
	}
	if r := zkScript(t, dir, nil, "status"); r.code != 0 || string(r.stdout) != fmt.Sprintf("running on 127.0.0.1:%d\n", port) {
		t.Errorf("status: exit %d, %q", r.code, r.stdout)
	}
	if r := zkScript(t, dir, nil, "stop"); r.code != 0 || !strings.Contains(string(r.stderr), "ZooKeeper stopped") {
		t.Errorf("stop: exit %d, %s", r.code, r.stderr)
	}
	if r := zkScript(t, dir, nil, "status"); r.code != 1 || string(r.stdout) != "stopped\n" {
		t.Errorf("status after stop: exit %d, %q", r.code, r.stdout)
	}
}

// TestMakeInstall: make install puts every binary in DESTDIR/PREFIX/bin.
func TestMakeInstall(t *testing.T) {
	dest := t.TempDir()
	r := run(t, testutil.RepoRoot(), []string{"GOCACHE=" + goEnv(t, "GOCACHE"), "GOPATH=" + goEnv(t, "GOPATH")},
		"make", "install", "PREFIX=/opt/kook", "DESTDIR="+dest)
	if r.code != 0 {
		t.Fatalf("make install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// make stamps git's description of the tree, which -buildvcs=false
	// or a missing .git would otherwise leave as "(devel)".
	describe, _ := exec.Command("git", "-C", testutil.RepoRoot(), "describe", "--always", "--dirty", "--tags").Output()
	for _, name := range []string{"kook-inventory", "kook-import", "kook"} {
		p := filepath.Join(dest, "opt", "kook", "bin", name)
		out, err := exec.Command(p, "--version").Output()
		if err != nil || !strings.HasPrefix(string(out), name+" ") {
			t.Errorf("%s --version: %q, %v", p, out, err)
		}
		if want := strings.TrimSpace(string(describe)); want != "" && string(out) != name+" "+want+"\n" {
			t.Errorf("%s --version: %q, want %q", p, out, name+" "+want)
		}
	}
}

// goEnv is `go env NAME`: the tests' clean environment lacks HOME's Go
// settings, which make needs to build without downloading.
func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// TestAnsibleCfgExample: with the recommended ansible.cfg, a ZooKeeper
// that is down or a root nothing was imported into gives Ansible's clean
// failure carrying kook-inventory's own error, never the kook-inventory
// binary parsed as a YAML or INI file; and a live root is read.
func TestAnsibleCfgExample(t *testing.T) {
	needAnsible(t)
	zk := zktest.Shared(t)
	dir := t.TempDir()
	example := string(mustRead(t, filepath.Join(testutil.RepoRoot(), "ansible.cfg.example")))
	if !strings.Contains(example, "inventory = /usr/local/bin/kook-inventory\n") {
		t.Fatalf("ansible.cfg.example no longer points at /usr/local/bin/kook-inventory:\n%s", example)
	}
	cfg := strings.Replace(example, "/usr/local/bin/kook-inventory", kookInvent, 1)
	if err := os.WriteFile(filepath.Join(dir, "ansible.cfg"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ansible := func(zkAddr, root string) result {
		kookCfg := writeTemp(t, "kook.yml", []byte(fmt.Sprintf("hosts: %s\nroot: %s\ntimeout: 1s\n", zkAddr, root)))
		return run(t, dir, []string{"ANSIBLE_CONFIG=" + filepath.Join(dir, "ansible.cfg"), "KOOK_CONFIG=" + kookCfg},
			ansibleInv, "--list")
	}
	down := fmt.Sprintf("127.0.0.1:%d", freeLoopbackPort(t))
	root := zktest.UniqueRoot(t)
	for what, tc := range map[string]struct{ addr, want string }{
		"ZooKeeper down": {down, "cannot reach ZooKeeper at " + down},
		"unwritten root": {zk.Addr, "no kook inventory under " + root},
	} {
		r := ansible(tc.addr, root)
		// Ansible wraps its warnings at 80 columns.
		stderr := strings.Join(strings.Fields(string(r.stderr)), " ")
		if r.code == 0 || len(r.stdout) != 0 {
			t.Errorf("%s: ansible-inventory exit %d, stdout %q", what, r.code, r.stdout)
		}
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: kook-inventory's error %q is not in Ansible's:\n%s", what, tc.want, r.stderr)
		}
		for _, noise := range []string{"with yaml plugin", "with ini plugin", "ELF"} {
			if strings.Contains(stderr, noise) {
				t.Errorf("%s: Ansible parsed the kook-inventory binary (%q):\n%s", what, noise, r.stderr)
			}
		}
	}
	mustImport(t, zkEnv(zk.Addr, root), demo)
	r := ansible(zk.Addr, root)
	if r.code != 0 || !strings.Contains(string(r.stdout), "web01.example.com") {
		t.Errorf("live root: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
