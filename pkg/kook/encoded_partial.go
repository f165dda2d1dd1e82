package kook

import (
	"bytes"
	"fmt"
	"sort"
)

// Partial decodes part of e: every group, with its vars (both layers),
// hosts and children, but no host; DecodeHosts adds the hosts wanted. Group.Hosts
// still lists every member, so GroupHosts of any group, and
// EffectiveVarsOf and ExplainVars of the decoded hosts, answer as on the
// whole inventory, at the cost of decoding the groups and those hosts
// only: at 100,000 hosts, decoding every host's vars is most of what a
// full read costs. Hosts and Children slices are shared with e. decode
// turns a canonical vars object into Vars; nil means DecodeJSON (a store
// offers a faster one).
func (e *Encoded) Partial(decode func([]byte) (Vars, error)) (*Inventory, error) {
	if decode == nil {
		decode = decodeVars
	}
	inv := &Inventory{Hosts: map[string]*Host{}, Groups: make(map[string]*Group, len(e.Groups))}
	for _, g := range e.Groups {
		vars, file, err := decodeLayers(g.Vars, g.FileVars, decode)
		if err != nil {
			return nil, fmt.Errorf("group %s: %w", quoteName(g.Name), err)
		}
		inv.Groups[g.Name] = &Group{Name: g.Name, Vars: vars, FileVars: file, Hosts: g.Hosts, Children: g.Children}
	}
	return inv, nil
}

// decodeLayers decodes a host's or group's vars (never nil) and its
// vars-file layer (nil when it has none).
func decodeLayers(vars, file []byte, decode func([]byte) (Vars, error)) (Vars, Vars, error) {
	v, err := decode(vars)
	if err != nil {
		return nil, nil, err
	}
	if v == nil {
		v = Vars{}
	}
	if len(file) == 0 || bytes.Equal(file, emptyVars) {
		return v, nil, nil
	}
	f, err := decode(file)
	if err != nil {
		return nil, nil, fmt.Errorf("vars files: %w", err)
	}
	return v, f, nil
}

// DecodeHosts adds to inv, a Partial of e, the hosts of e named in hosts
// with their vars (both layers), decoded as Partial does; names e lacks are left out.
func (e *Encoded) DecodeHosts(inv *Inventory, hosts []string, decode func([]byte) (Vars, error)) error {
	if decode == nil {
		decode = decodeVars
	}
	for _, name := range hosts {
		i := sort.Search(len(e.Hosts), func(i int) bool { return e.Hosts[i].Name >= name })
		if i == len(e.Hosts) || e.Hosts[i].Name != name {
			continue
		}
		vars, file, err := decodeLayers(e.Hosts[i].Vars, e.Hosts[i].FileVars, decode)
		if err != nil {
			return fmt.Errorf("host %s: %w", quoteName(name), err)
		}
		inv.Hosts[name] = &Host{Name: name, Vars: vars, FileVars: file}
	}
	return nil
}
