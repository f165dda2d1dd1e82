package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"
)

// The manifest: which generation holds each bucket (schema 4).
//
// A change of more buckets than one multi can carry is written
// copy-on-write: the changed buckets go into a new generation node beside
// the others (several multis, invisible to everyone), and one multi then
// sets meta, whose host_gens and group_gens name the generation of every
// bucket, while it checks every bucket the write read. Buckets are never
// created or deleted in place while meta names them, so meta (read with
// the log's stat in readHead) says where every bucket of that version is:
// readers find their paths here and nowhere else.

// bucketPaths returns the paths of every bucket m names under root: the
// host buckets in order, then the group buckets.
func bucketPaths(root string, m meta) []string {
	paths := make([]string, 0, m.HostBuckets+m.GroupBuckets)
	for i := 0; i < m.HostBuckets; i++ {
		paths = append(paths, m.hostBucket(root, i))
	}
	for i := 0; i < m.GroupBuckets; i++ {
		paths = append(paths, m.groupBucket(root, i))
	}
	return paths
}

// hostBucket is the path of host bucket i.
func (m meta) hostBucket(root string, i int) string {
	return hostBucketPath(root+"/"+m.genOf(m.HostGens, i), i, m.HostBuckets)
}

// groupBucket is the path of group bucket i.
func (m meta) groupBucket(root string, i int) string {
	return groupBucketPath(root+"/"+m.genOf(m.GroupGens, i), i, m.GroupBuckets)
}

// genOf is the generation holding bucket i of a kind whose manifest is
// gens: Current when the manifest is empty (every older schema).
func (m meta) genOf(gens []int64, i int) string {
	if gens == nil {
		return m.Current
	}
	return genNodeName(gens[i])
}

// genNodeName is the node name of the generation with sequence number n.
func genNodeName(n int64) string { return fmt.Sprintf("g%010d", n) }

// genSeq is the sequence number of a generation node name.
func genSeq(name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimPrefix(name, "g"), 10, 64)
	return n
}

// moveBuckets returns m with the host buckets in hosts and the group
// buckets in groups held by generation gen; a manifest left naming only
// Current is dropped.
func (m meta) moveBuckets(gen string, hosts, groups []int) meta {
	move := func(gens []int64, n int, idx []int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = genSeq(m.genOf(gens, i))
		}
		for _, i := range idx {
			out[i] = genSeq(gen)
		}
		cur := genSeq(m.Current)
		for _, g := range out {
			if g != cur {
				return out
			}
		}
		return nil
	}
	hg, gg := move(m.HostGens, m.HostBuckets, hosts), move(m.GroupGens, m.GroupBuckets, groups)
	m.HostGens, m.GroupGens = hg, gg
	return m
}

// generations returns the names of every generation m names.
func (m meta) generations() map[string]bool {
	out := map[string]bool{m.Current: true}
	for _, gens := range [][]int64{m.HostGens, m.GroupGens} {
		for _, g := range gens {
			out[genNodeName(g)] = true
		}
	}
	return out
}

// sameLayout reports whether a and b put every bucket at the same path.
func sameLayout(a, b meta) bool {
	if a.Current != b.Current || a.HostBuckets != b.HostBuckets || a.GroupBuckets != b.GroupBuckets {
		return false
	}
	for i := 0; i < a.HostBuckets; i++ {
		if a.genOf(a.HostGens, i) != b.genOf(b.HostGens, i) {
			return false
		}
	}
	for i := 0; i < a.GroupBuckets; i++ {
		if a.genOf(a.GroupGens, i) != b.genOf(b.GroupGens, i) {
			return false
		}
	}
	return true
}

// isHostBucket tells a host bucket's path from a group bucket's.
func isHostBucket(p string) bool {
	dir := p[:strings.LastIndexByte(p, '/')]
	return strings.HasSuffix(dir, "/h")
}

// parseGens reads a manifest array of meta; n is the bucket count.
func parseGens(v any, n int) ([]int64, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok || len(list) != n {
		return nil, false
	}
	out := make([]int64, n)
	for i, x := range list {
		g, ok := x.(int64)
		if !ok || g < 0 || g > 9999999999 {
			return nil, false
		}
		out[i] = g
	}
	return out, true
}

// appendGens appends a manifest array.
func appendGens(b []byte, gens []int64) []byte {
	b = append(b, '[')
	for i, g := range gens {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, g, 10)
	}
	return append(b, ']')
}

// bucketGone tells a read that met a missing bucket whether to start again:
// a write that replaced buckets copy-on-write (or a generation) deletes
// the old ones once meta names the new, so a reader that read meta before
// finds them gone, and meta moved. A bucket missing while meta still names
// it is corruption.
func (s *Store) bucketGone(ctx context.Context, h head, paths []string, stats []*zk.Stat) (bool, error) {
	for i, st := range stats {
		if st != nil {
			continue
		}
		again, err := s.readHead(ctx)
		if err != nil {
			return false, err
		}
		if !again.exists || !sameLayout(again.meta, h.meta) {
			return true, nil
		}
		return false, fmt.Errorf("ZooKeeper node %s is missing: the inventory under %s is corrupt", paths[i], s.cfg.Root)
	}
	return false, nil
}
