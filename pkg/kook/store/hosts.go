package store

import (
	"context"
)

// MissingHosts returns the names, of those given, that the inventory does
// not hold, reading only the buckets they fall in (two round trips: meta and
// the log's stat, then those buckets pipelined) instead of the whole inventory.
func (s *Store) MissingHosts(ctx context.Context, names []string) ([]string, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	h, err := s.readHead(ctx)
	if err != nil {
		return nil, err
	}
	if !h.exists {
		return names, nil
	}
	t := &txn{s: s, ctx: ctx, head: h, root: s.cfg.Root, buckets: map[string]*tbucket{}, change: &change{}}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = t.hostPath(n)
	}
	if err := t.load(paths...); err != nil {
		return nil, err
	}
	var missing []string
	for i, n := range names {
		if _, ok := t.buckets[paths[i]].find(n); !ok {
			missing = append(missing, n)
		}
	}
	return missing, nil
}
