package kook

import "sort"

// LayerSource names the layer of vars set by the inventory source itself
// (INI inline and [g:vars], YAML vars:, the script protocol's vars), the
// only layer kook keeps apart today.
const LayerSource = "source"

// VarOrigin is one place that sets a var for a host: the host itself or
// one of its groups, in a layer, with the value it sets there.
type VarOrigin struct {
	Kind  string // KindHost or KindGroup
	Name  string
	Layer string // LayerSource
	Value any
}

// VarExplanation says where one effective var of a host comes from: From
// sets the value the host gets, and Overrode lists the places whose values
// it replaced, the one it replaced directly first.
type VarExplanation struct {
	Key      string
	Value    any
	From     VarOrigin
	Overrode []VarOrigin
}

// ExplainVars returns, for every var of EffectiveVars(host), in key order,
// where its value comes from and which values it won over, following
// Ansible's order exactly as EffectiveVars does: all, the other groups by
// depth, ansible_group_priority and name, then the host. An unknown host
// gives nil. Values are the inventory's own, not copies.
func (inv *Inventory) ExplainVars(host string) []VarExplanation {
	h := inv.Hosts[host]
	if h == nil {
		return nil
	}
	direct := inv.directGroups(host)
	p := newPrecedence(inv)
	seen := map[string][]VarOrigin{} // in the order applied
	add := func(kind, name string, vars Vars) {
		for k, v := range vars {
			if internalVars[k] || (kind == KindGroup && k == PriorityVar) {
				continue
			}
			seen[k] = append(seen[k], VarOrigin{Kind: kind, Name: name, Layer: LayerSource, Value: v})
		}
	}
	if g := inv.Groups[All]; g != nil {
		add(KindGroup, All, g.Vars)
	}
	for _, name := range p.sorted(p.memberships(direct)) {
		if g := inv.Groups[name]; g != nil {
			add(KindGroup, name, g.Vars)
		}
	}
	add(KindHost, host, h.Vars)
	out := make([]VarExplanation, 0, len(seen))
	for k, list := range seen {
		last := len(list) - 1
		e := VarExplanation{Key: k, Value: list[last].Value, From: list[last]}
		for i := last - 1; i >= 0; i-- {
			e.Overrode = append(e.Overrode, list[i])
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
