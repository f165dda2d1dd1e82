package store

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// Every read of the whole inventory is put together here, once: --list
// takes the vars as the canonical JSON the buckets hold (encoded), Load
// and the writers decode them (inventory). Both get the same graph from
// assemble, checked the same way.

// assemble puts the scanned buckets together: hosts and groups sorted by
// name, each group's members sorted by position, then name. It checks the
// graph (every membership's group and every child exists, "all" and
// "ungrouped" are there) and raises meta.Seq past every position it saw.
// With positions it also returns each member's position: pos[i][j] is
// that of Groups[i].Hosts[j].
func (sn *snapshot) assemble(positions bool) (enc *kook.Encoded, pos [][]int64, err error) {
	nh, ng := 0, 0
	for _, b := range sn.hosts {
		nh += len(b)
	}
	for _, b := range sn.groups {
		ng += len(b)
	}
	enc = &kook.Encoded{Hosts: make([]kook.EncodedHost, nh), Groups: make([]kook.EncodedGroup, 0, ng)}
	for _, b := range sn.groups {
		enc.Groups = append(enc.Groups, b...)
	}
	slices.SortFunc(enc.Groups, func(a, b kook.EncodedGroup) int { return strings.Compare(a.Name, b.Name) })
	index := make(map[string]int32, len(enc.Groups))
	for i, g := range enc.Groups {
		index[g.Name] = int32(i)
	}

	// Each membership's group is looked up once, and each group's members
	// get their exact room in one array.
	hosts := make([]*encHost, 0, nh)
	names := make([]string, 0, nh)
	size := make([]int, len(enc.Groups))
	nm := 0
	maxPos := int64(-1 << 62)
	for _, b := range sn.hosts {
		for i := range b {
			h := &b[i]
			hosts, names = append(hosts, h), append(names, h.name)
			for j := range h.groups {
				m := &h.groups[j]
				gi, ok := index[string(m.group)]
				if !ok {
					return nil, nil, fmt.Errorf("the inventory is corrupt: host %q is in group %q, which does not exist", h.name, m.group)
				}
				m.index = gi
				size[gi]++
				maxPos = max(maxPos, m.pos)
			}
			nm += len(h.groups)
		}
	}
	if maxPos >= sn.meta.Seq {
		sn.meta.Seq = maxPos + positionStride
	}
	all := make([]rankPos, nm)
	members := make([][]rankPos, len(enc.Groups))
	off := 0
	for i, n := range size {
		members[i] = all[off : off : off+n]
		off += n
	}
	// Hosts are taken in name order, so each group's members come out
	// ordered by name: when the group's order is that too, as it often
	// is, they are already sorted.
	for rank, i := range kook.NameOrder(names) {
		h := hosts[i]
		enc.Hosts[rank] = kook.EncodedHost{Name: h.name, Vars: h.vars, FileVars: h.fileVars}
		for _, m := range h.groups {
			members[m.index] = append(members[m.index], rankPos{m.pos, int32(rank)})
		}
	}
	hostNames := make([]string, nm)
	var allPos []int64
	if positions {
		pos = make([][]int64, len(enc.Groups))
		allPos = make([]int64, nm)
	}
	off = 0
	for i, list := range members {
		if len(list) == 0 {
			continue
		}
		if !slices.IsSortedFunc(list, compareRankPos) {
			slices.SortFunc(list, compareRankPos)
		}
		end := off + len(list)
		g := hostNames[off:end:end]
		for j, m := range list {
			g[j] = enc.Hosts[m.rank].Name
		}
		enc.Groups[i].Hosts = g
		if positions {
			p := allPos[off:end:end]
			for j, m := range list {
				p[j] = m.pos
			}
			pos[i] = p
		}
		off = end
	}

	for _, g := range enc.Groups {
		for _, c := range g.Children {
			if _, ok := index[c]; !ok {
				return nil, nil, fmt.Errorf("the inventory is corrupt: group %q has child %q, which does not exist", g.Name, c)
			}
		}
	}
	_, okAll := index[kook.All]
	_, okUngrouped := index[kook.Ungrouped]
	if !okAll || !okUngrouped {
		return nil, nil, fmt.Errorf("the inventory is corrupt: it lacks the group %q or %q", kook.All, kook.Ungrouped)
	}
	return enc, pos, nil
}

// rankPos is a member of a group: its position there, and its host's
// index in name order, which stands for the name when positions tie.
type rankPos struct {
	pos  int64
	rank int32
}

func compareRankPos(a, b rankPos) int {
	if a.pos != b.pos {
		return cmp.Compare(a.pos, b.pos)
	}
	return cmp.Compare(a.rank, b.rank)
}

// encoded is the snapshot as --list needs it: the vars as the buckets
// hold them, never decoded.
func (sn *snapshot) encoded() (*kook.Encoded, error) {
	enc, _, err := sn.assemble(false)
	return enc, err
}

// inventory is the snapshot with every vars object decoded. With
// positions it also returns every group's members with their positions
// (for writes that keep them).
func (sn *snapshot) inventory(positions bool) (*kook.Inventory, map[string]map[string]int64, error) {
	if !sn.exists {
		return kook.New(), nil, nil
	}
	enc, pos, err := sn.assemble(positions)
	if err != nil {
		return nil, nil, err
	}
	inv := &kook.Inventory{Hosts: make(map[string]*kook.Host, len(enc.Hosts)), Groups: make(map[string]*kook.Group, len(enc.Groups))}
	for _, h := range enc.Hosts {
		vars, fileVars, err := decodeLayers(h.Vars, h.FileVars)
		if err != nil {
			return nil, nil, fmt.Errorf("the inventory is corrupt: host %q: %v", h.Name, err)
		}
		inv.Hosts[h.Name] = &kook.Host{Name: h.Name, Vars: vars, FileVars: fileVars}
	}
	var byGroup map[string]map[string]int64
	if positions {
		byGroup = make(map[string]map[string]int64, len(enc.Groups))
	}
	for i, g := range enc.Groups {
		vars, fileVars, err := decodeLayers(g.Vars, g.FileVars)
		if err != nil {
			return nil, nil, fmt.Errorf("the inventory is corrupt: group %q: %v", g.Name, err)
		}
		inv.Groups[g.Name] = &kook.Group{Name: g.Name, Vars: vars, FileVars: fileVars, Hosts: g.Hosts, Children: g.Children}
		if positions && len(g.Hosts) > 0 {
			p := make(map[string]int64, len(g.Hosts))
			for j, h := range g.Hosts {
				p[h] = pos[i][j]
			}
			byGroup[g.Name] = p
		}
	}
	return inv, byGroup, nil
}

// decodeLayers decodes a record's vars and its vars-file layer, which
// stays nil when the record has none.
func decodeLayers(vars, fileVars []byte) (v, fv kook.Vars, err error) {
	if v, err = DecodeVars(vars); err != nil {
		return nil, nil, fmt.Errorf("vars: %w", err)
	}
	if fileVars != nil {
		if fv, err = DecodeVars(fileVars); err != nil {
			return nil, nil, fmt.Errorf("file_vars: %w", err)
		}
	}
	return v, fv, nil
}
