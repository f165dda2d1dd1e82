package kook

// DiffSummary returns Changes(Diff(old, new)).Summary() without building
// the change list: an import of a large fleet into an empty root would
// otherwise allocate one Change per var, member and child only to count
// them.
func DiffSummary(old, new *Inventory) Summary {
	var s Summary
	for name, o := range old.Hosts {
		n, ok := new.Hosts[name]
		switch {
		case !ok:
			s.HostsRemoved++
		case !EqualVars(o.Vars, n.Vars) || !EqualVars(o.FileVars, n.FileVars):
			s.HostsChanged++
		}
	}
	for name := range new.Hosts {
		if _, ok := old.Hosts[name]; !ok {
			s.HostsAdded++
		}
	}
	for name, o := range old.Groups {
		n, ok := new.Groups[name]
		switch {
		case !ok:
			s.GroupsRemoved++
		case !equalStrings(o.Hosts, n.Hosts) || !equalStrings(o.Children, n.Children) || !EqualVars(o.Vars, n.Vars) || !EqualVars(o.FileVars, n.FileVars):
			s.GroupsChanged++
		}
	}
	for name := range new.Groups {
		if _, ok := old.Groups[name]; !ok {
			s.GroupsAdded++
		}
	}
	return s
}
