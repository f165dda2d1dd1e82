package coord

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook"
)

// Event is one change as kook watch reports it.
type Event struct {
	// Event says what happened: host_added, host_removed, host_moved,
	// var_changed, group_added, group_removed, group_changed,
	// lock_taken, lock_released, maint_on, maint_off, alive, gone.
	Event string `json:"event"`
	Host  string `json:"host,omitempty"`
	Group string `json:"group,omitempty"`
	// Var, Old and New for var_changed (Old absent: added; New absent:
	// removed; Host or Group says whose).
	Var string `json:"var,omitempty"`
	Old any    `json:"old,omitempty"`
	New any    `json:"new,omitempty"`
	// Joined is true when host_moved put Host in Group, false when it
	// took it out.
	Joined *bool `json:"joined,omitempty"`
	// Change is the change as kook-import --dry-run words it.
	Change      string  `json:"change,omitempty"`
	Holder      *Holder `json:"holder,omitempty"`
	Maintenance *Maint  `json:"maintenance,omitempty"`
	// Version is the inventory's version (for inventory changes) or the
	// coordination state's key (for the rest) the change was seen at.
	Version string    `json:"version"`
	Time    time.Time `json:"time"`
}

// Watcher follows an inventory and its coordination state with ZooKeeper
// watches and reports every change once. It keeps the last state it read
// and, when a watch fires, reads again and reports the difference: what
// changed while the connection was down (or the session was replaced,
// which loses every watch) is reported when it comes back, and nothing is
// reported twice.
type Watcher struct {
	C *Client
	// WatchVersion returns the inventory's version and a one-shot watch
	// that fires when it may have changed.
	WatchVersion func(ctx context.Context) (string, <-chan zk.Event, error)
	// Load reads the inventory and its version.
	Load func(ctx context.Context) (*kook.Inventory, string, error)
	// Group, when set, limits the events to that group, the groups below
	// it and their hosts.
	Group string
	// Retry is called with each error of ZooKeeper, which the watcher
	// retries until ctx ends.
	Retry func(error)
}

// Run reports changes to emit until ctx ends or emit fails.
func (w *Watcher) Run(ctx context.Context, emit func(Event) error) error {
	var inv *kook.Inventory
	invVer := ""
	var st *State
	// chans[0] is the inventory's watch, then one per state parent; nil
	// means not armed. Only a watch that fired is armed again, so none
	// piles up in go-zookeeper.
	var chans [1 + len(stateParents)]<-chan zk.Event
	backoff := 100 * time.Millisecond
	for {
		err := w.step(ctx, &chans, &inv, &invVer, &st, emit)
		if err == nil {
			backoff = 100 * time.Millisecond
		} else {
			var ee emitError
			if errors.As(err, &ee) || ctx.Err() != nil {
				return err
			}
			if w.Retry != nil {
				w.Retry(err)
			}
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		cases := chans
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-cases[0]:
			chans[0] = nil
		case <-cases[1]:
			chans[1] = nil
		case <-cases[2]:
			chans[2] = nil
		case <-cases[3]:
			chans[3] = nil
		}
	}
}

type emitError struct{ error }

// step arms every watch that is not armed and reads again what it covers.
func (w *Watcher) step(ctx context.Context, chans *[4]<-chan zk.Event, inv **kook.Inventory, invVer *string, st **State, emit func(Event) error) error {
	if chans[0] == nil {
		v, ch, err := w.WatchVersion(ctx)
		if err != nil {
			return err
		}
		if *inv == nil || v != *invVer {
			next, nv, err := w.Load(ctx)
			if err != nil {
				return err
			}
			if *inv != nil {
				for _, e := range inventoryEvents(*inv, next, w.Group, nv) {
					if err := emit(e); err != nil {
						return emitError{err}
					}
				}
			}
			*inv, *invVer = next, nv
		}
		chans[0] = ch
	}
	rearm := *st == nil
	for i := range stateParents {
		rearm = rearm || chans[1+i] == nil
	}
	if !rearm {
		return nil
	}
	for i, n := range stateParents {
		if chans[1+i] != nil {
			continue
		}
		p := w.C.path(n)
		_, _, ch, err := w.C.conn.ChildrenW(p)
		if errors.Is(err, zk.ErrNoNode) {
			var ok bool
			ok, _, ch, err = w.C.conn.ExistsW(p)
			if err == nil && ok {
				continue // created in between: arm it as a parent next time
			}
		}
		if err != nil {
			return w.C.zkErr("watch", p, err)
		}
		chans[1+i] = ch
	}
	next, err := w.C.ReadState(ctx)
	if err != nil {
		return err
	}
	if *st != nil {
		for _, e := range stateEvents(*st, next, w.hostFilter(*inv)) {
			if err := emit(e); err != nil {
				return emitError{err}
			}
		}
	}
	*st = next
	for i := range stateParents {
		if chans[1+i] == nil {
			// A parent created between ExistsW and now: look again soon.
			ch := make(chan zk.Event, 1)
			ch <- zk.Event{}
			chans[1+i] = ch
		}
	}
	return nil
}

// hostFilter returns whether a host's state changes are reported.
func (w *Watcher) hostFilter(inv *kook.Inventory) func(string) bool {
	if w.Group == "" || inv == nil {
		return func(string) bool { return true }
	}
	hosts, _ := inv.HostsUnder(w.Group)
	set := map[string]bool{}
	for _, h := range hosts {
		set[h] = true
	}
	return func(h string) bool { return set[h] }
}

// groupsUnder returns group and every group below it.
func groupsUnder(inv *kook.Inventory, group string) map[string]bool {
	out := map[string]bool{}
	var walk func(string)
	walk = func(g string) {
		if out[g] || inv.Groups[g] == nil {
			return
		}
		out[g] = true
		for _, c := range inv.Groups[g].Children {
			walk(c)
		}
	}
	walk(group)
	return out
}

// inventoryEvents turns the difference between two inventories into events.
func inventoryEvents(old, cur *kook.Inventory, group, version string) []Event {
	keepHost := func(string) bool { return true }
	keepGroup := func(string) bool { return true }
	if group != "" {
		hosts := map[string]bool{}
		groups := map[string]bool{}
		for _, inv := range []*kook.Inventory{old, cur} {
			hs, _ := inv.HostsUnder(group)
			for _, h := range hs {
				hosts[h] = true
			}
			for g := range groupsUnder(inv, group) {
				groups[g] = true
			}
		}
		keepHost = func(h string) bool { return hosts[h] }
		keepGroup = func(g string) bool { return groups[g] }
	}
	now := time.Now().UTC()
	var out []Event
	for _, c := range kook.Diff(old, cur) {
		e := Event{Change: c.String(), Version: version, Time: now}
		switch {
		case c.Kind == kook.KindHost && c.Detail == "":
			e.Host = c.Name
			e.Event = map[kook.Op]string{kook.Added: "host_added", kook.Removed: "host_removed"}[c.Op]
		case c.Detail == kook.DetailVar:
			e.Event, e.Var, e.Old, e.New = "var_changed", c.Var, c.Old, c.New
			if c.Kind == kook.KindHost {
				e.Host = c.Name
			} else {
				e.Group = c.Name
			}
		case c.Kind == kook.KindGroup && c.Detail == kook.DetailMember:
			joined := c.Op == kook.Added
			e.Event, e.Host, e.Group, e.Joined = "host_moved", c.Member, c.Name, &joined
		case c.Kind == kook.KindGroup && c.Detail == "":
			e.Group = c.Name
			e.Event = map[kook.Op]string{kook.Added: "group_added", kook.Removed: "group_removed"}[c.Op]
		default:
			e.Event = "group_changed"
			e.Group = c.Name
			if c.Kind == kook.KindHost {
				e.Group, e.Host = "", c.Name
			}
		}
		if e.Event == "" {
			e.Event = "changed"
		}
		if (e.Host != "" && !keepHost(e.Host)) || (e.Host == "" && e.Group != "" && !keepGroup(e.Group)) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// stateEvents turns the difference between two states into events, host
// by host in name order.
func stateEvents(old, cur *State, keep func(string) bool) []Event {
	now := time.Now().UTC()
	var out []Event
	add := func(kind, host string, h *Holder, m *Maint) {
		if keep(host) {
			out = append(out, Event{Event: kind, Host: host, Holder: h, Maintenance: m, Version: cur.Key, Time: now})
		}
	}
	for _, h := range unionKeys(old.Locks, cur.Locks) {
		o, wasHeld := old.Locks[h]
		n, isHeld := cur.Locks[h]
		if wasHeld && (!isHeld || o != n) {
			add("lock_released", h, &o, nil)
		}
		if isHeld && (!wasHeld || o != n) {
			add("lock_taken", h, &n, nil)
		}
	}
	for _, h := range unionKeys(old.Maint, cur.Maint) {
		o, was := old.Maint[h]
		n, is := cur.Maint[h]
		switch {
		case is && (!was || fmt.Sprint(o) != fmt.Sprint(n)):
			add("maint_on", h, nil, &n)
		case was && !is:
			add("maint_off", h, nil, &o)
		}
	}
	for _, h := range unionKeys(old.Alive, cur.Alive) {
		switch {
		case cur.Alive[h] && !old.Alive[h]:
			add("alive", h, nil, nil)
		case old.Alive[h] && !cur.Alive[h]:
			add("gone", h, nil, nil)
		}
	}
	return out
}

// unionKeys returns the keys of a and b, sorted, each once.
func unionKeys[V any](a, b map[string]V) []string {
	keys := slices.AppendSeq(slices.Collect(maps.Keys(a)), maps.Keys(b))
	slices.Sort(keys)
	return slices.Compact(keys)
}
