package fleet

import (
	"bytes"
	"encoding/json"

	"github.com/kook-project/kook/pkg/kook"
)

// Archive writes inv as the original Python Kook's `kook dump` archive
// (the format pkg/ansible.ParseArchive reads): every group with its vars,
// members (hosts, then child groups) and parents, every host with its
// vars and groups, each link recorded on both sides as Kook records it.
// Keys come in the inventory's name order, so the output is deterministic.
// Kook had no implicit groups: "all" and "ungrouped" are left out.
func Archive(inv *kook.Inventory) []byte {
	const groups, hosts = "/kook/group", "/kook/host"
	parents := map[string][]string{} // group -> parent groups
	hostGroups := map[string][]string{}
	for _, g := range inv.GroupNames() {
		if g == kook.All || g == kook.Ungrouped {
			continue
		}
		for _, c := range inv.Groups[g].Children {
			parents[c] = append(parents[c], g)
		}
		for _, h := range inv.Groups[g].Hosts {
			hostGroups[h] = append(hostGroups[h], g)
		}
	}
	var b bytes.Buffer
	str := func(s string) {
		out, _ := json.Marshal(s)
		b.Write(out)
	}
	paths := func(prefix string, names []string) {
		b.WriteByte('[')
		for i, n := range names {
			if i > 0 {
				b.WriteByte(',')
			}
			str(prefix + "/" + n)
		}
		b.WriteByte(']')
	}
	b.WriteString(`{"__meta__": {"groups": "` + groups + `", "hosts": "` + hosts + `"}, "` + groups + `": {`)
	first := true
	for _, name := range inv.GroupNames() {
		if name == kook.All || name == kook.Ungrouped {
			continue
		}
		g := inv.Groups[name]
		if !first {
			b.WriteString(", ")
		}
		first = false
		str(name)
		b.WriteString(`: {"vars": `)
		b.Write(mustJSON(g.Vars))
		b.WriteString(`, "members": [`)
		firstMember := true
		for _, lists := range []struct {
			prefix string
			names  []string
		}{{hosts, g.Hosts}, {groups, g.Children}} {
			for _, n := range lists.names {
				if !firstMember {
					b.WriteByte(',')
				}
				firstMember = false
				str(lists.prefix + "/" + n)
			}
		}
		b.WriteString(`], "groups": `)
		paths(groups, parents[name])
		b.WriteString(`, "host_vars": {}}`)
	}
	b.WriteString(`}, "` + hosts + `": {`)
	for i, name := range inv.HostNames() {
		if i > 0 {
			b.WriteString(", ")
		}
		str(name)
		b.WriteString(`: {"vars": `)
		b.Write(mustJSON(inv.Hosts[name].Vars))
		b.WriteString(`, "groups": `)
		paths(groups, hostGroups[name])
		b.WriteByte('}')
	}
	b.WriteString("}}\n")
	return b.Bytes()
}

// mustJSON encodes a fleet's vars, which fleet itself made of kook's
// value set.
func mustJSON(vars kook.Vars) []byte {
	b, err := kook.AppendVars(nil, vars)
	if err != nil {
		panic(err)
	}
	return b
}
