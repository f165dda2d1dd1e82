package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/kook-project/kook/pkg/kook"
)

// head is what every read and write starts from: meta and the stat of the
// change log's parent, read in one round trip.
//
// Since schema 3 every commit sets the log parent's data (to its writer id,
// unconditionally: no writer conflicts on it) and creates one log entry
// under it, in the same multi as the change. So the log parent's mzxid is
// the zxid of the last commit: that is the inventory's version, which
// readers check buckets against and the cache is keyed on. meta changes
// only when a write must fence every other writer (a generation switch, an
// upgrade, a write that hands out new membership positions); writers that
// do not touch the same buckets no longer conflict on it. A schema-1 root
// has no log yet; its version is meta's mzxid, as before.
type head struct {
	exists bool // meta exists; otherwise the root is empty
	meta   meta
	stat   *zk.Stat // of meta
	log    *zk.Stat // of ROOT/log; nil on a root not yet upgraded
}

// zxid is the version: the zxid of the last commit.
func (h head) zxid() int64 {
	if !h.exists {
		return 0
	}
	z := h.stat.Mzxid
	if h.log != nil && h.log.Mzxid > z {
		z = h.log.Mzxid
	}
	return z
}

// seqBase is the zxid small writes measure new positions from: meta's
// mzxid unless meta records an older base (meta.SeqZxid).
func (h head) seqBase() int64 {
	if h.meta.SeqZxid != 0 {
		return h.meta.SeqZxid
	}
	return h.stat.Mzxid
}

func (h head) version() Version {
	if !h.exists {
		return Version{}
	}
	return Version{Zxid: h.zxid(), Generation: h.meta.Current}
}

// readHead reads meta and the log parent's stat, pipelined on the one
// connection. Their order does not matter: all that is asked of the
// version is that every commit up to it had been applied when the later
// of the two answers left the server, which holds either way. For a root without meta it checks that the root
// holds nothing but the leftovers of a half-made first write (reported as
// exists=false); anything else there is refused.
func (s *Store) readHead(ctx context.Context) (head, error) {
	type logResult struct {
		ok  bool
		st  *zk.Stat
		err error
	}
	logDone := make(chan logResult, 1)
	metaData := make(chan getResult, 1)
	metaErr := make(chan error, 1)
	go func() {
		d, st, err := s.conn.Get(s.metaP)
		metaData <- getResult{d, st}
		metaErr <- err
	}()
	go func() {
		ok, st, err := s.conn.Exists(s.logP)
		logDone <- logResult{ok, st, err}
	}()
	var h head
	var mr getResult
	var err error
	select {
	case mr = <-metaData:
		err = <-metaErr
	case <-ctx.Done():
		return h, s.ctxErr(ctx)
	}
	var lr logResult
	select {
	case lr = <-logDone:
	case <-ctx.Done():
		return h, s.ctxErr(ctx)
	}
	if errors.Is(err, zk.ErrNoNode) {
		return h, s.checkEmptyRoot(ctx)
	}
	if err != nil {
		return h, s.zkError("read", s.metaP, err)
	}
	if lr.err != nil {
		return h, s.zkError("read", s.logP, lr.err)
	}
	h.meta, err = parseMeta(s.metaP, mr.data)
	if err != nil {
		return h, err
	}
	h.exists, h.stat = true, mr.st
	if lr.ok {
		// Exists answers a zero Stat for a missing node: an older
		// schema's root has no log, and must read as having none.
		h.log = lr.st
	}
	return h, nil
}

// bootstrap makes an empty root a kook root holding the empty inventory,
// so that writers racing on a fresh root all find one root to write to: a
// first import then conflicts with another, as any two writes do, instead
// of meeting a half-made root. Whoever creates meta first wins; the others
// drop what they built. It returns nil when the root has meta, by whoever.
func (s *Store) bootstrap(ctx context.Context) error {
	root := s.cfg.Root
	if err := s.ensurePath(ctx, root); err != nil {
		return err
	}
	cctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	gen, err := run(s, cctx, func() (string, error) {
		return s.conn.Create(root+"/g", genData(1, 1), zk.FlagSequence, s.acl)
	})
	if err != nil {
		return s.zkError("create", root+"/g...", err)
	}
	hosts, groups := emptyBuckets()
	m := meta{Schema: Schema, Current: gen[strings.LastIndexByte(gen, '/')+1:], HostBuckets: 1, GroupBuckets: 1, Writer: newWriterID()}
	ops := []any{
		&zk.CreateRequest{Path: gen + "/h", Acl: s.acl},
		&zk.CreateRequest{Path: gen + "/g", Acl: s.acl},
		&zk.CreateRequest{Path: hostBucketPath(gen, 0, 1), Data: hosts, Acl: s.acl},
		&zk.CreateRequest{Path: groupBucketPath(gen, 0, 1), Data: groups, Acl: s.acl},
	}
	if _, err := s.multi(cctx, ops); err != nil {
		return s.zkError("write", gen, err)
	}
	_, err = s.multi(cctx, []any{
		&zk.CreateRequest{Path: s.metaP, Data: m.encode(), Acl: s.acl},
		&zk.CreateRequest{Path: s.logP, Data: []byte(m.Writer), Acl: s.acl},
	})
	if err == nil || errors.Is(err, zk.ErrNodeExists) {
		if err != nil {
			// Another writer made the root first: ours is never current.
			s.deleteTree(cctx, gen)
		}
		return nil
	}
	if ambiguous(err) {
		// Whether meta is ours or not, the root has one or the next
		// read finds it empty again; either way the caller reads again.
		return fmt.Errorf("%v: %w", s.zkError("write", s.metaP, err), ErrConflict)
	}
	return s.zkError("write", s.metaP, err)
}

// emptyBuckets are the one host and one group bucket of the empty
// inventory, as bootstrap writes them.
func emptyBuckets() (hosts, groups []byte) {
	// Records without vars cannot fail to encode.
	all, _ := groupRecord(kook.All, nil, nil, []string{kook.Ungrouped})
	ungrouped, _ := groupRecord(kook.Ungrouped, nil, nil, nil)
	return []byte("{}"), appendBucket(nil, []record{{kook.All, all}, {kook.Ungrouped, ungrouped}})
}

// emptySnapshot stands for an empty root in a full write, so that the
// write is checked whole before anything is created: the root is made
// (adopt) only when the write is about to commit.
func emptySnapshot() *snapshot {
	h, g := emptyBuckets()
	return &snapshot{
		head:      head{meta: meta{HostBuckets: 1, GroupBuckets: 1}},
		hostData:  [][]byte{h},
		groupData: [][]byte{g},
		hostVer:   []int32{0},
		groupVer:  []int32{0},
	}
}

// adopt makes the root of sn writable in this schema just before a full
// write commits, once everything that could refuse the write has been
// checked: an empty root gets the empty inventory (bootstrap), an older
// schema is upgraded. sn then describes the root as it is now, which must
// still be the state sn read (else ErrConflict, and the write starts
// again): for a bootstrap, meta and buckets never written since; for an
// upgrade, meta set by this upgrade alone, and the buckets are checked by
// the write's own commit.
func (s *Store) adopt(ctx context.Context, sn *snapshot) error {
	if sn.exists && sn.log != nil && sn.meta.Schema >= Schema {
		return nil
	}
	var writer string
	var err error
	if !sn.exists {
		err = s.bootstrap(ctx)
	} else {
		writer, err = s.upgrade(ctx, sn.head)
	}
	if err != nil {
		return err
	}
	h, err := s.readHead(ctx)
	if err != nil {
		return err
	}
	same := h.exists && h.log != nil
	if sn.exists {
		same = same && h.meta.Writer == writer && h.meta.Current == sn.meta.Current
	} else {
		same = same && h.stat.Version == 0
	}
	if !same {
		return fmt.Errorf("the root %s was written by another writer while being read: %w", s.cfg.Root, ErrConflict)
	}
	sn.head = h
	return nil
}

// upgrade brings a root of an older schema to this one in place: it adds
// the change log when there is none and sets meta's schema, fencing every
// writer of the old schema that read meta before; from then on binaries
// of an older schema refuse the root. Buckets are kept as they are: schema
// 4 reads schema 1's records, and a meta without a manifest keeps every
// bucket in the current generation. It keeps the base of small writes'
// positions (head.seqBase), which setting meta would otherwise move back.
// It returns the writer id it set in meta.
func (s *Store) upgrade(ctx context.Context, h head) (string, error) {
	m := h.meta
	m.Schema = Schema
	m.Writer = newWriterID()
	ops := []any{&zk.SetDataRequest{Path: s.metaP, Data: nil, Version: h.stat.Version}}
	if h.log == nil {
		ops = append(ops, &zk.CreateRequest{Path: s.logP, Data: []byte(m.Writer), Acl: s.acl})
	} else {
		m.SeqZxid = h.seqBase()
	}
	ops[0].(*zk.SetDataRequest).Data = m.encode()
	cctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	_, err := s.multi(cctx, ops)
	switch {
	case err == nil:
		return m.Writer, nil
	case errors.Is(err, zk.ErrBadVersion), errors.Is(err, zk.ErrNodeExists):
		return "", nil // another writer moved or upgraded it first: read again
	case ambiguous(err):
		return "", fmt.Errorf("%v: %w", s.zkError("write", s.metaP, err), ErrConflict)
	}
	return "", s.zkError("upgrade", s.metaP, err)
}

// writableHead reads the head for a write, first making an empty root a
// kook root and upgrading an older schema in place.
func (s *Store) writableHead(ctx context.Context) (head, error) {
	for range 3 {
		h, err := s.readHead(ctx)
		if err != nil {
			return h, err
		}
		switch {
		case !h.exists:
			err = s.bootstrap(ctx)
		case h.log == nil || h.meta.Schema < Schema:
			_, err = s.upgrade(ctx, h)
		default:
			return h, nil
		}
		if err != nil {
			return h, err
		}
	}
	return head{}, fmt.Errorf("the root %s kept changing while being prepared for writing: %w", s.cfg.Root, ErrConflict)
}
