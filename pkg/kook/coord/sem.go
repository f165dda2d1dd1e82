package coord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/kook-project/kook/pkg/kook/store"
)

// Sem is the semaphore of rolling runs over one group: at most N slots
// held at once by every roll over that group, whichever process runs it.
//
// ROOT/sem/GROUP is persistent; under it each roll has an ephemeral
// sequential r-N~SEQ for as long as it runs (N its bound, the data its
// holder), and each slot asked for is an ephemeral sequential s~SEQ. A slot
// is held when fewer than N slot nodes have a lower sequence number; a
// waiter watches the children (slots are few: at most N per roll). The
// roll whose r- node is lowest sets N: a roll asking another N is refused,
// and since each roll creates its node before looking, of two starting
// together with different N exactly one is refused.
type Sem struct {
	c      *Client
	Group  string
	N      int
	dir    string
	member string

	mu   sync.Mutex      // one create at a time, so a sweep knows what is whose
	held map[string]bool // slot nodes asked for or held, by name
}

// SemConflictError is the error of a roll asking for another bound than
// the roll running over the same group.
type SemConflictError struct {
	Group  string
	N      int
	Holder Holder
}

func (e *SemConflictError) Error() string {
	return fmt.Sprintf("a roll over group %s with --max-unavailable %d is running (%s): run with the same bound or after it", e.Group, e.N, e.Holder)
}

// JoinSem joins the semaphore of group with bound n.
func (c *Client) JoinSem(ctx context.Context, group string, n int, h Holder) (*Sem, error) {
	if n < 1 {
		return nil, errors.New("the bound of a roll must be at least 1")
	}
	if err := c.ensureParents(); err != nil {
		return nil, err
	}
	dir := c.path(store.SemNode) + "/" + NodeName(group)
	if _, err := c.conn.Create(dir, nil, 0, c.acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return nil, c.zkErr("create", dir, err)
	}
	data, _ := json.Marshal(h)
	member, err := c.conn.Create(dir+"/r-"+strconv.Itoa(n)+seqSep, data, zk.FlagEphemeral|zk.FlagSequence, c.acl)
	if err != nil {
		return nil, c.zkErr("create", dir, err)
	}
	s := &Sem{c: c, Group: group, N: n, dir: dir, member: member, held: map[string]bool{}}
	kids, _, err := c.conn.Children(dir)
	if err != nil {
		s.Leave()
		return nil, c.zkErr("list", dir, err)
	}
	first, firstSeq := "", int64(-1)
	for _, k := range kids {
		name, seq, ok := splitSeq(k)
		if ok && strings.HasPrefix(name, "r-") && (firstSeq < 0 || seq < firstSeq) {
			first, firstSeq = k, seq
		}
	}
	name, _, _ := splitSeq(first)
	if first != path.Base(member) && name != "r-"+strconv.Itoa(n) {
		running, _ := strconv.Atoi(strings.TrimPrefix(name, "r-"))
		hd, _ := c.readHolder(dir + "/" + first)
		s.Leave()
		return nil, &SemConflictError{Group: group, N: running, Holder: hd}
	}
	return s, nil
}

// Acquire waits for a slot (bounded by ctx) and returns its release.
func (s *Sem) Acquire(ctx context.Context) (release func(), err error) {
	c := s.c
	s.mu.Lock()
	node, err := c.conn.Create(s.dir+"/s"+seqSep, nil, zk.FlagEphemeral|zk.FlagSequence, c.acl)
	if err != nil {
		// A slot created but not answered would count against the bound
		// for as long as the session lives.
		serr := c.sweep(s.dir, func(k string) bool { return strings.HasPrefix(k, "s"+seqSep) }, s.held)
		s.mu.Unlock()
		if serr != nil {
			return nil, fmt.Errorf("creating a slot of group %s failed (%v), and what it may have left could not be removed: %w", s.Group, err, errSwept)
		}
		return nil, c.zkErr("create", s.dir, err)
	}
	s.held[path.Base(node)] = true
	s.mu.Unlock()
	release = func() {
		c.remove(node)
		s.mu.Lock()
		delete(s.held, path.Base(node))
		s.mu.Unlock()
	}
	_, mySeq, _ := splitSeq(path.Base(node))
	for {
		kids, _, ev, err := c.conn.ChildrenW(s.dir)
		if err != nil {
			release()
			return nil, c.zkErr("list", s.dir, err)
		}
		var seqs []int64
		for _, k := range kids {
			if name, seq, ok := splitSeq(k); ok && name == "s" {
				seqs = append(seqs, seq)
			}
		}
		sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
		before := sort.Search(len(seqs), func(i int) bool { return seqs[i] >= mySeq })
		if before < s.N {
			return release, nil
		}
		t := time.NewTimer(time.Minute)
		select {
		case <-ev:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			release()
			return nil, ctx.Err()
		}
		t.Stop()
	}
}

// Leave ends this roll's membership.
func (s *Sem) Leave() {
	s.c.remove(s.member)
}
