package ansible

import (
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// ParseArchive reads the archive the original Python Kook's `kook dump`
// writes:
//
//	{"__meta__": {"groups": "/kook/group", "hosts": "/kook/host"},
//	 "/kook/group": {NAME: {"vars": {}, "members": [PATH], "groups": [PATH], "host_vars": {HOST: {}}}},
//	 "/kook/host":  {NAME: {"vars": {}, "groups": [PATH]}}}
//
// where a PATH is a host or group key under the prefixes __meta__ names.
// A group's members are its hosts and child groups, its groups its
// parents; a host's groups are the groups it belongs to. The archive
// records every link twice and the two records may disagree: the result
// holds the union, with one warning per link recorded only once. A group's
// host_vars are vars of that host, under the host's own vars, which win.
//
// Groups are created in the archive's order, then hosts; a group's hosts
// and children keep the order of its members, links known only from the
// other side follow in the order they are met.
func ParseArchive(file string, data []byte, opts ReadOptions) (*kook.Inventory, error) {
	warn := opts.Warn
	top, serr := decodeJSONDocument(data)
	if serr != nil {
		return nil, jsonSyntaxErr(file, data, serr)
	}
	a := &archiveParser{file: file, data: data, inv: kook.New(), warn: warn}
	if err := a.parse(top); err != nil {
		return nil, err
	}
	return a.inv, nil
}

type archiveParser struct {
	file string
	data []byte
	inv  *kook.Inventory
	warn Warner

	groupPrefix, hostPrefix string
}

// archiveEntry is one group or host of the archive, fields looked up.
type archiveEntry struct {
	name string
	off  int
	obj  *jsonObject
}

func (a *archiveParser) errAt(off int, format string, args ...any) error {
	return errorf(a.file, jsonLineAt(a.data, off), format, args...)
}

func (a *archiveParser) parse(top any) error {
	obj, ok := top.(*jsonObject)
	if !ok {
		return a.errAt(0, "a kook archive is a JSON object, not a %s", jsonPyTypeName(top))
	}
	metaV, metaOff, ok := obj.get("__meta__")
	if !ok {
		return a.errAt(0, "not a kook archive: no \"__meta__\" key")
	}
	meta, ok := metaV.(*jsonObject)
	if !ok {
		return a.errAt(metaOff, "\"__meta__\" must be an object")
	}
	var err error
	if a.groupPrefix, err = a.metaPrefix(meta, "groups", metaOff); err != nil {
		return err
	}
	if a.hostPrefix, err = a.metaPrefix(meta, "hosts", metaOff); err != nil {
		return err
	}
	if a.groupPrefix == a.hostPrefix {
		return a.errAt(metaOff, "\"__meta__\" names the same prefix %s for groups and hosts", a.groupPrefix)
	}
	groups, err := a.section(obj, a.groupPrefix)
	if err != nil {
		return err
	}
	hosts, err := a.section(obj, a.hostPrefix)
	if err != nil {
		return err
	}

	inv := a.inv
	for _, g := range groups {
		if g.name == "" {
			return a.errAt(g.off, "empty group name")
		}
		inv.AddGroup(g.name)
	}
	for _, h := range hosts {
		if h.name == "" {
			return a.errAt(h.off, "empty host name")
		}
		inv.AddHost(h.name)
	}

	// Links as each side records them.
	type link struct{ group, member string }
	memberHosts := map[link]bool{}  // group lists host
	memberGroups := map[link]bool{} // parent lists child
	hostGroups := map[link]bool{}   // host lists group
	groupParents := map[link]bool{} // child lists parent
	for _, g := range groups {
		paths, err := a.paths(g, "members")
		if err != nil {
			return err
		}
		for _, p := range paths {
			switch {
			case p.kind == a.hostPrefix:
				inv.AddMember(g.name, p.name)
				memberHosts[link{g.name, p.name}] = true
			default:
				if err := a.addChild(g.name, p.name, p.off); err != nil {
					return err
				}
				memberGroups[link{g.name, p.name}] = true
			}
		}
	}
	for _, g := range groups {
		paths, err := a.paths(g, "groups")
		if err != nil {
			return err
		}
		for _, p := range paths {
			if p.kind != a.groupPrefix {
				return a.errAt(p.off, "group %s lists %s among its parent groups, which is not a group", g.name, p.path)
			}
			groupParents[link{p.name, g.name}] = true
			if !memberGroups[link{p.name, g.name}] {
				a.warn.warn("kook archive: group %s lists %s as its parent, but %s does not list it as a member; keeping the link", g.name, p.name, p.name)
				if err := a.addChild(p.name, g.name, p.off); err != nil {
					return err
				}
			}
		}
	}
	for _, h := range hosts {
		paths, err := a.paths(h, "groups")
		if err != nil {
			return err
		}
		for _, p := range paths {
			if p.kind != a.groupPrefix {
				return a.errAt(p.off, "host %s lists %s among its groups, which is not a group", h.name, p.path)
			}
			hostGroups[link{p.name, h.name}] = true
			if !memberHosts[link{p.name, h.name}] {
				a.warn.warn("kook archive: host %s lists group %s, but %s does not list it as a member; keeping the membership", h.name, p.name, p.name)
				inv.AddMember(p.name, h.name)
			}
		}
	}
	for _, g := range groups {
		for _, m := range inv.Groups[g.name].Hosts {
			if !hostGroups[link{g.name, m}] {
				a.warn.warn("kook archive: group %s lists host %s as a member, but %s does not list the group; keeping the membership", g.name, m, m)
			}
		}
		for _, c := range inv.Groups[g.name].Children {
			if memberGroups[link{g.name, c}] && !groupParents[link{g.name, c}] {
				a.warn.warn("kook archive: group %s lists group %s as a member, but %s does not list it as a parent; keeping the link", g.name, c, c)
			}
		}
	}

	// Vars: group vars, then the groups' host_vars, then the hosts' own.
	for _, g := range groups {
		vars, err := a.vars(g, "vars")
		if err != nil {
			return err
		}
		grp := inv.Groups[g.name]
		for i, k := range vars.keys {
			if err := jsonSetGroupVar(grp, k, jsonValue(vars.vals[i])); err != nil {
				return a.errAt(vars.offs[i], "%v", err)
			}
		}
	}
	for _, g := range groups {
		hv, err := a.vars(g, "host_vars")
		if err != nil {
			return err
		}
		for i, host := range hv.keys {
			vars, ok := hv.vals[i].(*jsonObject)
			if !ok {
				return a.errAt(hv.offs[i], "group %s: host_vars of %s must be an object", g.name, host)
			}
			if host == "" {
				return a.errAt(hv.offs[i], "group %s: host_vars for an empty host name", g.name)
			}
			if _, known := inv.Hosts[host]; !known {
				a.warn.warn("kook archive: group %s holds host_vars for %s, which is not a host; ignoring them", g.name, host)
				continue
			}
			h := inv.Hosts[host]
			for j, k := range vars.keys {
				h.Vars[k] = jsonValue(vars.vals[j])
			}
		}
	}
	for _, hst := range hosts {
		vars, err := a.vars(hst, "vars")
		if err != nil {
			return err
		}
		h := inv.Hosts[hst.name]
		for i, k := range vars.keys {
			h.Vars[k] = jsonValue(vars.vals[i])
		}
	}
	return nil
}

func (a *archiveParser) addChild(parent, child string, off int) error {
	if parent == child {
		return a.errAt(off, "can't add group to itself")
	}
	if err := a.inv.AddChild(parent, child); err != nil {
		return a.errAt(off, "%v", err)
	}
	return nil
}

func (a *archiveParser) metaPrefix(meta *jsonObject, key string, metaOff int) (string, error) {
	v, off, ok := meta.get(key)
	if !ok {
		return "", a.errAt(metaOff, "\"__meta__\" has no %q prefix", key)
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", a.errAt(off, "\"__meta__\".%s must be a non-empty string", key)
	}
	return strings.TrimSuffix(s, "/"), nil
}

// section returns the entries under one prefix key, in document order; a
// missing section is empty.
func (a *archiveParser) section(top *jsonObject, prefix string) ([]archiveEntry, error) {
	v, off, ok := top.get(prefix)
	if !ok {
		return nil, nil
	}
	obj, ok := v.(*jsonObject)
	if !ok {
		return nil, a.errAt(off, "%q must be an object", prefix)
	}
	out := make([]archiveEntry, len(obj.keys))
	for i, name := range obj.keys {
		e, ok := obj.vals[i].(*jsonObject)
		if !ok {
			return nil, a.errAt(obj.offs[i], "%s/%s must be an object", prefix, name)
		}
		out[i] = archiveEntry{name: name, off: obj.offs[i], obj: e}
	}
	return out, nil
}

// archivePath is one PATH of a members or groups list.
type archivePath struct {
	path, kind, name string
	off              int
}

func (a *archiveParser) paths(e archiveEntry, key string) ([]archivePath, error) {
	v, off, ok := e.obj.get(key)
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.(*jsonArray)
	if !ok {
		return nil, a.errAt(off, "%s of %s must be a list", key, e.name)
	}
	out := make([]archivePath, 0, len(list.vals))
	for i, el := range list.vals {
		s, ok := el.(string)
		if !ok {
			return nil, a.errAt(list.offs[i], "%s of %s: %s is not a path", key, e.name, jsonPyRepr(el))
		}
		p := archivePath{path: s, off: list.offs[i]}
		// The longer prefix first, in case one prefix contains the other.
		prefixes := []string{a.hostPrefix, a.groupPrefix}
		if len(a.groupPrefix) > len(a.hostPrefix) {
			prefixes[0], prefixes[1] = prefixes[1], prefixes[0]
		}
		for _, prefix := range prefixes {
			if strings.HasPrefix(s, prefix+"/") && len(s) > len(prefix)+1 {
				p.kind, p.name = prefix, s[len(prefix)+1:]
				break
			}
		}
		if p.kind == "" {
			return nil, a.errAt(list.offs[i], "%s of %s: %q is neither under %s/ nor under %s/", key, e.name, s, a.hostPrefix, a.groupPrefix)
		}
		out = append(out, p)
	}
	return out, nil
}

// vars returns an entry's vars object (empty when absent or null).
func (a *archiveParser) vars(e archiveEntry, key string) (*jsonObject, error) {
	v, off, ok := e.obj.get(key)
	if !ok || v == nil {
		return &jsonObject{}, nil
	}
	obj, ok := v.(*jsonObject)
	if !ok {
		return nil, a.errAt(off, "%s of %s must be an object", key, e.name)
	}
	return obj, nil
}
