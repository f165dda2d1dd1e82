package kook

// GroupHosts returns the hosts the Ansible pattern naming group matches:
// the direct hosts of the group and of every group below it, each once,
// the group's own first, then level by level down its children in link
// order (Ansible walks the same levels; within a level below the first it
// follows no fixed order). An unknown group gives nil.
func (inv *Inventory) GroupHosts(group string) []string {
	if inv.Groups[group] == nil {
		return nil
	}
	var out []string
	seenHost := map[string]bool{}
	seenGroup := map[string]bool{group: true}
	level := []string{group}
	for len(level) > 0 {
		var next []string
		for _, name := range level {
			g := inv.Groups[name]
			for _, h := range g.Hosts {
				if !seenHost[h] {
					seenHost[h] = true
					out = append(out, h)
				}
			}
			for _, c := range g.Children {
				if !seenGroup[c] && inv.Groups[c] != nil {
					seenGroup[c] = true
					next = append(next, c)
				}
			}
		}
		level = next
	}
	return out
}
