package store

import (
	"context"
	"errors"

	"github.com/go-zookeeper/zk"
)

// WatchVersion returns the inventory's current version and a channel that
// delivers one event when the inventory may have changed since: a one-shot
// ZooKeeper watch on ROOT/log's data, which every commit sets (schema 3);
// on a root not yet upgraded, on meta, which every older write set and an
// upgrade sets; on an empty root, on meta's creation. go-zookeeper sets
// the watch again on a reconnection within the session; when the session
// is lost the channel delivers an EventNotWatching: either way the caller
// reads the version again.
func (s *Store) WatchVersion(ctx context.Context) (Version, <-chan zk.Event, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	type res struct {
		v  Version
		ch <-chan zk.Event
	}
	r, err := run(s, ctx, func() (res, error) {
		_, lst, lch, lerr := s.conn.GetW(s.logP)
		if lerr != nil && !errors.Is(lerr, zk.ErrNoNode) {
			return res{}, lerr
		}
		var data []byte
		var st *zk.Stat
		var ch <-chan zk.Event
		var err error
		if lerr == nil {
			// The watch is on the log; meta only names the generation.
			data, st, err = s.conn.Get(s.metaP)
			ch = lch
		} else {
			data, st, ch, err = s.conn.GetW(s.metaP)
		}
		if errors.Is(err, zk.ErrNoNode) {
			ok, _, ch, err := s.conn.ExistsW(s.metaP)
			if err == nil && ok {
				// Created in between: read it on the next call.
				return res{Version{Zxid: -1}, ch}, nil
			}
			return res{Version{}, ch}, err
		}
		if err != nil {
			return res{}, err
		}
		m, err := parseMeta(s.metaP, data)
		if err != nil {
			return res{}, err
		}
		h := head{exists: true, meta: m, stat: st}
		if lerr == nil {
			h.log = lst
		}
		return res{h.version(), ch}, nil
	})
	if err != nil {
		return Version{}, nil, s.zkError("watch", s.metaP, err)
	}
	return r.v, r.ch, nil
}
