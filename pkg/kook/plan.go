package kook

import (
	"errors"
	"fmt"
	"strings"
)

// ImportOptions say how Plan combines what is stored with the sources.
type ImportOptions struct {
	// Prune makes the result equal the sources: what they lack is removed.
	// Without it the sources are merged over what is stored and nothing
	// is removed.
	Prune bool
	// AllowEmpty lets a Prune whose sources hold no host remove every
	// stored host. Without it such a Prune is refused with
	// ErrEmptySources: an empty file or an empty stdin is far more often a
	// mistake (a failed pipe, the wrong file) than a wish to delete every
	// host.
	AllowEmpty bool
}

// ErrEmptySources is wrapped by Plan's error for a Prune of sources that
// hold no host, unless ImportOptions.AllowEmpty.
var ErrEmptySources = errors.New("the sources hold no host")

// CycleError is Plan's error for a merge that would close a cycle of child
// links between what is stored and the sources.
type CycleError struct {
	// Cycle is the loop, starting and ending with the same group; its
	// first link is the one the sources add.
	Cycle []string
}

func (e *CycleError) Error() string {
	return fmt.Sprintf("merging would make a group cycle: %s (the sources make %q a child of %q); nothing written: fix the sources, or use --prune to replace what is stored",
		strings.Join(e.Cycle, " -> "), e.Cycle[1], e.Cycle[0])
}

// Plan returns what the store should hold after importing src into cur,
// both reconciled: src itself with Prune, else cur with src merged over it
// (Merge, then Reconcile). Neither argument is modified, but with Prune the
// result is src itself, so callers must not modify it either.
//
// Plan fails rather than lose data: a merge whose child links would close a
// cycle with what cur holds is a *CycleError naming the cycle (keeping
// only the sources' links, as an earlier kook did, would delete what cur
// holds beyond them), and a Prune of sources without a host that would
// remove every stored host wraps ErrEmptySources unless AllowEmpty.
func Plan(cur, src *Inventory, opts ImportOptions) (*Inventory, error) {
	if opts.Prune {
		if err := CheckPrune(len(cur.Hosts), src, opts); err != nil {
			return nil, err
		}
		return src, nil
	}
	next := cur.Clone()
	if err := next.merge(src, func(parent, child string) error {
		return &CycleError{Cycle: append([]string{parent}, next.path(child, parent)...)}
	}); err != nil {
		return nil, err
	}
	next.Reconcile()
	return next, nil
}

// CheckPrune is Plan's check of a Prune, for a caller that knows only how
// many hosts are stored: sources without a host may not remove every
// stored host (ErrEmptySources) unless AllowEmpty.
func CheckPrune(storedHosts int, src *Inventory, opts ImportOptions) error {
	if len(src.Hosts) == 0 && storedHosts > 0 && !opts.AllowEmpty {
		return fmt.Errorf("%w: --prune would remove all %d stored hosts; nothing written (give --allow-empty to empty the inventory on purpose)", ErrEmptySources, storedHosts)
	}
	return nil
}

// path returns the groups on a chain of child links from one group down to
// another, both included, or nil when to is not below from.
func (inv *Inventory) path(from, to string) []string {
	seen := map[string]bool{}
	var walk func(n string) []string
	walk = func(n string) []string {
		if n == to {
			return []string{n}
		}
		if seen[n] {
			return nil
		}
		seen[n] = true
		if g := inv.Groups[n]; g != nil {
			for _, c := range g.Children {
				if rest := walk(c); rest != nil {
					return append([]string{n}, rest...)
				}
			}
		}
		return nil
	}
	return walk(from)
}
