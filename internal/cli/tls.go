package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/internal/config"
)

// tlsDialer returns a dialer for ZooKeeper's secureClientPort that checks
// the server's certificate against the configured CA and presents a client
// certificate when one is configured.
func tlsDialer(t config.TLS, timeout time.Duration) (zk.Dialer, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName}
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
	}
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
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: d}, network, address, c)
		if err != nil {
			return nil, handshakeError(address, err)
		}
		return conn, nil
	}, nil
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
