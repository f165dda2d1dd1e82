package coord

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
)

// Guard watches over one ZooKeeper session so that what it protects (a
// lock's command) stops before the server could expire the session and
// let another holder in.
//
// go-zookeeper notices a dead connection only after about two thirds of
// the session timeout and, after an expiry, silently opens a new session:
// neither is early enough. So the Guard sends its own cheap request (a
// sync, which goes through the leader) every T/10 and keeps the time the
// last answered one was SENT: the server heard from the session at or
// after that time, so it cannot expire the session before that time + T.
// Safe reports that instant; callers stop their command well before it.
// A session that expired or was replaced (a new session id) is lost at once.
type Guard struct {
	conn *zk.Conn
	root string
	// T is the session timeout asked for; a server may grant more, never
	// less than its minimum, which is below what kook asks.
	T   time.Duration
	sid int64

	mu       sync.Mutex
	lastOK   time.Time
	lost     error
	lostCh   chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
	inflight bool
}

// ErrSessionLost is wrapped by Guard.Err when the session expired or was
// replaced: every ephemeral node it held is gone.
var ErrSessionLost = errors.New("the ZooKeeper session was lost")

// NewGuard starts guarding conn's current session, whose timeout is t,
// with a first heartbeat answered before it returns (so Safe starts from a
// time the server surely heard from the session). Feed it the
// connection's events (Event) from zk.WithEventCallback.
func NewGuard(conn *zk.Conn, root string, t time.Duration) (*Guard, error) {
	g := &Guard{conn: conn, root: root, T: t, sid: conn.SessionID(),
		lostCh: make(chan struct{}), stop: make(chan struct{})}
	sent := time.Now()
	if _, err := conn.Sync(root); err != nil {
		return nil, fmt.Errorf("ZooKeeper: sync %s: %w", root, err)
	}
	g.lastOK = sent
	go g.heartbeat()
	return g, nil
}

// Quiet returns how long ago the last answered heartbeat was sent.
func (g *Guard) Quiet() time.Duration { return time.Since(g.Safe().Add(-g.T)) }

// Event takes one event of the connection.
func (g *Guard) Event(ev zk.Event) {
	if ev.Type != zk.EventSession {
		return
	}
	switch {
	case ev.State == zk.StateExpired:
		g.lose(fmt.Errorf("%w: it expired", ErrSessionLost))
	case ev.State == zk.StateHasSession && g.conn.SessionID() != g.sid:
		g.lose(fmt.Errorf("%w: ZooKeeper gave a new session", ErrSessionLost))
	}
}

func (g *Guard) lose(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.lost == nil {
		g.lost = err
		close(g.lostCh)
	}
}

// Lost is closed when the session is lost.
func (g *Guard) Lost() <-chan struct{} { return g.lostCh }

// Err returns why the session was lost, or nil.
func (g *Guard) Err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lost
}

// Safe returns the instant before which the server cannot have expired
// the session: the send time of the last answered heartbeat plus T.
func (g *Guard) Safe() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lastOK.Add(g.T)
}

// Close stops the heartbeat.
func (g *Guard) Close() { g.stopOnce.Do(func() { close(g.stop) }) }

func (g *Guard) heartbeat() {
	tick := time.NewTicker(g.T / 10)
	defer tick.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-g.lostCh:
			return
		case <-tick.C:
		}
		g.mu.Lock()
		busy := g.inflight
		g.inflight = true
		g.mu.Unlock()
		if busy {
			continue // the last one has not answered: its send time is older anyway
		}
		go func() {
			sent := time.Now()
			_, err := g.conn.Sync(g.root)
			g.mu.Lock()
			g.inflight = false
			ok := err == nil && g.conn.SessionID() == g.sid
			if ok && sent.After(g.lastOK) {
				g.lastOK = sent
			}
			g.mu.Unlock()
			if err == nil && !ok {
				g.lose(fmt.Errorf("%w: ZooKeeper gave a new session", ErrSessionLost))
			}
		}()
	}
}
