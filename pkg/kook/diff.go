package kook

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Op says what a Change does.
type Op string

// The three kinds of change.
const (
	Added   Op = "+"
	Removed Op = "-"
	Changed Op = "~"
)

// Kinds of entity a Change is about.
const (
	KindHost  = "host"
	KindGroup = "group"
)

// What part of a host or group a Change is about.
const (
	DetailVar = "var" // a var: Var, with Old and/or New
	// DetailFileVar is a var of the vars-file layer (FileVars: group_vars/,
	// host_vars/): Var, with Old and/or New.
	DetailFileVar = "file var"
	// DetailEffective is a var as a playbook sees the host (EffectiveVars):
	// Var, with Old and/or New. Diff never returns it; DiffEffective does.
	DetailEffective = "effective var"
	DetailMember    = "member" // a group's member host: Member
	DetailChild     = "child"  // a group's child group: Child
	DetailOrder     = "order"  // the order of a group's list: Reordered
)

// Change is one difference between two inventories. Kind and Name say
// which host or group it is about, and Detail which part of it:
//
//   - "": the host or group itself was added or removed;
//   - DetailVar: var Var was added (New), removed (Old) or changed (Old
//     and New);
//   - DetailFileVar: likewise for a var of the vars-file layer;
//   - DetailEffective: likewise for a var as a playbook sees it;
//   - DetailMember: host Member joined or left group Name;
//   - DetailChild: group Child was linked under or unlinked from group Name;
//   - DetailOrder: the group's list Reordered ("hosts" or "children")
//     holds its remaining entries in another order (play order follows it).
type Change struct {
	Op        Op
	Kind      string
	Name      string
	Detail    string
	Var       string
	Old, New  any
	Member    string
	Child     string
	Reordered string
}

// String returns the change as one line for a person, such as
// "~ host web01: var http_port 80 -> 8080", "+ group web: group_vars
// env = \"prod\"" (the vars-file layer), "~ host web01: playbooks see
// env \"a\" -> \"b\"" or "+ group web: host web01".
// Values are compact JSON; names holding spaces or control characters
// are quoted.
func (c Change) String() string {
	var b strings.Builder
	b.WriteString(string(c.Op))
	b.WriteByte(' ')
	b.WriteString(c.Kind)
	b.WriteByte(' ')
	b.WriteString(quoteName(c.Name))
	switch {
	case c.Detail == DetailVar || c.Detail == DetailFileVar || c.Detail == DetailEffective:
		switch {
		case c.Detail == DetailEffective:
			b.WriteString(": playbooks see ")
		case c.Detail == DetailVar:
			b.WriteString(": var ")
		case c.Kind == KindHost:
			b.WriteString(": host_vars ")
		default:
			b.WriteString(": group_vars ")
		}
		b.WriteString(quoteName(c.Var))
		switch c.Op {
		case Added:
			b.WriteString(" = ")
			b.WriteString(ShowJSON(c.New))
		case Removed:
			b.WriteString(" (was ")
			b.WriteString(ShowJSON(c.Old))
			b.WriteByte(')')
		default:
			b.WriteByte(' ')
			b.WriteString(ShowJSON(c.Old))
			b.WriteString(" -> ")
			b.WriteString(ShowJSON(c.New))
		}
	case c.Detail == DetailMember:
		b.WriteString(": host ")
		b.WriteString(quoteName(c.Member))
	case c.Detail == DetailChild:
		b.WriteString(": child ")
		b.WriteString(quoteName(c.Child))
	case c.Detail == DetailOrder:
		b.WriteString(": ")
		b.WriteString(c.Reordered)
		b.WriteString(" reordered")
	}
	return b.String()
}

// quoteName returns name as it is unless a reader could not tell where it
// ends (empty, spaces, control characters, quotes); then as a JSON string.
func quoteName(name string) string {
	if name == "" || strings.IndexFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '"' || r == unicode.ReplacementChar
	}) >= 0 {
		return string(AppendString(nil, name))
	}
	return name
}

// Changes is a list of changes as Diff returns it.
type Changes []Change

// String returns one line per change, each ending in a newline; no
// changes give "".
func (cs Changes) String() string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Summary counts the hosts and groups that were added, removed or changed.
// A host or group counts once however many of its vars, members or
// children changed; an added or removed one counts only as such.
type Summary struct {
	HostsAdded, HostsRemoved, HostsChanged    int
	GroupsAdded, GroupsRemoved, GroupsChanged int
}

// Summary counts cs by entity.
func (cs Changes) Summary() Summary {
	var s Summary
	type entity struct{ kind, name string }
	seen := map[entity]bool{}
	for _, c := range cs {
		e := entity{c.Kind, c.Name}
		whole := c.Detail == ""
		if !whole {
			if seen[e] {
				continue
			}
			seen[e] = true
		}
		host := c.Kind == KindHost
		switch {
		case whole && c.Op == Added && host:
			s.HostsAdded++
		case whole && c.Op == Added:
			s.GroupsAdded++
		case whole && host:
			s.HostsRemoved++
		case whole:
			s.GroupsRemoved++
		case host:
			s.HostsChanged++
		default:
			s.GroupsChanged++
		}
		if whole {
			seen[e] = true
		}
	}
	return s
}

// Empty reports whether nothing changed.
func (s Summary) Empty() bool { return s == Summary{} }

// String returns the counts for a person, such as
// "hosts: 1 added, 0 removed, 2 changed; groups: 0 added, 0 removed, 1 changed".
func (s Summary) String() string {
	return fmt.Sprintf("hosts: %d added, %d removed, %d changed; groups: %d added, %d removed, %d changed",
		s.HostsAdded, s.HostsRemoved, s.HostsChanged, s.GroupsAdded, s.GroupsRemoved, s.GroupsChanged)
}

// Diff returns the changes that turn old into new: hosts sorted by name,
// then groups sorted by name; within one host or group its addition or
// removal, then its vars by key, then its vars-file vars by key, then
// memberships (removed in old order, added in new order, then a
// reordering), then children likewise. A
// removed host or group is one line: its own vars, members and children go
// with it, while its links from groups that remain are listed under those
// groups ("- group web: host h"). An added one lists its vars, members and
// children. Values are compared
// with EqualValues (1 and 1.0 differ). Identical inventories give nil.
// Diff costs time in proportion to the size of both inventories.
func Diff(old, new *Inventory) []Change {
	var out []Change
	// Only the few entities that differ are sorted, which keeps a diff of
	// a large inventory with a small change cheap.
	hosts := differing(old.Hosts, new.Hosts, func(o, n *Host) bool {
		return EqualVars(o.Vars, n.Vars) && EqualVars(o.FileVars, n.FileVars)
	})
	for _, name := range hosts {
		o, n := old.Hosts[name], new.Hosts[name]
		switch {
		case n == nil:
			out = append(out, Change{Op: Removed, Kind: KindHost, Name: name})
		case o == nil:
			out = append(out, Change{Op: Added, Kind: KindHost, Name: name})
			out = diffVars(out, KindHost, name, DetailVar, nil, n.Vars)
			out = diffVars(out, KindHost, name, DetailFileVar, nil, n.FileVars)
		default:
			out = diffVars(out, KindHost, name, DetailVar, o.Vars, n.Vars)
			out = diffVars(out, KindHost, name, DetailFileVar, o.FileVars, n.FileVars)
		}
	}
	groups := differing(old.Groups, new.Groups, func(o, n *Group) bool {
		return equalStrings(o.Hosts, n.Hosts) && equalStrings(o.Children, n.Children) &&
			EqualVars(o.Vars, n.Vars) && EqualVars(o.FileVars, n.FileVars)
	})
	for _, name := range groups {
		o, n := old.Groups[name], new.Groups[name]
		switch {
		case n == nil:
			out = append(out, Change{Op: Removed, Kind: KindGroup, Name: name})
		case o == nil:
			out = append(out, Change{Op: Added, Kind: KindGroup, Name: name})
			out = diffVars(out, KindGroup, name, DetailVar, nil, n.Vars)
			out = diffVars(out, KindGroup, name, DetailFileVar, nil, n.FileVars)
			out = diffList(out, name, nil, n.Hosts, false)
			out = diffList(out, name, nil, n.Children, true)
		default:
			out = diffVars(out, KindGroup, name, DetailVar, o.Vars, n.Vars)
			out = diffVars(out, KindGroup, name, DetailFileVar, o.FileVars, n.FileVars)
			out = diffList(out, name, o.Hosts, n.Hosts, false)
			out = diffList(out, name, o.Children, n.Children, true)
		}
	}
	return out
}

// differing returns, sorted, the names present in only one of a and b and
// those whose entries are not the same.
func differing[V any](a, b map[string]V, same func(x, y V) bool) []string {
	var names []string
	for k, x := range a {
		if y, ok := b[k]; !ok || !same(x, y) {
			names = append(names, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	return names
}

// unionKeys returns the keys of a and b, sorted, each once.
func unionKeys[V any](a, b map[string]V) []string {
	keys := make([]string, 0, len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

func diffVars(out []Change, kind, name, detail string, o, n Vars) []Change {
	for _, k := range unionKeys(o, n) {
		ov, inOld := o[k]
		nv, inNew := n[k]
		switch {
		case !inNew:
			out = append(out, Change{Op: Removed, Kind: kind, Name: name, Detail: detail, Var: k, Old: ov})
		case !inOld:
			out = append(out, Change{Op: Added, Kind: kind, Name: name, Detail: detail, Var: k, New: nv})
		case !EqualValues(ov, nv):
			out = append(out, Change{Op: Changed, Kind: kind, Name: name, Detail: detail, Var: k, Old: ov, New: nv})
		}
	}
	return out
}

// diffList compares a group's member list (or child list when children):
// entries that left in old order, entries that joined in new order, then
// one "reordered" change when the entries in both lists are not in the
// same relative order.
func diffList(out []Change, group string, o, n []string, children bool) []Change {
	if equalStrings(o, n) {
		return out
	}
	change := func(op Op, entry string) Change {
		c := Change{Op: op, Kind: KindGroup, Name: group}
		if children {
			c.Detail, c.Child = DetailChild, entry
		} else {
			c.Detail, c.Member = DetailMember, entry
		}
		return c
	}
	inOld := make(map[string]bool, len(o))
	for _, e := range o {
		inOld[e] = true
	}
	inNew := make(map[string]bool, len(n))
	for _, e := range n {
		inNew[e] = true
	}
	for _, e := range o {
		if !inNew[e] {
			out = append(out, change(Removed, e))
		}
	}
	for _, e := range n {
		if !inOld[e] {
			out = append(out, change(Added, e))
		}
	}
	// Compare the entries common to both lists, each in its own order.
	i, j := 0, 0
	for {
		for i < len(o) && !inNew[o[i]] {
			i++
		}
		for j < len(n) && !inOld[n[j]] {
			j++
		}
		if i == len(o) || j == len(n) {
			break
		}
		if o[i] != n[j] {
			c := Change{Op: Changed, Kind: KindGroup, Name: group, Detail: DetailOrder, Reordered: "hosts"}
			if children {
				c.Reordered = "children"
			}
			return append(out, c)
		}
		i++
		j++
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// DiffEffective compares what a playbook sees: for each of hosts that both
// inventories hold, in sorted order, the vars EffectiveVars gives it in old
// and in new, key by key, as DetailEffective changes. Two inventories can
// differ only where Diff does not look (groups and layers outside the
// hosts compared) and still give a host other vars; this says so.
func DiffEffective(old, new *Inventory, hosts []string) []Change {
	hosts = slices.Clone(hosts)
	sort.Strings(hosts)
	po, pn := newPrecedence(old), newPrecedence(new)
	do, dn := old.memberOf(), new.memberOf()
	var out []Change
	// A host in the same groups with the same own vars on both sides
	// differs only if those groups' merged vars do, which is compared once
	// per set of groups: most hosts cost no merge.
	sameGroupVars := map[string]bool{}
	for _, name := range hosts {
		o, n := old.Hosts[name], new.Hosts[name]
		if o == nil || n == nil {
			continue
		}
		og, ng := po.memberships(do[name]), pn.memberships(dn[name])
		if equalStrings(og, ng) && EqualVars(o.Vars, n.Vars) && EqualVars(o.FileVars, n.FileVars) {
			key := strings.Join(og, "\x00")
			same, ok := sameGroupVars[key]
			if !ok {
				same = EqualVars(po.mergedFor(og), pn.mergedFor(ng))
				sameGroupVars[key] = same
			}
			if same {
				continue
			}
		}
		out = diffVars(out, KindHost, name, DetailEffective, po.hostVars(o, do[name]), pn.hostVars(n, dn[name]))
	}
	return out
}
