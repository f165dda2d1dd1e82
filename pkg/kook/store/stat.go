package store

import (
	"context"
	"slices"
)

// Stat is what a person wants to know about the inventory under a root
// before changing it.
type Stat struct {
	// Servers and Root say where the inventory is.
	Servers []string
	Root    string
	// Exists is false for a root that holds no inventory (ErrNoInventory
	// for a read); the fields below are then zero, and Version is "empty".
	Exists bool
	// Schema is the layout the inventory was last written in.
	Schema int64
	// Generation is the current generation node.
	Generation string
	// Hosts and Groups count what the inventory holds ("all" and
	// "ungrouped" included).
	Hosts, Groups int
	// Version is the version token (Version.String): give it back to
	// WriteOptions.ExpectVersion through ParseVersion to write only if
	// nothing changed since.
	Version string
}

// Stat reads the inventory's metadata and counts its hosts and groups, from
// one consistent snapshot. Counting reads every bucket, as Load does, but
// decodes no vars.
func (s *Store) Stat(ctx context.Context) (Stat, error) {
	ctx, cancel := s.opContext(ctx, s.cfg.Timeout)
	defer cancel()
	st := Stat{Servers: slices.Clone(s.cfg.Servers), Root: s.cfg.Root}
	sn, err := s.snapshot(ctx, false)
	if err != nil {
		return Stat{}, err
	}
	st.Version = sn.version().String()
	if !sn.exists {
		return st, nil
	}
	st.Exists = true
	st.Schema, st.Generation = sn.meta.Schema, sn.meta.Current
	for _, b := range sn.hosts {
		st.Hosts += len(b)
	}
	for _, b := range sn.groups {
		st.Groups += len(b)
	}
	return st, nil
}
