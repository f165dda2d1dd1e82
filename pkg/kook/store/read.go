package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/pkg/kook"
)

// Version identifies one state of the inventory.
type Version struct {
	// Zxid is the mzxid of ROOT/meta: it changes on every write and is
	// never reused. It is 0 for an empty root.
	Zxid int64
	// Generation is the current generation node, "g0000000007"; empty for
	// an empty root.
	Generation string
}

// String prints the version for messages.
func (v Version) String() string {
	if v.Zxid == 0 {
		return "empty"
	}
	return fmt.Sprintf("%s@%#x", v.Generation, v.Zxid)
}

// snapshot is one consistent read of the whole inventory.
type snapshot struct {
	exists    bool // meta exists; otherwise the root is empty
	meta      meta
	stat      *zk.Stat // of meta
	hostData  [][]byte
	groupData [][]byte
	hostVer   []int32
	groupVer  []int32
	hosts     [][]hostEntry // decoded, per bucket (scanFull)
	groups    [][]groupEntry
	encHosts  [][]encHost // scanned, per bucket (scanEncoded)
	encGroups [][]kook.EncodedGroup
	kids      []string // children of the root, when asked for
}

func (sn *snapshot) version() Version {
	if !sn.exists {
		return Version{}
	}
	return Version{Zxid: sn.stat.Mzxid, Generation: sn.meta.Current}
}

// readMeta reads ROOT/meta. For a root without meta it checks that the
// root is empty (or absent) and reports exists=false; anything else there
// is refused.
func (s *Store) readMeta(ctx context.Context) (m meta, st *zk.Stat, exists bool, err error) {
	data, st, err := s.get(ctx, s.metaP)
	if err == nil {
		m, err = parseMeta(s.metaP, data)
		return m, st, err == nil, err
	}
	if !errors.Is(err, zk.ErrNoNode) {
		return m, nil, false, err
	}
	return m, nil, false, s.checkEmptyRoot(ctx)
}

// checkEmptyRoot refuses a root that holds something kook did not write.
func (s *Store) checkEmptyRoot(ctx context.Context) error {
	root := s.cfg.Root
	data, _, err := s.get(ctx, root)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	kids, err := s.children(ctx, root)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(kids) > 0 {
		sort.Strings(kids)
		if len(kids) > 5 {
			kids = append(kids[:5], "...")
		}
		return fmt.Errorf("ZooKeeper node %s holds %s but no kook metadata (%s/meta); refusing to use it as kook's root", root, strings.Join(kids, ", "), root)
	}
	if len(data) > 0 {
		return fmt.Errorf("ZooKeeper node %s holds data but no kook metadata (%s/meta); refusing to use it as kook's root", root, root)
	}
	return nil
}

// Stat returns the inventory's current version in one round trip.
func (s *Store) Stat(ctx context.Context) (Version, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	m, st, exists, err := s.readMeta(ctx)
	if err != nil || !exists {
		return Version{}, err
	}
	return Version{Zxid: st.Mzxid, Generation: m.Current}, nil
}

// Rules returns the reading rules recorded by the last import that set
// them ("" when none did) and whether the root holds an inventory at all.
func (s *Store) Rules(ctx context.Context) (rules string, exists bool, err error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	m, _, exists, err := s.readMeta(ctx)
	return m.Rules, exists, err
}

// Load reads the whole inventory as one consistent snapshot. An empty or
// absent root gives a reconciled kook.New() and the zero Version.
func (s *Store) Load(ctx context.Context) (*kook.Inventory, Version, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	sn, err := s.snapshot(ctx, false)
	if err != nil {
		return nil, Version{}, err
	}
	inv, _, err := sn.inventory(false)
	if err != nil {
		return nil, Version{}, err
	}
	return inv, sn.version(), nil
}

// snapshot reads meta, then every bucket of the current generation
// pipelined, then meta again, until meta did not move in between. With
// listRoot it also lists the root's children (for collecting old
// generations).
func (s *Store) snapshot(ctx context.Context, listRoot bool) (*snapshot, error) {
	return s.snapshotMode(ctx, listRoot, scanFull)
}

// scanMode says how snapshotMode reads the buckets it gets.
type scanMode int

const (
	scanFull    scanMode = iota // decode every record (hosts, groups)
	scanEncoded                 // slice out vars, decode the rest (encHosts, encGroups)
)

// snapshotMode is snapshot with a choice of how buckets are read; either
// way each bucket is read as it arrives, while later reads are in flight.
func (s *Store) snapshotMode(ctx context.Context, listRoot bool, mode scanMode) (*snapshot, error) {
	var lastMove error
	for attempt := 0; attempt < 20; attempt++ {
		m, st, exists, err := s.readMeta(ctx)
		if err != nil {
			return nil, err
		}
		sn := &snapshot{exists: exists, meta: m, stat: st}
		if !exists {
			return sn, nil
		}
		root := s.cfg.Root
		gen := root + "/" + m.Current
		hb, gb := m.HostBuckets, m.GroupBuckets
		paths := make([]string, 0, hb+gb)
		for i := 0; i < hb; i++ {
			paths = append(paths, hostBucketPath(gen, i, hb))
		}
		for i := 0; i < gb; i++ {
			paths = append(paths, groupBucketPath(gen, i, gb))
		}
		if mode == scanFull {
			sn.hosts = make([][]hostEntry, hb)
			sn.groups = make([][]groupEntry, gb)
		} else {
			sn.encHosts = make([][]encHost, hb)
			sn.encGroups = make([][]kook.EncodedGroup, gb)
		}
		var kidsErr error
		kidsDone := make(chan struct{})
		if listRoot {
			go func() {
				defer close(kidsDone)
				sn.kids, kidsErr = s.children(ctx, root)
			}()
		} else {
			close(kidsDone)
		}
		each := func(i int, d []byte) error {
			var err error
			switch {
			case mode == scanEncoded && i < hb:
				sn.encHosts[i], err = scanHostBucket(d)
			case mode == scanEncoded:
				sn.encGroups[i-hb], err = scanGroupBucket(d)
			case i < hb:
				sn.hosts[i], err = decodeHostBucket(d)
			default:
				sn.groups[i-hb], err = decodeGroupBucket(d)
			}
			if err != nil {
				return fmt.Errorf("ZooKeeper node %s is corrupt: %v", paths[i], err)
			}
			return nil
		}
		data, stats, err := s.getMany(ctx, paths, each)
		<-kidsDone
		if err != nil {
			return nil, err
		}
		if kidsErr != nil {
			return nil, kidsErr
		}
		// Every write sets meta, so meta's mzxid is the last write that
		// the server had applied when meta was read, and each bucket was
		// read after it. A bucket whose mzxid is not past meta's was not
		// written since, so it holds what it held at that version: when
		// that is true of every bucket, the read is exactly the inventory
		// at meta's version, however far meta has moved since. Requiring
		// meta not to move at all would starve readers of a large fleet
		// while hosts check in a hundred times a second; this way only a
		// write that lands in a bucket during the read's own round trip
		// makes it read again, and the common case saves a round trip.
		whole := true
		for _, bst := range stats {
			if bst == nil || bst.Mzxid > st.Mzxid {
				whole = false
				break
			}
		}
		if !whole {
			for i, bst := range stats {
				if bst == nil {
					return nil, fmt.Errorf("ZooKeeper node %s is missing: the inventory under %s is corrupt", paths[i], root)
				}
			}
			if listRoot {
				// A writer needs the versions of one state to write at,
				// and its write fails if anything moved: read again.
				again, err := s.exists(ctx, s.metaP)
				if err != nil {
					return nil, s.zkError("read", s.metaP, err)
				}
				if again == nil || again.Mzxid != st.Mzxid {
					lastMove = fmt.Errorf("the inventory kept changing while being read")
					continue
				}
				return nil, fmt.Errorf("the inventory under %s is corrupt: a bucket was written without its meta", root)
			}
			// A reader re-reads only what changed, until its data is one
			// version: hosts checking in a hundred times a second would
			// otherwise starve readers of a large fleet.
			again, againSt, moved, err := s.settle(ctx, m, paths, data, stats, each)
			if err != nil {
				return nil, err
			}
			if moved {
				lastMove = fmt.Errorf("the inventory kept changing while being read")
				continue
			}
			sn.meta, sn.stat = again, againSt
		}
		sn.hostData, sn.groupData = data[:hb], data[hb:]
		sn.hostVer, sn.groupVer = make([]int32, hb), make([]int32, gb)
		for i := range stats {
			if i < hb {
				sn.hostVer[i] = stats[i].Version
			} else {
				sn.groupVer[i-hb] = stats[i].Version
			}
		}
		return sn, nil
	}
	return nil, lastMove
}

type memberPos struct {
	pos  int64
	host string
}

// inventory assembles the graph. With positions it also returns every
// group's members with their positions (for writes that keep them).
func (sn *snapshot) inventory(positions bool) (*kook.Inventory, map[string]map[string]int64, error) {
	if !sn.exists {
		return kook.New(), nil, nil
	}
	nh, ng := 0, 0
	for _, b := range sn.hosts {
		nh += len(b)
	}
	for _, b := range sn.groups {
		ng += len(b)
	}
	inv := &kook.Inventory{Hosts: make(map[string]*kook.Host, nh), Groups: make(map[string]*kook.Group, ng)}
	for _, b := range sn.groups {
		for _, e := range b {
			inv.Groups[e.name] = &kook.Group{Name: e.name, Vars: e.vars, Children: e.children}
		}
	}
	members := make(map[string][]memberPos, ng)
	maxPos := int64(-1 << 62)
	for _, b := range sn.hosts {
		for _, e := range b {
			inv.Hosts[e.name] = &kook.Host{Name: e.name, Vars: e.vars}
			for _, m := range e.groups {
				members[m.group] = append(members[m.group], memberPos{m.pos, e.name})
				if m.pos > maxPos {
					maxPos = m.pos
				}
			}
		}
	}
	if maxPos >= sn.meta.Seq {
		sn.meta.Seq = maxPos + positionStride
	}
	var pos map[string]map[string]int64
	if positions {
		pos = make(map[string]map[string]int64, len(members))
	}
	for name, list := range members {
		g := inv.Groups[name]
		if g == nil {
			return nil, nil, fmt.Errorf("the inventory is corrupt: host %q is in group %q, which does not exist", list[0].host, name)
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].pos != list[j].pos {
				return list[i].pos < list[j].pos
			}
			return list[i].host < list[j].host
		})
		g.Hosts = make([]string, len(list))
		var p map[string]int64
		if positions {
			p = make(map[string]int64, len(list))
			pos[name] = p
		}
		for i, m := range list {
			g.Hosts[i] = m.host
			if p != nil {
				p[m.host] = m.pos
			}
		}
	}
	for _, g := range inv.Groups {
		for _, c := range g.Children {
			if inv.Groups[c] == nil {
				return nil, nil, fmt.Errorf("the inventory is corrupt: group %q has child %q, which does not exist", g.Name, c)
			}
		}
	}
	if inv.Groups[kook.All] == nil || inv.Groups[kook.Ungrouped] == nil {
		return nil, nil, fmt.Errorf("the inventory is corrupt: it lacks the group %q or %q", kook.All, kook.Ungrouped)
	}
	return inv, pos, nil
}
