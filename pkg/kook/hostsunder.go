package kook

import "fmt"

// HostsUnder returns the hosts of group and of every group below it, each
// once, in play order: the group's own hosts, then each child's in turn,
// depth first. "all" gives every host. It fails for a group the inventory
// lacks.
func (inv *Inventory) HostsUnder(group string) ([]string, error) {
	if inv.Groups[group] == nil {
		return nil, fmt.Errorf("no group %q in the inventory", group)
	}
	var out []string
	seenHost := map[string]bool{}
	seenGroup := map[string]bool{}
	var walk func(name string)
	walk = func(name string) {
		if seenGroup[name] {
			return
		}
		seenGroup[name] = true
		g := inv.Groups[name]
		if g == nil {
			return
		}
		for _, h := range g.Hosts {
			if !seenHost[h] {
				seenHost[h] = true
				out = append(out, h)
			}
		}
		for _, c := range g.Children {
			walk(c)
		}
	}
	walk(group)
	if group == All {
		for _, h := range inv.HostNames() {
			if !seenHost[h] {
				out = append(out, h)
			}
		}
	}
	return out, nil
}
