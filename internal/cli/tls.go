package cli

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
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
		return tls.DialWithDialer(&net.Dialer{Timeout: d}, network, address, c)
	}, nil
}
