package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/pkg/kook"
)

// Version identifies one state of the inventory. Its String is the
// version token people and scripts pass around (kook-inventory --stat
// prints it, exports carry it, kook-import --if-version takes it back
// through ParseVersion); what it is made of is not part of the promise.
type Version struct {
	// Zxid is the zxid of the last commit (the mzxid of ROOT/log, or of
	// ROOT/meta on a root an older kook wrote): it changes on every write
	// and is never reused. It is 0 for an empty root.
	Zxid int64
	// Generation is the current generation node, "g0000000007"; empty for
	// an empty root.
	Generation string
}

// String returns the version token: "g0000000007@0x1a2b", or "empty" for a
// root that holds no inventory.
func (v Version) String() string {
	if v.Zxid == 0 {
		return "empty"
	}
	return fmt.Sprintf("%s@%#x", v.Generation, v.Zxid)
}

// ParseVersion reads a token Version.String wrote.
func ParseVersion(s string) (Version, error) {
	if s == "empty" {
		return Version{}, nil
	}
	gen, zx, ok := strings.Cut(s, "@")
	var v Version
	if ok && genName.MatchString(gen) && strings.HasPrefix(zx, "0x") {
		n, err := strconv.ParseInt(zx[2:], 16, 64)
		if err == nil && n > 0 {
			return Version{Zxid: n, Generation: gen}, nil
		}
	}
	return v, fmt.Errorf("%q is not an inventory version (kook-inventory --stat prints one, such as g0000000007@0x1a2b)", s)
}

// snapshot is one consistent read of the whole inventory.
type snapshot struct {
	head            // as of the data below; exists false: the root is empty
	seq       int64 // meta.Seq as stored (inventory may raise meta.Seq)
	hostData  [][]byte
	groupData [][]byte
	hostVer   []int32
	groupVer  []int32
	hosts     [][]encHost // scanned, per bucket: vars left as spans of hostData
	groups    [][]kook.EncodedGroup
	kids      []string // children of the root, when asked for
}

// checkEmptyRoot refuses a root that holds something kook did not write.
// Generations without meta are the leftovers of a first write that was
// killed or lost its race (bootstrap): the root counts as empty.
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
	// Leftover generations and coordination state (locks, maintenance...),
	// which may come before any inventory, are not "something kook did
	// not write"; nor are meta, the log and the queue, which a concurrent
	// first write (bootstrap) creates between our read of meta and this
	// listing: the root then counts as empty here, and the writer's own
	// bootstrap loses the race on meta and reads again.
	kids = slices.DeleteFunc(kids, func(k string) bool {
		return genName.MatchString(k) || IsStateNode(k) || k == "meta" || k == "log" || k == "queue"
	})
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

// Version returns the inventory's current version in one round trip.
func (s *Store) Version(ctx context.Context) (Version, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	h, err := s.readHead(ctx)
	if err != nil {
		return Version{}, err
	}
	return h.version(), nil
}

// ErrNoInventory is wrapped by the error of a read of a root that holds no
// kook inventory: absent, or empty. Nothing was ever written there, which
// is far more often a mistyped root than a wish for an empty inventory (a
// root emptied on purpose still holds kook's metadata and reads as an
// empty inventory). The writes create the inventory in such a root.
var ErrNoInventory = errors.New("no kook inventory")

// noInventory is the error of a read that found no inventory.
func (s *Store) noInventory() error {
	return fmt.Errorf("%w under %s on ZooKeeper %s: nothing was ever imported there", ErrNoInventory, s.cfg.Root, s.servers)
}

// Rules returns the reading rules recorded by the last import that set
// them ("" when none did) and whether the root holds an inventory at all.
func (s *Store) Rules(ctx context.Context) (rules string, exists bool, err error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	h, err := s.readHead(ctx)
	return h.meta.Rules, h.exists, err
}

// Load reads the whole inventory as one consistent snapshot. A root that
// holds no inventory gives an error wrapping ErrNoInventory.
func (s *Store) Load(ctx context.Context) (*kook.Inventory, Version, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	sn, err := s.snapshot(ctx, false)
	if err != nil {
		return nil, Version{}, err
	}
	if !sn.exists {
		return nil, Version{}, s.noInventory()
	}
	inv, _, err := sn.inventory(false)
	if err != nil {
		return nil, Version{}, err
	}
	return inv, sn.version(), nil
}

// snapshot reads meta, then every bucket of the current generation
// pipelined, and makes the buckets agree with one meta: at once when none
// was written after meta, else by re-reading the changed ones (settle), or,
// with listRoot, which writers use, by starting over. With listRoot it also
// lists the root's children (for collecting old generations). Each bucket
// is scanned as it arrives, while later reads are in flight: records cut
// out, memberships read, vars left as spans (assemble.go puts them
// together, and decodes the vars only for those who need values).
func (s *Store) snapshot(ctx context.Context, listRoot bool) (*snapshot, error) {
	var lastMove error
	for attempt := 0; attempt < 20; attempt++ {
		h, err := s.readHead(ctx)
		if err != nil {
			return nil, err
		}
		sn := &snapshot{head: h, seq: h.meta.Seq}
		if !h.exists {
			return sn, nil
		}
		m := h.meta
		root := s.cfg.Root
		hb, gb := m.HostBuckets, m.GroupBuckets
		paths := bucketPaths(root, m)
		sn.hosts = make([][]encHost, hb)
		sn.groups = make([][]kook.EncodedGroup, gb)
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
			if i < hb {
				sn.hosts[i], err = scanHostBucket(d)
			} else {
				sn.groups[i-hb], err = scanGroupBucket(d)
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
		// Every write sets the log parent (or meta, on an older root), so
		// the head's zxid is the last write that the server had applied
		// when the head was read, and each bucket was read after it. A
		// bucket whose mzxid is not past it was not written since, so it
		// holds what it held at that version: when
		// that is true of every bucket, the read is exactly the inventory
		// at meta's version, however far meta has moved since. Requiring
		// the head not to move at all would starve readers of a large fleet
		// while hosts check in a hundred times a second; this way only a
		// write that lands in a bucket during the read's own round trip
		// makes it read again, and the common case saves a round trip.
		whole := true
		for _, bst := range stats {
			if bst == nil || bst.Mzxid > h.zxid() {
				whole = false
				break
			}
		}
		if !whole {
			if gone, err := s.bucketGone(ctx, h, paths, stats); err != nil {
				return nil, err
			} else if gone {
				lastMove = fmt.Errorf("the inventory kept changing while being read")
				continue
			}
			if listRoot {
				// A writer needs the versions of one state to write at,
				// and its write fails if anything moved: read again.
				again, err := s.readHead(ctx)
				if err != nil {
					return nil, err
				}
				if again.zxid() != h.zxid() {
					lastMove = fmt.Errorf("the inventory kept changing while being read")
					continue
				}
				return nil, fmt.Errorf("the inventory under %s is corrupt: a bucket was written without its log entry", root)
			}
			// A reader re-reads only what changed, until its data is one
			// version: hosts checking in a hundred times a second would
			// otherwise starve readers of a large fleet.
			again, moved, err := s.settle(ctx, m, paths, data, stats, each)
			if err != nil {
				return nil, err
			}
			if moved {
				lastMove = fmt.Errorf("the inventory kept changing while being read")
				continue
			}
			sn.head, sn.seq = again, again.meta.Seq
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
