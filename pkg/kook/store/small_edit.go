package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// HostEdit is one host's part of an EditHosts write. The zero HostEdit
// changes nothing and requires the host to exist.
type HostEdit struct {
	Name string
	// Create makes a missing host (in "ungrouped" unless it joins a group);
	// without it a missing host is ErrNotFound.
	Create bool
	// Remove deletes the host and its memberships. MissingOK makes a
	// missing host nothing to do instead of ErrNotFound.
	Remove    bool
	MissingOK bool
	// Join lists groups the host is added to, each at the end of its hosts;
	// "all" is implied for every host and "ungrouped" for a host in no
	// other group, so naming either changes nothing. A missing group is
	// ErrNotFound unless CreateGroups, which creates it under "all".
	Join         []string
	CreateGroups bool
	// Leave lists groups the host leaves (a missing group is ErrNotFound;
	// a group it is not in, nothing to do); a host left in no group goes
	// to "ungrouped", as Ansible's reconciliation places it.
	Leave []string
	// Set vars over the host's own, then remove those named in Unset.
	Set   kook.Vars
	Unset []string
}

// EditHosts applies edits, in order, in ONE write at the version it read:
// meta and only the buckets of the hosts and groups named (the whole
// inventory in the rare cases small writes fall back to, see small.go).
// It returns the names of the hosts it changed, in edit order; an edit
// that changes nothing writes nothing, so repeating a write is free. Any
// error (ErrNotFound names the host or group) means nothing was written.
func (s *Store) EditHosts(ctx context.Context, what string, edits []HostEdit) (changed []string, err error) {
	for i := range edits {
		if edits[i].Set != nil {
			nv, err := kook.NormalizeValue(map[string]any(edits[i].Set))
			if err != nil {
				return nil, fmt.Errorf("%s: host %s: %w", what, quoteName(edits[i].Name), err)
			}
			edits[i].Set = kook.Vars(nv.(map[string]any))
		}
	}
	err = s.small(ctx, what,
		func(t *txn) error {
			changed = changed[:0]
			// One round trip for every bucket the edits name.
			var paths []string
			for _, e := range edits {
				paths = append(paths, t.hostPath(e.Name))
				for _, g := range append(e.Join, e.Leave...) {
					paths = append(paths, t.groupPath(g))
				}
			}
			slices.Sort(paths)
			if err := t.load(slices.Compact(paths)...); err != nil {
				return err
			}
			for _, e := range edits {
				ok, err := t.editHost(e)
				if err != nil {
					return err
				}
				if ok {
					changed = append(changed, e.Name)
				}
			}
			return nil
		},
		func(inv *kook.Inventory) error {
			changed = changed[:0]
			for _, e := range edits {
				ok, err := editHostGraph(inv, e)
				if err != nil {
					return err
				}
				if ok {
					changed = append(changed, e.Name)
				}
			}
			inv.Reconcile()
			return nil
		})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// editHost applies one edit to the buckets read by t.
func (t *txn) editHost(ed HostEdit) (bool, error) {
	e, err := t.host(ed.Name)
	if err != nil {
		return false, err
	}
	if e == nil {
		if skip, err := ed.missing(); skip || err != nil {
			return false, err
		}
	}
	if ed.Remove {
		return true, t.delHost(ed.Name)
	}
	isNew := e == nil
	if isNew {
		e = &hostEntry{name: ed.Name, vars: kook.Vars{}}
	}
	before, err := hostRecord(e.name, e.vars, e.fileVars, e.groups)
	if err != nil {
		return false, err
	}
	for _, g := range ed.Join {
		if g == kook.All || g == kook.Ungrouped || slices.ContainsFunc(e.groups, func(m membership) bool { return m.group == g }) {
			continue
		}
		ge, err := t.group(g)
		if err != nil {
			return false, err
		}
		if ge == nil {
			if !ed.CreateGroups {
				return false, notFound(nil, kook.KindGroup, g)
			}
			if err := t.putGroup(&groupEntry{name: g, vars: kook.Vars{}}); err != nil {
				return false, err
			}
			if err := t.linkUnderAll(g); err != nil {
				return false, err
			}
		}
		e.groups = append(e.groups, membership{g, t.nextPos()})
	}
	for _, g := range ed.Leave {
		if ge, err := t.group(g); err != nil || ge == nil {
			return false, notFound(err, kook.KindGroup, g)
		}
	}
	e.groups = slices.DeleteFunc(e.groups, func(m membership) bool {
		return m.group != kook.Ungrouped && slices.Contains(ed.Leave, m.group)
	})
	// Reconcile's rules on the one host: "ungrouped" only when alone.
	if len(e.groups) > 1 {
		for _, g := range ed.Leave {
			if ge, err := t.group(g); err != nil || ge == nil {
				return false, notFound(err, kook.KindGroup, g)
			}
		}
		e.groups = slices.DeleteFunc(e.groups, func(m membership) bool { return m.group == kook.Ungrouped })
	}
	if len(e.groups) == 0 {
		e.groups = append(e.groups, membership{kook.Ungrouped, t.nextPos()})
	}
	for k, v := range ed.Set {
		e.vars[k] = kook.CopyValue(v)
	}
	for _, k := range ed.Unset {
		delete(e.vars, k)
	}
	after, err := hostRecord(e.name, e.vars, e.fileVars, e.groups)
	if err != nil {
		return false, err
	}
	if !isNew && string(after) == string(before) {
		return false, nil
	}
	return true, t.putHost(e)
}

// missing says what the edit does when its host does not exist: nothing
// (skip), fail with ErrNotFound, or neither (create it).
func (ed HostEdit) missing() (skip bool, err error) {
	switch {
	case ed.Remove && ed.MissingOK:
		return true, nil
	case !ed.Create:
		return false, notFound(nil, kook.KindHost, ed.Name)
	}
	return false, nil
}

// editHostGraph applies one edit to a whole inventory, as editHost does to
// buckets; the caller reconciles afterwards.
func editHostGraph(inv *kook.Inventory, ed HostEdit) (bool, error) {
	h := inv.Hosts[ed.Name]
	if h == nil {
		if skip, err := ed.missing(); skip || err != nil {
			return false, err
		}
	}
	if ed.Remove {
		inv.RemoveHost(ed.Name)
		return true, nil
	}
	changed := h == nil
	h = inv.AddHost(ed.Name)
	for _, g := range ed.Join {
		if g == kook.All || g == kook.Ungrouped {
			continue
		}
		grp := inv.Groups[g]
		if grp == nil && !ed.CreateGroups {
			return false, notFound(nil, kook.KindGroup, g)
		}
		if grp == nil || !grp.HasHost(ed.Name) {
			inv.AddMember(g, ed.Name)
			changed = true
		}
	}
	for _, g := range ed.Leave {
		grp := inv.Groups[g]
		if grp == nil {
			return false, notFound(nil, kook.KindGroup, g)
		}
		if g != kook.Ungrouped && grp.HasHost(ed.Name) {
			inv.RemoveMember(g, ed.Name)
			changed = true
		}
	}
	for k, v := range ed.Set {
		if old, ok := h.Vars[k]; !ok || !kook.EqualValues(old, v) {
			h.Vars[k] = kook.CopyValue(v)
			changed = true
		}
	}
	for _, k := range ed.Unset {
		if _, ok := h.Vars[k]; ok {
			delete(h.Vars, k)
			changed = true
		}
	}
	return changed, nil
}

// UpdateGroups runs fn on an inventory holding every group (vars and
// children) but no host, and writes the groups fn changed in ONE write at
// the version it read, reading only group buckets; afterwards groups left
// without a parent are linked under "all", as Reconcile does. fn may add
// groups, link and unlink them and edit their vars; it must not touch
// hosts or memberships, nor remove a group (Update does that, since it
// concerns hosts). fn may run more than once (on a conflict, or on the
// whole inventory when the change does not fit a small write), each time
// on fresh data. It returns the names of the groups whose records changed,
// sorted.
func (s *Store) UpdateGroups(ctx context.Context, what string, fn func(inv *kook.Inventory) error) (changed []string, err error) {
	err = s.small(ctx, what,
		func(t *txn) error {
			groups, err := t.allGroups()
			if err != nil {
				return err
			}
			inv := &kook.Inventory{Hosts: map[string]*kook.Host{}, Groups: make(map[string]*kook.Group, len(groups))}
			before := make(map[string][]byte, len(groups))
			for name, g := range groups {
				inv.Groups[name] = &kook.Group{Name: name, Vars: g.vars, FileVars: g.fileVars, Children: g.children}
				if before[name], err = groupRecord(name, g.vars, g.fileVars, g.children); err != nil {
					return err
				}
			}
			if err := fn(inv); err != nil {
				return err
			}
			if err := t.reconcileGroups(inv); err != nil {
				return err
			}
			changed = changed[:0]
			for _, name := range inv.GroupNames() {
				g := inv.Groups[name]
				rec, err := groupRecord(name, g.Vars, g.FileVars, g.Children)
				if err != nil {
					return err
				}
				if string(rec) == string(before[name]) {
					continue
				}
				if len(g.Hosts) > 0 {
					return errors.New("UpdateGroups cannot add hosts to a group")
				}
				changed = append(changed, name)
				if err := t.putGroup(&groupEntry{name: name, vars: g.Vars, fileVars: g.FileVars, children: g.Children}); err != nil {
					return err
				}
			}
			for name := range before {
				if inv.Groups[name] == nil {
					return fmt.Errorf("UpdateGroups cannot remove group %s", quoteName(name))
				}
			}
			return nil
		},
		func(inv *kook.Inventory) error {
			before := map[string][]byte{}
			for name, g := range inv.Groups {
				var err error
				if before[name], err = groupRecord(name, g.Vars, g.FileVars, g.Children); err != nil {
					return err
				}
			}
			if err := fn(inv); err != nil {
				return err
			}
			inv.Reconcile()
			changed = changed[:0]
			for _, name := range inv.GroupNames() {
				g := inv.Groups[name]
				rec, err := groupRecord(name, g.Vars, g.FileVars, g.Children)
				if err != nil {
					return err
				}
				if string(rec) != string(before[name]) {
					changed = append(changed, name)
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return changed, nil
}

// reconcileGroups links under "all" every group fn left without a parent,
// in name order (a small write has no creation order to follow), and
// refuses a graph Ansible would refuse.
func (t *txn) reconcileGroups(inv *kook.Inventory) error {
	all := inv.Groups[kook.All]
	if all == nil || inv.Groups[kook.Ungrouped] == nil {
		return fmt.Errorf("the inventory under %s is corrupt: it lacks the group %q or %q", t.s.cfg.Root, kook.All, kook.Ungrouped)
	}
	parents := inv.Parents()
	for _, name := range inv.GroupNames() {
		if name != kook.All && len(parents[name]) == 0 {
			all.Children = append(all.Children, name)
		}
	}
	if _, err := inv.Validate(); err != nil {
		return err
	}
	return nil
}

// GetHost reads one host's own vars and direct groups (in name order),
// reading meta and the host's bucket only. A host the inventory lacks is
// ErrNotFound.
func (s *Store) GetHost(ctx context.Context, name string) (vars kook.Vars, groups []string, err error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	t, err := s.readTxn(ctx)
	if err != nil {
		return nil, nil, err
	}
	e, err := t.host(name)
	if err != nil || e == nil {
		return nil, nil, notFound(err, kook.KindHost, name)
	}
	for _, m := range e.groups {
		groups = append(groups, m.group)
	}
	return e.vars, groups, nil
}

// LoadHost reads what the vars of one host depend on: the host and every
// group, reading meta, the host's bucket and the group buckets (never the
// other hosts). The inventory it returns holds that one host, as a member
// of its direct groups, and every group; EffectiveVars and ExplainVars of
// the host on it answer as on the whole inventory. The buckets are read at
// one version: when meta moved while they were read, they are read again.
func (s *Store) LoadHost(ctx context.Context, name string) (*kook.Inventory, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, attempt); err != nil {
				return nil, err
			}
		}
		t, err := s.readTxn(ctx)
		if err != nil {
			return nil, err
		}
		paths := []string{t.hostPath(name)}
		for i := range t.head.meta.GroupBuckets {
			paths = append(paths, t.head.meta.groupBucket(t.root, i))
		}
		err = t.load(paths...)
		var inv *kook.Inventory
		if err == nil {
			inv, err = t.hostInventory(name)
		}
		if err == nil {
			h, herr := s.readHead(ctx)
			if herr != nil {
				return nil, herr
			}
			if h.zxid() == t.head.zxid() {
				return inv, nil
			}
			err = ErrConflict
		}
		if !errors.Is(err, ErrConflict) || attempt >= maxAttempts {
			return nil, err
		}
	}
}

// readTxn starts a read of a few buckets at the current meta; an empty
// root holds no host.
func (s *Store) readTxn(ctx context.Context) (*txn, error) {
	h, err := s.readHead(ctx)
	if err != nil {
		return nil, err
	}
	if !h.exists {
		return nil, fmt.Errorf("the root %s on %s holds no inventory: %w", s.cfg.Root, strings.Join(s.cfg.Servers, ","), ErrNotFound)
	}
	return &txn{s: s, ctx: ctx, head: h, root: s.cfg.Root, buckets: map[string]*tbucket{}}, nil
}

// hostInventory assembles the host called name and every group from the
// buckets t read.
func (t *txn) hostInventory(name string) (*kook.Inventory, error) {
	groups, err := t.allGroups()
	if err != nil {
		return nil, err
	}
	e, err := t.host(name)
	if err != nil || e == nil {
		return nil, notFound(err, kook.KindHost, name)
	}
	inv := &kook.Inventory{Hosts: map[string]*kook.Host{name: {Name: name, Vars: e.vars, FileVars: e.fileVars}}, Groups: make(map[string]*kook.Group, len(groups))}
	for n, g := range groups {
		inv.Groups[n] = &kook.Group{Name: n, Vars: g.vars, FileVars: g.fileVars, Children: g.children}
	}
	for _, m := range e.groups {
		g := inv.Groups[m.group]
		if g == nil {
			return nil, fmt.Errorf("the inventory is corrupt: host %q is in group %q, which does not exist", name, m.group)
		}
		g.Hosts = append(g.Hosts, name)
	}
	return inv, nil
}
