package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/internal/tickets"
	"github.com/kook-project/kook/internal/zktest"
)

// tlsServer serves TLS on loopback with files' server certificate and
// echoes what it reads; clientAuth says what it asks of clients. TLS 1.2,
// as ZooKeeper 3.8 speaks by default: a refused client certificate then
// fails the handshake itself.
func tlsServer(t *testing.T, files zktest.TLSFiles, clientAuth tls.ClientAuthType) string {
	return zktest.EchoTLS(t, files, clientAuth, tls.VersionTLS12)
}

// plainServer accepts TCP and closes at once, as ZooKeeper's plain port
// does with a TLS ClientHello.
func plainServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return l.Addr().String()
}

func TestTLSDialer(t *testing.T) {
	files := zktest.NewTLSFiles(t)
	other := zktest.NewTLSFiles(t)
	optional := tlsServer(t, files, tls.VerifyClientCertIfGiven)
	required := tlsServer(t, files, tls.RequireAndVerifyClientCert)
	plain := plainServer(t)
	withCert := config.TLS{CA: files.CA, Cert: files.ClientCert, Key: files.ClientKey}

	tests := []struct {
		name string
		conf config.TLS
		addr string
		want string // "" for success, else a substring of the error
	}{
		{"CA only, certificate optional", config.TLS{CA: files.CA}, optional, ""},
		{"client certificate, certificate optional", withCert, optional, ""},
		{"client certificate, certificate required", withCert, required, ""},
		{"localhost is in the certificate", config.TLS{CA: files.CA, ServerName: "localhost"}, optional, ""},
		{"no client certificate, certificate required", config.TLS{CA: files.CA}, required,
			"the server refused it: remote error: tls: "},
		{"foreign client certificate", config.TLS{CA: files.CA, Cert: other.ClientCert, Key: other.ClientKey}, required,
			"the server refused it: remote error: tls: "},
		{"wrong CA", config.TLS{CA: other.CA}, optional, "certificate signed by unknown authority"},
		{"wrong server name", config.TLS{CA: files.CA, ServerName: "zk.example.com"}, optional, "not zk.example.com (check tls: ca and server_name)"},
		{"no CA: the system's roots do not know a throwaway CA", config.TLS{Cert: files.ClientCert, Key: files.ClientKey}, optional, "unknown authority"},
		{"plain port", withCert, plain, "is this its secureClientPort?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dial, err := tlsDialer(tt.conf, 2*time.Second, nil)
			if err != nil {
				t.Fatal(err)
			}
			c, err := dial("tcp", tt.addr, time.Second)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if _, err := c.Write([]byte("ping\n")); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 5)
				if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping\n" {
					t.Fatalf("echo: %q, %v", buf, err)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatalf("connected; want an error with %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "TLS handshake with "+tt.addr) {
				t.Errorf("error %q lacks %q or the address", err, tt.want)
			}
		})
	}
}

// TestTLSDialerTimeout: a server that never answers the handshake costs
// at most the timeout, whatever go-zookeeper asks for.
func TestTLSDialerTimeout(t *testing.T) {
	files := zktest.NewTLSFiles(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() { <-stop; c.Close() }() // accepted, never answered
		}
	}()
	dial, err := tlsDialer(config.TLS{CA: files.CA}, 300*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err = dial("tcp", l.Addr().String(), time.Minute)
	if err == nil {
		t.Fatal("handshake with a silent server succeeded")
	}
	if took := time.Since(t0); took > 5*time.Second {
		t.Errorf("took %v with a 300ms timeout", took)
	}
}

func TestTLSDialerFiles(t *testing.T) {
	files := zktest.NewTLSFiles(t)
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tt := range []struct {
		name string
		conf config.TLS
		want string
	}{
		{"missing CA", config.TLS{CA: missing}, "tls ca: open " + missing},
		{"CA without a certificate", config.TLS{CA: notPEM}, "tls ca " + notPEM + ": no PEM certificate found"},
		{"cert without key", config.TLS{CA: files.CA, Cert: files.ClientCert}, "cert and key go together"},
		{"key without cert", config.TLS{CA: files.CA, Key: files.ClientKey}, "cert and key go together"},
		{"key of another certificate", config.TLS{CA: files.CA, Cert: files.ClientCert, Key: files.ServerPEM}, "tls client certificate: "},
		{"missing cert", config.TLS{CA: files.CA, Cert: missing, Key: files.ClientKey}, "tls client certificate: open " + missing},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tlsDialer(tt.conf, time.Second, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestTLSResumesWithZooKeeper: ZooKeeper's TLS server (Netty, TLS 1.2 by
// default) resumes the session of a kept ticket, so a second process
// spares the full handshake; kook-inventory --list works over it and
// keeps its ticket 0600 in the cache directory.
func TestTLSResumesWithZooKeeper(t *testing.T) {
	files := zktest.NewTLSFiles(t)
	zks := zktest.StartTLS(t, files, zktest.ClientAuthNeed)
	conf := config.TLS{CA: files.CA, Cert: files.ClientCert, Key: files.ClientKey}
	store := tickets.At(filepath.Join(t.TempDir(), "kook"))
	dial, err := tlsDialer(conf, 5*time.Second, store)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{false, true, true} {
		c, err := dial("tcp", zks.TLSAddr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.(*tls.Conn).ConnectionState().DidResume; got != want {
			t.Errorf("connection %d: resumed %v, want %v", i+1, got, want)
		}
		c.Close()
	}

	cacheDir := noCache(t)
	root := zktest.UniqueRoot(t)
	plain := map[string]string{"KOOK_ZK": zks.Addr, "KOOK_ROOT": root, "KOOK_CONFIG": writeFile(t, "kook.yml", "")}
	mustRun(t, 0, Import, plain, chainYAML, "-")
	want := mustRun(t, 0, Inventory, plain, "", "--list", "--no-cache").stdout
	cfg := writeFile(t, "kook-tls.yml", "hosts: "+zks.TLSAddr+"\ntls:\n  ca: "+files.CA+"\n  cert: "+files.ClientCert+"\n  key: "+files.ClientKey+"\n")
	if err := os.Chmod(cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"KOOK_ROOT": root, "KOOK_CONFIG": cfg}
	for i := 0; i < 2; i++ { // the first run keeps a ticket, the second resumes it
		if r := mustRun(t, 0, Inventory, env, "", "--list"); r.stdout != want || r.stderr != "" {
			t.Fatalf("run %d over TLS: stdout %q, stderr %q; want %q", i+1, r.stdout, r.stderr, want)
		}
	}
	paths, _ := filepath.Glob(filepath.Join(cacheDir, "kook", "tls-*.ticket"))
	if len(paths) != 1 {
		t.Fatalf("ticket files after --list over TLS: %v", paths)
	}
	if info, err := os.Stat(paths[0]); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("ticket file %s: mode %v, %v; want 0600", paths[0], info.Mode().Perm(), err)
	}
}

// TestVerifyResumed: crypto/tls trusts what a resumed session says was
// verified; verifyResumed checks the server certificate again, so that a
// ticket file never makes a server trusted that the configured CA does not
// vouch for.
func TestVerifyResumed(t *testing.T) {
	trusted, other := zktest.NewTLSFiles(t), zktest.NewTLSFiles(t)
	leaf := func(files zktest.TLSFiles) []*x509.Certificate {
		pair, err := tls.LoadX509KeyPair(files.ServerPEM, files.ServerPEM)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return []*x509.Certificate{c}
	}
	caPEM, err := os.ReadFile(trusted.CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	verify := verifyResumed(pool)
	for _, tc := range []struct {
		name string
		cs   tls.ConnectionState
		ok   bool
	}{
		{"resumed, signed by the CA", tls.ConnectionState{DidResume: true, ServerName: "127.0.0.1", PeerCertificates: leaf(trusted)}, true},
		{"resumed, signed by another CA", tls.ConnectionState{DidResume: true, ServerName: "127.0.0.1", PeerCertificates: leaf(other)}, false},
		{"resumed, for another name", tls.ConnectionState{DidResume: true, ServerName: "zk.example.com", PeerCertificates: leaf(trusted)}, false},
		{"resumed, no certificate", tls.ConnectionState{DidResume: true, ServerName: "127.0.0.1"}, false},
		{"full handshake (verified by crypto/tls)", tls.ConnectionState{ServerName: "127.0.0.1", PeerCertificates: leaf(other)}, true},
	} {
		err := verify(tc.cs)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errResumedUntrusted)) {
			t.Errorf("%s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
