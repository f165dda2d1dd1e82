package zktest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func tlsDial(conf *tls.Config) zk.Dialer {
	return func(network, address string, timeout time.Duration) (net.Conn, error) {
		return tls.DialWithDialer(&net.Dialer{Timeout: timeout}, network, address, conf)
	}
}

// TestStartTLS: a client that trusts the CA and shows its certificate
// talks to ZooKeeper through the secureClientPort; what it writes there
// the plain port reads.
func TestStartTLS(t *testing.T) {
	files := NewTLSFiles(t)
	t0 := time.Now()
	s := StartTLS(t, files, ClientAuthNeed)
	t.Logf("started TLS ZooKeeper at %s (plain %s) in %v", s.TLSAddr, s.Addr, time.Since(t0))
	if !strings.HasPrefix(s.TLSAddr, "127.0.0.1:") || s.TLSAddr == s.Addr {
		t.Fatalf("TLSAddr = %q, Addr = %q", s.TLSAddr, s.Addr)
	}
	conf, err := files.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := zk.Connect([]string{s.TLSAddr}, 5*time.Second, zk.WithLogger(nopLogger{}), zk.WithDialer(tlsDial(conf)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create("/over-tls", []byte("secret"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create over TLS: %v", err)
	}
	data, _, err := connect(t, s.Addr).Get("/over-tls")
	if err != nil || string(data) != "secret" {
		t.Fatalf("plain read of what TLS wrote: %q, %v", data, err)
	}

	// The server really checks: a handshake with the wrong CA, or without
	// a client certificate, fails.
	other := NewTLSFiles(t)
	wrong, err := other.ClientConfig()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tls.Dial("tcp", s.TLSAddr, wrong); err == nil {
		t.Error("handshake trusting another CA succeeded")
	} else if !errors.As(err, new(x509.UnknownAuthorityError)) {
		t.Errorf("handshake trusting another CA: %v, want an unknown authority error", err)
	}
	anon := conf.Clone()
	anon.Certificates = nil
	if handshakeAndRead(s.TLSAddr, anon) == nil {
		t.Error("client without a certificate accepted with clientAuth=need")
	}
	stranger := conf.Clone()
	stranger.Certificates = wrong.Certificates
	if handshakeAndRead(s.TLSAddr, stranger) == nil {
		t.Error("client certificate of another CA accepted")
	}
	if err := handshakeAndRead(s.TLSAddr, conf); err != nil {
		t.Errorf("client with a good certificate: %v", err)
	}

	s.Restart()
	c2, _, err := zk.Connect([]string{s.TLSAddr}, 5*time.Second, zk.WithLogger(nopLogger{}), zk.WithDialer(tlsDial(conf)))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if data, _, err := c2.Get("/over-tls"); err != nil || string(data) != "secret" {
		t.Fatalf("TLS read after restart: %q, %v", data, err)
	}
}

// handshakeAndRead returns nil when the server completes a TLS handshake
// with conf and then answers "srvr". With TLS 1.3 the server refuses a
// client certificate after the client thinks the handshake is done, so
// only the read shows the refusal.
func handshakeAndRead(addr string, conf *tls.Config) error {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 2 * time.Second}, "tcp", addr, conf)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if n > 0 && strings.Contains(string(buf[:n]), "Zookeeper version") {
		return nil
	}
	if err == nil {
		err = errors.New("unexpected answer " + string(buf[:n]))
	}
	return err
}

// TestTLSFilesPermissions: the keys are written for their owner only.
func TestTLSFilesPermissions(t *testing.T) {
	f := NewTLSFiles(t)
	for _, p := range []string{f.ServerPEM, f.ClientKey} {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %04o", p, info.Mode().Perm())
		}
	}
	if _, err := f.ClientConfig(); err != nil {
		t.Fatal(err)
	}
}
