package store

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/kook-project/kook/pkg/kook"
)

// ReplaceFrom makes the stored inventory equal the one next returns, as
// Replace does, reading the stored inventory only as far as the write
// needs: every bucket's bytes and the members' positions, never a value.
// A re-import of a large fleet then pays for decoding nothing it does not
// change; what it changes is compared bucket by bucket as bytes.
//
// next is called once the stored inventory has been read (again after a
// conflict, unless ExpectVersion is set), with the number of hosts stored,
// and returns the reconciled inventory to store, which ReplaceFrom does not
// modify; an error from it is returned as it is and nothing is written.
// The Result's Summary counts what changed.
func (s *Store) ReplaceFrom(ctx context.Context, next func(storedHosts int) (*kook.Inventory, error), opts WriteOptions) (Result, error) {
	return s.retryWrite(ctx, opts, func() (Result, error) { return s.replaceFromOnce(ctx, next, opts) })
}

func (s *Store) replaceFromOnce(ctx context.Context, next func(int) (*kook.Inventory, error), opts WriteOptions) (Result, error) {
	sn, err := s.readForWrite(ctx, opts)
	if err != nil {
		return Result{}, err
	}
	stored := 0
	for _, b := range sn.hosts {
		stored += len(b)
	}
	inv, err := next(stored)
	if err != nil {
		return Result{}, err
	}
	if _, err := inv.Validate(); err != nil {
		return Result{}, err
	}
	return s.write(ctx, sn, sn.positions(), inv, opts)
}

// positions returns where every host stood in every group, from a
// snapshot, and raises meta.Seq above them all, as
// inventory does.
func (sn *snapshot) positions() hostPositions {
	n := 0
	for _, b := range sn.hosts {
		n += len(b)
	}
	pos := make(hostPositions, n)
	maxPos := int64(-1 << 62)
	for _, b := range sn.hosts {
		for _, h := range b {
			pos[h.name] = h.groups
			for _, m := range h.groups {
				maxPos = max(maxPos, m.pos)
			}
		}
	}
	if maxPos >= sn.meta.Seq {
		sn.meta.Seq = maxPos + positionStride
	}
	return pos
}

// summarize counts what a write changes, as kook.DiffSummary of the
// stored and the written inventory would, from the buckets it rewrites
// (old and new contents of each kind) alone: a record in a bucket left as
// it was is unchanged. Vars compare as their canonical JSON. A group's
// hosts changed when a member of it moved, came or went and the group's
// order (by position, then name, as stored: oldPos) is not inv's.
func summarize(oldH, newH, oldG, newG [][]byte, oldPos storedPositions, inv *kook.Inventory) (kook.Summary, error) {
	var sum kook.Summary
	hosts := map[string]encHost{}
	left := map[string][]string{} // group: hosts of the rewritten buckets that were members
	for _, d := range oldH {
		list, err := scanHostBucket(d)
		if err != nil {
			return sum, err
		}
		for _, h := range list {
			hosts[h.name] = h
			for _, m := range h.groups {
				left[string(m.group)] = append(left[string(m.group)], h.name)
			}
		}
	}
	moved := map[string]bool{} // groups a member moved in, came to or left
	members := func(h encHost) map[string]int64 {
		out := make(map[string]int64, len(h.groups))
		for _, m := range h.groups {
			out[string(m.group)] = m.pos
		}
		return out
	}
	for _, d := range newH {
		list, err := scanHostBucket(d)
		if err != nil {
			return sum, err
		}
		for _, h := range list {
			o, ok := hosts[h.name]
			if !ok {
				sum.HostsAdded++
				for _, m := range h.groups {
					moved[string(m.group)] = true
				}
				continue
			}
			delete(hosts, h.name)
			if string(o.vars) != string(h.vars) || string(o.fileVars) != string(h.fileVars) {
				sum.HostsChanged++
			}
			was, now := members(o), members(h)
			for g, p := range was {
				if q, ok := now[g]; !ok || q != p {
					moved[g] = true
				}
			}
			for g := range now {
				if _, ok := was[g]; !ok {
					moved[g] = true
				}
			}
		}
	}
	for _, h := range hosts {
		sum.HostsRemoved++
		for _, m := range h.groups {
			moved[string(m.group)] = true
		}
	}

	groups := map[string][]byte{}
	for _, d := range oldG {
		recs, err := splitBucket(d)
		if err != nil {
			return sum, err
		}
		for _, r := range recs {
			groups[r.name] = r.json
		}
	}
	counted := map[string]bool{}
	for _, d := range newG {
		recs, err := splitBucket(d)
		if err != nil {
			return sum, err
		}
		for _, r := range recs {
			o, ok := groups[r.name]
			switch {
			case !ok:
				sum.GroupsAdded++
				counted[r.name] = true
			case string(o) != string(r.json):
				sum.GroupsChanged++
				counted[r.name] = true
			}
			delete(groups, r.name)
		}
	}
	sum.GroupsRemoved = len(groups)
	for g := range moved {
		if counted[g] || groups[g] != nil || inv.Groups[g] == nil {
			continue // added, removed, or counted already
		}
		if !slices.Equal(storedOrder(g, append(left[g], inv.Groups[g].Hosts...), oldPos), inv.Groups[g].Hosts) {
			sum.GroupsChanged++
		}
	}
	return sum, nil
}

// memberPos is a member of a group: its position there and its name.
type memberPos struct {
	pos  int64
	host string
}

// storedOrder is group's hosts in the order the store gives them (by
// position, then name), of the candidates, which include every stored
// member and maybe others.
func storedOrder(group string, candidates []string, old storedPositions) []string {
	var list []memberPos
	seen := map[string]bool{}
	for _, h := range candidates {
		if p, ok := old.of(group, h); ok && !seen[h] {
			seen[h] = true
			list = append(list, memberPos{p, h})
		}
	}
	slices.SortFunc(list, func(a, b memberPos) int {
		if c := cmp.Compare(a.pos, b.pos); c != 0 {
			return c
		}
		return strings.Compare(a.host, b.host)
	})
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = m.host
	}
	return out
}
