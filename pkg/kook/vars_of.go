package kook

import "strings"

// EffectiveVarsOf returns EffectiveVars for each of hosts that the
// inventory holds, sharing the work among them as AllEffectiveVars does;
// the cost beyond one pass over the memberships is that of the hosts asked
// for, not of the inventory.
//
// With keys, only those keys are looked up, which is what a filter on a
// few vars needs at a fraction of the cost; the values are then the
// inventory's own, not copies.
func (inv *Inventory) EffectiveVarsOf(hosts []string, keys ...string) map[string]Vars {
	p := newPrecedence(inv)
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
	out := make(map[string]Vars, len(want))
	orders := map[string][]string{}
	for name, direct := range want {
		if len(keys) > 0 {
			out[name] = p.hostKeys(inv.Hosts[name], direct, keys, orders)
		} else {
			out[name] = p.hostVars(inv.Hosts[name], direct)
		}
	}
	return out
}

// hostKeys is hostVars for the given keys only: for each, the first place
// that sets it from the host down to "all", in reverse of Ansible's order.
// orders caches each distinct set of groups in that order.
func (p *precedence) hostKeys(h *Host, direct []string, keys []string, orders map[string][]string) Vars {
	groups := p.memberships(direct)
	key := strings.Join(groups, "\x00")
	order, ok := orders[key]
	if !ok {
		order = append([]string{All}, p.sorted(groups)...)
		orders[key] = order
	}
	out := make(Vars, len(keys))
next:
	for _, k := range keys {
		if internalVars[k] {
			continue
		}
		if v, ok := h.Vars[k]; ok {
			out[k] = v
			continue
		}
		if k == PriorityVar {
			continue // a group's priority is no var
		}
		for i := len(order) - 1; i >= 0; i-- {
			if g := p.inv.Groups[order[i]]; g != nil {
				if v, ok := g.Vars[k]; ok {
					out[k] = v
					continue next
				}
			}
		}
	}
	return out
}
