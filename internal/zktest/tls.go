package zktest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// NettyJars are what ZooKeeper's NettyServerCnxnFactory, the only server
// side that speaks TLS, needs beyond the jars zookeeper.jar's manifest
// already names. Debian's zookeeper 3.8 lists netty-buffer, -common,
// -handler, -transport and -transport-native-epoll there but not
// netty-codec: without it the server starts, then every connection, plain
// or TLS, dies with NoClassDefFoundError:
// io/netty/handler/codec/ByteToMessageDecoder and clients hang.
var NettyJars = []string{"/usr/share/java/netty-codec.jar"}

// ClientAuth says whether a TLS ZooKeeper asks clients for a certificate:
// ZooKeeper's ssl.clientAuth.
type ClientAuth string

// The values of ssl.clientAuth.
const (
	// ClientAuthNeed refuses clients without a certificate the CA signed.
	ClientAuthNeed ClientAuth = "need"
	// ClientAuthWant asks for a certificate but accepts clients without one.
	ClientAuthWant ClientAuth = "want"
	// ClientAuthNone never asks for one.
	ClientAuthNone ClientAuth = "none"
)

// TLSFiles are the PEM files of a throwaway certificate authority, a
// server certificate for 127.0.0.1 and localhost, and a client
// certificate, all signed by that CA. NewTLSFiles makes them.
type TLSFiles struct {
	// CA is the CA's certificate: what clients and the server trust.
	CA string
	// ServerPEM holds the server's private key (PKCS #8) followed by its
	// certificate, the one-file keystore ZooKeeper's PEM loader reads.
	ServerPEM string
	// ClientCert and ClientKey are a client certificate the CA signed and
	// its private key (PKCS #8), as a Go or kook client loads them.
	ClientCert, ClientKey string
}

// NewTLSFiles writes a fresh CA and certificates signed by it into a
// temporary directory removed when the test ends. Each call makes a new
// CA, so two calls give certificates that do not trust each other.
func NewTLSFiles(tb testing.TB) TLSFiles {
	tb.Helper()
	f, err := WriteTLSFiles(tb.TempDir())
	if err != nil {
		tb.Fatalf("zktest: %v", err)
	}
	return f
}

// WriteTLSFiles writes a fresh CA, a server certificate for 127.0.0.1 and
// localhost, and a client certificate into dir; keys are ECDSA P-256 and
// the certificates are valid for a day.
func WriteTLSFiles(dir string) (TLSFiles, error) {
	f := TLSFiles{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerPEM:  filepath.Join(dir, "server.pem"),
		ClientCert: filepath.Join(dir, "client.crt"),
		ClientKey:  filepath.Join(dir, "client.key"),
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "zktest throwaway CA", Organization: []string{"kook tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return f, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return f, err
	}
	leaf := func(cn string, usage x509.ExtKeyUsage) (keyPEM, certPEM []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      pkix.Name{CommonName: cn, Organization: []string{"kook tests"}},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		// ZooKeeper's PemReader reads PKCS #8 ("PRIVATE KEY") only, not
		// SEC 1 ("EC PRIVATE KEY").
		pk, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}),
			pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
	}
	serverKey, serverCert, err := leaf("localhost", x509.ExtKeyUsageServerAuth)
	if err != nil {
		return f, err
	}
	clientKey, clientCert, err := leaf("zktest client", x509.ExtKeyUsageClientAuth)
	if err != nil {
		return f, err
	}
	for _, w := range []struct {
		path string
		data []byte
	}{
		{f.CA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})},
		{f.ServerPEM, append(serverKey, serverCert...)},
		{f.ClientCert, clientCert},
		{f.ClientKey, clientKey},
	} {
		if err := os.WriteFile(w.path, w.data, 0o600); err != nil {
			return f, err
		}
	}
	return f, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}

// ClientConfig returns a Go TLS configuration that trusts the CA and
// presents the client certificate, for raw clients in tests.
func (f TLSFiles) ClientConfig() (*tls.Config, error) {
	caPEM, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("%s: no certificate", f.CA)
	}
	pair, err := tls.LoadX509KeyPair(f.ClientCert, f.ClientKey)
	if err != nil {
		return nil, err
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}, nil
}

// tlsSetup is what a server started by StartTLS serves TLS with.
type tlsSetup struct {
	files      TLSFiles
	clientAuth ClientAuth
	port       int
}

// StartTLS is Start for a server that also listens with TLS on a
// secureClientPort, at TLSAddr, with files.ServerPEM as its certificate,
// trusting files.CA for client certificates and asking for them as
// clientAuth says. The plain clientPort stays open at Addr for the
// harness and for tests that compare. It returns once both ports serve.
func StartTLS(tb testing.TB, files TLSFiles, clientAuth ClientAuth) *Server {
	tb.Helper()
	checkInstalled(tb)
	for _, jar := range NettyJars {
		if _, err := os.Stat(jar); err != nil {
			tb.Fatalf("zktest: TLS needs %s (Debian package libnetty-java): %v", jar, err)
		}
	}
	return startOwned(tb, "zktest-tls-", func(dir string) (*Server, error) {
		return startNewTLS(dir, &tlsSetup{files: files, clientAuth: clientAuth}, false)
	})
}

func startNewTLS(dir string, ts *tlsSetup, production bool) (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		if ts.port, err = freePort(); err != nil {
			return nil, err
		}
		if port == ts.port {
			continue
		}
		s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, port: port, tls: ts, production: production,
			TLSAddr: fmt.Sprintf("127.0.0.1:%d", ts.port)}
		if err := s.writeConfig(); err != nil {
			return nil, err
		}
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
	}
	return nil, lastErr
}

// config is the part of zoo.cfg that turns TLS on. Keys ZooKeeper does
// not know as its own (the ssl.* ones) become zookeeper.* system
// properties, which is where its X509Util looks for them.
func (ts *tlsSetup) config() string {
	return fmt.Sprintf(`serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory
secureClientPort=%d
secureClientPortAddress=127.0.0.1
ssl.keyStore.location=%s
ssl.keyStore.type=PEM
ssl.trustStore.location=%s
ssl.trustStore.type=PEM
ssl.clientAuth=%s
`, ts.port, ts.files.ServerPEM, ts.files.CA, ts.clientAuth)
}

// serving reports whether the secure port completes a handshake and
// answers "srvr": the plain port can serve a moment before it does.
func (ts *tlsSetup) serving(addr string) bool {
	conf, err := ts.files.ClientConfig()
	if err != nil {
		return false
	}
	d := &net.Dialer{Timeout: 200 * time.Millisecond}
	c, err := tls.DialWithDialer(d, "tcp", addr, conf)
	if err != nil {
		return false
	}
	return answersSrvr(c)
}

// StartTLSProcess is StartProcess for a server that also serves TLS, as
// StartTLS sets it up: a program such as the benchmark driver measures
// kook over mutual TLS with it. The caller stops it.
func StartTLSProcess(dir string, files TLSFiles, clientAuth ClientAuth) (*Server, error) {
	if _, err := os.Stat(ZooKeeperJar); err != nil {
		return nil, fmt.Errorf("ZooKeeper is not installed (%v); install it with `make deps`", err)
	}
	for _, jar := range NettyJars {
		if _, err := os.Stat(jar); err != nil {
			return nil, fmt.Errorf("TLS needs %s (Debian package libnetty-java): %v", jar, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return startNewTLS(dir, &tlsSetup{files: files, clientAuth: clientAuth}, true)
}

// EchoTLS serves TLS on loopback with files' server certificate, up to
// maxVersion, trusting files.CA for client certificates and asking for
// them as clientAuth says, and echoes the first 5 bytes each client sends:
// a stand-in for tests of TLS clients that need no ZooKeeper. It stops
// when the test ends.
func EchoTLS(tb testing.TB, files TLSFiles, clientAuth tls.ClientAuthType, maxVersion uint16) string {
	tb.Helper()
	pair, err := tls.LoadX509KeyPair(files.ServerPEM, files.ServerPEM)
	if err != nil {
		tb.Fatal(err)
	}
	caPEM, err := os.ReadFile(files.CA)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: clientAuth, MaxVersion: maxVersion,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.Copy(c, io.LimitReader(c, 5))
			}()
		}
	}()
	return l.Addr().String()
}
