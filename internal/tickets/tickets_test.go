package tickets

import (
	"bytes"
	"crypto/tls"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/zktest"
)

// server serves TLS up to maxVersion on loopback with a certificate of
// files and echoes what it reads: a TLS 1.3 ticket arrives after the
// handshake, so the client reads once to receive it.
func server(t *testing.T, files zktest.TLSFiles, maxVersion uint16) string {
	return zktest.EchoTLS(t, files, tls.NoClientCert, maxVersion)
}

// dial connects to addr with cache and returns whether the session was
// resumed; it fails the test if the connection does not work.
func dial(t *testing.T, files zktest.TLSFiles, addr string, cache tls.ClientSessionCache) bool {
	t.Helper()
	conf, err := files.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	conf.Certificates = nil
	conf.ClientSessionCache = cache
	c, err := tls.Dial("tcp", addr, conf)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	return c.ConnectionState().DidResume
}

// TestResume: a ticket kept by one connection is resumed by the next, in
// TLS 1.2 (ZooKeeper 3.8's default) and 1.3, and kept 0600 in a 0700
// directory.
func TestResume(t *testing.T) {
	files := zktest.NewTLSFiles(t)
	for name, v := range map[string]uint16{"TLS 1.2": tls.VersionTLS12, "TLS 1.3": tls.VersionTLS13} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "kook")
			s := At(dir)
			addr := server(t, files, v)
			if dial(t, files, addr, s.For(addr, "id")) {
				t.Fatal("the first connection resumed a session")
			}
			if !dial(t, files, addr, s.For(addr, "id")) {
				t.Fatal("the second connection did not resume the kept session")
			}
			paths, _ := filepath.Glob(filepath.Join(dir, "*.ticket"))
			if len(paths) != 1 {
				t.Fatalf("ticket files: %v", paths)
			}
			for p, want := range map[string]os.FileMode{dir: 0o700, paths[0]: 0o600} {
				if info, err := os.Stat(p); err != nil || info.Mode().Perm() != want {
					t.Errorf("%s: mode %v, %v; want %v", p, info.Mode().Perm(), err, want)
				}
			}
		})
	}
}

// TestUnusableTickets: a damaged ticket file, one that others may read,
// one in another format, or one written for another server or identity is
// ignored: the connection makes a full handshake and works.
func TestUnusableTickets(t *testing.T) {
	files := zktest.NewTLSFiles(t)
	addr := server(t, files, tls.VersionTLS12)
	other := server(t, files, tls.VersionTLS12)
	dir := t.TempDir()
	s := At(dir)
	path := func(c tls.ClientSessionCache) string { return c.(*sessionCache).path }
	dial(t, files, addr, s.For(addr, "id"))
	good, err := os.ReadFile(path(s.For(addr, "id")))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 1
	otherFormat := append([]byte("kook-tls-ticket-0\n"), good[len(format):]...)
	for _, tc := range []struct {
		name     string
		to       tls.ClientSessionCache // whose file gets data
		data     []byte
		mode     os.FileMode
		resumeOK bool
	}{
		{"the good one, for comparison", s.For(addr, "id"), good, 0o600, true},
		{"one byte changed", s.For(addr, "id"), flipped, 0o600, false},
		{"cut short", s.For(addr, "id"), good[:len(good)-7], 0o600, false},
		{"empty", s.For(addr, "id"), nil, 0o600, false},
		{"garbage", s.For(addr, "id"), bytes.Repeat([]byte{0xff}, 300), 0o600, false},
		{"another format", s.For(addr, "id"), otherFormat, 0o600, false},
		{"readable by others", s.For(addr, "id"), good, 0o644, false},
		{"another server's, renamed", s.For(other, "id"), good, 0o600, false},
		{"another identity's, renamed", s.For(addr, "other id"), good, 0o600, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := path(tc.to)
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			if _, ok := tc.to.Get(""); ok != tc.resumeOK {
				t.Fatalf("Get found a usable ticket: %v, want %v", ok, tc.resumeOK)
			}
			target := addr
			if p == path(s.For(other, "id")) {
				target = other
			}
			if resumed := dial(t, files, target, tc.to); resumed != tc.resumeOK {
				t.Fatalf("resumed %v, want %v", resumed, tc.resumeOK)
			}
			// What the full handshake got is kept in place of what was
			// there, so the next connection resumes.
			if !dial(t, files, target, tc.to) {
				t.Fatal("the connection after a full handshake did not resume")
			}
			os.Remove(p)
		})
	}
}
