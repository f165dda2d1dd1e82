// Package kook holds the inventory graph — hosts, groups, their vars and
// nesting — and the rules Ansible applies to it: reconciliation of the
// implicit "all" and "ungrouped" groups, validation, effective vars and Diff.
//
// Everything here is a pure value: no file, network or ZooKeeper I/O. The
// store sub-package persists an Inventory in ZooKeeper and pkg/ansible
// translates it to and from Ansible's formats.
package kook

import (
	"sort"
)

// Names of the two groups every inventory has.
const (
	All       = "all"
	Ungrouped = "ungrouped"
)

// Vars holds Ansible variables. Values are JSON-like: nil, bool, int64,
// float64, string, []any and map[string]any. Integers and floats are kept
// apart because Ansible prints 1 and 1.0 differently.
type Vars map[string]any

// Host is one inventory host and the vars set on it directly, in two
// layers Ansible keeps apart: Vars, set by an inventory source (inline INI
// vars, a YAML host's mapping, the script protocol's _meta.hostvars), and
// FileVars, read from host_vars/ files, which win over Vars. FileVars is
// nil or empty for a host no vars file names.
type Host struct {
	Name     string
	Vars     Vars
	FileVars Vars
}

// Group is one inventory group: its own vars, its direct member hosts in
// the order they were added, and its direct child groups in the order they
// were linked. Both orders are what Ansible prints and plays in.
//
// The group's vars come in two layers Ansible keeps apart: Vars, set by an
// inventory source (INI [g:vars], YAML vars:, the script protocol's vars),
// where ansible_group_priority is the group's priority; and FileVars, read
// from group_vars/ files, where ansible_group_priority is an ordinary var.
// Every group's FileVars win over every group's Vars (see EffectiveVars).
// FileVars is nil or empty for a group no vars file names.
//
// Change Hosts and Children through Inventory's methods, which keep the
// graph's invariants (no duplicates, no cycles).
type Group struct {
	Name     string
	Vars     Vars
	FileVars Vars
	Hosts    []string
	Children []string

	hostSet map[string]struct{} // lazily built index of Hosts
}

// Inventory is the whole graph. Hosts and Groups are keyed by name. A new
// Inventory always holds the groups "all" and "ungrouped", with "ungrouped"
// the first child of "all", as in Ansible.
//
// While an inventory is being built (by a parser), the order in which hosts
// and groups were first created matters for Reconcile; after Reconcile every
// order Ansible shows is explicit in Group.Hosts and Group.Children.
type Inventory struct {
	Hosts  map[string]*Host
	Groups map[string]*Group

	hostOrder  []string // creation order, for Reconcile
	groupOrder []string
}

// New returns an empty inventory holding only "all" and "ungrouped".
func New() *Inventory {
	inv := &Inventory{Hosts: map[string]*Host{}, Groups: map[string]*Group{}}
	inv.AddGroup(All)
	inv.AddGroup(Ungrouped)
	inv.Groups[All].Children = []string{Ungrouped}
	return inv
}

// AddHost returns the host called name, creating it without vars or groups
// if it does not exist.
func (inv *Inventory) AddHost(name string) *Host {
	if h, ok := inv.Hosts[name]; ok {
		return h
	}
	h := &Host{Name: name, Vars: Vars{}}
	inv.Hosts[name] = h
	inv.hostOrder = append(inv.hostOrder, name)
	return h
}

// AddGroup returns the group called name, creating it empty if it does not
// exist. A new group has no parent until it is linked or Reconcile runs.
func (inv *Inventory) AddGroup(name string) *Group {
	if g, ok := inv.Groups[name]; ok {
		return g
	}
	g := &Group{Name: name, Vars: Vars{}}
	inv.Groups[name] = g
	inv.groupOrder = append(inv.groupOrder, name)
	return g
}

// AddMember puts host into group, creating either if needed. A host already
// in the group keeps its position.
func (inv *Inventory) AddMember(group, host string) {
	inv.AddHost(host)
	inv.AddGroup(group).addHost(host)
}

// RemoveMember takes host out of group; it is not an error if it was not in it.
func (inv *Inventory) RemoveMember(group, host string) {
	g := inv.Groups[group]
	if g == nil || !g.HasHost(host) {
		return
	}
	g.Hosts = removeString(g.Hosts, host)
	delete(g.hostSet, host)
}

// AddChild links child under parent, creating either group if needed. It
// refuses a link that would make a cycle with Ansible's own message.
func (inv *Inventory) AddChild(parent, child string) error {
	if parent == child {
		return CheckLink(parent, child, nil)
	}
	p := inv.AddGroup(parent)
	inv.AddGroup(child)
	for _, c := range p.Children {
		if c == child {
			return nil
		}
	}
	if err := CheckLink(parent, child, inv.children); err != nil {
		return err
	}
	p.Children = append(p.Children, child)
	return nil
}

// children returns the children of group name, nil when there is none.
func (inv *Inventory) children(name string) []string {
	if g := inv.Groups[name]; g != nil {
		return g.Children
	}
	return nil
}

// RemoveChild unlinks child from parent; it is not an error if it was not linked.
func (inv *Inventory) RemoveChild(parent, child string) {
	if p := inv.Groups[parent]; p != nil {
		p.Children = removeString(p.Children, child)
	}
}

// RemoveHost deletes a host and every membership it has.
func (inv *Inventory) RemoveHost(name string) {
	if _, ok := inv.Hosts[name]; !ok {
		return
	}
	delete(inv.Hosts, name)
	inv.hostOrder = removeString(inv.hostOrder, name) // re-created, it comes last
	for _, g := range inv.Groups {
		if g.HasHost(name) {
			g.Hosts = removeString(g.Hosts, name)
			delete(g.hostSet, name)
		}
	}
}

// RemoveGroup deletes a group and every link to it. Its hosts and children
// stay in the inventory. "all" and "ungrouped" cannot be removed.
func (inv *Inventory) RemoveGroup(name string) {
	if name == All || name == Ungrouped {
		return
	}
	if _, ok := inv.Groups[name]; !ok {
		return
	}
	delete(inv.Groups, name)
	inv.groupOrder = removeString(inv.groupOrder, name) // re-created, it comes last
	for _, g := range inv.Groups {
		g.Children = removeString(g.Children, name)
	}
}

// HasHost reports whether name is a direct member of g.
func (g *Group) HasHost(name string) bool {
	if g.hostSet == nil || len(g.hostSet) != len(g.Hosts) {
		g.hostSet = make(map[string]struct{}, len(g.Hosts))
		for _, h := range g.Hosts {
			g.hostSet[h] = struct{}{}
		}
	}
	_, ok := g.hostSet[name]
	return ok
}

func (g *Group) addHost(name string) {
	if g.HasHost(name) {
		return
	}
	g.Hosts = append(g.Hosts, name)
	g.hostSet[name] = struct{}{}
}

// HasChild reports whether name is a direct child group of g.
func (g *Group) HasChild(name string) bool {
	for _, c := range g.Children {
		if c == name {
			return true
		}
	}
	return false
}

func removeString(list []string, s string) []string {
	for i, v := range list {
		if v == s {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

// HostNames returns every host name, sorted.
func (inv *Inventory) HostNames() []string { return sortedKeys(inv.Hosts) }

// GroupNames returns every group name, sorted.
func (inv *Inventory) GroupNames() []string { return sortedKeys(inv.Groups) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// creationOrder returns names in the order they were created, followed by
// any that were put into the map directly, sorted.
func creationOrder[V any](order []string, m map[string]V) []string {
	out := make([]string, 0, len(m))
	seen := make(map[string]bool, len(m))
	for _, n := range order {
		if _, ok := m[n]; ok && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) < len(m) {
		var rest []string
		for n := range m {
			if !seen[n] {
				rest = append(rest, n)
			}
		}
		sort.Strings(rest)
		out = append(out, rest...)
	}
	return out
}

// Parents returns, for every group, the groups that list it as a child, in
// sorted order of the parents' names.
func (inv *Inventory) Parents() map[string][]string {
	parents := make(map[string][]string, len(inv.Groups))
	for _, name := range inv.GroupNames() {
		for _, c := range inv.Groups[name].Children {
			parents[c] = append(parents[c], name)
		}
	}
	return parents
}

// HostGroups returns, for every host, the groups it is a direct member of,
// in sorted order.
func (inv *Inventory) HostGroups() map[string][]string {
	groups := make(map[string][]string, len(inv.Hosts))
	for _, name := range inv.GroupNames() {
		for _, h := range inv.Groups[name].Hosts {
			groups[h] = append(groups[h], name)
		}
	}
	return groups
}

// Reconcile applies the rules Ansible applies once all sources are parsed
// (inventory/data.py reconcile_inventory): every group without a parent
// becomes a child of "all", in creation order; hosts placed directly in
// "all" or in no group go to "ungrouped"; a host in "ungrouped" and in any
// other group leaves "ungrouped". Afterwards "all" lists only the hosts no
// other group holds (a host named like a group, which Ansible leaves
// there), every order Ansible shows is explicit in the graph, and Reconcile
// is idempotent.
func (inv *Inventory) Reconcile() {
	all, ungrouped := inv.AddGroup(All), inv.AddGroup(Ungrouped)
	if !all.HasChild(Ungrouped) {
		all.Children = append([]string{Ungrouped}, all.Children...)
	}
	parents := inv.Parents()
	for _, name := range creationOrder(inv.groupOrder, inv.Groups) {
		if NeedsParent(name, len(parents[name])) {
			all.Children = append(all.Children, name)
		}
	}
	// One pass over the memberships, then one over the hosts in creation
	// order: at 100,000 hosts, building HostGroups here cost more than
	// the rest of Reconcile together.
	const inUngrouped, inOther, visited = 1, 2, 4
	flags := make(map[string]uint8, len(inv.Hosts))
	for name, g := range inv.Groups {
		f := uint8(inOther)
		switch name {
		case All:
			continue
		case Ungrouped:
			f = inUngrouped
		}
		for _, h := range g.Hosts {
			flags[h] |= f
		}
	}
	var orphans []string
	leave := map[string]bool{} // hosts that leave ungrouped, removed in one pass
	visit := func(name string) {
		f := flags[name]
		if f&visited != 0 {
			return
		}
		flags[name] = f | visited
		leaves, joins := UngroupedRule(f&inUngrouped != 0, f&inOther != 0)
		switch {
		case leaves:
			leave[name] = true
		case joins:
			// Ansible's add_child looks the name up as a group first, so a
			// host named like a group links that group under ungrouped
			// and stays out of it itself. Where that link is impossible
			// (a host named "all" or "ungrouped", on which Ansible fails)
			// the host goes to ungrouped as any other.
			if _, isGroup := inv.Groups[name]; isGroup && inv.AddChild(Ungrouped, name) == nil {
				orphans = append(orphans, name)
				return
			}
			ungrouped.addHost(name)
		}
	}
	seen := 0
	for _, name := range inv.hostOrder {
		if _, ok := inv.Hosts[name]; ok && flags[name]&visited == 0 {
			visit(name)
			seen++
		}
	}
	if seen < len(inv.Hosts) {
		// Hosts put into the map directly come last, sorted, as in
		// creationOrder.
		var rest []string
		for name := range inv.Hosts {
			if flags[name]&visited == 0 {
				rest = append(rest, name)
			}
		}
		sort.Strings(rest)
		for _, name := range rest {
			visit(name)
		}
	}
	if len(leave) > 0 {
		kept := ungrouped.Hosts[:0:0]
		for _, h := range ungrouped.Hosts {
			if !leave[h] {
				kept = append(kept, h)
			}
		}
		ungrouped.Hosts, ungrouped.hostSet = kept, nil
	}
	// "all" keeps only the hosts no other group holds, so that every
	// format (and the store) still carries them.
	all.Hosts, all.hostSet = orphans, nil
	inv.hostOrder, inv.groupOrder = nil, nil
}

// Merge adds other into inv the way Ansible parses a further source into an
// inventory it already holds: new hosts and groups are created in other's
// creation order, memberships and child links are appended, and vars are
// set key by key so that other's values win, each layer into the same
// layer. A child link that would make a
// cycle fails the merge; inv may then hold part of other, so callers that
// need all or nothing merge into a Clone.
func (inv *Inventory) Merge(other *Inventory) error { return inv.merge(other, nil) }

// merge is Merge; cycle, when set, gives the error for a child link that
// would close a cycle instead of Ansible's message.
func (inv *Inventory) merge(other *Inventory, cycle func(parent, child string) error) error {
	for _, name := range creationOrder(other.hostOrder, other.Hosts) {
		h, oh := inv.AddHost(name), other.Hosts[name]
		for k, v := range oh.Vars {
			h.Vars[k] = CopyValue(v)
		}
		h.FileVars = mergeLayer(h.FileVars, oh.FileVars)
	}
	groups := creationOrder(other.groupOrder, other.Groups)
	for _, name := range groups {
		og := other.Groups[name]
		g := inv.AddGroup(name)
		for k, v := range og.Vars {
			g.Vars[k] = CopyValue(v)
		}
		g.FileVars = mergeLayer(g.FileVars, og.FileVars)
		for _, h := range og.Hosts {
			g.addHost(h)
		}
	}
	for _, name := range groups {
		for _, c := range other.Groups[name].Children {
			if err := inv.AddChild(name, c); err != nil {
				if cycle != nil && name != c {
					return cycle(name, c)
				}
				return err
			}
		}
	}
	return nil
}

// Clone returns a deep copy of inv; vars values are copied too.
func (inv *Inventory) Clone() *Inventory {
	out := &Inventory{
		Hosts:      make(map[string]*Host, len(inv.Hosts)),
		Groups:     make(map[string]*Group, len(inv.Groups)),
		hostOrder:  append([]string(nil), inv.hostOrder...),
		groupOrder: append([]string(nil), inv.groupOrder...),
	}
	for n, h := range inv.Hosts {
		out.Hosts[n] = &Host{Name: h.Name, Vars: CopyVars(h.Vars), FileVars: copyLayer(h.FileVars)}
	}
	for n, g := range inv.Groups {
		out.Groups[n] = &Group{
			Name:     g.Name,
			Vars:     CopyVars(g.Vars),
			FileVars: copyLayer(g.FileVars),
			Hosts:    append([]string(nil), g.Hosts...),
			Children: append([]string(nil), g.Children...),
		}
	}
	return out
}

// mergeLayer sets other's vars into layer key by key, creating layer when
// there is something to set, and returns it.
func mergeLayer(layer, other Vars) Vars {
	if len(other) == 0 {
		return layer
	}
	if layer == nil {
		layer = make(Vars, len(other))
	}
	for k, v := range other {
		layer[k] = CopyValue(v)
	}
	return layer
}

// copyLayer is CopyVars keeping an absent layer absent.
func copyLayer(v Vars) Vars {
	if len(v) == 0 {
		return nil
	}
	return CopyVars(v)
}
