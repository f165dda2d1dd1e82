package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/pkg/kook"
)

// WriteOptions tune Replace and Update.
type WriteOptions struct {
	// Progress, when set, is called as buckets are written (a large write
	// calls it many times; a small one once with done == total).
	Progress func(done, total int)
	// ExpectVersion, when set, makes the write fail with ErrConflict
	// unless the inventory is at that version when the write commits.
	ExpectVersion *Version
	// What says what the write does, for the change log ("import
	// fleet.yml"); default "replace the inventory".
	What string
	// Rules, when set, is recorded in the inventory's metadata as the
	// reading rules of the sources written (see Store.Rules); a write
	// that changes nothing else still records them.
	Rules string
}

// Result describes a successful write.
type Result struct {
	// Version is the inventory's version after the write (the version it
	// was at when the write changed nothing).
	Version Version
	// NewGeneration is true when the write built a new generation.
	NewGeneration bool
	// BucketsWritten counts bucket znodes written (0: nothing changed).
	BucketsWritten int
	// Hosts and Groups count what the inventory holds now.
	Hosts, Groups int
	// Created is true when the root held no inventory before this write.
	Created bool
	// Summary counts what the write changed, as kook.DiffSummary of the
	// inventory before and after it would; zero when Created.
	Summary kook.Summary
}

// maxAttempts bounds how often a write retries after a conflict.
// maxSmallAttempts is that of a small write, which conflicts only with
// writes to its own buckets: a thousand hosts registering at once into
// sixty-four buckets queue up about sixteen deep on each, and each must
// get its turn (backoff caps at 160 ms, so 32 attempts wait at most a
// few seconds).
const (
	maxAttempts      = 16
	maxSmallAttempts = 32
)

// Replace makes the stored inventory equal inv, which should be a
// reconciled graph: Load gives back exactly inv (vars with their types,
// every group's host and children order). Only buckets that changed are
// written. Without ExpectVersion a conflicting concurrent write makes it
// start again on fresh data (the last writer wins); with it, it fails with
// ErrConflict. inv is not modified.
func (s *Store) Replace(ctx context.Context, inv *kook.Inventory, opts WriteOptions) (Result, error) {
	return s.update(ctx, func(*kook.Inventory) (*kook.Inventory, error) { return inv, nil }, opts)
}

// Update loads the inventory, lets fn edit it and writes the result; fn
// gets a fresh copy on each attempt, and the result is reconciled
// (kook.Inventory.Reconcile) before it is written. When a concurrent write
// gets in between, Update runs fn again on fresh data (a few times) unless
// ExpectVersion is set. An error from fn is returned as it is and nothing
// is written.
func (s *Store) Update(ctx context.Context, fn func(inv *kook.Inventory) error, opts WriteOptions) (Result, error) {
	return s.update(ctx, func(inv *kook.Inventory) (*kook.Inventory, error) {
		if err := fn(inv); err != nil {
			return nil, err
		}
		inv.Reconcile()
		return inv, nil
	}, opts)
}

// Apply is Update for a caller that builds the whole next inventory
// itself, such as an import: fn gets the stored inventory (a fresh copy on
// each attempt) and returns the reconciled inventory to store, which Apply
// neither reconciles again nor modifies. Reconciling is a pass over every
// host and group, worth skipping when the caller already did it once.
func (s *Store) Apply(ctx context.Context, fn func(cur *kook.Inventory) (*kook.Inventory, error), opts WriteOptions) (Result, error) {
	return s.update(ctx, fn, opts)
}

func (s *Store) update(ctx context.Context, fn func(*kook.Inventory) (*kook.Inventory, error), opts WriteOptions) (Result, error) {
	return s.retryWrite(ctx, opts, func() (Result, error) { return s.updateOnce(ctx, fn, opts) })
}

// retryWrite runs once, a whole write on fresh data, again after each
// conflict with another writer (a few times), unless ExpectVersion is set.
func (s *Store) retryWrite(ctx context.Context, opts WriteOptions, once func() (Result, error)) (Result, error) {
	var err error
	for attempt := 0; attempt < maxAttempts; attempt++ {
		if attempt > 0 {
			s.retries.Add(1)
			if err := sleep(ctx, attempt); err != nil {
				return Result{}, err
			}
		}
		var res Result
		res, err = once()
		if err == nil || !errors.Is(err, ErrConflict) || opts.ExpectVersion != nil {
			return res, err
		}
	}
	return Result{}, fmt.Errorf("gave up after %d attempts: %w", maxAttempts, err)
}

// sleep backs off before a retry, with jitter so racing writers spread out.
func sleep(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(5*time.Millisecond) << min(attempt, 5)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Store) updateOnce(ctx context.Context, fn func(*kook.Inventory) (*kook.Inventory, error), opts WriteOptions) (Result, error) {
	sn, err := s.readForWrite(ctx, opts)
	if err != nil {
		return Result{}, err
	}
	old, oldPos, err := sn.inventory(true)
	if err != nil {
		return Result{}, err
	}
	inv, err := fn(old)
	if err != nil {
		return Result{}, err
	}
	if _, err := inv.Validate(); err != nil {
		return Result{}, err
	}
	return s.write(ctx, sn, groupPositions(oldPos), inv, opts)
}

// readForWrite reads the snapshot a full write starts from, with the
// root's children; it refuses an inventory not at opts.ExpectVersion, and
// gives an empty root as the empty inventory.
func (s *Store) readForWrite(ctx context.Context, opts WriteOptions) (*snapshot, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	sn, err := s.snapshot(ctx, true)
	if err != nil {
		return nil, err
	}
	if opts.ExpectVersion != nil && *opts.ExpectVersion != sn.version() {
		return nil, fmt.Errorf("the inventory under %s is at version %v, not %v: %w", s.cfg.Root, sn.version(), *opts.ExpectVersion, ErrConflict)
	}
	if !sn.exists {
		sn = emptySnapshot()
	}
	return sn, nil
}

// write makes the store equal inv, given the snapshot it read.
//
// The multi that commits checks the version of every bucket the snapshot
// read and sets those that changed, so a write conflicts exactly with the
// writes that changed something it read. It sets meta only when it hands
// out new membership positions (meta.Seq moves) or switches generations,
// and otherwise checks meta's version, so that a generation switch fences
// it.
func (s *Store) write(ctx context.Context, sn *snapshot, oldPos storedPositions, inv *kook.Inventory, opts WriteOptions) (Result, error) {
	m := sn.meta
	m.Schema = Schema
	if opts.Rules != "" {
		m.Rules = opts.Rules
	}
	hostRecs, groupRecs, err := encodeInventory(inv, oldPos, &m.Seq)
	if err != nil {
		return Result{}, err
	}
	newSeq := m.Seq != sn.meta.Seq
	curH, curG := sn.meta.HostBuckets, sn.meta.GroupBuckets
	// Groups first: a group's name is also in each member's record, and a
	// name too large for ZooKeeper is the group's fault, not its hosts'.
	if m.GroupBuckets, err = chooseBuckets(groupRecs, curG); err != nil {
		return Result{}, fmt.Errorf("group %v", err)
	}
	if m.HostBuckets, err = chooseBuckets(hostRecs, curH); err != nil {
		return Result{}, fmt.Errorf("host %v", err)
	}
	hostB, err := buildBuckets(hostRecs, m.HostBuckets, "host")
	if err != nil {
		return Result{}, err
	}
	groupB, err := buildBuckets(groupRecs, m.GroupBuckets, "group")
	if err != nil {
		return Result{}, err
	}
	res := Result{Hosts: len(hostRecs), Groups: len(groupRecs), Created: !sn.exists}
	if err := s.adopt(ctx, sn); err != nil {
		return Result{}, err
	}
	m.Current = sn.meta.Current
	m.Writer = newWriterID()
	c := &change{what: opts.What}
	if c.what == "" {
		c.what = "replace the inventory"
	}

	if m.HostBuckets == curH && m.GroupBuckets == curG {
		root := s.cfg.Root
		var sets, checks []any
		size := 0
		// diff sets the buckets that changed and checks the others; it
		// returns the old and new contents of those that changed.
		diff := func(bs, old [][]byte, vers []int32, path func(i, n int) string) (was, now [][]byte) {
			for i, b := range bs {
				p := path(i, len(bs))
				if bytes.Equal(b, old[i]) {
					checks = append(checks, &zk.CheckVersionRequest{Path: p, Version: vers[i]})
					size += len(p) + 32
					continue
				}
				sets = append(sets, &zk.SetDataRequest{Path: p, Data: b, Version: vers[i]})
				size += len(b) + len(p) + 32
				was, now = append(was, old[i]), append(now, b)
			}
			return was, now
		}
		oldH, newH := diff(hostB, sn.hostData, sn.hostVer, func(i, n int) string { return sn.meta.hostBucket(root, i) })
		oldG, newG := diff(groupB, sn.groupData, sn.groupVer, func(i, n int) string { return sn.meta.groupBucket(root, i) })
		if len(sets) == 0 && m.Rules == sn.meta.Rules {
			res.Version = sn.version()
			if opts.Progress != nil {
				opts.Progress(0, 0)
			}
			return res, nil
		}
		if err := bucketChanges(c, kook.KindHost, oldH, newH); err != nil {
			return Result{}, err
		}
		if err := bucketChanges(c, kook.KindGroup, oldG, newG); err != nil {
			return Result{}, err
		}
		if !res.Created {
			if res.Summary, err = summarize(oldH, newH, oldG, newG, oldPos, inv); err != nil {
				return Result{}, err
			}
		}
		if len(sets) < len(hostB)+len(groupB) && (len(sets) >= maxMultiOps || size+maxLogEntry > s.maxMulti()) {
			// Too many for one multi, yet not every bucket: the changed
			// ones are written copy-on-write. This write read every
			// bucket, so its meta.Seq is above every position: the base
			// of small writes' positions moves to this commit.
			m.SeqZxid = 0
			v, m, err := s.writeOverlay(ctx, sn.head, m, sets, checks, c, opts.Progress)
			if err != nil {
				return Result{}, err
			}
			res.Version, res.BucketsWritten = v, len(sets)
			s.collect(ctx, v.Zxid, m, sn.kids)
			return res, nil
		}
		if len(sets) < maxMultiOps && size+maxLogEntry <= s.maxMulti() {
			n := len(sets)
			ops := append(sets, checks...)
			if newSeq || m.Rules != sn.meta.Rules {
				ops = append(ops, &zk.SetDataRequest{Path: s.metaP, Data: m.encode(), Version: sn.stat.Version})
			} else {
				ops = append(ops, &zk.CheckVersionRequest{Path: s.metaP, Version: sn.stat.Version})
			}
			v, err := s.commit(ctx, append(ops, s.logOps(m.Writer, c)...), m)
			if err != nil {
				return Result{}, err
			}
			if opts.Progress != nil {
				opts.Progress(n, n)
			}
			res.Version, res.BucketsWritten = v, n
			s.collect(ctx, v.Zxid, m, sn.kids)
			return res, nil
		}
	} else {
		if err := bucketChanges(c, kook.KindHost, sn.hostData, hostB); err != nil {
			return Result{}, err
		}
		if err := bucketChanges(c, kook.KindGroup, sn.groupData, groupB); err != nil {
			return Result{}, err
		}
		if !res.Created {
			if res.Summary, err = summarize(sn.hostData, hostB, sn.groupData, groupB, oldPos, inv); err != nil {
				return Result{}, err
			}
		}
	}
	v, err := s.writeGeneration(ctx, sn, &m, hostB, groupB, c, opts)
	if err != nil {
		return Result{}, err
	}
	res.Version, res.NewGeneration, res.BucketsWritten = v, true, len(hostB)+len(groupB)
	s.collect(ctx, v.Zxid, m, append(sn.kids, sn.meta.Current))
	return res, nil
}

// encodeInventory encodes every host and group record, giving members
// their positions (kept from oldPos where the order allows).
func encodeInventory(inv *kook.Inventory, oldPos storedPositions, seq *int64) (hosts, groups []record, err error) {
	if oldPos == nil {
		oldPos = groupPositions(nil) // nothing stored
	}
	// Hosts are numbered so that memberships gather in a slice: a map of
	// slices keyed by host name cost a third of an import's encoding.
	index := make(map[string]int, len(inv.Hosts))
	list := make([]*kook.Host, 0, len(inv.Hosts))
	for name, h := range inv.Hosts {
		index[name] = len(list)
		list = append(list, h)
	}
	// Each group's members are looked up and their kept positions found
	// concurrently; only groups needing fresh positions take turns on
	// the sequence.
	names := inv.GroupNames()
	groups = make([]record, len(names))
	members := make([][]int32, len(names))
	positions := make([][]int64, len(names))
	errs := make([]error, len(names))
	parallel(len(names), 512, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			name := names[k]
			g := inv.Groups[name]
			if members[k], errs[k] = memberIndexes(inv, name, index); errs[k] != nil {
				continue
			}
			positions[k], _ = keptPositions(g.Hosts, name, oldPos)
			var rec []byte
			rec, errs[k] = groupRecord(name, g.Vars, g.FileVars, g.Children)
			groups[k] = record{name, rec}
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, nil, err
		}
	}
	count := make([]int32, len(list)+1)
	for k, name := range names {
		if positions[k] == nil {
			positions[k] = assignPositions(inv.Groups[name].Hosts, name, oldPos, seq)
		}
		for _, j := range members[k] {
			count[j+1]++
		}
	}
	// One backing array for every membership, each host's in group name
	// order, which is the order its record wants.
	for j := range list {
		count[j+1] += count[j]
	}
	flat := make([]membership, count[len(list)])
	next := count[:len(list)]
	for k, name := range names {
		for i, j := range members[k] {
			flat[next[j]] = membership{name, positions[k][i]}
			next[j]++
		}
	}
	memberships := make([][]membership, len(list))
	start := int32(0)
	for j := range list {
		memberships[j] = flat[start:next[j]:next[j]]
		start = next[j]
	}
	// Encoding the vars is most of the work and each record is
	// independent: spread it over the cores.
	hosts = make([]record, len(list))
	// A var outside kook's value set fails its worker's range; the error
	// comes back here rather than as a panic in a goroutine no caller
	// could recover.
	var errMu sync.Mutex
	var hostErr error
	parallel(len(list), 1024, func(lo, hi int) {
		// Records are cut from large shared chunks rather than each
		// allocated and grown on its own.
		var chunk []byte
		for j := lo; j < hi; j++ {
			if cap(chunk)-len(chunk) < 4<<10 {
				chunk = make([]byte, 0, 256<<10)
			}
			start := len(chunk)
			var err error
			if chunk, err = appendHostRecord(chunk, list[j].Name, list[j].Vars, list[j].FileVars, memberships[j]); err != nil {
				errMu.Lock()
				if hostErr == nil {
					hostErr = err
				}
				errMu.Unlock()
				return
			}
			hosts[j] = record{list[j].Name, chunk[start:len(chunk):len(chunk)]}
		}
	})
	if hostErr != nil {
		return nil, nil, hostErr
	}
	return hosts, groups, nil
}

// memberIndexes checks that group name's children and hosts exist and
// returns its hosts' numbers in index.
func memberIndexes(inv *kook.Inventory, name string, index map[string]int) ([]int32, error) {
	g := inv.Groups[name]
	for _, c := range g.Children {
		if inv.Groups[c] == nil {
			return nil, fmt.Errorf("group %q has child %q, which is not in the inventory", name, c)
		}
	}
	m := make([]int32, len(g.Hosts))
	for i, h := range g.Hosts {
		j, ok := index[h]
		if !ok {
			return nil, fmt.Errorf("group %q lists host %q, which is not in the inventory", name, h)
		}
		m[i] = int32(j)
	}
	return m, nil
}

// parallel calls fn on consecutive ranges covering [0, n), one per core
// but none shorter than minPer items (below that a goroutine costs more
// than it saves), and returns when all are done.
func parallel(n, minPer int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minPer)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { fn(w*n/workers, (w+1)*n/workers) })
	}
	wg.Wait()
}

// commit runs the multi that ends a write; its last two ops are logOps'.
// It returns the new version. A failed check is ErrConflict naming the
// node; when the connection drops mid-request, the log is read to learn
// whether the multi was applied rather than sending it blindly again.
func (s *Store) commit(ctx context.Context, ops []any, m meta) (Version, error) {
	cctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	res, err := s.multi(cctx, ops)
	if err == nil {
		v := Version{Generation: m.Current}
		// The log parent's set is next to last: its Stat is the version.
		if st := res[len(res)-2].Stat; st != nil {
			v.Zxid = st.Mzxid
		}
		s.afterCommit(ctx, res[len(res)-1].String)
		return v, nil
	}
	if errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrNodeExists) {
		what := "the inventory"
		for i, r := range res {
			if r.Error != nil && !errors.Is(r.Error, zk.ErrAPIError) && i < len(ops) {
				what = opPath(ops[i])
				break
			}
		}
		return Version{}, fmt.Errorf("%s under %s was changed by another writer since it was read (%v): %w", what, s.cfg.Root, err, ErrConflict)
	}
	if ambiguous(err) || errors.Is(err, context.DeadlineExceeded) {
		// Keep reading until the deadline: after a leader dies the
		// ensemble may take seconds to serve again.
		rctx, cancel := s.opContext(ctx, s.cfg.Timeout)
		defer cancel()
		for rctx.Err() == nil {
			v, applied, rerr := s.resolve(rctx, m)
			if rerr != nil {
				if !ambiguous(rerr) {
					break
				}
				select {
				case <-rctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			if applied {
				return v, nil
			}
			return Version{}, fmt.Errorf("write not applied, connection lost (%v): %w", err, ErrConflict)
		}
		return Version{}, fmt.Errorf("%v; whether the write was applied is unknown", s.zkError("write", s.cfg.Root, err))
	}
	return Version{}, s.zkError("write", s.cfg.Root, err)
}

// resolve tells whether the write of m.Writer was applied: every commit
// creates a log entry named after its writer, in the same multi. A sync
// first makes the server this session reads from catch up with the
// leader, so that a multi the leader committed is seen.
func (s *Store) resolve(ctx context.Context, m meta) (Version, bool, error) {
	if err := s.do(ctx, func() error { _, err := s.conn.Sync(s.logP); return err }); err != nil {
		return Version{}, false, err
	}
	data, st, err := s.get(ctx, s.logP)
	if err != nil {
		return Version{}, false, err
	}
	if string(data) == m.Writer {
		return Version{Zxid: st.Mzxid, Generation: m.Current}, true, nil
	}
	names, err := s.children(ctx, s.logP)
	if err != nil {
		return Version{}, false, err
	}
	prefix := "w" + m.Writer + "-"
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			// Applied, and others wrote since: the version is theirs.
			h, err := s.readHead(ctx)
			if err != nil {
				return Version{}, false, err
			}
			return h.version(), true, nil
		}
	}
	return Version{}, false, nil
}

func opPath(op any) string {
	switch o := op.(type) {
	case *zk.SetDataRequest:
		return o.Path
	case *zk.CreateRequest:
		return o.Path
	case *zk.DeleteRequest:
		return o.Path
	case *zk.CheckVersionRequest:
		return o.Path
	}
	return "?"
}

// writeGeneration writes every bucket into a new generation beside the
// current one, in multis that each stay under the request limit, then
// switches meta.current to it in one multi that checks meta's version and
// every bucket of the current generation.
// Until that switch readers see the old generation; a writer killed half
// way leaves a generation that is never current and is collected later.
func (s *Store) writeGeneration(ctx context.Context, sn *snapshot, m *meta, hostB, groupB [][]byte, c *change, opts WriteOptions) (Version, error) {
	root := s.cfg.Root
	gen, err := s.newGeneration(ctx, m.HostBuckets, m.GroupBuckets)
	if err != nil {
		return Version{}, err
	}
	m.Current = gen[strings.LastIndexByte(gen, '/')+1:]
	m.HostGens, m.GroupGens, m.SeqZxid = nil, nil, 0
	items := make([]bucketItem, 0, len(hostB)+len(groupB))
	for i, b := range hostB {
		items = append(items, bucketItem{hostBucketPath(gen, i, len(hostB)), b})
	}
	for i, b := range groupB {
		items = append(items, bucketItem{groupBucketPath(gen, i, len(groupB)), b})
	}
	if err := s.createBuckets(ctx, gen, items, opts.Progress); err != nil {
		return Version{}, err
	}
	// The switch checks every bucket of the generation it replaces:
	// writes that do not set meta land there, and one that committed
	// after this write's read would otherwise be dropped with it.
	sw := []any{&zk.CheckVersionRequest{Path: gen, Version: 0}}
	size := 0
	for i, v := range sn.hostVer {
		p := sn.meta.hostBucket(root, i)
		sw = append(sw, &zk.CheckVersionRequest{Path: p, Version: v})
		size += len(p) + 32
	}
	for i, v := range sn.groupVer {
		p := sn.meta.groupBucket(root, i)
		sw = append(sw, &zk.CheckVersionRequest{Path: p, Version: v})
		size += len(p) + 32
	}
	if size+maxLogEntry > s.maxMulti() {
		return Version{}, fmt.Errorf("the inventory under %s has too many buckets (%d) to switch generations in one ZooKeeper request", root, len(sw)-1)
	}
	sw = append(sw, &zk.SetDataRequest{Path: s.metaP, Data: m.encode(), Version: sn.stat.Version})
	return s.commit(ctx, append(sw, s.logOps(m.Writer, c)...), *m)
}

// writeOverlay commits a change of more buckets than one multi can carry,
// copy-on-write: sets (SetDataRequests at the buckets' current paths and
// the versions read) are created instead in a new generation, in as many
// multis as they take, invisible to readers; then ONE multi checks that
// generation, the version of every bucket replaced and of every bucket in
// checks (with any other ops there), sets meta to m with the replaced
// buckets moved to the new generation, and writes the log entry; it
// returns the version and meta it committed. meta's
// version is checked as it was read in h, so the write conflicts with any
// other that set meta since. Once committed, the replaced buckets are
// deleted (readers still reading them start again: see bucketGone); a
// writer killed before its commit leaves a generation meta never names,
// which collect deletes.
func (s *Store) writeOverlay(ctx context.Context, h head, m meta, sets []any, checks []any, c *change, progress func(done, total int)) (Version, meta, error) {
	size := len(m.encode()) + (m.HostBuckets+m.GroupBuckets)*12 + maxLogEntry
	for _, op := range append(sets, checks...) {
		size += len(opPath(op)) + 32
	}
	if size > s.maxMulti() {
		return Version{}, m, fmt.Errorf("the inventory under %s has too many buckets (%d) to check in one ZooKeeper request", s.cfg.Root, len(sets)+len(checks))
	}
	gen, err := s.newGeneration(ctx, m.HostBuckets, m.GroupBuckets)
	if err != nil {
		return Version{}, m, err
	}
	var hosts, groups []int
	items := make([]bucketItem, 0, len(sets))
	old := make([]string, 0, len(sets))
	ops := []any{&zk.CheckVersionRequest{Path: gen, Version: 0}}
	for _, op := range sets {
		set := op.(*zk.SetDataRequest)
		i := bucketIndex(set.Path)
		if isHostBucket(set.Path) {
			hosts = append(hosts, i)
			items = append(items, bucketItem{hostBucketPath(gen, i, m.HostBuckets), set.Data})
		} else {
			groups = append(groups, i)
			items = append(items, bucketItem{groupBucketPath(gen, i, m.GroupBuckets), set.Data})
		}
		old = append(old, set.Path)
		ops = append(ops, &zk.CheckVersionRequest{Path: set.Path, Version: set.Version})
	}
	if err := s.createBuckets(ctx, gen, items, progress); err != nil {
		return Version{}, m, err
	}
	if testHookBeforeSwitch != nil {
		if err := testHookBeforeSwitch(); err != nil {
			return Version{}, m, err
		}
	}
	m = m.moveBuckets(gen[strings.LastIndexByte(gen, '/')+1:], hosts, groups)
	ops = append(ops, checks...)
	ops = append(ops, &zk.SetDataRequest{Path: s.metaP, Data: m.encode(), Version: h.stat.Version})
	v, err := s.commit(ctx, append(ops, s.logOps(m.Writer, c)...), m)
	if err != nil {
		return Version{}, m, err
	}
	s.deletePaths(ctx, old)
	return v, m, nil
}

// testHookBeforeSwitch, set by tests only, runs between building a
// copy-on-write generation and the multi that switches it in; an error
// stops the write there, as a writer killed at that moment would.
var testHookBeforeSwitch func() error

// bucketIndex is the number of the bucket at path p (its hex name).
func bucketIndex(p string) int {
	n, _ := strconv.ParseInt(p[strings.LastIndexByte(p, '/')+1:], 16, 64)
	return int(n)
}

// newGeneration creates an empty generation node under the root and
// returns its path.
func (s *Store) newGeneration(ctx context.Context, hostBuckets, groupBuckets int) (string, error) {
	root := s.cfg.Root
	cctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	gen, err := run(s, cctx, func() (string, error) {
		return s.conn.Create(root+"/g", genData(hostBuckets, groupBuckets), zk.FlagSequence, s.acl)
	})
	if err != nil {
		return "", s.zkError("create", root+"/g...", err)
	}
	return gen, nil
}

// bucketItem is one bucket to create: its path and data.
type bucketItem struct {
	path string
	data []byte
}

// createBuckets creates gen's h and g nodes and the buckets in items, in
// multis that each stay under the request limit, calling progress after
// each.
func (s *Store) createBuckets(ctx context.Context, gen string, items []bucketItem, progress func(done, total int)) error {
	ops := []any{
		&zk.CreateRequest{Path: gen + "/h", Acl: s.acl},
		&zk.CreateRequest{Path: gen + "/g", Acl: s.acl},
	}
	size, done, inBatch := 0, 0, 0
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		cctx, cancel := s.opContext(ctx, s.cfg.Timeout)
		defer cancel()
		if _, err := s.multi(cctx, ops); err != nil {
			if errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrNodeExists) {
				return fmt.Errorf("generation %s was removed by another writer while being built: %w", gen, ErrConflict)
			}
			return s.zkError("write", gen, err)
		}
		done += inBatch
		ops, size, inBatch = ops[:0], 0, 0
		if progress != nil {
			progress(done, len(items))
		}
		return nil
	}
	for _, it := range items {
		n := len(it.data) + len(it.path) + 64
		if len(ops) > 0 && (size+n > s.maxMulti() || len(ops) >= maxMultiOps) {
			if err := flush(); err != nil {
				return err
			}
		}
		ops = append(ops, &zk.CreateRequest{Path: it.path, Data: it.data, Acl: s.acl})
		size += n
		inBatch++
	}
	return flush()
}

// deletePaths deletes the nodes at paths, pipelined, best effort: what is
// left is deleted with its generation.
func (s *Store) deletePaths(ctx context.Context, paths []string) {
	cctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range paths {
		wg.Go(func() { s.do(cctx, func() error { return s.conn.Delete(p, -1) }) })
	}
	wg.Wait()
}

// ensurePath creates p and its missing parents, with the store's ACL.
func (s *Store) ensurePath(ctx context.Context, p string) error {
	cctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := ""
	for _, part := range parts {
		cur += "/" + part
		p := cur
		err := s.do(cctx, func() error {
			_, err := s.conn.Create(p, nil, 0, s.acl)
			return err
		})
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return s.zkError("create", cur, err)
		}
	}
	return nil
}

// collect deletes generations that meta m does not name, best effort.
//
// Which ones are safe: a writer reads meta and every bucket it may replace
// before it creates its generation, and its commit checks meta's version
// and the versions of all of them. zxid is the version of a write that has
// just committed, and every commit sets meta or a bucket meta names; any
// generation created before it (czxid < zxid) belongs to a writer that
// read before that commit, so its commit must fail: it can never be named,
// whether its writer was killed, is still building, or finished long ago. A
// generation created after it may belong to a writer that will still
// succeed, so it is left for a later write. Errors are ignored: what is
// left now is collected by the next write.
func (s *Store) collect(ctx context.Context, zxid int64, m meta, kids []string) {
	var cands []string
	seen := m.generations()
	for _, k := range kids {
		if genName.MatchString(k) && !seen[k] {
			seen[k] = true
			cands = append(cands, s.cfg.Root+"/"+k)
		}
	}
	if len(cands) == 0 {
		return
	}
	cctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	sort.Strings(cands)
	for _, gen := range cands {
		st, err := s.exists(cctx, gen)
		if err != nil || st == nil {
			continue
		}
		if st.Czxid >= zxid {
			continue
		}
		s.deleteTree(cctx, gen)
	}
}

// deleteTree deletes a generation: its buckets, then h and g, then itself.
func (s *Store) deleteTree(ctx context.Context, gen string) {
	var ops []any
	flush := func() bool {
		if len(ops) == 0 {
			return true
		}
		_, err := s.multi(ctx, ops)
		ops = ops[:0]
		return err == nil
	}
	for _, sub := range []string{gen + "/h", gen + "/g"} {
		kids, err := s.children(ctx, sub)
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return
		}
		for _, k := range kids {
			ops = append(ops, &zk.DeleteRequest{Path: sub + "/" + k, Version: -1})
			if len(ops) >= maxMultiOps {
				if !flush() {
					return
				}
			}
		}
		if err == nil {
			ops = append(ops, &zk.DeleteRequest{Path: sub, Version: -1})
		}
	}
	if !flush() {
		return
	}
	s.do(ctx, func() error { return s.conn.Delete(gen, -1) })
}
