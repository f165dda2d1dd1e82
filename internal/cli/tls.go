package cli

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/config"
	"github.com/kook-project/kook/internal/tickets"
)

// tlsDialer returns a dialer for ZooKeeper's secureClientPort that checks
// the server's certificate against the configured CA and presents a client
// certificate when one is configured. With store, each connection resumes
// the session the last connection to its server kept a ticket of (and
// keeps its own), which spares a short-lived process the full handshake.
func tlsDialer(t config.TLS, timeout time.Duration, store *tickets.Store) (zk.Dialer, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
	// identity is what the connection trusts and presents: a kept ticket
	// is used only by connections of the same identity.
	id := sha256.New()
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls ca %s: no PEM certificate found", t.CA)
		}
		conf.RootCAs = pool
		id.Write(pem)
	}
	if t.Cert != "" || t.Key != "" {
		if t.Cert == "" || t.Key == "" {
			return nil, errors.New("tls: cert and key go together")
		}
		pair, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		conf.Certificates = []tls.Certificate{pair}
		for _, der := range pair.Certificate {
			id.Write(der)
		}
	}
	fmt.Fprintf(id, "\x00%s", t.ServerName)
	identity := hex.EncodeToString(id.Sum(nil))
	conf.VerifyConnection = verifyResumed(conf.RootCAs)
	return func(network, address string, d time.Duration) (net.Conn, error) {
		c := conf.Clone()
		if c.ServerName == "" {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return nil, err
			}
			c.ServerName = host
		}
		if d <= 0 || d > timeout {
			d = timeout
		}
		if store != nil {
			c.ClientSessionCache = store.For(address, identity)
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: d}, network, address, c)
		if errors.Is(err, errResumedUntrusted) {
			// The kept session's certificates do not verify as the
			// configuration wants: forget it and make a full handshake,
			// which verifies the server as any connection does.
			c.ClientSessionCache.Put("", nil)
			c.ClientSessionCache = nil
			conn, err = tls.DialWithDialer(&net.Dialer{Timeout: d}, network, address, c)
		}
		if err != nil {
			return nil, handshakeError(address, err)
		}
		return conn, nil
	}, nil
}

// errResumedUntrusted is the error of a resumed session whose server
// certificate the configuration does not trust.
var errResumedUntrusted = errors.New("the resumed TLS session's server certificate does not verify")

// verifyResumed returns the check of every connection's server certificate
// that crypto/tls skips on a resumed session (it trusts what the ticket
// says was verified): a ticket read from disk must not make a server
// trusted that a full handshake would refuse. roots nil means the system's.
func verifyResumed(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if !cs.DidResume {
			return nil // verified in the handshake, as always
		}
		if len(cs.PeerCertificates) == 0 {
			return errResumedUntrusted
		}
		opts := x509.VerifyOptions{Roots: roots, DNSName: cs.ServerName, Intermediates: x509.NewCertPool()}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		if _, err := cs.PeerCertificates[0].Verify(opts); err != nil {
			return fmt.Errorf("%w: %v", errResumedUntrusted, err)
		}
		return nil
	}
}

// handshakeError says what a failed TLS connection means for the person
// who configured it; go-zookeeper retries, and the store reports the last
// of these when it gives up.
func handshakeError(address string, err error) error {
	var verr *tls.CertificateVerificationError
	var op *net.OpError
	switch {
	case errors.As(err, &verr):
		return fmt.Errorf("TLS handshake with %s: %w (check tls: ca and server_name)", address, err)
	case errors.As(err, &op) && op.Op == "remote error":
		return fmt.Errorf("TLS handshake with %s: the server refused it: %w (a server that needs client certificates wants tls: cert and key, signed by a CA it trusts)", address, err)
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		return fmt.Errorf("TLS handshake with %s: the server closed the connection (%w): is this its secureClientPort?", address, err)
	case errors.As(err, new(tls.RecordHeaderError)):
		return fmt.Errorf("TLS handshake with %s: %w: is this its secureClientPort?", address, err)
	}
	return err
}
