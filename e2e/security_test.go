package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/google/go-cmp/cmp"

	"github.com/kook-project/kook/internal/zktest"
)

// The credentials of the security tests. The password is unusual enough
// that finding it anywhere in output means it leaked.
const (
	secUser     = "kookadmin"
	secPassword = "Pw-7qXz-unlikely-string"
	secDigest   = secUser + ":" + secPassword
	badPassword = "Wrong-9kLm-unlikely-too"
)

// failBound is how long a refused or unreachable call may take at most:
// the --timeout the tests give (2s) plus a JVM-free process start, with
// room for a loaded machine. A hang shows up as a failure, not a stall.
const (
	failTimeout = "2s"
	failBound   = 10 * time.Second
)

// writeConfig writes a kook configuration file with mode and returns its
// path.
func writeConfig(t *testing.T, mode os.FileMode, lines ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kook.yml")
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // past the umask
		t.Fatal(err)
	}
	return p
}

// noSecret fails when any of the secrets shows in what a command printed.
func noSecret(t *testing.T, what string, r result) {
	t.Helper()
	for _, s := range []string{secPassword, badPassword} {
		for name, out := range map[string][]byte{"stdout": r.stdout, "stderr": r.stderr} {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s: a password shows on %s:\n%s", what, name, out)
			}
		}
	}
}

// timed runs a command and also returns how long it took.
func timed(t *testing.T, env []string, bin string, args ...string) (result, time.Duration) {
	t.Helper()
	t0 := time.Now()
	r := run(t, t.TempDir(), env, bin, args...)
	return r, time.Since(t0)
}

// mustFail checks that a command failed within failBound, with nothing
// on stdout, no password anywhere, and every one of want on stderr.
func mustFail(t *testing.T, what string, env []string, bin string, args []string, want ...string) result {
	t.Helper()
	r, took := timed(t, env, bin, args...)
	if r.code == 0 {
		t.Errorf("%s: succeeded; stdout:\n%s", what, r.stdout)
		return r
	}
	t.Logf("%s: exit %d after %v: %s", what, r.code, took.Round(time.Millisecond), bytes.TrimSpace(r.stderr))
	if took > failBound {
		t.Errorf("%s: took %v to fail (bound %v)", what, took, failBound)
	}
	if len(r.stdout) != 0 {
		t.Errorf("%s: printed on stdout while failing:\n%s", what, r.stdout)
	}
	for _, w := range want {
		if !strings.Contains(string(r.stderr), w) {
			t.Errorf("%s: stderr lacks %q:\n%s", what, w, r.stderr)
		}
	}
	noSecret(t, what, r)
	return r
}

// mustSucceed runs a command that must exit 0 without printing a secret
// and, for kook-inventory, with a silent stderr.
func mustSucceed(t *testing.T, what string, env []string, bin string, args ...string) result {
	t.Helper()
	r := run(t, t.TempDir(), env, bin, args...)
	if r.code != 0 {
		t.Fatalf("%s: exit %d\n%s", what, r.code, r.stderr)
	}
	if bin == kookInvent && len(r.stderr) != 0 {
		t.Errorf("%s: kook-inventory wrote on stderr, which Ansible shows as an error:\n%s", what, r.stderr)
	}
	noSecret(t, what, r)
	return r
}

// demoList is what --list must print for demo.ini, from kook-import's own
// conversion (no ZooKeeper involved).
func demoList(t *testing.T) []byte {
	t.Helper()
	r := run(t, t.TempDir(), nil, kookImport, "--output", "json", demo)
	if r.code != 0 {
		t.Fatalf("kook-import --output json: %s", r.stderr)
	}
	return r.stdout
}

// rawConn connects to addr with go-zookeeper directly, with the digest
// credentials when auth is not empty.
func rawConn(t *testing.T, addr, auth string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if auth != "" {
		if err := c.AddAuth("digest", []byte(auth)); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// tree lists p and every znode under it, parents first.
func tree(t *testing.T, c *zk.Conn, p string) []string {
	t.Helper()
	out := []string{p}
	kids, _, err := c.Children(p)
	if err != nil {
		t.Fatalf("list %s: %v", p, err)
	}
	slices.Sort(kids)
	for _, k := range kids {
		out = append(out, tree(t, c, p+"/"+k)...)
	}
	return out
}

// sortACL orders an ACL for comparison: ZooKeeper keeps the order given.
func sortACL(acl []zk.ACL) []zk.ACL {
	acl = slices.Clone(acl)
	slices.SortFunc(acl, func(a, b zk.ACL) int { return strings.Compare(a.Scheme+a.ID, b.Scheme+b.ID) })
	return acl
}

// TestDigestACLs: with digest credentials in a mode 600 configuration
// file, every znode kook-import creates, from the first missing parent of
// the root down, lets that identity do everything and others only read
// (world_read: true) or nothing (world_read: false). A client without
// credentials can create, change, delete or re-permission nothing; the
// right credentials from KOOK_DIGEST work, wrong ones fail clearly.
func TestDigestACLs(t *testing.T) {
	srv := zktest.Shared(t)
	want := demoList(t)
	for _, worldRead := range []bool{true, false} {
		t.Run(fmt.Sprintf("world_read=%v", worldRead), func(t *testing.T) {
			t.Parallel()
			// A top-level znode of its own, so that kook creates every
			// level and no ACL of it lands on a parent other tests share.
			top := "/" + strings.ReplaceAll(strings.TrimPrefix(zktest.UniqueRoot(t), "/"), "/", "_")
			root := top + "/team/kook"
			cfg := writeConfig(t, 0o600, "hosts: "+srv.Addr, "root: "+root, "digest: "+secDigest,
				fmt.Sprintf("world_read: %v", worldRead), "timeout: "+failTimeout)
			env := []string{"KOOK_CONFIG=" + cfg}
			r := mustSucceed(t, "kook-import with credentials", env, kookImport, demo)
			if len(r.stderr) == 0 || bytes.Contains(r.stderr, []byte("warning")) {
				t.Errorf("kook-import: want a summary and no warning on stderr, got:\n%s", r.stderr)
			}
			got := mustSucceed(t, "kook-inventory --list after the import", env, kookInvent, "--list").stdout
			assertSameJSON(t, "--list with the file's credentials", want, got)
			// A second import that changes something writes again: its
			// znodes must carry the ACL too.
			more := filepath.Join(t.TempDir(), "extra.ini")
			if err := os.WriteFile(more, []byte("[extra]\nextra01.example.com answer=42\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			mustSucceed(t, "second kook-import", env, kookImport, "--format", "ini", more)

			admin := rawConn(t, srv.Addr, secDigest)
			anon := rawConn(t, srv.Addr, "")
			wantACL := zk.DigestACL(zk.PermAll, secUser, secPassword)
			if worldRead {
				wantACL = append(wantACL, zk.WorldACL(zk.PermRead)...)
			}
			nodes := tree(t, admin, top)
			if len(nodes) < 6 {
				t.Fatalf("kook created only %v", nodes)
			}
			for _, p := range nodes {
				acl, _, err := admin.GetACL(p)
				if err != nil {
					t.Fatalf("getACL %s: %v", p, err)
				}
				if diff := cmp.Diff(sortACL(wantACL), sortACL(acl)); diff != "" {
					t.Errorf("ACL of %s (-want +got):\n%s", p, diff)
				}
				if _, err := anon.Create(p+"/intruder", []byte("x"), 0, zk.WorldACL(zk.PermAll)); !errors.Is(err, zk.ErrNoAuth) {
					t.Errorf("anonymous create under %s: %v, want %v", p, err, zk.ErrNoAuth)
				}
				if _, err := anon.Set(p, []byte("x"), -1); !errors.Is(err, zk.ErrNoAuth) {
					t.Errorf("anonymous set of %s: %v, want %v", p, err, zk.ErrNoAuth)
				}
				if _, err := anon.SetACL(p, zk.WorldACL(zk.PermAll), -1); !errors.Is(err, zk.ErrNoAuth) {
					t.Errorf("anonymous setACL of %s: %v, want %v", p, err, zk.ErrNoAuth)
				}
				// ZooKeeper checks a delete against the parent's ACL. The
				// top znode's parent is "/", which is not kook's: there
				// ZooKeeper refuses only because the znode is not empty.
				err = anon.Delete(p, -1)
				if p == top {
					if !errors.Is(err, zk.ErrNotEmpty) {
						t.Errorf("anonymous delete of %s: %v, want %v", p, err, zk.ErrNotEmpty)
					}
				} else if !errors.Is(err, zk.ErrNoAuth) {
					t.Errorf("anonymous delete of %s: %v, want %v", p, err, zk.ErrNoAuth)
				}
				_, _, getErr := anon.Get(p)
				_, _, listErr := anon.Children(p)
				if worldRead && (getErr != nil || listErr != nil) {
					t.Errorf("world_read: anonymous read of %s: %v, %v", p, getErr, listErr)
				}
				if !worldRead && (!errors.Is(getErr, zk.ErrNoAuth) || !errors.Is(listErr, zk.ErrNoAuth)) {
					t.Errorf("anonymous read of %s without world_read: %v, %v; want %v", p, getErr, listErr, zk.ErrNoAuth)
				}
			}
			if after := tree(t, admin, top); !slices.Equal(nodes, after) {
				t.Errorf("the anonymous client changed the tree:\n%s", cmp.Diff(nodes, after))
			}

			// The credentials from the configuration file and from
			// KOOK_DIGEST read the inventory.
			wantNow := mustSucceed(t, "kook-inventory --list with the file's credentials", env, kookInvent, "--list").stdout
			if !bytes.Contains(wantNow, []byte("extra01.example.com")) {
				t.Errorf("--list lacks the second import:\n%s", wantNow)
			}
			noCreds := writeConfig(t, 0o644, "hosts: "+srv.Addr, "root: "+root, "timeout: "+failTimeout)
			envDigest := []string{"KOOK_CONFIG=" + noCreds, "KOOK_DIGEST=" + secDigest}
			got = mustSucceed(t, "kook-inventory --list with KOOK_DIGEST", envDigest, kookInvent, "--list").stdout
			assertSameJSON(t, "--list with KOOK_DIGEST", wantNow, got)
			mustSucceed(t, "kook-inventory --host with KOOK_DIGEST", envDigest, kookInvent, "--host", "extra01.example.com")

			// Without credentials, or with wrong ones: reads as world_read
			// says, writes never.
			envAnon := []string{"KOOK_CONFIG=" + noCreds}
			envWrong := []string{"KOOK_CONFIG=" + noCreds, "KOOK_DIGEST=" + secUser + ":" + badPassword}
			for _, c := range []struct {
				name string
				env  []string
			}{{"without credentials", envAnon}, {"with wrong credentials", envWrong}} {
				what := "kook-inventory --list " + c.name
				if worldRead {
					got := mustSucceed(t, what, c.env, kookInvent, "--list").stdout
					assertSameJSON(t, what, wantNow, got)
				} else {
					mustFail(t, what, c.env, kookInvent, []string{"--list"}, "kook-inventory: ", root, "not allowed")
					mustFail(t, "kook-inventory --host "+c.name, c.env, kookInvent, []string{"--host", "extra01.example.com"}, "not allowed")
				}
				mustFail(t, "kook-import "+c.name, c.env, kookImport, []string{"--prune", more}, "kook-import: ", "not allowed")
			}
			got = mustSucceed(t, "kook-inventory --list after the refused writes", env, kookInvent, "--list").stdout
			assertSameJSON(t, "--list after the refused writes", wantNow, got)
		})
	}
}

// tlsConfig writes a configuration file for a TLS server: hosts, root,
// a short timeout, the credentials, and the tls: lines given.
func tlsConfig(t *testing.T, addr, root string, tlsLines ...string) string {
	t.Helper()
	lines := []string{"hosts: " + addr, "root: " + root, "timeout: " + failTimeout, "digest: " + secDigest, "world_read: false"}
	if len(tlsLines) > 0 {
		lines = append(lines, "tls:")
		for _, l := range tlsLines {
			lines = append(lines, "  "+l)
		}
	}
	return writeConfig(t, 0o600, lines...)
}

// TestTLS: kook-import and kook-inventory talk to a real ZooKeeper
// through its secureClientPort, checking the server's certificate against
// the configured CA and showing a client certificate when configured. A
// wrong CA, a wrong server name, a missing or foreign client certificate
// where ZooKeeper needs one, and plain TCP to the TLS port all fail with
// a message, within the timeout.
func TestTLS(t *testing.T) {
	files := zktest.NewTLSFiles(t)
	other := zktest.NewTLSFiles(t) // a CA the servers do not know
	need := zktest.StartTLS(t, files, zktest.ClientAuthNeed)
	want := zktest.StartTLS(t, files, zktest.ClientAuthWant)
	list := demoList(t)

	caOnly := "ca: " + files.CA
	withCert := []string{caOnly, "cert: " + files.ClientCert, "key: " + files.ClientKey}
	for _, srv := range []struct {
		name string
		s    *zktest.Server
		tls  []string
	}{
		{"clientAuth=need, client certificate", need, withCert},
		{"clientAuth=want, client certificate", want, withCert},
		{"clientAuth=want, no client certificate", want, []string{caOnly}},
	} {
		t.Run(srv.name, func(t *testing.T) {
			root := zktest.UniqueRoot(t)
			env := []string{"KOOK_CONFIG=" + tlsConfig(t, srv.s.TLSAddr, root, srv.tls...)}
			mustSucceed(t, "kook-import over TLS", env, kookImport, demo)
			got := mustSucceed(t, "kook-inventory --list over TLS", env, kookInvent, "--list").stdout
			assertSameJSON(t, "--list over TLS", list, got)
			mustSucceed(t, "kook-inventory --host over TLS", env, kookInvent, "--host", "web01.example.com")
			// The same data through the plain port, for a raw client with
			// the credentials: TLS carried a real import.
			if _, _, err := rawConn(t, srv.s.Addr, secDigest).Get(root + "/meta"); err != nil {
				t.Errorf("reading what the TLS import wrote: %v", err)
			}
		})
	}

	root := zktest.UniqueRoot(t)
	refused := []struct {
		name string
		s    *zktest.Server
		tls  []string
		want []string // on stderr
	}{
		{"CA that did not sign the server", need,
			[]string{"ca: " + other.CA, "cert: " + files.ClientCert, "key: " + files.ClientKey},
			[]string{"cannot reach ZooKeeper at " + need.TLSAddr, "TLS handshake with " + need.TLSAddr,
				"certificate signed by unknown authority", "check tls: ca"}},
		{"server name the certificate lacks", need,
			append(slices.Clone(withCert), "server_name: zk.example.com"),
			[]string{"cannot reach ZooKeeper at " + need.TLSAddr, "certificate is valid for localhost", "not zk.example.com"}},
		{"no client certificate where ZooKeeper needs one", need, []string{caOnly},
			[]string{"cannot reach ZooKeeper at " + need.TLSAddr, "the server refused it", "bad certificate", "tls: cert and key"}},
		{"client certificate of another CA", need,
			[]string{caOnly, "cert: " + other.ClientCert, "key: " + other.ClientKey},
			[]string{"cannot reach ZooKeeper at " + need.TLSAddr, "the server refused it", "unknown certificate"}},
		{"client certificate of another CA, clientAuth=want", want,
			[]string{caOnly, "cert: " + other.ClientCert, "key: " + other.ClientKey},
			[]string{"cannot reach ZooKeeper at " + want.TLSAddr, "the server refused it", "unknown certificate"}},
		{"plain TCP to the TLS port", need, nil,
			[]string{"cannot reach ZooKeeper at " + need.TLSAddr, need.TLSAddr + " closed the connection"}},
		{"TLS to the plain port", need, withCert,
			[]string{"cannot reach ZooKeeper at " + need.Addr, "the server closed the connection", "is this its secureClientPort?"}},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			addr := c.s.TLSAddr
			if strings.HasPrefix(c.name, "TLS to the plain port") {
				addr = c.s.Addr
			}
			env := []string{"KOOK_CONFIG=" + tlsConfig(t, addr, root, c.tls...)}
			mustFail(t, "kook-inventory --list", env, kookInvent, []string{"--list", "--no-cache"}, append([]string{"kook-inventory: "}, c.want...)...)
			mustFail(t, "kook-import", env, kookImport, []string{demo}, append([]string{"kook-import: "}, c.want...)...)
		})
	}
	// Nothing refused wrote anything.
	if ok, _, err := rawConn(t, need.Addr, "").Exists(root); err != nil || ok {
		t.Errorf("a refused client created %s: %v, %v", root, ok, err)
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestSecretsStayOut: whatever happens - success, wrong credentials,
// ZooKeeper down, a broken configuration file - neither binary prints a
// password, the answer cache and ZooKeeper's log hold none, and no flag
// takes one.
func TestSecretsStayOut(t *testing.T) {
	srv := zktest.Shared(t)
	root := zktest.UniqueRoot(t)
	down := closedAddr(t)
	cacheDir := t.TempDir()
	good := writeConfig(t, 0o600, "hosts: "+srv.Addr, "root: "+root, "digest: "+secDigest, "world_read: false", "timeout: "+failTimeout)
	cached := func(env ...string) []string { return append(env, "XDG_CACHE_HOME="+cacheDir) }
	env := cached("KOOK_CONFIG=" + good)

	mustSucceed(t, "kook-import", env, kookImport, demo)
	mustSucceed(t, "kook-import again", env, kookImport, "--prune", demo)
	for _, args := range [][]string{{"--check", demo}, {"--dry-run", demo}} {
		mustSucceed(t, "kook-import "+args[0], env, kookImport, args...)
	}
	for _, args := range [][]string{{"--list"}, {"--list"}, {"--host", "web01.example.com"}, {"--export", "--format", "yaml"}, {"--export", "--format", "ini"}} {
		mustSucceed(t, "kook-inventory "+strings.Join(args, " "), env, kookInvent, args...)
	}

	// One line of the file, and the rest of a configuration.
	cfgWith := func(mode os.FileMode, extra ...string) string {
		return writeConfig(t, mode, append([]string{"hosts: " + srv.Addr, "root: " + root, "timeout: " + failTimeout}, extra...)...)
	}
	failing := []struct {
		name string
		env  []string
		want string // on stderr
	}{
		{"wrong password in the file", cached("KOOK_CONFIG=" + cfgWith(0o600, "digest: "+secUser+":"+badPassword)), "not allowed"},
		{"wrong password in KOOK_DIGEST", cached("KOOK_CONFIG="+cfgWith(0o600), "KOOK_DIGEST="+secUser+":"+badPassword), "not allowed"},
		{"ZooKeeper down", cached("KOOK_CONFIG="+good, "KOOK_ZK="+down), "cannot reach ZooKeeper at " + down},
		{"ZooKeeper down, KOOK_DIGEST", cached("KOOK_CONFIG="+cfgWith(0o600), "KOOK_DIGEST="+secDigest, "KOOK_ZK="+down), "cannot reach ZooKeeper"},
		{"unknown key", cached("KOOK_CONFIG=" + cfgWith(0o600, "digest: "+secDigest, "passwd: "+secPassword)), `unknown field "passwd"`},
		{"bad timeout", cached("KOOK_CONFIG=" + cfgWith(0o600, "digest: "+secDigest, "session_timeout: "+secPassword)), "session_timeout"},
		{"YAML syntax error", cached("KOOK_CONFIG=" + cfgWith(0o600, "digest: ["+secDigest)), "config "},
		{"YAML tag", cached("KOOK_CONFIG=" + cfgWith(0o600, "digest: !!bool "+secDigest)), "config "},
		{"indented badly", cached("KOOK_CONFIG=" + cfgWith(0o600, "digest: "+secDigest, "  world_read: "+badPassword)), "config "},
		{"digest without user", cached("KOOK_CONFIG=" + cfgWith(0o600, "digest: "+secPassword)), "user:password"},
		{"digest with empty user", cached("KOOK_CONFIG=" + cfgWith(0o600, "digest: :"+secPassword)), "user:password"},
		{"KOOK_DIGEST without user", cached("KOOK_CONFIG="+cfgWith(0o600), "KOOK_DIGEST="+secPassword), "user:password"},
	}
	t.Run("failing", func(t *testing.T) {
		for _, c := range failing {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				mustFail(t, "kook-inventory --list", c.env, kookInvent, []string{"--list"}, "kook-inventory: ", c.want)
				mustFail(t, "kook-import", c.env, kookImport, []string{demo}, "kook-import: ", c.want)
			})
		}
	})

	// A file others may read gets a warning that names it, in both
	// binaries; the work is still done.
	leaky := cfgWith(0o644, "digest: "+secDigest, "world_read: false")
	for _, bin := range []string{kookImport, kookInvent} {
		args := []string{demo}
		if bin == kookInvent {
			args = []string{"--list"}
		}
		r := run(t, t.TempDir(), cached("KOOK_CONFIG="+leaky), bin, args...)
		if r.code != 0 {
			t.Errorf("%s with a mode 644 file: exit %d\n%s", filepath.Base(bin), r.code, r.stderr)
		}
		wantWarn := "warning: config " + leaky + " holds credentials and can be read by others (mode 0644): chmod 600 it\n"
		if !strings.HasPrefix(string(r.stderr), wantWarn) {
			t.Errorf("%s with a mode 644 file: stderr does not start with\n%s\ngot:\n%s", filepath.Base(bin), wantWarn, r.stderr)
		}
		noSecret(t, filepath.Base(bin)+" with a mode 644 file", r)
	}

	// No flag takes a secret: none is offered, and one tried is refused
	// without being repeated.
	for _, bin := range []string{kookImport, kookInvent} {
		name := filepath.Base(bin)
		r := run(t, t.TempDir(), nil, bin, "--help")
		if r.code != 0 {
			t.Fatalf("%s --help: exit %d", name, r.code)
		}
		for _, m := range flagName.FindAllStringSubmatch(string(r.stdout), -1) {
			for _, bad := range []string{"digest", "pass", "auth", "cred", "secret", "user", "token"} {
				if strings.Contains(m[1], bad) {
					t.Errorf("%s offers the flag --%s: secrets must not go on a command line", name, m[1])
				}
			}
		}
		if !strings.Contains(string(r.stdout), "--config=FILE") {
			t.Errorf("%s --help does not look like help:\n%s", name, r.stdout)
		}
		for _, flag := range [][]string{{"--digest=" + secDigest}, {"--digest", secDigest}, {"--password=" + secPassword}} {
			args := append(flag, "--list")
			if bin == kookImport {
				args = append(flag, demo)
			}
			r := run(t, t.TempDir(), cached("KOOK_CONFIG="+good), bin, args...)
			if r.code != 2 || !strings.Contains(string(r.stderr), "unknown flag") {
				t.Errorf("%s %s: exit %d, want 2 and \"unknown flag\":\n%s", name, flag[0], r.code, r.stderr)
			}
			noSecret(t, name+" "+flag[0], r)
		}
	}

	// What stays on disk: kook's answer cache, ZooKeeper's log.
	filepath.WalkDir(cacheDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, _ := os.ReadFile(p); bytes.Contains(data, []byte(secPassword)) || bytes.Contains(data, []byte(badPassword)) {
				t.Errorf("the cache file %s holds a password", p)
			}
		}
		return nil
	})
	if log := srv.LogTail(64 << 20); strings.Contains(log, secPassword) || strings.Contains(log, badPassword) {
		t.Error("ZooKeeper's log holds a password")
	}
}

var flagName = regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([\w-]+)`)
