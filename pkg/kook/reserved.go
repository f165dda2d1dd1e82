package kook

import (
	"fmt"
	"sort"
	"strings"
)

// reservedNames are the names under which kook-inventory shows
// coordination state (locks, maintenance, liveness): state, not inventory.
var reservedNames = map[string]bool{
	"kook_locked":      true, // group
	"kook_maintenance": true, // group and host var
	"kook_alive":       true, // group
	"kook_lock":        true, // host var
}

// IsReservedName reports whether name is reserved for coordination state:
// no group or var of an inventory may have it.
func IsReservedName(name string) bool { return reservedNames[name] }

// CheckReserved returns an error naming every group, host var or group
// var that uses a reserved name (see IsReservedName).
func (inv *Inventory) CheckReserved() error {
	// Maps are walked as they are: what is found is sorted at the end.
	// Every reserved name starts with "kook_", which is looked for first:
	// a large fleet has half a million var names to check.
	reserved := func(name string) bool { return strings.HasPrefix(name, "kook_") && IsReservedName(name) }
	var bad []string
	for name, g := range inv.Groups {
		if reserved(name) {
			bad = append(bad, fmt.Sprintf("group %q", name))
		}
		for k := range g.Vars {
			if reserved(k) {
				bad = append(bad, fmt.Sprintf("var %q of group %q", k, name))
			}
		}
		for k := range g.FileVars {
			if reserved(k) {
				bad = append(bad, fmt.Sprintf("var %q of group_vars/%s", k, name))
			}
		}
	}
	for name, h := range inv.Hosts {
		for k := range h.Vars {
			if reserved(k) {
				bad = append(bad, fmt.Sprintf("var %q of host %q", k, name))
			}
		}
		for k := range h.FileVars {
			if reserved(k) {
				bad = append(bad, fmt.Sprintf("var %q of host_vars/%s", k, name))
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	if len(bad) > 5 {
		bad = append(bad[:5], fmt.Sprintf("and %d more", len(bad)-5))
	}
	return fmt.Errorf("%s: the name is reserved for kook's coordination state (locks, maintenance, liveness)", strings.Join(bad, ", "))
}
