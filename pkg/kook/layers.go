package kook

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// The script protocol, and any single inventory file, has one layer of
// group vars, the inventory source's; Ansible keeps the vars of
// group_vars/ files in a second layer above every source var (see
// EffectiveVars). OneLayer folds the second layer into the first and, where
// folding alone would let a source var win, carries the winning value as
// the host's own var.

// HasFileVars reports whether any host or group has vars from vars files.
func (inv *Inventory) HasFileVars() bool {
	for _, g := range inv.Groups {
		if len(g.FileVars) > 0 {
			return true
		}
	}
	for _, h := range inv.Hosts {
		if len(h.FileVars) > 0 {
			return true
		}
	}
	return false
}

// OneLayer returns the inventory as one layer of vars can hold it, which is
// what the script protocol and every single inventory file can say: each
// group's FileVars set over its Vars (an ansible_group_priority among them
// left out, since in a source it would set the group's priority), each
// host's FileVars over its Vars, and, for every host and key where a
// vars-file value would then lose to another group's source var (a deeper
// or higher-priority group's, or any group's against group_vars/all, or
// an ansible_group_priority from a vars file), the value EffectiveVars
// gives the host set as the host's own var. Ansible reading the result
// gives every host exactly the vars EffectiveVars gives it. carried
// counts those host/key pairs. An inventory without FileVars is returned
// as it is; otherwise the result is a copy and has no FileVars.
func (inv *Inventory) OneLayer() (out *Inventory, carried int) {
	if !inv.HasFileVars() {
		return inv, 0
	}
	out = inv.Clone()
	var p *precedence
	var direct map[string][]string
	for _, g := range out.Groups {
		if len(g.FileVars) > 0 {
			if p == nil {
				p = newPrecedence(inv)
			}
			g.Vars = foldGroupVars(g.Vars, g.FileVars)
			g.FileVars = nil
		}
	}
	if p != nil && p.carryIndex().any() {
		direct = inv.memberOf()
	} else {
		p = nil
	}
	for name, h := range out.Hosts {
		var c Vars
		if p != nil {
			c = p.carry(direct[name])
		}
		var n int
		h.Vars, n = foldHostVars(h.Vars, h.FileVars, c)
		h.FileVars = nil
		carried += n
	}
	return out, carried
}

// foldGroupVars returns a group's vars with its file vars set over them,
// leaving out a vars file's ansible_group_priority.
func foldGroupVars(vars, file Vars) Vars {
	out := make(Vars, len(vars)+len(file))
	for k, v := range vars {
		out[k] = v
	}
	for k, v := range file {
		if k != PriorityVar {
			out[k] = v
		}
	}
	return out
}

// foldHostVars returns a host's vars in one layer: carried, then its own
// vars, then its file vars; n counts the carried keys the host does not
// set itself.
func foldHostVars(vars, file, carried Vars) (out Vars, n int) {
	if len(file) == 0 && len(carried) == 0 {
		return vars, 0
	}
	out = make(Vars, len(vars)+len(file)+len(carried))
	for k, v := range carried {
		_, inVars := vars[k]
		_, inFile := file[k]
		if !inVars && !inFile {
			out[k] = CopyValue(v)
			n++
		}
	}
	for k, v := range vars {
		out[k] = v
	}
	for k, v := range file {
		out[k] = v
	}
	return out, n
}

// carry returns what a host in the direct groups must carry as its own
// vars: each key where the two-layer merge of its groups' vars and the
// one-layer merge disagree, with the two-layer value. Most hosts are
// cleared without a merge by the flags carryIndex computes per group.
func (p *precedence) carry(direct []string) Vars {
	ci := p.carryIndex()
	groups := p.memberships(direct)
	file, hits := ci.allFile, ci.allHits
	for _, g := range groups {
		file = file || ci.file[g]
		hits = hits || ci.hits[g]
	}
	if !file || !hits {
		return nil
	}
	key := strings.Join(groups, "\x00")
	if c, ok := p.carried[key]; ok {
		return c
	}
	order := []*Group{p.inv.Groups[All]}
	for _, name := range p.sorted(groups) {
		order = append(order, p.inv.Groups[name])
	}
	var c Vars
	for _, k := range ci.keys {
		// The last group with k in a vars file gives the two-layer value;
		// the last with k in either layer the one-layer value, which is
		// the same one unless a source var comes later. A vars file's
		// ansible_group_priority is left out of the one layer.
		fileAt, anyAt := -1, -1
		for i := len(order) - 1; i >= 0 && (fileAt < 0 || anyAt < 0); i-- {
			g := order[i]
			if g == nil {
				continue
			}
			_, inFile := g.FileVars[k]
			_, inSrc := g.Vars[k]
			if fileAt < 0 && inFile {
				fileAt = i
			}
			if anyAt < 0 && ((inFile && k != PriorityVar) || (inSrc && k != PriorityVar)) {
				anyAt = i
			}
		}
		if fileAt < 0 || anyAt == fileAt {
			continue
		}
		want := order[fileAt].FileVars[k]
		if anyAt >= 0 {
			g := order[anyAt]
			got, inFile := g.FileVars[k]
			if !inFile {
				got = g.Vars[k]
			}
			if EqualValues(got, want) {
				continue
			}
		}
		if c == nil {
			c = Vars{}
		}
		c[k] = want
	}
	p.carried[key] = c
	return c
}

// carryRules tells which hosts may carry anything: a host carries a key
// only when a vars file of one of its groups (or all's) sets it and a
// source var of a later group can shadow it, or when a vars file sets
// ansible_group_priority.
type carryRules struct {
	keys    []string        // the keys vars files set, sorted
	file    map[string]bool // the group or one above it has vars-file vars
	hits    map[string]bool // ...a source var of one of keys, or a file's priority
	allFile bool            // all has vars-file vars
	allHits bool            // all's vars file sets ansible_group_priority
}

// any reports whether some host may carry something.
func (r *carryRules) any() bool {
	if !r.allHits {
		for _, h := range r.hits {
			if h {
				return true
			}
		}
		return false
	}
	return true
}

func (p *precedence) carryIndex() *carryRules {
	if p.rules != nil {
		return p.rules
	}
	r := &carryRules{file: map[string]bool{}, hits: map[string]bool{}}
	keys := map[string]bool{}
	for _, g := range p.inv.Groups {
		for k := range g.FileVars {
			if !internalVars[k] {
				keys[k] = true
			}
		}
	}
	r.keys = sortedKeys(keys)
	own := func(g *Group) (file, hits bool) {
		_, hits = g.FileVars[PriorityVar]
		for k := range g.Vars {
			if k != PriorityVar && keys[k] {
				hits = true
				break
			}
		}
		return len(g.FileVars) > 0, hits
	}
	ownFile := make(map[string]bool, len(p.inv.Groups))
	ownHits := make(map[string]bool, len(p.inv.Groups))
	for name, g := range p.inv.Groups {
		ownFile[name], ownHits[name] = own(g)
	}
	for name := range p.inv.Groups {
		for _, a := range p.ancestorsOf(name) {
			r.file[name] = r.file[name] || ownFile[a]
			r.hits[name] = r.hits[name] || ownHits[a]
		}
	}
	if all := p.inv.Groups[All]; all != nil {
		r.allFile = len(all.FileVars) > 0
		_, r.allHits = all.FileVars[PriorityVar]
	}
	p.rules = r
	return r
}

// OneLayer is Inventory.OneLayer for an inventory in Encoded form. It
// decodes only what it must: every group's vars when some group has file
// vars, and the vars of the hosts that have file vars or carry a value.
// Without any file vars it returns e itself at no cost. The result's
// FileVars are all nil.
func (e *Encoded) OneLayer() (out *Encoded, carried int, err error) {
	groupFiles, hostFiles := false, false
	for i := range e.Groups {
		groupFiles = groupFiles || len(e.Groups[i].FileVars) > 2
	}
	for i := range e.Hosts {
		hostFiles = hostFiles || len(e.Hosts[i].FileVars) > 2
	}
	if !groupFiles && !hostFiles {
		return e, 0, nil
	}
	out = &Encoded{Hosts: slices.Clone(e.Hosts), Groups: slices.Clone(e.Groups)}
	var p *precedence
	var direct map[string][]string
	if groupFiles {
		// The vars files' keys first: a group without vars files needs its
		// source vars decoded only when they may hold one of them or a
		// priority (its canonical JSON has `"key":`), which few do.
		files := make([]Vars, len(out.Groups))
		wanted := [][]byte{[]byte(`"` + PriorityVar + `":`)}
		seen := map[string]bool{}
		for i := range out.Groups {
			g := &out.Groups[i]
			file, err := decodeVars(g.FileVars)
			if err != nil {
				return nil, 0, fmt.Errorf("file vars of group %q: %w", g.Name, err)
			}
			files[i] = file
			for k := range file {
				if !seen[k] {
					seen[k] = true
					wanted = append(wanted, append(AppendString(nil, k), ':'))
				}
			}
		}
		skel := &Inventory{Hosts: map[string]*Host{}, Groups: make(map[string]*Group, len(e.Groups))}
		for i := range out.Groups {
			g := &out.Groups[i]
			file := files[i]
			var vars Vars
			if len(file) > 0 || containsAny(g.Vars, wanted) {
				var err error
				if vars, err = decodeVars(g.Vars); err != nil {
					return nil, 0, fmt.Errorf("vars of group %q: %w", g.Name, err)
				}
			}
			skel.Groups[g.Name] = &Group{Name: g.Name, Vars: vars, FileVars: file, Children: g.Children}
			if len(file) > 0 {
				var err error
				if g.Vars, err = AppendVars(nil, foldGroupVars(vars, file)); err != nil {
					return nil, 0, fmt.Errorf("vars of group %q: %w", g.Name, err)
				}
			}
			g.FileVars = nil
		}
		p = newPrecedence(skel)
		if !p.carryIndex().any() {
			p = nil // no host can carry anything: only host layers to fold
		} else {
			direct = make(map[string][]string, len(e.Hosts))
			for _, g := range e.Groups {
				for _, h := range g.Hosts {
					direct[h] = append(direct[h], g.Name)
				}
			}
		}
	}
	for i := range out.Hosts {
		h := &out.Hosts[i]
		var c Vars
		if p != nil {
			c = p.carry(direct[h.Name])
		}
		if len(c) == 0 && len(h.FileVars) <= 2 {
			h.FileVars = nil
			continue
		}
		vars, err := decodeVars(h.Vars)
		if err != nil {
			return nil, 0, fmt.Errorf("vars of host %q: %w", h.Name, err)
		}
		file, err := decodeVars(h.FileVars)
		if err != nil {
			return nil, 0, fmt.Errorf("file vars of host %q: %w", h.Name, err)
		}
		folded, n := foldHostVars(vars, file, c)
		if h.Vars, err = AppendVars(nil, folded); err != nil {
			return nil, 0, fmt.Errorf("vars of host %q: %w", h.Name, err)
		}
		h.FileVars = nil
		carried += n
	}
	return out, carried, nil
}

// containsAny reports whether data holds one of subs.
func containsAny(data []byte, subs [][]byte) bool {
	for _, sub := range subs {
		if bytes.Contains(data, sub) {
			return true
		}
	}
	return false
}

// decodeVars decodes canonical vars JSON; nil and "{}" give nil.
func decodeVars(data []byte) (Vars, error) {
	if len(data) <= 2 {
		return nil, nil
	}
	v, err := DecodeJSON(data)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("not an object")
	}
	return Vars(m), nil
}

// OneLayerHostVars returns the vars OneLayer gives host, without folding
// the whole inventory; nil for a host the inventory does not hold.
func (inv *Inventory) OneLayerHostVars(host string) Vars {
	h := inv.Hosts[host]
	if h == nil {
		return nil
	}
	var c Vars
	for _, g := range inv.Groups {
		if len(g.FileVars) > 0 {
			c = newPrecedence(inv).carry(inv.directGroups(host))
			break
		}
	}
	vars, _ := foldHostVars(h.Vars, h.FileVars, c)
	return vars
}
