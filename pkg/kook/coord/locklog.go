package coord

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook/store"
)

// The lock log. A watch reads the lock contenders again after its watch
// fires, so a lock taken and released between two reads leaves nothing
// to see there. Each release by a holder (Lock.Release, ForceUnlock)
// therefore deletes the contender and creates a persistent sequential
// record under ROOT/locklog in one multi: the watcher reads the records
// newer than the last it read and reports the locks it never saw held.
// A lock whose holder's session expired leaves no record (ZooKeeper
// deletes the node), which a watcher misses only if it never read the
// lock while held: the session lives seconds past its holder's end.
// Releasers trim the log to about the last logKeep records.

// logKeep is how many records the lock log keeps at least; a watcher
// away for fewer releases than this misses none.
const logKeep = 1000

// logRecordPrefix names the records: r~0000000042.
const logRecordPrefix = "r" + seqSep

// lockRecord is one released lock.
type lockRecord struct {
	Host string `json:"host"`
	// Seq is the contender's sequence number under ROOT/locks.
	Seq      int64     `json:"seq"`
	Holder   Holder    `json:"holder"`
	Released time.Time `json:"released"`
	// Forced is true for kook unlock --force.
	Forced bool `json:"forced,omitempty"`
	// at is the record's own sequence number under ROOT/locklog.
	at int64
}

// releaseOps are the requests of one multi that releases the contender
// node (a full path) of host held by h, and records it.
func (c *Client) releaseOps(node, host string, h Holder, forced bool) ([]any, error) {
	_, seq, _ := splitSeq(node[strings.LastIndexByte(node, '/')+1:])
	h.Seq = 0
	data, err := json.Marshal(lockRecord{Host: host, Seq: seq, Holder: h, Released: c.Now().UTC(), Forced: forced})
	if err != nil {
		return nil, err
	}
	return []any{
		&zk.DeleteRequest{Path: node, Version: -1},
		&zk.CreateRequest{Path: c.path(store.LockLogNode) + "/" + logRecordPrefix, Data: data, Acl: c.acl, Flags: zk.FlagSequence},
	}, nil
}

// releaseRecorded runs ops made by releaseOps in one multi. It reports
// false when they could not run as one (a contender already gone, a root
// without a lock log): the caller then deletes without a record, as a
// lock lost with its session is.
func (c *Client) releaseRecorded(ops []any) bool {
	if len(ops) == 0 {
		return true
	}
	res, err := c.conn.Multi(ops...)
	if err != nil {
		return false
	}
	// Trimming is amortized: about one release in 32 lists the log.
	if rand.IntN(32) == 0 {
		for _, r := range res {
			if strings.Contains(r.String, "/"+store.LockLogNode+"/") {
				c.trimLog()
				break
			}
		}
	}
	return true
}

// trimLog deletes the records older than the newest logKeep. Two trimmers
// at once only find some records already deleted.
func (c *Client) trimLog() {
	parent := c.path(store.LockLogNode)
	kids, _, err := c.conn.Children(parent)
	if err != nil || len(kids) <= logKeep {
		return
	}
	slices.Sort(kids) // r~ and ten digits: by sequence
	var wg sync.WaitGroup
	for _, k := range kids[:len(kids)-logKeep] {
		wg.Add(1)
		go func() { defer wg.Done(); c.conn.Delete(parent+"/"+k, -1) }()
	}
	wg.Wait()
}

// readLockLog returns the records after the one numbered after (-1 for
// all: the first is numbered 0), oldest first, and the highest number the
// log holds (after when it holds none newer). A missing log holds none.
func (c *Client) readLockLog(ctx context.Context, after int64) ([]lockRecord, int64, error) {
	parent := c.path(store.LockLogNode)
	kids, _, err := c.conn.Children(parent)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, after, nil
	}
	if err != nil {
		return nil, after, c.zkErr("list", parent, err)
	}
	type entry struct {
		name string
		at   int64
	}
	var fresh []entry
	last := after
	for _, k := range kids {
		if !strings.HasPrefix(k, logRecordPrefix) {
			continue
		}
		_, at, ok := splitSeq(k)
		if ok && at > after {
			fresh = append(fresh, entry{k, at})
			last = max(last, at)
		}
	}
	slices.SortFunc(fresh, func(a, b entry) int { return int(a.at - b.at) })
	recs := make([]lockRecord, len(fresh))
	errs := make([]error, len(fresh))
	var wg sync.WaitGroup
	for i, e := range fresh {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data, _, err := c.conn.Get(parent + "/" + e.name)
			if err != nil {
				if !errors.Is(err, zk.ErrNoNode) { // trimmed meanwhile
					errs[i] = c.zkErr("read", parent+"/"+e.name, err)
				}
				return
			}
			if json.Unmarshal(data, &recs[i]) == nil {
				recs[i].at = e.at
			} else {
				recs[i].Host = "" // not a record: skipped
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, after, err
	}
	out := recs[:0]
	for _, r := range recs {
		if r.Host != "" {
			out = append(out, r)
		}
	}
	return out, last, ctx.Err()
}
