package kook

import "fmt"

// The graph rules that writes which do not hold the whole inventory (the
// store's small writes) must apply exactly as the graph methods and
// Reconcile do. Each lives here once.

// CheckLink returns Ansible's error for linking child under parent when
// the link would close a cycle (parent is child or below it), and nil
// otherwise. children returns a group's children (nil for a group that
// does not exist).
func CheckLink(parent, child string, children func(group string) []string) error {
	if parent == child {
		return fmt.Errorf("can't add group to itself")
	}
	if reaches(child, parent, children) {
		return fmt.Errorf("Adding group '%s' as child to '%s' creates a recursive dependency loop.", child, parent)
	}
	return nil
}

// reaches reports whether to is from itself or below it.
func reaches(from, to string, children func(string) []string) bool {
	seen := map[string]bool{}
	var down func(string) bool
	down = func(n string) bool {
		if n == to {
			return true
		}
		if seen[n] {
			return false
		}
		seen[n] = true
		for _, c := range children(n) {
			if down(c) {
				return true
			}
		}
		return false
	}
	return down(from)
}

// UngroupedRule says what Reconcile does with "ungrouped" for a host,
// given whether it is in "ungrouped" and whether it is in any group other
// than "all" and "ungrouped": a host in both leaves ungrouped (leave), a
// host in neither joins it (join).
func UngroupedRule(inUngrouped, inOther bool) (leave, join bool) {
	return inUngrouped && inOther, !inUngrouped && !inOther
}

// NeedsParent reports whether Reconcile links group under "all": every
// group but "all" that has no parent.
func NeedsParent(group string, parents int) bool { return group != All && parents == 0 }
