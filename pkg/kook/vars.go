package kook

import (
	"sort"
	"strings"

	"github.com/kook-project/kook/internal/pysem"
)

// PriorityVar is the group var Ansible reads as the group's priority
// instead of storing it as a var.
const PriorityVar = "ansible_group_priority"

// internalVars are the names ansible-inventory deletes from every host's
// vars before printing them (cli/inventory.py INTERNAL_VARS), even when
// the inventory sets them itself.
var internalVars = map[string]bool{
	"ansible_diff_mode":         true,
	"ansible_config_file":       true,
	"ansible_facts":             true,
	"ansible_forks":             true,
	"ansible_inventory_sources": true,
	"ansible_limit":             true,
	"ansible_playbook_python":   true,
	"ansible_run_tags":          true,
	"ansible_skip_tags":         true,
	"ansible_verbosity":         true,
	"ansible_version":           true,
	"inventory_dir":             true,
	"inventory_file":            true,
	"inventory_hostname":        true,
	"inventory_hostname_short":  true,
	"groups":                    true,
	"group_names":               true,
	"omit":                      true,
	"playbook_dir":              true,
}

// IsInternalVar reports whether ansible-inventory drops the var called name
// from the host vars it prints (--list, --export and --host alike).
func IsInternalVar(name string) bool { return internalVars[name] }

// Priority returns the group's ansible_group_priority read the way Ansible
// reads it, with Python's int() (pysem.Int64): 1 when unset, true/false as
// 1/0, floats truncated toward zero, strings such as " 3" or "-1_000"
// parsed. A value int() refuses (null, a list, "abc", "2.5", NaN) is an
// error, as Ansible fails to parse an inventory holding one; so is a value
// beyond int64, which Ansible would order by and kook cannot.
func (g *Group) Priority() (int64, error) {
	v, ok := g.Vars[PriorityVar]
	if !ok {
		return 1, nil
	}
	return PriorityOf(v)
}

// PriorityOf is int(v) for a value given as ansible_group_priority, as
// Group.set_variable computes it: pysem.Int64 of the value, an unsafe
// string ({"__ansible_unsafe": s}) being the string s to Python.
func PriorityOf(v any) (int64, error) {
	if d, ok := v.(Vars); ok {
		v = map[string]any(d)
	}
	if m, ok := v.(map[string]any); ok && len(m) == 1 {
		if s, ok := m["__ansible_unsafe"].(string); ok {
			v = s
		}
	}
	return pysem.Int64(v)
}

// Depths returns every group's depth as Ansible computes it: "all" is 0 and
// any other group is one more than its deepest parent. A group without a
// parent counts as a child of "all" (depth 1), as Reconcile would make it.
// Links that close a cycle are ignored, so the answer is defined for any
// graph; Validate reports the cycle.
func (inv *Inventory) Depths() map[string]int {
	return newPrecedence(inv).depth
}

// EffectiveVars returns the vars Ansible gives host, as
// `ansible-inventory --host` prints them for the inventory's sources, in
// Ansible's order (vars/manager.py with the default VARIABLE_PRECEDENCE),
// each step replacing earlier values key by key (no deep merge):
//
//  1. all's Vars, then the Vars of every other group the host is in
//     (directly or through children) by depth, ansible_group_priority and
//     name;
//  2. all's FileVars (group_vars/all), then the other groups' FileVars in
//     the same order;
//  3. the host's Vars, then its FileVars (host_vars/).
//
// ansible_group_priority is the group's priority where a source set it
// (Group.Vars) and not a var; in FileVars it is an ordinary var and sets no
// priority. The names ansible-inventory drops (IsInternalVar) are dropped.
// Memberships are taken as Reconcile would leave them, so a raw inventory
// gives the same answer as a reconciled one. Values are copies; an unknown
// host gives nil.
func (inv *Inventory) EffectiveVars(host string) Vars {
	h := inv.Hosts[host]
	if h == nil {
		return nil
	}
	p := newPrecedence(inv)
	return p.hostVars(h, inv.directGroups(host))
}

// directGroups returns the groups host is a direct member of. Scanning
// the member lists (not HasHost) keeps this free of writes, so concurrent
// readers of one inventory are safe.
func (inv *Inventory) directGroups(host string) []string {
	var direct []string
	for name, g := range inv.Groups {
		for _, m := range g.Hosts {
			if m == host {
				direct = append(direct, name)
				break
			}
		}
	}
	return direct
}

// AllEffectiveVars returns EffectiveVars for every host, computing group
// depths, ancestors and the merged vars of each distinct set of groups
// once, so it costs about as much as reading the inventory.
func (inv *Inventory) AllEffectiveVars() map[string]Vars {
	p := newPrecedence(inv)
	direct := inv.memberOf()
	out := make(map[string]Vars, len(inv.Hosts))
	for name, h := range inv.Hosts {
		out[name] = p.hostVars(h, direct[name])
	}
	return out
}

// memberOf returns, for every host in some group, its direct groups.
func (inv *Inventory) memberOf() map[string][]string {
	direct := make(map[string][]string, len(inv.Hosts))
	for name, g := range inv.Groups {
		for _, m := range g.Hosts {
			direct[m] = append(direct[m], name)
		}
	}
	return direct
}

// precedence holds what is shared by all hosts of one inventory.
type precedence struct {
	inv       *Inventory
	parents   map[string][]string
	depth     map[string]int
	priority  map[string]int64
	ancestors map[string][]string // group and its ancestors, "all" left out
	merged    map[string]Vars     // group vars merged, by key of direct groups
	carried   map[string]Vars     // what OneLayer carries, by key of direct groups
	rules     *carryRules         // built by carryIndex when first needed
}

func newPrecedence(inv *Inventory) *precedence {
	p := &precedence{
		inv:       inv,
		parents:   make(map[string][]string, len(inv.Groups)),
		depth:     make(map[string]int, len(inv.Groups)),
		priority:  make(map[string]int64, len(inv.Groups)),
		ancestors: map[string][]string{},
		merged:    map[string]Vars{},
		carried:   map[string]Vars{},
	}
	for name, g := range inv.Groups {
		for _, c := range g.Children {
			p.parents[c] = append(p.parents[c], name)
		}
		if pr, err := g.Priority(); err == nil {
			p.priority[name] = pr
		} else {
			p.priority[name] = 1 // Ansible refuses such an inventory; Validate says so
		}
	}
	state := make(map[string]uint8, len(inv.Groups)) // 1 visiting, 2 done
	var visit func(string) int
	visit = func(n string) int {
		switch state[n] {
		case 1:
			return -1 // closes a cycle
		case 2:
			return p.depth[n]
		}
		state[n] = 1
		d := 0
		if n != All {
			d = 1
			for _, par := range p.parents[n] {
				if pd := visit(par); pd >= 0 && pd+1 > d {
					d = pd + 1
				}
			}
		}
		state[n] = 2
		p.depth[n] = d
		return d
	}
	for name := range inv.Groups {
		visit(name)
	}
	return p
}

// ancestorsOf returns g and every group above it except "all".
func (p *precedence) ancestorsOf(g string) []string {
	if a, ok := p.ancestors[g]; ok {
		return a
	}
	p.ancestors[g] = nil // a cycle back to g adds nothing new
	seen := map[string]bool{g: true}
	out := []string{g}
	for _, par := range p.parents[g] {
		if par == All {
			continue
		}
		for _, a := range p.ancestorsOf(par) {
			if !seen[a] {
				seen[a] = true
				out = append(out, a)
			}
		}
	}
	if g == All {
		out = nil
	}
	p.ancestors[g] = out
	return out
}

// hostVars merges the vars of host h, a direct member of the groups direct.
func (p *precedence) hostVars(h *Host, direct []string) Vars {
	merged := p.mergedFor(p.memberships(direct))
	out := make(Vars, len(merged)+len(h.Vars)+len(h.FileVars))
	for k, v := range merged {
		out[k] = CopyValue(v)
	}
	for _, layer := range []Vars{h.Vars, h.FileVars} {
		for k, v := range layer {
			if !internalVars[k] {
				out[k] = CopyValue(v)
			}
		}
	}
	return out
}

// mergedFor returns the group vars of a host in groups (as memberships
// returns them), merged once per distinct set; not to be modified.
func (p *precedence) mergedFor(groups []string) Vars {
	key := strings.Join(groups, "\x00")
	merged, ok := p.merged[key]
	if !ok {
		merged = p.groupVars(p.sorted(groups))
		p.merged[key] = merged
	}
	return merged
}

// memberships returns the host's direct groups as Reconcile leaves them,
// sorted: "all" is implied, a host in no other group is in "ungrouped", and
// a host in "ungrouped" and another group is not in "ungrouped".
func (p *precedence) memberships(direct []string) []string {
	out := make([]string, 0, len(direct))
	for _, g := range direct {
		if g != All && g != Ungrouped {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		out = append(out, Ungrouped)
	}
	sort.Strings(out)
	return out
}

// sorted returns the given groups and their ancestors, "all" left out, in
// Ansible's order (inventory/helpers.py sort_groups): depth, priority, name.
func (p *precedence) sorted(direct []string) []string {
	seen := map[string]bool{}
	var groups []string
	for _, d := range direct {
		for _, a := range p.ancestorsOf(d) {
			if !seen[a] {
				seen[a] = true
				groups = append(groups, a)
			}
		}
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if p.depth[a] != p.depth[b] {
			return p.depth[a] < p.depth[b]
		}
		if p.priority[a] != p.priority[b] {
			return p.priority[a] < p.priority[b]
		}
		return a < b
	})
	return groups
}

// groupVars merges the group vars of "all" and the sorted groups as
// Ansible merges a source's vars and its vars files: every group's Vars
// (where ansible_group_priority is no var), then every group's FileVars.
func (p *precedence) groupVars(groups []string) Vars {
	out := Vars{}
	order := append([]string{All}, groups...)
	for _, file := range []bool{false, true} {
		for _, name := range order {
			g := p.inv.Groups[name]
			if g == nil {
				continue
			}
			vars := g.Vars
			if file {
				vars = g.FileVars
			}
			for k, v := range vars {
				if !internalVars[k] && (file || k != PriorityVar) {
					out[k] = v
				}
			}
		}
	}
	return out
}
