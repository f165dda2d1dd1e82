package kook

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kook-project/kook/internal/pysem"
)

// Warnings Validate returns, worded as Ansible words them.
const (
	// WarnInvalidGroupChars is Ansible's warning (given once) when a group
	// name holds characters that are not valid in a variable name.
	WarnInvalidGroupChars = "Invalid characters were found in group names but not replaced, use -vvvv to see details"
	// WarnSameName is Ansible's warning for a name used by both a group and
	// a host; %s is the name.
	WarnSameName = "Found both group and host with same name: %s"
)

// Validate checks the graph as Ansible would. It returns an error, joining
// every problem found, when the graph breaks a rule Ansible or kook relies
// on: a cycle in children (named as "group cycle: a -> b -> a"), "all" as
// somebody's child, a member or child naming a host or group that does not
// exist, an empty host or group name, a map key that differs from the
// entry's name, a duplicate member or child, an ansible_group_priority
// that is not an integer, or a var value outside kook's value set.
//
// The warnings are those Ansible prints for the same inventory, in the
// order it prints them: invalid characters in group names (once), then
// one "Found both group and host with same name" per name, sorted.
// Validate accepts a raw inventory as well as a reconciled one; problems
// are reported in a deterministic order.
func (inv *Inventory) Validate() (warnings []string, err error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	for _, name := range []string{All, Ungrouped} {
		if inv.Groups[name] == nil {
			bad("group %q is missing", name)
		}
	}
	// Hosts are looked at in name order, for the order of the problems,
	// only when a first pass in map order finds one: sorting a large
	// fleet's names and each host's keys cost more than the checks.
	var hostNames []string
	if !inv.hostsValid() {
		hostNames = inv.HostNames()
	}
	for _, name := range hostNames {
		h := inv.Hosts[name]
		switch {
		case h == nil:
			bad("host %q is nil", name)
			continue
		case name == "":
			bad("empty host name")
		case h.Name != name:
			bad("host %q is stored under the name %q", h.Name, name)
		}
		for _, k := range sortedKeys(h.Vars) {
			if err := checkValue(h.Vars[k]); err != nil {
				bad("host %q: var %q: %v", name, k, err)
			}
		}
		for _, k := range sortedKeys(h.FileVars) {
			if err := checkValue(h.FileVars[k]); err != nil {
				bad("host %q: host_vars %q: %v", name, k, err)
			}
		}
	}
	groupNames := inv.GroupNames()
	for _, name := range groupNames {
		g := inv.Groups[name]
		switch {
		case g == nil:
			bad("group %q is nil", name)
			continue
		case name == "":
			bad("empty group name")
		case g.Name != name:
			bad("group %q is stored under the name %q", g.Name, name)
		}
		for _, k := range sortedKeys(g.Vars) {
			if err := checkValue(g.Vars[k]); err != nil {
				bad("group %q: var %q: %v", name, k, err)
			}
		}
		for _, k := range sortedKeys(g.FileVars) {
			if err := checkValue(g.FileVars[k]); err != nil {
				bad("group %q: group_vars %q: %v", name, k, err)
			}
		}
		if _, perr := g.Priority(); perr != nil {
			bad("group %q: %s: %v", name, PriorityVar, perr)
		}
		seen := make(map[string]bool, len(g.Hosts))
		for _, m := range g.Hosts {
			switch {
			case seen[m]:
				bad("group %q lists host %q twice", name, m)
			case inv.Hosts[m] == nil:
				bad("group %q lists host %q, which does not exist", name, m)
			}
			seen[m] = true
		}
		seen = make(map[string]bool, len(g.Children))
		for _, c := range g.Children {
			switch {
			case seen[c]:
				bad("group %q lists child %q twice", name, c)
			case inv.Groups[c] == nil:
				bad("group %q lists child %q, which does not exist", name, c)
			case c == All:
				bad("group %q cannot be a child of %q", All, name)
			}
			seen[c] = true
		}
	}
	for _, cycle := range inv.cycles(groupNames) {
		bad("group cycle: %s", strings.Join(cycle, " -> "))
	}

	for _, name := range groupNames {
		if invalidGroupName(name) {
			warnings = append(warnings, WarnInvalidGroupChars)
			break
		}
	}
	for _, name := range groupNames {
		if _, ok := inv.Hosts[name]; ok {
			warnings = append(warnings, fmt.Sprintf(WarnSameName, name))
		}
	}
	return warnings, errors.Join(errs...)
}

// hostsValid reports whether Validate's checks of the hosts themselves
// (names, values) all pass, without sorting or allocating anything.
func (inv *Inventory) hostsValid() bool {
	for name, h := range inv.Hosts {
		if h == nil || name == "" || h.Name != name {
			return false
		}
		for _, v := range h.Vars {
			if !validValue(v) {
				return false
			}
		}
		for _, v := range h.FileVars {
			if !validValue(v) {
				return false
			}
		}
	}
	return true
}

// validValue reports whether checkValue accepts v.
func validValue(v any) bool {
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return true
	case []any:
		for _, e := range x {
			if !validValue(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !validValue(e) {
				return false
			}
		}
		return true
	}
	return false
}

// cycles returns one cycle per link that closes one, found by walking
// groups in name order and children in link order. Each cycle starts and
// ends with the same group.
func (inv *Inventory) cycles(groupNames []string) [][]string {
	const (
		visiting = 1
		done     = 2
	)
	state := make(map[string]uint8, len(inv.Groups))
	var path []string
	var out [][]string
	var walk func(string)
	walk = func(n string) {
		state[n] = visiting
		path = append(path, n)
		if g := inv.Groups[n]; g != nil {
			for _, c := range g.Children {
				switch state[c] {
				case visiting:
					i := len(path) - 1
					for path[i] != c {
						i--
					}
					cycle := append(append([]string(nil), path[i:]...), c)
					out = append(out, cycle)
				case 0:
					if inv.Groups[c] != nil {
						walk(c)
					}
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = done
	}
	for _, n := range groupNames {
		if state[n] == 0 {
			walk(n)
		}
	}
	return out
}

// invalidGroupName reports whether Ansible's INVALID_VARIABLE_NAMES
// matches name (pysem.InvalidVariableName).
func invalidGroupName(name string) bool { return pysem.InvalidVariableName(name) }

// checkValue reports a value outside kook's value set, which the rest of
// kook (EqualValues, AppendJSON) does not handle.
func checkValue(v any) error {
	switch x := v.(type) {
	case nil, bool, int64, float64, string:
		return nil
	case []any:
		for i, e := range x {
			if err := checkValue(e); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := checkValue(x[k]); err != nil {
				return fmt.Errorf("[%q]: %w", k, err)
			}
		}
		return nil
	}
	return fmt.Errorf("value of type %T cannot be stored in an inventory", v)
}
