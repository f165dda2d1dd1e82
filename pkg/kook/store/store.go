// Package store keeps a kook inventory in ZooKeeper, in the layout of
// DESIGN.md (schema 4):
//
//	ROOT/meta            {"schema":4,"current":"g0000000007",...}, and once a change
//	                     was written copy-on-write "host_gens"/"group_gens" (manifest.go)
//	ROOT/log             the last writer's id; its mzxid is the inventory's version
//	ROOT/log/wID-00..42  one change-log entry per write (changelog.go)
//	ROOT/queue/r-00..07  registrations filed by hosts that may not write (register.go)
//	ROOT/g0000000007     {"group_buckets":8,"host_buckets":64}
//	ROOT/g.../h/00..3f   hosts packed by an FNV-1a hash of their name:
//	                     {"web01":{"file_vars":{...},"groups":{"db":0,"web":3072},"vars":{...}},...}
//	ROOT/g.../g/0..7     groups likewise: {"web":{"children":["a","b"],"file_vars":{...},"vars":{...}},...}
//
// "file_vars" (Host.FileVars, Group.FileVars) is left out when empty, so a
// schema 1 root reads as it is; the next write marks it schema 2.
//
// Membership lives on the host with the host's position in each group, so
// a group's host order is its members sorted by position and no znode grows
// with a group's size.
//
// Consistency: every write is one multi that sets each bucket it changed
// and checks each bucket it only read, at the versions it read, checks
// meta, and records itself in the log (head.go), so concurrent writers
// never lose an update and conflict only when they touch the same data
// (the loser gets ErrConflict, and Update and the small writes retry on
// fresh data). A change too large for one multi, or one that changes the
// bucket counts, is written as a new generation beside the current one
// and switched to by one multi that sets meta and checks every bucket it
// replaces. A reader gets the version, every bucket (pipelined over one
// connection), and settles on one version if a bucket moved meanwhile, so
// it never sees half a write.
//
// Every call has a deadline (Config.Timeout, or the context's if sooner);
// a dead ZooKeeper gives "cannot reach ZooKeeper at ...", never a hang.
// Nothing is ever printed: go-zookeeper's logging is switched off.
//
// A Store is safe for concurrent use.
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// Config says how to reach ZooKeeper and where the inventory lives.
type Config struct {
	// Servers are "host:port" addresses of the ensemble.
	Servers []string
	// Root is the znode under which the inventory lives; default "/kook".
	Root string
	// Timeout bounds connecting and each operation (a Load, a small
	// write, each request of a large write); default 5s.
	Timeout time.Duration
	// SessionTimeout is the ZooKeeper session timeout; default 10s.
	SessionTimeout time.Duration
	// Digest is "user:password" for ZooKeeper digest auth. When set, every
	// znode kook creates (the root and its missing parents included) lets
	// only that identity change it. It is never printed.
	Digest string
	// WorldRead, with Digest, lets clients without credentials read.
	WorldRead bool
	// Dialer, when set, opens the connections (for TLS).
	Dialer zk.Dialer
	// Actor says who writes, for the change log (defaults: see Actor).
	Actor Actor
	// NoChangeLog records each write in the log without who, what or
	// which names: only its writer id and time, which the store needs as
	// its version marker. For measuring what the log costs, and for
	// callers that must not leave names behind.
	NoChangeLog bool
	// MaxBuffer, when set, bounds the connection's send and receive
	// buffers (go-zookeeper allocates 1.5 MiB of each per session). A
	// process that holds many sessions, such as a test standing in for a
	// thousand hosts, sets it to a few hundred KiB; a response or request
	// larger than it then fails.
	MaxBuffer int
	// OnEvent, when set, gets every event of the connection's session
	// (connected, disconnected, expired), in order, from go-zookeeper's
	// event loop: it must not block.
	OnEvent func(zk.Event)
}

// String describes the configuration without the password.
func (c Config) String() string {
	auth := "none"
	if c.Digest != "" {
		auth = "digest ***"
		// Without a colon the whole value may be a password.
		if user, _, ok := strings.Cut(c.Digest, ":"); ok {
			auth = "digest " + user + ":***"
		}
	}
	return fmt.Sprintf("servers=%s root=%s timeout=%v session=%v auth=%s world_read=%v",
		strings.Join(c.Servers, ","), c.Root, c.Timeout, c.SessionTimeout, auth, c.WorldRead)
}

// GoString is String, so that %#v does not print the password either.
func (c Config) GoString() string { return c.String() }

// Defaults of Config.
const (
	DefaultRoot           = "/kook"
	DefaultTimeout        = 5 * time.Second
	DefaultSessionTimeout = 10 * time.Second
)

// ErrConflict is wrapped by the error of a write that lost a race with
// another writer (or found the inventory at another version than
// WriteOptions.ExpectVersion wanted); the error names what conflicted.
var ErrConflict = errors.New("conflict with a concurrent change")

// ErrNotFound is wrapped by the error of a small write that names a host
// or group the inventory does not hold.
var ErrNotFound = errors.New("not found")

// Store is an open connection to the inventory under one root.
type Store struct {
	cfg     Config
	servers string // for messages
	conn    *zk.Conn
	acl     []zk.ACL
	metaP   string
	logP    string
	actor   func() Actor

	mu          sync.Mutex
	lastDialErr error

	retries atomic.Int64

	closeWritten atomic.Pointer[chan struct{}] // set by CloseSoon, closed by the next write
}

// maxMulti is the most one multi request of this store may carry:
// maxMultiBytes, or less when Config.MaxBuffer bounds the connection's
// buffers (with room for the request's framing).
func (s *Store) maxMulti() int {
	if b := s.cfg.MaxBuffer; b > 0 && b-(16<<10) < maxMultiBytes {
		return max(b-(16<<10), 1<<10)
	}
	return maxMultiBytes
}

// Retries counts how often this Store's writes started again on fresh
// data after a conflict with another writer.
func (s *Store) Retries() int64 { return s.retries.Load() }

// listOf makes a slice of values whose type has no name outside the
// package that made them (go-zookeeper's connection options).
func listOf[T any](xs ...T) []T { return xs }

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}

// Open connects to ZooKeeper and waits for a session, failing within
// cfg.Timeout (or ctx's deadline) with "cannot reach ZooKeeper at ...".
// It does not read or create anything.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Root == "" {
		cfg.Root = DefaultRoot
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = DefaultSessionTimeout
	}
	if len(cfg.Servers) == 0 {
		return nil, errors.New("no ZooKeeper servers configured")
	}
	if cfg.Root == "/" {
		return nil, errors.New(`bad ZooKeeper root "/": ZooKeeper's top node also holds ZooKeeper's own /zookeeper; give kook a node of its own, such as /kook`)
	}
	if !strings.HasPrefix(cfg.Root, "/") || path.Clean(cfg.Root) != cfg.Root {
		return nil, fmt.Errorf(`bad ZooKeeper root %q: want an absolute path such as /kook, without a trailing "/", "//", "." or ".."`, cfg.Root)
	}
	s := &Store{cfg: cfg, servers: strings.Join(cfg.Servers, ","), metaP: cfg.Root + "/meta", logP: cfg.Root + "/log"}
	// Who writes is looked up (user database, host name) only when a
	// write records it: a reader such as kook-inventory never needs it.
	s.actor = sync.OnceValue(func() Actor { return defaultActor(cfg) })
	s.acl = zk.WorldACL(zk.PermAll)
	var user, password string
	if cfg.Digest != "" {
		var ok bool
		user, password, ok = strings.Cut(cfg.Digest, ":")
		if !ok || user == "" {
			return nil, errors.New("bad ZooKeeper digest credentials: want user:password")
		}
		s.acl = zk.DigestACL(zk.PermAll, user, password)
		if cfg.WorldRead {
			s.acl = append(s.acl, zk.WorldACL(zk.PermRead)...)
		}
	}
	dial := cfg.Dialer
	if dial == nil {
		dial = net.DialTimeout
	}
	recording := func(network, addr string, timeout time.Duration) (net.Conn, error) {
		if timeout > cfg.Timeout {
			timeout = cfg.Timeout
		}
		c, err := dial(network, addr, timeout)
		if err != nil {
			s.noteErr(err)
			return nil, err
		}
		return &notingConn{Conn: c, s: s, addr: addr}, nil
	}
	ctx, cancel := s.opContext(ctx, cfg.Timeout)
	defer cancel()
	hasSession := make(chan struct{}, 1)
	opts := listOf(zk.WithLogger(nopLogger{}), zk.WithLogInfo(false), zk.WithDialer(recording))
	if cfg.MaxBuffer > 0 {
		opts = append(opts, zk.WithMaxBufferSize(cfg.MaxBuffer), zk.WithMaxConnBufferSize(cfg.MaxBuffer))
	}
	conn, _, err := zk.Connect(cfg.Servers, cfg.SessionTimeout, append(opts,
		zk.WithEventCallback(func(ev zk.Event) {
			if cfg.OnEvent != nil {
				cfg.OnEvent(ev)
			}
			if ev.Type == zk.EventSession && ev.State == zk.StateHasSession {
				select {
				case hasSession <- struct{}{}:
				default:
				}
			}
		}))...)
	if err != nil {
		return nil, fmt.Errorf("cannot reach ZooKeeper at %s: %v", s.servers, err)
	}
	s.conn = conn
	if conn.State() != zk.StateHasSession {
		select {
		case <-hasSession:
		case <-ctx.Done():
			go conn.Close()
			err := s.ctxErr(ctx)
			s.mu.Lock()
			if s.lastDialErr != nil {
				err = fmt.Errorf("%w (last attempt: %v)", err, s.lastDialErr)
			}
			s.mu.Unlock()
			return nil, err
		}
	}
	if cfg.Digest != "" {
		err := s.do(ctx, func() error { return conn.AddAuth("digest", []byte(user+":"+password)) })
		if err != nil {
			go conn.Close()
			return nil, fmt.Errorf("ZooKeeper at %s refused the digest credentials of user %q: %v", s.servers, user, err)
		}
	}
	return s, nil
}

// CloseSoon starts ending the session and returns a channel closed once
// the request to end it has been written to the connection, or after at
// most 100 ms. A process that exits next waits on the channel, not for
// ZooKeeper to confirm (the server logs the end first, which costs it a
// disk write): once written, the request is served whether or not the
// process is still there. Without the wait the process may end before the
// request is out, and the server expires the session only after its
// timeout.
func (s *Store) CloseSoon() <-chan struct{} {
	written := make(chan struct{})
	s.closeWritten.Store(&written)
	go s.conn.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-written:
		case <-time.After(100 * time.Millisecond):
		}
	}()
	return done
}

// Close ends the session. It returns quickly even when ZooKeeper is gone.
func (s *Store) Close() error {
	done := make(chan struct{})
	go func() { s.conn.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(250 * time.Millisecond):
	}
	return nil
}

// Root returns the root znode of the inventory.
func (s *Store) Root() string { return s.cfg.Root }

// ACL returns the ACL given to every node the store creates.
func (s *Store) ACL() []zk.ACL { return s.acl }

// SessionTimeout returns the session timeout asked of ZooKeeper.
func (s *Store) SessionTimeout() time.Duration { return s.cfg.SessionTimeout }

// Timeout returns the bound of one operation.
func (s *Store) Timeout() time.Duration { return s.cfg.Timeout }

// Conn returns the underlying connection, for watches and tests. Writing
// under the root through it bypasses every promise of this package.
func (s *Store) Conn() *zk.Conn { return s.conn }

// opContext bounds ctx by timeout, with a cause that says who timed out.
func (s *Store) opContext(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("cannot reach ZooKeeper at %s: timed out after %v", s.servers, timeout))
}

func (s *Store) ctxErr(ctx context.Context) error {
	cause := context.Cause(ctx)
	if cause == nil {
		cause = ctx.Err()
	}
	if errors.Is(cause, context.DeadlineExceeded) || errors.Is(cause, context.Canceled) {
		if !strings.HasPrefix(cause.Error(), "cannot reach") {
			return fmt.Errorf("cannot reach ZooKeeper at %s: %w", s.servers, cause)
		}
	}
	return cause
}

// do runs a go-zookeeper call, which takes no context, and returns when it
// does or when ctx is done; in the latter case the call finishes in the
// background and its result is dropped.
func (s *Store) do(ctx context.Context, call func() error) error {
	_, err := run(s, ctx, func() (struct{}, error) { return struct{}{}, call() })
	return err
}

// run is do for a call with a result. The result travels through the
// channel, so a call abandoned at the deadline writes nothing the caller
// still uses.
func run[T any](s *Store, ctx context.Context, call func() (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, s.ctxErr(ctx)
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	go func() { v, err := call(); done <- result{v, err} }()
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		return zero, s.ctxErr(ctx)
	}
}

// noteErr keeps err for the message of an Open that times out: go-zookeeper
// retries quietly, so without it "cannot reach" could not say why.
func (s *Store) noteErr(err error) {
	s.mu.Lock()
	s.lastDialErr = err
	s.mu.Unlock()
}

// notingConn notes why a connection failed after it was dialed: a server
// that closes it at once (plain TCP to a TLS port), or that refuses a
// client certificate after a TLS 1.3 handshake.
type notingConn struct {
	net.Conn
	s    *Store
	addr string
}

// Write tells CloseSoon that what was queued before it is out: the
// close request, or in the rare case a ping went first, that ping.
func (c *notingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if w := c.s.closeWritten.Swap(nil); w != nil {
		close(*w)
	}
	return n, err
}

func (c *notingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
		c.s.noteErr(fmt.Errorf("%s closed the connection: %w", c.addr, err))
	}
	return n, err
}

type getResult struct {
	data []byte
	st   *zk.Stat
}

// zkError turns a go-zookeeper error into one that says what failed.
func (s *Store) zkError(op, p string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, zk.ErrNoServer), errors.Is(err, zk.ErrConnectionClosed),
		errors.Is(err, zk.ErrClosing), errors.Is(err, zk.ErrSessionExpired),
		errors.Is(err, zk.ErrSessionMoved), isNetError(err):
		return fmt.Errorf("cannot reach ZooKeeper at %s: %s %s: %w", s.servers, op, p, err)
	case errors.Is(err, zk.ErrNoAuth):
		return fmt.Errorf("ZooKeeper refused to %s %s: not allowed for these credentials: %w", op, p, err)
	case strings.HasPrefix(err.Error(), "cannot reach"):
		return err
	}
	return fmt.Errorf("ZooKeeper: %s %s: %w", op, p, err)
}

// isNetError reports whether err is the connection's own failure (a
// broken pipe when the server died under a request), which go-zookeeper
// sometimes returns as it is.
func isNetError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

// ambiguous reports whether a write may or may not have been applied.
func ambiguous(err error) bool {
	return errors.Is(err, zk.ErrConnectionClosed) || errors.Is(err, zk.ErrSessionExpired) || isNetError(err) ||
		errors.Is(err, zk.ErrNoServer) || errors.Is(err, zk.ErrClosing) ||
		errors.Is(err, context.DeadlineExceeded) || strings.HasPrefix(fmt.Sprint(err), "cannot reach")
}

func (s *Store) get(ctx context.Context, p string) ([]byte, *zk.Stat, error) {
	r, err := run(s, ctx, func() (getResult, error) {
		data, st, err := s.conn.Get(p)
		return getResult{data, st}, err
	})
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		err = s.zkError("read", p, err)
	}
	return r.data, r.st, err
}

func (s *Store) exists(ctx context.Context, p string) (*zk.Stat, error) {
	return run(s, ctx, func() (*zk.Stat, error) {
		_, st, err := s.conn.Exists(p)
		return st, err
	})
}

func (s *Store) children(ctx context.Context, p string) ([]string, error) {
	kids, err := run(s, ctx, func() ([]string, error) {
		kids, _, err := s.conn.Children(p)
		return kids, err
	})
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		err = s.zkError("list", p, err)
	}
	return kids, err
}

func (s *Store) multi(ctx context.Context, ops []any) ([]zk.MultiResponse, error) {
	return run(s, ctx, func() ([]zk.MultiResponse, error) { return s.conn.Multi(ops...) })
}

// getMany reads paths concurrently: go-zookeeper pipelines the requests
// over its one connection, so n reads cost about one round trip plus the
// server's time per request. each, when set, runs on every result in the
// reading goroutine (to decode while other reads are in flight). A missing
// node gives nil data and a nil Stat.
func (s *Store) getMany(ctx context.Context, paths []string, each func(i int, data []byte) error) ([][]byte, []*zk.Stat, error) {
	data := make([][]byte, len(paths))
	stats := make([]*zk.Stat, len(paths))
	errs := make(chan error, len(paths))
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	for i, p := range paths {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, nil, s.ctxErr(ctx)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, st, err := s.conn.Get(p)
			<-sem
			if errors.Is(err, zk.ErrNoNode) {
				return
			}
			if err != nil {
				errs <- s.zkError("read", p, err)
				return
			}
			data[i], stats[i] = d, st
			if each != nil {
				if err := each(i, d); err != nil {
					errs <- err
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, nil, s.ctxErr(ctx)
	}
	close(errs)
	for err := range errs {
		return nil, nil, err
	}
	return data, stats, nil
}

// newWriterID identifies one write in meta.
func newWriterID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
