package coord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
)

// Names under which the state shows in the inventory Ansible reads. They
// are reserved: kook.IsReservedName.
const (
	GroupLocked      = "kook_locked"
	GroupMaintenance = "kook_maintenance"
	GroupAlive       = "kook_alive"
	VarLock          = "kook_lock"
	VarMaintenance   = "kook_maintenance"
)

// State is one read of the coordination state.
type State struct {
	// Used is true once any coordination node was ever created under the
	// root: the groups are then always shown, empty or not.
	Used bool
	// Key changes whenever anything in the state changes (the pzxids of
	// the three parents); empty when !Used.
	Key   string
	Locks map[string]Holder
	Maint map[string]Maint // every record, in force or not (Maint.ActiveAt)
	Alive map[string]bool
}

// stateParents are the parents whose pzxids make the state's key.
var stateParents = [...]string{store.LocksNode, store.MaintNode, store.AliveNode}

// stateKey is the key of three parents' stats; "" when none exists.
func stateKey(stats [3]*zk.Stat) string {
	if stats[0] == nil && stats[1] == nil && stats[2] == nil {
		return ""
	}
	parts := make([]string, 3)
	for i, st := range stats {
		parts[i] = "-"
		if st != nil {
			parts[i] = fmt.Sprintf("%x", st.Pzxid)
		}
	}
	return strings.Join(parts, ".")
}

// StateKey returns what State.Key would be now, in one round trip (three
// exists requests pipelined): a reader holding an answer made at this key
// knows nothing changed since, including a lock or liveness node deleted
// because its session expired, since that moves its parent's pzxid too.
func (c *Client) StateKey(ctx context.Context) (string, error) {
	var stats [3]*zk.Stat
	err := c.eachParent(func(i int, p string) error {
		ok, st, err := c.conn.Exists(p)
		if ok {
			stats[i] = st // go-zookeeper gives a zero Stat for a missing node
		}
		if err != nil {
			return c.zkErr("read", p, err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return stateKey(stats), nil
}

// eachParent calls f on each state parent at once (so the requests are
// pipelined) and joins their errors.
func (c *Client) eachParent(f func(i int, p string) error) error {
	var errs [len(stateParents)]error
	var wg sync.WaitGroup
	for i, n := range stateParents {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = f(i, c.path(n)) }()
	}
	wg.Wait()
	return errors.Join(errs[:]...)
}

// ReadState reads the whole state: the three parents' children, then the
// data of each lock holder and maintenance record, all pipelined. The key
// comes from the same reads as the children, so it never claims a newer
// state than the one returned.
func (c *Client) ReadState(ctx context.Context) (*State, error) {
	var kids [3][]string
	var stats [3]*zk.Stat
	err := c.eachParent(func(i int, p string) error {
		k, st, err := c.conn.Children(p)
		switch {
		case errors.Is(err, zk.ErrNoNode):
			return nil
		case err != nil:
			return c.zkErr("list", p, err)
		}
		kids[i], stats[i] = k, st
		return nil
	})
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	s := &State{Key: stateKey(stats), Locks: map[string]Holder{}, Maint: map[string]Maint{}, Alive: map[string]bool{}}
	s.Used = s.Key != ""
	for _, h := range hostsOf(kids[2], true) {
		s.Alive[h] = true
	}
	first, _ := lowestPerName(kids[0])
	type item struct {
		host, path string
		lock       bool
	}
	var items []item
	for enc, node := range first {
		if host, err := ParseNodeName(enc); err == nil {
			items = append(items, item{host, c.path(store.LocksNode) + "/" + node, true})
		}
	}
	for _, k := range kids[1] {
		if host, err := ParseNodeName(k); err == nil {
			items = append(items, item{host, c.path(store.MaintNode) + "/" + k, false})
		}
	}
	var mu sync.Mutex
	var getErr error
	sem := make(chan struct{}, 256)
	for _, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			data, _, err := c.conn.Get(it.path)
			<-sem
			mu.Lock()
			defer mu.Unlock()
			if errors.Is(err, zk.ErrNoNode) {
				// Gone meanwhile: its parent's pzxid moved, so the
				// next reader reads again.
				return
			}
			if err != nil {
				getErr = c.zkErr("read", it.path, err)
				return
			}
			if it.lock {
				var h Holder
				if json.Unmarshal(data, &h) == nil {
					_, h.Seq, _ = splitSeq(path.Base(it.path))
					s.Locks[it.host] = h
				}
			} else {
				var m Maint
				if json.Unmarshal(data, &m) == nil {
					s.Maint[it.host] = m
				}
			}
		}()
	}
	wg.Wait()
	if getErr != nil {
		return nil, getErr
	}
	return s, nil
}

// Show adds the state to an inventory as Ansible is to see it: the groups
// kook_locked, kook_maintenance and kook_alive (hosts sorted by name) and
// the host vars kook_lock {owner, reason, since} and kook_maintenance
// {owner, reason, since, until}, for hosts the inventory holds. A state
// never used adds nothing. It returns the earliest time a maintenance
// record shown ends (zero when none does): an answer made now is wrong
// from then on.
func (s *State) Show(enc *kook.Encoded, now time.Time) (expires time.Time, err error) {
	if !s.Used {
		return time.Time{}, nil
	}
	index := make(map[string]int, len(enc.Hosts))
	for i, h := range enc.Hosts {
		index[h.Name] = i
	}
	extra := map[int]map[string]any{}
	add := func(i int, k string, v any) {
		if extra[i] == nil {
			extra[i] = map[string]any{}
		}
		extra[i][k] = v
	}
	var locked, maint, alive []string
	for h, hd := range s.Locks {
		if i, ok := index[h]; ok {
			locked = append(locked, h)
			add(i, VarLock, lockVar(hd))
		}
	}
	for h, m := range s.Maint {
		i, ok := index[h]
		if !ok || !m.ActiveAt(now) {
			continue
		}
		maint = append(maint, h)
		if m.Until != nil && (expires.IsZero() || m.Until.Before(expires)) {
			expires = *m.Until
		}
		add(i, VarMaintenance, maintVar(m))
	}
	for h := range s.Alive {
		if _, ok := index[h]; ok {
			alive = append(alive, h)
		}
	}
	for i, vars := range extra {
		v, err := kook.DecodeJSON(enc.Hosts[i].Vars)
		if err != nil {
			return time.Time{}, fmt.Errorf("host %s: vars: %w", enc.Hosts[i].Name, err)
		}
		m, _ := v.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		for k, x := range vars {
			m[k] = x
		}
		if enc.Hosts[i].Vars, err = kook.AppendVars(nil, m); err != nil {
			return time.Time{}, fmt.Errorf("host %s: vars: %w", enc.Hosts[i].Name, err)
		}
	}
	for name, hosts := range map[string][]string{GroupLocked: locked, GroupMaintenance: maint, GroupAlive: alive} {
		slices.Sort(hosts)
		g := kook.EncodedGroup{Name: name, Vars: []byte("{}"), Hosts: hosts}
		i, found := slices.BinarySearchFunc(enc.Groups, name, func(g kook.EncodedGroup, n string) int { return strings.Compare(g.Name, n) })
		if found {
			enc.Groups[i] = g
		} else {
			enc.Groups = slices.Insert(enc.Groups, i, g)
		}
	}
	return expires, nil
}

// HostVars returns the state vars of one host exactly as Show puts them
// in its vars: kook_lock while it is locked, kook_maintenance while it is
// in maintenance at now; none otherwise. A script's --host answer adds
// them so that it agrees with --list's _meta.hostvars.
func (s *State) HostVars(host string, now time.Time) map[string]any {
	vars := map[string]any{}
	if hd, ok := s.Locks[host]; ok {
		vars[VarLock] = lockVar(hd)
	}
	if m, ok := s.Maint[host]; ok && m.ActiveAt(now) {
		vars[VarMaintenance] = maintVar(m)
	}
	return vars
}

// lockVar is the value of kook_lock for a lock's holder.
func lockVar(hd Holder) map[string]any {
	return map[string]any{"owner": hd.Owner, "reason": hd.Reason, "since": stamp(hd.Since)}
}

// maintVar is the value of kook_maintenance for a record in force.
func maintVar(m Maint) map[string]any {
	var until any
	if m.Until != nil {
		until = stamp(*m.Until)
	}
	return map[string]any{"owner": m.Owner, "reason": m.Reason, "since": stamp(m.Since), "until": until}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
