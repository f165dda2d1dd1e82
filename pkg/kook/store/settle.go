package store

import (
	"context"
	"errors"
	"sync"

	"github.com/go-zookeeper/zk"
)

// maxSettleRounds bounds settle; each round re-reads only the buckets that
// changed during the previous one, so it converges unless writes arrive
// faster than a handful of buckets can be read.
const maxSettleRounds = 50

// settle turns a read during which some buckets were written into a read
// of one version, without reading every bucket again. It puts a watch on
// every bucket (ExistsW), re-reads with a watch (GetW) each bucket changed
// since it was read, and then reads the head. ZooKeeper delivers a watch event
// before any answer that reflects a later state, so when the head's answer
// arrives every bucket whose watch has not fired is unchanged since its
// last read: the data is exactly the inventory at that head's version.
// Buckets whose watch fired are read again, until a round sees none fire.
//
// It returns the head that the data now matches; moved is
// true when the generation or bucket counts changed, and the caller must
// start over. Watches left on unchanged buckets cost the client a map
// entry each until the bucket next changes; settle only runs after a
// plain read met a concurrent write.
func (s *Store) settle(ctx context.Context, m meta, paths []string, data [][]byte, stats []*zk.Stat,
	each func(i int, d []byte) error) (head, bool, error) {
	watches := make([]<-chan zk.Event, len(paths))
	dirty, err := s.watchMany(ctx, allIndexes(len(paths)), func(i int) (bool, error) {
		ok, st, w, err := s.conn.ExistsW(paths[i])
		if err != nil {
			return false, err
		}
		if !ok {
			return false, errBucketGone
		}
		watches[i] = w
		return st.Mzxid != stats[i].Mzxid, nil
	})
	if errors.Is(err, errBucketGone) {
		return head{}, true, nil // replaced: meta moved (see bucketGone)
	}
	if err != nil {
		return head{}, false, err
	}
	for round := 0; round < maxSettleRounds; round++ {
		_, err := s.watchMany(ctx, dirty, func(i int) (bool, error) {
			d, st, w, err := s.conn.GetW(paths[i])
			if errors.Is(err, zk.ErrNoNode) {
				return false, errBucketGone
			}
			if err != nil {
				return false, err
			}
			watches[i], data[i], stats[i] = w, d, st
			if each != nil {
				if err := each(i, d); err != nil {
					return false, err
				}
			}
			return false, nil
		})
		if errors.Is(err, errBucketGone) {
			return head{}, true, nil
		}
		if err != nil {
			return head{}, false, err
		}
		again, err := s.readHead(ctx)
		if err != nil {
			return head{}, false, err
		}
		if !again.exists || !sameLayout(again.meta, m) {
			return again, true, nil
		}
		dirty = dirty[:0]
		for i, w := range watches {
			select {
			case <-w:
				dirty = append(dirty, i)
			default:
			}
		}
		if len(dirty) == 0 {
			return again, false, nil
		}
	}
	return head{}, false, errors.New("the inventory kept changing while being read")
}

// errBucketGone is settle's word for a bucket deleted under it: a write
// replaced it, and the read starts over.
var errBucketGone = errors.New("bucket replaced")

// watchMany runs call for each index concurrently, so that the requests
// are pipelined on the one connection, and returns the indexes for which
// call reported true.
func (s *Store) watchMany(ctx context.Context, idx []int, call func(i int) (bool, error)) ([]int, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	var mu sync.Mutex
	var marked []int
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256)
	for _, i := range idx {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return nil, s.ctxErr(ctx)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			hit, err := call(i)
			<-sem
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if hit {
				marked = append(marked, i)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return nil, s.ctxErr(ctx)
	}
	if firstErr != nil {
		return nil, s.zkError("read", s.cfg.Root, firstErr)
	}
	return marked, nil
}

// allIndexes returns 0..n-1.
func allIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
