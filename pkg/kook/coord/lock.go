package coord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"sort"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook/store"
)

// Holder says who holds (or waits for) a lock.
type Holder struct {
	Owner  string    `json:"owner"`
	PID    int       `json:"pid"`
	Reason string    `json:"reason,omitempty"`
	Since  time.Time `json:"since"`
	// Seq is the holding contender's sequence number, as State reads it:
	// two holds by one holder within a second differ by it.
	Seq int64 `json:"-"`
}

// String describes the holder for a person: "alice@box (pid 12) since ...: reason".
func (h Holder) String() string {
	s := fmt.Sprintf("%s (pid %d) since %s", h.Owner, h.PID, h.Since.UTC().Format(time.RFC3339))
	if h.Reason != "" {
		s += fmt.Sprintf(": %q", h.Reason)
	}
	return s
}

// NewHolder is this process as a holder, with reason.
func (c *Client) NewHolder(reason string) Holder {
	return Holder{Owner: Owner(), PID: os.Getpid(), Reason: reason, Since: c.Now().UTC().Truncate(time.Second)}
}

// HeldError is the error of a lock that another holder has.
type HeldError struct {
	Host   string
	Holder Holder
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("host %s is locked by %s", e.Host, e.Holder)
}

// errSwept says a create's unknown outcome could not be cleaned up.
var errSwept = errors.New("the session may hold a stray node")

// Lock is a set of host locks held by this session.
type Lock struct {
	c      *Client
	Hosts  []string // in the order they were taken
	nodes  []string
	holder Holder
}

// Lock takes the lock of every host, in one global order (sorted by name)
// so that two callers never deadlock, each with ZooKeeper's lock recipe: an
// ephemeral sequential contender under ROOT/locks, held when no contender
// of the same host has a lower sequence number, else an exists watch on
// the next lower one only (no herd). With wait 0 a held lock fails at once
// with a *HeldError; otherwise the caller waits that long in all. On any
// failure every lock already taken is released.
//
// A contender whose create had an unknown outcome (connection lost) may
// exist until the session ends: callers close the session after an error.
func (c *Client) Lock(ctx context.Context, hosts []string, h Holder, wait time.Duration) (*Lock, error) {
	if err := c.ensureParents(); err != nil {
		return nil, err
	}
	data, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	sorted := slices.Clone(hosts)
	sort.Strings(sorted)
	sorted = slices.Compact(sorted)
	deadline := time.Now().Add(wait)
	l := &Lock{c: c, holder: h}
	for _, host := range sorted {
		node, err := c.acquire(ctx, host, data, wait > 0, deadline)
		if err != nil {
			l.Release()
			return nil, err
		}
		l.Hosts = append(l.Hosts, host)
		l.nodes = append(l.nodes, node)
	}
	return l, nil
}

// TryLock takes host's lock if it is free now; ok is false, with the
// holder, when someone else has it.
func (c *Client) TryLock(ctx context.Context, host string, h Holder) (l *Lock, ok bool, err error) {
	l, err = c.Lock(ctx, []string{host}, h, 0)
	var held *HeldError
	if errors.As(err, &held) {
		return nil, false, nil
	}
	return l, err == nil, err
}

// contenders lists host's contenders (node names), lowest sequence first,
// and returns the parent's Stat.
func (c *Client) contenders(host string) ([]string, error) {
	enc := NodeName(host)
	kids, _, err := c.conn.Children(c.path(store.LocksNode))
	if err != nil {
		return nil, c.zkErr("list", c.path(store.LocksNode), err)
	}
	return filterContenders(kids, enc), nil
}

// filterContenders keeps the contenders of the encoded name enc, lowest
// sequence first.
func filterContenders(kids []string, enc string) []string {
	var mine []string
	type ks struct {
		k   string
		seq int64
	}
	var list []ks
	for _, k := range kids {
		name, seq, ok := splitSeq(k)
		if ok && name == enc {
			list = append(list, ks{k, seq})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	for _, e := range list {
		mine = append(mine, e.k)
	}
	return mine
}

func (c *Client) acquire(ctx context.Context, host string, data []byte, wait bool, deadline time.Time) (string, error) {
	if host == "" {
		return "", errors.New("empty host name")
	}
	parent := c.path(store.LocksNode)
	created, err := c.conn.Create(parent+"/"+NodeName(host)+seqSep, data, zk.FlagEphemeral|zk.FlagSequence, c.acl)
	if err != nil {
		// The create may have happened: a contender of this session left
		// behind would hold the host for as long as the session lives.
		if serr := c.sweep(parent, func(k string) bool {
			enc, _, ok := splitSeq(k)
			return ok && enc == NodeName(host)
		}, nil); serr != nil {
			return "", fmt.Errorf("creating a lock contender for %s failed (%v), and what it may have left could not be removed: %w", host, err, errSwept)
		}
		return "", c.zkErr("create a lock contender under", parent, err)
	}
	mine := path.Base(created)
	_, mySeq, _ := splitSeq(mine)
	giveUp := func(err error) (string, error) {
		if rerr := c.remove(created); rerr != nil {
			return "", fmt.Errorf("%v; and the contender could not be removed: %w", err, errSwept)
		}
		return "", err
	}
	for {
		list, err := c.contenders(host)
		if err != nil {
			return giveUp(err)
		}
		pred := ""
		for _, k := range list {
			if _, seq, _ := splitSeq(k); seq < mySeq {
				pred = k
			}
		}
		if pred == "" {
			return created, nil
		}
		left := time.Until(deadline)
		if !wait || left <= 0 {
			hd, err := c.readHolder(parent + "/" + list[0])
			if errors.Is(err, zk.ErrNoNode) {
				continue // the holder left meanwhile: look again
			}
			if err != nil {
				return giveUp(err)
			}
			return giveUp(&HeldError{Host: host, Holder: hd})
		}
		exists, _, ev, err := c.conn.ExistsW(parent + "/" + pred)
		if err != nil {
			return giveUp(c.zkErr("watch", parent+"/"+pred, err))
		}
		if !exists {
			continue
		}
		t := time.NewTimer(left)
		select {
		case <-ev:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return giveUp(ctx.Err())
		}
		t.Stop()
	}
}

// readHolder reads a contender's holder; a contender gone meanwhile
// gives an error wrapping zk.ErrNoNode.
func (c *Client) readHolder(p string) (Holder, error) {
	data, _, err := c.conn.Get(p)
	if err != nil {
		return Holder{}, c.zkErr("read", p, err)
	}
	var h Holder
	json.Unmarshal(data, &h)
	return h, nil
}

// Release deletes the lock's contenders, recording each release in the
// lock log in the same multi (locklog.go); releasing twice does nothing.
// A contender already gone (kook unlock --force) is skipped.
func (l *Lock) Release() error {
	var all [][]any
	for i, n := range l.nodes {
		ops, err := l.c.releaseOps(n, l.Hosts[i], l.holder, false)
		if err != nil {
			return err
		}
		all = append(all, ops)
	}
	var errs []error
	if !l.c.releaseRecorded(slices.Concat(all...)) {
		for i, n := range l.nodes {
			if l.c.releaseRecorded(all[i]) {
				continue
			}
			if err := l.c.remove(n); err != nil {
				errs = append(errs, err)
			}
		}
	}
	l.nodes, l.Hosts = nil, nil
	return errors.Join(errs...)
}

// LockInfo is one held lock as Locks lists it.
type LockInfo struct {
	Host    string `json:"host"`
	Holder  Holder `json:"holder"`
	Waiting int    `json:"waiting"` // contenders queued behind the holder
}

// Locks lists every held lock, sorted by host.
func (c *Client) Locks(ctx context.Context) ([]LockInfo, error) {
	parent := c.path(store.LocksNode)
	kids, _, err := c.conn.Children(parent)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, c.zkErr("list", parent, err)
	}
	first, waiting := lowestPerName(kids)
	var out []LockInfo
	for enc, node := range first {
		host, err := ParseNodeName(enc)
		if err != nil {
			continue
		}
		h, err := c.readHolder(parent + "/" + node)
		if errors.Is(err, zk.ErrNoNode) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, LockInfo{Host: host, Holder: h, Waiting: waiting[enc]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out, nil
}

// lowestPerName returns, per encoded name, its lowest contender and how
// many others there are.
func lowestPerName(kids []string) (first map[string]string, others map[string]int) {
	first = map[string]string{}
	others = map[string]int{}
	seqs := map[string]int64{}
	for _, k := range kids {
		enc, seq, ok := splitSeq(k)
		if !ok {
			continue
		}
		if cur, ok := seqs[enc]; ok {
			others[enc]++
			if seq > cur {
				continue
			}
		}
		seqs[enc], first[enc] = seq, k
	}
	return first, others
}

// ForceUnlock deletes the holder of host's lock, recording it in the lock
// log as forced, and returns who it was; the next contender, if any, gets
// the lock. The holder's command goes on
// running unaware: this is for a lock whose holder is gone for good.
func (c *Client) ForceUnlock(ctx context.Context, host string) (Holder, error) {
	for {
		list, err := c.contenders(host)
		if errors.Is(err, zk.ErrNoNode) || (err == nil && len(list) == 0) {
			return Holder{}, fmt.Errorf("host %s is not locked", host)
		}
		if err != nil {
			return Holder{}, err
		}
		p := c.path(store.LocksNode) + "/" + list[0]
		h, err := c.readHolder(p)
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return Holder{}, err
		}
		ops, err := c.releaseOps(p, host, h, true)
		if err != nil {
			return Holder{}, err
		}
		_, err = c.conn.Multi(ops...)
		if errors.Is(err, zk.ErrNoNode) {
			// The holder left meanwhile, or the root has no lock log
			// (made by an older kook): delete without a record.
			err = c.conn.Delete(p, -1)
			if errors.Is(err, zk.ErrNoNode) {
				continue
			}
		}
		if err != nil {
			return Holder{}, c.zkErr("delete", p, err)
		}
		return h, nil
	}
}

// hostsOf decodes the names of a flat parent's children (contenders or
// plain), dropping what does not parse.
func hostsOf(kids []string, seq bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range kids {
		enc := k
		if seq {
			var ok bool
			if enc, _, ok = splitSeq(k); !ok {
				continue
			}
		}
		name, err := ParseNodeName(enc)
		if err != nil || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// sweep deletes the children of parent that match and that this session
// owns, but keep does not hold: what a create whose answer was lost may
// have left. It retries while the connection is down, up to Timeout, and
// fails after that: the caller must not go on as if nothing were left.
func (c *Client) sweep(parent string, match func(string) bool, keep map[string]bool) error {
	deadline := time.Now().Add(c.Timeout)
	for {
		err := c.sweepOnce(parent, match, keep)
		if err == nil || !transient(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *Client) sweepOnce(parent string, match func(string) bool, keep map[string]bool) error {
	sid := c.conn.SessionID()
	kids, _, err := c.conn.Children(parent)
	if err != nil {
		return err
	}
	for _, k := range kids {
		if !match(k) || keep[k] {
			continue
		}
		p := parent + "/" + k
		ok, st, err := c.conn.Exists(p)
		if err != nil {
			return err
		}
		if ok && st.EphemeralOwner == sid {
			if err := c.conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
				return err
			}
		}
	}
	return nil
}
