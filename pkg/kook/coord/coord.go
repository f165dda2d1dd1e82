// Package coord keeps the coordination state of a kook inventory in
// ZooKeeper, beside the inventory under the same root: host locks,
// maintenance records, liveness and the semaphores of rolling runs. It
// knows ZooKeeper and nothing of any inventory format.
//
// Layout (every name of a host or group is encoded by NodeName):
//
//	ROOT/locks/HOST~0000000042   ephemeral sequential: one contender for HOST's lock,
//	                             data {"owner":"user@host","pid":1,"reason":"...","since":"..."}.
//	                             The lowest sequence number of a HOST holds it.
//	ROOT/maint/HOST              persistent: {"owner","reason","since","until"}
//	ROOT/alive/HOST~0000000007   ephemeral sequential: one per live registration of HOST
//	ROOT/sem/GROUP               persistent: the semaphore of rolling runs over GROUP
//	ROOT/sem/GROUP/r-N~000000003 ephemeral sequential: one per roll running, N its bound
//	ROOT/sem/GROUP/s~0000000012  ephemeral sequential: one per slot asked for or held
//
// Locks, maintenance and liveness are flat under their parent, so the
// parent's pzxid moves whenever any of them is created or deleted,
// including an ephemeral node deleted because its session expired: a
// reader that Stats the three parents (pipelined, one round trip) knows
// whether anything changed since its last read. Nothing is ever changed in
// place (a maintenance record is replaced by delete and create in one
// multi) for that reason. The three parents are created together on first
// use and never deleted: their presence says the inventory uses
// coordination.
package coord

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook/store"
)

// seqSep separates a contender's encoded name from its sequence number.
const seqSep = "~"

// Client reads and writes coordination state under one root over one
// ZooKeeper session.
type Client struct {
	conn *zk.Conn
	root string
	acl  []zk.ACL
	// parents is set once the state parents are known to exist: they are
	// never deleted.
	parents atomic.Bool
	// Timeout bounds each request that is not a wait.
	Timeout time.Duration
	// Now is the clock; time.Now unless a test sets it.
	Now func() time.Time
}

// New returns a Client over conn for the inventory at root; acl is given
// to every node it creates (zk.WorldACL(zk.PermAll) when nil).
func New(conn *zk.Conn, root string, acl []zk.ACL) *Client {
	if acl == nil {
		acl = zk.WorldACL(zk.PermAll)
	}
	return &Client{conn: conn, root: root, acl: acl, Timeout: 5 * time.Second, Now: time.Now}
}

// Conn returns the ZooKeeper connection.
func (c *Client) Conn() *zk.Conn { return c.conn }

// Root returns the inventory's root node.
func (c *Client) Root() string { return c.root }

func (c *Client) path(parent string) string { return c.root + "/" + parent }

// Prepare makes sure the state parents exist (creating them, and the
// root, when missing), as every write of state does first; a caller may
// run it early, beside other requests, to save a round trip later.
func (c *Client) Prepare() error { return c.ensureParents() }

// ensureParents creates the root and the state parents when missing. The
// missing parents go in one multi, so a reader sees all or none of them.
func (c *Client) ensureParents() error {
	if c.parents.Load() {
		return nil
	}
	// The lock log came after the others: a root that has it has all.
	ok, _, err := c.conn.Exists(c.path(store.LockLogNode))
	if err != nil {
		return c.zkErr("read", c.path(store.LockLogNode), err)
	}
	if ok {
		c.parents.Store(true)
		return nil
	}
	// The root and its ancestors, one at a time: each may already exist.
	p := ""
	for _, part := range strings.Split(strings.TrimPrefix(c.root, "/"), "/") {
		p += "/" + part
		if _, err := c.conn.Create(p, nil, 0, c.acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return c.zkErr("create", p, err)
		}
	}
	var ops []any
	for _, n := range []string{store.LocksNode, store.MaintNode, store.AliveNode, store.SemNode, store.LockLogNode} {
		ok, _, err := c.conn.Exists(c.path(n))
		if err != nil {
			return c.zkErr("read", c.path(n), err)
		}
		if !ok {
			ops = append(ops, &zk.CreateRequest{Path: c.path(n), Acl: c.acl})
		}
	}
	if _, err := c.conn.Multi(ops...); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return c.zkErr("create", c.path(store.LocksNode), err)
	}
	c.parents.Store(true)
	return nil
}

// zkErr says which request on which node failed.
func (c *Client) zkErr(op, p string, err error) error {
	if errors.Is(err, zk.ErrNoAuth) {
		return fmt.Errorf("ZooKeeper refused to %s %s: not allowed for these credentials: %w", op, p, err)
	}
	return fmt.Errorf("ZooKeeper: %s %s: %w", op, p, err)
}

// NodeName encodes a host or group name as one ZooKeeper node name: bytes
// outside printable ASCII, '%', '/' and '~' become %XX, and "." and ".."
// (which ZooKeeper refuses) have their dots encoded. ParseNodeName undoes it.
func NodeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if ch <= ' ' || ch >= 0x7f || ch == '%' || ch == '/' || ch == '~' || (ch == '.' && (name == "." || name == "..")) {
			fmt.Fprintf(&b, "%%%02X", ch)
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}

// ParseNodeName returns the name NodeName encoded as node.
func ParseNodeName(node string) (string, error) {
	if !strings.Contains(node, "%") {
		return node, nil
	}
	var b strings.Builder
	for i := 0; i < len(node); i++ {
		if node[i] != '%' {
			b.WriteByte(node[i])
			continue
		}
		if i+2 >= len(node) {
			return "", fmt.Errorf("bad node name %q", node)
		}
		v, err := strconv.ParseUint(node[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad node name %q", node)
		}
		b.WriteByte(byte(v))
		i += 2
	}
	return b.String(), nil
}

// splitSeq splits a contender's node name into its encoded name and its
// sequence number.
func splitSeq(node string) (name string, seq int64, ok bool) {
	i := strings.LastIndex(node, seqSep)
	if i < 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseInt(node[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return node[:i], seq, true
}

// Owner is who holds or asked for something: "user@host".
func Owner() string {
	u := "unknown"
	if cu, err := user.Current(); err == nil {
		u = cu.Username
	} else if e := os.Getenv("USER"); e != "" {
		u = e
	}
	h, err := os.Hostname()
	if err != nil {
		h = "unknown"
	}
	return u + "@" + h
}

// remove deletes p, retrying while the connection is down (up to Timeout):
// a node left behind would hold a lock or a slot until the session ends.
func (c *Client) remove(p string) error {
	deadline := time.Now().Add(c.Timeout)
	for {
		err := c.conn.Delete(p, -1)
		if err == nil || errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if !transient(err) || time.Now().After(deadline) {
			return c.zkErr("delete", p, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
