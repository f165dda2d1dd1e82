package coord

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook"
	"github.com/kook-project/kook/pkg/kook/store"
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
	// Reason says why, where the event alone does not: "expired" for a
	// maint_off whose record's until passed (the record stays until
	// kook maint off), "forced" for a lock_released by kook unlock --force.
	Reason string `json:"reason,omitempty"`
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
// reported twice. Beyond the difference of two reads:
//
//   - a lock taken and released between two reads is reported from the
//     lock log (locklog.go) that every release by a holder writes, taken
//     then released; only a lock whose holder's session expired before
//     the watcher ever read it held goes unreported;
//   - a maintenance whose until passes is reported (maint_off, reason
//     expired) when it passes, by a timer set to the earliest until shown.
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

// watchedParents are the state parents whose children the watcher
// watches: the three of the state, then the lock log.
var watchedParents = [...]string{stateParents[0], stateParents[1], stateParents[2], store.LockLogNode}

// watchRun is what one Run keeps between reads.
type watchRun struct {
	// chans[0] is the inventory's watch, then one per watched parent; nil
	// means not armed. Only a watch that fired is armed again, so none
	// piles up in go-zookeeper.
	chans  [1 + len(watchedParents)]<-chan zk.Event
	inv    *kook.Inventory
	invVer string
	st     *State
	// logAt is the number of the last lock log record read (-1: none;
	// the first is numbered 0).
	logAt int64
	// maint are the maintenance records in force as last reported.
	maint map[string]Maint
}

// Run reports changes to emit until ctx ends or emit fails.
func (w *Watcher) Run(ctx context.Context, emit func(Event) error) error {
	r := &watchRun{}
	backoff := 100 * time.Millisecond
	expiry := time.NewTimer(time.Hour)
	expiry.Stop()
	defer expiry.Stop()
	for {
		err := w.step(ctx, r, emit)
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
		for {
			// The timer runs until the earliest until of a maintenance
			// shown in force: no polling.
			expiry.Stop()
			if next, ok := earliestUntil(r.maint); ok {
				expiry.Reset(max(next.Sub(w.C.Now()), 0))
			}
			cases := r.chans
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-expiry.C:
				if err := w.expire(r, emit); err != nil {
					return err
				}
				continue
			case <-cases[0]:
				r.chans[0] = nil
			case <-cases[1]:
				r.chans[1] = nil
			case <-cases[2]:
				r.chans[2] = nil
			case <-cases[3]:
				r.chans[3] = nil
			case <-cases[4]:
				r.chans[4] = nil
			}
			break
		}
	}
}

type emitError struct{ error }

// step arms every watch that is not armed and reads again what it covers.
func (w *Watcher) step(ctx context.Context, r *watchRun, emit func(Event) error) error {
	send := func(events []Event) error {
		for _, e := range events {
			if err := emit(e); err != nil {
				return emitError{err}
			}
		}
		return nil
	}
	if r.chans[0] == nil {
		v, ch, err := w.WatchVersion(ctx)
		if err != nil {
			return err
		}
		if r.inv == nil || v != r.invVer {
			next, nv, err := w.Load(ctx)
			if err != nil {
				return err
			}
			if r.inv != nil {
				if err := send(inventoryEvents(r.inv, next, w.Group, nv)); err != nil {
					return err
				}
			}
			r.inv, r.invVer = next, nv
		}
		r.chans[0] = ch
	}
	rearm := r.st == nil
	for i := range watchedParents {
		rearm = rearm || r.chans[1+i] == nil
	}
	if !rearm {
		return nil
	}
	for i, n := range watchedParents {
		if r.chans[1+i] != nil {
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
		r.chans[1+i] = ch
	}
	if r.st == nil {
		// The lock log before the first state: a record made after it is
		// of a lock released after the watch began.
		_, at, err := w.C.readLockLog(ctx, -1)
		if err != nil {
			return err
		}
		r.logAt = at
	}
	next, err := w.C.ReadState(ctx)
	if err != nil {
		return err
	}
	now := w.C.Now()
	if r.st == nil {
		r.st, r.maint = next, inForce(next.Maint, now)
		return nil
	}
	// The log after the state: a record of a lock this state shows held
	// was released since, which the next read reports.
	recs, at, err := w.C.readLockLog(ctx, r.logAt)
	if err != nil {
		return err
	}
	keep := w.hostFilter(r.inv)
	events := lockEvents(r.st, next, recs, keep)
	var maint []Event
	maint, r.maint = maintEvents(r.maint, next, now, keep)
	events = append(events, maint...)
	events = append(events, aliveEvents(r.st, next, keep)...)
	r.st, r.logAt = next, at
	if err := send(events); err != nil {
		return err
	}
	for i := range watchedParents {
		if r.chans[1+i] == nil {
			// A parent created between ExistsW and now: look again soon.
			ch := make(chan zk.Event, 1)
			ch <- zk.Event{}
			r.chans[1+i] = ch
		}
	}
	return nil
}

// expire reports the maintenances whose until has passed since they were
// last reported in force.
func (w *Watcher) expire(r *watchRun, emit func(Event) error) error {
	if r.st == nil {
		return nil
	}
	var events []Event
	events, r.maint = maintEvents(r.maint, r.st, w.C.Now(), w.hostFilter(r.inv))
	for _, e := range events {
		if err := emit(e); err != nil {
			return emitError{err}
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

// lockEvents turns the difference between two states, and the lock log
// records read after the second, into lock_taken and lock_released
// events: host by host in name order, each host's in the order the locks
// were taken. A record of a lock either state shows held is reported by
// the states' difference; any other is of a lock taken and released
// between the two reads, reported as both.
func lockEvents(old, cur *State, recs []lockRecord, keep func(string) bool) []Event {
	now := time.Now().UTC()
	type lockEvent struct {
		seq   int64
		taken bool
		e     Event
	}
	byHost := map[string][]lockEvent{}
	add := func(kind, host string, h Holder, at time.Time, reason string) {
		if keep(host) {
			byHost[host] = append(byHost[host], lockEvent{h.Seq, kind == "lock_taken",
				Event{Event: kind, Host: host, Holder: &h, Reason: reason, Version: cur.Key, Time: at}})
		}
	}
	for _, h := range unionKeys(old.Locks, cur.Locks) {
		o, wasHeld := old.Locks[h]
		n, isHeld := cur.Locks[h]
		if wasHeld && (!isHeld || o != n) {
			add("lock_released", h, o, now, "")
		}
		if isHeld && (!wasHeld || o != n) {
			add("lock_taken", h, n, now, "")
		}
	}
	for _, r := range recs {
		if o, ok := old.Locks[r.Host]; ok && o.Seq == r.Seq {
			continue
		}
		if n, ok := cur.Locks[r.Host]; ok && n.Seq == r.Seq {
			continue
		}
		h := r.Holder
		h.Seq = r.Seq
		add("lock_taken", r.Host, h, h.Since, "")
		reason := ""
		if r.Forced {
			reason = "forced"
		}
		add("lock_released", r.Host, h, r.Released, reason)
	}
	var out []Event
	for _, host := range slices.Sorted(maps.Keys(byHost)) {
		evs := byHost[host]
		slices.SortStableFunc(evs, func(a, b lockEvent) int {
			if a.seq != b.seq {
				return cmp.Compare(a.seq, b.seq)
			}
			if a.taken != b.taken {
				if a.taken {
					return -1
				}
				return 1
			}
			return 0
		})
		for _, e := range evs {
			out = append(out, e.e)
		}
	}
	return out
}

// inForce returns the maintenance records in force at now.
func inForce(all map[string]Maint, now time.Time) map[string]Maint {
	out := map[string]Maint{}
	for h, m := range all {
		if m.ActiveAt(now) {
			out[h] = m
		}
	}
	return out
}

// earliestUntil returns the earliest until of the records.
func earliestUntil(recs map[string]Maint) (time.Time, bool) {
	var first time.Time
	for _, m := range recs {
		if m.Until != nil && (first.IsZero() || m.Until.Before(first)) {
			first = *m.Until
		}
	}
	return first, !first.IsZero()
}

// maintEvents compares the records in force as last reported (shown) with
// those of cur in force at now, host by host in name order: maint_on for
// a record that came into force or changed, maint_off for one that ended
// (reason "expired" when its until passed). It returns the events and the
// records now in force.
func maintEvents(shown map[string]Maint, cur *State, now time.Time, keep func(string) bool) ([]Event, map[string]Maint) {
	active := inForce(cur.Maint, now)
	var out []Event
	for _, h := range unionKeys(shown, active) {
		if !keep(h) {
			continue
		}
		o, was := shown[h]
		n, is := active[h]
		switch {
		case is && (!was || fmt.Sprint(o) != fmt.Sprint(n)):
			out = append(out, Event{Event: "maint_on", Host: h, Maintenance: &n, Version: cur.Key, Time: now.UTC()})
		case was && !is:
			e := Event{Event: "maint_off", Host: h, Maintenance: &o, Version: cur.Key, Time: now.UTC()}
			if r, ok := cur.Maint[h]; ok && !r.ActiveAt(now) {
				e.Reason = "expired"
				e.Maintenance = &r
			}
			out = append(out, e)
		}
	}
	return out, active
}

// aliveEvents reports hosts that became alive or went away, in name order.
func aliveEvents(old, cur *State, keep func(string) bool) []Event {
	now := time.Now().UTC()
	var out []Event
	for _, h := range unionKeys(old.Alive, cur.Alive) {
		if !keep(h) {
			continue
		}
		switch {
		case cur.Alive[h] && !old.Alive[h]:
			out = append(out, Event{Event: "alive", Host: h, Version: cur.Key, Time: now})
		case old.Alive[h] && !cur.Alive[h]:
			out = append(out, Event{Event: "gone", Host: h, Version: cur.Key, Time: now})
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
