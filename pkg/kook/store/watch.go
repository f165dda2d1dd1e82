package store

import (
	"context"
	"errors"

	"github.com/go-zookeeper/zk"
)

// WatchVersion returns the inventory's current version and a channel that
// delivers one event when the inventory may have changed since (a one-shot
// ZooKeeper watch on meta, which every write sets; or on its creation for
// an empty root). go-zookeeper sets the watch again on a reconnection
// within the session; when the session is lost the channel delivers an
// EventNotWatching: either way the caller reads the version again.
func (s *Store) WatchVersion(ctx context.Context) (Version, <-chan zk.Event, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	type res struct {
		v  Version
		ch <-chan zk.Event
	}
	r, err := run(s, ctx, func() (res, error) {
		data, st, ch, err := s.conn.GetW(s.metaP)
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
		return res{Version{Zxid: st.Mzxid, Generation: m.Current}, ch}, nil
	})
	if err != nil {
		return Version{}, nil, s.zkError("watch", s.metaP, err)
	}
	return r.v, r.ch, nil
}
