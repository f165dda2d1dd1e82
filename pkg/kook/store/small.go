package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/pkg/kook"
)

// The small writes below each read meta and only the buckets they need,
// and commit ONE multi that sets those buckets and meta at the versions
// read; on a conflict they start again on fresh data. New members get
// their position from meta's sequence, so no write needs to read every
// host. Their results are those of the same edit made with kook's graph
// methods on the whole inventory followed by Reconcile: that is how the
// rare cases run (an empty root, a bucket that would grow past its
// limit, edits of "all" and "ungrouped" links).

// SetHostVar sets one var of an existing host (ErrNotFound otherwise).
func (s *Store) SetHostVar(ctx context.Context, host, key string, value any) error {
	v, err := kook.NormalizeValue(value)
	if err != nil {
		return fmt.Errorf("host %s: var %q: %w", quoteName(host), key, err)
	}
	return s.editVars(ctx, fmt.Sprintf("set var %s of host %s", key, host), kook.KindHost, host, setVar(key, v))
}

// UnsetHostVar removes one var of an existing host; a var it does not
// have is not an error.
func (s *Store) UnsetHostVar(ctx context.Context, host, key string) error {
	return s.editVars(ctx, fmt.Sprintf("unset var %s of host %s", key, host), kook.KindHost, host, unsetVar(key))
}

// SetGroupVar sets one var of an existing group (ErrNotFound otherwise).
func (s *Store) SetGroupVar(ctx context.Context, group, key string, value any) error {
	v, err := kook.NormalizeValue(value)
	if err != nil {
		return fmt.Errorf("group %s: var %q: %w", quoteName(group), key, err)
	}
	return s.editVars(ctx, fmt.Sprintf("set var %s of group %s", key, group), kook.KindGroup, group, setVar(key, v))
}

// UnsetGroupVar removes one var of an existing group.
func (s *Store) UnsetGroupVar(ctx context.Context, group, key string) error {
	return s.editVars(ctx, fmt.Sprintf("unset var %s of group %s", key, group), kook.KindGroup, group, unsetVar(key))
}

// editVars applies edit to the vars of one existing host or group (kind is
// kook.KindHost or kook.KindGroup), in one transaction on its bucket, or on
// the whole inventory in the rare cases. edit reports whether it changed
// anything, so that a write that changes nothing writes nothing.
func (s *Store) editVars(ctx context.Context, what, kind, name string, edit func(kook.Vars) bool) error {
	return s.small(ctx, what,
		func(t *txn) error {
			if kind == kook.KindHost {
				e, err := t.host(name)
				if err != nil || e == nil {
					return notFound(err, kind, name)
				}
				if !edit(e.vars) {
					return nil
				}
				return t.putHost(e)
			}
			e, err := t.group(name)
			if err != nil || e == nil {
				return notFound(err, kind, name)
			}
			if !edit(e.vars) {
				return nil
			}
			return t.putGroup(e)
		},
		func(inv *kook.Inventory) error {
			var vars kook.Vars
			if h := inv.Hosts[name]; kind == kook.KindHost && h != nil {
				vars = h.Vars
			} else if g := inv.Groups[name]; kind == kook.KindGroup && g != nil {
				vars = g.Vars
			} else {
				return notFound(nil, kind, name)
			}
			edit(vars)
			return nil
		})
}

// setVar is the edit that sets key to v.
func setVar(key string, v any) func(kook.Vars) bool {
	return func(vars kook.Vars) bool {
		if old, ok := vars[key]; ok && kook.EqualValues(old, v) {
			return false
		}
		vars[key] = kook.CopyValue(v)
		return true
	}
}

// unsetVar is the edit that removes key.
func unsetVar(key string) func(kook.Vars) bool {
	return func(vars kook.Vars) bool {
		if _, ok := vars[key]; !ok {
			return false
		}
		delete(vars, key)
		return true
	}
}

// AddHost registers a host: a new host goes into "ungrouped" with vars;
// an existing one keeps its groups and gets vars set over its own.
func (s *Store) AddHost(ctx context.Context, name string, vars kook.Vars) error {
	nv, err := kook.NormalizeValue(map[string]any(vars))
	if err != nil {
		// AppendVars names the var NormalizeValue does not.
		if _, verr := kook.AppendVars(nil, vars); verr != nil {
			err = verr
		}
		return fmt.Errorf("host %s: %w", quoteName(name), err)
	}
	vars = kook.Vars(nv.(map[string]any))
	return s.small(ctx, "add host "+name,
		func(t *txn) error {
			e, err := t.host(name)
			if err != nil {
				return err
			}
			if e == nil {
				e = &hostEntry{name: name, vars: kook.CopyVars(vars), groups: []membership{{kook.Ungrouped, t.nextPos()}}}
				return t.putHost(e)
			}
			changed := false
			for k, v := range vars {
				if old, ok := e.vars[k]; !ok || !kook.EqualValues(old, v) {
					e.vars[k] = kook.CopyValue(v)
					changed = true
				}
			}
			if !changed {
				return nil
			}
			return t.putHost(e)
		},
		func(inv *kook.Inventory) error {
			h := inv.AddHost(name)
			for k, v := range vars {
				h.Vars[k] = kook.CopyValue(v)
			}
			return nil
		})
}

// RemoveHost deletes a host and its memberships; an absent host is not an
// error.
func (s *Store) RemoveHost(ctx context.Context, name string) error {
	return s.small(ctx, "remove host "+name,
		func(t *txn) error {
			e, err := t.host(name)
			if err != nil || e == nil {
				return err
			}
			return t.delHost(name)
		},
		func(inv *kook.Inventory) error { inv.RemoveHost(name); return nil })
}

// AddMember puts host into group at the end of its host list, creating
// the host and the group (as a child of "all") if needed; a host that
// was in "ungrouped" leaves it, as Ansible's reconciliation does.
func (s *Store) AddMember(ctx context.Context, group, host string) error {
	full := func(inv *kook.Inventory) error { inv.AddMember(group, host); return nil }
	if group == kook.All || group == kook.Ungrouped {
		return s.smallFull(ctx, "add "+host+" to group "+group, full)
	}
	return s.small(ctx, "add "+host+" to group "+group,
		func(t *txn) error {
			e, err := t.host(host)
			if err != nil {
				return err
			}
			if e == nil {
				e = &hostEntry{name: host, vars: kook.Vars{}}
			}
			for _, m := range e.groups {
				if m.group == group {
					return nil
				}
			}
			if err := t.join(e, group); err != nil {
				return err
			}
			e.groups = reconcileHost(e.groups, t)
			return t.putHost(e)
		}, full)
}

// RemoveMember takes host out of group; a host left in no group goes to
// "ungrouped". A membership that does not exist is not an error.
func (s *Store) RemoveMember(ctx context.Context, group, host string) error {
	full := func(inv *kook.Inventory) error { inv.RemoveMember(group, host); return nil }
	if group == kook.All || group == kook.Ungrouped {
		return s.smallFull(ctx, "remove "+host+" from group "+group, full)
	}
	return s.small(ctx, "remove "+host+" from group "+group,
		func(t *txn) error {
			e, err := t.host(host)
			if err != nil || e == nil {
				return err
			}
			kept := e.groups[:0]
			for _, m := range e.groups {
				if m.group != group {
					kept = append(kept, m)
				}
			}
			if len(kept) == len(e.groups) {
				return nil
			}
			e.groups = reconcileHost(kept, t)
			return t.putHost(e)
		}, full)
}

// AddChild links child under parent, creating either group if needed
// (a new parent becomes a child of "all"); a link that would make a cycle
// is refused with Ansible's message.
func (s *Store) AddChild(ctx context.Context, parent, child string) error {
	full := func(inv *kook.Inventory) error { return inv.AddChild(parent, child) }
	if parent == kook.All || parent == kook.Ungrouped || child == kook.All || child == kook.Ungrouped || parent == child {
		return s.smallFull(ctx, "link group "+child+" under "+parent, full)
	}
	return s.small(ctx, "link group "+child+" under "+parent,
		func(t *txn) error {
			groups, err := t.allGroups()
			if err != nil {
				return err
			}
			p, c := groups[parent], groups[child]
			if p != nil && c != nil {
				for _, x := range p.children {
					if x == child {
						return nil
					}
				}
				if err := kook.CheckLink(parent, child, func(g string) []string {
					if e := groups[g]; e != nil {
						return e.children
					}
					return nil
				}); err != nil {
					return err
				}
			}
			if p == nil {
				p = &groupEntry{name: parent, vars: kook.Vars{}}
				if err := t.linkUnderAll(parent); err != nil {
					return err
				}
			}
			if c == nil {
				if err := t.putGroup(&groupEntry{name: child, vars: kook.Vars{}}); err != nil {
					return err
				}
			}
			p.children = append(p.children, child)
			return t.putGroup(p)
		}, full)
}

// RemoveChild unlinks child from parent; a child left without a parent
// goes under "all", as Ansible's reconciliation does. A link that does not
// exist is not an error.
func (s *Store) RemoveChild(ctx context.Context, parent, child string) error {
	full := func(inv *kook.Inventory) error { inv.RemoveChild(parent, child); return nil }
	if parent == kook.All || child == kook.Ungrouped {
		return s.smallFull(ctx, "unlink group "+child+" from "+parent, full)
	}
	return s.small(ctx, "unlink group "+child+" from "+parent,
		func(t *txn) error {
			groups, err := t.allGroups()
			if err != nil {
				return err
			}
			p := groups[parent]
			if p == nil {
				return nil
			}
			kept := make([]string, 0, len(p.children))
			for _, x := range p.children {
				if x != child {
					kept = append(kept, x)
				}
			}
			if len(kept) == len(p.children) {
				return nil
			}
			p.children = kept
			if err := t.putGroup(p); err != nil {
				return err
			}
			parents := 0
			for _, g := range groups {
				if slices.Contains(g.children, child) {
					parents++
				}
			}
			if !kook.NeedsParent(child, parents) {
				return nil
			}
			return t.linkUnderAll(child)
		}, full)
}

// join makes host e a member of group at the end of its hosts, creating
// the group under "all" when it does not exist. The caller puts e.
func (t *txn) join(e *hostEntry, group string) error {
	g, err := t.group(group)
	if err != nil {
		return err
	}
	if g == nil {
		if err := t.putGroup(&groupEntry{name: group, vars: kook.Vars{}}); err != nil {
			return err
		}
		if err := t.linkUnderAll(group); err != nil {
			return err
		}
	}
	e.groups = append(e.groups, membership{group, t.nextPos()})
	return nil
}

// reconcileHost applies Reconcile's "ungrouped" rule (kook.UngroupedRule)
// to one host's memberships: it leaves "ungrouped" once in another group
// and joins it, at a fresh position, when in none.
func reconcileHost(groups []membership, t *txn) []membership {
	inUngrouped, inOther := false, false
	for _, m := range groups {
		switch m.group {
		case kook.Ungrouped:
			inUngrouped = true
		case kook.All:
		default:
			inOther = true
		}
	}
	leave, join := kook.UngroupedRule(inUngrouped, inOther)
	if leave {
		return slices.DeleteFunc(groups, func(m membership) bool { return m.group == kook.Ungrouped })
	}
	if join {
		return append(groups, membership{kook.Ungrouped, t.nextPos()})
	}
	return groups
}

func notFound(err error, kind, name string) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("no %s %q in the inventory: %w", kind, name, ErrNotFound)
}

// errFull makes a small write fall back to a whole-inventory Update.
var errFull = errors.New("needs a full write")

// small runs a small write: partial on the buckets it needs, or full on
// the whole inventory when partial cannot do it in place.
func (s *Store) small(ctx context.Context, what string, partial func(*txn) error, full func(*kook.Inventory) error) error {
	var err error
	for attempt := 0; attempt < maxSmallAttempts; attempt++ {
		if attempt > 0 {
			s.retries.Add(1)
			if err := sleep(ctx, attempt); err != nil {
				return err
			}
		}
		err = s.smallOnce(ctx, what, partial)
		if errors.Is(err, errFull) {
			return s.smallFull(ctx, what, full)
		}
		if err == nil || !errors.Is(err, ErrConflict) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (s *Store) smallFull(ctx context.Context, what string, full func(*kook.Inventory) error) error {
	if _, err := s.Update(ctx, full, WriteOptions{}); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func (s *Store) smallOnce(ctx context.Context, what string, partial func(*txn) error) error {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	h, err := s.writableHead(ctx)
	if err != nil {
		return err
	}
	t := &txn{s: s, ctx: ctx, head: h, root: s.cfg.Root,
		buckets: map[string]*tbucket{}, change: &change{what: what}}
	kidsDone := make(chan struct{})
	var kids []string
	go func() { defer close(kidsDone); kids, _ = s.children(ctx, s.cfg.Root) }()
	err = partial(t)
	<-kidsDone
	if err == nil {
		err = t.posErr
	}
	if err != nil {
		return err
	}
	// Buckets set at the version read, buckets only read checked at it:
	// the write conflicts with exactly the writes that changed what it
	// read. meta is checked, not set, so that a generation switch
	// (which sets it) fences this write.
	var sets, checks []any
	size := 0
	for _, p := range t.order {
		b := t.buckets[p]
		var data []byte
		if b.dirty {
			data = appendBucket(nil, b.recs)
		}
		if data == nil || string(data) == string(b.orig) {
			checks = append(checks, &zk.CheckVersionRequest{Path: p, Version: b.ver})
			size += len(p) + 32
			continue
		}
		if len(data) > growBucket() && len(b.recs) > 1 {
			return errFull // let a full write spread the buckets again
		}
		if len(data) > maxBucket {
			return fmt.Errorf("bucket %s would take %d KiB, more than ZooKeeper can hold in one node", p, len(data)>>10)
		}
		sets = append(sets, &zk.SetDataRequest{Path: p, Data: data, Version: b.ver})
		size += len(data) + len(p) + 32
		kind := kook.KindGroup
		if isHostBucket(p) {
			kind = kook.KindHost
		}
		if err := bucketChanges(t.change, kind, [][]byte{b.orig}, [][]byte{data}); err != nil {
			return err
		}
	}
	if len(sets) == 0 {
		if len(t.extra) == 0 {
			return nil
		}
		// Nothing to change but the extra ops (registrations already
		// applied): no version, no log entry.
		if _, err := s.multi(ctx, t.extra); err != nil {
			if errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrBadVersion) {
				return fmt.Errorf("%v: %w", err, ErrConflict)
			}
			return s.zkError("write", s.cfg.Root, err)
		}
		return nil
	}
	writer := newWriterID()
	if size+maxLogEntry > s.maxMulti() {
		// Too many changed buckets for one multi: written copy-on-write
		// and switched in by setting meta, which keeps the base of the
		// positions (this write has not seen them all).
		m := h.meta
		m.Schema, m.Writer, m.SeqZxid = Schema, writer, h.seqBase()
		v, m, err := s.writeOverlay(ctx, h, m, sets, append(checks, t.extra...), t.change, nil)
		if err != nil {
			return err
		}
		s.collect(ctx, v.Zxid, m, kids)
		return nil
	}
	ops := append(sets, checks...)
	ops = append(ops, t.extra...)
	ops = append(ops, &zk.CheckVersionRequest{Path: s.metaP, Version: h.stat.Version})
	v, err := s.commit(ctx, append(ops, s.logOps(writer, t.change)...), meta{Current: h.meta.Current, Writer: writer})
	if err != nil {
		return err
	}
	s.collect(ctx, v.Zxid, h.meta, kids)
	return nil
}

// txn is the state of one small write: the head and the buckets it read.
type txn struct {
	s       *Store
	ctx     context.Context
	head    head
	root    string
	buckets map[string]*tbucket
	order   []string
	change  *change
	pos     int64 // the next position nextPos hands out; 0 until asked
	posErr  error // set by nextPos when it cannot hand one out
	extra   []any // more ops for the commit's multi (deleting applied registrations)
}

type tbucket struct {
	recs  []record // sorted by name
	orig  []byte
	ver   int32
	dirty bool
}

// nextPos hands out a membership position above every position in the
// inventory, without reading every host and without setting meta (which
// would make every registration conflict with every other).
//
// Positions are meta.Seq (above every position when meta was last set)
// plus the distance in zxids from that meta to the version this write
// read, shifted past a random low part. A write that starts after this
// one committed reads a version at least this commit's zxid, so its
// positions are larger; writes that overlap get positions in either order,
// as concurrent writes may. A write that sets meta raises meta.Seq above
// every position it saw. When the distance no longer fits, the write
// becomes a full write, which renumbers (t.posErr).
func (t *txn) nextPos() int64 {
	if t.pos == 0 {
		h := t.head
		d := h.zxid() - h.seqBase()
		if d < 0 || d >= 1<<44 || h.meta.Seq >= 1<<61 {
			t.posErr = errFull
			return 0
		}
		t.pos = h.meta.Seq + d<<posShift + rand.Int64N(1<<(posShift-1))
	}
	p := t.pos
	t.pos++
	return p
}

// posShift leaves room below each zxid step for the random low part of
// nextPos's positions (and for the few positions one write hands out).
const posShift = 16

// load reads the buckets at paths it has not read yet, pipelined.
func (t *txn) load(paths ...string) error {
	var need []string
	for _, p := range paths {
		if t.buckets[p] == nil {
			need = append(need, p)
		}
	}
	if len(need) == 0 {
		return nil
	}
	data, stats, err := t.s.getMany(t.ctx, need, nil)
	if err != nil {
		return err
	}
	for i, p := range need {
		if stats[i] == nil {
			// The generation was replaced under us: start again.
			return fmt.Errorf("bucket %s vanished: %w", p, ErrConflict)
		}
		recs, err := splitBucket(data[i])
		if err != nil {
			return fmt.Errorf("ZooKeeper node %s is corrupt: %v", p, err)
		}
		t.buckets[p] = &tbucket{recs: recs, orig: data[i], ver: stats[i].Version}
		t.order = append(t.order, p)
	}
	return nil
}

func (t *txn) hostPath(name string) string {
	return t.head.meta.hostBucket(t.root, bucketOf(name, t.head.meta.HostBuckets))
}

func (t *txn) groupPath(name string) string {
	return t.head.meta.groupBucket(t.root, bucketOf(name, t.head.meta.GroupBuckets))
}

func (b *tbucket) find(name string) (int, bool) {
	i := sort.Search(len(b.recs), func(i int) bool { return b.recs[i].name >= name })
	return i, i < len(b.recs) && b.recs[i].name == name
}

func (b *tbucket) put(name string, json []byte) {
	i, ok := b.find(name)
	if ok {
		b.recs[i].json = json
	} else {
		b.recs = append(b.recs, record{})
		copy(b.recs[i+1:], b.recs[i:])
		b.recs[i] = record{name, json}
	}
	b.dirty = true
}

// host returns the host's record, or nil when there is none.
func (t *txn) host(name string) (*hostEntry, error) {
	return readEntry(t, t.hostPath(name), "host", name, (*decoder).hostRecord)
}

func (t *txn) putHost(e *hostEntry) error {
	rec, err := hostRecord(e.name, e.vars, e.fileVars, e.groups)
	if err != nil {
		return err
	}
	return t.putRecord(t.hostPath(e.name), kook.KindHost, e.name, rec)
}

func (t *txn) delHost(name string) error {
	b := t.buckets[t.hostPath(name)]
	if i, ok := b.find(name); ok {
		b.recs = append(b.recs[:i], b.recs[i+1:]...)
		b.dirty = true
	}
	return nil
}

// group returns the group's record, or nil when there is none.
func (t *txn) group(name string) (*groupEntry, error) {
	return readEntry(t, t.groupPath(name), "group", name, (*decoder).groupRecord)
}

// putGroup writes a group record; the group's bucket must have been read.
func (t *txn) putGroup(e *groupEntry) error {
	p := t.groupPath(e.name)
	if err := t.load(p); err != nil {
		return err
	}
	rec, err := groupRecord(e.name, e.vars, e.fileVars, e.children)
	if err != nil {
		return err
	}
	return t.putRecord(p, kook.KindGroup, e.name, rec)
}

// readEntry reads the bucket at p and decodes the record of the kind
// (host or group) called name with read; nil when there is none.
func readEntry[E any](t *txn, p, kind, name string, read func(*decoder, string) (E, error)) (*E, error) {
	if err := t.load(p); err != nil {
		return nil, err
	}
	b := t.buckets[p]
	i, ok := b.find(name)
	if !ok {
		return nil, nil
	}
	e, err := read(newDecoder(b.recs[i].json, nil), name)
	if err != nil {
		return nil, fmt.Errorf("ZooKeeper node %s is corrupt: %s %q: %v", p, kind, name, err)
	}
	return &e, nil
}

// putRecord puts rec under name in the (read) bucket at p, refusing a
// record ZooKeeper could not hold.
func (t *txn) putRecord(p, kind, name string, rec []byte) error {
	if len(rec)+len(name) > maxRecord {
		return fmt.Errorf("%s %s would take %d KiB, more than the %d KiB ZooKeeper can hold in one node", kind, quoteName(name), len(rec)>>10, maxRecord>>10)
	}
	t.buckets[p].put(name, rec)
	return nil
}

// linkUnderAll appends name to the children of "all".
func (t *txn) linkUnderAll(name string) error {
	all, err := t.group(kook.All)
	if err != nil {
		return err
	}
	if all == nil {
		return fmt.Errorf("the inventory under %s is corrupt: it has no group %q", t.s.cfg.Root, kook.All)
	}
	for _, c := range all.children {
		if c == name {
			return nil
		}
	}
	all.children = append(all.children, name)
	return t.putGroup(all)
}

// allGroups reads every group bucket and returns every group. The
// entries are fresh: change them and putGroup them.
func (t *txn) allGroups() (map[string]*groupEntry, error) {
	n := t.head.meta.GroupBuckets
	paths := make([]string, n)
	for i := range paths {
		paths[i] = t.head.meta.groupBucket(t.root, i)
	}
	if err := t.load(paths...); err != nil {
		return nil, err
	}
	out := map[string]*groupEntry{}
	for _, p := range paths {
		for _, r := range t.buckets[p].recs {
			e, err := newDecoder(r.json, nil).groupRecord(r.name)
			if err != nil {
				return nil, fmt.Errorf("ZooKeeper node %s is corrupt: group %q: %v", p, r.name, err)
			}
			out[r.name] = &e
		}
	}
	return out, nil
}
