package kook

import "strings"

// EffectiveVarsOf returns EffectiveVars for each of hosts that the
// inventory holds, sharing the work among them as AllEffectiveVars does;
// the cost beyond one pass over the memberships is that of the hosts asked
// for, not of the inventory.
//
// With keys, only those keys are looked up, which is what a filter on a
// few vars needs at a fraction of the cost; the values are then the
// inventory's own, not copies. A host that sets every key itself (in its
// vars or its host_vars/ layer) needs no group, so the groups, their
// order and the pass over the memberships are worked out only for the
// hosts that lack one.
func (inv *Inventory) EffectiveVarsOf(hosts []string, keys ...string) map[string]Vars {
	if len(keys) > 0 {
		return inv.effectiveKeysOf(hosts, keys)
	}
	p := newPrecedence(inv)
	out := make(map[string]Vars, len(hosts))
	for name, direct := range inv.directGroupsOf(hosts) {
		out[name] = p.hostVars(inv.Hosts[name], direct)
	}
	return out
}

// directGroupsOf returns the direct groups of each of hosts the inventory
// holds (membership lives on groups: one pass over them).
func (inv *Inventory) directGroupsOf(hosts []string) map[string][]string {
	want := make(map[string][]string, len(hosts))
	for _, h := range hosts {
		if inv.Hosts[h] != nil {
			want[h] = nil
		}
	}
	for name, g := range inv.Groups {
		for _, m := range g.Hosts {
			if d, ok := want[m]; ok {
				want[m] = append(d, name)
			}
		}
	}
	return want
}

// effectiveKeysOf is EffectiveVarsOf with keys.
func (inv *Inventory) effectiveKeysOf(hosts []string, keys []string) map[string]Vars {
	out := make(map[string]Vars, len(hosts))
	var lacking []string
	for _, name := range hosts {
		h := inv.Hosts[name]
		if h == nil {
			continue
		}
		vars, complete := ownKeys(h, keys)
		out[name] = vars
		if !complete {
			lacking = append(lacking, name)
		}
	}
	if len(lacking) == 0 {
		return out
	}
	p := newPrecedence(inv)
	orders := map[string][]string{}
	for name, direct := range inv.directGroupsOf(lacking) {
		p.groupKeys(out[name], direct, keys, orders)
	}
	return out
}

// ownKeys returns the keys h sets itself, its host_vars/ layer winning,
// and whether that is every key a group could still set.
func ownKeys(h *Host, keys []string) (Vars, bool) {
	out := make(Vars, len(keys))
	complete := true
	for _, k := range keys {
		if internalVars[k] {
			continue
		}
		if v, ok := h.FileVars[k]; ok {
			out[k] = v
		} else if v, ok := h.Vars[k]; ok {
			out[k] = v
		} else {
			complete = false
		}
	}
	return out, complete
}

// groupKeys adds to out, which holds what the host sets itself, the keys
// it lacks from its groups: for each, the first place that sets it in
// reverse of Ansible's order (every group's vars-file layer wins over
// every group's vars, each layer from the host's deepest group up to
// "all"). orders caches each distinct set of groups in that order.
func (p *precedence) groupKeys(out Vars, direct []string, keys []string, orders map[string][]string) {
	groups := p.memberships(direct)
	key := strings.Join(groups, "\x00")
	order, ok := orders[key]
	if !ok {
		order = append([]string{All}, p.sorted(groups)...)
		orders[key] = order
	}
next:
	for _, k := range keys {
		if _, ok := out[k]; ok || internalVars[k] {
			continue
		}
		for _, file := range []bool{true, false} {
			if k == PriorityVar && !file {
				continue // a group's priority is no var
			}
			for i := len(order) - 1; i >= 0; i-- {
				g := p.inv.Groups[order[i]]
				if g == nil {
					continue
				}
				vars := g.Vars
				if file {
					vars = g.FileVars
				}
				if v, ok := vars[k]; ok {
					out[k] = v
					continue next
				}
			}
		}
	}
}
